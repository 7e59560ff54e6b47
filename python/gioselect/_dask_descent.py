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

from gioselect import _core, _dask_actors, _shards

log = logging.getLogger("gioselect")

LOOKAHEAD_KEY = "gioselect.descent-lookahead"
DEFAULT_LOOKAHEAD = 32
AUDIT_KEY = "gioselect.hnsw-audit"


def hnsw_audit() -> bool:
    """Whether HNSW shards also scan exactly, to count the run's recall (Dask setting AUDIT_KEY)."""
    import dask

    value = dask.config.get(AUDIT_KEY, False)
    if not isinstance(value, bool):
        raise ValueError(f"the Dask setting {AUDIT_KEY} must be True or False, got {value!r}")
    return value


def lookahead() -> int:
    """How many of the descent's queries one call to the shards answers (Dask setting
    LOOKAHEAD_KEY; 1: a call per query). Only a relaxed descent without restarts or
    discard_nearest_for_xy, and knn's rounds of batch_size, know their queries ahead."""
    import dask

    value = dask.config.get(LOOKAHEAD_KEY, DEFAULT_LOOKAHEAD)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, str)) or not str(value).isdigit() \
            or int(value) < 1:
        raise ValueError(f"the Dask setting {LOOKAHEAD_KEY} must be a whole number of queries >= 1, got {value!r}")
    return int(value)


class Shard:
    """A Dask actor: the exact projection over one chunk of the pool (global rows first_row...),
    answering with its epoch (the how-many-th build of this shard) so that no reply of an older
    build is used."""

    def __init__(self, rows, first_row: int, metric: str, n_threads: int, name: str, epoch: int = 0,
                 projection=None):
        self.index = _shards.shard_index(rows, first_row, metric, n_threads, name, projection)
        self.epoch = epoch
        self.seconds = 0.0  # in the index's calls (the benchmark's "shard work")

    def _timed(self, call, *args):
        t0 = time.perf_counter()
        answer = call(*args)
        self.seconds += time.perf_counter() - t0
        return self.epoch, answer

    def nearest(self, v, c, taken, refilled):
        return self._timed(self.index.nearest, v, c, taken, refilled)

    def nearest_batch(self, points, c, taken, refilled):
        return self._timed(self.index.nearest_batch, points, c, taken, refilled)

    def work_seconds(self) -> float:
        return self.seconds


class DaskShards(_dask_actors.ShardActors):
    """The pool's descent shards as actors on the client's workers (gioselect._dask_actors: built
    at construction, rebuilt when lost, released by close()). A rebuilt shard is sent its taken
    rows again, from the client's pick log."""

    search = "Dask descent"

    def __init__(self, pool, dtype, metric: str, n_threads: int, name: str = "X (the pool)", projection=None):
        batch = lookahead()  # a bad setting is refused before any work
        hnsw = projection is not None and projection["mode"] == "hnsw"
        if hnsw:  # a batch's lists are exact nearest rows; an HNSW shard answers one query per call
            batch = 1
        self._args = (metric, int(n_threads), name)
        self._projection = projection
        self.bytes_sent = self.bytes_received = 0  # the projections' arrays, both ways
        self.ask_seconds = 0.0  # in round trips to the shards (their work, the messages, rebuilds)
        super().__init__(pool, dtype)
        self.projection = _shards.ShardedProjection(
            self.starts, self._ask, dtype, read_rows=lambda rows: pool.take(rows, "the resumed selection's rows"),
            lookahead=batch if batch > 1 else 0)

    def _build(self, s: int, rows, where: dict):
        return self.client.submit(Shard, rows, self.starts[s], *self._args, self.epochs[s], self._projection,
                                  actor=True, pure=False, **where)

    def _send(self, s: int, call):
        method, args, _ = call
        return getattr(self.actors[s], method)(*args)

    def _again(self, s: int, call):
        method, (query, c, _, _), log_s = call
        taken = np.asarray(log_s, dtype=np.int64)
        return (method, (query, c, taken, False), log_s), f"{len(taken)} taken rows"  # a new shard: every take again

    def _ask(self, calls, taken_log, method):
        """ShardedProjection's ask: shard s's answer to calls[s], each sent with its log."""
        t0 = time.perf_counter()
        try:
            answers = self._call({s: (method, call, taken_log[s]) for s, call in enumerate(calls)})
        finally:
            self.ask_seconds += time.perf_counter() - t0
        self.bytes_sent += sum(call[0].nbytes + call[2].nbytes for call in calls)
        answers = [answers[s] for s in range(len(calls))]
        self.bytes_received += sum(a.nbytes for answer in answers for a in answer)
        return answers

    def work_seconds(self) -> float:
        """Seconds the shards spent in their index's calls (this build of each: a rebuilt shard's
        earlier work is not counted); nan when a shard cannot be asked."""
        try:
            return sum(a.work_seconds().result() for a in self.actors)
        except (OSError, RuntimeError, AttributeError):
            return float("nan")


def run(pool, target: np.ndarray, init: np.ndarray, options: _core.Options, *, on_step=None, on_checkpoint=None,
        resume=None) -> _core.Result:
    """_engine.run for a gioselect._dask.DaskPool: the same Result, the projection on the shards."""
    # as_current: an actor's handle finds its client as the current one (the fit's may not be the default).
    # The shards scan on their worker's OpenMP default (n_threads=0): the worker's cores are its own.
    projection = _shards.projection_settings(options.projection)
    if projection["mode"] == "auto":  # _dask refused 'auto' where one process would use HNSW
        projection["mode"] = "exact"
    projection["audit"] = projection["mode"] == "hnsw" and hnsw_audit()
    with pool.client.as_current(), DaskShards(pool, target.dtype, options.metric, 0, projection=projection) as shards:
        t0 = time.perf_counter()
        res = _core.select_descent(shards.projection, pool.shape[0], target, init, options, on_step, on_checkpoint,
                                   resume)
        proj, seconds = shards.projection, time.perf_counter() - t0
        calls = max(proj.calls, 1)
        log.info("Dask descent on %d shards: built in %.2f s; %d queries in %.2f s, %d round trips in %.2f s "
                 "(%.2f ms each), %.3f s of the shards' work in all; %d bytes sent and %d received per round trip; "
                 "%d shards rebuilt", len(shards.actors), shards.build_seconds, proj.queries, seconds, proj.calls,
                 shards.ask_seconds, 1e3 * shards.ask_seconds / calls, shards.work_seconds(),
                 shards.bytes_sent // calls, shards.bytes_received // calls, shards.rebuilds)
        if proj.audited:
            log.info("Dask descent on HNSW shards: %d of %d audited projections were the pool's exact nearest row "
                     "(recall %.4f)", proj.exact, proj.audited, proj.exact / proj.audited)
    return res
