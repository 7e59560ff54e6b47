"""Seconds per pick of grad-info-opt 0.1.2 (JAX) on the test_speed.py problem, and the ratio to gioselect.

Run with the reference's own environment (it needs jax; Spark is never started):

    /work/refenv/bin/python bench/reference_speed.py [--picks 20] [--out bench/results/reference_speed.json]

Method: GIOKL is built with object.__new__ (its __init__ starts a SparkSession) and its fit runs on
pool 2,000 x 64, target 500 x 64, 20 unit-norm start rows, v_init='mean', 50 descent steps,
stop_criterion='data_size'. After a warm-up fit(max_iter=1), it times fit(max_iter=1) and
fit(max_iter=1+picks); seconds per pick = the difference / picks (this leaves out the setup and
the 3x-long first descent). The printed "KL Divergence at iteration" lines are time-stamped too,
giving the median interval between picks as a cross-check.

Then, in the same run, it times gioselect on the same problem in a subprocess of --gioselect-python
(default: python3 on PATH; gioselect is not installed in the reference's environment), by invoking
this script with --gioselect, and writes reference/gioselect to the JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import make_problem  # noqa: E402
from results import write_json  # noqa: E402

FIT = dict(k=5, stop_criterion="data_size", v_init="mean", grad_desc_iter=50, lr=0.01)


class _PickClock:
    """stdout stand-in that time-stamps the reference's per-pick progress lines."""

    def __init__(self):
        self.stamps = []

    def write(self, s):
        if "KL Divergence at iteration" in s:
            self.stamps.append(time.perf_counter())
        return len(s)

    def flush(self):
        pass


def _pool_rows(pool, rows):
    d = ((rows[:, None, :] - pool[None, :, :]) ** 2).sum(-1)
    return [int(i) for i in d.argmin(1)]


def time_reference(picks):
    import jax
    import jax.numpy as jnp
    from GIO.GIOKL import GIOKL

    obj = object.__new__(GIOKL)
    obj.uniform_low, obj.uniform_high, obj.uniform_start_size, obj.dim = -1, 1, 20, 64
    obj.random_init = False
    pool, target, init = make_problem()
    P, X, D = jnp.asarray(pool), jnp.asarray(target), jnp.asarray(init, dtype=jnp.float32)

    def run(max_iter):
        clock = _PickClock()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(clock):
            W, kl, _ = obj.fit(P, X, D=D, max_iter=max_iter, **FIT)
            jax.block_until_ready(W)
        return time.perf_counter() - t0, clock.stamps, np.asarray(W)[len(init):], kl

    run(1)  # warm-up
    t_short, _, _, _ = run(1)
    t_long, stamps, picked, kl = run(1 + picks)
    gaps = np.diff(stamps)[1:]  # between pick 2 and the end: ordinary 50-step descents
    return {
        "jax_version": jax.__version__,
        "picks_timed": picks,
        "fit_seconds_max_iter_1": t_short,
        f"fit_seconds_max_iter_{1 + picks}": t_long,
        "seconds_per_pick": (t_long - t_short) / picks,
        "median_seconds_between_picks": float(np.median(gaps)),
        "n_kept": len(picked),
        "selected": _pool_rows(pool, picked),
        "kl_last": float(kl[-1]),
    }


def time_gioselect(repeats=5, picks=100):
    """Best of `repeats` whole fits of `picks` picks, divided by `picks` (setup included)."""
    from gioselect.compat import GIOKL

    pool, target, init = make_problem()
    init = init.astype(np.float32)
    best = np.inf
    for _ in range(repeats):
        gio = GIOKL(dim=64)
        t0 = time.perf_counter()
        W, _, _ = gio.fit(pool, target, D=init, max_iter=picks - 1, **FIT)
        best = min(best, time.perf_counter() - t0)
    assert len(W) == len(init) + picks, len(W)
    return {"seconds_per_pick": best / picks, "picks": picks, "selected": gio.selected_indices_.tolist()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--picks", type=int, default=20)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "reference_speed.json"))
    ap.add_argument("--gioselect-python", default="python3")
    ap.add_argument("--gioselect", action="store_true", help="time gioselect only; print JSON")
    args = ap.parse_args()
    if args.gioselect:
        print(json.dumps(time_gioselect()))
        return

    ref = time_reference(args.picks)
    print(f"grad-info-opt: {ref['seconds_per_pick']:.3f} s/pick "
          f"(median gap {ref['median_seconds_between_picks']:.3f} s)")
    from numpy_gio import fit as numpy_fit

    pool, target, init = make_problem()
    spec, _ = numpy_fit(pool, target, init, max_iter=ref["n_kept"] - 1, stop_on_increase=False)
    ref["overlap_with_numpy_transcription"] = len(set(spec) & set(ref["selected"]))
    print(f"overlap with the numpy transcription: {ref['overlap_with_numpy_transcription']}/{ref['n_kept']} rows")

    out = {"problem": "pool 2000x64, target 500x64, 20 start rows, seed 0 (bench/data.py)", "reference": ref}
    try:
        cmd = [args.gioselect_python, os.path.abspath(__file__), "--gioselect"]
        gio = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        out["gioselect"] = gio
        out["reference_over_gioselect"] = ref["seconds_per_pick"] / gio["seconds_per_pick"]
        first = gio["selected"][: ref["n_kept"]]
        out["overlap_reference_gioselect"] = len(set(first) & set(ref["selected"]))
        print(f"gioselect: {gio['seconds_per_pick'] * 1e3:.3f} ms/pick; reference/gioselect = "
              f"{out['reference_over_gioselect']:.0f}x; overlap {out['overlap_reference_gioselect']}/{ref['n_kept']}")
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        print(f"gioselect not timed ({e})")
    write_json(out, args.out)


if __name__ == "__main__":
    main()
