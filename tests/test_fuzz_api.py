"""Fuzzed public API (issue 13): GIOSelector, GIOSampler, knn_kl and `gioselect select` with random
shapes (0 rows or columns, 1 row), dtypes (int, bool, float16/32/64, object, complex, text), scales
and parameter values (negative, zero, huge, floats for integers, strings). Every call ends in a
result that passes the checks below or in a ValueError/TypeError/MemoryError whose message names
a parameter or an input that was unusual; never a crash, a hang or another exception.

Calls run in a child process (tests/fuzz_worker.py), so that a crash of the core is a failed
example rather than a lost test run.
"""

import numpy as np
import pytest
from fuzz_worker import Worker
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gioselect import GIOSelector, _engine

ALLOWED = ("ValueError", "TypeError", "MemoryError")
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
STOP_REASONS = set(_engine.STOP_CRITERIA) | {"n_select", "n_select_rows", "max_iter", "data_size", "pool exhausted",
                                             "min_kl", "callback"}


@pytest.fixture(scope="module")
def worker():
    w = Worker(timeout=120)
    yield w
    w.close()


# -- inputs ---------------------------------------------------------------------------------
# Data whose squared distances overflow a double (1e300) are issue 13's finding 2 (refuse what
# cannot be represented), which the scale work owns; they are left out here.
SCALES = [1e-300, 1e-30, 1e-12, 1e-6, 1.0, 1e6, 1e12, 1e30]
KINDS = ["float64", "float32", "float16", "int64", "int8", "uint8", "bool", "object numbers", "object text",
         "complex128", "text", "list", "data frame", "1-D", "3-D", "NaN", "inf", "constant"]


@st.composite
def matrices(draw, rows, cols, usual_weight=3):
    """(the input, whether it is unusual): float rows of some scale, or another kind of input."""
    kind = draw(st.sampled_from(["float64"] * usual_weight + KINDS))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from(SCALES)) if draw(st.integers(0, 3)) == 0 else 1.0
    offset = draw(st.sampled_from([0.0, 1e8, -1e3])) if draw(st.integers(0, 5)) == 0 else 0.0
    x = rng.normal(size=(rows, cols)) * scale + offset
    unusual = scale != 1.0 or offset != 0.0 or rows <= 6 or cols == 0 or kind not in ("float64", "float32", "list",
                                                                                     "data frame")
    if kind in ("float32", "float16"):
        with np.errstate(over="ignore"):
            return x.astype(kind), True if kind == "float16" else unusual
    if kind in ("int64", "int8", "uint8"):
        with np.errstate(invalid="ignore", over="ignore"):
            return (x * 10).clip(-100, 100).astype(kind), True
    if kind == "bool":
        return x > 0, True
    if kind == "object numbers":
        return x.astype(object), True
    if kind == "object text":
        a = x.astype(object)
        if a.size:
            a.flat[draw(st.integers(0, a.size - 1))] = draw(st.sampled_from(["a", "", None, "1.5", [1]]))
        return a, True
    if kind == "complex128":
        return x + 1j, True
    if kind == "text":
        return x.astype(str), True
    if kind == "list":
        return x.tolist(), unusual
    if kind == "data frame":
        import pandas as pd

        return pd.DataFrame(x, columns=[f"f{j}" for j in range(cols)]), unusual
    if kind == "1-D":
        return x.ravel(), True
    if kind == "3-D":
        return x[None], True
    if kind in ("NaN", "inf"):
        if x.size:
            x.flat[draw(st.integers(0, x.size - 1))] = np.nan if kind == "NaN" else -np.inf
        return x, True
    if kind == "constant":
        return np.ones_like(x), True
    return x, unusual


# -- parameters -----------------------------------------------------------------------------
BAD = [-1, 0, 2**31, 2**63, 2**70, -2**70, 1.5, 2.0, float("nan"), float("inf"), -float("inf"), "abc", "", None, True,
       [], [1, 2], {}, np.int64(3), np.float32(0.5)]
