"""The feature spaces GIO and the classifier share, fitted without labels on the pool's pixels.

Two kinds, so a result that holds in only one of them shows: PCA (a data-adapted linear
compression, dominated by the pool's majority, i.e. the shifted images) and a Gaussian random
projection (data-independent, distances roughly preserved).
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.random_projection import GaussianRandomProjection

REPRESENTATIONS = {
    "pca": lambda seed: PCA(n_components=50, random_state=seed),
    "rp": lambda seed: GaussianRandomProjection(n_components=64, random_state=seed),
}


def embed(name: str, seed: int, pool, others: dict, factories=REPRESENTATIONS) -> tuple[np.ndarray, dict]:
    """Fit representation `name` (of `factories`: name -> seed -> transformer) on the pool; return the
    pool and every array of `others` in it (float32, C-contiguous, as gioselect wants them)."""
    model = factories[name](seed).fit(pool)

    def to(a):
        return np.ascontiguousarray(model.transform(a), dtype=np.float32)

    return to(pool), {key: to(a) for key, a in others.items()}
