"""Checkpoints of a GIO run: written atomically, so a run killed at any moment (even SIGKILL)
leaves the last complete checkpoint, from which the run resumes and makes exactly the selection
the uninterrupted run would have made."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile

import numpy as np

from gioselect import _core

FORMAT = 4  # 4: v and scale_factor in the target's frame; 3: a checksum per field; 2: parameters objective/projection
_INT_FIELDS = ("n_iter", "n_resets")
_LOOP_INTS = ("i", "total", "increases", "run_of_increases", "rng_draws")
_META = ("params", "run_seed", "quant_seed", "pool", "target", "init_indices", "stop_reason")
_HEADER = _META + ("format", "kl_start", "scale_factor", "just_reset", "kl_prev") + _INT_FIELDS + _LOOP_INTS
_ARRAYS = ("init", "selected", "kl_trace", "reset_marks", "jump_rows", "v")
# the arrays' kinds (numpy dtype.kind): integers, non-negative integers, floats
_ARRAY_KINDS = {"selected": "iu", "kl_trace": "f", "reset_marks": "iu", "jump_rows": "iu", "v": "f", "init": "f"}
# The core's integer types: C int, int64 or uint64; a value beyond them is refused by name here.
_INT_BOUNDS = dict(n_iter=2**63, n_resets=2**31, i=2**63, total=2**63, increases=2**31, run_of_increases=2**31,
                   rng_draws=2**64, run_seed=2**64, quant_seed=2**64)


def save(path: str, state: _core.Result, meta: dict, init: np.ndarray) -> None:
    """Write state (a core Result between two iterations), meta and the start rows to path."""
    loop = state.loop
    header = dict({"stop_reason": None, **meta}, format=FORMAT, kl_start=state.kl_start,
                  scale_factor=state.scale_factor, just_reset=bool(loop.just_reset), kl_prev=loop.kl_prev,
                  **{f: int(getattr(state, f)) for f in _INT_FIELDS},
                  **{f: int(getattr(loop, f)) for f in _LOOP_INTS})
    arrays = dict(init=init, selected=np.asarray(state.selected, dtype=np.int64),
                  kl_trace=np.asarray(state.kl_trace, dtype=np.float64),
                  reset_marks=np.asarray(loop.reset_marks, dtype=np.int64),
                  jump_rows=np.asarray(loop.jump_rows, dtype=np.uint64), v=np.asarray(loop.v, dtype=np.float64))
    header = json.loads(json.dumps(header))  # as load() will read it
    header["checksums"] = checksums(header, arrays)
    # A fresh temporary file next to the checkpoint (created exclusively, so a planted file or link
    # is never followed or overwritten), then an atomic rename over it.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, header=np.array(json.dumps(header)), **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic: readers see the old checkpoint or the new one, never half
    except BaseException:
        os.unlink(tmp)
        raise


# Checksums: a file changed after it was written (an edit, a bad disk, another program) is refused
# naming what changed, rather than resumed into another selection than the run's. The zip
# container's CRCs already catch flipped bits; these also catch a file rewritten with new values.
def checksums(header: dict, arrays: dict) -> dict:
    """The checksum of every header field (but "checksums") and of every array."""
    return {**{k: _digest_value(v) for k, v in header.items() if k != "checksums"},
            **{k: _digest_array(a) for k, a in arrays.items()}}


def _digest_value(value) -> str:
    return hashlib.blake2b(json.dumps(value, sort_keys=True).encode(), digest_size=16).hexdigest()


def _digest_array(a: np.ndarray) -> str:
    h = hashlib.blake2b(f"{a.dtype.str}{a.shape}".encode(), digest_size=16)
    h.update(np.ascontiguousarray(a).view(np.uint8) if a.size else b"")
    return h.hexdigest()


def _check_checksums(bad, header: dict, arrays: dict) -> None:
    sums = header.get("checksums")
    if not isinstance(sums, dict):
        bad(f"its checksums are {sums!r}, expected a table of every field's checksum")
    for name in sorted(set(sums) | set(arrays) | set(header) - {"checksums"}):
        value = header.get(name, arrays.get(name))
        if name not in sums:
            bad(f"{name} has no checksum (a field added after the file was written)")
        if name not in header and name not in arrays:
            bad(f"{name} is missing (it has a checksum)")
        digest = _digest_value(value) if name in header else _digest_array(value)
        if sums[name] != digest:
            bad(f"{name} differs from its checksum: the file was changed after it was written")


def _check_fields(bad, header: dict, arrays: dict) -> None:
    """Every field has the type and range the core can take (a checkpoint file is input: it may
    be damaged or edited); whether the state fits the data is checked by the core on resume."""
    for name in _HEADER:
        if name not in header:
            bad(f"it has no {name}")
    for name, high in _INT_BOUNDS.items():
        value = header[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < high:
            bad(f"{name} is {value!r}, expected a whole number in [0, 2**{high.bit_length() - 1})")
    for name in ("kl_start", "kl_prev", "scale_factor"):
        value = header[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value) > 1.7e308:
            bad(f"{name} is {value!r}, expected a number")
    if not isinstance(header["just_reset"], bool):
        bad(f"just_reset is {header['just_reset']!r}, expected true or false")
    if not isinstance(header["params"], dict):
        bad(f"params is {header['params']!r}, expected a table of parameters")
    for name in ("pool", "target"):
        if not isinstance(header[name], str):
            bad(f"{name} is {header[name]!r}, expected the fingerprint of the run's {name}")
    if header["stop_reason"] is not None and not isinstance(header["stop_reason"], str):
        bad(f"stop_reason is {header['stop_reason']!r}, expected a name or null")
    rows = header["init_indices"]
    if rows is not None and (not isinstance(rows, list) or len(rows) != len(arrays["init"]) or any(
            isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < 2**63 for r in rows)):
        bad(f"init_indices is not null or a list of {len(arrays['init'])} pool rows (one per row of init)")
    for name, kinds in _ARRAY_KINDS.items():
        a = arrays[name]
        if a.dtype.kind not in kinds or a.ndim != (2 if name == "init" else 1):
            bad(f"{name} holds a {a.ndim}-D {a.dtype} array")
        if name in ("selected", "reset_marks") and a.size and not 0 <= a.min() <= a.max() < 2**63:  # int64
            bad(f"{name} holds {a.min() if a.min() < 0 else a.max()}, expected rows or counts in [0, 2**63)")
        if name == "jump_rows" and a.size and a.min() < 0:
            bad(f"jump_rows holds {a.min()}, expected target rows")
    init = arrays["init"]
    if init.dtype not in (np.float32, np.float64) or 0 in init.shape or not np.isfinite(init).all():
        bad(f"init holds a {init.shape} {init.dtype} array, expected finite float32 or float64 start rows")



def load(path: str) -> tuple[_core.Result, dict, np.ndarray]:
    """(state, meta, init) from a checkpoint written by save()."""
    def bad(what):
        raise ValueError(f"{path} is not a usable gioselect checkpoint: {what}")

    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:  # our handle: closed on any error
            files = set(z.files)
            text = z["header"] if "header" in files else None
            arrays = {k: z[k] for k in _ARRAYS if k in files}  # only the format's fields are read
    except Exception as e:  # a damaged file: zip, npy header (numpy's parser raises its own kinds), data
        raise ValueError(f"{path} is not a gioselect checkpoint ({type(e).__name__}: {e})") from None
    for name in ("header",) + _ARRAYS:
        if name not in files:
            bad(f"it has no {name}")
    unknown = sorted(files - {"header", *_ARRAYS})
    if unknown:
        bad(f"it holds {unknown[0]!r}, not a field of a gioselect checkpoint")
    try:
        header = json.loads(str(text)) if text.dtype.kind == "U" and text.ndim == 0 else None
    except ValueError:
        header = None
    if not isinstance(header, dict):
        bad("its header is not a JSON table")
    if header.get("format") != FORMAT:
        raise ValueError(f"{path} has checkpoint format {header.get('format')!r}; this gioselect reads {FORMAT}")
    _check_checksums(bad, header, arrays)
    _check_fields(bad, header, arrays)
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
