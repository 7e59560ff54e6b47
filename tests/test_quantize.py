"""Quantization-explosion: K-means labels and repair, explode's order and caps, GIOSelector(quantize=K),
the paper's quantization-consistency check, and memory-mapped pools read without a full copy."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gioselect import GIOSelector, knn_kl, quantize


def clustered(n_per=2000, d=8, centres=(0, 4, 8, 12), seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(c, 1.0, (n_per, d)) for c in centres]).astype(dtype)


def test_every_row_gets_its_nearest_centre_and_no_cluster_is_empty():
    X = clustered()
    q = quantize.kmeans(X, 50, random_state=3)
    assert q.centers.dtype == np.float32 and q.centers.shape == (50, 8)
    assert q.labels.shape == (len(X),) and np.bincount(q.labels, minlength=50).min() >= 1
    d2 = ((X[:, None, :].astype(np.float64) - q.centers[None].astype(np.float64)) ** 2).sum(-1)
    assert np.all(d2[np.arange(len(X)), q.labels] <= d2.min(axis=1) * (1 + 1e-4) + 1e-4)
    np.testing.assert_allclose(q.sq_dist, d2[np.arange(len(X)), q.labels], rtol=1e-3, atol=1e-3)
    assert q.inertia == pytest.approx(float(q.sq_dist.sum(dtype=np.float64)))


def test_kmeans_is_deterministic_for_a_seed():
    X = clustered()
    a, b = quantize.kmeans(X, 40, random_state=1), quantize.kmeans(X, 40, random_state=1)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)


def test_empty_clusters_are_repaired_from_the_farthest_rows():
    X = np.vstack([np.zeros((50, 2)), np.ones((50, 2)) * 10, [[100.0, 100.0]]]).astype(np.float32)
    q = quantize.kmeans(X, 6, random_state=0)  # 3 distinct points, 6 clusters: at least 3 start empty
    counts = np.bincount(q.labels, minlength=6)
    assert counts.min() >= 1 and counts.sum() == len(X) and q.n_repaired >= 3


def test_explode_orders_by_pick_then_distance_and_caps():
    labels = np.array([2, 0, 2, 1, 2, 0, 1])
    sq = np.array([0.5, 0.1, 0.2, 0.3, 0.2, 0.0, 0.9], dtype=np.float32)
    rows = quantize.explode(labels, sq, [2, 0, 2])  # a repeated cluster counts once
    assert rows.tolist() == [2, 4, 0, 5, 1]          # cluster 2 (ties: lower row), then cluster 0
    assert quantize.explode(labels, sq, [1, 2], max_rows_per_cluster=2).tolist() == [3, 6, 2, 4]
    assert quantize.explode(labels, sq, []).tolist() == []


def test_selector_returns_every_row_of_the_picked_clusters():
    X = clustered()
    target = clustered(n_per=150, centres=(0,), seed=1)
    sel = GIOSelector(quantize=60, random_state=0).fit(X, target=target)
    clusters = sel.selected_clusters_
    assert len(np.unique(clusters)) == len(clusters) > 0
    expected = np.flatnonzero(np.isin(sel.cluster_labels_, clusters))
    np.testing.assert_array_equal(np.sort(sel.selected_indices_), expected)
    assert sel.cluster_centers_.shape == (60, 8)
    assert np.mean(sel.selected_indices_ < 2000) > 0.9  # the target's cluster
    np.testing.assert_array_equal(sel.transform(X), X[sel.selected_indices_])
    capped = GIOSelector(quantize=60, max_rows_per_cluster=5, random_state=0).fit(X, target=target)
    np.testing.assert_array_equal(capped.selected_clusters_, clusters)
    assert len(capped.selected_indices_) == 5 * len(clusters)
    greedy = GIOSelector(quantize=60, quantize_target=20, objective="knn", search="greedy").fit(X, target=target)
    assert np.mean(greedy.selected_indices_ < 2000) > 0.9


@pytest.mark.parametrize("params, message", [
    (dict(quantize=10**6), "quantize=1000000 clusters exceeds the pool's 8000 rows"),
    (dict(quantize=50, quantize_target=5), "quantize_target=5 leaves the target 5 rows"),
    (dict(max_rows_per_cluster=3), "quantize_target and max_rows_per_cluster are options of quantize=K"),
    (dict(quantize=20, n_select=25), "n_select=25 exceeds the 20 clusters"),
])
def test_bad_quantize_options_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        GIOSelector(**params).fit(clustered(), target=clustered(n_per=100, seed=2))


def test_quantization_consistency():
    """DESIGN §5: KL(X || centroids of X) is small next to KL(X || a same-size sample of a shifted X)."""
    X = clustered(n_per=1000, d=4)
    centres = quantize.kmeans(X, 200, random_state=0).centers
    shifted = clustered(n_per=50, d=4, seed=5) + 3.0
    own, other = knn_kl(X, centres, k=5), knn_kl(X, shifted, k=5)
    assert own < 0.25 * other, (own, other)


def test_memory_mapped_pool_is_not_copied(tmp_path):
    pool = np.random.default_rng(0).normal(size=(2_000_000, 32)).astype(np.float32)  # 256 MB
    path = tmp_path / "pool.npy"
    np.save(path, pool)
    del pool
    script = textwrap.dedent(f"""
        import resource, numpy as np
        from gioselect import GIOSelector
        pool = np.load({str(path)!r}, mmap_mode="r")
        target = np.array(pool[:500]) + 0.1
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sel = GIOSelector(quantize=100, n_select=5, random_state=0).fit(pool, target=target)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024, len(sel.selected_indices_))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    grown, picked = int(out[0]), int(out[1])
    assert picked > 0
    assert grown < 0.5 * 2_000_000 * 32 * 4, f"peak RSS grew by {grown / 2**20:.0f} MiB for a 244 MiB pool"


