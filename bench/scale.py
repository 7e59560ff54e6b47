"""GIO at scale: pool 100,000 x 128 float32, target 2,000 rows; HNSW vs exact projection.

    python bench/scale.py [--picks 100] [--ef 64 128 256 512 1024 4096] [--out bench/results/scale.json]

Problem: bench/data.py's Gaussian mixture (64 clusters, seed 0), 20 unit-norm start rows,
v_init='mean', 50 descent steps, exactly --picks picks (n_select), default threads. Runs, through
the low-level gioselect._core.select:

* exact: brute-force projection (exact_search=True): seconds per pick (best of 3 runs);
* hnsw: HNSW projection with the default ef_search, no audit: index build seconds and seconds per
  pick without the build;
* recall, one run per --ef value: HNSW with audit_projection=True, which also runs brute force
  for every query; recall = audit_agreements / hnsw_queries (the HNSW row is the exact nearest
  available row), and the overlap of the selection with the exact run's. A miss tends to repeat:
  the row HNSW did not find stays available and stays the exact answer for the next, nearby
  queries, so one hard-to-reach row can fail every later query.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import make_problem  # noqa: E402

from gioselect import _core, _engine  # noqa: E402


def select(pool, target, init, picks, **index):
    opts = _engine.make_options(
        k=5, stop_criterion="increase", min_difference=0, min_kl=0, max_data_size=1.0, max_sequential_increases=3,
        resets_allowed=False, max_resets=2, v_init="mean", grad_desc_iter=50, lr=0.01, scale_factor="auto",
        random_restart_prob=0, discard_nearest_for_xy=False, reference_semantics=False, seed=0, n_threads=0,
        n_select=picks, **index)
    t0 = time.perf_counter()
    res = _core.select(pool, target, init, opts)
    seconds = time.perf_counter() - t0
    assert len(res.selected) == picks, (len(res.selected), res.stop_reason)
    return res, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--picks", type=int, default=100)
    ap.add_argument("--n-pool", type=int, default=100_000)
    ap.add_argument("--n-target", type=int, default=2_000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--ef", type=int, nargs="*", default=[64, 128, 256, 512, 1024, 4096])
    ap.add_argument("--out", default=os.path.join(HERE, "results", "scale.json"))
    args = ap.parse_args()

    t0 = time.perf_counter()
    pool, target, init = make_problem(n_pool=args.n_pool, n_target=args.n_target, d=args.dim, n_clusters=64)
    init = init.astype(np.float32)
    print(f"pool {pool.shape}, target {target.shape}, {args.picks} picks "
          f"(data made in {time.perf_counter() - t0:.1f}s)")
    out = {"problem": dict(n_pool=args.n_pool, n_target=args.n_target, dim=args.dim, picks=args.picks,
                           threads=os.cpu_count())}

    exact, s = select(pool, target, init, args.picks, exact_search=True)
    s = min([s] + [select(pool, target, init, args.picks, exact_search=True)[1] for _ in range(2)])  # best of 3
    out["exact"] = {"seconds": s, "seconds_per_pick": s / args.picks}
    print(f"exact: {s:.2f}s, {s / args.picks * 1e3:.2f} ms/pick")

    hnsw, s = select(pool, target, init, args.picks, exact_search=False)
    build = hnsw.index_build_seconds
    out["hnsw"] = {"seconds": s, "index_build_seconds": build,
                   "seconds_per_pick_without_build": (s - build) / args.picks,
                   "overlap_with_exact": len(set(hnsw.selected) & set(exact.selected))}
    print(f"hnsw (ef_search 64): {s:.2f}s, build {build:.2f}s, {(s - build) / args.picks * 1e3:.2f} ms/pick without "
          f"the build; exact/hnsw per pick = {out['exact']['seconds_per_pick'] / ((s - build) / args.picks):.1f}x")

    out["recall"] = []
    for ef in args.ef:
        res, s = select(pool, target, init, args.picks, exact_search=False, audit_projection=True, ef_search=ef)
        row = {"ef_search": ef, "hnsw_queries": res.hnsw_queries, "audit_agreements": res.audit_agreements,
               "recall": res.audit_agreements / max(1, res.hnsw_queries),
               "index_build_seconds": res.index_build_seconds,
               "overlap_with_exact": len(set(res.selected) & set(exact.selected)), "seconds": s,
               # the audit run does the exact run's work plus the HNSW searches and the build
               "search_seconds_per_pick_estimate": (s - res.index_build_seconds - out["exact"]["seconds"]) / args.picks}
        out["recall"].append(row)
        print(f"ef_search {ef}: recall {row['recall']:.4f} ({res.audit_agreements}/{res.hnsw_queries}), "
              f"selection overlap with exact {row['overlap_with_exact']}/{args.picks}, "
              f"build {res.index_build_seconds:.2f}s, "
              f"~{row['search_seconds_per_pick_estimate'] * 1e3:.1f} ms/search")

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
