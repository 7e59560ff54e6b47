"""Faults on the Dask quantize path (issue 14): a worker SIGKILLed during the check and sample
pass, during the assignment pass, or while asked for its environment, both workers killed in one
pass, a worker SIGSTOPped and resumed after the scheduler gave its work to another; every fit is the
one-process fit bit for bit. When retries run out (a chunk that kills its workers, no workers past
gioselect.no-workers-timeout) the error names the pass, and the cluster fits again after. The
faults are deterministic: the passes' task functions are wrapped (on the client, pickled to the
workers by reference to this module, which the spawned workers import from the same sys.path) so
that the worker running a chosen chunk acts on itself on the chunk's first attempt, and a marker
file lets the retry run."""

import contextlib
import os
import re
import signal
import threading
import time

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from gioselect import GIOSelector, _core, _dask, _dask_quantize  # noqa: E402

pytestmark = pytest.mark.dask


class Fault:
    """A pass's task function (_checked_sample or _assign_chunk) that sends `sig` to its worker's
    own process before any work, once per chunk in `chunks` (its first attempt) or, with `pids`,
    once per worker process in `pids` (its first task of the pass): a marker file in `marks` per
    chunk or process makes every later attempt run normally. With SIGSTOP, a later attempt of the
    chunk waits until the stopped worker, once resumed, has computed the chunk too (marker
    "late-<row>"), so that both replies exist."""

    def __init__(self, fn, marks, *, chunks=None, pids=None, sig=signal.SIGKILL):
        self.fn, self.marks, self.sig = fn, str(marks), sig
        self.chunks, self.pids = chunks, pids

    def __call__(self, *args, block_info=None, **kw):
        first = block_info[0]["array-location"][0][0] if block_info else args[3]
        hit = (self.chunks is None or first in self.chunks) and (self.pids is None or os.getpid() in self.pids)
        first_attempt = hit and self._mark(f"{self.fn.__name__}-{first if self.pids is None else os.getpid()}")
        if first_attempt:
            os.kill(os.getpid(), self.sig)  # a stopped worker goes on from here once resumed
        elif hit and self.sig == signal.SIGSTOP:
            wait_for(lambda: os.path.exists(os.path.join(self.marks, f"late-{first}")))
        if block_info is not None:
            kw["block_info"] = block_info
        out = self.fn(*args, **kw)
        if first_attempt:
            self._mark(f"late-{first}")
        return out

    def _mark(self, name):
        try:
            with open(os.path.join(self.marks, name), "x") as f:
                f.write(str(os.getpid()))
            return True
        except FileExistsError:
            return False


