"""The `gioselect` command line.

gioselect demo                                    GIO on bundled data (no download)
gioselect select --pool P [--target X] [--init D] -o OUT [GIOSelector options] [--plot]

`select` reads .npy (memory-mapped), .npz, .parquet, .csv or .tsv files (CSV/TSV as pandas'
to_csv() writes them, its index column dropped: gioselect.io, --index-col, --columns) and writes
the directory OUT: selected_indices.npy and .txt (pool rows in selection order, one per line in the .txt),
report.json (parameters, the selection's KL, the objective's trace, stop reason, timings,
versions, inputs) and, with --plot,
kl_trace.png and selection_2d.png. An existing OUT is only written into with --force. Without
--random-state a seed is drawn and recorded in report.json, so every run can be repeated.
Bad input exits with status 2 and one line on stderr; progress goes to stderr (-q silences it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import platform
import re
import secrets
import sys
import time
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger("gioselect")

OUTPUTS = ("selected_indices.npy", "selected_indices.txt", "report.json")


class _InputError(Exception):
    """Bad usage detected by the CLI itself (exit 2, one line)."""


def _floats(text: str):
    """A number, or comma-separated numbers (one per feature)."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or comma-separated numbers, got {text!r}") from None
    return values[0] if len(values) == 1 else values


def _auto_or_float(text: str):
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number, got {text!r}") from None


# Parameters whose default (None, 'auto') does not tell the option's type; the rest follow their default.
_TYPES = {"max_iter": int, "n_select": int, "random_state": int, "n_jobs": int, "quantize": int, "quantize_target": int,
          "max_rows_per_cluster": int, "n_select_rows": int, "svd_components": int, "uniform_low": _floats,
          "uniform_high": _floats, "scale_factor": _auto_or_float}
_NOTES = {"random_state": "; unset: a drawn seed, recorded in report.json",
          "uniform_low": "; one value per feature or one for all; negative lists: --uniform-low=-1,-2",
          "uniform_high": "; one value per feature or one for all"}


# Python-only parameters; checkpoints are the --checkpoint / --resume options.
_NOT_OPTIONS = {"callback", "checkpoint"}
CHECKPOINT = "checkpoint.npz"


def _metavar(name: str, default):
    special = {"scale_factor": "auto|X", "uniform_low": "X[,X...]", "uniform_high": "X[,X...]",
               "stop_criterion": None, "v_init": None, "objective": None, "search": None,
               "projection": None, "metric": None}  # None: argparse shows choices
    if name in special:
        return special[name]
    return "N" if isinstance(default, int) or _TYPES.get(name) is int else "X"


def _add_estimator_options(parser: argparse.ArgumentParser) -> None:
    """One option per GIOSelector parameter (--max-iter for max_iter); unset ones keep its default.

    Each option's help is the first sentence of the parameter's description in GIOSelector's
    docstring, then its default."""
    from gioselect import GIOSelector, _engine

    choices = {"stop_criterion": ("auto",) + _engine.STOP_CRITERIA, "v_init": ("auto",) + _engine.V_INITS,
               "objective": _engine.OBJECTIVES, "search": ("auto",) + _engine.SEARCHES, "projection": _engine.PROJECTIONS,
               "metric": _engine.METRICS}
    summaries = parameter_summaries(GIOSelector.__doc__)
    group = parser.add_argument_group("GIOSelector parameters (README, 'Options')")
    for name, default in sorted(GIOSelector().get_params().items()):
        if name in _NOT_OPTIONS:
            continue
        if name not in summaries:
            raise TypeError(f"GIOSelector's docstring does not describe the parameter {name!r}")
        flag = "--" + name.replace("_", "-")
        text = f"{summaries[name]} (default: {default}{_NOTES.get(name, '')})"
        common = {"dest": name, "default": argparse.SUPPRESS, "help": text.replace("%", "%%")}
        if isinstance(default, bool):
            group.add_argument(flag, action=argparse.BooleanOptionalAction, **common)
        elif name in _TYPES or type(default) in (int, float, str):
            group.add_argument(flag, type=_TYPES.get(name, type(default)), choices=choices.get(name),
                               metavar=_metavar(name, default), **common)
        else:
            raise TypeError(f"GIOSelector parameter {name!r} (default {default!r}) has no command-line type; "
                            f"give it one in cli._TYPES or list it in cli._NOT_OPTIONS")


