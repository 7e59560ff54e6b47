"""Sparse input: refused by default with the way out (svd_components, or a TruncatedSVD of one's
own) and what .toarray() would cost; with svd_components, a TruncatedSVD fitted on the pool maps
pool, target and init, and the selection is GIO's on that dense space."""

import re

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.estimator_checks import (
    check_estimator_sparse_array,
    check_estimator_sparse_matrix,
    check_estimator_sparse_tag,
)

from gioselect import GIOSampler, GIOSelector, knn_kl

TOPICS = {"sport": "match goal team coach league season player",
          "finance": "market stock bank rate price fund bond",
          "weather": "rain storm wind cloud forecast snow heat"}
COMMON = "the a report today news week city".split()


def documents(topic, n, rng):
    words = TOPICS[topic].split() + COMMON
    return [" ".join(rng.choice(words, 8)) for _ in range(n)]


@pytest.fixture
def tfidf():
    """A TF-IDF pool of 900 documents on three topics (rows 300..599: finance), a finance target
    and a second finance sample, all sparse CSR: no DataFrame anywhere."""
    rng = np.random.default_rng(0)
    docs = documents("sport", 300, rng) + documents("finance", 300, rng) + documents("weather", 300, rng)
    vec = TfidfVectorizer().fit(docs)
    return (vec.transform(docs), vec.transform(documents("finance", 40, rng)),
            vec.transform(documents("finance", 30, rng)))


def selector(**params):
    return GIOSelector(n_select=60, random_state=0, **params)


@pytest.mark.parametrize("role", ["pool", "target", "init"])
def test_sparse_input_is_refused_with_the_route_to_take(tfidf, role):
    X, T, _ = tfidf
    inputs = {"pool": X, "target": T, "init": None}
    if role != "pool":
        dense = np.random.default_rng(0).random((40, X.shape[1]))
        inputs = {"pool": np.random.default_rng(1).random((900, X.shape[1])), "target": dense, "init": None}
        inputs[role] = T
    name = {"pool": "X (the pool)", "target": "target", "init": "init"}[role]
    with pytest.raises(TypeError, match=rf"{re.escape(name)} is a scipy.sparse matrix \(\d+ x 27, .*% non-zero\); GIO needs "
                                        r"dense rows, and .toarray\(\) would take [\d.]+ MiB. Instead set "
                                        r"svd_components=256.*TruncatedSVD"):
        selector().fit(inputs["pool"], target=inputs["target"], init=inputs["init"])


def test_the_functions_refuse_sparse_input_naming_truncated_svd(tfidf):
    X, T, _ = tfidf
    with pytest.raises(TypeError, match=r"X is a scipy.sparse matrix .*sklearn.decomposition.TruncatedSVD\(n_components=256\)"):
        knn_kl(T, X)


def test_the_toarray_cost_is_said_in_gib_at_scale():
    big = sparse.random(5000, 18_500, density=0.002, format="csr", random_state=0)
    with pytest.raises(TypeError, match=r"would take 0.69 GiB"):
        selector().fit(big)


def test_svd_components_runs_gio_on_the_pools_svd(tfidf):
    X, T, _ = tfidf
    sel = selector(svd_components=10).fit(X, target=T)
    assert sel.svd_.n_components == 10 and sel.n_features_in_ == X.shape[1]
    dense = selector().fit(sel.svd_.transform(X), target=sel.svd_.transform(T))  # the target by the pool's SVD
    np.testing.assert_array_equal(sel.selected_indices_, dense.selected_indices_)
    np.testing.assert_allclose(sel.target_, sel.svd_.transform(T.toarray()), rtol=1e-6, atol=1e-12)
    assert np.mean((sel.selected_indices_ >= 300) & (sel.selected_indices_ < 600)) > 0.9  # finance documents
    again = selector(svd_components=10).fit(X, target=T)
    np.testing.assert_array_equal(again.selected_indices_, sel.selected_indices_)  # same seed, same SVD


