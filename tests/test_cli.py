"""`gioselect select`: every input format, the outputs, the options and every error path."""

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from gioselect import GIOSelector, cli
from gioselect.io import load_matrix

# One thread: the selection depends on the data and the seed only (the default search, 'auto', is
# spread with a target and the descent, by exact search on these small pools, without one).
PARAMS = dict(k=3, max_iter=40, n_jobs=1, random_state=0)
FLAGS = ["--k", "3", "--max-iter", "40", "--n-jobs", "1", "--random-state", "0"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    pool = np.vstack([rng.normal(0, 1, (120, 4)), rng.normal(5, 1, (120, 4))])
    target = rng.normal(0, 1, (40, 4))
    expected = GIOSelector(**PARAMS).fit(pool, target=target)
    return pool, target, expected


def run(*args):
    return cli.main(["select", *map(str, args)])


def select(tmp_path, pool_path, target_path, *extra):
    out = tmp_path / "out"
    assert run("--pool", pool_path, "--target", target_path, "-o", out, *FLAGS, *extra) == 0
    return out


def assert_one_line_error(capsys, *fragments):
    """The error is the last line of stderr (progress lines may precede it), and the only one."""
    lines = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(lines), lines
    assert lines[-1].startswith("gioselect: error: "), lines
    assert all(line.startswith("gioselect: ") for line in lines)
    assert sum(line.startswith("gioselect: error:") for line in lines) == 1, lines
    for fragment in fragments:
        assert fragment in lines[-1], lines
    return lines[-1]


# -- writers for each format ------------------------------------------------------------------
def write_npy(path, a):
    np.save(path, a)


def write_csv(path, a, sep=",", header=True):
    with open(path, "w") as f:
        if header:
            f.write(sep.join(f"f{j}" for j in range(a.shape[1])) + "\n")
        for row in a:
            f.write(sep.join(repr(float(v)) for v in row) + "\n")


def write_pandas(path, a, **to_csv):
    """As users write CSVs: pandas.DataFrame(a).to_csv(path, **to_csv), its defaults unless told."""
    pd = pytest.importorskip("pandas")
    pd.DataFrame(a).to_csv(path, **to_csv)


def write_reference_tsv(path, a):
    """grad-info-opt's format: tab-separated, no header, the third field a "[v1, v2, ...]" vector."""
    with open(path, "w") as f:
        for i, row in enumerate(a):
            f.write(f"id{i}\tsome text\t[{', '.join(repr(float(v)) for v in row)}]\n")


def write_parquet_vectors(path, a):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": [f"r{i}" for i in range(len(a))], "emb": list(a)}), path)


def write_parquet_columns(path, a):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    cols = {"name": [f"r{i}" for i in range(len(a))]} | {f"f{j}": a[:, j] for j in range(a.shape[1])}
    pq.write_table(pa.table(cols), path)


FORMATS = {
    "npy": (".npy", write_npy),
    "npz": (".npz", lambda p, a: np.savez(p, emb=a)),
    "csv_header": (".csv", write_csv),
    "csv_no_header": (".csv", lambda p, a: write_csv(p, a, header=False)),
    "tsv_numeric": (".tsv", lambda p, a: write_csv(p, a, sep="\t")),
    "tsv_reference": (".tsv", write_reference_tsv),
    "csv_pandas": (".csv", write_pandas),  # index column and a header 0..d-1
    "csv_pandas_no_index": (".csv", lambda p, a: write_pandas(p, a, index=False)),  # header 0..d-1
    "tsv_pandas": (".tsv", lambda p, a: write_pandas(p, a, sep="\t")),
    "csv_header_after_blank_lines": (".csv", lambda p, a: (write_csv(p, a), p.write_text("\n\n" + p.read_text()))),
    "parquet_vectors": (".parquet", write_parquet_vectors),
    "parquet_columns": (".parquet", write_parquet_columns),
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reads_exactly_and_selects_like_the_library(tmp_path, data, fmt):
    pool, target, expected = data
    suffix, write = FORMATS[fmt]
    paths = tmp_path / f"pool{suffix}", tmp_path / f"target{suffix}"
    write(paths[0], pool)
    write(paths[1], target)
    np.testing.assert_array_equal(load_matrix(paths[0]), pool)
    out = select(tmp_path, *paths)
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)


def test_outputs_and_report(tmp_path, data, capsys):
    pool, target, expected = data
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    out = select(tmp_path, tmp_path / "pool.npy", tmp_path / "target.npy")
    idx = np.load(out / "selected_indices.npy")
    np.testing.assert_array_equal(idx, expected.selected_indices_)
    np.testing.assert_array_equal(np.loadtxt(out / "selected_indices.txt", dtype=np.int64, ndmin=1), idx)
    report = json.loads((out / "report.json").read_text())
    assert report["parameters"] == {k: v for k, v in expected.get_params().items() if k != "callback"}
    assert report["objective"] == expected.objective
    assert report["objective_start"] == pytest.approx(expected.objective_start_)
    assert report["objective_trace"] == pytest.approx(expected.objective_trace_.tolist())
    assert report["objective_end"] == pytest.approx(expected.objective_trace_[-1])
    assert report["selection_kl"] == pytest.approx(expected.selection_kl_)
    assert report["stop_reason"] == expected.stop_reason_
    assert report["n_iter"] == expected.n_iter_ and report["n_selected"] == len(idx)
    assert report["inputs"]["pool"] == {"path": str((tmp_path / "pool.npy").resolve()), "shape": [240, 4],
                                        "dtype": "float64"}
    assert report["inputs"]["target"]["shape"] == [40, 4] and report["inputs"]["init"] is None
    assert {"load_pool_s", "load_target_s", "fit_s", "total_s"} <= set(report["timings"])
    assert set(report["versions"]) >= {"gioselect", "numpy", "python"}
    assert report["command"][:2] == ["gioselect", "select"]
    err = capsys.readouterr().err
    assert "pool:" in err and "wrote" in err  # progress on stderr


def test_init_and_default_target(tmp_path, data):
    pool, target, _ = data
    init = pool[:5] + 0.1
    for name, a in (("pool", pool), ("init", init)):
        np.save(tmp_path / f"{name}.npy", a)
    out = tmp_path / "out"
    assert run("--pool", tmp_path / "pool.npy", "--init", tmp_path / "init.npy", "-o", out, *FLAGS) == 0
    expected = GIOSelector(**PARAMS).fit(pool, init=init).selected_indices_
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected)
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"]["target"] is None and report["inputs"]["init"]["shape"] == [5, 4]


