"""`gioselect demo`: GIO on bundled data, no download.

1. The reference README's 2-D setting: a pool of two Gaussian clusters, a target drawn from one.
2. scikit-learn's bundled digits: the pool is half of the digits (all ten classes), the target an
   unlabeled sample of digits 0-4 only (a shifted slice). A logistic regression trained on the
   GIO selection is compared with one trained on a random subset of the same size and on the
   whole pool, on held-out digits 0-4.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from gioselect import GIOSelector
from gioselect.plot import save_report_plots


def _plot_folder(out_dir):
    """The folder for the plots, created; None without matplotlib (the demo then runs without
    plots). Checked before any work, so that a bad --out does not end a finished run."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return None
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OSError(f"cannot create the output folder {out}: {e.strerror}") from None
    return out


def gaussian_2d(seed: int = 0, out_dir=None) -> dict:
    rng = np.random.default_rng(seed)
    pool = np.vstack([rng.normal([3, 4], 1.0, (500, 2)), rng.normal([-3, -4], 1.0, (500, 2))])
    target = rng.normal([3, 4], 1.0, (200, 2))
    t0 = time.perf_counter()
    sel = GIOSelector(random_state=seed).fit(pool, target=target)
    seconds = time.perf_counter() - t0
    idx = sel.selected_indices_
    plots = save_report_plots(sel, pool, target, out_dir, prefix="gaussian_2d_") if out_dir else []
    return {"picked": len(idx), "from_target_cluster": float((idx < 500).mean()),
            "objective_start": sel.objective_start_, "objective_end": float(sel.objective_trace_[-1]),
            "selection_kl": sel.selection_kl_, "stop": sel.stop_reason_, "seconds": seconds, "plots": plots}


def digits(seed: int = 0, out_dir=None) -> dict:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_pool, X_rest, y_pool, y_rest = train_test_split(X, y, test_size=0.5, random_state=seed, stratify=y)
    shifted = y_rest < 5
    X_t, X_test, _, y_test = train_test_split(X_rest[shifted], y_rest[shifted], train_size=150,
                                              random_state=seed, stratify=y_rest[shifted])
    sel = GIOSelector(random_state=seed).fit(X_pool, target=X_t)
    idx = sel.selected_indices_

    def accuracy(rows):
        clf = LogisticRegression(max_iter=2000).fit(X_pool[rows], y_pool[rows])
        return float(clf.score(X_test, y_test))

    rng = np.random.default_rng(seed)
    random_acc = [accuracy(rng.choice(len(X_pool), len(idx), replace=False)) for _ in range(5)]
    plots = []
    if out_dir:  # the selection coloured by class shows which digits GIO picked for a target of 0-4
        plots = save_report_plots(sel, X_pool, X_t, out_dir, prefix="digits_", labels=y_pool)
    return {"plots": plots, "picked": len(idx), "pool": len(X_pool), "share_digits_0_4": float((y_pool[idx] < 5).mean()),
            "objective_start": sel.objective_start_, "objective_end": float(sel.objective_trace_[-1]),
            "selection_kl": sel.selection_kl_, "stop": sel.stop_reason_,
            "acc_gio": accuracy(idx), "acc_random": float(np.mean(random_acc)),
            "acc_random_std": float(np.std(random_acc)), "acc_all": accuracy(np.arange(len(X_pool)))}


def main(out_dir: str = "gioselect-demo") -> int:
    """Runs both problems, writes their plots into out_dir (created if needed); 2 on a bad out_dir."""
    try:
        out_dir = _plot_folder(out_dir)
    except OSError as e:
        print(f"gioselect: error: {e}", file=sys.stderr)
        return 2
    g = gaussian_2d(out_dir=out_dir)
    print("2-D Gaussians: pool 1000 rows in two clusters, target 200 rows from the (3, 4) cluster")
    print(f"  picked {g['picked']} rows, {100 * g['from_target_cluster']:.0f}% from the target's cluster; "
          f"objective {g['objective_start']:.3f} -> {g['objective_end']:.3f}, the selection's k-NN KL "
          f"{g['selection_kl']:.3f} (stop: {g['stop']}) in {g['seconds'] * 1e3:.1f} ms")
    d = digits(out_dir=out_dir)
    print(f"\ndigits: pool {d['pool']} images of 0-9, target 150 unlabeled images of 0-4")
    print(f"  picked {d['picked']} rows, {100 * d['share_digits_0_4']:.0f}% are digits 0-4; "
          f"objective {d['objective_start']:.2f} -> {d['objective_end']:.2f}, the selection's k-NN KL "
          f"{d['selection_kl']:.2f} (stop: {d['stop']})")
    print("  accuracy on held-out digits 0-4 (logistic regression):")
    print(f"    {'GIO selection':<24}{d['picked']:>6} rows  {d['acc_gio']:.3f}")
    print(f"    {'random subset (5 draws)':<24}{d['picked']:>6} rows  {d['acc_random']:.3f} ± {d['acc_random_std']:.3f}")
    print(f"    {'whole pool':<24}{d['pool']:>6} rows  {d['acc_all']:.3f}")
    plots = g["plots"] + d["plots"]
    print("\nplots: " + ", ".join(map(str, plots)) if plots else "\n(no plots: pip install 'gioselect[plot]' for them)")
    return 0
