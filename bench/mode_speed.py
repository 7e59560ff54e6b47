"""Time per pick of every search mode on one problem, and how it grows with the target size n
and the knn batch size b.

    python bench/mode_speed.py [--picks 200] [--n-pool 20000] [--out bench/results/mode_speed.json]

Problem: bench/data.py's Gaussian mixture (pool --n-pool x 64 float32, 64 clusters, target from
half of them, seed 0), GIOSelector defaults otherwise (20 uniform start rows, 50 descent steps,
all cores), exactly --picks picks (n_select). Each cell is one fit's wall time / picks, setup
(target statistics, index, the greedy's first scoring pass) included. The modes run one after
the other in the same process, so their ratios are comparable; absolute times drift on a shared VM.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import make_problem  # noqa: E402
from results import write_json  # noqa: E402

from gioselect import GIOSelector  # noqa: E402

MODES = {
    "relaxed descent": dict(search="descent"),
    "knn descent b=1": dict(objective="knn", search="descent"),
    "knn descent b=4": dict(objective="knn", search="descent", batch_size=4),
    "knn descent b=16": dict(objective="knn", search="descent", batch_size=16),
    "knn descent b=1, 8 candidates": dict(objective="knn", search="descent", n_candidates=8),
    "knn greedy": dict(objective="knn", search="greedy"),
    "knn greedy k=1": dict(objective="knn", search="greedy", k=1),
    "nearest": dict(search="nearest"),
    "spread": dict(search="spread"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--picks", type=int, default=200)
    ap.add_argument("--n-pool", type=int, default=20_000)
    ap.add_argument("--targets", type=int, nargs="*", default=[500, 2000, 8000])
    ap.add_argument("--out", default=os.path.join(HERE, "results", "mode_speed.json"))
    args = ap.parse_args()
    warnings.filterwarnings("ignore", message="the .* estimate was lowest")  # a fixed budget is the point here
    rows = []
    for n in args.targets:
        pool, target, _ = make_problem(n_pool=args.n_pool, n_target=n, d=64, n_clusters=64, seed=0)
        line = [f"n={n:>5}:"]
        for name, params in MODES.items():
            sel = GIOSelector(n_select=args.picks, random_state=0, **params).fit(pool, target=target)
            ms = 1e3 * sel.fit_seconds_ / args.picks
            rows.append(dict(n_target=n, mode=name, ms_per_pick=ms, selection_kl=sel.selection_kl_))
            line.append(f"{name} {ms:.2f}")
        print(" | ".join(line), flush=True)
    write_json(dict(n_pool=args.n_pool, d=64, picks=args.picks, rows=rows), args.out)


if __name__ == "__main__":
    main()