def test_estimator_options_are_parsed_and_recorded(tmp_path, data):
    pool, target, _ = data
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    extra = ["--search", "descent", "--projection", "hnsw", "--scale-factor", "0.5", "--uniform-low=-1,-1,-1,-1",
             "--uniform-high", "1", "--v-init", "mean", "--stop-criterion", "increase", "--resets-allowed",
             "--n-select", "7", "--lr", "0.02", "--grad-desc-iter", "10"]
    out = select(tmp_path, tmp_path / "pool.npy", tmp_path / "target.npy", *extra)
    params = json.loads((out / "report.json").read_text())["parameters"]
    assert params | {"search": "descent", "projection": "hnsw", "scale_factor": 0.5, "uniform_low": [-1.0] * 4, "uniform_high": 1.0,
                     "v_init": "mean", "stop_criterion": "increase", "resets_allowed": True, "n_select": 7,
                     "lr": 0.02, "grad_desc_iter": 10} == params
    assert len(np.load(out / "selected_indices.npy")) == 7


def test_search_mode_options_select_what_the_estimator_selects(tmp_path, data):
    pool, target, _ = data
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    out = select(tmp_path, tmp_path / "pool.npy", tmp_path / "target.npy", "--objective", "knn", "--search",
                 "greedy", "--n-select", "9")
    params = json.loads((out / "report.json").read_text())["parameters"]
    assert params["objective"] == "knn" and params["search"] == "greedy"
    expected = GIOSelector(**dict(PARAMS, objective="knn", search="greedy", n_select=9)).fit(pool, target=target)
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)


def select_parser():
    return cli._parser()._subparsers._group_actions[0].choices["select"]


