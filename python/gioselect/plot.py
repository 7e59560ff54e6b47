"""Plots of a fitted GIOSelector (optional: needs matplotlib, the `plot` extra).

The estimator's plot_trace/plot_selection, `gioselect select --plot` and `gioselect demo` all draw
with these functions. They use matplotlib's object API only (a `Figure`, never pyplot or
`matplotlib.use`), so plotting leaves the caller's backend and pyplot figures as they are. Without
`ax` a new Figure with the constrained layout is made, so that a saved figure keeps its axis labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Colours of the selected rows by label: tab10 without the pool's grey and the target's blue.
_LABEL_COLOURS = ("tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive",
                  "tab:cyan", "black", "gold")


def _new_axes(figsize):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'gioselect[plot]'") from None
    return Figure(figsize=figsize, layout="constrained").add_subplot()


def plot_trace(selector, ax=None):
    """The objective's estimate before the first pick and after each pick, the stop and its reason
    marked; the title also gives the selection's own k-NN estimate (selection_kl_), which is a
    different number (README, "Two estimates"). Returns the Axes (its `.figure` is a new Figure
    when ax is None)."""
    ax = ax if ax is not None else _new_axes((7, 4))
    kl = np.concatenate([[selector.objective_start_], selector.objective_trace_])
    stop = len(kl) - 1
    ax.plot(np.arange(len(kl)), kl, color="tab:blue", lw=1.5)
    ax.axvline(stop, color="tab:red", ls="--", lw=1)
    ax.plot([stop], [kl[-1]], "o", color="tab:red")
    ax.text(stop, 0.97, f"stop: {selector.stop_reason_} ", transform=ax.get_xaxis_transform(),
            ha="right", va="top", color="tab:red")
    ax.set(xlabel="picks", ylabel=f"{selector.objective} estimate of\nKL(target || start rows + picks)",
           title=f"GIO: {stop} picks, objective ({selector.objective}) {kl[0]:.4g} -> {kl[-1]:.4g}\n"
                 f"selection's k-NN KL estimate: {selector.selection_kl_:.4g}")
    ax.locator_params(axis="x", integer=True)  # picks are whole
    ax.grid(alpha=0.3)
    return ax


def plot_selection(selector, X, target=None, ax=None, labels=None, max_points=5000, random_state=0):
    """Pool (grey), target (blue) and selected rows (red, or coloured by `labels`) in 2-D.

    d > 2: the rows projected on the target's first two principal axes (SVD of the centred target
    sample); d == 2: the features; d == 1: pool, target and selection on three lines. `labels`, one
    per pool row (e.g. classes), colours the selected rows by label, one legend entry each. At most
    max_points rows of each of pool, target and selection are drawn (a seeded sample), read by row
    index so that a memory-mapped pool is not loaded whole. target=None: the target is X itself.
    Returns the Axes (its `.figure` is a new Figure when ax is None)."""
    pool = np.asarray(X)  # no copy: a memory-mapped pool stays on disk
    tgt = pool if target is None else np.asarray(target)
    picked = np.asarray(selector.selected_indices_)
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != len(pool):
            raise ValueError(f"labels has {len(labels)} entries; expected one per pool row ({len(pool)})")
    rng = np.random.default_rng(random_state)
    drawn = np.sort(picked[_sample(len(picked), max_points, rng)])
    pool_xy, tgt_xy, picked_xy = _to_2d(pool[_sample(len(pool), max_points, rng)],
                                        tgt[_sample(len(tgt), max_points, rng)], pool[drawn])

    ax = ax if ax is not None else _new_axes((7.5, 5) if labels is not None else (6, 5))
    ax.scatter(*pool_xy.T, s=4, color="0.75", label=f"pool ({len(pool)})")
    ax.scatter(*tgt_xy.T, s=8, color="tab:blue", alpha=0.6, label=f"target ({len(tgt)})")
    if labels is None:
        ax.scatter(*picked_xy.T, s=18, color="tab:red", edgecolor="k", linewidths=0.4,
                   label=f"selected ({len(picked)})")
        ax.legend(loc="best", frameon=False)
    else:
        _scatter_by_label(ax, picked_xy, labels[drawn], labels[picked])
    if pool.shape[1] == 1:
        ax.set_yticks([0, 1, 2], ["pool", "target", "selected"])
        ax.set_xlabel("x0")
    else:
        names = ("target PC 1", "target PC 2") if pool.shape[1] > 2 else ("x0", "x1")
        ax.set(xlabel=names[0], ylabel=names[1])
    ax.set_title(f"GIO selection: {len(picked)} of {len(pool)} pool rows")
    return ax


def _sample(n, max_points, rng):
    """Sorted row numbers of at most max_points of n rows (sorted: a memory map is read in order)."""
    return np.arange(n) if n <= max_points else np.sort(rng.choice(n, max_points, replace=False))


def _to_2d(pool, target, picked):
    """The three row sets as x, y points (see plot_selection for the projection)."""
    rows = [np.asarray(a, dtype=np.float64) for a in (pool, target, picked)]
    d = rows[0].shape[1]
    if d == 1:  # one line per set, else the target would hide the pool and the selection the target
        return [np.column_stack([a[:, 0], np.full(len(a), level)]) for level, a in enumerate(rows)]
    if d == 2:
        return rows
    mean = rows[1].mean(axis=0)
    axes = np.linalg.svd(rows[1] - mean, full_matrices=False)[2][:2].T
    return [(a - mean) @ axes for a in rows]


def _scatter_by_label(ax, xy, drawn_labels, picked_labels):
    """The selected points in one colour per label; the legend counts every selected row."""
    values, counts = np.unique(picked_labels, return_counts=True)
    if len(values) <= len(_LABEL_COLOURS):
        colours = _LABEL_COLOURS[:len(values)]
    else:
        from matplotlib import colormaps

        colours = colormaps["turbo"](np.linspace(0, 1, len(values)))
    for value, count, colour in zip(values, counts, colours):
        ax.scatter(*xy[drawn_labels == value].T, s=18, color=colour, edgecolor="k", linewidths=0.4,
                   label=f"selected: {value} ({count})")
    # outside the axes: ten or more entries would cover the points
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small")


REPORT_PLOTS = ("kl_trace.png", "selection_2d.png")  # what save_report_plots writes (after the prefix)


def save_report_plots(selector, pool, target=None, out_dir=".", prefix="", labels=None, dpi=120) -> list:
    """Writes <prefix>kl_trace.png (plot_trace) and <prefix>selection_2d.png (plot_selection) into
    the existing folder out_dir; returns their paths."""
    out_dir = Path(out_dir)
    paths = [out_dir / f"{prefix}{name}" for name in REPORT_PLOTS]
    plot_trace(selector).figure.savefig(paths[0], dpi=dpi)
    plot_selection(selector, pool, target=target, labels=labels).figure.savefig(paths[1], dpi=dpi)
    return paths
