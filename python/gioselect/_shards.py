"""The descent's projection over a pool cut into shards of consecutive rows (docs/dask.md).

Each shard is a `_core.ShardIndex*`: the one-process exact projection (PoolIndex, certified cache
included) over its rows, answering with global row numbers and the rows' squared distances. A
row's squared distance is a function of the row and the query alone (the scan's row tiles give
the bits sq_diff gives: cpp/tests/test_pool_index.cpp), so the c smallest (distance, row) pairs
of the shards' own c nearest are the c nearest of the whole pool, ties to the lowest row: one
process's answer. `ShardedProjection` is that merge, with the protocol of `_core.select_descent`;
where the shards live (this process, Dask actors) is the caller's `ask`.
"""

from __future__ import annotations

import numpy as np

from gioselect import _core
from gioselect._blocks import all_finite


def shard_index(rows: np.ndarray, first_row: int, metric: str, n_threads: int, name: str):
    """The ShardIndex of pool rows [first_row, first_row + len(rows)), their values checked as one
    process checks the pool (errors name the global row)."""
    rows = np.ascontiguousarray(rows)
    if rows.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name}: shard rows must be float32 or float64, got {rows.dtype}")
    all_finite(rows, name, first_row)
    if metric == "cosine":
        zero = np.flatnonzero(np.einsum("ij,ij->i", rows, rows, dtype=np.float64) < np.finfo(np.float64).tiny)
        if len(zero):
            raise ValueError(f"pool row {first_row + int(zero[0])} is zero: metric='cosine' scales every row to unit "
                             f"length; drop that row or use metric='euclidean'")
    kind = _core.ShardIndexF32 if rows.dtype == np.float32 else _core.ShardIndexF64
    return kind(rows, int(first_row), metric, int(n_threads))


class ShardedProjection:
    """A projection for `_core.select_descent` over shards whose first rows are `starts` (sorted,
    the last entry the pool's row count). ask(calls, log) sends shard s the call calls[s] = (v, c,
    taken, refilled) of ShardIndex.nearest and returns each shard's (distances, rows, values);
    log[s] is every row of shard s taken since the last refill, this call's included (the pick
    log, from which a lost shard is rebuilt). read_rows(rows) -> their values: what a resumed run
    asks for the rows its state selected (None: resuming is not offered)."""

    def __init__(self, starts, ask, values_dtype, read_rows=None):
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ask = ask
        self.dtype = np.dtype(values_dtype)
        self.read_rows = read_rows
        self.calls = 0
        self.log = [[] for _ in range(self.n_shards)]

    @property
    def n_shards(self) -> int:
        return len(self.starts) - 1

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """The values of pool rows `rows` (the protocol's resume call), in the values' dtype."""
        if self.read_rows is None:
            raise RuntimeError("this sharded projection cannot read rows, so it cannot resume a run")
        return np.ascontiguousarray(self.read_rows(rows), dtype=self.dtype)

    def owner(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.starts, rows, side="right") - 1

    def nearest(self, v, c, taken, refilled):
        owner = self.owner(taken)
        calls = [(v, int(c), np.ascontiguousarray(taken[owner == s]), bool(refilled)) for s in range(self.n_shards)]
        for s, call in enumerate(calls):
            if refilled:
                self.log[s].clear()
            self.log[s].extend(call[2].tolist())
        answers = self.ask(calls, self.log)
        self.calls += 1
        dist = np.concatenate([a[0] for a in answers])
        rows = np.concatenate([a[1] for a in answers])
        values = np.concatenate([a[2] for a in answers]) if answers else np.empty((0, len(v)), self.dtype)
        best = np.lexsort((rows, dist))[:c]  # by distance, then by row: one process's tie rule
        return rows[best], np.ascontiguousarray(values[best], dtype=self.dtype)


def local_shards(pool: np.ndarray, bounds, metric: str = "euclidean", n_threads: int = 1) -> ShardedProjection:
    """Shards of a pool in this process, cut at `bounds` (first rows, then len(pool)): the
    sharded projection without a cluster (tests, and the reference for Dask's)."""
    shards = [shard_index(pool[lo:hi], lo, metric, n_threads, "X (the pool)") for lo, hi in zip(bounds[:-1], bounds[1:])]
    return ShardedProjection(bounds, lambda calls, log: [s.nearest(*call) for s, call in zip(shards, calls)],
                             pool.dtype, read_rows=lambda rows: pool[rows])