GOOD = {
    "objective": st.sampled_from(_engine.OBJECTIVES), "search": st.sampled_from(("auto",) + _engine.SEARCHES),
    "batch_size": st.integers(1, 4), "k": st.integers(1, 6), "max_iter": st.integers(0, 20),
    "n_select": st.one_of(st.none(), st.integers(0, 20)), "stop_criterion": st.sampled_from(_engine.STOP_CRITERIA),
    "min_difference": st.floats(-1, 1), "min_kl": st.floats(-5, 5), "max_data_size": st.floats(0, 1),
    "max_sequential_increases": st.integers(1, 5), "resets_allowed": st.booleans(), "max_resets": st.integers(0, 3),
    "v_init": st.sampled_from(("auto",) + _engine.V_INITS), "grad_desc_iter": st.integers(0, 20),
    "lr": st.floats(0, 1), "scale_factor": st.one_of(st.just("auto"), st.floats(1e-3, 1e3)),
    "random_restart_prob": st.floats(0, 1), "discard_nearest_for_xy": st.booleans(),
    "uniform_start_size": st.integers(1, 30), "uniform_low": st.one_of(st.none(), st.floats(-3, 0)),
    "uniform_high": st.one_of(st.none(), st.floats(0, 3)), "normalize": st.booleans(),
    "random_init_pct": st.floats(0, 1), "n_candidates": st.integers(1, 4),
    "projection": st.sampled_from(_engine.PROJECTIONS), "exact_below": st.integers(0, 50), "hnsw_m": st.integers(2, 8),
    "ef_construction": st.integers(1, 50), "ef_search": st.integers(1, 50),
    "random_state": st.one_of(st.none(), st.integers(0, 2**32)), "n_jobs": st.sampled_from([None, 1, 2, -1]),
    "checkpoint_every": st.integers(1, 10), "quantize": st.one_of(st.none(), st.integers(1, 12)),
    "quantize_target": st.one_of(st.none(), st.integers(1, 12)),
    "max_rows_per_cluster": st.one_of(st.none(), st.integers(1, 5)),
    "n_select_rows": st.one_of(st.none(), st.integers(1, 30)),
}
BASE = dict(max_iter=12, random_state=0, n_jobs=1)  # short runs, unless a value is drawn


@st.composite
def parameters(draw):
    """(GIOSelector parameters, the names drawn): a few drawn among every parameter, usual or bad."""
    names = draw(st.lists(st.sampled_from(sorted(GOOD)), max_size=4, unique=True))
    params = dict(BASE)
    for name in names:
        params[name] = draw(st.sampled_from(BAD) if draw(st.integers(0, 4)) == 0 else GOOD[name])
    return params, set(names)


def _names_one_of(message, names):
    return any(name in message for name in names)


def _check_selection(s, params, n_pool):
    """A fitted selector's attributes agree with each other and with the parameters."""
    idx, trace = s["selected_indices_"], s["objective_trace_"]
    assert idx.dtype == np.int64 and idx.ndim == 1
    assert np.all((idx >= 0) & (idx < n_pool)), idx
    if not params.get("resets_allowed") and not (params.get("stop_criterion") == "max_resets"
                                                 and params.get("n_select") is None):  # refills the pool
        assert len(np.unique(idx)) == len(idx), idx
    assert s["support_"].dtype == bool and s["support_"].sum() == len(np.unique(idx))
    assert np.isfinite(trace).all() and np.isfinite(s["objective_start_"]), (trace, s["objective_start_"])
    assert s["stop_reason_"] in STOP_REASONS, s["stop_reason_"]
    picks = idx if params.get("quantize") is None else s["selected_clusters_"]
    if params.get("n_select_rows") is None:
        assert len(picks) == len(trace)
    else:
        assert len(idx) <= params["n_select_rows"] and len(trace) == len(picks)
    if params.get("n_select") is not None:
        assert len(picks) <= params["n_select"]
        assert (len(picks) == params["n_select"]) == (s["stop_reason_"] == "n_select"), (len(picks), s["stop_reason_"])
    elif params.get("n_select_rows") is None:
        assert len(picks) <= params["max_iter"]
    if params.get("quantize") is not None:  # the picked clusters' rows, cluster by cluster in pick order
        groups = s["cluster_labels_"][idx]
        order = groups[np.r_[True, groups[1:] != groups[:-1]]] if len(groups) else groups
        first_picks = picks[np.sort(np.unique(picks, return_index=True)[1])]
        np.testing.assert_array_equal(order, first_picks[:len(order)])
        if params.get("max_rows_per_cluster") is not None:
            assert np.bincount(groups).max(initial=0) <= params["max_rows_per_cluster"]


