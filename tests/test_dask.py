"""quantize=K on a Dask pool (gioselect._dask, _dask_quantize): on a 2-process LocalCluster, the
fit gives the one-process fit bit for bit (centres, labels, cluster picks, rows, traces, stop), for
1-4 chunks, uneven chunks, an empty cluster's repair, duplicate rows across chunks, a memory-mapped
.npy read by the workers, float32/float64, cosine, budgets and row caps; the pool does not come to
the client; what does not run on Dask is refused by name."""

import logging
import os
import pickle
import re

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from gioselect import GIOSampler, GIOSelector, _dask, _dask_quantize, quantize  # noqa: E402
from gioselect.io import read_npy_dask  # noqa: E402

pytestmark = pytest.mark.dask

FITTED = ("cluster_centers_", "cluster_labels_", "selected_clusters_", "selected_indices_", "objective_trace_",
          "support_", "init_")


@pytest.fixture(scope="module")
def client():
    # Starting a LocalCluster sets OMP_NUM_THREADS=1 (and more) in this process's environment for
    # its worker processes; restored after, or later tests' subprocesses run on one thread.
    saved = dict(os.environ)
    try:
        # ":0": any free port (None means 8787, which may be another cluster's: the warning fails the test)
        with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                      dashboard_address=":0") as cluster:
            with distributed.Client(cluster, set_as_default=False) as c:
                yield c
    finally:
        os.environ.clear()
        os.environ.update(saved)


def clustered(n_per=5000, d=8, centres=(0, 4, 8, 12), seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(c, 1.0, (n_per, d)) for c in centres]).astype(dtype)


@pytest.fixture(scope="module")
def data():
    X = clustered()  # 20,000 x 8: five assignment blocks of 4,096 rows at K <= 1,024
    T = clustered(n_per=300, centres=(0, 8), seed=1)
    return X, T


def assert_same_fit(a, b):
    for name in FITTED:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.stop_reason_, a.n_iter_, a.objective_start_) == (b.stop_reason_, b.n_iter_, b.objective_start_)
    np.testing.assert_array_equal(a.selection_kl_, b.selection_kl_)  # NaN-aware, exact
    np.testing.assert_array_equal(b._selected_rows.indices, a.selected_indices_)  # left on the workers
    assert len(a.selected_indices_) > 0


def both(X, T, client, chunks, **params):
    params.setdefault("random_state", 0)
    one = GIOSelector(**params).fit(X, target=T)
    on_dask = GIOSelector(**params).fit(da.from_array(X, chunks=(chunks, -1)), target=T, client=client)
    return one, on_dask


@pytest.mark.parametrize("chunks", [(20000,), (10000, 10000), (3000, 9000, 8000), (5000, 1000, 6000, 8000),
                                    (4096, 4096, 4096, 7712)])
def test_same_fit_as_one_process_for_one_to_four_chunks(data, client, chunks):
    X, T = data
    assert_same_fit(*both(X, T, client, chunks, quantize=40))


def test_chunks_are_cut_at_the_assignment_blocks():
    assert _dask_quantize.aligned_chunks((20000,), 4096) == (20000,)
    assert _dask_quantize.aligned_chunks((3000, 9000, 8000), 4096) == (4096, 8192, 7712)
    assert _dask_quantize.aligned_chunks((5000, 1000, 6000, 8000), 4096) == (4096, 8192, 7712)
    assert _dask_quantize.aligned_chunks((100, 100, 100), 4096) == (300,)  # smaller than a block: one chunk
    assert _dask_quantize.aligned_chunks((4096, 4096, 100), 4096) == (4096, 4096, 100)  # the last: any size
    assert _dask_quantize.aligned_chunks((4000, 4000, 100), 4096) == (4096, 4004)
    # chunks of a multiple of 4,096 rows (read_npy_dask's) need no re-cut for any K
    assert {quantize.assign_block_rows(k) for k in (1, 40, 1500, 5000, 10**6)} == {4096, 2048, 512, 4}
    assert _dask_quantize.aligned_chunks((8192, 8192, 100), quantize.assign_block_rows(1500)) == (8192, 8192, 100)


def test_assign_of_a_block_aligned_slice_is_the_whole_pool_s():
    # the property the chunk re-cut relies on, under every thread count of this process
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(2)
    X = rng.normal(size=(9000, 64))
    centres = quantize.AssignCentres.of(rng.normal(size=(1500, 64)))
    rows = quantize.assign_block_rows(1500)
    whole = quantize.assign(X, centres)
    with threadpool_limits(limits=1, user_api="blas"):
        part = quantize.assign(X[2 * rows:], centres, first_row=2 * rows)
    np.testing.assert_array_equal(part[0], whole[0][2 * rows:])
    np.testing.assert_array_equal(part[1], whole[1][2 * rows:])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_fit_in_float32_and_float64(client, dtype):
    X, T = clustered(dtype=dtype), clustered(n_per=300, centres=(0, 8), seed=1, dtype=dtype)
    one, on_dask = both(X, T, client, (7000, 7000, 6000), quantize=60, objective="knn")
    assert one.cluster_centers_.dtype == on_dask.cluster_centers_.dtype == dtype
    assert_same_fit(one, on_dask)