def test_every_estimator_parameter_has_exactly_one_option_that_says_what_it_does():
    params = GIOSelector().get_params()
    parser = select_parser()
    group, = (g for g in parser._action_groups if g.title.startswith("GIOSelector parameters"))
    actions = group._group_actions
    dests = [a.dest for a in actions]
    assert sorted(dests) == sorted(set(params) - cli._NOT_OPTIONS)  # each once, none missing
    others = [a.dest for a in parser._actions if a not in actions]
    assert set(others) & set(params) == {"checkpoint"}  # the Python-only parameter's own CLI flag
    for action in actions:
        assert action.option_strings == ["--" + action.dest.replace("_", "-")] + (
            ["--no-" + action.dest.replace("_", "-")] if isinstance(params[action.dest], bool) else [])
        assert action.help.endswith(")") and f"(default: {params[action.dest]}" in action.help, action.help
        description = action.help[:action.help.index("(default:")].strip()
        assert len(description) > 5 and description.endswith("."), (action.dest, action.help)


def test_option_help_is_the_first_sentence_of_the_docstring():
    doc = """Summary.

    Parameters
    ----------
    alpha : int, default=1
        The first sentence, e.g. with ``code``
        over two lines. A second sentence.
    beta, gamma : float, default=0.5, 1.0
        Shared. More.

    Attributes
    ----------
    fitted_ : int
        Not a parameter.
    """
    assert cli.parameter_summaries(doc) == {"alpha": "The first sentence, e.g. with code over two lines.",
                                            "beta": "Shared.", "gamma": "Shared."}
    summaries = cli.parameter_summaries(GIOSelector.__doc__)
    assert summaries["lr"] == "Learning rate of the descent."
    assert summaries["hnsw_m"] == summaries["ef_search"]
    assert "fit_seconds_" not in summaries and "callback" in summaries


def test_quantize_option_selects_what_the_estimator_selects(tmp_path, data):
    pool, target, _ = data
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    out = select(tmp_path, tmp_path / "pool.npy", tmp_path / "target.npy", "--quantize", "20",
                 "--max-rows-per-cluster", "5")
    expected = GIOSelector(**PARAMS, quantize=20, max_rows_per_cluster=5).fit(pool, target=target)
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)
    params = json.loads((out / "report.json").read_text())["parameters"]
    assert params["quantize"] == 20 and params["max_rows_per_cluster"] == 5


def test_bad_option_value_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exc:
        run("--pool", "p.npy", "-o", tmp_path / "out", "--projection", "maybe")
    assert exc.value.code == 2


def test_random_state_is_drawn_and_recorded(tmp_path, data):
    pool, target, _ = data
    np.save(tmp_path / "pool.npy", pool)
    out = tmp_path / "out"
    assert run("--pool", tmp_path / "pool.npy", "-o", out, "--max-iter", "5", "-q") == 0
    seed = json.loads((out / "report.json").read_text())["parameters"]["random_state"]
    assert isinstance(seed, int)
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"),
                                  GIOSelector(max_iter=5, random_state=seed).fit(pool).selected_indices_)


def test_quiet_silences_progress(tmp_path, data, capsys):
    np.save(tmp_path / "pool.npy", data[0])
    assert run("--pool", tmp_path / "pool.npy", "-o", tmp_path / "out", "--max-iter", "3", "-q") == 0
    assert capsys.readouterr().err == ""


def test_npz_key_chooses_among_several_arrays(tmp_path, data, capsys):
    pool, target, expected = data
    np.savez(tmp_path / "pool.npz", emb=pool, other=pool[:3])
    np.save(tmp_path / "target.npy", target)
    args = ["--pool", tmp_path / "pool.npz", "--target", tmp_path / "target.npy", "-o", tmp_path / "out", *FLAGS]
    assert run(*args) == 2
    assert_one_line_error(capsys, "emb", "other", "--key")
    assert run(*args, "--key", "emb") == 0
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "selected_indices.npy"), expected.selected_indices_)


def test_parquet_column_chooses_among_several_vector_columns(tmp_path, data, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pool, target, expected = data
    pq.write_table(pa.table({"a": list(pool), "b": list(pool[:, :2])}), tmp_path / "pool.parquet")
    np.save(tmp_path / "target.npy", target)
    args = ["--pool", tmp_path / "pool.parquet", "--target", tmp_path / "target.npy", "-o", tmp_path / "out", *FLAGS]
    assert run(*args) == 2
    assert_one_line_error(capsys, "--column")
    assert run(*args, "--column", "a") == 0
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "selected_indices.npy"), expected.selected_indices_)


