"""Speed of one GIO run: gioselect vs the float64 numpy transcription vs grad-info-opt 0.1.2.

Problem (bench/data.py, seed 0): pool 2,000 x 64 and target 500 x 64 float32 Gaussian clusters,
20 unit-norm uniform start rows passed as D, v_init='mean', 50 descent steps (150 on the first
pick), stop_criterion='data_size' with max_iter=99, i.e. exactly 100 picks.

    python -m pytest bench/test_speed.py --benchmark-columns=min,median,max,rounds

Every ratio is taken against gioselect timed in the same process (best of 10 whole fits), and is
stored in the benchmark's extra_info (see --benchmark-json) and printed in the summary.
grad-info-opt is timed only when `import GIO` works (it needs jax); otherwise run
bench/reference_speed.py with the reference's environment.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import numpy_gio
from data import make_problem
from gioselect.compat import GIOKL

PICKS = 100
FIT = dict(k=5, stop_criterion="data_size", v_init="mean", grad_desc_iter=50, lr=0.01)


@pytest.fixture(scope="module")
def problem():
    return make_problem()


def run_gioselect(pool, target, init, dtype=np.float32, n_jobs=None):
    gio = GIOKL(dim=pool.shape[1])
    W, kl, _ = gio.fit(pool.astype(dtype), target.astype(dtype), D=init.astype(dtype), max_iter=PICKS - 1,
                       n_jobs=n_jobs, **FIT)
    return gio.selected_indices_.tolist(), kl


def timed(fn, *args, **kwargs):
    """fn wrapped to record the duration of every call in .seconds (works with --benchmark-disable)."""
    def wrapper():
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        wrapper.seconds.append(time.perf_counter() - t0)
        return out
    wrapper.seconds = []
    return wrapper


@pytest.fixture(scope="module")
def gioselect_seconds(problem):
    """Best of 10 whole 100-pick gioselect fits (float32, default threads): the ratios' denominator."""
    run = timed(run_gioselect, *problem)
    for _ in range(10):
        selected, _ = run()
    assert len(selected) == PICKS
    return min(run.seconds)


@pytest.mark.parametrize("dtype,n_jobs", [(np.float32, None), (np.float32, 1), (np.float64, None)],
                         ids=["float32", "float32-1thread", "float64"])
def test_gioselect(benchmark, problem, dtype, n_jobs, report):
    run = timed(run_gioselect, *problem, dtype=dtype, n_jobs=n_jobs)
    selected, kl = benchmark.pedantic(run, rounds=10, warmup_rounds=1)
    assert len(selected) == PICKS and len(set(selected)) == PICKS
    per_pick = min(run.seconds) / PICKS
    benchmark.extra_info.update(picks=PICKS, seconds_per_pick=per_pick, kl_last=kl[-1])
    report(f"gioselect {benchmark.name.split('[')[-1].rstrip(']')}: {per_pick * 1e3:.3f} ms/pick")


def test_numpy_transcription(benchmark, problem, gioselect_seconds, report):
    run = timed(numpy_gio.fit, *problem, max_iter=PICKS - 1, stop_on_increase=False)
    selected, kl = benchmark.pedantic(run, rounds=5)
    assert len(selected) == PICKS
    gio_selected, gio_kl = run_gioselect(*problem)
    overlap = len(set(selected) & set(gio_selected))
    same_prefix = next((i for i, (a, b) in enumerate(zip(selected, gio_selected)) if a != b), PICKS)
    ratio = min(run.seconds) / gioselect_seconds
    benchmark.extra_info.update(picks=PICKS, seconds_per_pick=min(run.seconds) / PICKS,
                                gioselect_seconds_per_pick=gioselect_seconds / PICKS,
                                numpy_over_gioselect=ratio, overlap_with_gioselect=overlap,
                                same_order_prefix=same_prefix, kl_last=kl[-1], gioselect_kl_last=gio_kl[-1])
    report(f"numpy float64: {min(run.seconds) / PICKS * 1e3:.3f} ms/pick; numpy/gioselect = {ratio:.1f}x; "
           f"same rows {overlap}/{PICKS}, same order for the first {same_prefix}; "
           f"final KL {kl[-1]:.6f} vs gioselect {gio_kl[-1]:.6f}")
    print(f"selection overlap numpy vs gioselect: {overlap}/{PICKS} rows (same order for {same_prefix})")
    assert overlap >= 0.9 * PICKS


def test_reference(benchmark, gioselect_seconds, report):
    """grad-info-opt itself, when importable: seconds per pick over GIO_BENCH_REFERENCE_PICKS picks."""
    pytest.importorskip("GIO", reason="grad-info-opt not installed here; use bench/reference_speed.py")
    from reference_speed import time_reference

    picks = int(os.environ.get("GIO_BENCH_REFERENCE_PICKS", "5"))
    ref = benchmark.pedantic(time_reference, args=(picks,), rounds=1)
    ratio = ref["seconds_per_pick"] / (gioselect_seconds / PICKS)
    benchmark.extra_info.update(ref, reference_over_gioselect=ratio)
    report(f"grad-info-opt: {ref['seconds_per_pick']:.3f} s/pick; reference/gioselect = {ratio:.0f}x")