def test_same_fit_with_cosine(data, client):
    X, T = data
    assert_same_fit(*both(X + 1.0, T + 1.0, client, (6000, 14000), quantize=40, metric="cosine"))


@pytest.mark.parametrize("params", [dict(n_select=12), dict(n_select_rows=3000), dict(max_rows_per_cluster=50),
                                    dict(search="greedy", objective="knn", n_select=10)])
def test_same_fit_with_budgets_and_row_caps(data, client, params):
    X, T = data
    one, on_dask = both(X, T, client, (8000, 12000), quantize=40, **params)
    assert_same_fit(one, on_dask)
    if "max_rows_per_cluster" in params:
        assert np.bincount(one.cluster_labels_[one.selected_indices_]).max() == 50


@pytest.mark.parametrize("search, stop", [("auto", "in_domain"), ("descent", "sequential_increase_tolerance")])
def test_the_automatic_stop_is_the_one_process_stop(data, client, search, stop):
    X, T = data
    one, on_dask = both(X, T, client, (8000, 12000), quantize=40, search=search)
    assert one.stop_reason_ == on_dask.stop_reason_ == stop
    assert_same_fit(one, on_dask)


def test_an_empty_cluster_is_repaired_from_the_chunk_holding_its_row(client):
    # 3 distinct points for 6 clusters: at least 3 start empty; the farthest row sits in the last chunk
    X = np.vstack([np.zeros((5000, 2)), np.ones((5000, 2)) * 10, [[100.0, 100.0]]]).astype(np.float32)
    one = quantize.kmeans(X, 6, random_state=0)
    pool = _dask.DaskPool(da.from_array(X, chunks=(4096, -1)), client)
    dist = _dask_quantize.kmeans(pool, 6, random_state=0)
    assert one.n_repaired == dist.n_repaired >= 3
    for name in ("centers", "labels", "sq_dist"):
        np.testing.assert_array_equal(getattr(one, name), getattr(dist, name), err_msg=name)
    assert one.inertia == dist.inertia
    assert one.labels[-1] != np.bincount(one.labels).argmax()  # the far row was given to an empty cluster


def test_duplicate_rows_across_chunks_tie_as_in_one_process(data, client):
    X, T = data
    X = np.vstack([X[:6000], X[:6000], X[6000:12000]])  # every row of the first chunk again in the second
    one, on_dask = both(X, T, client, (6000, 6000, 6000), quantize=40, max_rows_per_cluster=30)
    assert_same_fit(one, on_dask)
    twin = one.selected_indices_ < 12000  # a row and its duplicate both picked: the lower row first
    assert twin.any()


def test_a_memory_mapped_npy_is_read_by_the_workers(data, client, tmp_path):
    # read_npy_dask: a np.memmap in da.from_array would pickle its rows into the graph
    X, T = data
    np.save(tmp_path / "pool.npy", X)
    pool = read_npy_dask(tmp_path / "pool.npy", chunk_rows=5000)
    assert len(pickle.dumps(pool.dask)) < 100_000  # the path goes to the workers, not the rows (640 kB)
    on_dask = GIOSelector(quantize=40, random_state=0).fit(pool, target=T, client=client)
    one = GIOSelector(quantize=40, random_state=0).fit(np.load(tmp_path / "pool.npy", mmap_mode="r"), target=T)
    assert_same_fit(one, on_dask)
    assert read_npy_dask(tmp_path / "pool.npy").chunks == ((20000,), (8,))  # 128 MiB chunks by default
    with pytest.raises(ValueError, match="chunk_rows must be a positive integer"):
        read_npy_dask(tmp_path / "pool.npy", chunk_rows=0)


