"""Checkpoints of a GIO run: written atomically, so a run killed at any moment (even SIGKILL)
leaves the last complete checkpoint, from which the run resumes and makes exactly the selection
the uninterrupted run would have made."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile

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
    # A fresh temporary file next to the checkpoint (created exclusively, so a planted file or link
    # is never followed or overwritten), then an atomic rename over it.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, header=np.array(json.dumps(header)), init=init,
                     selected=np.asarray(state.selected, dtype=np.int64),
                     kl_trace=np.asarray(state.kl_trace, dtype=np.float64),
                     reset_marks=np.asarray(loop.reset_marks, dtype=np.int64),
                     jump_rows=np.asarray(loop.jump_rows, dtype=np.uint64),
                     v=np.asarray(loop.v, dtype=np.float64))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic: readers see the old checkpoint or the new one, never half
    except BaseException:
        os.unlink(tmp)
        raise


# the arrays' kinds (numpy dtype.kind): integers, non-negative integers, floats
_ARRAY_KINDS = {"selected": "iu", "kl_trace": "f", "reset_marks": "iu", "jump_rows": "iu", "v": "f", "init": "f"}


def _check_fields(path, header: dict, arrays: dict) -> None:
    """Every field has the type and range the core can take (a checkpoint file is input: it may
    be damaged or edited); whether the state fits the data is checked by the core on resume."""
    def bad(what):
        raise ValueError(f"{path} is not a usable gioselect checkpoint: {what}")

    for name in _INT_FIELDS + _LOOP_INTS:
        value = header.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**62:
            bad(f"{name} is {value!r}, expected a whole number in [0, 2**62)")
    for name in ("kl_start", "kl_prev", "scale_factor"):
        if isinstance(header.get(name), bool) or not isinstance(header.get(name), (int, float)):
            bad(f"{name} is {header.get(name)!r}, expected a number")
    if not isinstance(header.get("just_reset"), bool):
        bad(f"just_reset is {header.get('just_reset')!r}, expected true or false")
    if not isinstance(header.get("params"), dict):
        bad("it has no parameters")
    for name, kinds in _ARRAY_KINDS.items():
        a = arrays[name]
        if a.dtype.kind not in kinds or a.ndim != (2 if name == "init" else 1) or (a.dtype.kind == "i" and (a < 0).any()):
            bad(f"{name} holds a {a.ndim}-D {a.dtype} array")


def load(path: str) -> tuple[_core.Result, dict, np.ndarray]:
    """(state, meta, init) from a checkpoint written by save()."""
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:  # our handle: closed on any error
            header = json.loads(str(z["header"]))
            arrays = {k: z[k] for k in ("init", "selected", "kl_trace", "reset_marks", "jump_rows", "v")}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"{path} is not a gioselect checkpoint ({e})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else None
        raise ValueError(f"{path} has checkpoint format {found!r}; this gioselect reads {FORMAT}")
    _check_fields(path, header, arrays)
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
