"""What GIOSelector and GIOSampler share: parameters, fit, resume, scores and plots."""

from __future__ import annotations

import inspect
import logging
import sys
import time
import warnings

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from gioselect import _core, _dask, _engine, _sparse, checkpoint, quantize
from gioselect._blocks import fingerprint, take_rows
from gioselect._dask_selection_kl import RowsOnWorkers
from gioselect._hooks import StepHooks, phase
from gioselect._memory_refusal import refuse_if_too_large
from gioselect._validation import (
    as_matrix,
    check_choice,
    check_labels,
    check_number,
    common_dtype,
    in_pool_order,
    resolve_n_jobs,
    same_width,
    seeds_from,
)
from gioselect.estimators import knn_kl

log = logging.getLogger("gioselect")

# Bounds of the core's integer fields (C int, int64), so that an out-of-range value is refused by
# name here rather than by pybind11; start rows are drawn in memory, so they get a sane cap too.
_INT32_MAX, _INT64_MAX = 2**31 - 1, 2**63 - 1
_START_ROWS_MAX = 10**7

# Options only search='descent' reads (the core refuses the first two too); the projection's turn
# a descent's end point into a row, which the other searches never have.
_DESCENT_OPTIONS = ("batch_size", "n_candidates", "v_init", "grad_desc_iter", "lr", "scale_factor",
                    "random_restart_prob", "projection", "exact_below", "hnsw_m", "ef_construction", "ef_search")


def _same(value, default) -> bool:
    """value is the default ('auto' is not 0; 50.0 is 50)."""
    if isinstance(value, str) or isinstance(default, str):
        return isinstance(value, str) and isinstance(default, str) and value == default
    return value == default


