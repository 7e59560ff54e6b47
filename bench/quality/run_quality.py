"""Quality benchmark: do GIO's selections make better training data than random subsets?

Run from the repository root: `python bench/quality/run_quality.py [--quick] [--scenario ...]` (see
README.md in this folder). Python puts this file's folder first on sys.path, so the sibling modules import.
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

import baselines
import evaluate
import fashion_mnist
import methods
import peers
import problems
import representations
import scenarios
import tables

SIZES_PCT = (1, 2, 5)  # table 1: subset sizes, in % of the pool
COMPRESSION_POOL = 10_000  # table 2: clean subsample that is both pool and target
KEEP = 0.25  # table 2: fraction kept, as in the paper
RESULTS = Path(__file__).resolve().parents[1] / "results"
QUICK = dict(seeds="0", reps="pca", pool_size=10_000, compression_pool=2_000)
SCENARIO_NAMES = ("fmnist", *scenarios.SCENARIOS)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke test: seed 0, pca only, a 10,000-row pool and a 2,000-row compression pool")
    p.add_argument("--scenario", default="fmnist",
                   help=f"comma-separated scenarios, of {','.join(SCENARIO_NAMES)}, or all (default fmnist)")
    p.add_argument("--seeds", help="comma-separated seeds (default 0,1,2,3,4; --quick: 0)")
    p.add_argument("--reps", help=f"comma-separated Fashion-MNIST representations, of "
                                  f"{','.join(representations.REPRESENTATIONS)} (default all; --quick: pca)")
    p.add_argument("--modes", default=",".join(methods.METHODS),
                   help=f"comma-separated methods, of {','.join(methods.METHODS)} (default all)")
    p.add_argument("--tables", default=",".join(tables.FMNIST_TITLES),
                   help="Fashion-MNIST: shift, compression or both (default both)")
    p.add_argument("--sizes-pct", help="comma-separated budgets in %% of the pool (default 1,2,5 for Fashion-MNIST, "
                                       "1,2,5,10,20 for the other scenarios)")
    p.add_argument("--out", default=str(RESULTS), help="folder for the results (default bench/results)")
    p.add_argument("--stem", help="results file names STEM.json and STEM.md (default quality for a Fashion-MNIST "
                                  "run, quality_scenarios otherwise)")
    p.add_argument("--data-dir", default=str(fashion_mnist.DEFAULT_DIR), help="folder of the four idx .gz files")
    args = p.parse_args(argv)
    quick = QUICK if args.quick else {}
    args.seeds = [int(s) for s in (args.seeds or quick.get("seeds", "0,1,2,3,4")).split(",")]
    args.reps = (args.reps or quick.get("reps", ",".join(representations.REPRESENTATIONS))).split(",")
    args.modes = methods.parse(args.modes)
    args.tables = args.tables.split(",")
    args.scenario = list(SCENARIO_NAMES) if args.scenario == "all" else args.scenario.split(",")
    bad = (sorted(set(args.reps) - set(representations.REPRESENTATIONS))
           + sorted(set(args.tables) - set(tables.FMNIST_TITLES)) + sorted(set(args.scenario) - set(SCENARIO_NAMES)))
    if bad:
        p.error(f"unknown representation, table or scenario: {bad}")
    args.stem = args.stem or ("quality" if args.scenario == ["fmnist"] else "quality_scenarios")
    args.sizes_pct = tuple(float(x) for x in args.sizes_pct.split(",")) if args.sizes_pct else None
    args.pool_size = quick.get("pool_size")
    args.compression_pool = quick.get("compression_pool", COMPRESSION_POOL)
    return args


def run_problem(table, problem, rep, seed, sizes, args, prefix_ok, test, rows_out,
                factories=representations.REPRESENTATIONS) -> None:
    """Embed one problem, select with every method, score every (method, size) into rows_out. A row
    without a budget (an automatic stop) also gets nearest-to-target's accuracy at its size, for the
    paired column."""
    pool, other = representations.embed(rep, seed, problem["pool"], {
        "target": problem["target"], "heldout": problem["heldout"], "test": test["images"]}, factories)

    def score(rows):
        return evaluate.score(rows, pool, problem["labels"], other["test"], test["labels"], other["heldout"],
                              problem["clean"])

    for method in args.modes:
        picks, seconds = methods.select(method, pool, other["target"], sizes, seed, prefix_ok.get(method, True),
                                        clean=problem["clean"])
        for budget, rows in picks.items():
            n = len(rows)
            rec = dict(table=table, rep=rep, seed=seed, method=method, n=n, budget=budget,
                       pct=round(100 * n / len(pool), 2), select_seconds=seconds)
            rec.update(score(rows))
            if budget == "auto" and n > 0:  # nearest-to-target's first n picks are its n-pick run
                nearest = baselines.nearest_round_robin(pool, other["target"], n, seed)
                rec["nearest_accuracy"] = score(nearest)["accuracy"]
            rows_out.append(rec)
        print(f"[{table} {rep} seed {seed}] {method}: {seconds:.1f} s to select, "
              f"accuracy {rows_out[-1]['accuracy']:.3f} at {rows_out[-1]['n']} rows", file=sys.stderr, flush=True)


def config(args, prefix_ok, data_versions) -> dict:
    """Everything needed to read or repeat the run."""
    out = {"quick": args.quick, "scenarios": args.scenario, "seeds": args.seeds, "modes": args.modes,
           "gio_modes": {m: methods.GIO_MODES[m] for m in prefix_ok}, "prefix_ok": prefix_ok,
           "auto_modes": {m: methods.AUTO_MODES[m] for m in args.modes if m in methods.AUTO_MODES},
           "peers": {"graph_k": peers.GRAPH_K, "candidates_per_pick": peers.CANDIDATES},
           "classifier": f"StandardScaler + LogisticRegression(max_iter={evaluate.MAX_ITER})",
           "gioselect": gioselect.__version__, "numpy": np.__version__, "sklearn": sklearn.__version__,
           "cpus": os.cpu_count()}
    if "fmnist" in args.scenario:
        out.update({"reps": args.reps, "tables": args.tables, "sizes_pct": list(args.sizes_pct or SIZES_PCT),
                    "pool_size": args.pool_size or 59_000,
                    "shift": {"fraction": problems.SHIFT_FRACTION, "kind": "rotate 90 deg counter-clockwise",
                              "noise_std": fashion_mnist.NOISE_STD},
                    "n_target": problems.N_TARGET, "n_heldout": problems.N_HELDOUT,
                    "compression_pool": args.compression_pool, "keep": KEEP})
    for name in args.scenario:
        if name in scenarios.SCENARIOS:
            sc = scenarios.SCENARIOS[name]
            out.setdefault("scenario_config", {})[name] = {
                "title": sc.title, "reps": list(sc.reps), "sizes_pct": list(args.sizes_pct or sc.sizes_pct),
                "shift": sc.shift, "n_target": sc.n_target, "n_heldout": sc.n_heldout,
                "data_versions": data_versions.get(name)}
    return out


def save(results: dict, out: Path, stem: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")


def run_fmnist(seed, data, test, args, prefix_ok, rows_out) -> None:
    """Fashion-MNIST's two problems (shifted pool, compression) in each of its representations."""
    if "shift" in args.tables:
        problem = problems.shifted_pool(data, seed, args.pool_size)
        sizes = [round(pct * len(problem["pool"]) / 100) for pct in args.sizes_pct or SIZES_PCT]
        for rep in args.reps:
            run_problem("shift", problem, rep, seed, sizes, args, prefix_ok, test, rows_out)
    if "compression" in args.tables:
        problem = problems.compression(data, seed, args.compression_pool)
        for rep in args.reps:
            run_problem("compression", problem, rep, seed, [round(KEEP * args.compression_pool)], args,
                        prefix_ok, test, rows_out)


