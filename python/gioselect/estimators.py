"""The KL estimators as functions, with the package's input checks."""

from __future__ import annotations

from gioselect import _core
from gioselect._validation import as_matrix, check_number, common_dtype, resolve_n_jobs, same_width


def knn_kl(X, W, k: int = 5, n_jobs=None) -> float:
    """Exact k-NN estimate of KL(X || W) (Wang, Kulkarni & Verdu 2009; DESIGN.md §2b): how much
    information about the sample X is lost by describing it with the set W. Lower is better;
    useful to compare selections of equal size against the same X."""

    check_number(k, "k", low=1, integer=True)
    xs, ws = as_matrix(X, "X"), as_matrix(W, "W")
    same_width({"X": xs, "W": ws})
    if xs.shape[0] <= k:
        raise ValueError(f"X has {xs.shape[0]} rows; k={k} needs more than k rows")
    dtype = common_dtype(xs, ws)
    return float(_core.knn_kl(xs.astype(dtype, copy=False), ws.astype(dtype, copy=False), int(k),
                              resolve_n_jobs(n_jobs)))
