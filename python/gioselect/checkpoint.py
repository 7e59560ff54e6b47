"""Checkpoints of a GIO run: written atomically, so a run killed at any moment (even SIGKILL)
leaves the last complete checkpoint, from which the run resumes and makes exactly the selection
the uninterrupted run would have made."""

from __future__ import annotations

import json
import os

import numpy as np

from gioselect import _core

FORMAT = 2  # 2: parameters objective/projection (were estimator/exact_search)
_INT_FIELDS = ("n_iter", "n_resets")
_LOOP_INTS = ("i", "total", "increases", "run_of_increases", "rng_draws")


def save(path: str, state: _core.Result, meta: dict, init: np.ndarray) -> None:
    """Write state (a core Result between two iterations), meta and the start rows to path."""
    loop = state.loop
    header = dict(meta, format=FORMAT, kl_start=state.kl_start, scale_factor=state.scale_factor,
                  just_reset=bool(loop.just_reset), kl_prev=loop.kl_prev,
                  **{f: int(getattr(state, f)) for f in _INT_FIELDS},
                  **{f: int(getattr(loop, f)) for f in _LOOP_INTS})
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        np.savez(f, header=np.array(json.dumps(header)), init=init,
                 selected=np.asarray(state.selected, dtype=np.int64),
                 kl_trace=np.asarray(state.kl_trace, dtype=np.float64),
                 reset_marks=np.asarray(loop.reset_marks, dtype=np.int64),
                 jump_rows=np.asarray(loop.jump_rows, dtype=np.uint64),
                 v=np.asarray(loop.v, dtype=np.float64))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # atomic: readers see the old checkpoint or the new one, never half


def load(path: str) -> tuple[_core.Result, dict, np.ndarray]:
    """(state, meta, init) from a checkpoint written by save()."""
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            arrays = {k: z[k] for k in ("init", "selected", "kl_trace", "reset_marks", "jump_rows", "v")}
    except (OSError, KeyError, ValueError) as e:
        raise ValueError(f"{path} is not a gioselect checkpoint ({e})") from None
    if header.get("format") != FORMAT:
        raise ValueError(f"{path} has checkpoint format {header.get('format')!r}; this gioselect reads {FORMAT}")
    state = _core.Result()
    state.selected = arrays["selected"].tolist()
    state.kl_trace = arrays["kl_trace"].tolist()
    state.kl_start = header["kl_start"]
    state.scale_factor = header["scale_factor"]
    for f in _INT_FIELDS:
        setattr(state, f, header[f])
    loop = _core.LoopState()
    loop.kl_prev = header["kl_prev"]
    loop.just_reset = header["just_reset"]
    for f in _LOOP_INTS:
        setattr(loop, f, header[f])
    loop.reset_marks = arrays["reset_marks"].tolist()
    loop.jump_rows = arrays["jump_rows"].tolist()
    loop.v = arrays["v"].tolist()
    state.loop = loop
    return state, header, arrays["init"]
