"""Row blocks of a large array, without holding more than one block in memory.

Reading a memory-mapped file (np.memmap, or np.load(..., mmap_mode='r')) maps its pages into the
process: they stay resident, and count in its RSS, until the mapping goes away. `row_blocks`
hands back such pages after each block (madvise DONTNEED: the file's data stays in the page cache,
nothing is written), so a pass over a pool larger than memory needs memory for one block only.
"""

from __future__ import annotations

import hashlib
import mmap
import os

import numpy as np
from scipy import sparse

BLOCK_VALUES = 1 << 22  # values per block (16 MiB of float32)
# The largest magnitude the core takes (gio::kMaxMagnitude): squared distances of larger values,
# summed over the columns, overflow float64 (inf - inf = NaN in |a|^2 - 2 a.b + |b|^2).
MAX_MAGNITUDE = 1e150


def row_blocks(a: np.ndarray, block_values: int = BLOCK_VALUES):
    """Yield (first_row, block) over the rows of 2-D `a`, blocks of about block_values values."""
    rows = max(1, block_values // max(1, a.shape[1]))
    for lo in range(0, a.shape[0], rows):
        yield lo, a[lo:lo + rows]
        release(a, lo, lo + rows)


def take_rows(a: np.ndarray, rows) -> np.ndarray:
    """a[rows] as a new array. Rows of a memory-mapped file are read from the file (os.pread):
    touching them through the mapping would fault in megabytes of read-ahead around each row."""
    base, _ = _mapping(a)
    if base is None or not a.flags.c_contiguous or getattr(base, "filename", None) is None:
        return np.array(a[rows])
    index = np.arange(a.shape[0])[rows]
    row_bytes = a.shape[1] * a.itemsize
    start = base.offset + a.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    out = np.empty((len(index), a.shape[1]), dtype=a.dtype)
    fd = os.open(base.filename, os.O_RDONLY)
    try:
        for j, r in enumerate(index):
            out[j] = np.frombuffer(os.pread(fd, row_bytes, start + int(r) * row_bytes), dtype=a.dtype)
    finally:
        os.close(fd)
    return out


def _mapping(a: np.ndarray):
    """(the np.memmap that `a` views, its mmap object), or (None, None)."""
    base = a
    while base is not None and not isinstance(base, np.memmap):
        base = base.base if isinstance(base.base, np.ndarray) else None
    mm = getattr(base, "_mmap", None)
    return (base, mm) if mm is not None and hasattr(mm, "madvise") else (None, None)


def release(a: np.ndarray, lo: int, hi: int) -> None:
    """Give back the resident pages of rows [lo, hi) of a memory-mapped, C-contiguous `a`."""
    base, mm = _mapping(a)
    if mm is None or not a.flags.c_contiguous:
        return
    row_bytes = a.shape[1] * a.itemsize
    start = a.__array_interface__["data"][0] - base.__array_interface__["data"][0] + base.offset
    start += lo * row_bytes
    end = start + (min(hi, a.shape[0]) - lo) * row_bytes
    page = mmap.PAGESIZE
    first, last = -(-start // page) * page, end // page * page  # whole pages inside the rows only
    if last > first:
        mm.madvise(mmap.MADV_DONTNEED, first, last - first)


def all_finite(a: np.ndarray, name: str, first_row: int = 0) -> None:
    """Raise ValueError naming the first NaN or inf of `a` (row, column, value), block by block,
    or (float64) the first value beyond MAX_MAGNITUDE, with what to do about it; first_row: a's
    first row in the input it is part of (a chunk of a Dask pool)."""
    wide = a.dtype == np.float64
    for lo, block in row_blocks(a):
        if wide and np.max(np.abs(block), initial=0.0) <= MAX_MAGNITUDE:  # NaN fails it too
            continue
        lo += first_row
        if not np.isfinite(block).all():
            r, c = np.argwhere(~np.isfinite(block))[0]
            raise ValueError(f"{name} contains NaN or inf (first at row {lo + r}, column {c}, value {block[r, c]})")
        if wide:
            r, c = np.argwhere(np.abs(block) > MAX_MAGNITUDE)[0]
            raise ValueError(f"{name} has the value {block[r, c]:.3g} (row {lo + r}, column {c}): squared distances "
                             f"of values beyond {MAX_MAGNITUDE:.0e} overflow float64; divide the pool, target and "
                             f"init by one factor (GIO's selection does not depend on the scale)")


def fingerprint(a: np.ndarray) -> str:
    """Identity of an input (checkpoints, transform's pool check): its shape and every value, as
    float64 so that the dtype does not count, hashed block by block (a sparse matrix: its stored
    values and where they are)."""
    h = hashlib.blake2b(repr(a.shape).encode(), digest_size=20)
    if sparse.issparse(a):  # CSR with its layout made canonical, then its structure and values
        a = a.tocsr(copy=True) if not a.has_canonical_format else a
        a.sum_duplicates()
        for part in (a.indptr.astype(np.int64), a.indices.astype(np.int64), a.data.astype(np.float64)):
            h.update(part)
        return h.hexdigest()
    for _, block in row_blocks(a, BLOCK_VALUES // 4):  # small blocks: an 8 MiB float64 temporary at most
        h.update(np.ascontiguousarray(block, dtype=np.float64))
    return h.hexdigest()
