"""search='greedy' on a Dask pool (gioselect._dask_greedy): the scores on shard actors, one per
chunk, the greedy loop on the client. On the 2-process LocalCluster of tests/test_dask.py, the fit
is the one-process fit bit for bit (picks, trace, stop, selection_kl_) for the relaxed and the knn
greedy, 1-4 shards, uneven and empty chunks, duplicate rows and ties across shards, exhaustion,
budgets, the automatic stop, cosine and float64."""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from gioselect import GIOSelector  # noqa: E402
from test_dask import client  # noqa: E402,F401  (the module's 2-process LocalCluster)
from test_dask_descent import assert_same_fit, data  # noqa: E402,F401  (the descent's pool, target and checks)

pytestmark = pytest.mark.dask


def both(X, T, client, chunks, **params):
    params.setdefault("random_state", 0)
    params.setdefault("search", "greedy")
    one = GIOSelector(**params).fit(X, target=T)
    on_dask = GIOSelector(**params).fit(da.from_array(X, chunks=(chunks, -1)), target=T, client=client)
    return one, on_dask


CHUNKS = {"1 shard": (4500,), "2 shards": (2000, 2500), "4 uneven": (1, 2000, 3, 2496),
          "an empty chunk": (1000, 0, 3500)}
MODES = {"relaxed": dict(objective="relaxed", n_select=150), "knn": dict(objective="knn", n_select=150)}


@pytest.mark.parametrize("chunks", CHUNKS.values(), ids=CHUNKS.keys())
@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_same_fit_as_one_process(data, client, mode, chunks):
    X, T = data
    one, on_dask = both(X, T, client, chunks, **mode)
    assert one.stop_reason_ == "n_select"
    assert_same_fit(one, on_dask)


@pytest.mark.parametrize("params", [dict(objective="knn", k=1), dict(objective="relaxed"),
                                    dict(objective="knn", stop_criterion="data_size", max_data_size=0.03),
                                    dict(objective="knn", k=3, metric="cosine", n_select=80),
                                    dict(objective="knn", random_init_pct=0.01, n_select=60)],
                         ids=["knn k=1, automatic stop", "relaxed, automatic stop", "max_data_size", "cosine k=3",
                              "start rows from the pool"])
def test_same_fit_with_stops_budgets_and_start_rows(data, client, params):
    X, T = data
    one, on_dask = both(X + 0.5, T + 0.5, client, (1700, 1303, 1497), **params)
    assert len(one.selected_indices_) >= 60
    assert_same_fit(one, on_dask)


def test_duplicate_rows_and_ties_across_shards(data, client):
    X, T = data
    twice = np.vstack([X[:2000], X[:2000]])  # every row again in the other shard
    for objective in ("knn", "relaxed"):
        one, on_dask = both(twice, T, client, (2000, 2000), objective=objective, n_select=150)
        assert_same_fit(one, on_dask)
        if objective == "relaxed":  # tied values: the lower copy first
            picked = list(one.selected_indices_)
            copies = [r for r in picked if r >= 2000]
            assert copies and all(picked.index(r - 2000) < picked.index(r) for r in copies)


def test_float64_and_a_float32_pool_with_a_float64_target(data, client):
    X, T = data
    assert_same_fit(*both(X.astype(np.float64), T.astype(np.float64), client, (2500, 2000), objective="knn",
                          n_select=100))
    assert_same_fit(*both(X, T.astype(np.float64), client, (2500, 2000), objective="relaxed", n_select=40))


def test_pool_exhaustion(data, client):
    X, T = data
    small = np.ascontiguousarray(X[::100])  # 45 rows
    for objective in ("knn", "relaxed"):
        one, on_dask = both(small, T, client, (10, 1, 0, 34), objective=objective,
                            stop_criterion="sequential_increase_tolerance", max_sequential_increases=1000)
        assert (one.stop_reason_, len(one.selected_indices_)) == ("pool exhausted", 45)
        assert_same_fit(one, on_dask)


def test_bad_values_in_a_shard_are_named_as_in_one_process(data, client):
    X, T = data
    X = X.copy()
    X[3001, 2] = np.nan
    with pytest.raises(ValueError) as one:
        GIOSelector(search="greedy", objective="knn").fit(X, target=T)
    with pytest.raises(ValueError) as on_dask:
        GIOSelector(search="greedy", objective="knn").fit(da.from_array(X, chunks=(2000, -1)), target=T,
                                                          client=client)
    assert str(on_dask.value) == str(one.value)
    assert "row 3001, column 2" in str(one.value)
