"""A checkpoint is input: a damaged or edited file ends in a ValueError that names it, never in a
crash, a hang or a selection with rows that are not the pool's (issue 13)."""

import json

import numpy as np
import pytest

from gioselect import GIOSelector, checkpoint


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    return rng.normal(size=(400, 4)), rng.normal(0.5, 1, (60, 4))


def write(path, fields, seal=True):
    """fields to path; seal: with checksums of the new values, as another writer (or a forger) would,
    so that the checks behind the checksums are reached."""
    if seal and str(fields["header"]).startswith('{"'):  # a header that is still JSON
        header = json.loads(str(fields["header"]))
        header["checksums"] = checkpoint.checksums(header, {k: v for k, v in fields.items() if k != "header"})
        fields = dict(fields, header=np.array(json.dumps(header)))
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
    "huge n_iter": header_change(n_iter=2**31 - 1),  # the resumed run would draw 2**31 jump rows first
    "increases beyond a C int": header_change(increases=2**40),
    "n_resets beyond a C int": header_change(n_resets=2**40),
    "no run_seed": lambda f: _drop_header_key(f, "run_seed"),
    "header not JSON": lambda f: f.__setitem__("header", np.array("{")),
    "unknown parameter": header_change(params={"zz": 1}),
    "init of float16": lambda f: f.__setitem__("init", f["init"].astype(np.float16)),
    "scale_factor of inf": header_change(scale_factor=float("inf")),
    "kl_prev beyond a double": header_change(kl_prev=10**400),
    "selected as huge uint64": array_change("selected", np.array([2**64 - 1], dtype=np.uint64)),
}


def _drop_header_key(fields, key):
    header = json.loads(str(fields["header"]))
    del header[key]
    fields["header"] = np.array(json.dumps(header))


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


@pytest.mark.parametrize("damage", ["negative row", "huge rng_draws", "v of NaN"])
def test_a_checkpoint_changed_after_it_was_written_is_refused_naming_the_field(problem, tmp_path, damage):
    pool, target = problem
    path = tmp_path / "run.npz"
    GIOSelector(max_iter=30, random_state=0, checkpoint=str(path)).fit(pool, target=target)
    fields = load(path)
    DAMAGE[damage](fields)
    write(path, fields, seal=False)
    field = {"negative row": "selected", "huge rng_draws": "rng_draws", "v of NaN": "v"}[damage]
    with pytest.raises(ValueError, match=f"{path}.*: {field} differs from its checksum"):
        GIOSelector.resume(str(path), pool, target=target)


def test_a_consistent_change_is_refused_too(problem, tmp_path):
    """Values a run could have reached, but not this run's: without checksums, another selection."""
    pool, target = problem
    path = tmp_path / "run.npz"
    sel = GIOSelector(max_iter=30, random_state=0, checkpoint=str(path), checkpoint_every=5,
                      callback=lambda info: info["n_selected"] >= 10).fit(pool, target=target)
    assert sel.stop_reason_ == "callback"
    fields = load(path)
    header_change(stop_reason=None, run_seed=1)(fields)
    write(path, fields, seal=False)
    with pytest.raises(ValueError, match="run_seed differs from its checksum"):
        GIOSelector.resume(str(path), pool, target=target)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"not a zip at all"])
def test_a_truncated_or_foreign_file_is_refused(problem, tmp_path, content):
    pool, target = problem
    path = tmp_path / "run.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="is not a gioselect checkpoint"):
        GIOSelector.resume(str(path), pool, target=target)


def test_a_link_planted_where_the_temporary_file_goes_is_not_followed(problem, tmp_path):
    pool, target = problem
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path = tmp_path / "run.ckpt"
    (tmp_path / "run.ckpt.tmp").symlink_to(victim)
    GIOSelector(max_iter=20, random_state=0, checkpoint=str(path)).fit(pool, target=target)
    assert victim.read_text() == "keep me"
    assert GIOSelector.resume(str(path), pool, target=target).stop_reason_


@pytest.mark.parametrize("param, value", [("checkpoint_every", 0), ("k", 2**40), ("grad_desc_iter", 2**31),
                                          ("max_iter", 2**70), ("uniform_start_size", 3 * 10**9),
                                          ("random_state", -5)])
def test_out_of_range_parameters_are_refused_by_name(problem, param, value):
    pool, target = problem
    with pytest.raises(ValueError, match=param):
        GIOSelector(**{param: value}).fit(pool, target=target)


@pytest.mark.parametrize("kwargs", [dict(k=2.7), dict(max_iter=-1)])
def test_compat_refuses_what_the_reference_silently_bends(problem, kwargs):
    from gioselect.compat import GIOKL

    pool, target = problem
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        GIOKL(dim=4).fit(pool, target, **kwargs)
