"""search='greedy' on a Dask pool: the greedy loop on the client, its scores on shards held by
Dask actors, one per chunk (docs/dask.md, "Greedy on shards").

Each non-empty chunk becomes a `GreedyShardActor` on a worker (chunks dealt to the workers in
turn), which reads its rows there (from the pool's storage, never through the client), checks
them as one process checks the pool, builds the run's target statistics from the target it is
sent, and holds its rows' scores (gioselect._greedy_shards). The client runs `_core.select_greedy`:
the estimator, the stop rules and the pick log stay here; each knn pick is one round trip to
every shard (the previous pick's changed targets out, each shard's candidates back), and the
relaxed ranking is merged from the shards' ranked rows, a batch at a time.

A shard whose actor is lost (its worker died, left, or sent no heartbeat for
gioselect.shard-timeout) is rebuilt from its chunk on a live worker and replays the client's log
of the calls that changed its state (`ShardedGreedy.history`), then the call in flight is
retried; each build has an epoch that its replies carry, and a reply of another epoch is not
used (the machinery is gioselect._dask_actors', shared with the descent).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from gioselect import _core, _dask_actors, _greedy_shards

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


class DaskGreedyShards(_dask_actors.ShardActors):
    """The pool's greedy shards as actors on the client's workers (gioselect._dask_actors: built at
    construction, rebuilt when lost, released by close()). `source` is the ShardedGreedy of
    _core.select_greedy; a rebuilt shard replays its history of calls first."""

    search = "Dask greedy search"

    def __init__(self, pool, target: np.ndarray, options: _core.Options, n_threads: int, name: str = "X (the pool)"):
        # the target goes in each build's task, held by the scheduler (not scattered: a scattered
        # value dies with its workers, and a rebuild after that would find it gone)
        self._target = target
        self._args = (int(pool.shape[0]), options.objective.k, options.metric, int(n_threads), name)
        super().__init__(pool, target.dtype)
        self.source = _greedy_shards.ShardedGreedy(
            self.starts, self._ask, target.dtype, options.objective.eps,
            read_rows=lambda rows: pool.take(rows, "the resumed selection's rows"))

    def _build(self, s: int, rows, where: dict):
        return self.client.submit(GreedyShardActor, rows, self.starts[s], self._args[0], self._target,
                                  *self._args[1:], self.epochs[s], actor=True, pure=False, **where)

    def _send(self, s: int, call):
        method, args, replay = call
        return self.actors[s].call(method, args, replay)

    def _again(self, s: int, call):
        method, args, _ = call
        history = tuple(self.source.history)
        return (method, args, history), f"replaying {len(history)} calls"

    def _ask(self, method, calls):
        """ShardedGreedy's ask: {s: answer} to method(*calls[s]) of some shards."""
        return self._call({s: (method, args, ()) for s, args in calls.items()})


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