def test_plot_writes_pngs(tmp_path, data):
    pytest.importorskip("matplotlib")
    pool, target, _ = data
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    out = select(tmp_path, tmp_path / "pool.npy", tmp_path / "target.npy", "--plot")
    for name in ("kl_trace.png", "selection_2d.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {"kl_trace.png", "selection_2d.png"} <= set(json.loads((out / "report.json").read_text())["outputs"])


def test_plot_of_one_feature_writes_both_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    pool = np.random.default_rng(0).normal(0, 1, (200, 1))
    np.save(tmp_path / "pool.npy", pool)
    assert run("--pool", tmp_path / "pool.npy", "-o", tmp_path / "out", *FLAGS, "--plot", "-q") == 0
    outputs = json.loads((tmp_path / "out" / "report.json").read_text())["outputs"]
    assert {"kl_trace.png", "selection_2d.png"} <= set(outputs)


def test_plot_without_matplotlib_exits_2_before_running(tmp_path, data, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    np.save(tmp_path / "pool.npy", data[0])
    assert run("--pool", tmp_path / "pool.npy", "-o", tmp_path / "out", "--plot") == 2
    assert_one_line_error(capsys, "pip install matplotlib")
    assert not (tmp_path / "out").exists()


def test_parquet_without_pyarrow_names_the_package(tmp_path, capsys, monkeypatch):
    for name in ("pyarrow", "pyarrow.compute", "pyarrow.parquet", "pyarrow.types"):
        monkeypatch.setitem(sys.modules, name, None)
    (tmp_path / "pool.parquet").write_bytes(b"PAR1")
    assert run("--pool", tmp_path / "pool.parquet", "-o", tmp_path / "out") == 2
    assert_one_line_error(capsys, "pyarrow", "pip install")


# -- CSVs as pandas writes them: the index column, --index-col, --columns -----------------------
def test_pandas_index_column_is_dropped_with_a_notice(tmp_path, data, capsys):
    pool, target, expected = data
    write_pandas(tmp_path / "pool.csv", pool)
    write_pandas(tmp_path / "target.csv", target)
    out = select(tmp_path, tmp_path / "pool.csv", tmp_path / "target.csv")
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)
    notices = [line for line in capsys.readouterr().err.splitlines() if "dropped" in line]
    assert len(notices) == 2 and all("unnamed index" in n and "--index-col none" in n for n in notices)
    assert "pool.csv" in notices[0] and "target.csv" in notices[1]


@pytest.mark.parametrize("with_index", ["pool", "target"])
def test_index_column_in_only_one_file_exits_2_naming_both(tmp_path, data, capsys, with_index):
    pool, target, _ = data
    without = "target" if with_index == "pool" else "pool"
    write_pandas(tmp_path / f"{with_index}.csv", {"pool": pool, "target": target}[with_index])
    write_pandas(tmp_path / f"{without}.csv", {"pool": pool, "target": target}[without], index=False)
    out = tmp_path / "out"
    assert run("--pool", tmp_path / "pool.csv", "--target", tmp_path / "target.csv", "-o", out, *FLAGS) == 2
    has, lacks = assert_one_line_error(capsys, "--index-col", "--columns").split(" but ")
    assert f"{with_index}.csv" in has and "index column" in has
    assert f"{without}.csv" in lacks and "does not" in lacks
    assert not out.exists()


def test_index_col_none_keeps_the_index_as_a_feature(tmp_path, data):
    pool, target, _ = data
    write_pandas(tmp_path / "pool.csv", pool)
    write_pandas(tmp_path / "target.csv", target)
    out = select(tmp_path, tmp_path / "pool.csv", tmp_path / "target.csv", "--index-col", "none")
    with_index = [np.column_stack([np.arange(len(a)), a]) for a in (pool, target)]
    expected = GIOSelector(**PARAMS).fit(with_index[0], target=with_index[1])
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)
    assert json.loads((out / "report.json").read_text())["inputs"]["pool"]["shape"] == [240, 5]


