"""Faults of the greedy search on a Dask pool (gioselect._dask_greedy): the client's call history
is the truth. A shard whose worker is SIGKILLed (at the first call, mid-run, both workers at once)
is rebuilt from its chunk on a live worker, replays the calls that made its state and the call in
flight is retried, and the fit is the one-process fit bit for bit; a reply of an older build of a
shard (its epoch) is not used. The kills are deterministic: the client's call to the shards,
wrapped, SIGKILLs the chosen shards' workers just before its n-th call is sent (the 2-process
LocalCluster with nannies of tests/test_dask_faults.py restarts them)."""

import logging
import signal

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from gioselect import GIOSelector, _dask_greedy  # noqa: E402
from test_dask_descent import data  # noqa: E402,F401  (the pool and target of the exact tests)
from test_dask_descent_faults import (FENCE, assert_fenced, kill_before, pause_in_constructor,  # noqa: E402
                                     paused_workers_fenced_in_time)
from test_dask_faults import client, cluster  # noqa: E402,F401  (2 workers with nannies, waited for per test)

pytestmark = pytest.mark.dask

MODES = {"knn": dict(objective="knn", n_select=80), "relaxed": dict(objective="relaxed", n_select=600)}


def on_dask_fit(X, T, client, mode):
    return GIOSelector(search="greedy", random_state=0, **MODES[mode]).fit(
        da.from_array(X, chunks=((2000, 2500), -1), name=False), target=T, client=client)


def assert_same_fit(a, b):
    for name in ("selected_indices_", "objective_trace_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.stop_reason_, a.n_iter_) == (b.stop_reason_, b.n_iter_)
    np.testing.assert_array_equal(a.selection_kl_, b.selection_kl_)


@pytest.fixture(scope="module")
def one_process(data):
    X, T = data
    return {mode: GIOSelector(search="greedy", random_state=0, **MODES[mode]).fit(X, target=T) for mode in MODES}


# call 1 builds the scores (knn_start) or the rankings; a knn pick is one call, the relaxed
# ranking's batches of 256 rows a call each (call 3: shard 1's second batch, after 600 picks' worth)
@pytest.mark.parametrize("mode, call, shards", [
    ("knn", 1, [0]), ("knn", 40, [1]), ("knn", 25, [0, 1]), ("relaxed", 2, [1])],
    ids=["knn, at the scores' build", "knn, mid-run", "knn, both workers", "relaxed, at the first batch"])
def test_a_killed_shard_is_rebuilt_with_the_same_picks(data, one_process, client, monkeypatch, caplog, mode, call,
                                                       shards):
    X, T = data
    calls = kill_before(monkeypatch, client, call, shards)
    with caplog.at_level(logging.WARNING, logger="gioselect"):
        on_dask = on_dask_fit(X, T, client, mode)
    assert calls[0] > call  # the kill happened, and the run went on
    lost = [r.getMessage() for r in caplog.records if "rebuilding it from its chunk" in r.getMessage()]
    assert len(lost) == len(shards), lost
    if call > 1:  # the calls before were replayed
        assert all(f"replaying {call - 1} calls" in m for m in lost), lost
    assert_same_fit(one_process[mode], on_dask)


class OldReply:
    """A shard's actor whose answers carry an older epoch (a late reply of a shard's earlier build)."""

    def __init__(self, actor):
        self.actor = actor

    def call(self, *args):
        future = self.actor.call(*args)

        class Late:  # an ActorFuture's interface
            def done(self):
                return future.done()

            def result(self, timeout=None):
                epoch, answer = future.result(timeout)
                return epoch - 1, answer

        return Late()


def test_a_reply_from_an_older_epoch_is_not_used(data, one_process, client, monkeypatch, caplog):
    X, T = data
    ask = _dask_greedy.DaskGreedyShards._ask
    calls = [0]

    def ask_with_a_late_reply(self, *args):
        calls[0] += 1
        if calls[0] == 20:
            self.actors[1] = OldReply(self.actors[1])
        return ask(self, *args)

    monkeypatch.setattr(_dask_greedy.DaskGreedyShards, "_ask", ask_with_a_late_reply)
    with caplog.at_level(logging.WARNING, logger="gioselect"):
        on_dask = on_dask_fit(X, T, client, "knn")
    assert any("a reply of epoch -1 from shard 1, now at 0" in r.getMessage() for r in caplog.records)
    assert_same_fit(one_process["knn"], on_dask)


# A paused worker (SIGSTOP) answers nothing: once it has sent no heartbeat for gioselect.shard-timeout it is
# fenced (restarted by its nanny) and its shard rebuilt on the other worker, replaying the calls before. A
# long call of a working worker (the scores' build) is not fenced: its heartbeats go on
@pytest.mark.parametrize("mode, call", [("knn", 30), ("relaxed", 2)], ids=["knn, mid-run", "relaxed, at a batch"])
def test_a_paused_shard_is_fenced_and_rebuilt(data, one_process, client, monkeypatch, caplog, mode, call):
    X, T = data
    paused = []
    calls = kill_before(monkeypatch, client, call, [1], signal.SIGSTOP, paused)
    with paused_workers_fenced_in_time(paused), caplog.at_level(logging.WARNING, logger="gioselect"):
        on_dask = on_dask_fit(X, T, client, mode)
    assert calls[0] > call and len(paused) == 1
    lost = [r.getMessage() for r in caplog.records if "rebuilding it from its chunk" in r.getMessage()]
    assert len(lost) == 1 and lost[0].startswith("Dask greedy search: shard 1 (rows 2,000-4,499) lost (ShardLost: "
                                                 "its worker "), lost
    assert f"sent no heartbeat for {FENCE} s (gioselect.shard-timeout)); rebuilding it from its chunk and replaying " \
           f"{call - 1} calls" in lost[0], lost
    assert_same_fit(one_process[mode], on_dask)
    monkeypatch.undo()
    assert_fenced(caplog, paused, client)


def test_a_worker_paused_while_its_greedy_shard_is_first_built(data, one_process, client, tmp_path, monkeypatch,
                                                               caplog):
    X, T = data
    paused = pause_in_constructor(monkeypatch, _dask_greedy, "GreedyShardActor", tmp_path)
    with paused_workers_fenced_in_time(paused), caplog.at_level(logging.WARNING, logger="gioselect"):
        on_dask = on_dask_fit(X, T, client, "knn")
    assert_same_fit(one_process["knn"], on_dask)
    assert [m.getMessage() for m in caplog.records
            if "during the build of the Dask greedy search's shards" in m.getMessage()]
    assert_fenced(caplog, paused, client)
