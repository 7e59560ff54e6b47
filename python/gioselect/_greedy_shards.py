"""search='greedy' over a pool cut into shards of consecutive rows (docs/dask.md, "Greedy on
shards").

Each shard is a `_core.GreedyShard*`: its rows' scores, made with one process's arithmetic and
decisions, so that merging the shards' answers gives one process's pick. The knn objective: each
shard keeps every one of its rows' KnnKL gain scores; a kept pick's changed targets (with their
nu_{k-1}, nu_k before and after, the client's KnnKL values) go to every shard, which updates its
scores as one process updates those rows; a target's list is built when the whole pool's count
of rows within its nu_k, summed here, says so (one process's rule, sent with the next pick); each
shard answers with its candidates (the rows that can be the pick whatever the other shards hold),
and the core applies the tie rule to them all (`_core.select_greedy`). The relaxed objective: each
shard ranks its rows by (value, row), and the ranking of the pool is their merge.

`ShardedGreedy` is the client's half, with the protocol of `_core.select_greedy`; where the shards
live (this process, Dask actors) is the caller's `ask`.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from gioselect import _core
from gioselect._shards import checked_rows


def greedy_shard(rows: np.ndarray, first_row: int, pool_rows: int, target: np.ndarray, k: int, metric: str,
                 n_threads: int, name: str):
    """The GreedyShard of rows [first_row, first_row + len(rows)) of a pool of pool_rows rows, their
    values checked as the descent's shards check them (_shards.checked_rows); rows in the target's
    dtype."""
    rows = checked_rows(rows, first_row, metric, name)
    kind = _core.GreedyShardF32 if rows.dtype == np.float32 else _core.GreedyShardF64
    return kind(rows, int(first_row), int(pool_rows), np.ascontiguousarray(target, dtype=rows.dtype), int(k), metric,
                int(n_threads))


def replay(shard, calls):
    """Runs (method, args) calls on a shard in order; the last one's answer."""
    answer = None
    for method, args in calls:
        answer = getattr(shard, method)(*args)
    return answer


class ShardedGreedy:
    """A source for `_core.select_greedy` over shards whose first rows are `starts` (sorted, the
    last entry the pool's row count). ask(method, calls) runs shard s's method with the args
    calls[s] (a dict: some shards only) and returns {s: answer}; `history` is every call that
    changed the shards' state so far, in order (what a rebuilt shard replays before the call in
    flight). read_rows(rows) -> their values (a resumed run's selection; None: no resume)."""

    RANKED_ROWS = 256  # ranked rows fetched from a shard at once (relaxed)

    def __init__(self, starts, ask, values_dtype, eps: float, read_rows=None):
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ask = ask
        self.dtype = np.dtype(values_dtype)
        self.eps = float(eps)
        self.read_rows = read_rows
        self.history = []
        self.calls = 0
        self.bytes_sent = self.bytes_received = 0  # the calls' arrays, both ways, summed over shards
        self._ranked = [deque() for _ in range(self.n_shards)]
        self._fetched = [0] * self.n_shards
        self._ranked_out = [False] * self.n_shards

    @property
    def n_shards(self) -> int:
        return len(self.starts) - 1

    def _all(self, method, args):
        calls = {s: args for s in range(self.n_shards)}
        answers = self._ask(method, calls)
        self.history.append((method, args))
        return [answers[s] for s in range(self.n_shards)]

    def _ask(self, method, calls):
        answers = self.ask(method, calls)
        self.calls += 1
        self.bytes_sent += sum(a.nbytes for args in calls.values() for a in args if isinstance(a, np.ndarray))
        self.bytes_received += sum(a.nbytes for ans in answers.values() if ans is not None for a in ans
                                   if isinstance(a, np.ndarray))
        return answers

    # the protocol of _core.select_greedy
    def start(self, nu_k1, nu_k, taken):
        if nu_k is None:  # relaxed: every shard ranks its rows
            self._all("relaxed_rank", (self.eps,))
            return None
        return self._merge(self._all("knn_start", (nu_k1, nu_k, taken)))

    def step(self, taken, build, targets, old_nu_k1, old_nu_k, new_nu_k1, new_nu_k):
        return self._merge(self._all("knn_step", (taken, build, targets, old_nu_k1, old_nu_k, new_nu_k1, new_nu_k)))

    def _merge(self, answers):
        counted = answers[0][0]
        for a in answers[1:]:
            if not np.array_equal(a[0], counted):  # every shard makes the same decisions, or the run is wrong
                raise RuntimeError("greedy shards disagree on the targets they counted; a shard missed a call")
        counts = np.sum([a[1] for a in answers], axis=0, dtype=np.int64)
        values = np.concatenate([a[4] for a in answers]) if answers else np.empty((0, 0), self.dtype)
        return (counted, counts, np.concatenate([a[2] for a in answers]), np.concatenate([a[3] for a in answers]),
                np.ascontiguousarray(values, dtype=self.dtype))

    def next(self):
        """The next row of the pool's relaxed ranking (its merge by (value, row)) and its values."""
        empty = {s: (self._fetched[s], self.RANKED_ROWS) for s in range(self.n_shards)
                 if not self._ranked[s] and not self._ranked_out[s]}
        if empty:
            for s, (values, rows, vals) in self._ask("relaxed_ranked", empty).items():
                self._fetched[s] += len(rows)
                self._ranked_out[s] = len(rows) < self.RANKED_ROWS
                self._ranked[s].extend(zip(values.tolist(), rows.tolist(), vals))
        heads = [(q[0][0], q[0][1], s) for s, q in enumerate(self._ranked) if q]
        if not heads:
            return -1, None
        _, row, s = min(heads)  # by value, then row: one process's stable ranking
        _, _, vals = self._ranked[s].popleft()
        return row, np.ascontiguousarray(vals[None, :], dtype=self.dtype)

    def rows(self, rows: np.ndarray) -> np.ndarray:
        if self.read_rows is None:
            raise RuntimeError("this sharded greedy source cannot read rows, so it cannot resume a run")
        return np.ascontiguousarray(self.read_rows(rows), dtype=self.dtype)


def local_greedy(pool: np.ndarray, bounds, target: np.ndarray, options: _core.Options,
                 n_threads: int = 1) -> ShardedGreedy:
    """Greedy shards of a pool in this process, cut at `bounds` (first rows, then len(pool)), for
    a run with these options: the sharded greedy without a cluster (tests, and the reference for
    Dask's)."""
    shards = [greedy_shard(pool[lo:hi], lo, len(pool), target, options.objective.k, options.metric, n_threads,
                           "X (the pool)") for lo, hi in zip(bounds[:-1], bounds[1:])]
    return ShardedGreedy(bounds, lambda method, calls: {s: getattr(shards[s], method)(*a) for s, a in calls.items()},
                         pool.dtype, options.objective.eps, read_rows=lambda rows: pool[rows])
