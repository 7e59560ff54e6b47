"""Faults of the descent on a Dask pool (gioselect._dask_descent): the client's pick log is the
truth. A worker SIGKILLed while its shard is first built is Dask's retry of the build; a shard
whose worker is SIGKILLed (at the first projection, mid-run, both workers at once, relaxed and knn
with batches) is rebuilt from its chunk on a live worker, its taken rows replayed from the log and
the call in flight retried, and the fit is the one-process fit bit for bit; a reply of an older
build of a shard (its epoch) is not used. A shard whose worker is paused (SIGSTOP) is lost once it
has not answered for gioselect.shard-timeout, rebuilt on the other worker, and its late answer is
not used. The faults are deterministic: the client's call to the shards, wrapped, SIGKILLs (or
SIGSTOPs) the chosen shards' workers just before its n-th call is sent, or the shard's constructor
kills its own worker on its first attempt (a marker file lets the retry build); the 2-process
LocalCluster with nannies of tests/test_dask_faults.py restarts them. A call is one query, or a
batch of queries announced ahead (gioselect.descent-lookahead)."""

import contextlib
import logging
import os
import signal
import threading

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

import dask  # noqa: E402

from gioselect import GIOSelector, _dask_actors, _dask_descent  # noqa: E402
from test_dask_descent import data  # noqa: E402,F401  (the pool and target of the exact tests)
from test_dask_faults import client, cluster, wait_for  # noqa: E402,F401  (2 workers with nannies, waited for per test)

pytestmark = pytest.mark.dask
LOOKAHEAD = _dask_descent.LOOKAHEAD_KEY
# The shard timeout of the pause tests: a paused worker costs each test this plus its nanny's restart. Short,
# but not so short that a worker starved of CPU by the suite's load could look silent
FENCE = 5


def kill_before(monkeypatch, client, call: int, shards: list[int], sig=signal.SIGKILL, pids=None):
    """SIGKILL (or `sig`) the workers of `shards` just before the call-th call to the shards is sent
    (a descent's projection, a greedy pick or batch: either search's calls go through
    ShardActors._call); their process ids are appended to `pids`."""
    send = _dask_actors.ShardActors._call
    calls = [0]

    def killing_call(self, *args):
        calls[0] += 1
        if calls[0] == call:
            addresses = {self.actors[s]._address for s in shards}
            for address, pid in client.run(os.getpid, workers=list(addresses)).items():
                os.kill(pid, sig)
                if pids is not None:
                    pids.append(pid)
        return send(self, *args)

    monkeypatch.setattr(_dask_actors.ShardActors, "_call", killing_call)
    return calls


def on_dask_fit(X, T, client, **params):
    return GIOSelector(search="descent", random_state=0, **params).fit(
        da.from_array(X, chunks=((2000, 2500), -1), name=False), target=T, client=client)


