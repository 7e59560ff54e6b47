"""Every Python block of README.md runs as written, in order, in a fresh interpreter."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
# What the blocks take for granted: a pool file on disk (the million-row example reads one).
SETUP = """
import numpy as np
np.save("pool.npy", np.random.default_rng(1).normal(size=(4000, 64)).astype(np.float32))
"""


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_every_python_block_runs(tmp_path):
    blocks = python_blocks()
    assert len(blocks) >= 4
    script = SETUP + "\n".join(f"print('--- block {i}')\n{b}" for i, b in enumerate(blocks))
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert done.stdout.count("--- block") == len(blocks)
    # the pipeline example reports what it promises: an accuracy on the target's distribution
    accuracies = [float(a) for a in re.findall(r"accuracy on the target's distribution (\d\.\d+)", done.stdout)]
    assert len(accuracies) == 2 and min(accuracies) > 0.8, done.stdout
    # the sparse example selects the target's topic
    shares = [int(a) for a in re.findall(r"(\d+)% of the picks are finance documents", done.stdout)]
    assert len(shares) == 1 and shares[0] >= 90, done.stdout
