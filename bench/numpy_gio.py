"""Plain float64 numpy transcription of grad-info-opt 0.1.2's ``GIOKL.fit`` (DESIGN.md 2a and 3).

It is both the speed baseline of ``bench/test_speed.py`` and a readable specification of what
``gioselect.compat.GIOKL.fit`` computes, for the subset of options:
v_init='mean', scale_factor='auto', stop on increase (or a fixed number of picks), no resets,
no random restarts, discard_nearest_for_xy=False.

Like the reference, the KL estimate after each pick is recomputed from scratch (an n x |W|
distance matrix). Unlike the reference, the target's own k-NN distances (an n x n matrix that
does not change) are computed once, and the gradient is the closed form instead of autodiff.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-8  # the reference's epsilon inside log(distance + eps)


def clipped_distances(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """sqrt(clip(|x|^2 + |w|^2 - 2 x.w, 1e-10, 1e20)) for every pair, as the reference computes it."""
    sq = (x * x).sum(1)[:, None] + (w * w).sum(1)[None, :] - 2.0 * (x @ w.T)
    return np.sqrt(np.clip(sq, 1e-10, 1e20))


def target_knn_distance(x: np.ndarray, k: int) -> np.ndarray:
    """rho_k(i): the (k+1)-th smallest clipped distance from x_i to x (the smallest is x_i itself)."""
    return np.partition(clipped_distances(x, x), k, axis=1)[:, k]


def relaxed_kl(x: np.ndarray, w: np.ndarray, rho_k: np.ndarray, k: int) -> float:
    """grad-info-opt's KL estimate of KL(x || w): every point of w stands in for the k-th neighbour."""
    n, d = x.shape
    m = w.shape[0]
    cross = d * np.log(clipped_distances(x, w) + EPS).mean()
    own = d * np.log(rho_k + EPS).mean()
    const = np.log(k * m / (np.arange(1, m + 1) * (n - 1))).mean()
    return float(cross - own + const)


def kl_gradient(v: np.ndarray, x: np.ndarray, x_sq: np.ndarray, m: int) -> np.ndarray:
    """Gradient of relaxed_kl(x, W + [v]) with respect to v, |W| = m.

    (d / (n (m+1))) * sum_i (v - x_i) / (delta_i (delta_i + eps)); a target whose squared distance
    is clipped (v on top of it) contributes nothing, as in JAX's derivative of clip.
    """
    n, d = x.shape
    sq = x_sq + v @ v - 2.0 * (x @ v)
    inside = (sq >= 1e-10) & (sq <= 1e20)
    delta = np.sqrt(np.clip(sq, 1e-10, 1e20))
    coef = np.where(inside, 1.0 / (delta * (delta + EPS)), 0.0)
    return d / (n * (m + 1)) * (coef.sum() * v - coef @ x)


def descend(v, x, x_sq, m, scale, lr, steps):
    for _ in range(steps):
        v = v - lr * scale * kl_gradient(v, x, x_sq, m)
    return v


def fit(pool, target, init, k=5, max_iter=100, grad_desc_iter=50, lr=0.01, stop_on_increase=True):
    """Run GIO; returns (selected pool rows in order, KL after each kept pick).

    At most max_iter + 1 picks are kept (the reference's count). With stop_on_increase the run ends
    at the first pick that would raise the KL, and that pick is not kept.
    """
    pool = np.asarray(pool, dtype=np.float64)
    x = np.asarray(target, dtype=np.float64)
    w = np.asarray(init, dtype=np.float64)
    x_sq = (x * x).sum(1)
    rho_k = target_knn_distance(x, k)
    available = np.ones(pool.shape[0], dtype=bool)

    kl_prev = relaxed_kl(x, w, rho_k, k)
    mean = x.mean(0)
    scale = np.linalg.norm(mean) / np.linalg.norm(kl_gradient(mean, x, x_sq, w.shape[0]))

    selected, kl_trace = [], []
    while len(selected) <= max_iter and available.any():
        steps = 3 * grad_desc_iter if not selected else grad_desc_iter
        v = descend(mean, x, x_sq, w.shape[0], scale, lr, steps)

        dist = ((pool - v) ** 2).sum(1)
        dist[~available] = np.inf
        g = int(np.argmin(dist))  # first minimum: ties go to the lowest row
        available[g] = False

        w_new = np.vstack([w, pool[g]])
        kl = relaxed_kl(x, w_new, rho_k, k)
        if stop_on_increase and kl > kl_prev:
            break
        w, kl_prev = w_new, kl
        selected.append(g)
        kl_trace.append(kl)
    return selected, kl_trace
