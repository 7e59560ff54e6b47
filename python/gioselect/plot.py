"""Plots of a fitted GIOSelector (optional: needs matplotlib, the `plot` extra)."""

from __future__ import annotations

import numpy as np


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'gioselect[plot]'") from None
    return plt


def plot_trace(selector, ax=None):
    """KL estimate before the first pick and after each pick, the stop reason marked."""
    plt = _pyplot()
    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.5))[1]
    kl = np.concatenate([[selector.kl_start_], selector.kl_trace_])
    ax.plot(np.arange(len(kl)), kl, color="tab:blue", lw=1.5)
    ax.scatter([len(kl) - 1], [kl[-1]], color="tab:red", zorder=3, label=f"stop: {selector.stop_reason_}")
    ax.set_xlabel("picks")
    ax.set_ylabel("KL(target || start rows + picks)")
    ax.set_title(f"GIO: {len(selector.kl_trace_)} picks, KL {kl[0]:.3g} -> {kl[-1]:.3g}")
    ax.legend(loc="upper right", frameon=False)
    ax.grid(alpha=0.3)
    return ax


def plot_selection(selector, X, target=None, ax=None, max_points=5000, random_state=0):
    """Pool, target and selected rows in 2-D (the first two principal components when d > 2)."""
    plt = _pyplot()
    pool = np.asarray(X, dtype=np.float64)
    tgt = pool if target is None else np.asarray(target, dtype=np.float64)
    sel = pool[selector.selected_indices_]
    if pool.shape[1] > 2:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=random_state).fit(np.vstack([pool, tgt]))
        pool, tgt, sel = pca.transform(pool), pca.transform(tgt), pca.transform(sel)
        axis_names = ("PC 1", "PC 2")
    else:
        axis_names = ("x0", "x1") if pool.shape[1] == 2 else ("x0", "")
        if pool.shape[1] == 1:
            pool, tgt, sel = (np.column_stack([a[:, 0], np.zeros(len(a))]) for a in (pool, tgt, sel))
    rng = np.random.default_rng(random_state)
    thin = (lambda a: a[rng.choice(len(a), max_points, replace=False)] if len(a) > max_points else a)
    ax = ax if ax is not None else plt.subplots(figsize=(5.5, 5))[1]
    ax.scatter(*thin(pool).T, s=6, color="0.75", label=f"pool ({len(X)})")
    ax.scatter(*thin(tgt).T, s=8, color="tab:blue", alpha=0.6, label=f"target ({len(tgt)})")
    ax.scatter(*sel.T, s=22, color="tab:red", edgecolor="k", linewidths=0.4,
               label=f"selected ({len(selector.selected_indices_)})")
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.legend(loc="best", frameon=False)
    ax.set_title("GIO selection")
    return ax
