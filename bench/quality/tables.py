"""The results as markdown: one table per problem and representation, mean ± std over seeds."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

TITLES = {
    "shift": "Table 1: shifted pool (80% rotated + noisy), target = 500 clean images",
    "compression": "Table 2: compression, pool = target = clean subsample, keep 25%",
}


def mean_std(values, scale=1.0, digits=1) -> str:
    """'mean ± std' (sample std over seeds); the mean alone for a single seed."""
    v = np.asarray(values, dtype=float) * scale
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def markdown(results: dict) -> str:
    """Every table of the results, with a line saying what was run."""
    cfg = results["config"]
    order = {m: i for i, m in enumerate(cfg["modes"])}
    groups = defaultdict(list)
    for r in results["rows"]:
        groups[(r["table"], r["rep"], r["method"], r["n"])].append(r)
    lines = [f"# GIO quality benchmark (Fashion-MNIST)\n",
             f"seeds {cfg['seeds']}, gioselect {cfg['gioselect']}, {results.get('seconds', 0):.0f} s in all"
             + (" (--quick)" if cfg["quick"] else "")]
    for table, title in TITLES.items():
        for rep in cfg["reps"]:
            keys = sorted((k for k in groups if k[:2] == (table, rep)),
                          key=lambda k: (k[2] == "full", k[3], order[k[2]]))
            if not keys:
                continue
            shift = table == "shift"
            lines += ["", f"## {title} — {rep}", "",
                      "| method | rows (pool %) | test accuracy % | KL(heldout ‖ selected) |"
                      + (" clean % |" if shift else "") + " selection s |",
                      "|---|---:|---:|---:|" + ("---:|" if shift else "") + "---:|"]
            for key in keys:
                rs = groups[key]
                cells = [key[2], f"{key[3]} ({rs[0]['pct']:g}%)",
                         mean_std([r["accuracy"] for r in rs], 100),
                         mean_std([r["kl_heldout"] for r in rs], digits=2)]
                if shift:
                    cells.append(mean_std([r["clean_fraction"] for r in rs], 100))
                cells.append(mean_std([r["select_seconds"] for r in rs]))
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