def parameter_summaries(doc: str) -> dict:
    """Parameter name -> the first sentence of its description, from the numpydoc Parameters
    section of `doc` (a line `    name : type, default=...` or `    a, b : ...`, then the
    description indented by 8 spaces)."""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Parameters") + 2  # past the underline
    summaries, names, text = {}, [], []
    for line in lines[start:] + ["    (end)"]:
        if line.startswith(" " * 8):
            text.append(line.strip())
            continue
        if not line.strip():
            continue
        summaries.update(dict.fromkeys(names, _first_sentence(" ".join(text))))
        match = re.fullmatch(r" {4}(\w+(?:, \w+)*) : .*", line)
        if match is None:  # the next section
            break
        names, text = match.group(1).split(", "), []
    return summaries


def _first_sentence(text: str) -> str:
    """Up to the first period followed by a new sentence (a capital or a quote; not 'e.g. with')."""
    return re.split(r"(?<=\.)\s+(?=[A-Z'\"])", text.replace("``", ""), maxsplit=1)[0]


def _names(text: str) -> list:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got {text!r}")
    return names


def _parser() -> argparse.ArgumentParser:
    from gioselect.io import INDEX_COL_CHOICES

    parser = argparse.ArgumentParser(prog="gioselect", description="GIO training-data selection")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run GIO on bundled data (2-D Gaussians, scikit-learn digits)")
    demo.add_argument("--out", default="gioselect-demo", help="folder for the plots (default: gioselect-demo)")
    sel = sub.add_parser("select", help="select pool rows for a target sample from files",
                         description="Run GIO on files; writes indices and a report to the directory OUT.",
                         allow_abbrev=False)
    sel.add_argument("--pool", required=True, type=Path, help="the pool to select from (.npy .npz .parquet .csv .tsv)")
    sel.add_argument("--target", type=Path, help="the sample to preserve (default: the pool itself)")
    sel.add_argument("--init", type=Path, help="start rows (default: uniform in the target's bounding box)")
    sel.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="output directory")
    sel.add_argument("--key", help="array to read from every .npz input (needed when one holds several)")
    sel.add_argument("--column", help="column to read from every .parquet input (a vector or numeric column)")
    sel.add_argument("--columns", type=_names, metavar="NAME[,NAME...]",
                     help="read exactly these named columns, in this order, from every CSV/TSV/parquet input")
    sel.add_argument("--index-col", choices=INDEX_COL_CHOICES, default="auto",
                     help="CSV/TSV: 'auto' drops a leading unnamed column of increasing integers (the index "
                          "pandas' to_csv() writes), 'none' never drops a column, '0' always drops the first one "
                          "(default: auto)")
    sel.add_argument("--force", action="store_true", help="write into OUT even if it exists")
    sel.add_argument("--plot", action="store_true", help="also write PNG plots (needs matplotlib)")
    sel.add_argument("--checkpoint", action="store_true",
                     help=f"keep the run's state in OUT/{CHECKPOINT} (every --checkpoint-every picks, on Ctrl-C)")
    sel.add_argument("--resume", action="store_true",
                     help=f"continue the run checkpointed in OUT/{CHECKPOINT} (give the same inputs again)")
    sel.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    _add_estimator_options(sel)
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from gioselect.demo import main as demo_main

        return demo_main(out_dir=args.out)
    from gioselect.io import MissingDependencyError

    with _progress_on_stderr(args.quiet), warnings.catch_warnings():
        warnings.showwarning = _warning_line
        try:
            return _select(args, sys.argv[1:] if argv is None else list(argv))
        except (_InputError, ValueError, OSError, MissingDependencyError) as e:
            print(f"gioselect: error: {' '.join(str(e).split())}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("gioselect: interrupted", file=sys.stderr)
            return 130


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning (n_select past the estimate's minimum, a renamed attribute) as one line, like errors."""
    print(f"gioselect: warning: {' '.join(str(message).split())}", file=sys.stderr)


@contextlib.contextmanager
def _progress_on_stderr(quiet: bool):
    """INFO messages of the `gioselect` logger go to stderr for the duration of a command."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("gioselect: %(message)s"))
    saved = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(saved[0])
        log.propagate = saved[1]


def _select(args, argv: list) -> int:
    from gioselect import GIOSelector
    from gioselect.plot import REPORT_PLOTS

    t_start = time.perf_counter()
    out = args.output
    # Checked before any work: a long run must not end in a refusal to write.
    if out.exists() and not out.is_dir():
        raise _InputError(f"output {out} exists and is not a directory")
    ckpt = out / CHECKPOINT
    if args.resume and not ckpt.exists():
        raise _InputError(f"nothing to resume: {ckpt} does not exist (run with --checkpoint first)")
    if out.exists() and not (args.force or args.resume):
        raise _InputError(f"output {out} already exists; pass --force to overwrite it (or --resume)")
    if args.plot:
        _require_matplotlib()
    if args.columns is not None and args.column is not None:
        raise _InputError("--column (one parquet vector column) and --columns (named columns) exclude each other")
    if args.columns is not None and args.index_col != "auto":
        raise _InputError("--columns reads only the named columns; --index-col does not apply with it")

    params = {name: getattr(args, name) for name in GIOSelector().get_params()
              if name not in _NOT_OPTIONS and hasattr(args, name)}
    if args.resume and params:  # a resumed run keeps its own parameters: never drop what was typed
        given = ", ".join("--" + name.replace("_", "-") for name in sorted(params))
        raise _InputError(f"--resume continues the checkpointed run with the parameters it started with; "
                          f"{given} would be ignored: drop them, or start a new run without --resume")
    params.setdefault("random_state", secrets.randbits(32))
    if "verbose" not in params and not args.quiet and sys.stderr.isatty():
        params["verbose"] = 1  # someone is watching: show phases, picks, ETA (--verbose 0 silences)
    selector = GIOSelector(**params)

    arrays, inputs, timings = _load_inputs(args)

    interrupted = False
    try:
        selector = _fit(selector, args, arrays, ckpt)
    except KeyboardInterrupt:
        if not hasattr(selector, "selected_indices_"):
            raise
        interrupted = True  # the picks so far are written, then the command exits 130
        log.warning("interrupted after %d picks: writing them to %s", len(selector.selected_indices_), out)
    timings["fit_s"] = selector.fit_seconds_

    out.mkdir(parents=True, exist_ok=True)
    idx = selector.selected_indices_
    np.save(out / "selected_indices.npy", idx)
    np.savetxt(out / "selected_indices.txt", idx, fmt="%d")
    written = list(OUTPUTS) + ([CHECKPOINT] if ckpt.exists() else [])
    for name in REPORT_PLOTS:  # a forced rerun must not leave plots of an earlier run behind
        (out / name).unlink(missing_ok=True)
    if args.plot:
        written += _plot(selector, arrays, out)
    timings["total_s"] = time.perf_counter() - t_start

    report = _report(selector, argv, inputs, timings, written)
    with open(out / "report.json", "w", encoding="utf-8") as f:
        json.dump(_finite(report), f, indent=2, allow_nan=False)
        f.write("\n")
    log.info("wrote %d indices and report.json to %s", len(idx), out)
    if interrupted:
        raise KeyboardInterrupt
    return 0


def _fit(selector, args, arrays: dict, ckpt: Path):
    """The fitted selector: a new run, or the checkpointed one resumed."""
    from gioselect import GIOSelector

    if args.resume:
        log.info("resuming %s", ckpt)
        return GIOSelector.resume(str(ckpt), arrays["pool"], target=arrays.get("target"))
    if args.checkpoint:
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        ckpt.unlink(missing_ok=True)  # a forced rerun starts afresh
        selector.set_params(checkpoint=str(ckpt))
    log.info("running GIO (random_state=%s)", selector.random_state)
    return selector.fit(arrays["pool"], target=arrays.get("target"), init=arrays.get("init"))


def _load_inputs(args):
    """(arrays, their descriptions for the report, load timings) of --pool, --target and --init."""
    from gioselect.io import load_input

    arrays, inputs, timings, index_dropped = {}, {}, {}, {}
    for role in ("pool", "target", "init"):
        path = getattr(args, role)
        if path is None:
            inputs[role] = None
            continue
        t0 = time.perf_counter()
        read = load_input(path, key=args.key, column=args.column, index_col=args.index_col, columns=args.columns)
        timings[f"load_{role}_s"] = time.perf_counter() - t0
        arrays[role] = read.values
        if read.index_dropped is not None:
            index_dropped[path] = read.index_dropped
        if read.index_dropped:
            log.info("%s: dropped the first column, an unnamed index as pandas' to_csv() writes it "
                     "(--index-col none keeps it)", path)
        inputs[role] = {"path": str(path.resolve()), "shape": list(arrays[role].shape), "dtype": str(arrays[role].dtype)}
        log.info("%s: %s, %d rows x %d features (%s)", role, path, *arrays[role].shape, arrays[role].dtype)
    _check_index_columns_agree(index_dropped)
    return arrays, inputs, timings


def _check_index_columns_agree(index_dropped: dict) -> None:
    """CSV/TSV inputs (with a header, --index-col auto) must all start with pandas' index or all not."""
    with_index = [path for path, dropped in index_dropped.items() if dropped]
    without = [path for path, dropped in index_dropped.items() if not dropped]
    if with_index and without:
        raise _InputError(f"{with_index[0]} starts with an unnamed index column (as pandas' to_csv() writes it) "
                          f"but {without[0]} does not; say --index-col 0 if the first column of every file is "
                          f"an index, --index-col none if none is, or name the features with --columns")


def _report(selector, argv: list, inputs: dict, timings: dict, written: list) -> dict:
    """report.json's content: what was run on what, what it selected, how long it took."""
    import sklearn

    import gioselect

    trace = selector.objective_trace_
    return {
        "command": ["gioselect", *argv],
        "parameters": {k: v for k, v in selector.get_params().items() if k != "callback"},
        "inputs": inputs,
        "search": selector.search_,  # what search='auto' ran
        "n_selected": len(selector.selected_indices_),
        # the selection's k-NN estimate against the target (null after Ctrl-C), then the
        # objective's estimate of start rows + picks that the run minimised (README, "Two estimates")
        "selection_kl": selector.selection_kl_,
        "objective": selector.objective,
        "objective_start": selector.objective_start_,
        "objective_end": float(trace[-1]) if len(trace) else selector.objective_start_,
        "objective_trace": trace.tolist(),
        "stop_reason": selector.stop_reason_,
        "lowest_objective_pick": selector.lowest_objective_pick_,  # picks after it raised the estimate
        "n_iter": selector.n_iter_,
        "n_resets": selector.n_resets_,
        "scale_factor": selector.scale_factor_,
        "init_indices": None if selector.init_indices_ is None else np.asarray(selector.init_indices_).tolist(),
        "timings": timings,
        "versions": {"gioselect": gioselect.__version__, "numpy": np.__version__,
                     "scikit-learn": sklearn.__version__, "python": platform.python_version()},
        "outputs": written,
    }


def _finite(obj):
    """JSON has no NaN/inf: they are written as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def _require_matplotlib() -> None:
    from gioselect.io import MissingDependencyError

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingDependencyError("--plot needs matplotlib: pip install matplotlib") from None


def _plot(selector, arrays: dict, out: Path) -> list:
    """kl_trace.png and selection_2d.png in OUT (gioselect.plot draws them); returns their names."""
    from gioselect.plot import save_report_plots

    return [path.name for path in save_report_plots(selector, arrays["pool"], arrays.get("target"), out)]


if __name__ == "__main__":
    sys.exit(main())
