"""metric='cosine' (issue 12.9): rows scaled to unit length as they are read, so a cosine run on
raw rows picks what a Euclidean run picks on the rows normalised beforehand, also from a
memory-mapped pool (never copied) and from the command line; zero rows are refused by name."""

import tracemalloc

import numpy as np
import pytest

from gioselect import GIOSelector, cli, knn_kl, relaxed_kl


def _unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def raw():
    """Rows of very different lengths (as unnormalised embeddings), and start rows off the sphere."""
    rng = np.random.default_rng(5)
    directions = rng.normal(size=(5, 12))
    pool = directions[rng.integers(0, 5, 600)] + 0.6 * rng.normal(size=(600, 12))
    pool *= rng.uniform(0.2, 5.0, size=(600, 1))
    target = (directions[rng.integers(0, 2, 90)] + 0.5 * rng.normal(size=(90, 12))) * rng.uniform(0.5, 2, (90, 1))
    init = target[:20] * 3.0 + 0.1
    return pool, target, init


MODES = {
    "relaxed descent": dict(search="descent"),
    "relaxed descent, hnsw": dict(search="descent", projection="hnsw", n_jobs=1),
    "knn descent": dict(objective="knn", search="descent"),
    "knn descent, batch 4, hnsw": dict(objective="knn", search="descent", batch_size=4, projection="hnsw", n_jobs=1),
    "relaxed greedy": dict(search="greedy"),
    "knn greedy": dict(objective="knn", search="greedy"),
    "nearest": dict(search="nearest"),
    "spread": dict(search="spread"),
}


@pytest.mark.filterwarnings("ignore:the (relaxed|knn) estimate was lowest:UserWarning")  # budgets past the minimum on purpose
@pytest.mark.parametrize("name", MODES)
def test_cosine_picks_what_euclidean_picks_on_normalised_rows(raw, name):
    pool, target, init = raw
    params = dict(n_select=30, random_state=2, **MODES[name])
    cos = GIOSelector(metric="cosine", **params).fit(pool, target=target, init=init)
    euc = GIOSelector(**params).fit(_unit(pool), target=_unit(target), init=_unit(init))
    np.testing.assert_array_equal(cos.selected_indices_, euc.selected_indices_)
    # the estimate on the sphere uses its dimension d - 1: the same picks, the log terms scaled
    assert cos.selection_kl_ == pytest.approx(knn_kl(target, pool[cos.selected_indices_], metric="cosine"))
    assert cos.score() == -cos.selection_kl_


def test_the_default_start_and_quantize_do_not_see_row_lengths(raw):
    pool, target, _ = raw
    rng = np.random.default_rng(0)
    rescale = rng.uniform(0.1, 10.0, size=(len(pool), 1))
    for params in (dict(objective="knn"), dict(quantize=40), dict(quantize=40, quantize_target=20, search="greedy")):
        a = GIOSelector(metric="cosine", n_select=10, random_state=1, **params).fit(pool, target=target)
        b = GIOSelector(metric="cosine", n_select=10, random_state=1, **params).fit(pool * rescale, target=target * 2.0)
        np.testing.assert_array_equal(a.selected_indices_, b.selected_indices_)
    centres = GIOSelector(metric="cosine", quantize=40, n_select=5, random_state=1).fit(pool, target=target)
    np.testing.assert_allclose(np.linalg.norm(centres.cluster_centers_, axis=1), 1.0, rtol=1e-12)  # on the sphere


def test_the_estimators_measure_between_unit_rows(raw):
    pool, target, _ = raw
    d = pool.shape[1]
    c = np.log(len(pool) / (len(target) - 1))
    # (d - 1) / n sum log(nu / rho) on the sphere, against d / n sum ... for the same unit rows
    assert knn_kl(target, pool, metric="cosine") - c == pytest.approx((knn_kl(_unit(target), _unit(pool)) - c) * (d - 1) / d)
    assert relaxed_kl(target * 7, pool[:50] * 0.1, metric="cosine") == pytest.approx(
        relaxed_kl(target, pool[:50], metric="cosine"), rel=1e-12)
    with pytest.raises(ValueError, match="unknown metric 'angular'"):
        knn_kl(target, pool, metric="angular")