class GIOBase(BaseEstimator):
    """GIO: select the pool rows that best preserve information about a target sample.
    Subclasses give it a role (GIOSelector: a transformer; GIOSampler: a sampler)."""

    def __init__(
        self,
        objective="relaxed",
        search="auto",
        batch_size=1,
        k=5,
        max_iter=None,
        n_select=None,
        stop_criterion="auto",
        min_difference=0.0,
        min_kl=0.0,
        max_data_size=1.0,
        max_sequential_increases=3,
        resets_allowed=False,
        max_resets=2,
        v_init="auto",
        grad_desc_iter=50,
        lr=0.01,
        scale_factor="auto",
        random_restart_prob=0.0,
        discard_nearest_for_xy=False,
        uniform_start_size=20,
        uniform_low=None,
        uniform_high=None,
        normalize=False,
        random_init_pct=0.0,
        n_candidates=1,
        projection="auto",
        exact_below=200000,
        hnsw_m=16,
        ef_construction=100,
        ef_search=256,
        random_state=None,
        n_jobs=None,
        callback=None,
        verbose=0,
        checkpoint=None,
        checkpoint_every=100,
        quantize=None,
        quantize_target=None,
        max_rows_per_cluster=None,
        n_select_rows=None,
        spread_threshold=0.5,
        spread_cell_rows=15,
        svd_components=None,
        metric="euclidean",
    ):
        self.objective = objective
        self.search = search
        self.batch_size = batch_size
        self.k = k
        self.max_iter = max_iter
        self.n_select = n_select
        self.stop_criterion = stop_criterion
        self.min_difference = min_difference
        self.min_kl = min_kl
        self.max_data_size = max_data_size
        self.max_sequential_increases = max_sequential_increases
        self.resets_allowed = resets_allowed
        self.max_resets = max_resets
        self.v_init = v_init
        self.grad_desc_iter = grad_desc_iter
        self.lr = lr
        self.scale_factor = scale_factor
        self.random_restart_prob = random_restart_prob
        self.discard_nearest_for_xy = discard_nearest_for_xy
        self.uniform_start_size = uniform_start_size
        self.uniform_low = uniform_low
        self.uniform_high = uniform_high
        self.normalize = normalize
        self.random_init_pct = random_init_pct
        self.n_candidates = n_candidates
        self.projection = projection
        self.exact_below = exact_below
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.callback = callback
        self.verbose = verbose
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.quantize = quantize
        self.quantize_target = quantize_target
        self.max_rows_per_cluster = max_rows_per_cluster
        self.n_select_rows = n_select_rows
        self.spread_threshold = spread_threshold
        self.spread_cell_rows = spread_cell_rows
        self.svd_components = svd_components
        self.metric = metric

    # -- parameters -----------------------------------------------------------------------
    def _check_params(self, target_given: bool = True) -> None:
        """Checks every parameter, and resolves search='auto' for a fit with or without a target."""
        check_choice(self.objective, "objective", _engine.OBJECTIVES)
        check_choice(self.search, "search", ("auto",) + _engine.SEARCHES)
        self._search = self.search if self.search != "auto" else "spread" if target_given else "descent"
        check_choice(self.metric, "metric", _engine.METRICS)
        check_number(self.batch_size, "batch_size", low=1, high=_INT32_MAX, integer=True)
        check_number(self.k, "k", low=1, high=_INT32_MAX, integer=True)
        if self.max_iter is not None:
            check_number(self.max_iter, "max_iter", low=0, high=_INT64_MAX, integer=True)
        if self.n_select is not None:
            check_number(self.n_select, "n_select", low=0, high=_INT64_MAX, integer=True)
        check_choice(self.stop_criterion, "stop_criterion", ("auto",) + _engine.STOP_CRITERIA)
        check_choice(self.v_init, "v_init", ("auto",) + _engine.V_INITS)
        if self.v_init == "worst" and self.objective != "knn":
            raise ValueError("v_init='worst' needs objective='knn' (the relaxed estimate keeps no per-target "
                             "distances to rank targets by)")
        check_number(self.min_difference, "min_difference")
        check_number(self.min_kl, "min_kl")
        check_number(self.max_data_size, "max_data_size", low=0, high=1)
        check_number(self.max_sequential_increases, "max_sequential_increases", low=1, high=_INT32_MAX, integer=True)
        check_number(self.max_resets, "max_resets", low=0, high=_INT32_MAX, integer=True)
        for name in ("resets_allowed", "discard_nearest_for_xy", "normalize"):  # a string would be truthy
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        check_number(self.grad_desc_iter, "grad_desc_iter", low=0, high=_INT32_MAX, integer=True)
        check_number(self.lr, "lr", low=0)
        if not (isinstance(self.scale_factor, str) and self.scale_factor == "auto"):
            check_number(self.scale_factor, "scale_factor", low=0, low_open=True)
        check_number(self.random_restart_prob, "random_restart_prob", low=0, high=1)
        for name in ("uniform_low", "uniform_high"):
            _bounds(getattr(self, name), name)
        check_number(self.uniform_start_size, "uniform_start_size", low=1, high=_START_ROWS_MAX, integer=True)
        check_number(self.checkpoint_every, "checkpoint_every", low=1, high=_INT64_MAX, integer=True)
        check_number(self.random_init_pct, "random_init_pct", low=0, high=1)
        check_choice(self.projection, "projection", _engine.PROJECTIONS)
        check_number(self.exact_below, "exact_below", low=0, high=_INT64_MAX, integer=True)
        check_number(self.n_candidates, "n_candidates", low=1, high=_INT32_MAX, integer=True)
        if self.n_jobs is not None:  # resolve_n_jobs gives it its meaning, later
            check_number(self.n_jobs, "n_jobs", integer=True)
        check_number(self.verbose, "verbose", integer=True)
        self._check_descent_options()
        check_number(self.spread_threshold, "spread_threshold", low=0, low_open=True)
        check_number(self.spread_cell_rows, "spread_cell_rows", low=0, high=_INT32_MAX, integer=True)
        if self._search == "spread" and self.n_select is None and self._stop_criterion() not in ("in_domain", "data_size"):
            raise ValueError(f"{self._search_named()} orders the pool by the target's domain, not by the estimate, "
                             f"so stop_criterion={self.stop_criterion!r} does not apply: use 'auto' (its in-domain "
                             f"stop), 'in_domain' or 'data_size', or set n_select"
                             + self._to_descent("an estimate's stop"))
        if self._search != "spread" and self.stop_criterion == "in_domain":
            raise ValueError("stop_criterion='in_domain' is the stop of search='spread' (where its in-domain "
                             f"rows run out); {self._search_named()} has no in-domain set")
        check_number(self.hnsw_m, "hnsw_m", low=2, high=_INT32_MAX, integer=True)
        check_number(self.ef_construction, "ef_construction", low=1, high=_INT32_MAX, integer=True)
        check_number(self.ef_search, "ef_search", low=1, high=_INT32_MAX, integer=True)
        for name in ("quantize", "quantize_target", "max_rows_per_cluster", "n_select_rows", "svd_components"):
            if getattr(self, name) is not None:
                check_number(getattr(self, name), name, low=1, integer=True)
        if self.quantize is None and (self.quantize_target is not None or self.max_rows_per_cluster is not None):
            raise ValueError("quantize_target and max_rows_per_cluster are options of quantize=K; set quantize too")
        if self.n_select_rows is not None and (self.quantize is None or self.n_select is not None):
            raise ValueError("n_select_rows is the budget in pool rows of quantize=K (where n_select counts clusters): "
                             "set quantize, and not n_select" if self.quantize is None else
                             "n_select (clusters) and n_select_rows (rows) are two budgets; set one of them")

    def _check_descent_options(self) -> None:
        """Options only the descent reads: set under another search they would change nothing."""
        if self._search == "descent":
            return
        if self.resets_allowed or self.stop_criterion == "max_resets":
            raise ValueError(f"{self._search_named()} does not refill the pool: resets_allowed and 'max_resets' are "
                             f"options of search='descent'" + self._to_descent("them"))
        defaults = inspect.signature(GIOBase.__init__).parameters
        changed = [f"{name}={getattr(self, name)!r}" for name in _DESCENT_OPTIONS
                   if not _same(getattr(self, name), defaults[name].default)]
        if not changed:
            return
        how = ("scores every available row exactly, one pick at a time" if self._search == "greedy" else
               "takes rows in a fixed order")
        some = "it is an option" if len(changed) == 1 else "they are options"
        raise ValueError(f"{self._search_named()} {how}, so {' and '.join(changed)} would change nothing; {some} of "
                         f"search='descent' (leave {'it' if len(changed) == 1 else 'them'} at the default)"
                         + self._to_descent("them" if len(changed) > 1 else "it"))

    def _search_named(self) -> str:
        """The search as the user set it, for errors: search='auto' says what it resolved to."""
        if self.search == "auto":
            return f"search='auto' ({self._search!r}{', as a target is given' if self._search == 'spread' else ''})"
        return f"search={self.search!r}"

    def _to_descent(self, what: str) -> str:
        return f"; set search='descent' to use {what}" if self.search == "auto" else ""

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X, y=None, *, target=None, init=None, client=None):
        """Run GIO on pool X. target: the sample to preserve (default X); init: start rows.
        y: labels of X's rows or None (ignored; the target is passed as ``target=``).
        X may be a dask.array.Array with quantize=K, search='descent' or 'greedy': it runs on the
        distributed.Client `client` (default: the active one) with the one-process result (docs/dask.md)."""
        self._check_params(target_given=target is not None)
        run_seed, start_seed, quant_seed = seeds_from(self.random_state, 3)
        pool, tgt, start, ids = self._inputs(X, target, init, quant_seed, client)
        check_labels(y, pool)
        self._check_sizes(pool, tgt)
        # The core needs pool and target in one dtype: a float32 pool meets a float64 target as a copy.
        converts = common_dtype(pool, tgt, *(a for a in (start,) if a is not None)) != pool.dtype
        # a Dask pool: what the client holds (the workers hold the rows and their index)
        params = dict(self._params(), on_dask=_dask.is_pool(pool))
        if params["on_dask"]:
            params["dask_shards"] = pool.array.numblocks[0]
        refuse_if_too_large(pool.shape[0], tgt.shape[0], pool.shape[1], pool.dtype, params, converts)
        gio_pool, gio_tgt, quant = self._quantized(pool, tgt, quant_seed)
        dtype = common_dtype(gio_pool, gio_tgt, *(a for a in (start,) if a is not None))
        gio_pool, gio_tgt = gio_pool.astype(dtype, copy=False), gio_tgt.astype(dtype, copy=False)

        start_rows = None
        if start is None:
            start, start_rows = self._default_start(gio_pool, gio_tgt, start_seed)
        start = np.ascontiguousarray(start, dtype=dtype)
        return self._run(gio_pool, gio_tgt, start, start_rows, run_seed,
                         pool=pool, tgt=tgt, ids=ids, quant=quant, quant_seed=quant_seed)

    def _check_sizes(self, pool, tgt) -> None:
        """The parameters that must fit the data's sizes (fit, and resume with a checkpoint's)."""
        if tgt.shape[0] <= self.k:
            raise ValueError(f"target has {tgt.shape[0]} rows; k={self.k} needs more than k rows "
                             f"(n_samples={tgt.shape[0]}, at least {self.k + 1} needed): lower k or pass a "
                             f"larger target")
        for name, count, rows, what in (("quantize", self.quantize, pool.shape[0], "pool"),
                                        ("quantize_target", self.quantize_target, tgt.shape[0], "target")):
            if count is not None and count > rows:
                raise ValueError(f"{name}={count} clusters exceeds the {what}'s {rows} rows; lower {name}")
        if self.quantize_target is not None and self.quantize_target <= self.k:
            raise ValueError(f"quantize_target={self.quantize_target} leaves the target {self.quantize_target} "
                             f"rows; k={self.k} needs more than k")
        choices = pool.shape[0] if self.quantize is None else self.quantize
        if self.n_select is not None and self.n_select > choices and not self.resets_allowed:
            what = f"pool's {choices} rows" if self.quantize is None else f"{choices} clusters"
            raise ValueError(f"n_select={self.n_select} exceeds the {what}; lower n_select or set resets_allowed=True")

    def _inputs(self, X, target, init, svd_seed, client=None):
        """(pool, target, init) as matrices of one width, in the space GIO runs in, and the
        fingerprints of pool and target as given. DataFrames are matched by column name; with
        svd_components, sparse or dense inputs are mapped by a TruncatedSVD fitted on the pool.
        A Dask pool (or client=) becomes a _dask.DaskPool, read on the workers."""
        if client is not None or _dask.is_dask_array(X):
            return _dask.inputs(self, X, target, init, client)
        svd = self.svd_components is not None
        if not svd:  # refused before any pass over the data, with the option that accepts it
            for name, a in (("X (the pool)", X), ("target", target), ("init", init)):
                if sparse.issparse(a):
                    raise TypeError(_sparse.refusal(a, name, selector=True))
        pool = as_matrix(X, "X (the pool)", accept_sparse=svd)
        _check_features(self, X, reset=True)
        columns = getattr(X, "columns", None)
        tgt = pool if target is None else as_matrix(in_pool_order(target, columns, "target"), "target",
                                                    accept_sparse=svd)
        start = None if init is None else as_matrix(in_pool_order(init, columns, "init"), "init", accept_sparse=svd)
        same_width({"X (the pool)": pool, "target": tgt, "init": start})
        pool_id = fingerprint(pool)
        ids = (pool_id, pool_id if tgt is pool else fingerprint(tgt))
        self.__dict__.pop("svd_", None)
        if svd:
            self.svd_ = _sparse.fit_svd(pool, int(self.svd_components), svd_seed ^ 2)
            mapped = _sparse.reduce(self.svd_, pool)
            tgt = mapped if tgt is pool else _sparse.reduce(self.svd_, tgt)
            pool, start = mapped, _sparse.reduce(self.svd_, start)
        return pool, tgt, start, ids

    def _quantized(self, pool, tgt, seed):
        """What GIO runs on: (pool, target, None), or with quantize the cluster centres of the pool
        (and of the target with quantize_target) and the pool's Quantization."""
        if self.quantize is None:
            return pool, tgt, None
        with phase(self.verbose, f"quantize: K-means of {pool.shape[0]:,} pool rows into {self.quantize:,} clusters"):
            kmeans = _dask.kmeans if _dask.is_pool(pool) else quantize.kmeans
            quant = kmeans(pool, int(self.quantize), random_state=seed, metric=self.metric, name="X (the pool)")
        if self.quantize_target is not None:
            with phase(self.verbose, f"quantize_target: K-means of {tgt.shape[0]:,} target rows"):
                tgt = quantize.kmeans(tgt, int(self.quantize_target), random_state=seed ^ 1, metric=self.metric,
                                      name="target").centers
        return quant.centers, tgt, quant

    def _run(self, gio_pool, gio_tgt, start, start_rows, run_seed, resume=None, *, pool, tgt, ids, quant, quant_seed):
        params = self.get_params()
        core = {name: value for name, value in self._params().items() if name in _engine.CORE_FIELDS}
        core.update(v_init=self._v_init(), stop_criterion=self._stop_criterion(), max_picks=self.max_iter,
                    n_threads=resolve_n_jobs(self.n_jobs), seed=run_seed, reference_semantics=False)
        if self.n_select_rows is not None:  # every cluster in pick order; _cut_to_rows keeps the prefix
            core["n_select"] = gio_pool.shape[0]
        opts = _engine.make_options(**core)
        pool_id = ids[0]  # of the inputs as given (a sparse pool's own, not its SVD's)
        meta = dict(params=_json_params(params), run_seed=run_seed, quant_seed=quant_seed, pool=pool_id,
                    target=ids[1], init_indices=None if start_rows is None else np.asarray(start_rows).tolist())
        exact = core.get("n_select") is not None
        hooks = StepHooks(callback=self.callback, verbose=self.verbose, path=self.checkpoint,
                          every=self.checkpoint_every, meta=meta, init=start, exact_total=exact,
                          total=core["n_select"] if exact else min(self.max_iter or gio_pool.shape[0], gio_pool.shape[0]))
        if self.verbose > 0:  # the core's set-up runs before the first pick is drawn
            sys.stderr.write(f"gioselect: {self._search} on {gio_pool.shape[0]:,} rows, target {gio_tgt.shape[0]:,} "
                             f"rows: target statistics{self._index_phase(gio_pool.shape[0])} first\n")
        t0 = time.perf_counter()
        # target_ is what the run preserved: with quantize_target its centres (the full target's
        # k-NN estimate would cost n^2 distances, which quantize_target exists to avoid)
        done = dict(start=start, start_rows=start_rows, pool=pool, tgt=gio_tgt if self.quantize_target else tgt,
                    quant=quant, pool_id=pool_id, t0=t0)
        if resume is not None and resume.stop_reason:  # a finished run's checkpoint
            return self._store(resume, **done)
        try:
            runner = _dask.run if _dask.is_pool(gio_pool) else _engine.run  # a Dask pool's shards
            res = runner(gio_pool, gio_tgt, start, opts, on_step=hooks.on_step if hooks.active else None,
                         on_checkpoint=hooks.on_checkpoint, resume=resume)
        except KeyboardInterrupt:
            if hooks.last_state is not None:  # Ctrl-C: the selector keeps the picks made so far
                hooks.last_state.stop_reason = "interrupted"
                self._store(hooks.last_state, **done)
            raise
        hooks.finish(res)
        return self._store(res, **done)

    def _store(self, res, *, start, start_rows, pool, tgt, quant, pool_id, t0):
        """The fitted attributes from a core Result (a finished or an interrupted run)."""
        self.fit_seconds_ = time.perf_counter() - t0
        self.selected_indices_ = np.asarray(res.selected, dtype=np.int64)
        kl_trace, stop_reason = res.kl_trace, res.stop_reason
        if quant is not None:
            self.selected_clusters_ = self.selected_indices_
            self.selected_indices_ = quantize.explode(quant.labels, quant.sq_dist, self.selected_clusters_,
                                                      self.max_rows_per_cluster)
            if self.n_select_rows is not None:
                kl_trace = kl_trace[:self._cut_to_rows(quant.labels)]
                if stop_reason != "interrupted":
                    reached = len(self.selected_indices_) == self.n_select_rows
                    stop_reason = "n_select_rows" if reached else "pool exhausted"
            self.cluster_labels_, self.cluster_centers_ = quant.labels, quant.centers
            self.quantize_seconds_ = quant.seconds
            self.fit_seconds_ += quant.seconds
        else:  # a refit without quantize leaves no clustering of an earlier fit behind
            for name in ("selected_clusters_", "cluster_labels_", "cluster_centers_", "quantize_seconds_"):
                self.__dict__.pop(name, None)
        self.objective_trace_ = np.asarray(kl_trace, dtype=np.float64)
        self.objective_start_ = float(res.kl_start)
        self.stop_reason_ = stop_reason
        self.search_ = self._search
        self._record_lowest_pick()
        self.n_iter_ = int(res.n_iter)
        self.n_resets_ = int(res.n_resets)
        self.scale_factor_ = float(res.scale_factor)
        self.init_ = start
        self.init_indices_ = start_rows
        self.target_ = tgt
        self.support_ = np.zeros(pool.shape[0], dtype=bool)
        self.support_[self.selected_indices_] = True
        self.n_pool_ = pool.shape[0]
        self._pool_fingerprint = pool_id
        # The selection's own k-NN estimate, for score(): the rows are kept so that a held-out
        # target can be scored later (a Dask pool's stay on its workers, which estimate there).
        # After Ctrl-C it is left to score(), to keep the stop prompt.
        self._selected_rows = (_dask.selected_rows if _dask.is_pool(pool) else take_rows)(pool, self.selected_indices_)
        self.selection_kl_ = np.nan
        if stop_reason != "interrupted":  # the core's, where it had the selection (not centres)
            own = float(getattr(res, "selection_kl", np.nan))
            self.selection_kl_ = own if quant is None and np.isfinite(own) else self._selection_kl(tgt)
        log.info("GIO picked %d of %d rows in %.3fs (%s objective %.4g -> %.4g; selection k-NN KL %.4g; stop: %s)",
                 len(self.selected_indices_), pool.shape[0], self.fit_seconds_, self.objective,
                 self.objective_start_, self.objective_trace_[-1] if len(self.objective_trace_) else
                 self.objective_start_, self.selection_kl_, self.stop_reason_)
        return self

    def _record_lowest_pick(self) -> None:
        """lowest_objective_pick_: after how many picks the estimate was lowest. When n_select forced
        an estimate-driven search (descent, greedy) past it and the estimate rose by more than 5% of
        what the picks had gained (a wiggle at the end is not a trend), warn once: the picks after it
        move the selection away from the target. The ordered searches ('nearest', 'spread') follow
        their own order by design and are not warned about."""
        trace = self.objective_trace_
        self.lowest_objective_pick_ = int(np.argmin(trace)) + 1 if len(trace) else 0
        if (self.n_select is None or self._search not in ("descent", "greedy") or self.stop_reason_ == "interrupted"
                or self.lowest_objective_pick_ in (0, len(trace))):
            return
        low, last = trace[self.lowest_objective_pick_ - 1], trace[-1]
        gained = max(self.objective_start_ - low, 1e-9 * max(1.0, abs(low)))
        if last - low > 0.05 * gained:
            warnings.warn(f"the {self.objective} estimate was lowest after pick {self.lowest_objective_pick_} "
                          f"({low:.6g}) and rose to {last:.6g} by pick {len(trace)}: n_select={self.n_select} forced "
                          f"{len(trace) - self.lowest_objective_pick_} picks that move the selection away from the "
                          f"target (selected_indices_[:lowest_objective_pick_] is the closest prefix; leave n_select "
                          f"unset to stop on the estimate)", UserWarning, stacklevel=5)

    def _selection_kl(self, tgt) -> float:
        """k-NN estimate of KL(tgt || the selected rows) with this selector's k; NaN while fewer
        than k rows are selected (the estimate needs a k-th neighbour)."""
        if len(self._selected_rows) < self.k:
            return np.nan
        if isinstance(self._selected_rows, RowsOnWorkers):
            return self._selected_rows.knn_kl(tgt, self.k, self.n_jobs, self.metric)
        return knn_kl(tgt, self._selected_rows, k=self.k, n_jobs=self.n_jobs, metric=self.metric)

    def _index_phase(self, rows: int) -> str:
        """What the core builds before its first pick, besides the target statistics."""
        if self._search == "greedy":
            return ", the scores of every row" if self.objective == "knn" else ", a ranking of every row"
        if self.projection == "hnsw" or (self.projection == "auto" and rows > self.exact_below):
            return f", an HNSW index of {rows:,} rows"
        return ""

    def _cut_to_rows(self, labels) -> int:
        """n_select_rows: keep the cluster picks up to the first whose rows reach the budget, and
        exactly n_select_rows rows (the last cluster's nearest its centre). A run's first j picks
        are the picks of a run stopped after j, so this is the run that stops at the budget.
        Returns the number of cluster picks kept."""
        sizes = np.bincount(labels, minlength=int(self.selected_clusters_.max(initial=0)) + 1)
        if self.max_rows_per_cluster is not None:
            sizes = np.minimum(sizes, self.max_rows_per_cluster)
        _, first = np.unique(self.selected_clusters_, return_index=True)
        new = np.zeros(len(self.selected_clusters_), dtype=bool)
        new[first] = True  # a cluster picked again (after a reset) brings no new rows
        rows = np.cumsum(np.where(new, sizes[self.selected_clusters_], 0))
        kept = int(np.searchsorted(rows, self.n_select_rows)) + 1  # the first pick that reaches the budget
        self.selected_clusters_ = self.selected_clusters_[:kept]
        self.selected_indices_ = self.selected_indices_[:self.n_select_rows]
        return kept

    @classmethod
    def resume(cls, path, X, y=None, *, target=None, client=None):
        """Continue the run checkpointed at `path` on the same pool X and target; returns the
        fitted selector, with exactly the selection the uninterrupted run would have made. A Dask
        pool (the same array: its name is checked) resumes on any cluster, as fit runs it."""
        state, header, start = checkpoint.load(path)
        rows = header["init_indices"]
        if header.get("stop_reason"):
            state.stop_reason = header["stop_reason"]
        unknown = sorted(set(header["params"]) - set(_json_params(cls().get_params())))
        if unknown:
            raise ValueError(f"{path}: params holds {unknown[0]!r}, not a parameter a checkpoint of {cls.__name__} "
                             f"carries")
        sel = cls(**header["params"])
        sel.checkpoint = path
        quant_seed = header["quant_seed"]
        try:  # a checkpoint's parameters are input too
            sel._check_params(target_given=target is not None)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        pool, tgt, _, ids = sel._inputs(X, target, None, quant_seed, client)  # the same seed: the same SVD
        for name, data_id in (("pool", ids[0]), ("target", ids[1])):
            if data_id != header[name]:
                raise ValueError(f"{'X' if name == 'pool' else 'target'} is not the {name} of the checkpointed run "
                                 f"{path} (its shape or rows differ); resume needs the same {name}")
        try:
            sel._check_sizes(pool, tgt)
            if start.shape[1] != pool.shape[1]:
                raise ValueError(f"init has {start.shape[1]} columns, the pool {pool.shape[1]}")
            if rows is not None and max(rows, default=0) >= pool.shape[0]:
                raise ValueError(f"init_indices holds row {max(rows)}, outside the pool's {pool.shape[0]} rows")
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        gio_pool, gio_tgt, quant = sel._quantized(pool, tgt, quant_seed)  # the same seed: the same clusters
        try:  # also for a finished run's checkpoint, which never reaches the core's loop
            _core.check_resumable(state, gio_pool.shape[0], gio_tgt.shape[0])
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        dtype = start.dtype.type
        gio_pool, gio_tgt = gio_pool.astype(dtype, copy=False), gio_tgt.astype(dtype, copy=False)
        try:
            return sel._run(gio_pool, gio_tgt, start, None if rows is None else np.asarray(rows, dtype=np.int64),
                            header["run_seed"], resume=state, pool=pool, tgt=tgt, ids=ids, quant=quant,
                            quant_seed=quant_seed)
        except ValueError as e:  # e.g. a descent that diverges with the checkpoint's scale_factor
            raise ValueError(f"resuming {path}: {e}") from None

    def _params(self) -> dict:
        """get_params() with search='auto' resolved (what the core and the memory model read)."""
        return dict(self.get_params(), search=self._search)

    def _stop_criterion(self) -> str:
        if self.stop_criterion != "auto":
            return self.stop_criterion
        return "in_domain" if self._search == "spread" else "sequential_increase_tolerance"

    def _v_init(self) -> str:
        if self.v_init != "auto":
            return self.v_init
        return "worst" if self.objective == "knn" else "jump"

    def _default_start(self, pool, tgt, seed):
        """Start rows: random pool rows (random_init_pct) or uniform points in the target's box."""
        # The k-NN estimate needs k start rows before nu_k exists, the relaxed one needs one (two with
        # discard_nearest_for_xy). The core checks init too, but cannot name these parameters.
        need, why = ((self.k, f"objective='knn' needs k={self.k}") if self.objective == "knn" else
                     (2, "discard_nearest_for_xy=True needs 2") if self.discard_nearest_for_xy else (1, "GIO needs 1"))
        if self.random_init_pct > 0:
            rows = _core.random_pool_rows(pool.shape[0], float(self.random_init_pct), seed)
            if len(rows) < need:
                raise ValueError(f"random_init_pct={self.random_init_pct} of {pool.shape[0]} pool rows selects "
                                 f"{len(rows)} start rows; {why}: raise it or pass init")
            return pool[rows], rows
        if self.uniform_start_size < need:
            raise ValueError(f"uniform_start_size={self.uniform_start_size} start rows; {why}: raise it or pass init")
        if self.metric == "cosine":  # the box of the rows the core compares: scaled to unit length
            norms = np.linalg.norm(tgt, axis=1, keepdims=True)
            tgt = tgt / np.where(norms > 0, norms, 1)  # a zero row is refused by the core, by name
        d = tgt.shape[1]
        low = tgt.min(axis=0) if self.uniform_low is None else _bounds(self.uniform_low, "uniform_low", d)
        high = tgt.max(axis=0) if self.uniform_high is None else _bounds(self.uniform_high, "uniform_high", d)
        if not (np.asarray(low) <= np.asarray(high)).all():
            raise ValueError(f"uniform_low must be <= uniform_high in every column, got {self.uniform_low!r} and "
                             f"{self.uniform_high!r} (None: the target's bounding box)")
        start = _core.uniform_start(int(self.uniform_start_size), tgt.shape[1],
                                    np.asarray(low, dtype=np.float64).tolist(),
                                    np.asarray(high, dtype=np.float64).tolist(), bool(self.normalize), seed)
        return start, None

    # -- using the selection ---------------------------------------------------------------
    def _check_same_pool(self, X) -> np.ndarray:
        check_is_fitted(self, "selected_indices_")
        if _dask.is_dask_array(X):  # as_matrix would bring the whole pool here
            raise TypeError("X is a Dask array: index it with the selection instead, X[selector.selected_indices_]")
        pool = as_matrix(X, "X", accept_sparse="svd_" in self.__dict__)
        _check_features(self, X, reset=False)
        if pool.shape[0] != self.n_pool_:
            raise ValueError(f"X has shape {pool.shape}, but this selector was fitted on a pool of shape "
                             f"({self.n_pool_}, {self.n_features_in_}); transform only selects rows of the "
                             f"pool it was fitted on (use selected_indices_ to index other arrays)")
        if fingerprint(pool) != self._pool_fingerprint:
            raise ValueError("X is not the pool this selector was fitted on (its rows differ); "
                             "transform only selects rows of the fitted pool")
        return pool

    def fit_resample(self, X, y, *, target=None, init=None):
        """(X[sel], y[sel]): the imbalanced-learn sampler interface (pandas keep their index)."""
        sel = self.fit(X, y, target=target, init=init).selected_indices_
        return _take_rows(X, sel), _take_rows(y, sel)

    def score(self, X=None, y=None, *, target=None):
        """Minus the k-NN estimate of KL(target || the selection this fit made), with this
        selector's k: greater is better, as scikit-learn's model selection expects.

        target: the sample to judge the selection against; None: the target given to fit (then
        this is ``-selection_kl_``). A held-out sample of the target's distribution gives an
        honest score; the fitted target is the one the selection was optimised for.
        X, y: not used for the score. They are accepted (and X's features checked) because
        cross-validation calls ``score(X_test, y_test)`` with a fold of the *pool*: that fold says
        nothing about how well the selection preserves the target. To estimate the KL of any
        other rows, use ``gioselect.knn_kl(T, rows, k)``."""
        check_is_fitted(self, "selected_indices_")
        if X is not None:
            _check_features(self, X, reset=False)
        if target is None:
            if self.stop_reason_ != "interrupted":
                return -self.selection_kl_
            return -self._selection_kl(self.target_)
        svd = self.__dict__.get("svd_")
        tgt = as_matrix(in_pool_order(target, getattr(self, "feature_names_in_", None), "target"), "target",
                        accept_sparse=svd is not None)
        if tgt.shape[1] != self.n_features_in_:
            raise ValueError(f"feature counts differ: target has {tgt.shape[1]} columns, the fitted pool "
                             f"{self.n_features_in_}; all must have the same number of columns")
        if svd is not None:  # into the space the selection was made in
            tgt = _sparse.reduce(svd, tgt)
        if tgt.shape[0] <= self.k:
            raise ValueError(f"target has {tgt.shape[0]} rows; k={self.k} needs more than k rows")
        return -self._selection_kl(tgt)

    # Names of the 0.1 releases; the objective's estimate is not the selection's (see selection_kl_).
    @property
    def kl_trace_(self):
        return self._renamed("kl_trace_", "objective_trace_")

    @property
    def kl_start_(self):
        return self._renamed("kl_start_", "objective_start_")

    def _renamed(self, old: str, new: str):
        if new not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} has no attribute {old!r} (it is set by fit)")
        warnings.warn(f"{old} is renamed {new}: the objective's estimate ({self.objective!r}, of the start rows and "
                      f"the picks); selection_kl_ is the k-NN estimate of the selected rows alone. {old} will "
                      f"be removed in 0.2", FutureWarning, stacklevel=3)
        return self.__dict__[new]

    def plot_trace(self, ax=None):
        """The objective's estimate per pick with the stop reason marked (needs matplotlib)."""
        check_is_fitted(self, "selected_indices_")
        from gioselect.plot import plot_trace

        return plot_trace(self, ax=ax)

    def plot_selection(self, X, target=None, ax=None, labels=None):
        """Pool, target and selection in 2-D, in the target's first two principal axes when
        d > 2; labels (one per pool row, e.g. classes) colour the selected rows (needs matplotlib)."""
        self._check_same_pool(X)
        from gioselect.plot import plot_selection

        if "svd_" in self.__dict__:  # drawn in the space the selection was made in
            X, target = _sparse.reduce(self.svd_, X), _sparse.reduce(self.svd_, target)
        return plot_selection(self, X, target=target, ax=ax, labels=labels)

    # -- scikit-learn integration -----------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.svd_components is not None  # the TruncatedSVD route
        return tags

    def get_metadata_routing(self):
        """As scikit-learn does for fit_transform, fit_resample requests what fit requests:
        imbalanced-learn's Pipeline routes its fit metadata (e.g. target) to fit_resample."""
        routing = super().get_metadata_routing()
        resample = getattr(routing, "fit_resample", None)  # exists once imbalanced-learn is imported
        if resample is not None:
            for param, alias in routing.fit.requests.items():
                resample.add_request(param=param, alias=alias)
        return routing


