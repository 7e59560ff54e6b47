"""search='descent' on a Dask pool (gioselect._dask_descent): the projection on shard actors, one per
chunk, the descent on the client. On the 2-process LocalCluster of tests/test_dask.py, the fit is
the one-process fit bit for bit (picks, trace, stop, selection_kl_) for the relaxed descent and the
knn descent with batches, 1-4 shards, uneven and empty chunks, duplicate rows and ties across
shards, exhaustion and resets, budgets, the automatic stop and n_candidates; the approximate
projection and what still needs the pool in one process are refused by name."""

import logging
import re

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")
import dask  # noqa: E402

from gioselect import GIOSelector  # noqa: E402
from test_dask import client  # noqa: E402,F401  (the module's 2-process LocalCluster)

pytestmark = pytest.mark.dask

FITTED = ("selected_indices_", "objective_trace_", "support_", "init_")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1, (1500, 8)) for c in (0, 4, 8)]).astype(np.float32)
    T = np.vstack([rng.normal(c, 1, (150, 8)) for c in (0, 8)]).astype(np.float32)
    return X, T


def assert_same_fit(a, b):
    for name in FITTED:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.stop_reason_, a.n_iter_, a.n_resets_, a.objective_start_, a.scale_factor_) == \
        (b.stop_reason_, b.n_iter_, b.n_resets_, b.objective_start_, b.scale_factor_)
    np.testing.assert_array_equal(a.selection_kl_, b.selection_kl_)
    np.testing.assert_array_equal(b._selected_rows.indices, a.selected_indices_)  # left on the workers
    assert len(a.selected_indices_) > 0 and np.isfinite(a.selection_kl_)


def both(X, T, client, chunks, **params):
    params.setdefault("random_state", 0)
    params.setdefault("search", "descent")
    one = GIOSelector(**params).fit(X, target=T)
    on_dask = GIOSelector(**params).fit(da.from_array(X, chunks=(chunks, -1)), target=T, client=client)
    return one, on_dask


CHUNKS = {"1 shard": (4500,), "2 shards": (2000, 2500), "4 uneven": (1, 2000, 3, 2496),
          "an empty chunk": (1000, 0, 3500)}
MODES = {"relaxed": dict(), "knn, batches of 4": dict(objective="knn", batch_size=4)}


@pytest.mark.parametrize("chunks", CHUNKS.values(), ids=CHUNKS.keys())
@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_same_fit_as_one_process(data, client, mode, chunks):
    X, T = data
    one, on_dask = both(X, T, client, chunks, **mode)
    assert one.stop_reason_ == "sequential_increase_tolerance"  # the automatic stop
    assert_same_fit(one, on_dask)


@pytest.mark.parametrize("params", [dict(n_select=120), dict(objective="knn", n_candidates=3, n_select=60),
                                    dict(objective="knn", batch_size=8, n_candidates=2, n_select=50),
                                    dict(random_init_pct=0.01, objective="knn"), dict(metric="cosine")])
def test_same_fit_with_budgets_candidates_and_start_rows(data, client, params):
    X, T = data
    one, on_dask = both(X + 0.5, T + 0.5, client, (1700, 1300, 1500), **params)
    if "n_select" in params:
        assert one.stop_reason_ == "n_select" and len(one.selected_indices_) == params["n_select"]
    assert_same_fit(one, on_dask)


@pytest.mark.filterwarnings("ignore:the knn estimate was lowest")  # the budget forces picks past it, on purpose
def test_duplicate_rows_and_ties_across_shards(data, client):
    X, T = data
    twice = np.vstack([X[:2000], X[:2000]])  # every row again in the other shard
    one, on_dask = both(twice, T, client, (2000, 2000), objective="knn", batch_size=2, n_select=200)
    assert_same_fit(one, on_dask)
    picked = list(one.selected_indices_)
    copies = [r for r in picked if r >= 2000]
    assert copies and all(picked.index(r - 2000) < picked.index(r) for r in copies)  # the lower copy first


def test_float64_and_a_float32_pool_with_a_float64_target(data, client):
    X, T = data
    assert_same_fit(*both(X.astype(np.float64), T.astype(np.float64), client, (2500, 2000), objective="knn"))
    assert_same_fit(*both(X, T.astype(np.float64), client, (2500, 2000), n_select=40))


