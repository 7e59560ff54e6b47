"""Waiting for a pass over a Dask pool, and the errors of the faults Dask's own retries do not cover.

Dask retries by itself (tests/test_dask_faults.py): a task whose worker dies runs again on another
or the restarted worker, and a lost result is recomputed from the graph (chunks are read again from
storage; the centres are a key of the graph, not a scattered copy that dies with its last holder).
The scheduler ignores a removed worker's late replies. What outlasts that becomes an error naming
the pass, with this fit's tasks cancelled (the client and the cluster stay usable):
- a task that killed distributed.scheduler.allowed-failures + 1 workers (distributed.KilledWorker),
  typically a chunk that does not fit in a worker's memory;
- a cluster without workers for longer than the Dask setting gioselect.no-workers-timeout (default
  5 minutes), where Dask would wait forever for a worker to come back;
- the scheduler lost, or a task cancelled by someone else (e.g. client.restart()).

A worker that is paused (SIGSTOP, a frozen VM) keeps its connections open and answers nothing:
Dask waits for it until distributed.scheduler.worker-ttl (5 minutes), and an actor's call to it
waits for ever. While a fit waits, it watches the workers' heartbeats: a worker that has sent none
for the Dask setting gioselect.shard-timeout (default 60 s) is fenced, as the scheduler would past
its worker-ttl: restarted by its nanny (or removed), so that its tasks run again elsewhere and
what it sends on waking is dropped. A search's shard on it is rebuilt (gioselect._dask_actors).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time

log = logging.getLogger("gioselect")

TIMEOUT_KEY = "gioselect.no-workers-timeout"
DEFAULT_TIMEOUT = "5 minutes"
POLL_SECONDS = 0.5  # how often the wait looks for workers (one small request to the scheduler)
# A working worker sends a heartbeat every 0.5-5 s (by cluster size), also while it computes: a
# minute without one is far past any working worker, and short against one that is not coming back
SHARD_TIMEOUT_KEY = "gioselect.shard-timeout"
DEFAULT_SHARD_TIMEOUT = "60 s"


def no_workers_timeout() -> float:
    """Seconds a pass waits for a cluster without workers to get one back (Dask setting TIMEOUT_KEY)."""
    return _seconds(TIMEOUT_KEY, DEFAULT_TIMEOUT)


def shard_timeout() -> float:
    """Seconds without a heartbeat after which a waiting fit fences a worker (Dask setting
    SHARD_TIMEOUT_KEY)."""
    return _seconds(SHARD_TIMEOUT_KEY, DEFAULT_SHARD_TIMEOUT)


def check_settings() -> None:
    """Refuse a bad gioselect Dask setting before any work."""
    no_workers_timeout()
    shard_timeout()


def _seconds(key: str, default: str) -> float:
    import dask
    from dask.utils import parse_timedelta

    value = dask.config.get(key, default)
    try:
        seconds = parse_timedelta(value, default="s")
    except (TypeError, ValueError, KeyError):
        seconds = None
    if seconds is None or not seconds > 0:
        raise ValueError(f"the Dask setting {key} must be a positive duration (e.g. '60s' or 60), got {value!r}")
    return float(seconds)


def gather(client, futures: list, phase: str, parts: list[str]) -> list:
    """The futures' values, in order: the first failing part's error is raised (as one process
    would raise it), a fault that outlasted Dask's retries as an error naming `phase` and the part
    (`parts[i]` says what futures[i] computes). On any error the fit's tasks are cancelled: nothing
    of it keeps running, or waits for workers, after."""
    alone_since, values, i = None, [], 0
    try:
        timeout, heartbeats = no_workers_timeout(), Heartbeats(shard_timeout())
        for i, f in enumerate(futures):
            while True:
                try:
                    values.append(f.result(timeout=POLL_SECONDS))
                    break
                except TimeoutError:
                    workers = _workers_now(client, phase)  # one request a poll, for both checks
                    alone_since = _alone_since(workers, alone_since, phase, timeout)
                    heartbeats.fence_silent(client, phase, workers)
    except BaseException as e:
        with contextlib.suppress(OSError):  # the scheduler may be gone; e is the error to raise
            client.cancel(futures)
        named = _named(e, phase, parts[i])
        if named is None:
            raise
        raise named from e
    return values


class Heartbeats:
    """Which workers have gone silent: the heartbeat time the scheduler last recorded for them has
    not moved for `timeout` seconds of this process's clock (no two machines' clocks are compared;
    a worker first seen now has its timeout from now)."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._moved = {}  # address -> (its last heartbeat as the scheduler reported it, when that changed here)
        self.gone = set()  # addresses seen before, no longer listed

    def silent(self, client, workers: dict | None = None) -> list[str]:
        """The workers silent for the timeout now, of `workers` (scheduler_info's; None: asked now)."""
        if workers is None:
            try:
                workers = client.scheduler_info(n_workers=-1).get("workers", {})
            except OSError:  # the scheduler gone: the wait's own error says so
                return []
        now, silent = time.monotonic(), []
        for address, info in workers.items():
            seen = info.get("last_seen")
            before = self._moved.get(address)
            if before is None or before[0] != seen:
                self._moved[address] = (seen, now)
            elif now - before[1] >= self.timeout:
                silent.append(address)
        self.gone = {address for address in self._moved if address not in workers}
        return sorted(silent)

    def fence_silent(self, client, phase: str, workers: dict | None = None) -> list[str]:
        """The workers silent for the timeout now, each fenced (fence()), and those seen before that
        have left the cluster since (an actor's call to one can wait for ever too)."""
        silent = self.silent(client, workers)
        for address in silent:
            fence(client, address, phase)
        return sorted(set(silent) | self.gone)


