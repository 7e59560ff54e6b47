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


PROJECTION_FIELDS = ("mode", "hnsw_m", "ef_construction", "ef_search", "rerank", "seed", "audit")


def projection_settings(options) -> dict:
    """A run's ProjectionOptions as plain values (what a shard's actor is sent: they pickle)."""
    return {name: getattr(options, name) for name in PROJECTION_FIELDS}


def checked_rows(rows: np.ndarray, first_row: int, metric: str, name: str) -> np.ndarray:
    """Pool rows [first_row, first_row + len(rows)) of a shard (any search's), C-contiguous, their
    values checked as one process checks the pool (errors name the global row)."""
    rows = np.ascontiguousarray(rows)
    if rows.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name}: shard rows must be float32 or float64, got {rows.dtype}")
    all_finite(rows, name, first_row)
    if metric == "cosine":
        zero = np.flatnonzero(np.einsum("ij,ij->i", rows, rows, dtype=np.float64) < np.finfo(np.float64).tiny)
        if len(zero):
            raise ValueError(f"pool row {first_row + int(zero[0])} is zero: metric='cosine' scales every row to unit "
                             f"length; drop that row or use metric='euclidean'")
    return rows


def shard_index(rows: np.ndarray, first_row: int, metric: str, n_threads: int, name: str, projection=None):
    """The ShardIndex of pool rows [first_row, first_row + len(rows)), their values checked
    (checked_rows). projection: projection_settings() of an exact or HNSW projection (None: exact)."""
    rows = checked_rows(rows, first_row, metric, name)
    opts = _core.ProjectionOptions()
    opts.mode = "exact"
    for key, value in (projection or {}).items():
        setattr(opts, key, value)
    kind = _core.ShardIndexF32 if rows.dtype == np.float32 else _core.ShardIndexF64
    return kind(rows, int(first_row), metric, int(n_threads), opts)


class ShardedProjection:
    """A projection for `_core.select_descent` over shards whose first rows are `starts` (sorted,
    the last entry the pool's row count). ask(calls, log, method) sends shard s the call calls[s]
    = (v or points, c, taken, refilled) of ShardIndex.nearest or .nearest_batch (`method`) and
    returns each shard's answer; log[s] is every row of shard s taken since the last refill, this
    call's included (the pick log, from which a lost shard is rebuilt). read_rows(rows) -> their
    values: what a resumed run asks for the rows its state selected (None: resuming is not
    offered). lookahead > 0: the run announces up to that many queries (`upcoming`), which one
    call to the shards answers (`_Batch`); takes then wait on the client for the next call."""

    def __init__(self, starts, ask, values_dtype, read_rows=None, lookahead: int = 0):
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ask = ask
        self.dtype = np.dtype(values_dtype)
        self.read_rows = read_rows
        self.lookahead = int(lookahead)
        self.calls = 0  # round trips to the shards
        self.queries = 0  # queries answered (a batch's from its one call)
        self.audited = self.exact = 0  # HNSW shards with audit: answers checked, and equal to the exact nearest
        self.log = [[] for _ in range(self.n_shards)]
        self._unsent = [[] for _ in range(self.n_shards)]  # taken here, not yet told to the shard
        self._refill_unsent = False
        self._batch = None

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

    def _record(self, taken, refilled) -> None:
        """The run's refill and takes since its last call, into the pick log and the takes to send."""
        if refilled:
            self._batch = None
            self._refill_unsent = True
            for s in range(self.n_shards):
                self.log[s].clear()
                self._unsent[s].clear()
        owner = self.owner(taken)
        for s in range(self.n_shards):
            mine = taken[owner == s].tolist()
            self.log[s].extend(mine)
            self._unsent[s].extend(mine)
        if self._batch is not None:
            self._batch.taken.update(taken.tolist())

    def _call(self, method: str, query, c: int):
        calls = [(query, int(c), np.asarray(self._unsent[s], dtype=np.int64), self._refill_unsent)
                 for s in range(self.n_shards)]
        answers = self.ask(calls, self.log, method)
        self.calls += 1
        for unsent in self._unsent:
            unsent.clear()
        self._refill_unsent = False
        return answers

    def upcoming(self, points, c, taken, refilled):
        self._record(taken, refilled)
        self._batch = _Batch(points, int(c), self._call("nearest_batch", points, c), self.dtype)

    def nearest(self, v, c, taken, refilled):
        self._record(taken, refilled)
        self.queries += 1
        answer = self._batch.answer(v, c) if self._batch is not None else None
        if answer is not None:
            return answer
        answers = self._call("nearest", v, c)
        dist = np.concatenate([a[0] for a in answers])
        rows = np.concatenate([a[1] for a in answers])
        values = np.concatenate([a[2] for a in answers]) if answers else np.empty((0, len(v)), self.dtype)
        best = np.lexsort((rows, dist))[:c]  # by distance, then by row: one process's tie rule
        if answers and len(answers[0]) == 5:  # audited: the pool's exact nearest is the least of the shards'
            exact_dist = np.concatenate([a[3] for a in answers])
            exact_rows = np.concatenate([a[4] for a in answers])
            if len(exact_rows) and len(best):
                self.audited += 1
                self.exact += int(exact_rows[np.lexsort((exact_rows, exact_dist))[0]] == rows[best[0]])
        return rows[best], np.ascontiguousarray(values[best], dtype=self.dtype)