@pytest.mark.parametrize("resets", [0, 2])
def test_pool_exhaustion_and_resets(data, client, resets):
    X, T = data
    small = np.ascontiguousarray(X[::100])  # 45 rows
    one, on_dask = both(small, T, client, (10, 1, 0, 34), stop_criterion="sequential_increase_tolerance",
                        max_sequential_increases=1000, resets_allowed=resets > 0, max_resets=resets)
    assert (one.stop_reason_, one.n_resets_, len(one.selected_indices_)) == ("pool exhausted", resets,
                                                                              45 * (resets + 1))
    assert_same_fit(one, on_dask)


@pytest.mark.parametrize("params, message", [
    (dict(search="descent", exact_below=1000), "exact_below=1,000 < the pool's 4,500 rows"),
    (dict(search="nearest"), "search='nearest' runs on the rows"),
    (dict(), "search='auto' ('spread', as a target is given) runs on the rows"),
    (dict(search="descent", svd_components=4), "svd_components=4 does not run with a Dask pool"),
])
def test_what_does_not_run_on_shards_is_refused_by_name(data, client, params, message):
    X, T = data
    with pytest.raises(ValueError, match=re.escape(message)):
        GIOSelector(**params).fit(da.from_array(X, chunks=(2000, -1)), target=T, client=client)
    with pytest.raises(ValueError, match="target defaults to the pool"):
        GIOSelector(search="descent").fit(da.from_array(X, chunks=(2000, -1)), client=client)


def test_projection_exact_runs_past_exact_below(data, client):
    X, T = data
    assert_same_fit(*both(X, T, client, (2000, 2500), projection="exact", exact_below=10, n_select=30))


def test_bad_values_in_a_shard_are_named_as_in_one_process(data, client):
    X, T = data
    X = X.copy()
    X[3001, 2] = np.nan
    X[4000, 1] = np.inf
    with pytest.raises(ValueError) as one:
        GIOSelector(search="descent").fit(X, target=T)
    with pytest.raises(ValueError) as on_dask:
        GIOSelector(search="descent").fit(da.from_array(X, chunks=(2000, -1)), target=T, client=client)
    assert str(on_dask.value) == str(one.value)
    assert "row 3001, column 2" in str(one.value)
    assert GIOSelector(search="descent", n_select=3).fit(da.from_array(X[:3000], chunks=(2000, -1)), target=T,
                                                         client=client).stop_reason_ == "n_select"



def test_a_shard_s_distances_are_one_process_s(data, client):
    # a row's squared distance from a worker's shard (at any offset in its chunk) has the bits of
    # one index over the whole pool in this process
    from gioselect import _dask, _dask_descent, _shards

    X, T = data
    whole = _shards.local_shards(X, [0, len(X)])
    pool = _dask.DaskPool(da.from_array(X, chunks=((1001, 1502, 1997), -1)), client)
    nothing_taken = np.empty(0, np.int64)
    with client.as_current(), _dask_descent.DaskShards(pool, X.dtype, "euclidean", 0) as shards:
        assert shards.starts == [0, 1001, 2503, 4500]
        for v in np.random.default_rng(5).normal(4, 3, (4, 8)):
            dist, rows, _ = whole.ask([(v, len(X), nothing_taken, False)], [[]], "nearest")[0]  # every row, here
            one_process = dict(zip(rows.tolist(), dist.tolist()))
            for dist, rows, values in shards._ask([(v, 50, nothing_taken, False)] * 3, [[]] * 3, "nearest"):
                assert len(rows) == 50
                assert dist.tolist() == [one_process[r] for r in rows.tolist()]
                np.testing.assert_array_equal(values, X[rows])
            # a batch's lists: query j's 50 + j nearest, with the same distances
            dist, rows, _ = whole.ask([(v + 0.5, len(X), nothing_taken, False)], [[]], "nearest")[0]
            second = dict(zip(rows.tolist(), dist.tolist()))
            for dist, rows, counts, distinct, values in shards._ask([(np.vstack([v, v + 0.5]), 50, nothing_taken,
                                                                      False)] * 3, [[]] * 3, "nearest_batch"):
                assert counts.tolist() == [50, 51]
                assert dist.tolist() == [one_process[r] for r in rows[:50].tolist()] + \
                    [second[r] for r in rows[50:].tolist()]
                assert distinct.tolist() == sorted(set(rows.tolist()))
                np.testing.assert_array_equal(values, X[distinct])


def _round_trips(caplog) -> tuple[int, int]:
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("Dask descent on"))
    queries, calls = re.search(r"(\d+) queries in [\d.]+ s, (\d+) round trips", line).groups()
    return int(queries), int(calls)


@pytest.mark.filterwarnings("ignore:the knn estimate was lowest")
@pytest.mark.parametrize("mode", [dict(n_select=150), dict(objective="knn", batch_size=8, n_select=150)],
                         ids=["relaxed", "knn, rounds of 8"])
