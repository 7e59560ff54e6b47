"""objective='knn', search='greedy', batch_size and n_candidates: the k-NN estimate is
exact after every pick, greedy picks what the from-scratch loop picks, and bad options are named."""

import importlib.util
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cancellation import cancellation_bound
from gioselect import GIOSelector, knn_kl

_spec = importlib.util.spec_from_file_location(
    "naive_greedy", pathlib.Path(__file__).parent.parent / "bench" / "naive_greedy.py")
naive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(naive)


def from_scratch_knn_kl(target, W, k):
    n, d = target.shape
    target, W = naive.target_frame(target, W)  # distances in the target's units, as the core
    dxx = naive.distances(target, target)
    np.fill_diagonal(dxx, np.inf)
    rho = np.sort(dxx, axis=1)[:, k - 1]
    nu = np.sort(naive.distances(target, W), axis=1)[:, k - 1]
    return d / n * np.log(nu / rho).sum() + np.log(len(W) / (n - 1))


@st.composite
def problems(draw, integer=False):
    d = draw(st.integers(1, 4))
    k = draw(st.sampled_from([1, 3, 5]))
    n = draw(st.integers(k + 1, 30))
    m = draw(st.integers(k + 2, 50))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if integer:  # small integers: every distance and tie is exact in both implementations
        pool = rng.integers(-3, 4, size=(m, d)).astype(np.float64)
        target = rng.integers(-2, 3, size=(n, d)).astype(np.float64)
    else:
        pool = rng.normal(size=(m, d))
        target = rng.normal(0.5, 1.0, size=(n, d))
    if draw(st.booleans()):  # duplicates in pool and target
        pool = pool[rng.integers(0, m, size=m)]
        target = target[rng.integers(0, n, size=n)]
    return pool, target, k, int(rng.integers(0, 2**31))


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from([("descent", 1, 1), ("descent", 4, 1), ("descent", 1, 3), ("descent", 4, 3),
                                     ("greedy", 1, 1)]))
def test_knn_trace_is_the_from_scratch_estimate_after_every_pick(problem, mode):
    pool, target, k, seed = problem
    search, n_candidates, batch_size = mode  # the greedy step refuses the descent's options
    descent = dict(grad_desc_iter=10) if search == "descent" else {}
    sel = GIOSelector(objective="knn", search=search, k=k, n_candidates=n_candidates, batch_size=batch_size,
                      stop_criterion="increase", max_iter=20, random_state=seed, **descent)
    sel.fit(pool, target=target)
    idx = sel.selected_indices_
    assert len(np.unique(idx)) == len(idx) == len(sel.objective_trace_) <= 20
    previous = from_scratch_knn_kl(target, sel.init_, k)
    tolerance = 1e-9 * (1 + abs(previous)) + cancellation_bound(*naive.target_frame(target, sel.init_), k)
    assert abs(sel.objective_start_ - previous) <= tolerance
    for j in range(len(idx)):
        W = np.vstack([sel.init_, pool[idx[: j + 1]]])
        expected = from_scratch_knn_kl(target, W, k)
        assert abs(sel.objective_trace_[j] - expected) <= 1e-9 * (1 + abs(expected)) + cancellation_bound(*naive.target_frame(target, W), k)
        assert expected < previous  # 'increase' keeps only picks that lower the estimate
        previous = expected


@pytest.mark.filterwarnings("ignore:the knn estimate was lowest:UserWarning")  # forced budgets: picks, not advice
@settings(max_examples=60, deadline=None)
@given(problems(integer=True), st.integers(1, 12))
def test_greedy_picks_what_the_naive_float64_loop_picks(problem, n_picks):
    pool, target, k, seed = problem
    n_picks = min(n_picks, len(pool))
    init = np.random.default_rng(seed).uniform(-4, 4, size=(k + 1, pool.shape[1]))
    sel = GIOSelector(objective="knn", search="greedy", k=k, n_select=n_picks, n_jobs=2)
    sel.fit(pool, target=target, init=init)
    assert sel.selected_indices_.tolist() == naive.naive_greedy(pool, target, init, k, n_picks)


def test_greedy_is_the_same_for_any_thread_count_and_dtype(blobs):
    pool, target = blobs
    runs = [GIOSelector(objective="knn", search="greedy", n_select=60, n_jobs=j, random_state=0)
            .fit(pool.astype(dt), target=target.astype(dt)).selected_indices_
            for j in (1, 2) for dt in (np.float32, np.float64)]
    for r in runs[1:]:
        np.testing.assert_array_equal(r, runs[0])


def test_relaxed_batches_change_nothing(blobs):
    pool, target = blobs
    one = GIOSelector(search="descent", max_iter=40, random_state=1).fit(pool, target=target)
    eight = GIOSelector(search="descent", max_iter=40, random_state=1, batch_size=8).fit(pool, target=target)
    np.testing.assert_array_equal(one.selected_indices_, eight.selected_indices_)


@pytest.mark.parametrize("batch_size", [1, 4, 16])
def test_knn_batches_never_repeat_a_row_and_lower_the_estimate(blobs, batch_size):
    pool, target = blobs
    sel = GIOSelector(search="descent", objective="knn", batch_size=batch_size, stop_criterion="increase", random_state=0)
    sel.fit(pool, target=target)
    assert len(np.unique(sel.selected_indices_)) == len(sel.selected_indices_) > 5
    assert np.all(np.diff(np.concatenate([[sel.objective_start_], sel.objective_trace_])) < 0)


def test_greedy_stops_where_no_row_lowers_the_estimate(blobs):
    pool, target = blobs
    sel = GIOSelector(objective="knn", search="greedy", stop_criterion="increase").fit(pool, target=target)
    assert sel.stop_reason_ == "increase"
    more = GIOSelector(objective="knn", search="greedy", n_select=len(sel.selected_indices_) + 1)
    more.fit(pool, target=target, init=sel.init_)
    np.testing.assert_array_equal(more.selected_indices_[:-1], sel.selected_indices_)  # greedy is a prefix
    W = np.vstack([sel.init_, pool[sel.selected_indices_]])
    assert from_scratch_knn_kl(target, np.vstack([W, pool[more.selected_indices_[-1:]]]), 5) >= sel.objective_trace_[-1]


@pytest.mark.parametrize("params, message", [
    (dict(objective="exact"), "unknown objective 'exact'"),
    (dict(search="beam"), "unknown search 'beam'"),
    (dict(batch_size=0), "batch_size must be >= 1"),
    (dict(v_init="worst"), "v_init='worst' needs objective='knn'"),
    (dict(objective="knn", search="greedy", resets_allowed=True), "search='greedy' does not refill the pool"),
    (dict(objective="knn", discard_nearest_for_xy=True), "discard_nearest_for_xy is an option of the relaxed"),
    (dict(objective="knn", k=25), "uniform_start_size=20 start rows; objective='knn' needs k=25: raise it or pass init"),
])
def test_bad_mode_options_are_named(blobs, params, message):
    pool, target = blobs
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        GIOSelector(**params).fit(pool, target=target)