def test_index_col_0_drops_a_first_column_detection_keeps(tmp_path, data):
    pd = pytest.importorskip("pandas")
    pool, target, expected = data
    for name, a in (("pool", pool), ("target", target)):  # a named id column: not pandas' unnamed index
        pd.DataFrame(a).assign(id=np.arange(len(a)) + 1000).iloc[:, [-1, 0, 1, 2, 3]].to_csv(
            tmp_path / f"{name}.csv", index=False)
    assert load_matrix(tmp_path / "pool.csv").shape == (240, 5)
    out = select(tmp_path, tmp_path / "pool.csv", tmp_path / "target.csv", "--index-col", "0")
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_columns_reads_the_named_columns_in_order(tmp_path, data, suffix):
    pd = pytest.importorskip("pandas")
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    pool, target, _ = data
    for name, a in (("pool", pool), ("target", target)):
        df = pd.DataFrame(a, columns=["f0", "f1", "f2", "f3"]).assign(label=np.arange(len(a)) % 3)
        if suffix == ".parquet":
            df.to_parquet(tmp_path / f"{name}{suffix}")
        else:
            df.to_csv(tmp_path / f"{name}{suffix}", sep="," if suffix == ".csv" else "\t")
    out = select(tmp_path, tmp_path / f"pool{suffix}", tmp_path / f"target{suffix}", "--columns", "f3,f0,f1")
    order = [3, 0, 1]
    expected = GIOSelector(**PARAMS).fit(pool[:, order], target=target[:, order])
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)


def test_columns_resolves_an_index_column_in_only_one_file(tmp_path, data):
    pool, target, expected = data
    write_pandas(tmp_path / "pool.csv", pool)
    write_pandas(tmp_path / "target.csv", target, index=False)
    out = select(tmp_path, tmp_path / "pool.csv", tmp_path / "target.csv", "--columns", "0,1,2,3")
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)


@pytest.mark.parametrize("case", ["unknown column", "no header", "with --index-col", "with --column"])
def test_columns_errors_exit_2_with_one_line(tmp_path, data, capsys, case):
    pool, _, _ = data
    write_pandas(tmp_path / "pool.csv", pool)
    write_csv(tmp_path / "bare.csv", pool, header=False)
    path, extra, fragments = {
        "unknown column": ("pool.csv", ["--columns", "0,nope"], ["pool.csv", "'nope'", "its columns"]),
        "no header": ("bare.csv", ["--columns", "0,1"], ["bare.csv", "no header"]),
        "with --index-col": ("pool.csv", ["--columns", "0", "--index-col", "0"], ["--index-col", "--columns"]),
        "with --column": ("pool.csv", ["--columns", "0", "--column", "emb"], ["--column", "--columns"]),
    }[case]
    assert run("--pool", tmp_path / path, "-o", tmp_path / "out", "--max-iter", "3", *extra) == 2
    assert_one_line_error(capsys, *fragments)


# -- bad input: exit 2, one line --------------------------------------------------------------
def bad_inputs(tmp_path, pool):
    """name -> (pool file written here, fragments the message must contain)."""
    nan_pool = pool.copy()
    nan_pool[3, 1] = np.nan
    np.save(tmp_path / "nan.npy", nan_pool)
    (tmp_path / "garbage.npy").write_bytes(b"this is not numpy")
    (tmp_path / "pool.xlsx").write_bytes(b"x")
    (tmp_path / "text.csv").write_text("a,b\n1,2\n3,oops\n")
    (tmp_path / "ragged.tsv").write_text("i0\tt\t[1, 2]\ni1\tt\t[1, 2, 3]\n")
    (tmp_path / "empty.csv").write_text("")
    np.save(tmp_path / "flat.npy", pool[:, 0])
    np.save(tmp_path / "narrow.npy", pool[:, :3])
    np.savez(tmp_path / "two.npz", a=pool, b=pool)
    return {
        "missing file": (tmp_path / "nope.npy", ["nope.npy", "no such file"]),
        "unknown suffix": (tmp_path / "pool.xlsx", ["pool.xlsx", "unknown format", ".npy"]),
        "unreadable file": (tmp_path / "garbage.npy", ["garbage.npy", "not a .npy file"]),
        "NaN": (tmp_path / "nan.npy", ["NaN", "row 3"]),
        "text in csv": (tmp_path / "text.csv", ["text.csv", "oops"]),
        "ragged vectors": (tmp_path / "ragged.tsv", ["ragged.tsv", "line 2"]),
        "empty file": (tmp_path / "empty.csv", ["empty.csv", "empty"]),
        "1-D array": (tmp_path / "flat.npy", ["flat.npy", "2-D"]),
        "dimension mismatch": (tmp_path / "narrow.npy", ["feature counts differ"]),
        "npz without --key": (tmp_path / "two.npz", ["two.npz", "--key"]),
    }


