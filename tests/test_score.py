"""score() and the two estimates: score is greater-is-better and judges the selection the fit
made (against the fitted target or a held-out one), so a grid search can choose by it;
selection_kl_ is the k-NN estimate of the selected rows, objective_trace_ the run's objective."""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy.spatial.distance import cdist
from sklearn.model_selection import GridSearchCV, KFold

from gioselect import GIOSelector, knn_kl


def knn_kl_float64(target, W, k):
    """KL^(target || W) from scratch (Wang, Kulkarni & Verdu 2009), in float64."""
    target, W = np.asarray(target, np.float64), np.asarray(W, np.float64)
    n, d = target.shape
    within = cdist(target, target)
    np.fill_diagonal(within, np.inf)
    rho = np.sort(within, axis=1)[:, k - 1]
    nu = np.sort(cdist(target, W), axis=1)[:, k - 1]
    return d / n * np.log(nu / rho).sum() + np.log(len(W) / (n - 1))


@pytest.fixture
def heldout():
    """A second sample of the blobs fixture's target distribution."""
    return np.random.default_rng(1).normal(0, 1, (150, 8)).astype(np.float32)


def test_selection_kl_is_the_knn_estimate_of_the_selected_rows(blobs):
    pool, target = blobs
    sel = GIOSelector(n_select=60, random_state=0).fit(pool, target=target)
    expected = knn_kl_float64(target, pool[sel.selected_indices_], 5)
    assert sel.selection_kl_ == pytest.approx(expected, rel=1e-6)
    # not the objective: the relaxed estimate of start rows + picks is another number
    assert abs(sel.objective_trace_[-1] - sel.selection_kl_) > 0.1


@pytest.mark.parametrize("params", [dict(), dict(search="descent"), dict(objective="knn", search="descent", batch_size=4),
                                    dict(objective="knn", search="greedy"), dict(search="nearest"),
                                    dict(metric="cosine"), dict(search="descent", resets_allowed=True)])