def run_scenario(name, seed, data, args, prefix_ok, rows_out) -> None:
    """One of scenarios.SCENARIOS: its seed's split, in each of its representations."""
    sc = scenarios.SCENARIOS[name]
    problem = sc.problem(data, seed)
    sizes = [round(pct * len(problem["pool"]) / 100) for pct in args.sizes_pct or sc.sizes_pct]
    test = {"images": problem["test"], "labels": problem["test_labels"]}
    for rep in sc.reps:
        run_problem(name, problem, rep, seed, sizes, args, prefix_ok, test, rows_out, sc.reps)


def main(argv=None) -> int:
    args = parse_args(argv)
    # One BLAS thread: with two, OpenBLAS spins against gioselect's OpenMP threads and any other
    # load on a 2-core machine (full-pool LogisticRegression measured 14-26 s instead of 1.0 s).
    threadpool_limits(1, user_api="blas")
    prefix_ok = methods.check_modes([m for m in args.modes if m in methods.GIO_MODES])
    data = {}
    try:  # every data set is read before the first selection, so a missing one fails at once
        for name in args.scenario:
            data[name] = (fashion_mnist.load(args.data_dir) if name == "fmnist"
                          else scenarios.SCENARIOS[name].load(None))
    except FileNotFoundError as err:
        raise SystemExit(str(err)) from err
    versions = {name: d.get("versions") for name, d in data.items() if name != "fmnist"}
    results = {"config": config(args, prefix_ok, versions), "rows": []}
    if "fmnist" in data:  # the official test set, the same for every seed
        fm = data["fmnist"]
        fm_test = {"images": fashion_mnist.scale(fm["test_images"]), "labels": fm["test_labels"]}
    out, t0 = Path(args.out), time.perf_counter()
    for seed in args.seeds:
        for name in args.scenario:
            if name == "fmnist":
                run_fmnist(seed, data[name], fm_test, args, prefix_ok, results["rows"])
            else:
                run_scenario(name, seed, data[name], args, prefix_ok, results["rows"])
            results["seconds"] = time.perf_counter() - t0
            save(results, out, args.stem)  # after every scenario: an interrupted run keeps what it finished
    md = tables.markdown(results)
    (out / f"{args.stem}.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
