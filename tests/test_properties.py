"""Invariants of every run, over random problems (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cancellation import cancellation_bound
from gioselect import GIOSelector, relaxed_kl
from gioselect.compat import GIOKL


@st.composite
def problems(draw):
    d = draw(st.integers(1, 4))
    k = draw(st.integers(1, 4))
    n = draw(st.integers(k + 1, 30))
    m = draw(st.integers(3, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    pool = rng.normal(size=(m, d))
    target = rng.normal(0.5, 1.0, size=(n, d))
    if draw(st.booleans()):  # duplicates in pool and target
        pool = pool[rng.integers(0, m, size=m)]
        target = target[rng.integers(0, n, size=n)]
    return pool, target, k, seed


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from(["mean", "jump", "prev_opt"]),
       st.sampled_from(["increase", "sequential_increase_tolerance", "min_difference", "data_size"]),
       st.booleans())
def test_native_run_invariants(problem, v_init, stop_criterion, resets):
    pool, target, k, seed = problem
    sel = GIOSelector(search="descent", k=k, v_init=v_init, stop_criterion=stop_criterion, resets_allowed=resets, max_iter=25,
                      grad_desc_iter=10, random_state=seed).fit(pool, target=target)
    idx = sel.selected_indices_
    assert len(idx) == len(sel.objective_trace_) <= 25
    assert np.all((idx >= 0) & (idx < len(pool)))
    if not resets:
        assert len(np.unique(idx)) == len(idx)
    assert set(np.flatnonzero(sel.support_)) == set(idx.tolist())
    # the trace is the estimate of the selection, recomputed from scratch
    for j in range(len(idx)):
        W = np.vstack([sel.init_, pool[idx[: j + 1]]])
        expected = relaxed_kl(target, W, k)
        assert abs(sel.objective_trace_[j] - expected) <= 1e-9 * (1 + abs(expected))


@settings(max_examples=40, deadline=None)
@given(problems(), st.sampled_from(["mean", "jump", "prev_opt"]), st.integers(0, 30))
def test_compat_run_invariants(problem, v_init, max_iter):
    pool, target, k, seed = problem
    np.random.seed(seed % 2**32)
    init = pool[:2] + 0.1
    try:
        W, kl_divs, state = GIOKL(dim=pool.shape[1]).fit(pool, target, D=init, k=k, max_iter=max_iter,
                                                          v_init=v_init, grad_desc_iter=10)
    except ValueError as e:  # the reference's |v0|/|grad(v0)| degenerates (documented); ours says so
        assert "'auto' scale factor is not finite" in str(e)
        return
    picks = len(W) - len(init)
    assert picks == len(kl_divs) <= max_iter + 1
    for j in range(picks):  # compat keeps grad-info-opt's absolute clip
        expected = relaxed_kl(target, W[: len(init) + j + 1], k, absolute_clip=True)
        assert abs(kl_divs[j] - expected) <= 1e-9 * (1 + abs(expected))
    if picks:
        start = relaxed_kl(target, init, k, absolute_clip=True)
        assert np.all(np.diff(np.concatenate([[start], kl_divs])) <= 0)  # 'increase'


@settings(max_examples=60, deadline=None)
@given(problems(), st.integers(0, 2**32 - 1))
def test_knn_kl_equals_a_from_scratch_float64_estimate(problem, seed):
    from gioselect import knn_kl

    pool, target, k, _ = problem
    rng = np.random.default_rng(seed)
    W = pool[rng.integers(0, len(pool), size=max(k, len(pool) // 2))]  # duplicates likely
    n, d = target.shape

    def dist(a, b):
        s = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
        return np.sqrt(np.clip(s, 1e-10, 1e20))

    # the clip applies in the target's units: centred on its mean, divided by its spread
    mean = target.mean(0)
    spread = np.sqrt(((target - mean) ** 2).sum(1).mean()) or 1.0
    target, W = (target - mean) / spread, (W - mean) / spread

    dxx = dist(target, target)
    np.fill_diagonal(dxx, np.inf)
    rho = np.sort(dxx, axis=1)[:, k - 1]
    nu = np.sort(dist(target, W), axis=1)[:, k - 1]
    expected = d / n * np.log(nu / rho).sum() + np.log(len(W) / (n - 1))
    assert abs(knn_kl(target, W, k) - expected) <= 1e-9 * (1 + abs(expected)) + cancellation_bound(target, W, k)
