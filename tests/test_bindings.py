"""The extension module: generated stubs that match it, docstrings, no silent float32 rounding."""

import subprocess
import sys
from pathlib import Path

STUB = Path(__file__).resolve().parents[1] / "python" / "gioselect" / "_core.pyi"
REGENERATE = "pybind11-stubgen gioselect._core -o python"


def test_core_stub_is_what_the_extension_generates(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pybind11_stubgen", "gioselect._core", "-o", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    generated = (tmp_path / "gioselect" / "_core.pyi").read_text()
    assert generated == STUB.read_text(), f"_core.pyi is stale: regenerate it from the repository root with `{REGENERATE}`"


def test_every_binding_has_a_docstring():
    from gioselect import _core

    missing = [name for name, obj in vars(_core).items()
               if callable(obj) and not name.startswith("_") and not (obj.__doc__ or "").strip()]
    assert missing == []


def test_lists_and_float64_are_never_rounded_to_float32():
    """The float32 overloads take only float32 arrays; anything else is computed in float64."""
    import numpy as np

    from gioselect import _core

    rng = np.random.default_rng(0)
    x = 1000.0 + 0.01 * rng.normal(size=(30, 3))  # float32 holds these to ~6e-5 only
    w = 1000.0 + 0.01 * rng.normal(size=(10, 3))
    as64 = _core.relaxed_kl(x, w)
    assert _core.relaxed_kl(x.tolist(), w.tolist()) == as64
    assert _core.relaxed_kl(x.astype(np.float32), w.astype(np.float32)) != as64
    assert _core.knn_kl(x.tolist(), w.tolist()) == _core.knn_kl(x, w)
