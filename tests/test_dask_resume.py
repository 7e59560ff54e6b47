"""A killed client resumes a Dask fit from its checkpoint on a fresh cluster: a fit on a Dask pool
(read_npy_dask) in a child process, on the child's own cluster, checkpoints every 10 picks and is
SIGKILLed (client and cluster die together); GIOSelector.resume on the 2-process LocalCluster of
tests/test_dask.py finishes it with the selection of one uninterrupted process, bit for bit, for
the sharded descent (relaxed with batches of queries, knn rounds), the sharded knn greedy search and
quantize=K. A checkpoint resumed on another pool is refused by name."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from gioselect import GIOSelector, checkpoint  # noqa: E402
from gioselect.io import read_npy_dask  # noqa: E402
from test_dask import client  # noqa: E402,F401  (the module's 2-process LocalCluster)

pytestmark = [pytest.mark.dask, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")]

MODES = {
    "descent, relaxed": dict(search="descent", n_select=300),
    "descent, knn rounds": dict(search="descent", objective="knn", batch_size=4, n_select=300),
    "greedy, knn": dict(search="greedy", objective="knn", n_select=200),
    "quantize": dict(quantize=400, search="descent", n_select=300),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("dask-resume")
    rng = np.random.default_rng(0)
    pool = np.vstack([rng.normal(c, 1, (1500, 8)) for c in (0, 4, 8)]).astype(np.float32)
    target = np.vstack([rng.normal(c, 1, (150, 8)) for c in (0, 8)]).astype(np.float32)
    np.save(d / "pool.npy", pool)
    np.save(d / "target.npy", target)
    return d, pool, target


def killed_fit(d, ckpt, params):
    """A child process fits on a Dask pool on its own (in-process) cluster, checkpointing every 10
    picks, and is SIGKILLed once a checkpoint holds 30 picks or more."""
    script = textwrap.dedent(f"""
        import time
        import numpy as np
        from distributed import Client, LocalCluster
        from gioselect import GIOSelector
        from gioselect.io import read_npy_dask

        if __name__ == "__main__":
            with LocalCluster(n_workers=2, processes=False, dashboard_address=":0") as cluster, Client(cluster):
                slow = lambda info: time.sleep(0.01)  # still running when it is killed
                GIOSelector(checkpoint={str(ckpt)!r}, checkpoint_every=10, callback=slow, random_state=0,
                            **{params!r}).fit(read_npy_dask({str(d / 'pool.npy')!r}, chunk_rows=1000),
                                              target=np.load({str(d / 'target.npy')!r}))
    """)
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if ckpt.exists() and len(checkpoint.load(str(ckpt))[0].selected) >= 30:
                break
            assert child.poll() is None, "the fit ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("no checkpoint of 30 picks within 180 s")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
    return len(checkpoint.load(str(ckpt))[0].selected)


@pytest.mark.filterwarnings("ignore:the .* estimate was lowest")  # the budget runs past it, on purpose
@pytest.mark.parametrize("params", MODES.values(), ids=MODES.keys())
def test_a_killed_client_resumes_on_a_fresh_cluster(files, client, tmp_path, params):
    d, pool, target = files
    ckpt = tmp_path / "run.ckpt"
    saved = killed_fit(d, ckpt, params)
    one = GIOSelector(random_state=0, **params).fit(pool, target=target)
    assert saved < len(one.objective_trace_)  # killed part way
    resumed = GIOSelector.resume(str(ckpt), read_npy_dask(d / "pool.npy", chunk_rows=1000), target=target,
                                 client=client)
    np.testing.assert_array_equal(resumed.selected_indices_, one.selected_indices_)
    np.testing.assert_array_equal(resumed.objective_trace_, one.objective_trace_)
    assert (resumed.stop_reason_, resumed.n_iter_) == (one.stop_reason_, one.n_iter_)
    np.testing.assert_array_equal(resumed.selection_kl_, one.selection_kl_)


def test_a_checkpoint_resumed_on_another_pool_is_refused(files, client, tmp_path):
    d, pool, target = files
    ckpt = tmp_path / "run.ckpt"
    X = read_npy_dask(d / "pool.npy", chunk_rows=1000)
    GIOSelector(search="descent", n_select=40, checkpoint=str(ckpt), random_state=0).fit(X, target=target,
                                                                                         client=client)
    other = tmp_path / "other.npy"
    np.save(other, pool[::-1])
    with pytest.raises(ValueError, match="X is not the pool of the checkpointed run"):
        GIOSelector.resume(str(ckpt), read_npy_dask(other, chunk_rows=1000), target=target, client=client)
    # the same file rewritten is another pool too (its name records its size and time)
    np.save(d / "copy.npy", pool)
    copy = read_npy_dask(d / "copy.npy", chunk_rows=1000)
    np.save(d / "copy.npy", pool[::-1])
    os.utime(d / "copy.npy", ns=(time.time_ns() + 10**9,) * 2)
    assert read_npy_dask(d / "copy.npy", chunk_rows=1000).name != copy.name