@pytest.fixture(scope="module")
def pool_file(tmp_path_factory):
    """A 400,000 x 16 float32 pool on disk (26 MB, many times a block), rows of varied lengths."""
    path = tmp_path_factory.mktemp("cosine") / "pool.npy"
    rng = np.random.default_rng(8)
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(400_000, 16))
    for lo in range(0, len(mm), 100_000):
        mm[lo:lo + 100_000] = rng.normal(size=(100_000, 16)) * rng.uniform(0.2, 5.0, size=(100_000, 1))
    mm.flush()
    return path, rng.normal(0.3, 1.0, size=(200, 16)).astype(np.float32)


def _fit_traced(pool, target, **params):
    tracemalloc.start()
    sel = GIOSelector(search="descent", n_select=15, random_state=4, projection="exact", **params).fit(pool, target=target)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return sel, peak


@pytest.mark.filterwarnings("ignore:the (relaxed|knn) estimate was lowest:UserWarning")  # budgets past the minimum on purpose
@pytest.mark.parametrize("quantize", [None, 40])
def test_a_memory_mapped_pool_is_normalised_row_by_row_without_a_copy(pool_file, quantize):
    path, target = pool_file
    pool = np.load(path, mmap_mode="r")
    from_file, peak = _fit_traced(pool, target, metric="cosine", quantize=quantize)
    in_memory = GIOSelector(search="descent", n_select=15, random_state=4, projection="exact", metric="cosine",
                            quantize=quantize).fit(np.array(pool), target=target)
    np.testing.assert_array_equal(from_file.selected_indices_, in_memory.selected_indices_)
    if quantize is None:  # the core scales each row as it reads it: Python holds blocks, not the pool
        assert peak < 0.5 * pool.nbytes, f"Python allocated {peak} bytes for a pool of {pool.nbytes}"
    else:  # K-means' blocks and per-row labels, as for the Euclidean metric: no normalised copy
        _, euclidean_peak = _fit_traced(pool, target, quantize=quantize)
        assert peak < 1.1 * euclidean_peak + (1 << 20), (peak, euclidean_peak)


def test_the_command_line_has_metric_cosine(raw, tmp_path, capsys):
    pool, target, _ = raw
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    out = tmp_path / "out"
    assert cli.main(["select", "--pool", str(tmp_path / "pool.npy"), "--target", str(tmp_path / "target.npy"),
                     "-o", str(out), "--n-select", "12", "--random-state", "3", "--metric", "cosine"]) == 0
    expected = GIOSelector(metric="cosine", n_select=12, random_state=3).fit(pool, target=target)
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)
    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli.main(["select", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--metric {euclidean,cosine} How rows are compared: 'euclidean', or 'cosine', the Euclidean distance " \
           "between the rows scaled to unit length" in help_text


@pytest.mark.parametrize("where, message", [("pool", "pool row 7 is zero"), ("target", "target row 7 is zero"),
                                            ("init", "init row 7 is zero")])
@pytest.mark.parametrize("quantize", [None, 30])
def test_a_zero_row_under_cosine_is_refused_by_name(raw, where, message, quantize):
    pool, target, init = raw
    inputs = dict(pool=pool.copy(), target=target.copy(), init=init.copy())
    inputs[where][7] = 0.0
    if quantize is not None and where == "pool":
        message = r"X \(the pool\) row 7 is zero"
    with pytest.raises(ValueError, match=message + ": metric='cosine' scales every row to unit length"):
        GIOSelector(metric="cosine", quantize=quantize, random_state=0).fit(inputs["pool"], target=inputs["target"],
                                                                           init=inputs["init"])
    GIOSelector(quantize=quantize, n_select=5, random_state=0).fit(inputs["pool"], target=inputs["target"],
                                                                  init=inputs["init"])  # Euclidean: fine
    with pytest.raises(ValueError, match="W row 3 is zero"):
        knn_kl(target, np.vstack([pool[:3], np.zeros((1, pool.shape[1])), pool[3:10]]), metric="cosine")


def test_metric_is_checked_and_kept(raw):
    pool, target, _ = raw
    with pytest.raises(ValueError, match="unknown metric 'cos'; expected one of 'euclidean', 'cosine'"):
        GIOSelector(metric="cos").fit(pool, target=target)
    assert GIOSelector(metric="cosine").get_params()["metric"] == "cosine"
