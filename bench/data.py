"""Seeded synthetic problems shared by the benchmarks.

Pool and target are float32 Gaussian mixtures in d dimensions: `n_clusters` centres drawn from
N(shift, spread^2 I), each point a centre plus N(0, I) noise. The pool draws from every cluster,
the target only from the first half of them. The start rows are the reference's "uniform start"
made explicit: U[-1, 1]^d rows scaled to unit norm (float64), drawn with default_rng(seed).
The shift keeps the data away from those unit-norm rows, so the KL falls as GIO picks (with
shift=0 the start rows already sit at the target's centre and every pick raises the relaxed KL).
"""

from __future__ import annotations

import numpy as np


def mixture(rng, centres, n):
    labels = rng.integers(0, len(centres), n)
    return (centres[labels] + rng.standard_normal((n, centres.shape[1]))).astype(np.float32)


def make_problem(n_pool=2000, n_target=500, d=64, n_start=20, n_clusters=16, spread=1.0, shift=3.0,
                 seed=0):
    """(pool, target, init): pool float32 (n_pool, d), target float32 (n_target, d), init float64."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(shift, spread, (n_clusters, d))
    pool = mixture(rng, centres, n_pool)
    target = mixture(rng, centres[: max(1, n_clusters // 2)], n_target)
    init = np.random.default_rng(seed).uniform(-1.0, 1.0, (n_start, d))
    init /= np.linalg.norm(init, axis=1, keepdims=True)
    return pool, target, init