@settings(FUZZ, max_examples=1000)
@given(data=st.data())
def test_fit_ends_in_a_possible_selection_or_an_error_naming_what_was_wrong(worker, data):
    wild = data.draw(st.integers(0, 9), label="wild") < 4  # else shapes and kinds that can succeed
    cols = data.draw(st.sampled_from([0, 1, 2, 3, 5] if wild else [1, 2, 3, 5]), label="cols")
    n_pool = data.draw(st.sampled_from([0, 1, 2, 5, 12, 40] if wild else [12, 40]), label="pool rows")
    weight = 3 if wild else 30
    pool, odd_pool = data.draw(matrices(n_pool, cols, weight), label="pool")
    inputs = {"X": pool}
    names = {"X"} if odd_pool else set()
    if data.draw(st.booleans(), label="with target"):
        t_cols = cols if data.draw(st.integers(0, 5)) or not wild else data.draw(st.sampled_from([1, 2, 4]))
        t_rows = data.draw(st.sampled_from([0, 1, 3, 6, 20] if wild else [20]))
        target, odd = data.draw(matrices(t_rows, t_cols, weight), label="target")
        inputs["target"] = target
        names |= {"target"} if odd or t_cols != cols else set()
    elif n_pool <= 6:
        names.add("target")  # the default target, the pool, may have too few rows for k
    if data.draw(st.integers(0, 4)) == 0:
        init, _ = data.draw(matrices(data.draw(st.sampled_from([0, 1, 3])), cols, weight), label="init")
        inputs["init"] = init
        names.add("init")
    params, drawn = data.draw(parameters(), label="parameters")
    names |= drawn
    cls = data.draw(st.sampled_from(["GIOSelector", "GIOSampler"]), label="class")
    outcome = worker.call("fit", cls=cls, params=params, **inputs)
    event(outcome[0] if outcome[0] == "ok" else f"{outcome[1]}: {outcome[2][:40]}")
    if outcome[0] == "ok":
        _check_selection(outcome[1], params, n_pool)
        return
    _, kind, message = outcome
    assert kind in ALLOWED, (kind, message)
    if "X" in names:  # the pool is also the default target, and the core calls it the pool
        names |= {"pool", "target"}
    assert _names_one_of(message, names), (message, names)


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_knn_kl_is_a_finite_estimate_independent_of_row_order_or_an_error_naming_what_was_wrong(worker, data):
    cols = data.draw(st.sampled_from([1, 3, 0]), label="cols")
    X, odd_x = data.draw(matrices(data.draw(st.sampled_from([30, 12, 4, 1, 0])), cols, 20), label="X")
    W, odd_w = data.draw(matrices(data.draw(st.sampled_from([30, 12, 4, 1, 0])), cols, 20), label="W")
    k = data.draw(st.integers(1, 6) if data.draw(st.integers(0, 3)) < 3 else st.sampled_from(BAD), label="k")
    names = {"k"} | ({"X"} if odd_x else set()) | ({"W"} if odd_w else set())
    outcome = worker.call("knn_kl", X=X, W=W, k=k, n_jobs=1)
    event(outcome[0] if outcome[0] == "ok" else f"{outcome[1]}: {outcome[2][:40]}")
    if outcome[0] == "raised":
        assert outcome[1] in ALLOWED and _names_one_of(outcome[2], names), outcome
        return
    value = outcome[1]
    assert isinstance(value, float) and np.isfinite(value), value
    # Row order must not matter. Not checked for offsets and extreme scales yet: there, cancellation
    # in the distance expansion is issue 13's finding 2 (the scale work), e.g. X + 1e8 gives 2.54 or 1.29.
    if isinstance(W, np.ndarray) and isinstance(X, np.ndarray) and not (odd_x or odd_w):
        reordered = worker.call("knn_kl", X=X[::-1], W=W[::-1], k=k, n_jobs=1)
        assert reordered[0] == "ok" and abs(reordered[1] - value) <= 1e-9 * (1 + abs(value)), (value, reordered)


