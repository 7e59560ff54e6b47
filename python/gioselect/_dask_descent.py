"""search='descent' on a Dask pool: the descent on the client, its projection on shards held by
Dask actors, one per chunk (docs/dask.md, "The descent on shards").

Each non-empty chunk becomes a `Shard` actor on a worker (chunks dealt to the workers in turn),
which reads its rows there (from the pool's storage, never through the client), checks them as
one process checks the pool, and holds `gioselect._shards.shard_index` over them: the exact
PoolIndex, certified cache included, and its taken rows. The client runs `_core.select_descent`:
the target, the estimator, the stop rules, the RNG and the pick log stay here; each projection
is one round trip, sending every shard the query point and the rows taken since its last call,
and merging the shards' nearest rows (with their values) by (squared distance, row), which is
one process's answer (gioselect._shards).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from gioselect import _core, _shards

log = logging.getLogger("gioselect")


class Shard:
    """A Dask actor: the exact projection over one chunk of the pool (global rows lo..hi-1)."""

    def __init__(self, rows, first_row: int, metric: str, n_threads: int, name: str):
        self.index = _shards.shard_index(rows, first_row, metric, n_threads, name)
        self.first_row, self.n_rows = int(first_row), len(rows)

    def nearest(self, v, c, taken, refilled):
        return self.index.nearest(v, c, taken, refilled)


class DaskShards:
    """The pool's shards as actors on the client's workers, built at construction; close() (or
    the with block's end) releases them."""

    def __init__(self, pool, dtype, metric: str, n_threads: int, name: str = "X (the pool)"):
        self.pool, self.client = pool, pool.client
        X = pool.array if pool.dtype == dtype else pool.array.astype(dtype)
        starts = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)
        workers = sorted(self.client.scheduler_info()["workers"])
        t0 = time.perf_counter()
        self._actor_futures, self.starts = [], [0]
        self.bytes_sent = self.bytes_received = 0  # the projections' arrays, both ways
        chunk_futures = []
        for chunk, lo, hi in zip(X.to_delayed()[:, 0], starts[:-1], starts[1:]):
            if hi == lo:
                continue  # an empty chunk holds no shard
            worker = workers[len(chunk_futures) % len(workers)]
            rows = self.client.compute(chunk, workers=[worker])
            chunk_futures.append(rows)
            self._actor_futures.append(self.client.submit(Shard, rows, int(lo), metric, int(n_threads), name,
                                                          actor=True, workers=[worker], pure=False))
            self.starts.append(int(hi))
        try:
            self.actors = [f.result() for f in self._actor_futures]  # the first bad chunk's error, in row order
        except BaseException:
            self.close()
            raise
        finally:
            del chunk_futures  # the actors keep their rows
        self.build_seconds = time.perf_counter() - t0
        self.projection = _shards.ShardedProjection(self.starts, self._ask, dtype)
        self.projection.rows = lambda rows: np.ascontiguousarray(pool.take(rows, "the resumed selection's rows"),
                                                                 dtype=dtype)

    def _ask(self, calls):
        futures = [actor.nearest(*call) for actor, call in zip(self.actors, calls)]
        answers = [f.result() for f in futures]
        self.bytes_sent += sum(call[0].nbytes + call[2].nbytes for call in calls)
        self.bytes_received += sum(a.nbytes for answer in answers for a in answer)
        return answers

    def close(self):
        for f in self._actor_futures:
            f.release()
        self._actor_futures = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run(pool, target: np.ndarray, init: np.ndarray, options: _core.Options, *, on_step=None, on_checkpoint=None,
        resume=None) -> _core.Result:
    """_engine.run for a gioselect._dask.DaskPool: the same Result, the projection on the shards."""
    # as_current: an actor's handle finds its client as the current one (the fit's may not be the default).
    # The shards scan on their worker's OpenMP default (n_threads=0): the worker's cores are its own.
    with pool.client.as_current(), DaskShards(pool, target.dtype, options.metric, 0) as shards:
        t0 = time.perf_counter()
        res = _core.select_descent(shards.projection, pool.shape[0], target, init, options, on_step, on_checkpoint,
                                   resume)
        calls = max(shards.projection.calls, 1)
        log.info("Dask descent on %d shards: built in %.2f s, %d projections in %.2f s (%.2f ms each), %d bytes "
                 "sent and %d received per projection", len(shards.actors), shards.build_seconds,
                 shards.projection.calls, time.perf_counter() - t0, 1e3 * (time.perf_counter() - t0) / calls,
                 shards.bytes_sent // calls, shards.bytes_received // calls)
    return res
