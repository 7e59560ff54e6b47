"""A checkpoint is input: a damaged or edited file ends in a ValueError that names it, never in a
crash, a hang or a selection with rows that are not the pool's (issue 13)."""

import json

import numpy as np
import pytest

from gioselect import GIOSelector


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    return rng.normal(size=(400, 4)), rng.normal(0.5, 1, (60, 4))


def write(path, fields):
    np.savez(path, **fields)


def load(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def header_change(**change):
    def apply(f):
        header = json.loads(str(f["header"]))
        header.update(change)
        f["header"] = np.array(json.dumps(header))
    return apply


def array_change(name, value):
    def apply(f):
        f[name] = np.asarray(value)
    return apply


DAMAGE = {
    "negative row": array_change("selected", [-5, 1, 2]),
    "huge row": array_change("selected", [-2**40, 1, 2]),
    "row beyond the pool": array_change("selected", [10**6]),
    "a row twice": array_change("selected", [3, 3]),
    "trace of another length": array_change("kl_trace", [0.1]),
    "jump row beyond the target": array_change("jump_rows", np.array([10**9], dtype=np.uint64)),
    "negative jump row": array_change("jump_rows", np.array([-1])),
    "huge rng_draws": header_change(rng_draws=2**62 - 1),
    "rng_draws beyond 2**62": header_change(rng_draws=2**70),
    "negative n_iter": header_change(n_iter=-3),
    "n_iter a string": header_change(n_iter="12"),
    "v of NaN": array_change("v", [np.nan] * 4),
    "selected as floats": array_change("selected", [0.5]),
}


@pytest.mark.parametrize("finished", [False, True], ids=["under way", "finished"])
@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_a_tampered_checkpoint_is_refused(problem, tmp_path, damage, finished):
    pool, target = problem
    path = tmp_path / "run.npz"
    sel = GIOSelector(max_iter=60 if finished else 30, n_select=None if finished else 30, random_state=0,
                      checkpoint=str(path), checkpoint_every=5, callback=None)
    sel.fit(pool, target=target)
    fields = load(path)
    if not finished:  # make it a state under way: drop the stop reason
        header_change(stop_reason=None)(fields)
    DAMAGE[damage](fields)
    write(path, fields)
    with pytest.raises(ValueError, match=str(path)):
        GIOSelector.resume(str(path), pool, target=target)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"not a zip at all"])
def test_a_truncated_or_foreign_file_is_refused(problem, tmp_path, content):
    pool, target = problem
    path = tmp_path / "run.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="is not a gioselect checkpoint"):
        GIOSelector.resume(str(path), pool, target=target)
