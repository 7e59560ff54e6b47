"""estimate_memory against the peak RSS a fit really adds, and the refusal of a fit that cannot fit."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gioselect import GIOSelector, estimate_memory, memory

MEASURE = textwrap.dedent("""
    import json, sys, numpy as np
    from gioselect import GIOSelector, estimate_memory
    m, n, d, params = json.loads(sys.argv[1])
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, (50, d)).astype(np.float32)
    pool = centres[rng.integers(0, 50, m)] + rng.normal(size=(m, d)).astype(np.float32)
    target = centres[rng.integers(0, 25, n)] + rng.normal(size=(n, d)).astype(np.float32)
    GIOSelector(max_iter=2).fit(pool[:1000], target=target[:100])  # threads and imports are not the fit's

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024

    open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) restarts from the current RSS
    before = status("VmHWM")
    GIOSelector(random_state=0, **params).fit(pool, target=target)
    print(json.dumps([status("VmHWM") - before, estimate_memory(m, n, d, **params)]))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the peak RSS from /proc")
@pytest.mark.parametrize("m, n, d, params", [
    (200_000, 2_000, 64, dict(projection="hnsw", max_iter=50)),   # the HNSW graph dominates
    (1_000_000, 2_000, 32, dict(quantize=200, n_select=20)),        # quantization and explosion dominate
])
def test_estimate_is_within_a_quarter_of_the_measured_peak(m, n, d, params):
    out = subprocess.run([sys.executable, "-c", MEASURE, json.dumps([m, n, d, params])], capture_output=True,
                         text=True, check=True)
    measured, estimated = json.loads(out.stdout.strip().splitlines()[-1])
    assert abs(estimated - measured) <= 0.25 * measured, (measured / 2**20, estimated / 2**20)


def test_estimate_grows_with_what_costs_memory():
    base = estimate_memory(1_000_000, 10_000, 384)
    assert estimate_memory(1_000_000, 10_000, 384, quantize=1500) < base          # GIO on centres
    assert (estimate_memory(1_000_000, 10_000, 384, quantize=1500, dtype="float64") >
            estimate_memory(1_000_000, 10_000, 384, quantize=1500))                 # the K-means sample
    assert estimate_memory(1_000_000, 10_000, 384, projection="exact") < base      # no HNSW graph
    with pytest.raises(TypeError, match="unknown GIOSelector parameter"):
        estimate_memory(10, 10, 2, n_clusters=3)
    with pytest.raises(ValueError, match="n_pool must be >= 1"):
        estimate_memory(0, 10, 2)


def test_a_fit_that_would_not_fit_is_refused_with_the_numbers(monkeypatch, blobs):
    pool, target = blobs
    monkeypatch.setattr(memory, "available_memory", lambda: 1000)
    with pytest.raises(MemoryError, match=r"needs about .* GiB beyond its inputs \(pool 800 x 8, target 150 rows, "
                                          r"float32\) but 0.00 GiB are available; options that need less: quantize"):
        GIOSelector().fit(pool, target=target)
    monkeypatch.setattr(memory, "available_memory", lambda: 2**40)
    assert len(GIOSelector(max_iter=5).fit(pool, target=target).selected_indices_) > 0


UNDER_A_LIMIT = """
import resource, numpy as np
from gioselect import GIOSelector, estimate_memory, memory
pool = np.random.default_rng(0).normal(size=(200_000, 64)).astype(np.float32)
target = pool[:2000]
with open("/proc/self/status") as f:
    size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
need = estimate_memory(200_000, 2000, 64, projection="hnsw")
resource.setrlimit(resource.RLIMIT_AS, (size + need // 2, resource.RLIM_INFINITY))  # room for half of it
assert memory.available_memory() < need
try:
    GIOSelector(projection="hnsw", n_select=10).fit(pool, target=target)
except MemoryError as e:
    print("refused:", e)
"""


def test_an_address_space_limit_is_respected():
    out = subprocess.run([sys.executable, "-c", UNDER_A_LIMIT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "refused: this fit needs about" in out.stdout and "are available" in out.stdout, out.stdout


def test_more_threads_than_cores_are_capped_and_said(caplog):
    import os

    from gioselect._validation import resolve_n_jobs

    cores = len(os.sched_getaffinity(0))
    with caplog.at_level("WARNING", logger="gioselect"):
        assert resolve_n_jobs(1000) == cores
    assert f"using {cores}" in caplog.text
