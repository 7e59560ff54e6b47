"""GIOSelector as a scikit-learn citizen: the estimator checks, clone/pickle/params, pipelines
(scikit-learn's and imbalanced-learn's), metadata routing, grid search, pandas, n_jobs."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import sklearn
from scipy import sparse
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from gioselect import GIOSampler, GIOSelector
from gioselect._validation import resolve_n_jobs

FEWER_ROWS = "transform returns the selected rows of X, fewer rows than X has"
ONLY_THE_POOL = "transform accepts only the pool the selector was fitted on"
# checks a row selector cannot pass by design; every other check must pass (xfail_strict)
ROW_SELECTOR_FAILURES = {
    "check_transformer_general": FEWER_ROWS,
    "check_transformer_data_not_an_array": FEWER_ROWS,
    "check_methods_sample_order_invariance": f"{FEWER_ROWS}, so they cannot be reordered like X",
    "check_methods_subset_invariance": f"{ONLY_THE_POOL}, not a subset of it",
    "check_fit_idempotent": f"{ONLY_THE_POOL}, not held-out rows",
}


def expected_failed_checks(estimator):
    return ROW_SELECTOR_FAILURES if isinstance(estimator, GIOSelector) else {}


@parametrize_with_checks(
    [GIOSelector(max_iter=10, random_state=0), GIOSampler(max_iter=10, random_state=0)],
    expected_failed_checks=expected_failed_checks, xfail_strict=True)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def selector(**params):
    return GIOSelector(max_iter=30, random_state=0, **params)


def sampler(**params):
    return GIOSampler(max_iter=30, random_state=0, **params)


def test_pickle_round_trip_keeps_the_selection(blobs):
    pool, target = blobs
    sel = selector().fit(pool, target=target)
    loaded = pickle.loads(pickle.dumps(sel))
    np.testing.assert_array_equal(loaded.selected_indices_, sel.selected_indices_)
    np.testing.assert_array_equal(loaded.transform(pool), sel.transform(pool))


def test_clone_and_params_carry_what_fit_does(blobs):
    pool, target = blobs
    fitted = selector(k=3).fit(pool, target=target)
    copy = clone(fitted)
    assert not hasattr(copy, "selected_indices_")
    assert copy.get_params() == fitted.get_params()
    np.testing.assert_array_equal(copy.fit(pool, target=target).selected_indices_, fitted.selected_indices_)

    copy.set_params(n_select=7)
    assert copy.get_params()["n_select"] == 7
    assert len(copy.fit(pool, target=target).selected_indices_) == 7


def test_the_sampler_resamples_and_does_not_transform(blobs):
    pool, target = blobs
    y = np.arange(len(pool))
    gio = sampler(n_select=9)
    assert not hasattr(gio, "transform") and not hasattr(gio, "fit_transform")
    X_res, y_res = gio.fit_resample(pool, y, target=target)
    expected = selector(n_select=9).fit(pool, target=target).selected_indices_
    np.testing.assert_array_equal(y_res, expected)  # the same selection as GIOSelector's
    np.testing.assert_array_equal(X_res, pool[expected])
    assert gio.get_params() == selector(n_select=9).get_params()


def test_imblearn_pipeline_trains_the_classifier_on_the_selected_rows(blobs):
    imblearn_pipeline = pytest.importorskip("imblearn.pipeline")
    pool, target = blobs
    row_ids = np.arange(len(pool))  # as y: a 1-NN model answers with the id of the row it was fitted on
    pipe = imblearn_pipeline.Pipeline([("gio", sampler()), ("knn", KNeighborsRegressor(1))])
    pipe.fit(pool, row_ids, gio__target=target)
    picked = pipe["gio"].selected_indices_
    assert 0 < len(picked) < len(pool)
    # the model saw exactly the selected rows, each with its own y
    assert pipe["knn"].n_samples_fit_ == len(picked)
    np.testing.assert_array_equal(pipe.predict(pool[picked]), picked)
    assert pipe.predict(pool).shape == (len(pool),)  # predict passes X by the sampler untouched


def test_sklearn_pipeline_fits_an_unsupervised_step_on_the_selected_rows(blobs):
    pool, target = blobs
    pipe = Pipeline([("gio", selector()), ("pca", PCA(2))]).fit(pool, gio__target=target)
    rows = pool[pipe["gio"].selected_indices_]
    assert pipe["pca"].n_samples_ == len(rows) < len(pool)
    np.testing.assert_allclose(pipe["pca"].mean_, rows.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(pipe.transform(pool), PCA(2).fit_transform(rows), rtol=1e-4, atol=1e-5)


def _sklearn_pipeline(gio):
    return Pipeline([("gio", gio), ("pca", PCA(2))])


def _sklearn_pipeline():
    return Pipeline([("gio", selector().set_fit_request(target=True)), ("pca", PCA(2))])


def _imblearn_pipeline():
    imblearn_pipeline = pytest.importorskip("imblearn.pipeline")
    return imblearn_pipeline.Pipeline([("gio", sampler().set_fit_request(target=True)), ("knn", KNeighborsRegressor(1))])


@pytest.mark.parametrize("make_pipeline", [_sklearn_pipeline, _imblearn_pipeline])
def test_metadata_routing_brings_the_target_to_fit(blobs, make_pipeline):
    pool, target = blobs
    with_target = selector().fit(pool, target=target).selected_indices_
    assert not np.array_equal(with_target, selector().fit(pool).selected_indices_)  # the target matters
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline()
        pipe.fit(pool, np.arange(len(pool)), target=target)
    np.testing.assert_array_equal(pipe["gio"].selected_indices_, with_target)


def test_grid_search_tunes_the_selector_in_an_imblearn_pipeline():
    imblearn_pipeline = pytest.importorskip("imblearn.pipeline")
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (150, 4)), rng.normal(5, 1, (150, 4))])
    y = np.repeat([0, 1], 150)
    target = np.vstack([rng.normal(0, 1, (30, 4)), rng.normal(5, 1, (30, 4))])
    with sklearn.config_context(enable_metadata_routing=True):
        gio = sampler().set_fit_request(target=True)
        pipe = imblearn_pipeline.Pipeline([("gio", gio), ("clf", KNeighborsClassifier(1))])
        search = GridSearchCV(pipe, {"gio__k": [3, 5]}, cv=3, scoring="accuracy").fit(X, y, target=target)
    assert sorted(search.cv_results_["param_gio__k"]) == [3, 5]
    assert search.best_score_ > 0.9
    best = search.best_estimator_
    expected = selector(k=search.best_params_["gio__k"]).fit(X, target=target).selected_indices_
    np.testing.assert_array_equal(best["gio"].selected_indices_, expected)  # refit on all of X, with the target
    assert best["clf"].n_samples_fit_ == len(expected) < len(X)


def test_pandas_in_pandas_out(blobs):
    pd = pytest.importorskip("pandas")
    pool, target = blobs
    columns = [f"f{i}" for i in range(pool.shape[1])]
    df = pd.DataFrame(pool, columns=columns, index=[f"row{i}" for i in range(len(pool))])
    labels = pd.Series(np.arange(len(pool)), index=df.index)
    sel = selector().fit(df, target=target)
    picked = sel.selected_indices_
    pd.testing.assert_frame_equal(sel.transform(df), df.iloc[picked])
    np.testing.assert_array_equal(sel.feature_names_in_, columns)
    np.testing.assert_array_equal(sel.get_feature_names_out(), columns)

    X_res, y_res = selector().fit_resample(df, labels, target=target)
    pd.testing.assert_frame_equal(X_res, df.iloc[picked])
    pd.testing.assert_series_equal(y_res, labels.iloc[picked])

    out = selector().set_output(transform="pandas").fit(pool, target=target).transform(pool)
    assert list(out.columns) == [f"x{i}" for i in range(pool.shape[1])]
    np.testing.assert_array_equal(out.to_numpy(), pool[picked])
    out = selector().set_output(transform="pandas").fit_transform(df, target=target)
    pd.testing.assert_frame_equal(out, df.iloc[picked])


def test_lists_and_float16_are_accepted(blobs):
    pool, target = blobs
    as_float64 = selector().fit(pool.astype(np.float64), target=target.astype(np.float64))
    from_lists = selector().fit(pool.tolist(), target=target.tolist())
    np.testing.assert_array_equal(from_lists.selected_indices_, as_float64.selected_indices_)
    np.testing.assert_array_equal(from_lists.transform(pool.tolist()), as_float64.transform(pool.astype(np.float64)))

    pool16, target16 = pool.astype(np.float16), target.astype(np.float16)
    half = selector().fit(pool16, target=target16)
    assert half.init_.dtype == np.float32  # computed in float32, not float64
    as_float32 = selector().fit(pool16.astype(np.float32), target=target16.astype(np.float32))
    np.testing.assert_array_equal(half.selected_indices_, as_float32.selected_indices_)
    rows = half.transform(pool16)
    assert rows.dtype == np.float16
    np.testing.assert_array_equal(rows, pool16[half.selected_indices_])


def test_a_single_feature_pool_is_selected_from():
    rng = np.random.default_rng(2)
    pool = np.vstack([rng.normal(0, 1, (200, 1)), rng.normal(6, 1, (200, 1))])
    picked = selector().fit(pool, target=rng.normal(0, 1, (80, 1))).selected_indices_
    assert len(picked) > 5 and (picked < 200).mean() > 0.95


@pytest.mark.parametrize("call, error, message", [
    (lambda pool, target: GIOSelector().transform(pool), NotFittedError, "not fitted yet"),
    (lambda pool, target: selector().fit(pool, target=target).transform(pool[:, :3]), ValueError,
     "X has 3 features, but GIOSelector is expecting 8 features as input"),
    (lambda pool, target: selector().fit(pool, target=target[:1]), ValueError, r"target has 1 rows.*n_samples=1"),
    (lambda pool, target: selector().fit(sparse.csr_matrix(pool)), TypeError,
     "sparse matrix .*; GIO needs dense rows.*svd_components"),
    (lambda pool, target: selector().fit_resample(pool, np.arange(10), target=target), ValueError,
     "y has 10 rows but X has 800"),
])
def test_misuse_gets_a_clear_error(blobs, call, error, message):
    with pytest.raises(error, match=message):
        call(*blobs)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts the process's threads in /proc")
def test_n_jobs_follows_scikit_learn():
    assert resolve_n_jobs(-1) == os.cpu_count()
    assert resolve_n_jobs(-2) == max(1, os.cpu_count() - 1)
    with pytest.raises(ValueError, match="n_jobs == 0"):
        resolve_n_jobs(0)
    # OpenMP keeps its worker threads, so the thread count after a fit shows how many it used
    script = """if True:
        import os
        import numpy as np
        from gioselect import GIOSelector
        pool = np.random.default_rng(0).normal(size=(300, 4))
        threads = lambda: len(os.listdir("/proc/self/task"))
        before = threads()
        GIOSelector(max_iter=5, random_state=0, n_jobs=None).fit(pool)
        after_none = threads()
        GIOSelector(max_iter=5, random_state=0, n_jobs=-1).fit(pool)
        print(after_none - before, threads() - after_none, os.cpu_count())
    """
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    added_by_none, added_by_all, cores = map(int, out.stdout.split())
    assert added_by_none == 0  # None: OMP_NUM_THREADS=1 is respected
    assert added_by_all == cores - 1  # -1: every core (the calling thread is one of them)
