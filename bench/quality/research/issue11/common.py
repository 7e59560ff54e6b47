"""Shared harness for the q11 prototypes.

Scenarios
  fmnist : the repo's bench/quality Table 1 (imported from bench/quality, two folders up):
           pool = 59,000 train images, 80% rotated 90 deg + N(0, .15) pixel noise; target = 500 clean;
           test = official 10,000 clean test images; representation pca (PCA-50) or rp (RP-64) fitted
           on the pool; StandardScaler + LogisticRegression(max_iter=300).
  digits : scikit-learn digits (1,797 8x8 images). Per seed: permutation; target = first 100 clean,
           test = next 697 clean, pool = last 1,000 of which a seeded 80% are rotated 90 deg + N(0, .15)
           noise (on the [0,1] scale, clipped). Representation: PCA-30 fitted on the pool. Same classifier.

Everything is single-threaded (OMP/BLAS = 1); run under nice -n 19.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # bench/quality: the same harness

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)

import evaluate  # noqa: E402  (bench/quality)
import fashion_mnist  # noqa: E402
import problems  # noqa: E402
import representations  # noqa: E402

CACHE = HERE / "cache"
CACHE.mkdir(exist_ok=True)
FM_PCT = (1, 2, 5)
_FM_DATA = None


def _fm_data():
    global _FM_DATA
    if _FM_DATA is None:
        _FM_DATA = fashion_mnist.load()
    return _FM_DATA


def load_fmnist(seed: int, rep: str = "pca") -> dict:
    f = CACHE / f"fm_{rep}_{seed}.npz"
    if not f.exists():
        data = _fm_data()
        prob = problems.shifted_pool(data, seed)
        test = fashion_mnist.scale(data["test_images"])
        pool, other = representations.embed(rep, seed, prob["pool"], {
            "target": prob["target"], "heldout": prob["heldout"], "test": test})
        np.savez(f, pool=pool, labels=prob["labels"], clean=prob["clean"], target=other["target"],
                 heldout=other["heldout"], test=other["test"], test_labels=data["test_labels"])
    z = np.load(f)
    out = {k: z[k] for k in z.files}
    out["name"] = f"fmnist-{rep}"
    out["sizes"] = [round(p * len(out["pool"]) / 100) for p in FM_PCT]
    return out


DG_PCT = (5, 10, 15)


def load_digits(seed: int, rep: str = "pca") -> dict:
    from sklearn.datasets import load_digits as _ld
    from sklearn.decomposition import PCA
    d = _ld()
    X = (d.data / 16.0).astype(np.float32)
    y = d.target
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(X))
    tgt, tst, rows = perm[:100], perm[100:797], perm[797:]
    shifted = np.zeros(len(rows), dtype=bool)
    shifted[rng.permutation(len(rows))[: round(0.8 * len(rows))]] = True
    pool = X[rows].copy()
    imgs = np.rot90(pool[shifted].reshape(-1, 8, 8), 1, axes=(1, 2)).reshape(-1, 64)
    imgs = imgs + rng.normal(0, 0.15, imgs.shape).astype(np.float32)
    pool[shifted] = np.clip(imgs, 0, 1)
    model = PCA(n_components=30, random_state=seed).fit(pool)
    to = lambda a: np.ascontiguousarray(model.transform(a), dtype=np.float32)  # noqa: E731
    out = dict(pool=to(pool), labels=y[rows], clean=~shifted, target=to(X[tgt]), heldout=to(X[tst]),
               test=to(X[tst]), test_labels=y[tst], name="digits-pca30")
    out["sizes"] = [round(p * len(rows) / 100) for p in DG_PCT]
    return out


def load(scenario: str, seed: int) -> dict:
    if scenario.startswith("fmnist"):
        rep = scenario.split("-")[1] if "-" in scenario else "pca"
        return load_fmnist(seed, rep)
    if scenario == "digits":
        return load_digits(seed)
    raise ValueError(scenario)


def score(rows, prob) -> dict:
    rows = np.asarray(rows)
    acc = evaluate.accuracy(prob["pool"][rows], prob["labels"][rows], prob["test"], prob["test_labels"])
    return {"accuracy": acc, "clean_fraction": float(np.mean(prob["clean"][rows]))}


def sqdist(A, B):
    """Squared Euclidean distances (float32), A: (a,d), B: (b,d)."""
    A = A.astype(np.float32, copy=False)
    B = B.astype(np.float32, copy=False)
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * (A @ B.T)
    np.maximum(d, 0, out=d)
    return d


def run(methods: dict, scenario: str, seeds, out_json: Path, sizes=None, extra_sizes=()):
    """methods: name -> fn(prob, sizes, seed) returning {n: rows}. Appends one record per
    (method, seed, n) to out_json (a list), rewriting it after every method."""
    out_json = Path(out_json)
    recs = json.loads(out_json.read_text()) if out_json.exists() else []
    done = {(r["scenario"], r["method"], r["seed"], r["n"]) for r in recs}
    for seed in seeds:
        prob = load(scenario, seed)
        sz = list(sizes or prob["sizes"]) + list(extra_sizes)
        for name, fn in methods.items():
            if all((scenario, name, seed, n) in done for n in sz):
                continue
            t0 = time.perf_counter()
            picks = fn(prob, sz, seed)
            sec = time.perf_counter() - t0
            for n, rows in picks.items():
                rows = np.asarray(rows)
                rec = dict(scenario=scenario, method=name, seed=seed, n=int(n), n_got=int(len(rows)),
                           select_seconds=sec)
                rec.update(score(rows, prob))
                recs = [r for r in recs if (r["scenario"], r["method"], r["seed"], r["n"]) != (scenario, name, seed, n)]
                recs.append(rec)
            print(f"[{scenario} s{seed}] {name}: {sec:.1f}s " +
                  " ".join(f"{n}:{100*score(np.asarray(r), prob)['accuracy']:.1f}" for n, r in picks.items()),
                  file=sys.stderr, flush=True)
            out_json.write_text(json.dumps(recs, indent=0))
    return recs


def table(recs, scenario, ref="nearest-rr", methods=None):
    """Markdown: per method x n: acc mean ± std, paired diff vs ref mean ± std, clean %, seconds."""
    from collections import defaultdict
    g = defaultdict(dict)
    for r in recs:
        if r["scenario"] == scenario:
            g[(r["method"], r["n"])][r["seed"]] = r
    ns = sorted({k[1] for k in g})
    ms = methods or sorted({k[0] for k in g})
    lines = [f"| method | rows | acc % (mean ± std) | Δ vs {ref} (paired) | clean % | select s | seeds |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for n in ns:
        for m in ms:
            if (m, n) not in g:
                continue
            d = g[(m, n)]
            seeds = sorted(d)
            acc = np.array([d[s]["accuracy"] for s in seeds]) * 100
            cf = np.array([d[s]["clean_fraction"] for s in seeds]) * 100
            sec = np.array([d[s]["select_seconds"] for s in seeds])
            rd = g.get((ref, n), {})
            ps = [s for s in seeds if s in rd]
            diff = np.array([d[s]["accuracy"] - rd[s]["accuracy"] for s in ps]) * 100
            sd = lambda a: (a.std(ddof=1) if len(a) > 1 else 0.0)  # noqa: E731
            dtxt = f"{diff.mean():+.2f} ± {sd(diff):.2f}" if len(ps) else "-"
            lines.append(f"| {m} | {n} | {acc.mean():.2f} ± {sd(acc):.2f} | {dtxt} | {cf.mean():.1f} | "
                         f"{sec.mean():.1f} | {len(seeds)} |")
    return "\n".join(lines)
