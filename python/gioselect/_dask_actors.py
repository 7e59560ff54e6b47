"""The pool's shards as Dask actors, one per non-empty chunk: the machinery the searches on a Dask
pool share (gioselect._dask_descent, gioselect._dask_greedy; docs/dask.md, "Faults").

A search's shard is an actor on a worker that reads its chunk there (from the pool's storage,
never through the client) and answers every call with its epoch, the how-many-th build of that
shard. The client sends a call to every shard at once and waits for the answers. A shard is lost
when its worker died or left (Dask raises), when it answers with another epoch, or when its worker
has gone silent: no heartbeat for gioselect.shard-timeout (a paused process, a frozen VM). Then
the silent worker is fenced out of the cluster (gioselect._dask_faults.fence), the shard is
rebuilt from its chunk on a live worker with the next epoch, brought back to the client's state
(the search says how: `_again`), and its call is sent again.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from gioselect import _dask_faults

log = logging.getLogger("gioselect")


class ShardLost(Exception):
    """A shard's actor is gone (its worker died, left or went silent) or answered for an older build."""


class ShardActors:
    """The shards of one search, built at construction on the client's workers (chunks dealt to
    them in turn); close() (or the with block's end) releases them. A subclass names its search
    (`search`, for messages), builds its actor (`_build`), sends a call (`_send`) and says what a
    rebuilt shard is sent instead of the lost call (`_again`)."""

    REBUILDS_PER_CALL = 3  # a shard lost again and again in one call (its chunk kills workers?) stops the fit
    search = "Dask search"

    def __init__(self, pool, dtype):
        self.client = pool.client
        self.timeout = _dask_faults.shard_timeout()
        self._heartbeats = _dask_faults.Heartbeats(self.timeout)
        self._silent = set()  # workers that went silent during this search (fenced; no rebuild goes there)
        X = pool.array if pool.dtype == dtype else pool.array.astype(dtype)
        starts = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)
        workers = sorted(self.client.scheduler_info()["workers"]) or [None]  # none now: wherever one comes
        t0 = time.perf_counter()
        self._chunks, self.starts, self.epochs, self.rebuilds = [], [0], [], 0
        for chunk, lo, hi in zip(X.to_delayed()[:, 0], starts[:-1], starts[1:]):
            if hi > lo:  # an empty chunk holds no shard
                self._chunks.append(chunk)
                self.starts.append(int(hi))
                self.epochs.append(0)
        self._futures = [self._submit(s, workers[s % len(workers)]) for s in range(len(self._chunks))]
        try:  # the first bad chunk's error, in row order
            self.actors = _dask_faults.gather(self.client, list(self._futures), f"the build of the {self.search}'s "
                                              f"shards", [self._what(s) for s in range(len(self._chunks))])
        except BaseException:
            self.close()
            raise
        self.build_seconds = time.perf_counter() - t0

    # What a search provides.
    def _build(self, s: int, rows, where: dict):
        """A future of shard s's actor over `rows` (a future of its chunk), at epoch self.epochs[s]:
        self.client.submit(ActorClass, rows, ..., actor=True, pure=False, **where)."""
        raise NotImplementedError

    def _send(self, s: int, call):
        """Send `call` to shard s's actor: its ActorFuture, whose result is (epoch, answer)."""
        raise NotImplementedError

    def _again(self, s: int, call) -> tuple:
        """What rebuilt shard s is sent in place of `call` (the call, after what brings a new build
        to the client's state: its takes, the history of its calls), and what that is, in words."""
        raise NotImplementedError

    def _what(self, s: int) -> str:
        return f"shard {s} (rows {self.starts[s]:,}-{self.starts[s + 1] - 1:,})"

    def _submit(self, s: int, worker=None):
        """Shard s's actor (a future of it), on `worker` if it is alive (else where the scheduler
        chooses): its chunk read from the pool's storage on a worker, never through the client.
        The chunk's task has no strict worker restriction: a restriction to a worker that died
        stays on its key, and a rebuild that needs the chunk again would wait for that worker for
        ever. Away from a silent worker the read is a new task (keys of its own, as the chunk's key
        may still be in memory there) with a loose restriction (which falls back to any worker)."""
        where = dict(workers=[worker], allow_other_workers=True) if worker else {}
        if self._silent and worker:
            from dask.graph_manipulation import clone

            rows = self.client.compute(clone(self._chunks[s]), **where)
        else:
            rows = self.client.compute(self._chunks[s])
        return self._build(s, rows, where)

    def _call(self, calls: dict) -> dict:
        """{s: answer} to the calls {s: call}, sent together; a lost shard is rebuilt and asked again,
        up to REBUILDS_PER_CALL times in one call."""
        answers = {}
        pending = dict(calls)
        for attempt in range(self.REBUILDS_PER_CALL + 1):
            lost, futures = [], {}
            for s, call in pending.items():
                try:
                    futures[s] = self._send(s, call)
                except RuntimeError as e:  # the actor's future already erred: "Worker holding Actor was lost"
                    lost.append((s, e))
            for s, f in futures.items():
                try:
                    epoch, answer = self._reply(s, f)
                except (OSError, ShardLost) as e:  # "Unable to contact Actor's worker", a closed comm, silence
                    lost.append((s, e))
                    continue
                if epoch != self.epochs[s]:  # a reply of an older build (not expected: fenced anyway)
                    lost.append((s, ShardLost(f"a reply of epoch {epoch} from shard {s}, now at {self.epochs[s]}")))
                    continue
                answers[s] = answer
            if not lost:
                return answers
            if attempt == self.REBUILDS_PER_CALL:
                s, e = lost[0]
                raise RuntimeError(f"the {self.search} lost {self._what(s)} {attempt + 1} times in one call "
                                   f"({type(e).__name__}: {e}); its chunk may not fit in a worker's memory") from e
            pending = {}
            for s, e in sorted(lost, key=lambda x: x[0]):
                again, replayed = self._again(s, calls[s])
                log.warning("%s: %s lost (%s: %s); rebuilding it from its chunk and %s", self.search, self._what(s),
                            type(e).__name__, e, replayed)
                self._rebuild(s)
                pending[s] = again
        raise AssertionError("not reached")

    def _reply(self, s: int, future):
        """Shard s's (epoch, answer). While it has not come, its worker's heartbeat is watched: a
        worker silent for the shard timeout is fenced (ShardLost), and the call abandoned: a late
        answer sets a future nobody reads."""
        if future.done():
            return future.result()
        address = getattr(self.actors[s], "_address", None)
        while True:
            try:
                return future.result(timeout=_dask_faults.POLL_SECONDS)
            except TimeoutError:  # before OSError, which it subclasses
                pass
            if address in self._heartbeats.fence_silent(self.client, f"the {self.search}"):
                self._silent.add(address)
                if address in self._heartbeats.gone:
                    raise ShardLost(f"its worker {address} left the cluster") from None
                raise ShardLost(f"its worker {address} sent no heartbeat for {self.timeout:g} s "
                                f"({_dask_faults.SHARD_TIMEOUT_KEY})") from None

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
        self.actors[s] = _dask_faults.gather(self.client, [self._futures[s]], f"the rebuild of a lost shard of the "
                                             f"{self.search}", [self._what(s)])[0]

    def close(self):
        for f in self._futures:
            f.release()
        self._futures = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
