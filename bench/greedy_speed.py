"""search='greedy' (knn) against the from-scratch greedy loop: same picks, time per pick.

    python bench/greedy_speed.py [--quick | --problems M,n,d ...] [--picks 200] [--out bench/results/greedy_speed.json]
    python bench/greedy_speed.py --against OTHER_PYTHON [--picks 300] [--repeats 2]

Problems: bench/data.py's Gaussian mixtures (float32, 64 clusters, the target from half of them,
20 unit-norm start rows, seed 0) for each (M pool rows, n target rows, d) of the grid. gioselect
runs exactly --picks picks through gioselect._core (all cores); its time per pick is split into
the setup (target statistics + the first blocked pass that scores every row against every target)
and the picks, whose cost falls as targets become served: |S| (targets a pick brings closer than
their nu_k) per pick is reported per phase. The baseline is bench/naive_greedy.py (float64 numpy,
one BLAS product per pick, O(M n d)), run for --naive-picks picks; its first picks must equal
gioselect's, and its time per pick is taken as the same for every later pick (it does not fall).

--against OTHER_PYTHON compares two builds instead (two venvs, e.g. OTHER_PYTHON one with the
previous commit installed): the same gioselect runs on AGAINST_GRID, each in a fresh process of
this interpreter and of OTHER_PYTHON, alternately (ABBA: each build first as often), in the same
run; the picks must be the same, and the time per pick is compared per phase (default out:
bench/results/greedy_tree.json, where it measured the score tree against the linear scan).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import make_problem  # noqa: E402
from naive_greedy import naive_greedy  # noqa: E402
from results import write_json  # noqa: E402

from gioselect import _core, _engine  # noqa: E402

GRID = [(10_000, 1_000, 64), (100_000, 1_000, 64), (1_000_000, 1_000, 64),
        (10_000, 10_000, 64), (100_000, 10_000, 64), (10_000, 1_000, 384), (100_000, 1_000, 384)]
QUICK = [(10_000, 1_000, 64), (100_000, 1_000, 64)]
AGAINST_GRID = [(200_000, 1_000, 32), (1_000_000, 1_000, 16)]
PHASES = [(1, 10), (11, 50), (51, 200), (201, 1000), (1001, 10**9)]


def greedy_run(pool, target, init, picks):
    opts = _engine.make_options(objective="knn", search="greedy", n_select=picks)
    stamps = []

    def on_step(n_iter, n_selected, kl, kl_start):
        stamps.append(time.perf_counter())
        return 0

    t0 = time.perf_counter()
    res = _engine.run(pool, target, init, opts, on_step=on_step)
    total = time.perf_counter() - t0
    assert len(res.selected) == picks, (len(res.selected), res.stop_reason)
    ends = np.array(stamps)  # on_step runs after every pick: stamps[j] ends pick j + 1
    per_pick = np.diff(ends)  # picks 2..P
    phases = {}
    for lo, hi in PHASES:
        sel = per_pick[max(lo - 2, 0):max(hi - 1, 0)]
        if len(sel):
            phases[f"{lo}-{min(hi, picks)}"] = float(sel.mean())
    return dict(selected=np.asarray(res.selected).tolist(), total_s=total, setup_and_first_pick_s=float(ends[0] - t0),
                per_pick_after_first_ms={key: 1e3 * v for key, v in phases.items()},
                changed_targets_per_pick=res.stats.greedy_changed_targets / picks,
                list_updates=int(res.stats.greedy_list_updates), pool_pass_updates=int(res.stats.greedy_pool_pass_updates))


def timed_in(python, m, n, d, picks):
    """greedy_run of one problem in a fresh process of `python` (its own gioselect build)."""
    out = subprocess.run([python, os.path.abspath(__file__), "--one", f"{m},{n},{d}", "--picks", str(picks)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


def against(args):
    builds = {"this": sys.executable, "other": args.against}
    rows = []
    for m, n, d in args.problems or AGAINST_GRID:
        runs = {name: [] for name in builds}
        for rep in range(args.repeats):
            order = list(builds) if rep % 2 == 0 else list(builds)[::-1]
            for name in order:
                runs[name].append(timed_in(builds[name], m, n, d, args.picks))
        same = all(r["selected"] == runs["this"][0]["selected"] for rs in runs.values() for r in rs)
        best = {name: {key: min(r["per_pick_after_first_ms"][key] for r in rs) for key in rs[0]["per_pick_after_first_ms"]}
                for name, rs in runs.items()}  # the fastest of the repeats: the least disturbed by other load
        row = dict(M=m, n=n, d=d, picks=args.picks, same_picks=same, gioselect={k: rs[0]["core"] for k, rs in runs.items()},
                   per_pick_after_first_ms=best,
                   saved_ms_per_pick={key: best["other"][key] - best["this"][key] for key in best["this"]},
                   total_s={name: [r["total_s"] for r in rs] for name, rs in runs.items()},
                   **{key: runs["this"][0][key] for key in ("changed_targets_per_pick", "list_updates", "pool_pass_updates")})
        rows.append(row)
        print(f"M={m:>9,} n={n:>6,} d={d:>3}: same picks {same}; ms/pick this {best['this']}, "
              f"other {best['other']}", flush=True)
    write_json(dict(picks=args.picks, repeats=args.repeats, python={"this": builds["this"], "other": builds["other"]},
                    rows=rows), args.out or os.path.join(HERE, "results", "greedy_tree.json"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--picks", type=int, default=200)
    ap.add_argument("--naive-picks", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="the two smallest problems only")
    ap.add_argument("--out", default=None, help="default: bench/results/greedy_speed.json (greedy_tree.json with --against)")
    ap.add_argument("--against", metavar="OTHER_PYTHON", help="compare this build with that interpreter's gioselect")
    ap.add_argument("--repeats", type=int, default=2, help="--against: runs per build and problem")
    ap.add_argument("--problems", nargs="+", metavar="M,n,d", help="these problems, not GRID (AGAINST_GRID)",
                    type=lambda v: tuple(int(x) for x in v.split(",")))
    ap.add_argument("--one", metavar="M,n,d", help=argparse.SUPPRESS)  # one timed run, as JSON (for --against)
    args = ap.parse_args()
    if args.one:
        m, n, d = (int(v) for v in args.one.split(","))
        pool, target, init = make_problem(n_pool=m, n_target=n, d=d, n_clusters=64, seed=0)
        print(json.dumps(dict(greedy_run(pool, target, init, args.picks), core=_core.__file__)))
        return
    if args.against:
        return against(args)
    rows = []
    for m, n, d in args.problems or (QUICK if args.quick else GRID):
        pool, target, init = make_problem(n_pool=m, n_target=n, d=d, n_clusters=64, seed=0)
        fast = greedy_run(pool, target, init, args.picks)
        t0 = time.perf_counter()
        want = naive_greedy(pool, target, init, 5, args.naive_picks)
        naive_per_pick = (time.perf_counter() - t0) / args.naive_picks
        same = fast["selected"][: args.naive_picks] == want
        row = dict(M=m, n=n, d=d, picks=args.picks, naive_per_pick_s=naive_per_pick, naive_same_picks=same,
                   naive_total_s_estimate=naive_per_pick * args.picks,
                   speedup_total=naive_per_pick * args.picks / fast["total_s"], **fast)
        row.pop("selected")
        rows.append(row)
        print(f"M={m:>9,} n={n:>6,} d={d:>3}: greedy {fast['total_s']:7.2f} s for {args.picks} picks "
              f"(setup+1st {fast['setup_and_first_pick_s']:.2f} s, then ms/pick {fast['per_pick_after_first_ms']}); "
              f"|S|/pick {fast['changed_targets_per_pick']:.1f}; naive {naive_per_pick:.3f} s/pick "
              f"(same picks: {same}); total speed-up {row['speedup_total']:.1f}x", flush=True)
    write_json(dict(picks=args.picks, rows=rows), args.out or os.path.join(HERE, "results", "greedy_speed.json"))


if __name__ == "__main__":
    main()