@pytest.mark.parametrize("order, dtype", [("C", np.float32), ("F", np.float64)])
def test_read_npy_dask_reads_the_file_s_rows_as_numpy_does(tmp_path, monkeypatch, order, dtype):
    # chunks of whole rows are read into their arrays (not copied out of a map); any other key,
    # and a Fortran-order file, through the map
    from gioselect import io

    X = np.asfortranarray(np.arange(997 * 7, dtype=dtype).reshape(997, 7)) if order == "F" else \
        np.arange(997 * 7, dtype=dtype).reshape(997, 7)
    np.save(tmp_path / "pool.npy", X)
    monkeypatch.setattr(io._NpyRows, "READ_BYTES", 100)  # many reads per chunk
    pool = read_npy_dask(tmp_path / "pool.npy", chunk_rows=300)
    whole = pool.compute(scheduler="sync")
    assert whole.dtype == dtype and np.array_equal(whole, X)
    assert np.array_equal(pool[5:17, 2:5].compute(scheduler="sync"), X[5:17, 2:5])
    assert np.array_equal(pool[::3].compute(scheduler="sync"), X[::3])
    assert np.array_equal(pool[990:].compute(scheduler="sync"), X[990:])
    assert pool[400:400].compute(scheduler="sync").shape == (0, 7)
    if order == "C":
        with open(tmp_path / "pool.npy", "r+b") as f:  # cut short after the pool was opened
            f.truncate(os.path.getsize(tmp_path / "pool.npy") - 10)
        with pytest.raises(ValueError, match="the file ends 10 bytes before row 997 of its 997 rows"):
            pool[900:].compute(scheduler="sync")


def test_the_pool_does_not_pass_through_the_client(data, client, caplog):
    X, T = data
    with caplog.at_level(logging.INFO, logger="gioselect"):
        sel = GIOSelector(quantize=20, random_state=0, n_select=3).fit(da.from_array(X, chunks=(5000, -1)),
                                                                       target=T, client=client)
    sent = int(re.search(r"(\d+) bytes of it sent to the client", caplog.text).group(1))
    row = X.shape[1] * X.itemsize
    sample = quantize.ROWS_PER_CLUSTER * 20
    assert sent == sample * row + 8 * len(X)  # no cluster was empty; the selected rows stay on the workers
    assert sent < X.nbytes
    changes = int(re.search(r"(\d+) changes of the k-NN lists", caplog.text).group(1))  # for selection_kl_
    assert f"{20 * changes} bytes to the client" in caplog.text


def test_the_active_client_is_used_and_fit_transform_stays_lazy(data, client):
    X, T = data
    pool = da.from_array(X, chunks=(10000, -1))
    with client.as_current():
        sel = GIOSelector(quantize=40, random_state=0, n_select=5)
        rows = sel.fit_transform(pool, target=T)
        assert isinstance(rows, da.Array)
        np.testing.assert_array_equal(rows.compute(), X[sel.selected_indices_])
        _, y = GIOSampler(quantize=40, random_state=0, n_select=5).fit_resample(pool, np.arange(len(X)), target=T)
        np.testing.assert_array_equal(y, sel.selected_indices_)


@pytest.mark.parametrize("params, message", [
    (dict(), "on Dask, gioselect runs quantize=K"),
    (dict(search="nearest"), "set quantize=K"),
    (dict(quantize=10, svd_components=4), "svd_components=4 does not run with a Dask pool"),
])
def test_what_does_not_run_on_dask_is_refused_by_name(data, client, params, message):
    X, T = data
    with pytest.raises(ValueError, match=re.escape(message)):
        GIOSelector(**params).fit(da.from_array(X, chunks=(10000, -1)), target=T, client=client)


def test_inputs_that_would_bring_the_pool_here_are_refused(data, client):
    X, T = data
    pool = da.from_array(X, chunks=(10000, -1))
    with pytest.raises(ValueError, match="target defaults to the pool"):
        GIOSelector(quantize=10).fit(pool, client=client)
    with pytest.raises(TypeError, match="X must be a dask.array.Array"):
        GIOSelector(quantize=10).fit(X, target=T, client=client)
    sel = GIOSelector(quantize=10, n_select=3, random_state=0).fit(pool, target=T, client=client)
    with pytest.raises(TypeError, match=re.escape("X[selector.selected_indices_]")):
        sel.transform(pool)
    with pytest.raises(ValueError, match="no distributed.Client"):
        GIOSelector(quantize=10).fit(pool, target=T)


def test_bad_values_in_a_chunk_are_named_as_in_one_process(data, client):
    X, T = data
    X = X.copy()
    X[13001, 3] = np.nan
    X[17000, 1] = np.inf
    with pytest.raises(ValueError) as one:
        GIOSelector(quantize=10).fit(X, target=T)
    with pytest.raises(ValueError) as on_dask:
        GIOSelector(quantize=10).fit(da.from_array(X, chunks=(5000, -1)), target=T, client=client)
    assert str(on_dask.value) == str(one.value)
    assert "row 13001, column 3" in str(one.value)


def test_a_worker_with_other_kernels_is_refused(data, client, monkeypatch):
    X, T = data
    monkeypatch.setattr(np, "__version__", "0.0.0")  # this process only: the workers report theirs
    with pytest.raises(ValueError, match=r"Dask worker .* has numpy .*, this process 0\.0\.0"):
        GIOSelector(quantize=10).fit(da.from_array(X, chunks=(10000, -1)), target=T, client=client)