@pytest.mark.filterwarnings("ignore:the (relaxed|knn) estimate was lowest:UserWarning")  # budgets past the minimum on purpose
def test_a_sparse_selection_comes_back_sparse(tfidf):
    X, T, _ = tfidf
    sel = selector(svd_components=10).fit(X, target=T)
    rows = sel.transform(X)
    assert sparse.issparse(rows) and rows.shape == (60, X.shape[1])
    assert (rows != X[sel.selected_indices_]).nnz == 0
    assert sparse.issparse(sel.fit_transform(X, target=T))
    with pytest.raises(ValueError, match="X is not the pool this selector was fitted on"):
        sel.transform(X[::-1])
    X_res, y_res = GIOSampler(n_select=20, random_state=0, svd_components=10).fit_resample(
        sparse.csr_array(X), np.arange(X.shape[0]), target=T)
    assert sparse.issparse(X_res) and (X_res != X[y_res]).nnz == 0


def test_score_maps_a_held_out_target_through_the_svd(tfidf):
    X, T, heldout = tfidf
    sel = selector(svd_components=10).fit(X, target=T)
    expected = -knn_kl(sel.svd_.transform(heldout), sel.svd_.transform(X)[sel.selected_indices_])
    assert sel.score(target=heldout) == pytest.approx(expected, rel=1e-6)
    assert sel.score(target=heldout.toarray()) == pytest.approx(expected, rel=1e-6)
    assert sel.score() == -sel.selection_kl_


@pytest.mark.filterwarnings("ignore:the (relaxed|knn) estimate was lowest:UserWarning")  # budgets past the minimum on purpose
def test_the_route_takes_dense_and_mixed_inputs(tfidf):
    X, T, _ = tfidf
    mixed = selector(svd_components=10).fit(X.toarray(), target=T, init=T[:5])
    assert mixed.init_.shape == (5, 10)
    np.testing.assert_array_equal(mixed.selected_indices_, selector(svd_components=10).fit(X, target=T.toarray(),
                                                                                          init=T[:5]).selected_indices_)
    refit = mixed.set_params(svd_components=None).fit(X.toarray(), target=T.toarray())
    assert not hasattr(refit, "svd_") and refit.target_.shape[1] == X.shape[1]


def test_an_interrupted_sparse_run_resumes_to_the_same_selection(tfidf, tmp_path):
    X, T, _ = tfidf
    path = str(tmp_path / "run.ckpt")
    full = selector(svd_components=10).fit(X, target=T)

    def ctrl_c(info):
        if info["n_selected"] >= 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        selector(svd_components=10, checkpoint=path, checkpoint_every=1000, callback=ctrl_c).fit(X, target=T)
    with pytest.raises(ValueError, match="X is not the pool of the checkpointed run"):
        GIOSelector.resume(path, X[::-1], target=T)
    resumed = GIOSelector.resume(path, X, target=T)  # the SVD is fitted again with the run's seed
    np.testing.assert_array_equal(resumed.selected_indices_, full.selected_indices_)


@pytest.mark.parametrize("params, data, error, message", [
    (dict(svd_components=28), None, ValueError, r"svd_components=28 exceeds what the pool of shape \(900, 27\) has"),
    (dict(svd_components=0), None, ValueError, "svd_components must be >= 1"),
    (dict(svd_components=10), "nan", ValueError, r"X \(the pool\) contains NaN or inf \(first at row 3, column"),
    (dict(svd_components=10), "complex", ValueError, "must hold real numbers"),
])
def test_bad_sparse_input_is_named(tfidf, params, data, error, message):
    X, T, _ = tfidf
    if data == "nan":
        X = X.copy()
        X.data[X.indptr[3]] = np.nan
    elif data == "complex":
        X = X.astype(np.complex128)
    with pytest.raises(error, match=message):
        selector(**params).fit(X, target=T)


def test_the_sparse_tag_follows_the_route():
    for check in (check_estimator_sparse_tag, check_estimator_sparse_matrix, check_estimator_sparse_array):
        check("GIOSelector", GIOSelector(max_iter=10, random_state=0))
        check("GIOSelector", GIOSelector(max_iter=10, random_state=0, svd_components=2))
    assert GIOSelector(svd_components=2).__sklearn_tags__().input_tags.sparse
    assert not GIOSelector().__sklearn_tags__().input_tags.sparse
