"""Automatic stop (no budget): validation curve on a held-out part of the target.

For a method that yields an ordered selection:
  split the target (seeded) into T_fit (80%) and T_val (20%); order = method(pool, T_fit);
  curve(m) = knn_kl(T_val, pool[order[:m]], k=5) at m = step, 2*step, ... (step = 0.5% of the pool);
  walk the grid, keep the running minimum, stop after `patience` grid points without a new minimum;
  the selection is the prefix at the argmin.
Also scores the same order at fixed budgets (1..30% of the pool) so the stop can be compared with
the best fixed budget, and records GIO default's own stop (GIOSelector without n_select).

Run: nice -n 19 venv/bin/python stop_q11.py SCENARIO SEEDS METHOD[,METHOD]
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np
from gioselect import knn_kl

from common import HERE, load, score
import methods_q11 as mq

FIXED_PCT = (1, 2, 5, 10, 15, 20, 25, 30)


def val_stop(pool, order, T_val, step, max_m, patience=4, k=5):
    curve = []
    best_m, best, since = None, np.inf, 0
    m = step
    while m <= min(max_m, len(order)):
        v = float(knn_kl(T_val, pool[order[:m]], k=k, n_jobs=1))
        curve.append((m, v))
        if v < best:
            best, best_m, since = v, m, 0
        else:
            since += 1
            if since >= patience:
                break
        m += step
    return best_m, curve


def run(scen, seeds, names, out):
    recs = json.loads(out.read_text()) if out.exists() else []
    for seed in seeds:
        prob = load(scen, seed)
        M, n = len(prob["pool"]), len(prob["target"])
        rng = np.random.default_rng([seed, 11])
        perm = rng.permutation(n)
        n_val = n // 5
        fit = dict(prob, target=prob["target"][perm[n_val:]], name=prob["name"] + "-fit")
        T_val = prob["target"][perm[:n_val]]
        fixed = [max(1, round(p * M / 100)) for p in FIXED_PCT]
        step = max(1, round(0.005 * M))
        for name in names:
            t0 = time.perf_counter()
            if name == "gio-default-stop":
                from gioselect import GIOSelector
                sel = GIOSelector(search="descent", random_state=seed, n_jobs=1).fit(prob["pool"], target=prob["target"])
                rows = np.asarray(sel.selected_indices_)
                rec = dict(scenario=scen, seed=seed, method=name, stop_n=int(len(rows)),
                           stop_seconds=time.perf_counter() - t0, stop_reason=str(sel.stop_reason_))
                rec.update({f"stop_{k}": v for k, v in score(rows, prob).items()})
                recs.append(rec)
                print(rec, file=sys.stderr, flush=True)
                continue
            order = mq.METHODS[name](fit, [max(fixed)], seed)[max(fixed)]
            t_sel = time.perf_counter() - t0
            t1 = time.perf_counter()
            m_stop, curve = val_stop(prob["pool"], order, T_val, step, max(fixed))
            t_stop = time.perf_counter() - t1
            rec = dict(scenario=scen, seed=seed, method=name, stop_n=int(m_stop), select_seconds=t_sel,
                       stop_seconds=t_stop, curve=curve)
            rec.update({f"stop_{k}": v for k, v in score(order[:m_stop], prob).items()})
            rec["fixed"] = {int(m): score(order[:m], prob) for m in fixed}
            if name.startswith("drcl") or name.startswith("drc2") or "K100" in name:
                rec["domain_size"] = int(mq.LAST_DOMAIN[(fit["name"], seed, len(fit["pool"]), len(fit["target"]))])
                rec["domain_stop"] = score(order[:rec["domain_size"]], prob)
            elif name.startswith("drc"):
                w, wt = mq._DRD_CACHE[(fit["name"], seed, len(fit["pool"]), len(fit["target"]))]
                rec["domain_size"] = int((w >= 0.5 * wt).sum())
                if rec["domain_size"] > 0:
                    rec["domain_stop"] = score(order[:rec["domain_size"]], prob)
            if "domain_size" in rec:  # capped val-curve: argmin over prefixes <= |D| + one grid step
                cap = rec["domain_size"] + step
                pts = [(m, v) for m, v in curve if m <= cap]
                if len(pts) < len(curve) or True:
                    m_cap = min(pts, key=lambda mv: mv[1])[0] if pts else m_stop
                    rec["capped_n"] = int(m_cap)
                    rec["capped"] = score(order[:m_cap], prob)
            if name.startswith("vote"):
                rec["domain_size"] = int((mq.vote_score(fit, seed) > 0.9).sum())
                if rec["domain_size"] > 0:
                    rec["domain_stop"] = score(order[:rec["domain_size"]], prob)
            recs = [r for r in recs if not (r["scenario"] == scen and r["seed"] == seed and r["method"] == name)]
            recs.append(rec)
            best = max(rec["fixed"].items(), key=lambda kv: kv[1]["accuracy"])
            print(f"[{scen} s{seed}] {name}: stop at {m_stop} acc {100 * rec['stop_accuracy']:.1f} "
                  f"clean {100 * rec['stop_clean_fraction']:.0f}%; best fixed {best[0]} acc {100 * best[1]['accuracy']:.1f}; "
                  + " ".join(f"{m}:{100 * v['accuracy']:.1f}" for m, v in rec["fixed"].items())
                  + (f"; |D|={rec.get('domain_size')} acc {100 * rec['domain_stop']['accuracy']:.1f}" if "domain_stop" in rec else ""),
                  file=sys.stderr, flush=True)
            out.write_text(json.dumps(recs, indent=0))
        out.write_text(json.dumps(recs, indent=0))
    return recs


if __name__ == "__main__":
    scen = sys.argv[1] if len(sys.argv) > 1 else "digits"
    seeds = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "0").split(",")]
    names = (sys.argv[3] if len(sys.argv) > 3 else "vote-cells,nearest-rr").split(",")
    run(scen, seeds, names, HERE / "results" / f"stop_{scen}.json")