class _Batch:
    """The shards' answers to a batch of announced queries. Query j got, from every shard, its
    c + j nearest rows available then; merged by (distance, row) and cut to c + j, they hold the
    pool's c + j nearest. Asked after at most j takes since, its c nearest still available are
    among them, so the answer is the one a call would give. Queries are matched by their bits."""

    def __init__(self, points, c, answers, dtype):
        self.c = c
        self.taken = set()
        self.lists = {}  # a query's bits -> (j, its merged rows, whether they are every row available)
        ends = [np.concatenate([[0], np.cumsum(a[2])]) for a in answers]
        for j, point in enumerate(points):
            dist = np.concatenate([a[0][e[j]:e[j + 1]] for a, e in zip(answers, ends)])
            rows = np.concatenate([a[1][e[j]:e[j + 1]] for a, e in zip(answers, ends)])
            order = np.lexsort((rows, dist))[:c + j]
            self.lists[point.tobytes()] = (j, rows[order], len(rows) < c + j)  # a repeated query: its longest list
        self.values = {}
        for a in answers:
            for r, row_values in zip(a[3].tolist(), a[4]):
                self.values[r] = row_values
        self.dtype = dtype

    def answer(self, v, c):
        """(rows, values) for query v, or None when this batch cannot answer it exactly."""
        hit = self.lists.get(np.ascontiguousarray(v, dtype=np.float64).tobytes())
        if hit is None or c != self.c:
            return None
        j, rows, complete = hit
        if len(self.taken) > j and not complete:
            return None
        rows = np.array([r for r in rows.tolist() if r not in self.taken][:c], dtype=np.int64)
        values = np.array([self.values[r] for r in rows.tolist()], dtype=self.dtype).reshape(len(rows), -1)
        return rows, np.ascontiguousarray(values)


def local_shards(pool: np.ndarray, bounds, metric: str = "euclidean", n_threads: int = 1,
                 lookahead: int = 0) -> ShardedProjection:
    """Shards of a pool in this process, cut at `bounds` (first rows, then len(pool)): the
    sharded projection without a cluster (tests, and the reference for Dask's)."""
    shards = [shard_index(pool[lo:hi], lo, metric, n_threads, "X (the pool)") for lo, hi in zip(bounds[:-1], bounds[1:])]
    return ShardedProjection(bounds, lambda calls, log, method: [getattr(s, method)(*call) for s, call in zip(shards, calls)],
                             pool.dtype, read_rows=lambda rows: pool[rows], lookahead=lookahead)
