"""Fuzzed checkpoints (issue 13): real checkpoints of short runs, with fields changed by hypothesis
(huge and negative integers, other dtypes and shapes, NaN, rows outside the pool, lengths that
disagree, unknown and missing fields) or the file's bytes truncated and flipped. Resuming one
either selects exactly what the uninterrupted run selects or raises ValueError/TypeError/
MemoryError naming a changed field (or the file); never a crash, a hang or another selection.

Resumes run in a child process (tests/fuzz_worker.py), so that a crash of the core is a failed
example. A file whose changes were re-sealed (its checksums recomputed, as a forger or another
writer would) reaches the field checks and the core's: it must still never crash or hang, and a
selection it yields must be a possible one.
"""

import json
import shutil

import numpy as np
import pytest
from fuzz_worker import Worker
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gioselect import GIOSelector, checkpoint

ALLOWED = ("ValueError", "TypeError", "MemoryError")
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

RUNS = {  # small runs of every kind of state: descent, knn batches with jump rows, greedy, resets, quantize
    "relaxed": dict(search="descent", max_iter=30, grad_desc_iter=20),
    "knn batches": dict(objective="knn", search="descent", batch_size=3, v_init="jump", n_select=18, grad_desc_iter=20),
    "knn greedy": dict(objective="knn", search="greedy", n_select=15),
    "resets": dict(search="descent", n_select=45, resets_allowed=True, max_resets=2, grad_desc_iter=10, rows=30),
    "quantize": dict(search="descent", quantize=20, n_select=8, grad_desc_iter=20),
}


def _problem(rows):
    rng = np.random.default_rng(0)
    return rng.normal(size=(rows, 4)), rng.normal(0.5, 1, (60, 4))


def _read(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    """Per run: (pool, target, the uninterrupted run, {state: checkpoint file}): a state under way
    (the file as it was when the run had made 4 picks or more) and the finished run's file."""
    folder = tmp_path_factory.mktemp("bases")
    out = {}
    for name, params in RUNS.items():
        params = dict(params, random_state=0, n_jobs=1)
        pool, target = _problem(params.pop("rows", 300))
        full = GIOSelector(**params).fit(pool, target=target)
        path, under_way = folder / f"{name}.npz", folder / f"{name}.under-way.npz"

        def keep_a_copy(info, path=path, under_way=under_way):
            if info["n_selected"] >= 4 and not under_way.exists():  # the file holds the step before
                shutil.copyfile(path, under_way)

        GIOSelector(checkpoint=str(path), checkpoint_every=1, callback=keep_a_copy, **params).fit(pool, target=target)
        assert 0 < len(_read(under_way)["selected"]) < len(full.selected_indices_)
        out[name] = pool, target, full, {"under way": under_way, "finished": path}
    return out


@pytest.fixture(scope="module")
def worker():
    w = Worker(timeout=20)
    yield w
    w.close()


# -- values ---------------------------------------------------------------------------------
SPECIAL_INTS = [0, 1, -1, -5, 3, 59, 60, 299, 300, 2**31 - 1, 2**31, 2**32, 2**40, 2**62 - 1, 2**62, 2**63 - 1,
                2**63, 2**64 - 1, 2**64, 2**70, 10**400, -2**31, -2**40, -2**63]
SPECIAL_FLOATS = [0.0, -0.0, 0.5, 1e-300, 5e-324, 1e300, 1.7e308, float("nan"), float("inf"), float("-inf")]
ints = st.one_of(st.sampled_from(SPECIAL_INTS), st.integers(-2**70, 2**70), st.integers(-3, 400))
floats = st.one_of(st.sampled_from(SPECIAL_FLOATS), st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(st.none(), st.booleans(), ints, floats, st.text(max_size=6))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                           max_leaves=6)
DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint32", "uint64", "float16", "float32", "float64", "bool",
          "complex128", "<U3", "datetime64[s]"]

