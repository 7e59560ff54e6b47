"""Quality benchmark: do GIO's selections make better training data than random subsets?

Run from the repository root: `python bench/quality/run_quality.py [--quick]` (see README.md in
this folder). Python puts this file's folder first on sys.path, so the sibling modules import.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import gioselect
import numpy as np
import sklearn
from threadpoolctl import threadpool_limits

import evaluate
import fashion_mnist
import methods
import problems
import representations
import tables

SIZES_PCT = (1, 2, 5)  # table 1: subset sizes, in % of the pool
COMPRESSION_POOL = 10_000  # table 2: clean subsample that is both pool and target
KEEP = 0.25  # table 2: fraction kept, as in the paper
RESULTS = Path(__file__).resolve().parents[1] / "results"
QUICK = dict(seeds="0", reps="pca", pool_size=10_000, compression_pool=2_000)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke test: seed 0, pca only, a 10,000-row pool and a 2,000-row compression pool")
    p.add_argument("--seeds", help="comma-separated seeds (default 0,1,2,3,4; --quick: 0)")
    p.add_argument("--reps", help=f"comma-separated representations, of {','.join(representations.REPRESENTATIONS)} "
                                  f"(default all; --quick: pca)")
    p.add_argument("--modes", default=",".join(methods.METHODS),
                   help=f"comma-separated methods, of {','.join(methods.METHODS)} (default all)")
    p.add_argument("--tables", default=",".join(tables.TITLES), help="shift, compression or both (default both)")
    p.add_argument("--sizes-pct", help="comma-separated budgets in %% of the pool (default 1,2,5)")
    p.add_argument("--out", default=str(RESULTS), help="folder for quality.json and quality.md (default bench/results)")
    p.add_argument("--data-dir", default=str(fashion_mnist.DEFAULT_DIR), help="folder of the four idx .gz files")
    args = p.parse_args(argv)
    quick = QUICK if args.quick else {}
    args.seeds = [int(s) for s in (args.seeds or quick.get("seeds", "0,1,2,3,4")).split(",")]
    args.reps = (args.reps or quick.get("reps", ",".join(representations.REPRESENTATIONS))).split(",")
    args.modes = methods.parse(args.modes)
    args.tables = args.tables.split(",")
    bad = sorted(set(args.reps) - set(representations.REPRESENTATIONS)) + sorted(set(args.tables) - set(tables.TITLES))
    if bad:
        p.error(f"unknown representation or table: {bad}")
    args.sizes_pct = tuple(float(x) for x in args.sizes_pct.split(",")) if args.sizes_pct else SIZES_PCT
    args.pool_size = quick.get("pool_size")
    args.compression_pool = quick.get("compression_pool", COMPRESSION_POOL)
    return args


def run_problem(table, problem, rep, seed, sizes, args, prefix_ok, test, rows_out) -> None:
    """Embed one problem, select with every method, score every (method, size) into rows_out."""
    pool, other = representations.embed(rep, seed, problem["pool"], {
        "target": problem["target"], "heldout": problem["heldout"], "test": test["images"]})
    for method in args.modes:
        picks, seconds = methods.select(method, pool, other["target"], sizes, seed, prefix_ok.get(method, True),
                                        clean=problem["clean"])
        for budget, rows in picks.items():
            n = len(rows)
            rec = dict(table=table, rep=rep, seed=seed, method=method, n=n, budget=budget,
                       pct=round(100 * n / len(pool), 2), select_seconds=seconds)
            rec.update(evaluate.score(rows, pool, problem["labels"], other["test"], test["labels"],
                                      other["heldout"], problem["clean"]))
            rows_out.append(rec)
        print(f"[{table} {rep} seed {seed}] {method}: {seconds:.1f} s to select, "
              f"accuracy {rows_out[-1]['accuracy']:.3f} at {rows_out[-1]['n']} rows", file=sys.stderr, flush=True)


def config(args, prefix_ok) -> dict:
    """Everything needed to read or repeat the run."""
    return {"quick": args.quick, "seeds": args.seeds, "reps": args.reps, "modes": args.modes,
            "tables": args.tables, "gio_modes": {m: methods.GIO_MODES[m] for m in prefix_ok},
            "prefix_ok": prefix_ok, "sizes_pct": list(args.sizes_pct), "pool_size": args.pool_size or 59_000,
            "shift": {"fraction": problems.SHIFT_FRACTION, "kind": "rotate 90 deg counter-clockwise",
                      "noise_std": fashion_mnist.NOISE_STD},
            "n_target": problems.N_TARGET, "n_heldout": problems.N_HELDOUT,
            "compression_pool": args.compression_pool, "keep": KEEP,
            "classifier": f"StandardScaler + LogisticRegression(max_iter={evaluate.MAX_ITER})",
            "gioselect": gioselect.__version__, "numpy": np.__version__, "sklearn": sklearn.__version__,
            "cpus": os.cpu_count()}


def save(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "quality.json").write_text(json.dumps(results, indent=1) + "\n")


def main(argv=None) -> int:
    args = parse_args(argv)
    # One BLAS thread: with two, OpenBLAS spins against gioselect's OpenMP threads and any other
    # load on a 2-core machine (full-pool LogisticRegression measured 14-26 s instead of 1.0 s).
    threadpool_limits(1, user_api="blas")
    prefix_ok = methods.check_modes([m for m in args.modes if m in methods.GIO_MODES])
    try:
        data = fashion_mnist.load(args.data_dir)
    except FileNotFoundError as err:
        raise SystemExit(str(err)) from err
    test = {"images": fashion_mnist.scale(data["test_images"]), "labels": data["test_labels"]}
    results = {"config": config(args, prefix_ok), "rows": []}
    out, t0 = Path(args.out), time.perf_counter()
    for seed in args.seeds:
        if "shift" in args.tables:
            problem = problems.shifted_pool(data, seed, args.pool_size)
            sizes = [round(pct * len(problem["pool"]) / 100) for pct in args.sizes_pct]
            for rep in args.reps:
                run_problem("shift", problem, rep, seed, sizes, args, prefix_ok, test, results["rows"])
        if "compression" in args.tables:
            problem = problems.compression(data, seed, args.compression_pool)
            for rep in args.reps:
                run_problem("compression", problem, rep, seed, [round(KEEP * args.compression_pool)], args,
                            prefix_ok, test, results["rows"])
        results["seconds"] = time.perf_counter() - t0
        save(results, out)  # after every seed: an interrupted run keeps what it finished
    md = tables.markdown(results)
    (out / "quality.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
