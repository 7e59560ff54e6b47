"""What users of GIOSelector rely on: picks, stop semantics, the fitted attributes, transform."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from gioselect import GIOSelector, relaxed_kl


@pytest.mark.parametrize("v_init", ["jump", "mean", "prev_opt"])
def test_picks_come_from_the_targets_cluster(blobs, v_init):
    pool, target = blobs
    sel = GIOSelector(search="descent", v_init=v_init, random_state=0).fit(pool, target=target)
    idx = sel.selected_indices_
    assert len(idx) > 10
    assert (idx < 400).mean() > 0.95
    assert len(np.unique(idx)) == len(idx)
    assert sel.objective_trace_[-1] < sel.objective_start_


def test_increase_criterion_stops_before_any_rise(blobs):
    pool, target = blobs
    sel = GIOSelector(search="descent", stop_criterion="increase", v_init="mean", random_state=0).fit(pool, target=target)
    assert sel.stop_reason_ == "increase" and len(sel.selected_indices_) > 10
    assert np.all(np.diff(np.concatenate([[sel.objective_start_], sel.objective_trace_])) < 0)


def test_self_consistency_keeps_a_small_representative_subset():
    rng = np.random.default_rng(1)
    pool = rng.normal(size=(600, 4))
    sel = GIOSelector(random_state=0).fit(pool)  # target defaults to the pool itself
    assert 0 < len(sel.selected_indices_) < 0.6 * len(pool)
    assert sel.objective_trace_[-1] < 0.5 * sel.objective_start_


def test_negative_consistency_stops_almost_at_once():
    rng = np.random.default_rng(2)
    pool = rng.normal([3, 4], 1, size=(500, 2))
    target = rng.normal([300, 400], 1, size=(200, 2))
    sel = GIOSelector(random_state=0).fit(pool, target=target)
    assert len(sel.selected_indices_) <= 5


def test_kl_trace_equals_from_scratch_estimate(blobs):
    pool, target = blobs
    sel = GIOSelector(random_state=0, max_iter=15).fit(pool, target=target)
    for j in range(len(sel.selected_indices_)):
        W = np.vstack([sel.init_, pool[sel.selected_indices_[: j + 1]]]).astype(np.float64)
        assert sel.objective_trace_[j] == pytest.approx(relaxed_kl(target.astype(np.float64), W), rel=1e-9)


def test_n_select_is_an_exact_budget(blobs):
    pool, target = blobs
    sel = GIOSelector(n_select=37, random_state=0).fit(pool, target=target)
    assert len(sel.selected_indices_) == 37 and sel.stop_reason_ == "n_select"


def test_max_iter_caps_picks(blobs):
    sel = GIOSelector(max_iter=7, random_state=0).fit(*blobs[:1], target=blobs[1])
    assert len(sel.selected_indices_) == 7 and sel.stop_reason_ == "max_iter"


def test_same_random_state_same_selection(blobs):
    pool, target = blobs
    params = dict(v_init="jump", random_restart_prob=0.5, max_iter=40, stop_criterion="data_size")
    a = GIOSelector(search="descent", random_state=7, **params).fit(pool, target=target)
    b = GIOSelector(search="descent", random_state=7, **params).fit(pool, target=target)
    c = GIOSelector(search="descent", random_state=8, **params).fit(pool, target=target)
    np.testing.assert_array_equal(a.selected_indices_, b.selected_indices_)
    np.testing.assert_array_equal(a.objective_trace_, b.objective_trace_)
    assert not np.array_equal(a.selected_indices_, c.selected_indices_)


def test_random_state_accepts_generators(blobs):
    pool, target = blobs
    for rs in (np.random.RandomState(0), np.random.default_rng(0), None):
        assert GIOSelector(random_state=rs, max_iter=3).fit(pool, target=target).selected_indices_.size == 3


def test_sequential_increase_tolerance_ends_at_the_lowest_kl():
    rng = np.random.default_rng(3)
    pool = rng.normal(size=(300, 3))
    target = rng.normal(size=(100, 3))
    sel = GIOSelector(search="descent", stop_criterion="sequential_increase_tolerance", max_sequential_increases=3,
                      random_state=0).fit(pool, target=target)
    assert sel.stop_reason_ == "sequential_increase_tolerance"
    assert sel.objective_trace_[-1] <= sel.objective_trace_[-2]  # the trailing run of increases was removed
    rises = np.diff(np.concatenate([[sel.objective_start_], sel.objective_trace_])) > 0
    longest = max((len(r) for r in "".join("1" if x else "0" for x in rises).split("0")), default=0)
    assert longest < 3


def test_resets_refill_the_pool():
    rng = np.random.default_rng(4)
    pool = rng.normal(size=(40, 2))
    target = rng.normal(size=(200, 2))
    sel = GIOSelector(search="descent", resets_allowed=True, max_resets=2, random_state=0).fit(pool, target=target)
    assert sel.n_resets_ == 2
    assert len(sel.selected_indices_) > len(np.unique(sel.selected_indices_))  # rows repeat after a reset


def test_max_resets_criterion_stops_after_that_many_resets():
    rng = np.random.default_rng(4)
    pool = rng.normal(size=(40, 2))
    target = rng.normal(size=(200, 2))
    sel = GIOSelector(search="descent", stop_criterion="max_resets", max_resets=1, random_state=0).fit(pool, target=target)
    assert sel.n_resets_ == 1 and sel.stop_reason_ == "max_resets"


def test_min_kl_keeps_the_pick_that_reaches_it(blobs):
    pool, target = blobs
    full = GIOSelector(search="descent", stop_criterion="increase", v_init="mean", random_state=0).fit(pool, target=target)
    goal = full.objective_trace_[len(full.objective_trace_) // 2]
    sel = GIOSelector(search="descent", stop_criterion="min_kl", min_kl=goal, v_init="mean", random_state=0).fit(pool, target=target)
    assert sel.stop_reason_ == "min_kl" and sel.objective_trace_[-1] < goal <= sel.objective_trace_[-2]


def test_exhausted_pool_is_a_stop_reason_not_an_error():
    rng = np.random.default_rng(5)
    pool = rng.normal(size=(6, 2))
    sel = GIOSelector(stop_criterion="data_size", k=2, random_state=0).fit(pool, target=rng.normal(size=(50, 2)))
    assert sel.stop_reason_ in ("pool exhausted", "data_size") and len(sel.selected_indices_) == 6


def test_auto_scale_is_guarded_where_the_gradient_vanishes():
    rng = np.random.default_rng(6)
    half = rng.normal(size=(100, 3))
    target = np.vstack([half, -half])  # symmetric: mean 0 and zero gradient there
    pool = rng.normal(size=(300, 3))
    sel = GIOSelector(random_state=0, max_iter=20).fit(pool, target=target)
    assert np.isfinite(sel.scale_factor_) and len(sel.selected_indices_) > 0
    # the picks stay inside the data instead of being thrown far away
    assert np.abs(pool[sel.selected_indices_]).max() < 5


def test_default_start_suits_data_at_any_scale(blobs):
    pool, target = blobs
    small = GIOSelector(random_state=0).fit(pool * 1e-3, target=target * 1e-3)
    large = GIOSelector(random_state=0).fit(pool * 1e3, target=target * 1e3)
    assert (small.selected_indices_ < 400).mean() > 0.95 and len(small.selected_indices_) > 10
    assert (large.selected_indices_ < 400).mean() > 0.95 and len(large.selected_indices_) > 10


def test_hnsw_and_exact_search_agree_on_easy_data(blobs):
    pool, target = blobs
    exact = GIOSelector(search="descent", projection="exact", max_iter=30, random_state=0).fit(pool, target=target)
    approx = GIOSelector(search="descent", projection="hnsw", max_iter=30, random_state=0, n_jobs=1).fit(pool,
                                                                                                       target=target)
    overlap = len(set(exact.selected_indices_) & set(approx.selected_indices_))
    assert overlap >= 0.9 * len(exact.selected_indices_)


def test_transform_fit_resample_and_support(blobs):
    pool, target = blobs
    y = np.arange(len(pool))
    sel = GIOSelector(random_state=0, max_iter=20).fit(pool, target=target)
    np.testing.assert_array_equal(sel.transform(pool), pool[sel.selected_indices_])
    assert sel.support_.sum() == len(sel.selected_indices_) and sel.support_[sel.selected_indices_].all()
    Xs, ys = GIOSelector(random_state=0, max_iter=20).fit_resample(pool, y, target=target)
    np.testing.assert_array_equal(ys, sel.selected_indices_)
    np.testing.assert_array_equal(Xs, pool[ys])
    np.testing.assert_array_equal(
        GIOSelector(random_state=0, max_iter=20).fit_transform(pool, target=target), Xs)


def test_transform_refuses_another_pool(blobs):
    pool, target = blobs
    sel = GIOSelector(random_state=0, max_iter=10).fit(pool, target=target)
    with pytest.raises(ValueError, match="fitted on a pool of shape \\(800, 8\\)"):
        sel.transform(pool[:500])
    other = pool.copy()
    other[sel.selected_indices_[0]] += 1
    with pytest.raises(ValueError, match="not the pool this selector was fitted on"):
        sel.transform(other)


def test_gil_is_released_during_fit():
    rng = np.random.default_rng(8)
    pool = rng.normal(size=(4000, 32)).astype(np.float32)
    target = rng.normal(size=(1000, 32)).astype(np.float32)
    ticks = 0
    # a fit of a few tenths of a second; with the GIL held, the loop below could not turn at all
    worker = threading.Thread(
        target=lambda: GIOSelector(search="descent", n_select=30, grad_desc_iter=1000, random_state=0).fit(pool, target=target))
    worker.start()
    while worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    assert ticks > 10  # the main thread kept running Python while the core worked


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")
def test_ctrl_c_stops_a_long_run_within_a_second():
    rng = np.random.default_rng(9)
    pool = rng.normal(size=(20000, 32)).astype(np.float32)
    target = rng.normal(size=(3000, 32)).astype(np.float32)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        GIOSelector(search="descent", n_select=20000, grad_desc_iter=500, random_state=0).fit(pool, target=target)
    assert time.perf_counter() - t0 < 1.5


@pytest.mark.parametrize("v_init", ["mean", "jump"])
def test_thread_count_does_not_change_the_selection(blobs, v_init):
    pool, target = blobs
    params = dict(v_init=v_init, projection="exact", max_iter=60, stop_criterion="data_size", random_state=3)
    one = GIOSelector(search="descent", n_jobs=1, **params).fit(pool, target=target)
    two = GIOSelector(search="descent", n_jobs=2, **params).fit(pool, target=target)
    np.testing.assert_array_equal(one.selected_indices_, two.selected_indices_)
    np.testing.assert_array_equal(one.objective_trace_, two.objective_trace_)


def test_n_candidates_picks_the_best_scoring_of_the_nearest_rows(blobs):
    pool, target = blobs
    params = dict(v_init="mean", stop_criterion="data_size", max_iter=1, projection="exact", random_state=0)
    nearest = GIOSelector(search="descent", n_candidates=1, **params).fit(pool, target=target)
    reranked = GIOSelector(search="descent", n_candidates=8, **params).fit(pool, target=target)
    # the first descent is the same; re-ranking can only lower the first pick's KL
    assert reranked.objective_trace_[0] <= nearest.objective_trace_[0]
    longer = GIOSelector(search="descent", n_candidates=8, v_init="jump", max_iter=40, random_state=0).fit(pool, target=target)
    idx = longer.selected_indices_
    assert len(np.unique(idx)) == len(idx) and (idx < 400).mean() > 0.95
    for j in range(len(idx)):  # the trace is still the estimate of the selection
        W = np.vstack([longer.init_, pool[idx[: j + 1]]]).astype(np.float64)
        assert longer.objective_trace_[j] == pytest.approx(relaxed_kl(target.astype(np.float64), W), rel=1e-9)


def test_callback_receives_the_start_kl(blobs):
    pool, target = blobs
    infos = []
    sel = GIOSelector(max_iter=5, random_state=0, callback=infos.append).fit(pool, target=target)
    assert infos and all(info["kl_start"] == sel.objective_start_ for info in infos)


@pytest.mark.parametrize("descent_only", [dict(n_candidates=4), dict(batch_size=3), dict(v_init="mean"),
                                          dict(lr=0.1), dict(projection="hnsw")])
@pytest.mark.parametrize("objective", ["relaxed", "knn"])
def test_greedy_refuses_the_descent_options_it_would_ignore(blobs, descent_only, objective):
    pool, target = blobs
    (name, value), = descent_only.items()
    with pytest.raises(ValueError, match=rf"^search='greedy' .* so {name}={value!r} would change nothing; it is an "
                                         rf"option of search='descent' \(leave it at the default\)$"):
        GIOSelector(search="greedy", objective=objective, **descent_only).fit(pool, target=target)


def test_projection_names_the_projection(blobs):
    pool, target = blobs
    picks = {p: GIOSelector(search="descent", projection=p, max_iter=20, random_state=0, n_jobs=1).fit(pool, target=target)
             .selected_indices_ for p in ("auto", "exact", "hnsw")}
    np.testing.assert_array_equal(picks["auto"], picks["exact"])  # 'auto' is brute force on a small pool
    assert len(np.intersect1d(picks["hnsw"], picks["exact"])) >= 18
    with pytest.raises(ValueError, match="unknown projection True"):
        GIOSelector(projection=True).fit(pool, target=target)