# -- the command line -----------------------------------------------------------------------
def _write(path, a) -> int:
    """a into path in the format its suffix names (what users hand to `gioselect select`); returns
    the number of rows the file holds."""
    if path.suffix == ".npy":
        np.save(path, a, allow_pickle=False)
    elif path.suffix == ".npz":
        np.savez(path, a=a)
    elif path.suffix in (".csv", ".tsv"):
        import pandas as pd

        a = a.reshape(a.shape[0], int(np.prod(a.shape[1:]))) if a.ndim >= 2 else a.reshape(-1, 1)
        pd.DataFrame(a).to_csv(path, sep="," if path.suffix == ".csv" else "\t", index=False)
    else:
        path.write_bytes(np.asarray(a).tobytes())
    return a.shape[0] if a.ndim else 0


OPTIONS = {"--k": st.integers(1, 6), "--max-iter": st.integers(0, 20), "--n-select": st.integers(0, 20),
           "--objective": st.sampled_from(_engine.OBJECTIVES), "--search": st.sampled_from(_engine.SEARCHES),
           "--lr": st.floats(0, 1), "--quantize": st.integers(1, 10), "--n-select-rows": st.integers(1, 20),
           "--uniform-low": st.floats(-3, 0), "--scale-factor": st.floats(0.01, 10), "--n-jobs": st.integers(1, 2),
           "--stop-criterion": st.sampled_from(_engine.STOP_CRITERIA), "--batch-size": st.integers(1, 3),
           "--index-col": st.sampled_from(["auto", "none", "0"]), "--columns": st.just("0,1"), "--key": st.just("a")}
TEXT = ["-1", "0", "1.5", "1e300", str(2**70), "nan", "inf", "abc", "", "-5"]


@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_the_command_line_selects_or_exits_2_with_one_line(worker, tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("cli")
    cols = data.draw(st.sampled_from([1, 2, 3]), label="cols")
    argv = ["select", "-o", str(folder / "out"), "-q", "--random-state", "0", "--max-iter", "8",
            "--grad-desc-iter", "8", "--n-jobs", "1"]
    rows = {}
    for role in ("pool", "target"):
        if role == "target" and data.draw(st.booleans()):
            continue
        n = data.draw(st.sampled_from([0, 1, 6, 30, 30, 30]), label=f"{role} rows")
        a, _ = data.draw(matrices(n, cols, 12), label=role)
        if not isinstance(a, np.ndarray) or a.dtype == object:
            a = np.asarray(a, dtype=np.float64) if not isinstance(a, np.ndarray) or a.dtype != object else np.zeros(
                (n, cols))
        path = folder / f"{role}{data.draw(st.sampled_from(['.npy', '.npz', '.csv', '.tsv', '.bin']), label='suffix')}"
        rows[role] = _write(path, a)
        argv += [f"--{role}", str(path)]
    for flag in data.draw(st.lists(st.sampled_from(sorted(OPTIONS)), max_size=3, unique=True), label="options"):
        value = data.draw(OPTIONS[flag].map(str) if data.draw(st.integers(0, 3)) < 3 else st.sampled_from(TEXT))
        argv += [flag, value]
    outcome = worker.call("cli", argv=argv)
    assert outcome[0] == "ok", outcome  # main returned or exited; no exception escaped it
    status, err = outcome[1]
    lines = err.strip().splitlines()
    event(f"exit {status}")
    if status == 0:
        idx = np.load(folder / "out" / "selected_indices.npy")
        assert idx.dtype == np.int64 and np.all((idx >= 0) & (idx < rows["pool"])), idx
        assert [int(t) for t in (folder / "out" / "selected_indices.txt").read_text().split()] == idx.tolist()
        return
    assert status == 2, (status, err)
    assert "Traceback" not in err, err
    assert lines and lines[-1].startswith(("gioselect: error: ", "gioselect select: error: ")), lines
    assert sum("error:" in line for line in lines) == 1, lines
