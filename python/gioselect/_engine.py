"""Builds the core's Options from keyword parameters and runs the C++ loop (GIL released)."""

from __future__ import annotations

import numpy as np

from gioselect import _core

STOP_CRITERIA = ("increase", "max_resets", "min_difference", "sequential_increase_tolerance", "min_kl", "data_size")
V_INITS = ("mean", "prev_opt", "jump", "worst")
ESTIMATORS = ("relaxed", "knn")
SEARCHES = ("descent", "greedy")
SEARCH_MODES = {"auto": "auto", True: "exact", False: "hnsw", "exact": "exact", "hnsw": "hnsw"}


def make_options(*, k=5, stop_criterion="sequential_increase_tolerance", min_difference=0.0, min_kl=0.0,
                 max_data_size=1.0, max_sequential_increases=3, resets_allowed=False, max_resets=2, v_init="jump",
                 grad_desc_iter=50, lr=0.01, scale_factor="auto", random_restart_prob=0.0,
                 discard_nearest_for_xy=False, reference_semantics=False, seed=0, n_threads=0, max_picks=-1, n_select=-1,
                 eps=1e-8, exact_search="auto", exact_below=200000, hnsw_m=16, ef_construction=100,
                 ef_search=256, audit_projection=False, n_candidates=1, estimator="relaxed", search="descent",
                 batch_size=1) -> _core.Options:
    o = _core.Options()
    o.estimator = estimator
    o.search = search
    o.batch_size = int(batch_size)
    o.k = int(k)
    o.eps = float(eps)
    o.discard_nearest_for_xy = bool(discard_nearest_for_xy)
    o.max_picks = int(max_picks)
    o.n_select = int(n_select)
    o.stop_criterion = stop_criterion
    o.min_difference = float(min_difference)
    o.min_kl = float(min_kl)
    o.max_data_size = float(max_data_size)
    o.max_sequential_increases = int(max_sequential_increases)
    o.resets_allowed = bool(resets_allowed)
    o.max_resets = int(max_resets)
    o.n_candidates = int(n_candidates)
    o.v_init = v_init
    o.grad_desc_iter = int(grad_desc_iter)
    o.lr = float(lr)
    if isinstance(scale_factor, str):
        if scale_factor != "auto":
            raise ValueError(f"scale_factor must be 'auto' or a positive number, got {scale_factor!r}")
        o.scale_auto = True
    else:
        o.scale_auto = False
        o.scale_factor = float(scale_factor)
    o.random_restart_prob = float(random_restart_prob)
    o.reference_semantics = bool(reference_semantics)
    o.seed = int(seed) % 2**64
    o.n_threads = int(n_threads)
    idx = o.index
    if exact_search not in SEARCH_MODES:
        raise ValueError(f"exact_search must be 'auto', True or False, got {exact_search!r}")
    idx.mode = SEARCH_MODES[exact_search]
    idx.exact_below = int(exact_below)
    idx.hnsw_m = int(hnsw_m)
    idx.ef_construction = int(ef_construction)
    idx.ef_search = int(ef_search)
    idx.seed = int(seed) % 2**31
    idx.audit = bool(audit_projection)
    o.index = idx
    return o


def run(pool: np.ndarray, target: np.ndarray, init: np.ndarray, options: _core.Options, *, on_step=None,
        on_checkpoint=None, resume=None) -> _core.Result:
    """pool, target and init must already share one float dtype and be C-contiguous.

    on_step(n_iter, n_selected, kl) is called after every iteration and returns 0 to go on, 1 to
    stop, 2 to have on_checkpoint(state) called; an interrupt also calls on_checkpoint(state).
    resume: a state from on_checkpoint (or checkpoint.load) of a run with the same inputs."""
    return _core.select(pool, target, init, options, on_step, on_checkpoint, resume)