def _bounds(value, name, columns=None):
    """uniform_low/uniform_high as finite float64 values, one or one per column (None stays None)."""
    if value is None:
        return None
    try:
        a = np.atleast_1d(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or a list of numbers, got {value!r}") from None
    if a.ndim != 1 or a.size == 0 or not np.isfinite(a).all():
        raise ValueError(f"{name} must be a finite number or a list of finite numbers, got {value!r}")
    if columns is not None and a.size not in (1, columns):
        raise ValueError(f"{name} has {a.size} values; the data has {columns} columns (give 1 or {columns})")
    return a


def _check_features(selector, X, *, reset):
    """n_features_in_ and feature_names_in_ (set on fit, compared on transform) with scikit-learn's
    messages; the values themselves are checked by as_matrix."""
    validate_data(selector, X, reset=reset, skip_check_array=True)


def _take_rows(a, idx):
    """Rows idx of a: pandas objects keep their index (iloc), sparse matrices stay sparse (CSR),
    anything else becomes an array."""
    if a is None:
        return None
    if sparse.issparse(a):
        return a.tocsr()[idx]
    if _dask.is_dask_array(a):  # stays on the workers, lazily
        return a[idx]
    if hasattr(a, "iloc"):
        return a.iloc[idx]
    return np.asarray(a)[idx]


def _json_params(params: dict) -> dict:
    """The parameters a checkpoint can carry: plain values (not callbacks or generator objects)."""
    keep = {}
    for name, value in params.items():
        if name in ("callback", "checkpoint"):
            continue
        if isinstance(value, (bool, int, float, str, type(None))):
            keep[name] = value
    return keep