def wait_for(condition, what="a condition"):
    """Until condition() holds (polled; it is a state of the run, not a time)."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"waited 60 s for {what}"
        time.sleep(0.02)


def fault(monkeypatch, name, marks, **kw):
    monkeypatch.setattr(_dask_quantize, name, Fault(getattr(_dask_quantize, name), marks, **kw))


def marks(path):
    return sorted(p.name for p in path.iterdir())


@contextlib.contextmanager
def local_cluster(n_workers=2, **kw):
    # LocalCluster sets OMP_NUM_THREADS=1 (and more) in this process's environment: restored after
    saved = dict(os.environ)
    try:
        # ":0": any free port (8787 may be another cluster's, and the warning would fail the test).
        # lost-worker-timeout: a LocalCluster closes the nanny of a worker name that is missing this long
        # after a removal, and a worker restarted again in that window lost its nanny for good (seen)
        with dask.config.set({"distributed.deploy.lost-worker-timeout": "1 hour"}), \
                distributed.LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1,
                                         dashboard_address=":0", **kw) as cluster:
            with distributed.Client(cluster, set_as_default=False) as client:
                yield cluster, client
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as (cluster, client):
        yield cluster, client


@pytest.fixture
def client(cluster):
    lc, client = cluster
    try:
        client.wait_for_workers(2, timeout=60)  # after a test's kill, its nanny's restart
    except TimeoutError:  # WorkerStartTimeoutError: seen once, under the whole suite's load (a nanny
        # that did not restart its worker)
        lc.scale(0)
        wait_for(lambda: not client.scheduler_info()["workers"], "the workers to leave")
        lc.scale(2)
        client.wait_for_workers(2, timeout=120)
    # a killed worker can stay listed until the scheduler removes it: wait until both answer
    wait_for(lambda: len(client.run(os.getpid, on_error="ignore")) == 2, "both workers to answer")
    return client


def clustered(n_per=5000, d=8, centres=(0, 4, 8, 12), seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(c, 1.0, (n_per, d)) for c in centres]).astype(np.float32)


@pytest.fixture(scope="module")
def one():
    X, T = clustered(), clustered(n_per=300, centres=(0, 8), seed=1)
    return X, T, GIOSelector(quantize=40, random_state=0).fit(X, target=T)


def assert_same_fit(a, b):
    for name in ("cluster_centers_", "cluster_labels_", "selected_clusters_", "selected_indices_",
                 "objective_trace_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.stop_reason_ == b.stop_reason_
    np.testing.assert_array_equal(a.selection_kl_, b.selection_kl_)


CHUNKS = (4096, 4096, 4096, 4096, 3616)


def pool(X):
    # name=False: keys of its own for every fit (a failed fit's erred chunk keys stay on the scheduler
    # until it has processed their release, and would fail the next fit at once: docs/dask.md, Faults)
    return da.from_array(X, chunks=(CHUNKS, -1), name=False)


def on_dask(X, T, client):
    return GIOSelector(quantize=40, random_state=0).fit(pool(X), target=T, client=client)


def pids(client):
    return set(client.run(os.getpid).values())


def test_a_worker_killed_in_the_check_and_sample_pass(one, client, tmp_path, monkeypatch):
    X, T, ref = one
    before = pids(client)
    fault(monkeypatch, "_checked_sample", tmp_path, chunks={4096})
    assert_same_fit(ref, on_dask(X, T, client))
    assert marks(tmp_path) == ["_checked_sample-4096"]
    client.wait_for_workers(2, timeout=120)
    assert len(pids(client) - before) == 1  # restarted by its nanny, and its environment checks as the same
    _dask.check_workers(client)


def test_a_worker_killed_in_the_assignment_pass(one, client, tmp_path, monkeypatch):
    X, T, ref = one
    fault(monkeypatch, "_assign_chunk", tmp_path, chunks={8192})
    assert_same_fit(ref, on_dask(X, T, client))
    assert marks(tmp_path) == ["_assign_chunk-8192"]


@pytest.mark.parametrize("name", ["_checked_sample", "_assign_chunk"])
def test_both_workers_killed_in_one_pass(one, client, tmp_path, monkeypatch, name):
    # in the assignment pass this lost the scattered centres with their last holder: Dask cancelled every
    # chunk waiting for them ("already forgotten"); they are a key of the graph now
    X, T, ref = one
    first = pids(client)
    fault(monkeypatch, name, tmp_path, pids=first)
    assert_same_fit(ref, on_dask(X, T, client))
    assert marks(tmp_path) == sorted(f"{name}-{p}" for p in first)


async def _drop_worker(address, dask_scheduler=None):
    # what the scheduler does to a worker it stops hearing from (worker-ttl), at once
    await dask_scheduler.remove_worker(address=address, stimulus_id="test-paused-worker", close=False)


def test_a_paused_worker_s_late_reply_changes_nothing(one, tmp_path, monkeypatch):
    # The worker of chunk 8192 stops itself; the scheduler drops it (as when it loses a worker's connection)
    # and runs the chunk elsewhere, where the retry waits until the stopped worker, resumed, has computed the
    # chunk too: its late reply comes during the fit and must not be taken, once or twice. Its own cluster:
    # the dropped worker shuts down with its nanny when it hears it was dropped.
    X, T, ref = one
    fault(monkeypatch, "_assign_chunk", tmp_path, chunks={8192}, sig=signal.SIGSTOP)
    events = []
    with local_cluster() as (_, client):
        client.wait_for_workers(2, timeout=120)
        address = {pid: a for a, pid in client.run(os.getpid).items()}

        def scheduler_drops_then_resumes_it():
            stop = tmp_path / "_assign_chunk-8192"
            wait_for(lambda: stop.exists() and stop.read_text(), "the worker to stop")
            pid = int(stop.read_text())
            client.run_on_scheduler(_drop_worker, address[pid])
            events.append("dropped")
            os.kill(pid, signal.SIGCONT)
            events.append("resumed")

        thread = threading.Thread(target=scheduler_drops_then_resumes_it)
        thread.start()
        try:
            fit = on_dask(X, T, client)
        finally:
            thread.join()
    assert events == ["dropped", "resumed"]
    assert marks(tmp_path) == ["_assign_chunk-8192", "late-8192"]  # the late result was computed
    assert_same_fit(ref, fit)


def test_a_chunk_that_kills_its_workers_is_named(one, cluster, client, tmp_path, monkeypatch):
    X, T, ref = one
    monkeypatch.setattr(cluster[0].scheduler, "allowed_failures", 0)  # the first death is the last allowed
    fault(monkeypatch, "_assign_chunk", tmp_path, chunks={8192})
    with pytest.raises(RuntimeError, match=r"Dask workers died running the assignment pass on chunk \d \(rows "
                                           r"[\d,]+-[\d,]+\): 1 worker died while running one of its tasks "
                                           r"\(Dask's distributed.scheduler.allowed-failures is 0\)") as e:
        on_dask(X, T, client)
    assert isinstance(e.value.__cause__, distributed.KilledWorker)
    client.wait_for_workers(2, timeout=120)  # the killed worker is back: the cluster fits again
    assert_same_fit(ref, on_dask(X, T, client))


class Holds:
    """_assign_chunk, except that its first attempt on the chunk at `first` waits for a file
    "release" in `marks` (after writing "held")."""

    def __init__(self, fn, marks, first):
        self.fn, self.marks, self.first = fn, str(marks), first

    def __call__(self, *args, block_info=None, **kw):
        if block_info[0]["array-location"][0][0] == self.first:
            try:
                open(os.path.join(self.marks, "held"), "x").close()
            except FileExistsError:
                pass
            else:
                wait_for(lambda: os.path.exists(os.path.join(self.marks, "release")), "the release")
        return self.fn(*args, block_info=block_info, **kw)


def test_a_cluster_without_workers_past_the_timeout_stops_the_fit_by_name(one, cluster, client, tmp_path,
                                                                          monkeypatch):
    # The chunk at 8192 holds its worker while every worker leaves: the nannies close (no kill, so no
    # restart racing the closing nannies), the held worker abruptly; nothing else runs the chunk
    X, T, ref = one
    lc = cluster[0]
    monkeypatch.setattr(_dask_quantize, "_assign_chunk", Holds(_dask_quantize._assign_chunk, tmp_path, 8192))

    def every_worker_leaves():
        wait_for((tmp_path / "held").exists, "the held chunk")
        lc.scale(0)
        wait_for(lambda: not client.scheduler_info()["workers"], "every worker to leave")
        (tmp_path / "release").touch()

    thread = threading.Thread(target=every_worker_leaves)
    thread.start()
    sel = GIOSelector(quantize=40, random_state=0)
    try:
        with dask.config.set({"gioselect.no-workers-timeout": "1s"}):
            with pytest.raises(TimeoutError, match=re.escape("the Dask cluster has had no workers for 1 s during "
                                                             "the assignment pass, so the fit stopped there")):
                sel.fit(pool(X), target=T, client=client)
    finally:
        thread.join()
        lc.scale(2)
    assert not hasattr(sel, "selected_indices_")
    monkeypatch.undo()
    client.wait_for_workers(2, timeout=120)  # the cluster is back: the same selector fits, the one-process fit
    assert_same_fit(ref, sel.fit(pool(X), target=T, client=client))


def test_a_fit_whose_tasks_are_cancelled_by_someone_else_stops_by_name(one, client, tmp_path, monkeypatch):
    X, T, ref = one
    monkeypatch.setattr(_dask_quantize, "_assign_chunk", Holds(_dask_quantize._assign_chunk, tmp_path, 8192))

    def cancel_everything():
        wait_for((tmp_path / "held").exists, "the held chunk")
        client.cancel([distributed.Future(key, client) for key in list(client.futures)])
        (tmp_path / "release").touch()

    thread = threading.Thread(target=cancel_everything)
    thread.start()
    try:
        with pytest.raises(RuntimeError, match=r"Dask cancelled the assignment pass on chunk \d \(rows "):
            on_dask(X, T, client)
    finally:
        thread.join()
    monkeypatch.undo()
    assert_same_fit(ref, on_dask(X, T, client))


def test_the_no_workers_timeout_is_checked(one, client):
    X, T, _ = one
    for bad in ("0s", "-1", "soon"):
        with dask.config.set({"gioselect.no-workers-timeout": bad}):
            with pytest.raises(ValueError, match="the Dask setting gioselect.no-workers-timeout must be a positive"):
                on_dask(X, T, client)


def test_the_centres_in_the_graph_are_not_warned_about(client):
    # the centres travel in the graph on purpose (K x d values: 9 MB at 1,500 x 768 float64); Dask warns
    # about a graph over its threshold, raised for that by what the graph carries on purpose
    pool = _dask.DaskPool(da.zeros((10, 2), chunks=(5, 2)), client)
    centres = np.arange(20_000, dtype=np.float64)  # 160 kB
    part = dask.delayed(np.sum)(_dask.DaskPool.in_graph(centres))
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "100kB"}):
        with pytest.warns(UserWarning, match="Sending large graph"):
            pool.results([part], "a pass", ["it"])
        assert pool.results([part], "a pass", ["it"], graph_bytes=centres.nbytes) == [centres.sum()]


def test_a_dask_fit_leaves_this_process_s_blas_threads_alone(one, client):
    # map_blocks ran the assignment on an empty chunk here to find its output type, and the assignment's
    # one-thread BLAS limit (kept for a worker's life) then held for this process's life
    from threadpoolctl import threadpool_info, threadpool_limits

    X, T, _ = one
    with threadpool_limits(limits=2, user_api="blas"):
        on_dask(X, T, client)
        assert {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"} == {2}


class DiesOnce:
    """gioselect._dask.environment, except that the first worker to run it kills itself first."""

    def __init__(self, marks):
        self.marks, self.client, self.environment = str(marks), os.getpid(), _dask.environment

    def __call__(self):
        if os.getpid() != self.client:
            try:
                open(os.path.join(self.marks, "environment"), "x").close()
            except FileExistsError:
                pass
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return self.environment()


def test_a_worker_that_dies_during_the_check_of_the_workers_is_not_a_wrong_install(one, client, tmp_path,
                                                                                   monkeypatch):
    X, T, ref = one
    # before, its closed connection was reported as "every worker needs this gioselect installed"
    monkeypatch.setattr(_dask, "environment", DiesOnce(tmp_path))
    assert_same_fit(ref, on_dask(X, T, client))
    assert marks(tmp_path) == ["environment"]


class NoGioselect:
    """What a worker without gioselect answers (the client's own environment is the real one)."""

    def __init__(self):
        self.client, self.environment = os.getpid(), _dask.environment

    def __call__(self):
        if os.getpid() != self.client:
            raise ImportError("No module named 'gioselect'")
        return self.environment()


def test_a_worker_that_cannot_report_its_environment_is_named(one, client, monkeypatch):
    X, T, _ = one
    monkeypatch.setattr(_dask, "environment", NoGioselect())
    with pytest.raises(ValueError, match=r"Dask worker tcp://[\d.:]+ could not report its environment \(ImportError: "
                                         r"No module named 'gioselect'\); every worker needs this gioselect"):
        on_dask(X, T, client)


def test_a_worker_running_other_simd_kernels_is_refused_by_name(one):
    # GIOSELECT_SIMD=generic makes the core run its portable kernels, whose distances may differ in the last
    # bits from the AVX2+FMA ones: numpy's CPU features and every version still match, so only the core's
    # own report of its kernel tells them apart (before, both fits ran)
    X, T, _ = one
    ours = _core.simd_kernel()
    if ours == "generic" and os.environ.get("GIOSELECT_SIMD") != "generic":
        pytest.skip("this CPU runs only the portable kernels: no worker here can run other ones")
    theirs = "avx2+fma" if ours == "generic" else "generic"
    with local_cluster(n_workers=1, env={"GIOSELECT_SIMD": "avx2" if ours == "generic" else "generic"}) as (_, client):
        [address] = client.scheduler_info()["workers"]
        assert client.run(_core.simd_kernel) == {address: theirs}
        for params in (dict(quantize=40), dict(search="descent")):
            with pytest.raises(ValueError, match=re.escape(
                    f"Dask worker {address} has SIMD kernel {theirs}, this process {ours}: its rows' distances could "
                    f"differ in the last bits") + r".*start the workers with this process's GIOSELECT_SIMD"):
                GIOSelector(random_state=0, **params).fit(pool(X), target=T, client=client)
