"""Print the report's markdown tables from results/*.json. Run: venv/bin/python tables_q11.py"""
import json
from pathlib import Path

import numpy as np

from common import HERE, table

R = HERE / "results"


def recs_of(*files):
    out, seen = [], set()
    for f in files:
        p = R / f
        if not p.exists():
            continue
        for r in json.loads(p.read_text()):
            k = (r["scenario"], r["method"], r["seed"], r["n"])
            if k not in seen:
                seen.add(k)
                out.append(r)
    return out


ORDER = ["random", "oracle-clean", "oracle-cells", "oracle-kmeans", "diag-vote-cells-cleanonly",
         "gio-default", "nearest-rr", "drc2-nn1", "drcl2-L15", "drcl2-L30", "drc-K100r20-nn1", "drc-K100r20-0.4-nn1", "drcl-K100r20-L30", "drc-0.5-nn1", "drcl-L15", "drcl-L30", "drcl-L60", "drc-0.5", "drc-0.3",
         "drc-0.7", "vote-cells", "vote-cells-th.95", "vote-cells-th.99", "vote-cells-nn1", "vote-cells-th.5",
         "vote-random", "vote-kmeans", "cellrank-min", "cellrank-vote", "cellrank-dr50", "cellrank-vote+dr50",
         "dr-random", "dr-cells", "dr-top", "smote-rr", "ds-top", "ds-randtop1.5", "ds-randtop2", "ds-randtop3",
         "ds-cellstop2"]


def stop_summary(scen):
    p = R / f"stop_{scen}.json"
    if not p.exists():
        return ""
    rs_all = json.loads(p.read_text())
    lines = [f"| method | val-curve stop: rows | acc % | clean % | in-domain stop: rows | acc % | best fixed budget (mean acc) | acc % | val-stop − best (paired) | domain-stop − best (paired) | seeds |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for m in sorted({r["method"] for r in rs_all}):
        rs = sorted([r for r in rs_all if r["method"] == m], key=lambda r: r["seed"])
        n = np.array([r["stop_n"] for r in rs])
        a = np.array([r["stop_accuracy"] for r in rs]) * 100
        cf = np.array([r["stop_clean_fraction"] for r in rs]) * 100
        sd = lambda x: x.std(ddof=1) if len(x) > 1 else 0.0  # noqa: E731
        if "fixed" not in rs[0]:
            lines.append(f"| {m} (its own stop) | {n.mean():.0f} ± {sd(n):.0f} | {a.mean():.2f} ± {sd(a):.2f} | {cf.mean():.0f} | - | - | - | - | - | - | {len(rs)} |")
            continue
        ks = list(rs[0]["fixed"])
        fa = {k: np.array([r["fixed"][k]["accuracy"] for r in rs]) * 100 for k in ks}
        best = max(ks, key=lambda k: fa[k].mean())
        dom = ""
        dd = "-"
        if "domain_stop" in rs[0]:
            dn = np.array([r["domain_size"] for r in rs])
            da = np.array([r["domain_stop"]["accuracy"] for r in rs]) * 100
            dom = f"{dn.mean():.0f} ± {sd(dn):.0f} | {da.mean():.2f} ± {sd(da):.2f}"
            dd = f"{np.mean(da - fa[best]):+.2f} ± {sd(da - fa[best]):.2f}"
        else:
            dom = "- | -"
        lines.append(f"| {m} | {n.mean():.0f} ± {sd(n):.0f} | {a.mean():.2f} ± {sd(a):.2f} | {cf.mean():.0f} | {dom} | {best} | "
                     f"{fa[best].mean():.2f} ± {sd(fa[best]):.2f} | {np.mean(a - fa[best]):+.2f} ± {sd(a - fa[best]):.2f} | {dd} | {len(rs)} |")
        if "capped" in rs[0]:
            cn = np.array([r["capped_n"] for r in rs])
            ca = np.array([r["capped"]["accuracy"] for r in rs]) * 100
            lines.append(f"|  capped val-curve of {m} (argmin over prefixes <= in-domain stop) | {cn.mean():.0f} ± {sd(cn):.0f} | {ca.mean():.2f} ± {sd(ca):.2f} | | | | | | {np.mean(ca - fa[best]):+.2f} ± {sd(ca - fa[best]):.2f} | | |")
        lines.append(f"|  fixed-budget curve of {m} |" + " ".join(f"{k}: {fa[k].mean():.1f}" for k in ks) + " | | | | | | | | | |")
    return "\n".join(lines)


def key_table():
    """Side by side: default, nearest-rr, winner, robust variant, oracle; accuracy and Δ vs nearest-rr."""
    from collections import defaultdict
    keys = ["gio-default", "nearest-rr", "drc2-nn1", "drcl2-L15", "oracle-clean"]
    out = ["| scenario | rows | " + " | ".join(keys) + " |", "|---|---:|" + "---:|" * len(keys)]
    for scen, files in [("fmnist-pca", ["fmnist-pca.json", "explore.json"]), ("fmnist-rp", ["fmnist-rp.json"]),
                        ("digits", ["digits.json"])]:
        g = defaultdict(dict)
        for r in recs_of(*files):
            if r["scenario"] == scen:
                g[(r["method"], r["n"])][r["seed"]] = r["accuracy"] * 100
        for n in sorted({k[1] for k in g}):
            cells = []
            for m in keys:
                d, ref = g.get((m, n), {}), g.get(("nearest-rr", n), {})
                if not d:
                    cells.append("-")
                    continue
                a = np.array(list(d.values()))
                ps = [s for s in d if s in ref]
                dd = np.array([d[s] - ref[s] for s in ps])
                cells.append(f"{a.mean():.1f} ± {a.std(ddof=1):.1f}" + ("" if m == "nearest-rr" else f" (Δ {dd.mean():+.2f} ± {dd.std(ddof=1):.2f})"))
            out.append(f"| {scen} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    print("\n### Key rows side by side (accuracy %, paired Δ vs nearest-rr)\n")
    print(key_table())
    for scen, files in [("fmnist-pca", ["fmnist-pca.json", "explore.json"]), ("fmnist-rp", ["fmnist-rp.json"]),
                        ("digits", ["digits.json"])]:
        recs = recs_of(*files)
        ms = [m for m in ORDER if any(r["method"] == m and r["scenario"] == scen for r in recs)]
        print(f"\n### {scen}\n")
        print(table(recs, scen, methods=ms))
        s = stop_summary(scen)
        if s:
            print(f"\n#### stop, {scen}\n")
            print(s)

