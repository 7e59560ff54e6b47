"""Faults of the descent on a Dask pool (gioselect._dask_descent): the client's pick log is the
truth. A shard whose worker is SIGKILLed (at the first projection, mid-run, both workers at once)
is rebuilt from its chunk on a live worker, its taken rows replayed from the log and the call in
flight retried, and the fit is the one-process fit bit for bit; a reply of an older build of a
shard (its epoch) is not used. The kills are deterministic: the client's call to the shards,
wrapped, SIGKILLs the chosen shards' workers just before its n-th call is sent (the 2-process
LocalCluster with nannies of tests/test_dask_faults.py restarts them); a call is one query, or a
batch of queries announced ahead (gioselect.descent-lookahead)."""

import logging
import os
import signal

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

import dask  # noqa: E402

from gioselect import GIOSelector, _dask_descent  # noqa: E402
from test_dask_descent import data  # noqa: E402,F401  (the pool and target of the exact tests)
from test_dask_faults import client, cluster  # noqa: E402,F401  (2 workers with nannies, waited for per test)

pytestmark = pytest.mark.dask
LOOKAHEAD = _dask_descent.LOOKAHEAD_KEY


def kill_before(monkeypatch, client, projection: int, shards: list[int]):
    """SIGKILL the workers of `shards` just before the projection-th call to the shards is sent."""
    ask = _dask_descent.DaskShards._ask
    calls = [0]

    def killing_ask(self, *args):
        calls[0] += 1
        if calls[0] == projection:
            addresses = {self.actors[s]._address for s in shards}
            for address, pid in client.run(os.getpid, workers=list(addresses)).items():
                os.kill(pid, signal.SIGKILL)
        return ask(self, *args)

    monkeypatch.setattr(_dask_descent.DaskShards, "_ask", killing_ask)
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


# Both workers at once only for one mode: its recovery waits for the nannies' restarts, which once
# took 300 s here (both nannies logged "Unregistering worker" and restarted only as the cluster
# closed; the fit then stopped on gioselect.no-workers-timeout, as it should)
@pytest.mark.parametrize("mode, projection, shards", [
    ("relaxed", 1, [0]), ("relaxed", 30, [1]), ("relaxed", 12, [0, 1]), ("knn", 1, [1]), ("knn", 20, [0])],
    ids=["relaxed, at the first pick", "relaxed, mid-run", "relaxed, both workers", "knn batches, at the first pick",
         "knn batches, mid-run"])
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


class OldReply:
    """A shard's actor whose answers carry an older epoch (a late reply of a shard's earlier build)."""

    def __init__(self, actor):
        self.actor = actor

    def __getattr__(self, method):
        def call(*args):
            future = getattr(self.actor, method)(*args)

            class Late:
                def result(self):
                    epoch, *answer = future.result()
                    return (epoch - 1, *answer)

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
