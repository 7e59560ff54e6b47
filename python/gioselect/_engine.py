"""Builds the core's Options from parameters through one table, and runs the C++ loop (GIL released)."""

from __future__ import annotations

import numpy as np

from gioselect import _core

# The names of every enum-valued option, from the core's own tables.
OBJECTIVES = tuple(_core.option_names("objective"))
SEARCHES = tuple(_core.option_names("search"))
STOP_CRITERIA = tuple(_core.option_names("stop_criterion"))
V_INITS = tuple(_core.option_names("v_init"))
PROJECTIONS = tuple(_core.option_names("projection"))
METRICS = tuple(_core.option_names("metric"))


def _budget(value) -> int:
    return -1 if value is None else int(value)


def _set_scale(o: _core.Options, value) -> None:
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"scale_factor must be 'auto' or a positive number, got {value!r}")
        o.descent.scale_auto = True
    else:
        o.descent.scale_auto = False
        o.descent.scale_factor = float(value)


def _set_seed(o: _core.Options, value) -> None:
    o.seed = int(value) % 2**64
    o.projection.seed = int(value) % 2**31  # hnswlib's level generator takes a smaller seed


# parameter -> ("group.field" of the core's Options, converter), or a setter(options, value) for
# the parameters that set more than one field. One row per option the core reads.
CORE_FIELDS = {
    "objective": ("objective.kind", str),
    "k": ("objective.k", int),
    "eps": ("objective.eps", float),
    "discard_nearest_for_xy": ("objective.discard_nearest_for_xy", bool),
    "search": ("search.kind", str),
    "n_candidates": ("search.n_candidates", int),
    "batch_size": ("search.batch_size", int),
    "spread_threshold": ("search.spread_threshold", float),
    "spread_cell_rows": ("search.spread_cell_rows", int),
    "stop_criterion": ("stop.criterion", str),
    "max_picks": ("stop.max_picks", _budget),
    "n_select": ("stop.n_select", _budget),
    "min_difference": ("stop.min_difference", float),
    "min_kl": ("stop.min_kl", float),
    "max_data_size": ("stop.max_data_size", float),
    "max_sequential_increases": ("stop.max_sequential_increases", int),
    "resets_allowed": ("stop.resets_allowed", bool),
    "max_resets": ("stop.max_resets", int),
    "v_init": ("descent.v_init", str),
    "grad_desc_iter": ("descent.grad_desc_iter", int),
    "lr": ("descent.lr", float),
    "scale_factor": _set_scale,
    "random_restart_prob": ("descent.random_restart_prob", float),
    "projection": ("projection.mode", str),
    "exact_below": ("projection.exact_below", int),
    "hnsw_m": ("projection.hnsw_m", int),
    "ef_construction": ("projection.ef_construction", int),
    "ef_search": ("projection.ef_search", int),
    "audit_projection": ("projection.audit", bool),
    "reference_semantics": ("reference_semantics", bool),
    "metric": ("metric", str),
    "seed": _set_seed,
    "n_threads": ("n_threads", int),
}


def make_options(**params) -> _core.Options:
    """The core's Options: the core's defaults, then every given parameter through CORE_FIELDS."""
    unknown = sorted(set(params) - set(CORE_FIELDS))
    if unknown:
        raise TypeError(f"not options of the core: {unknown}")
    o = _core.Options()
    for name, value in params.items():
        rule = CORE_FIELDS[name]
        if callable(rule):
            rule(o, value)
            continue
        path, convert = rule
        group, _, field = path.rpartition(".")
        setattr(getattr(o, group) if group else o, field, convert(value))
    return o


def run(pool: np.ndarray, target: np.ndarray, init: np.ndarray, options: _core.Options, *, on_step=None,
        on_checkpoint=None, resume=None) -> _core.Result:
    """pool, target and init must already share one float dtype and be C-contiguous.

    on_step(n_iter, n_selected, kl, kl_start) is called after every iteration and returns 0 to go
    on, 1 to stop, 2 to have on_checkpoint(state) called; an interrupt also calls
    on_checkpoint(state). resume: a state from on_checkpoint (or checkpoint.load) of a run with the
    same inputs."""
    return _core.select(pool, target, init, options, on_step, on_checkpoint, resume)