def assert_same_fit(a, b):
    for name in ("selected_indices_", "objective_trace_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.stop_reason_, a.n_iter_) == (b.stop_reason_, b.n_iter_)
    np.testing.assert_array_equal(a.selection_kl_, b.selection_kl_)


RELAXED, KNN = dict(), dict(objective="knn", batch_size=4)


@pytest.fixture(scope="module")
def one_process(data):
    X, T = data
    return {name: GIOSelector(search="descent", random_state=0, **mode).fit(X, target=T)
            for name, mode in (("relaxed", RELAXED), ("knn", KNN))}


# Both workers at once waits for the nannies' restarts, which once took 300 s here (both nannies
# logged "Unregistering worker" and restarted only as the cluster closed; the fit then stopped on
# gioselect.no-workers-timeout, as it should)
@pytest.mark.parametrize("mode, projection, shards", [
    ("relaxed", 1, [0]), ("relaxed", 30, [1]), ("relaxed", 12, [0, 1]), ("knn", 1, [1]), ("knn", 20, [0]),
    ("knn", 16, [0, 1])],
    ids=["relaxed, at the first pick", "relaxed, mid-run", "relaxed, both workers", "knn batches, at the first pick",
         "knn batches, mid-run", "knn batches, both workers"])
def test_a_killed_shard_is_rebuilt_with_the_same_picks(data, one_process, client, monkeypatch, caplog, mode,
                                                       projection, shards, lookahead=1):
    X, T = data
    calls = kill_before(monkeypatch, client, projection, shards)
    one = one_process[mode]
    with caplog.at_level(logging.WARNING, logger="gioselect"), dask.config.set({LOOKAHEAD: lookahead}):
        on_dask = on_dask_fit(X, T, client, **(RELAXED if mode == "relaxed" else KNN))
    assert calls[0] > projection  # the kill happened, and the run went on
    assert len(one.selected_indices_) > 30
    lost = [r.getMessage() for r in caplog.records if "rebuilding it from its chunk" in r.getMessage()]
    assert len(lost) == len(shards), lost
    if projection > 1:  # its taken rows were replayed
        assert all(not m.endswith(" and 0 taken rows") for m in lost)
    assert_same_fit(one, on_dask)


@pytest.mark.parametrize("mode, call, shards", [("relaxed", 2, [1]), ("knn", 6, [0])],
                         ids=["relaxed, inside a batch", "knn rounds, inside a batch"])
def test_a_shard_killed_inside_a_batch_is_rebuilt_with_the_same_picks(data, one_process, client, monkeypatch,
                                                                       caplog, mode, call, shards):
    # the default lookahead: each call answers a batch of queries, and the one retried is a batch
    test_a_killed_shard_is_rebuilt_with_the_same_picks(data, one_process, client, monkeypatch, caplog, mode, call,
                                                       shards, lookahead=_dask_descent.DEFAULT_LOOKAHEAD)


def first_time(marks: str, name: str) -> bool:
    """True once per marker file `name` in `marks` (across processes)."""
    try:
        with open(os.path.join(marks, name), "x") as f:
            f.write(str(os.getpid()))
        return True
    except FileExistsError:
        return False


def test_a_worker_killed_while_its_shard_is_first_built(data, one_process, client, tmp_path, monkeypatch, caplog):
    # The worker building shard 1 SIGKILLs itself inside the shard's constructor, before the first pick: Dask runs
    # the actor's task again (on the other worker, or the restarted one), where the marker lets it build; the
    # descent has no shard to rebuild
    X, T = data
    marks, before = str(tmp_path), set(client.run(os.getpid).values())

    class DiesBuilding(_dask_descent.Shard):  # a local class: pickled by value, with `marks`
        def __init__(self, rows, first_row, *args):
            if first_row == 2000 and first_time(marks, "shard-2000"):
                os.kill(os.getpid(), signal.SIGKILL)
            super().__init__(rows, first_row, *args)

    monkeypatch.setattr(_dask_descent, "Shard", DiesBuilding)
    with caplog.at_level(logging.WARNING, logger="gioselect"):
        on_dask = on_dask_fit(X, T, client, **KNN)
    killed = int((tmp_path / "shard-2000").read_text())
    assert killed in before and os.listdir(marks) == ["shard-2000"]
    assert not [r for r in caplog.records if "rebuilding it from its chunk" in r.getMessage()]
    assert_same_fit(one_process["knn"], on_dask)
    client.wait_for_workers(2, timeout=120)
    wait_for(lambda: len(client.run(os.getpid, on_error="ignore")) == 2, "both workers to answer")
    assert killed not in set(client.run(os.getpid).values())  # it died, and its nanny restarted it


class OldReply:
    """A shard's actor whose answers carry an older epoch (a late reply of a shard's earlier build)."""

    def __init__(self, actor):
        self.actor = actor

    def __getattr__(self, method):
        def call(*args):
            future = getattr(self.actor, method)(*args)

            class Late:  # an ActorFuture's interface
                def done(self):
                    return future.done()

                def result(self, timeout=None):
                    epoch, answer = future.result(timeout)
                    return epoch - 1, answer

            return Late()

        return call


def test_a_reply_from_an_older_epoch_is_not_used(data, one_process, client, monkeypatch, caplog):
    X, T = data
    ask = _dask_descent.DaskShards._ask
    calls = [0]

    def ask_with_a_late_reply(self, *args):
        calls[0] += 1
        if calls[0] == 3:
            self.actors[1] = OldReply(self.actors[1])
        return ask(self, *args)

    monkeypatch.setattr(_dask_descent.DaskShards, "_ask", ask_with_a_late_reply)
    with caplog.at_level(logging.WARNING, logger="gioselect"):
        on_dask = on_dask_fit(X, T, client, **KNN)
    assert any("a reply of epoch -1 from shard 1, now at 0" in r.getMessage() for r in caplog.records)
    assert_same_fit(one_process["knn"], on_dask)


def abandoned_calls(monkeypatch):
    """The shard calls the descent gave up waiting for, as (shard, epoch, future)."""
    reply = _dask_descent.DaskShards._reply
    abandoned = []

    def recording_reply(self, s, future):
        try:
            return reply(self, s, future)
        except _dask_actors.ShardLost:
            abandoned.append((s, self.epochs[s], future))
            raise

    monkeypatch.setattr(_dask_descent.DaskShards, "_reply", recording_reply)
    return abandoned


def resume(pids):
    """SIGCONT the paused processes that are still there (a fenced one was killed by its nanny)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


@contextlib.contextmanager
def paused_workers_fenced_in_time(pids):
    """A short shard timeout (FENCE); the test fails if the fit needs the paused processes `pids` back (a
    safety net SIGCONTs them after 120 s: not a time limit, a fit that waits for them is wrong)."""
    net = threading.Timer(120, resume, [pids])
    net.start()
    try:
        with dask.config.set({"gioselect.shard-timeout": f"{FENCE} s"}):
            yield
    finally:
        fenced_in_time = net.is_alive()
        net.cancel()
        resume(pids)
    assert fenced_in_time, "the fit waited 120 s for the paused worker"


def assert_fenced(caplog, pids, client):
    """The paused workers were fenced, and restarted by their nannies (their processes gone for good:
    the restart goes on in the background, and can end after the fit), and the cluster is whole again."""
    fenced = [r.getMessage() for r in caplog.records if f"sent no heartbeat for {FENCE} s during" in r.getMessage()]
    assert fenced and all("restarting it, as the scheduler would past distributed.scheduler.worker-ttl" in m
                          for m in fenced), fenced
    wait_for(lambda: not set(pids) & set(client.run(os.getpid, on_error="ignore").values()),
             "the paused workers' processes to be restarted")
    client.wait_for_workers(2, timeout=120)
    wait_for(lambda: len(client.run(os.getpid, on_error="ignore")) == 2, "both workers to answer")


# A paused worker (SIGSTOP) keeps its connections open and answers nothing. Once it has sent no heartbeat for
# gioselect.shard-timeout, the fit fences it (restarted by its nanny, as the scheduler would past its
# worker-ttl), its shard is rebuilt on the other worker and the call retried: the fit is the one-process fit,
# and so is the next fit on the cluster. The abandoned call to it is never answered (its process is gone)
@pytest.mark.parametrize("mode", ["relaxed", "knn"])
def test_a_paused_shard_is_fenced_and_rebuilt_on_another_worker(data, one_process, client, monkeypatch, caplog, mode):
    X, T = data
    paused = []
    abandoned = abandoned_calls(monkeypatch)
    calls = kill_before(monkeypatch, client, 20, [0], signal.SIGSTOP, paused)
    with paused_workers_fenced_in_time(paused), dask.config.set({LOOKAHEAD: 1}), \
            caplog.at_level(logging.WARNING, logger="gioselect"):
        on_dask = on_dask_fit(X, T, client, **(RELAXED if mode == "relaxed" else KNN))
    assert calls[0] > 30 and len(paused) == 1
    lost = [r.getMessage() for r in caplog.records if "rebuilding it from its chunk" in r.getMessage()]
    assert any(m.startswith("Dask descent: shard 0 (rows 0-1,999) lost (ShardLost: its worker ")
               and f"sent no heartbeat for {FENCE} s (gioselect.shard-timeout)" in m for m in lost), lost
    assert_same_fit(one_process[mode], on_dask)
    assert [(s, epoch) for s, epoch, _ in abandoned][:1] == [(0, 0)]
    monkeypatch.undo()
    assert_fenced(caplog, paused, client)
    assert_same_fit(one_process["knn"], on_dask_fit(X, T, client, **KNN))


def pause_in_constructor(monkeypatch, module, name: str, marks, first_row: int = 2000) -> list:
    """module.name, a shard's actor class, made to SIGSTOP its worker inside the constructor of the
    shard at first_row, the first time (a marker file in `marks` lets the retry build). Returns the
    list its worker's process id is appended to once it has paused."""
    base = getattr(module, name)

    class PausesBuilding(base):  # a local class: pickled by value, with `marks`
        def __init__(self, rows, first, *args):
            if first == first_row and first_time(str(marks), "paused"):
                os.kill(os.getpid(), signal.SIGSTOP)
            super().__init__(rows, first, *args)

    monkeypatch.setattr(module, name, PausesBuilding)
    paused = []
    threading.Thread(target=lambda: (wait_for(lambda: (marks / "paused").exists(), "the pause"),
                                     paused.append(int((marks / "paused").read_text()))), daemon=True).start()
    return paused


def test_a_worker_paused_while_its_shard_is_first_built(data, one_process, client, tmp_path, monkeypatch, caplog):
    # The worker building shard 1 SIGSTOPs itself inside the shard's constructor: the build waits on it until it
    # has sent no heartbeat for the shard timeout, then it is fenced and Dask builds the shard elsewhere
    X, T = data
    paused = pause_in_constructor(monkeypatch, _dask_descent, "Shard", tmp_path)
    with paused_workers_fenced_in_time(paused), caplog.at_level(logging.WARNING, logger="gioselect"):
        on_dask = on_dask_fit(X, T, client, **KNN)
    assert_same_fit(one_process["knn"], on_dask)
    assert [m.getMessage() for m in caplog.records if "during the build of the Dask descent's shards" in m.getMessage()]
    assert_fenced(caplog, paused, client)


def test_a_worker_paused_before_the_fit(data, one_process, client, caplog):
    # Paused before the fit starts: the check of the workers' environment (a client.run, which would wait for it
    # for ever) fences it, and the fit runs on the other worker
    X, T = data
    address = sorted(client.scheduler_info()["workers"])[0]
    paused = [client.run(os.getpid, workers=[address])[address]]
    os.kill(paused[0], signal.SIGSTOP)
    with paused_workers_fenced_in_time(paused), caplog.at_level(logging.WARNING, logger="gioselect"):
        on_dask = on_dask_fit(X, T, client, **KNN)
    assert_same_fit(one_process["knn"], on_dask)
    check = f"Dask worker {address} sent no heartbeat for {FENCE} s during the check of the workers' environment"
    assert [m.getMessage() for m in caplog.records if check in m.getMessage()]
    assert_fenced(caplog, paused, client)


def test_the_shard_timeout_is_checked(data, client):
    X, T = data
    for bad in ("0s", "-1", "soon"):
        with dask.config.set({"gioselect.shard-timeout": bad}):
            with pytest.raises(ValueError, match="the Dask setting gioselect.shard-timeout must be a positive duration"):
                on_dask_fit(X, T, client, **KNN)
