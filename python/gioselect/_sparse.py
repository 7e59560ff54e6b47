"""Sparse input (e.g. TF-IDF): refused with the way out, or reduced with a TruncatedSVD on request.

GIO's distances need dense rows, and densifying a TF-IDF matrix costs rows x vocabulary floats
(0.69 GiB for 5,000 documents). The right route is a TruncatedSVD to a few hundred dimensions:
the user's own (README, "Sparse input"), or ``svd_components=C``, which fits one on the pool and
maps pool, target and init with it, so that all three are in the same space.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

SUGGESTED_COMPONENTS = 256


def refusal(a, name: str, *, selector: bool) -> str:
    """Why sparse `a` is refused, what .toarray() would cost, and what to do instead."""
    rows, cols = a.shape
    dense = rows * cols * (4 if a.dtype in (np.float32, np.float16) else 8)  # what as_matrix would make
    size = f"{dense / 2**30:.2f} GiB" if dense >= 2**28 else f"{dense / 2**20:.1f} MiB"
    density = a.nnz / max(1, rows * cols)
    fix = (f"set svd_components={SUGGESTED_COMPONENTS}: a TruncatedSVD fitted on the pool maps pool, target and "
           f"init to {SUGGESTED_COMPONENTS} dense columns (the fitted SVD is kept in svd_); or fit "
           f"sklearn.decomposition.TruncatedSVD on the pool yourself and pass its output for pool and target"
           if selector else
           f"reduce it with sklearn.decomposition.TruncatedSVD(n_components={SUGGESTED_COMPONENTS}) fitted on the pool, "
           f"and apply that SVD to every input")
    return (f"{name} is a scipy.sparse matrix ({rows} x {cols}, {100 * density:.2g}% non-zero); GIO needs dense "
            f"rows, and .toarray() would take {size}. Instead {fix} (README, \"Sparse input\")")


def as_csr(a, name: str):
    """Sparse `a` as a CSR matrix of float32/float64 values, checked as as_matrix checks dense input."""
    if len(a.shape) != 2:
        raise ValueError(f"{name} must be 2-D (n_rows, n_features), got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {a.shape}; expected at least one row and one feature")
    if np.issubdtype(a.dtype, np.complexfloating) or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise ValueError(f"{name} must hold real numbers, got dtype {a.dtype}")
    csr = sparse.csr_matrix(a)
    if csr.dtype not in (np.float32, np.float64):
        csr = csr.astype(np.float32 if csr.dtype == np.float16 else np.float64)
    bad = np.flatnonzero(~np.isfinite(csr.data))
    if len(bad):
        j = bad[0]
        row = int(np.searchsorted(csr.indptr, j, side="right")) - 1
        raise ValueError(f"{name} contains NaN or inf (first at row {row}, column {csr.indices[j]}, "
                         f"value {csr.data[j]})")
    return csr


def fit_svd(pool, n_components: int, seed: int):
    """A TruncatedSVD of the pool (sparse or dense) with n_components, seeded."""
    from sklearn.decomposition import TruncatedSVD

    most = min(pool.shape)
    if n_components > most:
        raise ValueError(f"svd_components={n_components} exceeds what the pool of shape {pool.shape} has "
                         f"(at most min(rows, features) = {most}); lower svd_components")
    return TruncatedSVD(n_components=n_components, random_state=seed % 2**32).fit(pool)


def reduce(svd, a) -> np.ndarray | None:
    """`a` (sparse or dense, or None) in the SVD's space, as a C-contiguous float array."""
    return None if a is None else np.ascontiguousarray(svd.transform(a))
