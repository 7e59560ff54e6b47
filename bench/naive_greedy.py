"""The exact greedy step on the k-NN estimate, from scratch in float64 numpy (DESIGN.md §2b).

Every pick scores every available pool row against every target (O(M n d) per pick, one BLAS
product), then takes the row with the lowest gain sum: scores within 1e-9 * (1 + |best|) of the
best count as tied and the lowest row wins, the rule of ``GIOSelector(search='greedy')``. This is
the correctness oracle of the tests and the baseline of ``bench/greedy_speed.py``.
"""

from __future__ import annotations

import numpy as np

TIE = 1e-9
CHUNK_VALUES = 1 << 22


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sqrt(clip(|a|^2 + |b|^2 - 2 a.b, 1e-10, 1e20)), the form every gioselect estimator uses."""
    s = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.clip(s, 1e-10, 1e20))


def target_frame(target, *others) -> tuple[np.ndarray, ...]:
    """target and others as gioselect measures them natively (cpp/include/gio/frame.hpp): centred
    on the target's mean and divided by its spread, the RMS distance of its rows from that mean."""
    t = np.asarray(target, dtype=np.float64)
    mean = t.mean(axis=0)
    spread = np.sqrt(((t - mean) ** 2).sum(axis=1).mean()) or 1.0  # no spread: centred only
    return tuple((np.asarray(a, dtype=np.float64) - mean) / spread for a in (target, *others))


def naive_greedy(pool, target, init, k: int, n_picks: int) -> list[int]:
    """Rows of `pool` in greedy order (init: the start rows W_0, at least k of them)."""
    target, pool, init = target_frame(target, pool, init)
    # each target's k smallest distances to W, ascending (column k-1 is nu_k)
    nearest = np.sort(distances(target, init), axis=1)[:, :k]
    available = np.ones(len(pool), dtype=bool)
    picks = []
    for _ in range(n_picks):
        rows = np.flatnonzero(available)
        if len(rows) == 0:
            break
        nu_k = nearest[:, k - 1]
        nu_k1 = nearest[:, k - 2] if k > 1 else np.zeros(len(target))
        gain = np.empty(len(rows))
        step = max(1, CHUNK_VALUES // len(target))  # candidates x targets in blocks of bounded size
        for lo in range(0, len(rows), step):
            dist = distances(pool[rows[lo:lo + step]], target)
            gain[lo:lo + step] = np.where(dist < nu_k, np.log(np.maximum(nu_k1, dist) / nu_k), 0.0).sum(axis=1)
        best = gain.min()
        row = int(rows[np.flatnonzero(gain <= best + TIE * (1.0 + abs(best)))[0]])
        picks.append(row)
        available[row] = False
        added = distances(pool[row:row + 1], target)[0]
        nearest = np.sort(np.column_stack([nearest, added]), axis=1)[:, :k]
    return picks
