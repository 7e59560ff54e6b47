"""The results as markdown: one table per problem and representation, mean ± std over seeds, and
for every automatic stop its size and accuracy next to the best fixed budget of the same mode."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

FMNIST_TITLES = {
    "shift": "Table 1: shifted pool (80% rotated + noisy), target = 500 clean images",
    "compression": "Table 2: compression, pool = target = clean subsample, keep 25%",
}


def mean_std(values, scale=1.0, digits=1) -> str:
    """'mean ± std' (sample std over seeds); the mean alone for a single seed."""
    v = np.asarray(values, dtype=float) * scale
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def titles(cfg: dict) -> dict:
    """Table name -> heading, in the order the tables are printed."""
    out = dict(FMNIST_TITLES)
    out.update({name: sc["title"] for name, sc in cfg.get("scenario_config", {}).items()})
    return out


def markdown(results: dict) -> str:
    """Every table of the results, with a line saying what was run."""
    cfg = results["config"]
    order = {m: i for i, m in enumerate(cfg["modes"])}
    groups = defaultdict(list)
    for r in results["rows"]:
        groups[(r["table"], r["rep"], r["method"], r.get("budget", r["n"]))].append(r)
    nearest = {(r["table"], r["rep"], r["seed"], r["n"]): r["accuracy"] for r in results["rows"]
               if r["method"] == "nearest"}
    names = ", ".join("Fashion-MNIST" if s == "fmnist" else s for s in cfg.get("scenarios", ["fmnist"]))
    lines = [f"# GIO quality benchmark ({names})\n",
             f"seeds {cfg['seeds']}, gioselect {cfg['gioselect']}, {results.get('seconds', 0):.0f} s in all"
             + (" (--quick)" if cfg["quick"] else "")]
    for table, title in titles(cfg).items():
        reps = list(dict.fromkeys(r["rep"] for r in results["rows"] if r["table"] == table))
        for rep in reps:
            keys = sorted((k for k in groups if k[:2] == (table, rep)),
                          key=lambda k: (k[2] == "full", isinstance(k[3], str), k[3] if isinstance(k[3], int) else 0,
                                         order[k[2]]))
            shift = "clean_fraction" in groups[keys[0]][0]
            lines += ["", f"## {title} — {rep}", "",
                      "| method | rows (pool %) | test accuracy % | Δ vs nearest (paired) | KL(heldout ‖ selected) |"
                      + (" clean % |" if shift else "") + " selection s |",
                      "|---|---:|---:|---:|---:|" + ("---:|" if shift else "") + "---:|"]
            for key in keys:
                rs = groups[key]
                size = (f"{key[3]} ({rs[0]['pct']:g}%)" if isinstance(key[3], int) else
                        f"auto: {mean_std([r['n'] for r in rs], digits=0)}")
                # an automatic stop is paired with nearest-to-target at its own size
                paired = [r["accuracy"] - r["nearest_accuracy"] if "nearest_accuracy" in r else
                          r["accuracy"] - nearest[(table, rep, r["seed"], r["n"])] for r in rs
                          if "nearest_accuracy" in r or (table, rep, r["seed"], r["n"]) in nearest]
                cells = [key[2], size, mean_std([r["accuracy"] for r in rs], 100),
                         mean_std(paired, 100, digits=2) if len(paired) == len(rs) else "",
                         mean_std([r["kl_heldout"] for r in rs], digits=2)]
                if shift:
                    cells.append(mean_std([r["clean_fraction"] for r in rs], 100))
                cells.append(mean_std([r["select_seconds"] for r in rs]))
                lines.append("| " + " | ".join(cells) + " |")
            lines += stop_table(groups, table, rep, [k for k in keys if k[3] == "auto"])
    return "\n".join(lines) + "\n"


def fixed_budgets(groups, table, rep, mode) -> dict:
    """{budget: rows of results} of one mode's fixed budgets."""
    return {k[3]: groups[k] for k in groups if k[:3] == (table, rep, mode) and isinstance(k[3], int)}


def stop_table(groups, table, rep, auto_keys) -> list:
    """Each automatic stop (mode 'X auto') against the best fixed budget of mode X: the budget with
    the highest mean accuracy, and the paired difference to it."""
    if not auto_keys:
        return []
    lines = ["", f"Automatic stop against the best fixed budget of the same mode ({rep}):", "",
             "| stop | rows | accuracy % | best fixed budget of | rows | accuracy % | stop − best (paired) |",
             "|---|---:|---:|---|---:|---:|---:|"]
    for key in auto_keys:
        rs = groups[key]
        # against the same mode's budgets (a quantized mode's are in rows); a quantized stop without
        # them, against the unquantized mode's
        base = key[2].removesuffix(" auto")
        fixed = fixed_budgets(groups, table, rep, base)
        if not fixed and base.endswith(" quantized"):
            base = base.removesuffix(" quantized")
            fixed = fixed_budgets(groups, table, rep, base)
        cells = [key[2], mean_std([r["n"] for r in rs], digits=0), mean_std([r["accuracy"] for r in rs], 100)]
        if fixed:
            best = max(fixed, key=lambda n: np.mean([r["accuracy"] for r in fixed[n]]))
            by_seed = {r["seed"]: r["accuracy"] for r in fixed[best]}
            paired = [r["accuracy"] - by_seed[r["seed"]] for r in rs if r["seed"] in by_seed]
            cells += [base, str(best), mean_std([r["accuracy"] for r in fixed[best]], 100),
                      mean_std(paired, 100, digits=2) if len(paired) == len(rs) else ""]
        else:
            cells += [base + " (not run)", "", "", ""]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
