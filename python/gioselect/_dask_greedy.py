"""search='greedy' on a Dask pool: the greedy loop on the client, its scores on shards held by
Dask actors, one per chunk (docs/dask.md, "Greedy on shards").

Each non-empty chunk becomes a `GreedyShardActor` on a worker (chunks dealt to the workers in
turn), which reads its rows there (from the pool's storage, never through the client), checks
them as one process checks the pool, builds the run's target statistics from the target it is
sent, and holds its rows' scores (gioselect._greedy_shards). The client runs `_core.select_greedy`:
the estimator, the stop rules and the pick log stay here; each knn pick is one round trip to
every shard (the previous pick's changed targets out, each shard's candidates back), and the
relaxed ranking is merged from the shards' ranked rows, a batch at a time.

A shard whose actor is lost is rebuilt from its chunk on a live worker and replays the client's
log of the calls that changed its state (`ShardedGreedy.history`), then the call in flight is
retried; each build has an epoch that its replies carry, and a reply of another epoch is not
used. The build and rebuild machinery follows gioselect._dask_descent.DaskShards (copied, not
shared: that class builds descent shards).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from gioselect import _core, _dask_faults, _greedy_shards
from gioselect._dask_descent import ShardLost

log = logging.getLogger("gioselect")


class GreedyShardActor:
    """A Dask actor: one chunk's GreedyShard, answering with its epoch (the how-many-th build of
    this shard) so that no reply of an older build is used."""

    def __init__(self, rows, first_row: int, pool_rows: int, target, k: int, metric: str, n_threads: int, name: str,
                 epoch: int = 0):
        self.shard = _greedy_shards.greedy_shard(rows, first_row, pool_rows, target, k, metric, n_threads, name)
        self.epoch = epoch

    def call(self, method: str, args, replay=()):
        """The log's calls `replay` (a rebuilt shard's state), then method(*args)."""
        _greedy_shards.replay(self.shard, replay)
        return self.epoch, getattr(self.shard, method)(*args)


class DaskGreedyShards:
    """The pool's greedy shards as actors on the client's workers, built at construction; close()
    (or the with block's end) releases them. `source` is the ShardedGreedy of _core.select_greedy."""

    REBUILDS_PER_CALL = 3  # a shard lost again and again in one call (its chunk kills workers?) stops the fit

    def __init__(self, pool, target: np.ndarray, options: _core.Options, n_threads: int, name: str = "X (the pool)"):
        self.client = pool.client
        X = pool.array if pool.dtype == target.dtype else pool.array.astype(target.dtype)
        starts = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)
        # the target goes in each build's task, held by the scheduler (not scattered: a scattered
        # value dies with its workers, and a rebuild after that would find it gone)
        self._target = target
        self._args = (int(pool.shape[0]), options.objective.k, options.metric, int(n_threads), name)
        workers = sorted(self.client.scheduler_info()["workers"])
        t0 = time.perf_counter()
        self._chunks, self.starts, self.epochs, self.rebuilds = [], [0], [], 0
        for chunk, lo, hi in zip(X.to_delayed()[:, 0], starts[:-1], starts[1:]):
            if hi > lo:  # an empty chunk holds no shard
                self._chunks.append(chunk)
                self.starts.append(int(hi))
                self.epochs.append(0)
        self._futures = [self._submit(s, workers[s % len(workers)]) for s in range(len(self._chunks))]
        try:  # the first bad chunk's error, in row order
            self.actors = _dask_faults.gather(self.client, list(self._futures), "the build of the greedy shards",
                                              [self._what(s) for s in range(len(self._chunks))])
        except BaseException:
            self.close()
            raise
        self.build_seconds = time.perf_counter() - t0
        self.source = _greedy_shards.ShardedGreedy(
            self.starts, self._ask, target.dtype, options.objective.eps,
            read_rows=lambda rows: pool.take(rows, "the resumed selection's rows"))

    def _what(self, s: int) -> str:
        return f"greedy shard {s} (rows {self.starts[s]:,}-{self.starts[s + 1] - 1:,})"

    def _submit(self, s: int, worker=None):
        """Shard s's actor (a future of it), on `worker` if it is alive (else where the scheduler
        chooses), its chunk read on a worker; no worker restriction on the chunk's task (see
        DaskShards._submit: a restriction to a dead worker stays on the chunk's key)."""
        rows = self.client.compute(self._chunks[s])
        where = dict(workers=[worker], allow_other_workers=True) if worker else {}
        return self.client.submit(GreedyShardActor, rows, self.starts[s], self._args[0], self._target,
                                  *self._args[1:], self.epochs[s], actor=True, pure=False, **where)

    def _ask(self, method, calls):
        answers = {}
        pending = {s: () for s in calls}  # shard -> the log's calls it replays first
        for attempt in range(self.REBUILDS_PER_CALL + 1):
            lost, futures = [], {}
            for s, replay in pending.items():
                try:
                    futures[s] = self.actors[s].call(method, calls[s], replay)
                except RuntimeError as e:  # the actor's future already erred: "Worker holding Actor was lost"
                    lost.append((s, e))
            for s, f in futures.items():
                try:
                    epoch, answer = f.result()
                except OSError as e:  # "Unable to contact Actor's worker", a closed comm
                    lost.append((s, e))
                    continue
                if epoch != self.epochs[s]:  # a reply of an older build: fenced
                    lost.append((s, ShardLost(f"a reply of epoch {epoch} from shard {s}, now at {self.epochs[s]}")))
                    continue
                answers[s] = answer
            if not lost:
                return answers
            if attempt == self.REBUILDS_PER_CALL:
                s, e = lost[0]
                raise RuntimeError(f"the Dask greedy search lost {self._what(s)} {attempt + 1} times in one call "
                                   f"({type(e).__name__}: {e}); its chunk may not fit in a worker's memory") from e
            pending = {}
            for s, e in sorted(lost, key=lambda x: x[0]):
                history = self.source.history
                log.warning("Dask greedy: %s lost (%s: %s); rebuilding it from its chunk and replaying %d calls",
                            self._what(s), type(e).__name__, e, len(history))
                self._rebuild(s)
                pending[s] = tuple(history)
        raise AssertionError("not reached")

    def _rebuild(self, s: int) -> None:
        self._futures[s].release()
        self.epochs[s] += 1
        self.rebuilds += 1
        self._futures[s] = self._submit(s)
        self.actors[s] = _dask_faults.gather(self.client, [self._futures[s]], "the rebuild of a lost greedy shard",
                                             [self._what(s)])[0]

    def close(self):
        for f in self._futures:
            f.release()
        self._futures = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run(pool, target: np.ndarray, init: np.ndarray, options: _core.Options, *, on_step=None, on_checkpoint=None,
        resume=None) -> _core.Result:
    """_engine.run for a gioselect._dask.DaskPool: the same Result, the scores on the shards."""
    # as_current: an actor's handle finds its client as the current one (the fit's may not be the default).
    # The shards score on their worker's OpenMP default (n_threads=0): the worker's cores are its own.
    with pool.client.as_current(), DaskGreedyShards(pool, target, options, 0) as shards:
        t0 = time.perf_counter()
        res = _core.select_greedy(shards.source, pool.shape[0], target, init, options, on_step, on_checkpoint, resume)
        src, seconds = shards.source, time.perf_counter() - t0
        calls = max(src.calls, 1)
        log.info("Dask greedy on %d shards: built in %.2f s, %d calls in %.2f s (%.2f ms each), %d bytes sent and %d "
                 "received per call, %d shards rebuilt", len(shards.actors), shards.build_seconds, src.calls, seconds,
                 1e3 * seconds / calls, src.bytes_sent // calls, src.bytes_received // calls, shards.rebuilds)
    return res