# When this process last fenced each worker address: a restart takes seconds (the nanny gives the
# process time to close), and the next wait would see the worker silent still. A worker back at the
# same address (a fixed port) and silent again is fenced again after REFENCE_SECONDS.
_fenced = {}
REFENCE_SECONDS = 30.0


def fence(client, address: str, phase: str) -> None:
    """Take a silent worker out of the cluster, as the scheduler does past its worker-ttl: its nanny
    restarts it (a worker without one is removed). Its tasks then run again elsewhere, what it held
    is recomputed, and nothing it sends on waking is used. An address just fenced is not again."""
    now = time.monotonic()
    if now - _fenced.get(address, -math.inf) < max(REFENCE_SECONDS, 2 * shard_timeout()):
        return
    _fenced[address] = now
    log.warning("Dask worker %s sent no heartbeat for %g s during %s (%s): restarting it, as the scheduler would "
                "past distributed.scheduler.worker-ttl", address, shard_timeout(), phase, SHARD_TIMEOUT_KEY)

    def restart(dask_scheduler, address):  # nested: pickled by value (the scheduler may lack gioselect)
        import asyncio

        if address not in dask_scheduler.workers:
            return
        # The scheduler's own way (restart_workers), in the background: the nanny gives the process
        # seconds to close before it kills it. Not a removal first: a removed worker that wakes in
        # that window hears it is unknown and closes its nanny with it, for good.
        task = asyncio.get_running_loop().create_task(dask_scheduler.restart_workers(
            [address], wait_for_workers=False, on_error="return", stimulus_id=f"gioselect-fence-{time.time()}"))
        running = dask_scheduler.__dict__.setdefault("_gioselect_fences", set())  # a task needs a reference
        running.add(task)
        task.add_done_callback(running.discard)

    with contextlib.suppress(OSError):  # the scheduler gone: the wait's own error says so
        client.run_on_scheduler(restart, address=address)


def _named(e: BaseException, phase: str, part: str) -> Exception | None:
    """The error a user sees for a fault Dask gave up on (None: e itself is that error)."""
    from distributed import KilledWorker
    from distributed.client import FutureCancelledError

    if isinstance(e, KilledWorker):
        return RuntimeError(
            f"Dask workers died running {phase} on {part}: {_workers(e.allowed_failures + 1)} died while running one "
            f"of its tasks (Dask's distributed.scheduler.allowed-failures is {e.allowed_failures}), the last "
            f"{e.last_worker.address}. A chunk that does not fit in a worker's memory does this: give the workers more "
            f"memory or the pool smaller chunks (e.g. read_npy_dask(path, chunk_rows=...)); the workers' logs say why "
            f"they died")
    if isinstance(e, FutureCancelledError):
        return RuntimeError(f"Dask cancelled {phase} on {part} ({e}): the scheduler was lost or the fit's tasks were "
                            f"cancelled (e.g. by client.restart()); fit again once the cluster is back")
    return None


def _workers_now(client, phase: str) -> dict:
    """The scheduler's workers, as scheduler_info reports them (each with its last heartbeat)."""
    try:
        return client.scheduler_info(n_workers=-1).get("workers", {})
    except OSError as e:
        raise RuntimeError(f"the Dask scheduler cannot be reached during {phase} ({type(e).__name__}: {e}); fit "
                           f"again once the cluster is back") from e


def _alone_since(workers: dict, since: float | None, phase: str, timeout: float) -> float | None:
    """Since when the cluster has had no workers (None: it has some); TimeoutError once that is
    `timeout` seconds, as Dask itself would wait for a worker for ever."""
    if workers:
        return None
    since = since or time.monotonic()
    if time.monotonic() - since >= timeout:
        raise TimeoutError(
            f"the Dask cluster has had no workers for {timeout:g} s during {phase}, so the fit stopped there (its "
            f"tasks are cancelled; nothing of the fit was kept). Start workers and fit again, or let it wait longer: "
            f"dask.config.set({{{TIMEOUT_KEY!r}: '10 minutes'}})")
    return since


def _workers(n: int) -> str:
    return f"{n} worker" if n == 1 else f"{n} workers"
