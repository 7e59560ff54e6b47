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

from gioselect import _core, _dask_faults, _shards

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
        return (self.epoch, *answer)

    def nearest(self, v, c, taken, refilled):
        return self._timed(self.index.nearest, v, c, taken, refilled)

    def nearest_batch(self, points, c, taken, refilled):
        return self._timed(self.index.nearest_batch, points, c, taken, refilled)

    def work_seconds(self) -> float:
        return self.seconds


class ShardLost(Exception):
    """A shard's actor is gone (its worker died or left)."""


class DaskShards:
    """The pool's shards as actors on the client's workers, built at construction; close() (or
    the with block's end) releases them. A shard whose worker dies, or does not answer within
    gioselect.shard-timeout (a paused worker), is rebuilt from its chunk on a live worker (not a
    silent one), its taken rows replayed from the client's pick log, and the call retried."""

    REBUILDS_PER_CALL = 3  # a shard lost again and again in one call (its chunk kills workers?) stops the fit

    def __init__(self, pool, dtype, metric: str, n_threads: int, name: str = "X (the pool)", projection=None):
        batch = lookahead()  # a bad setting is refused before any work
        hnsw = projection is not None and projection["mode"] == "hnsw"
        if hnsw:  # a batch's lists are exact nearest rows; an HNSW shard answers one query per call
            batch = 1
        self.client = pool.client
        self._args = (metric, int(n_threads), name)
        self._projection = projection
        self.timeout = _dask_faults.shard_timeout()
        self._silent = set()  # workers whose shard did not answer in time (and none since)
        X = pool.array if pool.dtype == dtype else pool.array.astype(dtype)
        starts = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)
        workers = sorted(self.client.scheduler_info()["workers"])
        t0 = time.perf_counter()
        self._chunks, self.starts, self.epochs, self.rebuilds = [], [0], [], 0
        self.bytes_sent = self.bytes_received = 0  # the projections' arrays, both ways
        self.ask_seconds = 0.0  # in round trips to the shards (their work, the messages, rebuilds)
        for chunk, lo, hi in zip(X.to_delayed()[:, 0], starts[:-1], starts[1:]):
            if hi > lo:  # an empty chunk holds no shard
                self._chunks.append(chunk)
                self.starts.append(int(hi))
                self.epochs.append(0)
        self._futures = [self._submit(s, workers[s % len(workers)]) for s in range(len(self._chunks))]
        try:  # the first bad chunk's error, in row order
            self.actors = _dask_faults.gather(self.client, list(self._futures), "the build of the shards",
                                              [self._what(s) for s in range(len(self._chunks))])
        except BaseException:
            self.close()
            raise
        self.build_seconds = time.perf_counter() - t0
        self.projection = _shards.ShardedProjection(
            self.starts, self._ask, dtype, read_rows=lambda rows: pool.take(rows, "the resumed selection's rows"),
            lookahead=batch if batch > 1 else 0)

    def _what(self, s: int) -> str:
        return f"shard {s} (rows {self.starts[s]:,}-{self.starts[s + 1] - 1:,})"

    def _submit(self, s: int, worker=None):
        """Shard s's actor (a future of it), on `worker` if it is alive (else where the scheduler
        chooses): its chunk read from the pool's storage on a worker, never through the client.
        The chunk's task has no strict worker restriction: a restriction to a worker that died
        stays on its key, and a rebuild that needs the chunk again would wait for that worker for
        ever. Away from a silent worker the read is a new task (keys of its own, as the chunk's key
        may still be in memory there) with a loose restriction (which falls back to any worker):
        the scheduler sees a paused worker as idle, and rebuilds then waited for it to resume."""
        where = dict(workers=[worker], allow_other_workers=True) if worker else {}
        if self._silent and worker:
            from dask.graph_manipulation import clone

            rows = self.client.compute(clone(self._chunks[s]), **where)
        else:
            rows = self.client.compute(self._chunks[s])
        return self.client.submit(Shard, rows, self.starts[s], *self._args, self.epochs[s], self._projection,
                                  actor=True, pure=False, **where)

    def _ask(self, calls, taken_log, method):
        t0 = time.perf_counter()
        try:
            return self._ask_shards(calls, taken_log, method)
        finally:
            self.ask_seconds += time.perf_counter() - t0

    def _ask_shards(self, calls, taken_log, method):
        answers = [None] * len(calls)
        pending = dict(enumerate(calls))
        for attempt in range(self.REBUILDS_PER_CALL + 1):
            lost = []
            futures = {}
            deadline = time.monotonic() + self.timeout  # the calls go out together
            for s, call in pending.items():
                try:
                    futures[s] = getattr(self.actors[s], method)(*call)
                except RuntimeError as e:  # the actor's future already erred: "Worker holding Actor was lost"
                    lost.append((s, e))
            for s, f in futures.items():
                try:
                    epoch, *answer = self._reply(s, f, deadline)
                except (OSError, ShardLost) as e:  # "Unable to contact Actor's worker", a closed comm, silence
                    lost.append((s, e))
                    continue
                if epoch != self.epochs[s]:  # a reply of an older build (not expected: fenced anyway)
                    lost.append((s, ShardLost(f"a reply of epoch {epoch} from shard {s}, now at {self.epochs[s]}")))
                    continue
                answers[s] = answer
            if not lost:
                break
            if attempt == self.REBUILDS_PER_CALL:
                s, e = lost[0]
                raise RuntimeError(f"the Dask descent lost {self._what(s)} {attempt + 1} times in one projection "
                                   f"({type(e).__name__}: {e}); its chunk may not fit in a worker's memory") from e
            pending = {}
            for s, e in sorted(lost, key=lambda x: x[0]):
                log.warning("Dask descent: %s lost (%s: %s); rebuilding it from its chunk and %d taken rows",
                            self._what(s), type(e).__name__, e, len(taken_log[s]))
                self._rebuild(s)
                query, c, _, _ = calls[s]
                pending[s] = (query, c, np.asarray(taken_log[s], dtype=np.int64), False)  # a new shard: every take again
        self.bytes_sent += sum(call[0].nbytes + call[2].nbytes for call in calls)
        self.bytes_received += sum(a.nbytes for answer in answers for a in answer)
        return answers

    def _reply(self, s: int, future, deadline: float):
        """Shard s's answer to a call sent before `deadline` (time.monotonic()). A shard silent past
        it (its worker paused, or cut off) is lost: ShardLost, its worker kept off the rebuilds, and
        its call abandoned: a late answer sets a future nobody reads."""
        address = getattr(self.actors[s], "_address", None)
        try:
            answer = future.result(timeout=None if future.done() else max(deadline - time.monotonic(), 1e-3))
        except TimeoutError:  # before OSError, which it subclasses
            self._silent.add(address)
            raise ShardLost(f"no answer from its worker {address} within {self.timeout:g} s "
                            f"({_dask_faults.SHARD_TIMEOUT_KEY})") from None
        self._silent.discard(address)
        return answer

    def _elsewhere(self, s: int):
        """A live worker for shard s's rebuild other than the silent ones (None: the scheduler's
        choice, as when none is silent; a dead worker is no longer live)."""
        if not self._silent:
            return None
        live = sorted(set(self.client.scheduler_info()["workers"]) - self._silent)
        return live[s % len(live)] if live else None

    def _rebuild(self, s: int) -> None:
        self._futures[s].release()
        self.epochs[s] += 1
        self.rebuilds += 1
        self._futures[s] = self._submit(s, self._elsewhere(s))
        self.actors[s] = _dask_faults.gather(self.client, [self._futures[s]], "the rebuild of a lost shard",
                                             [self._what(s)])[0]

    def work_seconds(self) -> float:
        """Seconds the shards spent in their index's calls (this build of each: a rebuilt shard's
        earlier work is not counted); nan when a shard cannot be asked."""
        try:
            return sum(a.work_seconds().result() for a in self.actors)
        except (OSError, RuntimeError, AttributeError):
            return float("nan")

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