def test_a_batch_of_queries_is_one_round_trip(data, client, caplog, mode):
    X, T = data
    fits = {}
    for lookahead in (1, 32):
        caplog.clear()
        with dask.config.set({"gioselect.descent-lookahead": lookahead}), \
                caplog.at_level(logging.INFO, logger="gioselect"):
            one, fits[lookahead] = both(X, T, client, (2000, 2500), **mode)
        assert_same_fit(one, fits[lookahead])
        queries, calls = _round_trips(caplog)
        assert queries == 150
        if lookahead == 1:
            assert calls == queries
        else:  # relaxed: the first (long) descent alone, then batches of 32; knn: a round per call
            assert calls <= (6 if "batch_size" not in mode else 150 // 8 + 1)


@pytest.mark.parametrize("value", [0, -3, "many", 2.5, True])
def test_a_bad_lookahead_setting_is_refused_by_name(data, client, value):
    X, T = data
    with dask.config.set({"gioselect.descent-lookahead": value}), \
            pytest.raises(ValueError, match="gioselect.descent-lookahead must be a whole number"):
        GIOSelector(search="descent", random_state=0).fit(da.from_array(X, chunks=(2000, -1)), target=T, client=client)


def test_hnsw_shards_are_approximate_with_an_audited_recall(data, client, caplog):
    # an HNSW index per shard: not one process's picks (its HNSW is one graph over the whole pool),
    # but deterministic, and with the audit on every projection is checked against the exact scan
    X, T = data
    params = dict(search="descent", projection="hnsw", n_select=150, random_state=0)
    pool = da.from_array(X, chunks=((2000, 2500), -1))
    plain = GIOSelector(**params).fit(pool, target=T, client=client)
    with dask.config.set({"gioselect.hnsw-audit": True}), caplog.at_level(logging.INFO, logger="gioselect"):
        audited = GIOSelector(**params).fit(pool, target=T, client=client)
    np.testing.assert_array_equal(plain.selected_indices_, audited.selected_indices_)  # the audit only watches
    assert len(np.unique(plain.selected_indices_)) == 150 and np.isfinite(plain.selection_kl_)
    line = next(r.getMessage() for r in caplog.records if "audited projections" in r.getMessage())
    exact, audited_n = map(int, re.search(r"(\d+) of (\d+) audited projections", line).groups())
    assert audited_n == 150 and exact >= 0.9 * audited_n
    _, calls = _round_trips(caplog)
    assert calls == 150  # HNSW shards answer one query per call
    exact_fit = GIOSelector(**dict(params, projection="exact")).fit(X, target=T)
    agree = np.mean(plain.selected_indices_ == exact_fit.selected_indices_)
    assert agree > 0.5, agree  # close to the exact run, and not required to equal it


def test_a_bad_audit_setting_is_refused_by_name(data, client):
    X, T = data
    with dask.config.set({"gioselect.hnsw-audit": "yes"}), \
            pytest.raises(ValueError, match="gioselect.hnsw-audit must be True or False"):
        GIOSelector(search="descent", projection="hnsw", random_state=0).fit(
            da.from_array(X, chunks=(2000, -1)), target=T, client=client)


def test_the_memory_check_counts_what_the_client_holds(data, client, monkeypatch):
    # one process holds a distance per pool row for its exact scans (and would copy a float32 pool
    # to float64 for a float64 target); on Dask the workers do both, so a client with room for
    # the rest runs the fit that one process is refused
    from gioselect import memory

    X, T = data
    sel = GIOSelector(search="descent", projection="exact", n_select=50, n_jobs=1)
    sel._check_params(target_given=True)
    params = sel._params()
    here = memory.need_bytes(len(X), len(T), X.shape[1], np.float64, params, converts=True)
    there = memory.need_bytes(len(X), len(T), X.shape[1], np.float64, dict(params, on_dask=True), converts=True)
    # the distances and the float64 copy are the workers', the pick log (40 bytes a pick) the client's
    assert here - there == len(X) * 8 * (X.shape[1] + 1) - 50 * 40
    monkeypatch.setattr(memory, "available_memory", lambda: (here + there) // 2)
    T64 = T.astype(np.float64)
    with pytest.raises(MemoryError, match="this fit needs about"):
        GIOSelector(search="descent", projection="exact", n_select=50, n_jobs=1).fit(X, target=T64)
    fit = GIOSelector(search="descent", projection="exact", n_select=50, n_jobs=1, random_state=0).fit(
        da.from_array(X, chunks=(2000, -1)), target=T64, client=client)
    assert len(fit.selected_indices_) == 50
