"""One small fit of each mode, for an extension built with sanitizers (.ci/run's ASan+UBSan job).

Not collected by pytest (no test_ prefix): it runs as a script, under the sanitizer runtime, e.g.
    LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)" \\
    ASAN_OPTIONS=detect_leaks=0 PYTHONPATH=<dir with the sanitized gioselect> \\
    python tests/sanitizer_smoke.py --expect-sanitized
A sanitizer finding aborts the process; a wrong result fails an assertion. Either way the exit
status is non-zero. Leak detection stays off: CPython keeps its objects at exit by design.
"""

from __future__ import annotations

import argparse
import sys
import traceback

import numpy as np

import gioselect
from gioselect import GIOSelector, knn_kl

N_NEAR = 300  # pool rows 0..299 are near the target, 300..599 far from it


def problem():
    rng = np.random.default_rng(0)
    pool = np.vstack([rng.normal(0, 1, (N_NEAR, 6)), rng.normal(8, 1, (N_NEAR, 6))]).astype(np.float32)
    target = rng.normal(0, 1, (120, 6)).astype(np.float32)
    return pool, target


def from_scratch_knn_kl(target, W, k):
    """The k-NN estimate of KL(target || W) in float64 numpy, written independently of the core."""
    t, w = target.astype(np.float64), W.astype(np.float64)
    n, d = t.shape
    dxx = np.sqrt(((t[:, None] - t[None]) ** 2).sum(-1))
    np.fill_diagonal(dxx, np.inf)
    rho = np.sort(dxx, axis=1)[:, k - 1]
    nu = np.sort(np.sqrt(((t[:, None] - w[None]) ** 2).sum(-1)), axis=1)[:, k - 1]
    return d / n * np.log(nu / rho).sum() + np.log(len(w) / (n - 1))


def check_selection(sel, pool, target, n_picks):
    idx = sel.selected_indices_
    assert len(idx) == n_picks, (len(idx), n_picks)
    assert len(np.unique(idx)) == len(idx), "a row picked twice"
    assert np.all(idx < N_NEAR), f"picked rows far from the target: {idx[idx >= N_NEAR]}"
    expected = from_scratch_knn_kl(target, pool[idx], sel.k)
    got = sel.selection_kl_
    assert abs(got - expected) <= 1e-6 * (1 + abs(expected)), (got, expected)
    assert sel.objective_trace_[-1] < sel.objective_start_, (sel.objective_start_, sel.objective_trace_[-1])


def fit(pool, target, **params):
    return GIOSelector(n_select=15, random_state=0, n_jobs=2, **params).fit(pool, target=target)


def each_search_and_objective():
    pool, target = problem()
    for search in ("descent", "greedy", "nearest", "spread"):
        for objective in ("relaxed", "knn"):
            sel = fit(pool, target, search=search, objective=objective)
            check_selection(sel, pool, target, 15)
            if objective == "knn":  # its trace is the exact estimate after every pick
                W = np.vstack([sel.init_, pool[sel.selected_indices_]])
                expected = from_scratch_knn_kl(target, W, sel.k)
                assert abs(sel.objective_trace_[-1] - expected) <= 1e-6 * (1 + abs(expected))


def each_projection():
    pool, target = problem()
    for params in ({"projection": "exact"},
                   {"projection": "hnsw"},  # a parallel HNSW build on 2 threads, then its searches
                   {"projection": "hnsw", "objective": "knn", "n_candidates": 4}):  # nearest_k
        check_selection(fit(pool, target, search="descent", **params), pool, target, 15)


def quantized():
    pool, target = problem()
    for search in ("auto", "descent"):  # the default (spread on the centres) and the descent
        sel = GIOSelector(quantize=12, n_select=3, search=search, random_state=0, n_jobs=2).fit(pool, target=target)
        assert len(sel.selected_clusters_) == 3
        rows = sel.selected_indices_
        assert len(rows) == len(np.unique(rows)) > 0
        assert np.all(rows < N_NEAR), f"{search}: a picked cluster holds rows far from the target"
        np.testing.assert_array_equal(np.sort(rows),
                                      np.flatnonzero(np.isin(sel.cluster_labels_, sel.selected_clusters_)))


def knn_kl_function():
    pool, target = problem()
    for W in (pool[:50], pool[N_NEAR:N_NEAR + 50], pool.astype(np.float64)):
        expected = from_scratch_knn_kl(target, W, 5)
        got = knn_kl(target.astype(W.dtype), W, k=5, n_jobs=2)
        assert abs(got - expected) <= 1e-6 * (1 + abs(expected)), (got, expected)


CHECKS = [each_search_and_objective, each_projection, quantized, knn_kl_function]


def sanitizer_runtime_loaded():
    with open("/proc/self/maps") as maps:
        return "libasan" in maps.read()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-sanitized", action="store_true",
                        help="fail unless the ASan runtime is loaded (the build under test is sanitized)")
    args = parser.parse_args(argv)
    print(f"gioselect from {gioselect.__file__}; ASan runtime loaded: {sanitizer_runtime_loaded()}")
    if args.expect_sanitized and not sanitizer_runtime_loaded():
        print("sanitizer smoke: the ASan runtime is not loaded", file=sys.stderr)
        return 1
    failed = 0
    for check in CHECKS:
        try:
            check()
            print(f"ok   {check.__name__}")
        except AssertionError:
            failed += 1
            print(f"FAIL {check.__name__}")
            traceback.print_exc()
    print(f"sanitizer_smoke: {len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