def test_the_cores_selection_kl_is_knn_kl_of_the_selection_in_every_mode(blobs, params):
    """The core scores the selection from the target statistics it has; the same number as
    knn_kl computed afresh, bit for bit, in every mode (with resets: repeated rows included)."""
    pool, target = blobs
    n_select = len(pool) + 40 if params.get("resets_allowed") else 60
    sel = GIOSelector(n_select=n_select, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # forced budgets past the estimate's minimum
        sel.fit(pool, target=target)
    rows = pool[sel.selected_indices_]
    assert sel.selection_kl_ == knn_kl(target, rows, 5, metric=params.get("metric", "euclidean"))
    self_sel = GIOSelector(n_select=30, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        self_sel.fit(pool)  # no target: the pool is the target
    assert self_sel.selection_kl_ == knn_kl(pool, pool[self_sel.selected_indices_], 5,
                                            metric=params.get("metric", "euclidean"))


def test_score_is_minus_the_selections_kl_and_greater_is_better(blobs, heldout):
    pool, target = blobs
    sel = GIOSelector(n_select=60, random_state=0).fit(pool, target=target)
    assert sel.score() == -sel.selection_kl_
    assert sel.score(pool) == sel.score(pool[:10]) == sel.score()  # X is a CV fold at most: not scored
    random = pool[np.random.default_rng(0).choice(len(pool), 60, replace=False)]
    assert sel.score() > -knn_kl(target, random)  # the selection keeps more about the target
    assert sel.score(target=heldout) == pytest.approx(-knn_kl_float64(heldout, pool[sel.selected_indices_], 5),
                                                      rel=1e-6)


@pytest.mark.filterwarnings("ignore:the (relaxed|knn) estimate was lowest:UserWarning")  # budgets past the minimum on purpose
def test_a_grid_search_chooses_by_the_score():
    """Over n_select the estimate has a minimum (its log(m / (n - 1)) term grows with the
    selection): the search must see different scores and choose the setting that scores best.
    On main, score(X_test) scored the pool fold X_test itself, so every setting tied."""
    rng = np.random.default_rng(0)
    pool = np.vstack([rng.normal(0, 1, (300, 4)), rng.normal(5, 1, (300, 4))])
    target = rng.normal(0, 1, (100, 4))
    grid = {"n_select": [5, 60, 280]}
    search = GridSearchCV(GIOSelector(random_state=0), grid, cv=KFold(3, shuffle=True, random_state=0))
    search.fit(pool, target=target)
    scores = search.cv_results_["mean_test_score"]
    assert len(set(np.round(scores, 9))) == 3
    assert search.best_params_["n_select"] == grid["n_select"][int(np.argmax(scores))] == 60
    split = next(KFold(3, shuffle=True, random_state=0).split(pool))[0]
    sel = GIOSelector(random_state=0, n_select=5).fit(pool[split], target=target)
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(-knn_kl(target, sel.transform(pool[split])))


@pytest.mark.filterwarnings("ignore:the (relaxed|knn) estimate was lowest:UserWarning")  # budgets past the minimum on purpose
def test_a_grid_search_can_score_on_a_held_out_target():
    rng = np.random.default_rng(0)
    pool = np.vstack([rng.normal(0, 1, (300, 4)), rng.normal(5, 1, (300, 4))])
    target, heldout = rng.normal(0, 1, (100, 4)), rng.normal(0, 1, (120, 4))
    with sklearn.config_context(enable_metadata_routing=True):
        gio = GIOSelector(random_state=0).set_fit_request(target=True).set_score_request(target="heldout")
        search = GridSearchCV(gio, {"n_select": [5, 60]}, cv=2).fit(pool, target=target, heldout=heldout)
    best = search.best_estimator_
    assert best.score(target=heldout) == pytest.approx(-knn_kl(heldout, best.transform(pool)))
    first = GIOSelector(random_state=0, n_select=5).fit(pool[300:], target=target)  # KFold(2): split 0 trains on 300:
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(first.score(target=heldout))
    assert search.cv_results_["split0_test_score"][0] != pytest.approx(first.score())


def test_quantize_scores_the_exploded_rows(blobs):
    pool, target = blobs
    sel = GIOSelector(quantize=40, n_select=4, random_state=0).fit(pool, target=target)
    assert len(sel.selected_indices_) > 4  # rows, not clusters
    assert sel.selection_kl_ == pytest.approx(knn_kl_float64(target, pool[sel.selected_indices_], 5), rel=1e-6)
    # quantize_target: against the centres the run used (the full target would cost n^2 distances)
    centres = GIOSelector(quantize=40, quantize_target=30, n_select=4, random_state=0).fit(pool, target=target)
    assert centres.target_.shape == (30, 8)
    assert centres.selection_kl_ == pytest.approx(
        knn_kl_float64(centres.target_, pool[centres.selected_indices_], 5), rel=1e-6)


def test_fewer_rows_than_k_have_no_estimate(blobs):
    pool, target = blobs
    sel = GIOSelector(n_select=3, random_state=0).fit(pool, target=target)
    assert np.isnan(sel.selection_kl_) and np.isnan(sel.score())


def test_an_interrupted_fit_leaves_the_estimate_to_score(blobs):
    pool, target = blobs

    def ctrl_c(info):
        if info["n_selected"] >= 20:
            raise KeyboardInterrupt

    sel = GIOSelector(n_select=60, random_state=0, callback=ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        sel.fit(pool, target=target)
    assert sel.stop_reason_ == "interrupted" and np.isnan(sel.selection_kl_)
    assert sel.score() == pytest.approx(-knn_kl_float64(target, pool[sel.selected_indices_], 5), rel=1e-6)


def test_a_held_out_target_is_checked_and_matched_by_name(blobs):
    pool, target = blobs
    columns = [f"f{i}" for i in range(8)]
    sel = GIOSelector(n_select=30, random_state=0).fit(pd.DataFrame(pool, columns=columns), target=target)
    shuffled = pd.DataFrame(target, columns=columns)[columns[::-1]]
    assert sel.score(target=shuffled) == pytest.approx(sel.score())
    with pytest.raises(ValueError, match="feature counts differ: target has 3"):
        sel.score(target=target[:, :3])
    with pytest.raises(ValueError, match="target has 5 rows; k=5 needs more than k rows"):
        sel.score(target=target[:5])
    with pytest.raises(ValueError, match="X has 3 features"):
        GIOSelector(n_select=30, random_state=0).fit(pool, target=target).score(pool[:, :3])


def test_the_old_names_still_work_with_a_warning(blobs):
    pool, target = blobs
    sel = GIOSelector(max_iter=10, random_state=0).fit(pool, target=target)
    with pytest.warns(FutureWarning, match="kl_trace_ is renamed objective_trace_"):
        np.testing.assert_array_equal(sel.kl_trace_, sel.objective_trace_)
    with pytest.warns(FutureWarning, match="kl_start_ is renamed objective_start_"):
        assert sel.kl_start_ == sel.objective_start_
    assert not hasattr(GIOSelector(), "kl_trace_")  # unfitted: no attribute, and no warning