HEADER_STATE = ("n_iter", "n_resets", "i", "total", "increases", "run_of_increases", "rng_draws", "kl_start",
                "kl_prev", "scale_factor", "just_reset")
HEADER_META = ("params", "run_seed", "quant_seed", "pool", "target", "init_indices", "stop_reason", "format")
ARRAYS = ("init", "selected", "kl_trace", "reset_marks", "jump_rows", "v")


@st.composite
def arrays(draw, like=None):
    """A new array: another dtype, shape or values; or `like` with one element, or its length, changed."""
    if like is not None and like.size and draw(st.booleans()):
        a = like.copy()
        j = draw(st.integers(0, a.size - 1))
        value = draw(ints if a.dtype.kind in "iu" else floats)
        with np.errstate(all="ignore"):
            try:
                a.flat[j] = value
            except (OverflowError, ValueError):  # beyond the dtype: wrap it as a writer with a bug would
                a.flat[j] = np.array(value % 2**64, dtype=np.uint64).astype(a.dtype)
        return a
    if like is not None and draw(st.booleans()):
        shrink = draw(st.booleans())
        return like[:-1] if shrink and len(like) else np.concatenate([like, like[-1:] if len(like) else like[:0]])
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=3)))
    count = int(np.prod(shape))
    values = draw(st.lists(ints if dtype.kind in "iub" else floats, min_size=count, max_size=count))
    with np.errstate(all="ignore"):
        if dtype.kind in "USM":
            return np.array([str(v)[:3] for v in values], dtype=dtype if dtype.kind != "M" else "<U3").reshape(shape)
        return np.array([v % 2**64 if isinstance(v, int) else v for v in values], dtype=np.float64
                        if dtype.kind in "fc" else np.uint64).astype(dtype).reshape(shape)


@st.composite
def damages(draw, fields):
    """(what was changed, the field names an error may cite, a function that changes the fields)."""
    kind = draw(st.sampled_from(["header state", "header meta", "param", "unknown param", "missing header key",
                                 "unknown header key", "array", "missing array", "unknown array", "header"]))
    if kind == "header state" or kind == "header meta":
        key = draw(st.sampled_from(HEADER_STATE if kind == "header state" else HEADER_META))
        value = draw(st.one_of(json_values, ints, floats))
        return f"{key} = {value!r}", {key}, _header_edit(lambda h: h.__setitem__(key, value))
    if kind == "param":
        params = json.loads(str(fields["header"]))["params"]
        key = draw(st.sampled_from(sorted(params)))
        value = draw(json_values)
        change = _header_edit(lambda h: h["params"].__setitem__(key, value))
        return f"params[{key!r}] = {value!r}", {"params", key}, change
    if kind == "unknown param":
        key = draw(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8))
        return f"params[{key!r}] added", {"params", key}, _header_edit(lambda h: h["params"].setdefault(key, 1))
    if kind == "missing header key":
        key = draw(st.sampled_from(HEADER_STATE + HEADER_META + ("checksums",)))
        return f"header {key} removed", {key}, _header_edit(lambda h: h.pop(key, None))
    if kind == "unknown header key":
        key = draw(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8))
        value = draw(json_values)
        return f"header {key} added", {key}, _header_edit(lambda h: h.setdefault(key, value))
    if kind == "header":
        text = draw(st.one_of(st.text(max_size=20), st.just("[1, 2]"), st.just("null"), st.just("{}")))
        return f"header text {text!r}", {"header", "format"}, lambda f: f.__setitem__("header", np.array(text))
    name = draw(st.sampled_from(ARRAYS))
    if kind == "missing array":
        return f"array {name} removed", {name}, lambda f: f.pop(name, None)
    if kind == "unknown array":
        key = draw(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(lambda k: k not in fields))
        return f"array {key} added", {key}, lambda f: f.setdefault(key, np.zeros(3))
    new = draw(arrays(fields[name]))
    return f"{name} = {new.dtype} {new.shape} {new.ravel()[:6].tolist()}", {name}, lambda f: f.__setitem__(name, new)


