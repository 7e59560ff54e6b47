"""Drop-in replacement for grad-info-opt 0.1.2's ``GIO.GIOKL`` (no JAX, no Spark).

Switch by changing one import::

    from gioselect.compat import GIOKL   # was: from GIO import GIOKL

``fit`` keeps the reference's parameters, defaults and return value ``(W, kl_divs, state)`` and
reproduces its behaviour, quirks included:

* ``max_iter=T`` keeps T+1 points;
* the 'sequential_increase_tolerance' counter only moves when a stop is triggered right after a
  reset, so that criterion never fires on its own, and 'max_resets' never resets (it accepts picks
  that raise the KL);
* ``scale_factor='auto'`` is ``|v0| / |grad(v0)|`` as in the reference;
* ``random_init_pct`` start rows stay in the pool; a reset refills the pool with every row.

Differences: an exhausted pool ends the run (the reference raises IndexError); the start rows and
``v_init='jump'``/random restarts draw from one generator seeded from NumPy's global state
(``np.random.seed`` makes a run repeatable); progress goes to the ``gioselect`` logger instead of
print. The estimator, the KL values and the projection are computed in float64; the descent runs
in float32 with the reference's distance formula, as the reference does (see README, Precision).
"""

from __future__ import annotations

import logging

import numpy as np

from gioselect import _core, _engine
from gioselect._validation import as_matrix, check_choice, common_dtype, resolve_n_jobs, same_width, seeds_from

log = logging.getLogger("gioselect")


class GIOKL:
    def __init__(self, uniform_low=-1, uniform_high=1, uniform_start_size=20, dim=768):
        self.uniform_low = uniform_low
        self.uniform_high = uniform_high
        self.uniform_start_size = uniform_start_size
        self.dim = dim
        self.random_init = False

    def calculate_statistical_distance(self, x, y, k=5, eps=1e-8, discard_nearest_for_xy=False):
        """Relaxed k-NN estimate of KL(x || y), as grad-info-opt computes it."""
        xs, ys = as_matrix(x, "x"), as_matrix(y, "y")
        same_width({"x": xs, "y": ys})
        dtype = common_dtype(xs, ys)
        return float(_core.relaxed_kl(xs.astype(dtype, copy=False), ys.astype(dtype, copy=False),
                                      int(k), float(eps), bool(discard_nearest_for_xy)))

    def _get_uniform_start(self, do_normalize, seed):
        return _core.uniform_start(int(self.uniform_start_size), int(self.dim), [float(self.uniform_low)],
                                   [float(self.uniform_high)], bool(do_normalize), seed)

    def fit(self, train, X, D=None, k=5, max_iter=100, stop_criterion="increase", min_difference=0,
            resets_allowed=False, max_resets=2, max_data_size=1, min_kl=0, max_sequential_increases=3,
            random_init_pct=0, random_restart_prob=0, scale_factor="auto", v_init="mean", grad_desc_iter=50,
            discard_nearest_for_xy=False, normalize=True, lr=0.01, n_jobs=None):
        """Perform GIO. Returns (W, kl_divs, (v, scale_factor, just_reset, num_resets, increases,
        adder, kl_divs)) where W holds the start rows followed by the picks."""
        pool = as_matrix(train, "train")
        target = as_matrix(X, "X")
        check_choice(stop_criterion, "stop_criterion", _engine.STOP_CRITERIA)
        check_choice(v_init, "v_init", _engine.V_INITS)
        run_seed, start_seed = seeds_from(None, 2)
        if not random_init_pct and D is None:
            start = self._get_uniform_start(normalize, start_seed)
            self.random_init = True
        elif D is None:
            rows = _core.random_pool_rows(pool.shape[0], float(random_init_pct), start_seed)
            start = pool[rows]
        else:
            start = as_matrix(D, "D")
        same_width({"train": pool, "X": target, "D": start})
        dtype = common_dtype(pool, target, start)
        pool, target = pool.astype(dtype, copy=False), target.astype(dtype, copy=False)
        start = np.ascontiguousarray(start, dtype=dtype)

        opts = _engine.make_options(
            k=k, stop_criterion=stop_criterion, min_difference=min_difference, min_kl=min_kl,
            max_data_size=max_data_size, max_sequential_increases=max_sequential_increases,
            resets_allowed=resets_allowed, max_resets=max_resets, v_init=v_init, grad_desc_iter=grad_desc_iter,
            lr=lr, scale_factor=scale_factor, random_restart_prob=random_restart_prob,
            discard_nearest_for_xy=discard_nearest_for_xy, reference_semantics=True, seed=run_seed,
            n_threads=resolve_n_jobs(n_jobs), max_picks=int(max_iter) + 1)
        res = _engine.run(pool, target, start, opts)
        log.info("Starting KL: %s; %d picks, stop: %s", res.kl_start, len(res.selected), res.stop_reason)
        self.selected_indices_ = np.asarray(res.selected, dtype=np.int64)
        self.kl_start_ = float(res.kl_start)
        self.stop_reason_ = res.stop_reason

        W = np.concatenate([start, pool[self.selected_indices_]], axis=0)
        kl_divs = [float(x) for x in res.kl_trace]
        adder = pool[np.asarray(res.remaining, dtype=np.int64)]
        state = (np.asarray(res.v), res.scale_factor, res.just_reset, res.n_resets, res.increases, adder, kl_divs)
        return W, kl_divs, state
