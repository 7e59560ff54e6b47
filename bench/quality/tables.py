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
        groups[(r["table"], r["rep"], r["method"], r.get("budget", r["n"]))].append(r)
    nearest = {(r["table"], r["rep"], r["seed"], r["n"]): r["accuracy"] for r in results["rows"]
               if r["method"] == "nearest"}
    lines = [f"# GIO quality benchmark (Fashion-MNIST)\n",
             f"seeds {cfg['seeds']}, gioselect {cfg['gioselect']}, {results.get('seconds', 0):.0f} s in all"
             + (" (--quick)" if cfg["quick"] else "")]
    for table, title in TITLES.items():
        for rep in cfg["reps"]:
            keys = sorted((k for k in groups if k[:2] == (table, rep)),
                          key=lambda k: (k[2] == "full", isinstance(k[3], str), k[3] if isinstance(k[3], int) else 0,
                                         order[k[2]]))
            if not keys:
                continue
            shift = table == "shift"
            lines += ["", f"## {title} — {rep}", "",
                      "| method | rows (pool %) | test accuracy % | Δ vs nearest (paired) | KL(heldout ‖ selected) |"
                      + (" clean % |" if shift else "") + " selection s |",
                      "|---|---:|---:|---:|---:|" + ("---:|" if shift else "") + "---:|"]
            for key in keys:
                rs = groups[key]
                size = (f"{key[3]} ({rs[0]['pct']:g}%)" if isinstance(key[3], int) else
                        f"auto: {mean_std([r['n'] for r in rs], digits=0)}")
                paired = [r["accuracy"] - nearest[(table, rep, r["seed"], r["n"])] for r in rs
                          if (table, rep, r["seed"], r["n"]) in nearest]
                cells = [key[2], size, mean_std([r["accuracy"] for r in rs], 100),
                         mean_std(paired, 100, digits=2) if len(paired) == len(rs) else "",
                         mean_std([r["kl_heldout"] for r in rs], digits=2)]
                if shift:
                    cells.append(mean_std([r["clean_fraction"] for r in rs], 100))
                cells.append(mean_std([r["select_seconds"] for r in rs]))
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