def _header_edit(change):
    def apply(fields):
        try:
            header = json.loads(str(fields["header"]))
            change(header)
        except (ValueError, TypeError, KeyError, AttributeError):  # an earlier change replaced what it edits
            return
        fields["header"] = np.array(json.dumps(header))
    return apply


def _names_one_of(message, names):
    return any(name in message for name in names)


def _same_selection(summary, full):
    return (np.array_equal(summary["selected_indices_"], full.selected_indices_)
            and np.array_equal(summary["objective_trace_"], full.objective_trace_) and summary["stop_reason_"] == full.stop_reason_)


def _check_possible(summary, pool_rows, params):
    """A selection some run on this pool could make: rows in range, no repeats without resets."""
    idx = summary["selected_indices_"]
    assert idx.dtype.kind == "i" and np.all((idx >= 0) & (idx < pool_rows)), idx
    if not params.get("resets_allowed") and not (params.get("stop_criterion") == "max_resets"
                                                 and params.get("n_select") is None):  # refills the pool
        assert len(np.unique(idx)) == len(idx), idx
    assert summary["support_"].sum() == len(np.unique(idx))


def _seal(fields):
    """New checksums for changed fields whose header is still a JSON table (what a forger does)."""
    try:
        header = json.loads(str(fields["header"]))
    except ValueError:
        return
    if isinstance(header, dict):
        header["checksums"] = checkpoint.checksums(header, {k: v for k, v in fields.items() if k != "header"})
        fields["header"] = np.array(json.dumps(header))


@pytest.mark.parametrize("state", ["under way", "finished"])
@pytest.mark.parametrize("run", RUNS)
@settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_a_changed_checkpoint_resumes_exactly_or_is_refused_by_name(bases, worker, tmp_path, run, state, data):
    pool, target, full, files = bases[run]
    fields = _read(files[state])
    changes = data.draw(st.lists(damages(fields), min_size=1, max_size=3), label="changes")
    for _, _, apply in changes:
        apply(fields)
    sealed = data.draw(st.booleans(), label="sealed")
    if sealed:
        _seal(fields)
    path = tmp_path / "changed.npz"
    np.savez(path, **fields)
    outcome = worker.call("resume", path=str(path), X=pool, target=target)
    event(f"{'sealed' if sealed else 'as changed'}: {outcome[0] if outcome[0] == 'ok' else outcome[1]}")
    if outcome[0] == "ok":
        if sealed:  # forged values: any selection a run on this pool could make
            _check_possible(outcome[1], len(pool), json.loads(str(fields["header"]))["params"])
        else:
            assert _same_selection(outcome[1], full), [what for what, _, _ in changes]
        return
    _, kind, message = outcome
    names = set().union(*(names for _, names, _ in changes))
    assert kind in ALLOWED, (kind, message)
    assert str(path) in message and _names_one_of(message, names), (message, names)


@pytest.mark.parametrize("run", ["relaxed", "knn batches", "resets"])
@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_damaged_bytes_resume_exactly_or_are_refused_naming_the_file(bases, worker, tmp_path, run, data):
    pool, target, full, files = bases[run]
    raw = bytearray(files[data.draw(st.sampled_from(["under way", "finished"]))].read_bytes())
    how = data.draw(st.sampled_from(["truncate", "flip", "overwrite"]))
    at = data.draw(st.integers(0, len(raw) - 1))
    if how == "truncate":
        raw = raw[:at]
    elif how == "flip":
        raw[at] ^= 1 << data.draw(st.integers(0, 7))
    else:
        chunk = data.draw(st.binary(min_size=1, max_size=64))
        raw[at:at + len(chunk)] = chunk
    path = tmp_path / "damaged.npz"
    path.write_bytes(bytes(raw))
    outcome = worker.call("resume", path=str(path), X=pool, target=target)
    if outcome[0] == "ok":
        assert _same_selection(outcome[1], full), (how, at)
        return
    assert outcome[1] in ALLOWED and str(path) in outcome[2], outcome