def test_a_row_budget_stops_inside_the_last_cluster_on_a_memory_mapped_pool(tmp_path):
    rng = np.random.default_rng(3)
    pool = np.vstack([rng.normal(0, 1, (3000, 6)), rng.normal(4, 1, (3000, 6))]).astype(np.float32)
    np.save(tmp_path / "pool.npy", pool)
    mapped = np.load(tmp_path / "pool.npy", mmap_mode="r")
    target = rng.normal(4, 1, (300, 6)).astype(np.float32)
    sel = GIOSelector(search="descent", quantize=60, n_select_rows=700, random_state=0).fit(mapped, target=target)
    assert len(sel.selected_indices_) == 700 and sel.stop_reason_ == "n_select_rows"
    assert len(np.unique(sel.selected_indices_)) == 700
    # the same rows as the cluster picks of a run without a budget, in order, cut at 700 rows
    with pytest.warns(UserWarning, match="n_select=60 forced"):  # every cluster: far past the minimum
        every = GIOSelector(search="descent", quantize=60, n_select=60, random_state=0).fit(mapped, target=target)
    np.testing.assert_array_equal(sel.selected_clusters_, every.selected_clusters_[:len(sel.selected_clusters_)])
    np.testing.assert_array_equal(sel.selected_indices_, every.selected_indices_[:700])
    # every picked cluster but the last is whole; the last one is cut to fit, nearest its centre first
    labels = sel.cluster_labels_[sel.selected_indices_]
    assert set(labels) == set(sel.selected_clusters_)
    assert len(sel.objective_trace_) == len(sel.selected_clusters_)


def test_a_row_budget_needs_quantize_and_excludes_n_select():
    X = np.random.default_rng(0).normal(size=(200, 3))
    with pytest.raises(ValueError, match="set quantize"):
        GIOSelector(n_select_rows=10).fit(X)
    with pytest.raises(ValueError, match="two budgets"):
        GIOSelector(quantize=20, n_select=5, n_select_rows=10).fit(X)