@pytest.mark.parametrize("case", ["missing file", "unknown suffix", "unreadable file", "NaN", "text in csv",
                                  "ragged vectors", "empty file", "1-D array", "dimension mismatch",
                                  "npz without --key"])
def test_bad_input_exits_2_with_one_line(tmp_path, data, capsys, case):
    pool, target, _ = data
    np.save(tmp_path / "target.npy", target)
    path, fragments = bad_inputs(tmp_path, pool)[case]
    out = tmp_path / "out"
    assert run("--pool", path, "--target", tmp_path / "target.npy", "-o", out, "--max-iter", "3") == 2
    assert_one_line_error(capsys, *fragments)
    assert not out.exists()  # a failed run leaves nothing that would need --force


def test_quiet_error_is_exactly_one_line(tmp_path, capsys):
    assert run("--pool", tmp_path / "nope.npy", "-o", tmp_path / "out", "-q") == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_existing_output_needs_force(tmp_path, data, capsys):
    pool, target, _ = data
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("keep me")
    args = ["--pool", tmp_path / "pool.npy", "--target", tmp_path / "target.npy", "-o", out, *FLAGS]
    assert run(*args) == 2
    assert_one_line_error(capsys, str(out), "--force")
    assert (out / "report.json").read_text() == "keep me"

    (out / "kl_trace.png").write_bytes(b"old plot")
    assert run(*args, "--force") == 0
    assert json.loads((out / "report.json").read_text())["stop_reason"]
    assert not (out / "kl_trace.png").exists()  # no stale plot from an earlier run


def test_output_that_is_a_file_is_refused(tmp_path, data, capsys):
    np.save(tmp_path / "pool.npy", data[0])
    (tmp_path / "out").write_text("a file")
    assert run("--pool", tmp_path / "pool.npy", "-o", tmp_path / "out", "--force") == 2
    assert_one_line_error(capsys, "not a directory")
    assert (tmp_path / "out").read_text() == "a file"


def test_library_parameter_errors_exit_2(tmp_path, data, capsys):
    np.save(tmp_path / "pool.npy", data[0])
    assert run("--pool", tmp_path / "pool.npy", "-o", tmp_path / "out", "--k", "0") == 2
    assert_one_line_error(capsys, "k must be >= 1")


def test_demo_is_still_dispatched(monkeypatch):
    import gioselect.demo

    calls = []
    monkeypatch.setattr(gioselect.demo, "main", lambda out_dir: calls.append(out_dir) or 0)
    assert cli.main(["demo"]) == 0 and calls == ["gioselect-demo"]
    assert cli.main(["demo", "--out", "elsewhere"]) == 0 and calls[-1] == "elsewhere"


@pytest.mark.parametrize("out", ["a file", "a file/sub"])
def test_demo_out_that_cannot_be_a_folder_exits_2_before_running(tmp_path, capsys, monkeypatch, out):
    import gioselect.demo

    pytest.importorskip("matplotlib")
    monkeypatch.setattr(gioselect.demo, "gaussian_2d", lambda **kw: pytest.fail("ran before checking --out"))
    (tmp_path / "a file").write_text("keep me")
    assert cli.main(["demo", "--out", str(tmp_path / out)]) == 2
    assert_one_line_error(capsys, str(tmp_path / out), "not a directory" if out == "a file" else "cannot create")
    assert (tmp_path / "a file").read_text() == "keep me"


