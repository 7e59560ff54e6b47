"""The simple selections every GIO mode is compared with (issue 11): nearest-to-target
round-robin, and the oracle that knows which pool rows are clean."""

from __future__ import annotations

import numpy as np

_CHUNK = 256  # target rows per block of distances


def _nearest_lists(target: np.ndarray, pool: np.ndarray, length: int) -> np.ndarray:
    """For every target row, its `length` nearest pool rows, nearest first (ties: lower row)."""
    pool64 = pool.astype(np.float64)
    pool_sq = np.einsum("ij,ij->i", pool64, pool64)
    out = np.empty((len(target), length), dtype=np.int64)
    for lo in range(0, len(target), _CHUNK):
        t = target[lo:lo + _CHUNK].astype(np.float64)
        d = pool_sq[None, :] - 2 * t @ pool64.T  # + |t|^2, the same for the whole row
        part = np.argpartition(d, length - 1, axis=1)[:, :length]
        keys = np.take_along_axis(d, part, axis=1)
        order = np.lexsort((part, keys), axis=1)
        out[lo:lo + _CHUNK] = np.take_along_axis(part, order, axis=1)
    return out


def nearest_round_robin(pool: np.ndarray, target: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Each target row in turn (in a seeded random order) takes its nearest not-yet-picked pool
    row, until n rows are picked. The 20-line baseline the issue measured GIO against."""
    n = min(n, len(pool))
    length = min(len(pool), 4 * (n // len(target) + 1) + 32)
    lists = _nearest_lists(target, pool, length)
    picked = np.zeros(len(pool), dtype=bool)
    next_in_list = np.zeros(len(target), dtype=np.int64)
    turns = np.random.default_rng([seed, 3]).permutation(len(target))
    out = []
    while len(out) < n:
        for i in turns:
            while next_in_list[i] < length and picked[lists[i, next_in_list[i]]]:
                next_in_list[i] += 1
            if next_in_list[i] < length:
                row = lists[i, next_in_list[i]]
            else:  # this target's list is used up: its nearest free row by a full scan
                free = np.flatnonzero(~picked)
                row = free[np.argmin(((pool[free] - target[i]) ** 2).sum(axis=1))]
            picked[row] = True
            out.append(row)
            if len(out) == n:
                break
    return np.asarray(out, dtype=np.int64)


def clean_oracle(clean: np.ndarray | None, n_pool: int, n: int, seed: int) -> np.ndarray:
    """n random clean rows (all rows are clean where the problem has no shift): the ceiling of
    'match the target's distribution', not a method a user can run."""
    rows = np.arange(n_pool) if clean is None else np.flatnonzero(clean)
    return np.random.default_rng([seed, 2]).permutation(rows)[:n]
