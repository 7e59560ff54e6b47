"""selection_kl_ and score(target=T) of a Dask fit, computed on the workers (gioselect._dask_selection_kl):
on the 2-process LocalCluster of tests/test_dask.py, each equals the one-process value exactly (==)
for quantize fits (descent, greedy), descent and greedy on the rows, 1-4 chunks, uneven chunks and
chunks without a selected row, rows repeated across chunks (tied distances), k = 1 and 5, cosine,
float32 and float64; NaN below k rows; the selected rows do not come to the client."""

import logging
import pickle

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from gioselect import GIOSelector, _core, _dask, _dask_selection_kl, knn_kl  # noqa: E402
from test_dask import client  # noqa: E402,F401  (the module's 2-process LocalCluster)

pytestmark = pytest.mark.dask


def clustered(n_per, centres, seed, dtype=np.float32, d=8):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(c, 1.0, (n_per, d)) for c in centres]).astype(dtype)


@pytest.fixture(scope="module")
def data():
    X = clustered(2000, (0, 4, 8, 12), 0)  # 8,000 x 8; the chunks of rows 6,000- hold no selected row
    T = clustered(200, (0, 8), 1)
    T2 = clustered(150, (0, 4), 2)  # a held-out target for score()
    return X, T, T2


def fits(X, T, client, chunks, **params):
    params.setdefault("random_state", 0)
    one = GIOSelector(**params).fit(X, target=T)
    on_dask = GIOSelector(**params).fit(da.from_array(X, chunks=(chunks, -1)), target=T, client=client)
    np.testing.assert_array_equal(one.selected_indices_, on_dask.selected_indices_)
    return one, on_dask


def assert_same_estimates(one, on_dask, T2):
    assert isinstance(on_dask._selected_rows, _dask_selection_kl.RowsOnWorkers)
    assert np.isfinite(one.selection_kl_)
    assert on_dask.selection_kl_ == one.selection_kl_
    assert on_dask.score() == one.score()
    assert on_dask.score(target=T2) == one.score(target=T2)


CHUNKS = {"1 chunk": (8000,), "2 chunks": (4096, 3904), "4 uneven": (1000, 3096, 100, 3804),
          "a 0-row chunk": (3000, 0, 5000)}


@pytest.mark.parametrize("chunks", CHUNKS.values(), ids=CHUNKS.keys())
@pytest.mark.parametrize("search", ["descent", "greedy"])
def test_quantize_fits_equal_one_process(data, client, search, chunks):
    X, T, T2 = data
    one, on_dask = fits(X, T, client, chunks, quantize=60, search=search)
    assert len(one.selected_indices_) > 1000  # every row of the picked clusters: the big case
    assert_same_estimates(one, on_dask, T2)


@pytest.mark.parametrize("params", [dict(k=1), dict(k=5, metric="cosine"), dict(k=2, objective="knn")])
def test_k_metric_and_objective(data, client, params):
    X, T, T2 = data
    one, on_dask = fits(X + 3, T + 3, client, (2500, 2500, 3000), quantize=50, **params)  # + 3: no zero row
    assert_same_estimates(one, on_dask, T2 + 3)


def test_float64_and_a_float32_pool_with_a_float64_target(data, client):
    X, T, T2 = data
    assert_same_estimates(*fits(X.astype(np.float64), T.astype(np.float64), client, (3000, 5000), quantize=40),
                          T2.astype(np.float64))
    assert_same_estimates(*fits(X, T.astype(np.float64), client, (3000, 5000), quantize=40), T2)


def test_rows_repeated_across_chunks_tie(data, client):
    X, T, T2 = data
    twice = np.vstack([X[:3000], X[:3000]])  # every row again in the other chunk: tied distances
    one, on_dask = fits(twice, T, client, (3000, 3000), quantize=40, max_rows_per_cluster=200)
    taken = one.selected_indices_
    assert np.isin(taken % 3000, taken[taken >= 3000] % 3000).any() and (taken < 3000).any()
    assert_same_estimates(one, on_dask, T2)


@pytest.mark.parametrize("search", ["descent", "greedy"])
def test_searches_on_rows_score_a_held_out_target_on_the_workers(data, client, search):
    X, T, T2 = data  # selection_kl_ here is the core's (it had the rows it took); score(T2) the workers'
    one, on_dask = fits(X[:4500], T, client, (1500, 1000, 2000), search=search, n_select=80)
    assert_same_estimates(one, on_dask, T2)


def test_fewer_than_k_rows_give_nan(data, client):
    X, T, T2 = data
    one, on_dask = fits(X, T, client, (4000, 4000), quantize=40, n_select=2, max_rows_per_cluster=1, k=5)
    assert len(on_dask.selected_indices_) == 2
    assert np.isnan(on_dask.selection_kl_) and np.isnan(one.selection_kl_)
    assert np.isnan(on_dask.score(target=T2))


def test_selected_rows_stay_on_the_workers(data, client, monkeypatch):
    X, T, _ = data
    read = []
    monkeypatch.setattr(_dask.DaskPool, "take", lambda self, rows, phase: read.append(len(rows)) or
                        np.asarray(self.array[np.asarray(rows)].compute()))
    sel = GIOSelector(quantize=40, random_state=0).fit(da.from_array(X, chunks=(4000, -1)), target=T, client=client)
    assert sum(read) < 40 < len(sel.selected_indices_)  # the empty-cluster repair's rows at most


def test_any_order_of_rows_and_chunks(data, client, caplog):
    X, T, T2 = data  # the estimate itself, on rows that interleave the chunks, with repeats
    rng = np.random.default_rng(5)
    pool = _dask.DaskPool(da.from_array(X, chunks=((1500, 0, 2500, 1000, 1000, 2000), -1)), client)
    for k, rows in ((1, rng.integers(0, 8000, 300)), (5, rng.permutation(8000)[:700]), (3, np.arange(7999, 3000, -7))):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="gioselect"):
            got = _dask_selection_kl.selection_kl(pool, T2, rows, k, 1, "euclidean")
        assert got == knn_kl(T2, X[rows], k=k, n_jobs=2)
        # the merges on the workers leave the client the selection's own changes, no more
        own = len(_core.knn_kl_events(T2, X[rows], k, 1, "euclidean")[1])
        assert f": {own} changes of the k-NN lists from" in caplog.text


def test_a_pickled_selector_scores_on_the_client_in_use(data, client):
    X, T, T2 = data
    one, on_dask = fits(X, T, client, (4000, 4000), quantize=40)
    again = pickle.loads(pickle.dumps(on_dask))
    assert again._selected_rows.client is None
    with client.as_current():
        assert again.score(target=T2) == one.score(target=T2)


def test_after_the_fits_client_closed_the_current_one_scores(data, client):
    X, T, T2 = data
    one = GIOSelector(quantize=40, random_state=0).fit(X, target=T)
    with distributed.Client(client.scheduler.address, set_as_default=False) as other:
        sel = GIOSelector(quantize=40, random_state=0).fit(da.from_array(X, chunks=(4000, -1)), target=T, client=other)
    with client.as_current():
        assert sel.score(target=T2) == one.score(target=T2)