def test_console_script_end_to_end(tmp_path, data):
    script = Path(sysconfig.get_path("scripts")) / "gioselect"
    script = str(script) if script.exists() else shutil.which("gioselect")
    if script is None:
        pytest.skip("the gioselect console script is not installed")
    pool, target, expected = data
    write_reference_tsv(tmp_path / "pool.tsv", pool)
    np.save(tmp_path / "target.npy", target)
    out = tmp_path / "out"
    cmd = [script, "select", "--pool", tmp_path / "pool.tsv", "--target", tmp_path / "target.npy", "-o", out, *FLAGS]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stderr and done.stdout == ""
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2
    assert again.stderr.strip().count("\n") == 0 and "--force" in again.stderr


# -- checkpoints -----------------------------------------------------------------------------
def test_checkpoint_then_resume_gives_the_uninterrupted_selection(tmp_path, data, capsys):
    pool, target, _ = data
    write_npy(tmp_path / "pool.npy", pool)
    write_npy(tmp_path / "target.npy", target)
    params = dict(PARAMS, max_iter=200, stop_criterion="data_size")
    full = GIOSelector(**params).fit(pool, target=target)

    # a run cut short after its checkpoint at 10 picks (as if killed), written where the CLI keeps it
    out = tmp_path / "out"
    out.mkdir()

    def crash(info):
        if info["n_selected"] >= 12:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        GIOSelector(checkpoint=str(out / cli.CHECKPOINT), checkpoint_every=10, callback=crash,
                    **params).fit(pool, target=target)

    flags = [*FLAGS[:2], "--max-iter", "200", *FLAGS[4:], "--stop-criterion", "data_size"]
    args = ["--pool", tmp_path / "pool.npy", "--target", tmp_path / "target.npy", "-o", out, *flags]
    assert run(*args) == 2  # the output exists: no overwrite without --force or --resume
    assert_one_line_error(capsys, "already exists")
    assert run(*args, "--resume") == 2  # options typed with --resume would be dropped: refused, by name
    assert_one_line_error(capsys, "--resume continues the checkpointed run", "--max-iter", "--stop-criterion")
    assert run(*args[:6], "--resume") == 0
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), full.selected_indices_)
    report = json.loads((out / "report.json").read_text())
    assert cli.CHECKPOINT in report["outputs"]


def test_resume_without_checkpoint_is_refused(tmp_path, data, capsys):
    pool, target, _ = data
    write_npy(tmp_path / "pool.npy", pool)
    assert run("--pool", tmp_path / "pool.npy", "-o", tmp_path / "out", "--resume") == 2
    assert_one_line_error(capsys, "nothing to resume")


def test_checkpoint_flag_keeps_the_state(tmp_path, data):
    pool, target, expected = data
    write_npy(tmp_path / "pool.npy", pool)
    write_npy(tmp_path / "target.npy", target)
    out = select(tmp_path, tmp_path / "pool.npy", tmp_path / "target.npy", "--checkpoint")
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), expected.selected_indices_)
    assert (out / cli.CHECKPOINT).exists()


@pytest.mark.parametrize("flags, fragment", [(["--lr", "1e300"], "diverged"), (["--max-iter", str(2**70)], "max_iter"),
                                             (["--uniform-start-size", "3000000000"], "uniform_start_size"),
                                             (["--k", str(2**40)], "k must be")])
def test_out_of_range_options_exit_2_with_one_line(tmp_path, data, capsys, flags, fragment):
    pool, target, _ = data
    write_npy(tmp_path / "pool.npy", pool)
    assert run("--pool", tmp_path / "pool.npy", "-o", tmp_path / "out", "--random-state", "0", *flags) == 2
    assert_one_line_error(capsys, fragment)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 cut", b"garbage"])
def test_a_broken_checkpoint_exits_2_with_one_line(tmp_path, data, capsys, content):
    pool, _, _ = data
    write_npy(tmp_path / "pool.npy", pool)
    out = tmp_path / "out"
    out.mkdir()
    (out / cli.CHECKPOINT).write_bytes(content)
    assert run("--pool", tmp_path / "pool.npy", "-o", out, "--resume") == 2
    assert_one_line_error(capsys, "not a gioselect checkpoint")
