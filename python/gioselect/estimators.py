"""The KL estimators as functions, with the package's input checks."""

from __future__ import annotations

import numpy as np

from gioselect import _core
from gioselect._validation import as_matrix, check_choice, check_number, common_dtype, resolve_n_jobs, same_width

_METRICS = tuple(_core.option_names("metric"))


def _pair(X, W, k):
    check_number(k, "k", low=1, integer=True)
    xs, ws = as_matrix(X, "X"), as_matrix(W, "W")
    same_width({"X": xs, "W": ws})
    if xs.shape[0] <= k:
        raise ValueError(f"X has {xs.shape[0]} rows; k={k} needs more than k rows")
    dtype = common_dtype(xs, ws)
    return xs.astype(dtype, copy=False), ws.astype(dtype, copy=False)


def knn_kl(X, W, k: int = 5, n_jobs=None, *, metric: str = "euclidean") -> float:
    """Exact k-NN estimate of KL(X || W) (Wang, Kulkarni & Verdu 2009; DESIGN.md §2b): how much
    information about the sample X is lost by describing it with the set W. Lower is better;
    useful to compare selections of equal size against the same X. Distances are measured in units
    of X's spread about its mean, so scaling or shifting X and W together changes nothing.
    metric='cosine': between the rows scaled to unit length (points on the sphere, of dimension d - 1)."""
    xs, ws = _pair(X, W, k)
    check_choice(metric, "metric", _METRICS)
    return float(_core.knn_kl(xs, ws, int(k), resolve_n_jobs(n_jobs), metric))


def relaxed_kl(X, W, k: int = 5, eps: float = 1e-8, discard_nearest_for_xy: bool = False, n_jobs=None, *,
               absolute_clip: bool = False, metric: str = "euclidean") -> float:
    """The relaxed k-NN estimate of KL(X || W) that ``objective='relaxed'`` minimises
    (grad-info-opt's formula, DESIGN.md §2a): the ``objective_trace_`` of a fit, recomputed. Distances are
    clipped and eps added in units of X's spread about its mean, as in a fit; absolute_clip=True
    does it in the data's own units, as grad-info-opt (and gioselect.compat) does. metric: as knn_kl."""
    xs, ws = _pair(X, W, k)
    check_number(eps, "eps", low=0)
    check_choice(metric, "metric", _METRICS)
    return float(_core.relaxed_kl(xs, ws, int(k), float(eps), bool(discard_nearest_for_xy), resolve_n_jobs(n_jobs),
                                  absolute_clip=bool(absolute_clip), metric=metric))


def relaxed_kl_gradient(X, W, v, k: int = 5, eps: float = 1e-8, discard_nearest_for_xy: bool = False, n_jobs=None,
                        *, absolute_clip: bool = False) -> np.ndarray:
    """Gradient of relaxed_kl(X, W + {v}) with respect to v (the same units as relaxed_kl)."""
    xs, ws = _pair(X, W, k)
    check_number(eps, "eps", low=0)
    return _core.relaxed_kl_gradient(xs, ws, np.asarray(v, dtype=np.float64), int(k), float(eps),
                                     bool(discard_nearest_for_xy), resolve_n_jobs(n_jobs),
                                     absolute_clip=bool(absolute_clip))
