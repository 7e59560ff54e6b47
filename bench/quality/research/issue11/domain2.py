"""Self-trained k-NN domain classifier (prototype) + diagnostics.

s0(g) = log d_10(g, S) - log d_1(g, T)      (S: random pool sample; see methods_q11.domain_score)
Pos = T u top-P0 pool rows by s0; Neg = random rows of the bottom half by s0 (|Neg| = |Pos|)
s1(g) = share of Pos among the K nearest rows of g in Pos u Neg (g itself excluded)
In-domain set D = {g : s1(g) > 0.5}. Cost: O(M (n + n_ref) d) + O(M (|Pos|+|Neg|) d).
"""
import sys
import numpy as np
from methods_q11 import knn_rows, domain_score, CHUNK
from common import sqdist


def domain_vote(pool, target, seed=0, P0=3000, K=20, iters=1, n_ref=5000):
    M, n = len(pool), len(target)
    s = domain_score(pool, target, seed=seed, n_ref=n_ref)
    rng = np.random.default_rng([seed, 9])
    for _ in range(iters):
        o = np.argsort(-s, kind="stable")
        pos = o[:P0]
        low = o[M // 2:]
        neg = rng.choice(low, min(len(low), P0 + n), replace=False)
        R = np.concatenate([target, pool[pos], pool[neg]])
        rid = np.r_[np.full(n, -1), pos, neg]
        lab = np.r_[np.ones(n + len(pos)), np.zeros(len(neg))]
        v = np.empty(M)
        for a in range(0, M, CHUNK):
            d = sqdist(pool[a:a + CHUNK], R)
            rows = np.arange(a, min(M, a + CHUNK))
            d[rid[None, :] == rows[:, None]] = np.inf
            p = np.argpartition(d, K - 1, axis=1)[:, :K]
            v[a:a + CHUNK] = lab[p].mean(1)
        s = v + 1e-3 * s / (np.abs(s).max() + 1e-12)  # ties broken by s0
    return s


if __name__ == "__main__":
    from common import load
    scen = sys.argv[1] if len(sys.argv) > 1 else "fmnist-pca"
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    p = load(scen, seed)
    clean, y = p["clean"], p["labels"]
    hc = np.bincount(y[clean], minlength=10) / clean.sum()
    for kw in [dict(P0=3000, K=20), dict(P0=6000, K=20), dict(P0=3000, K=20, iters=2), dict(P0=6000, K=50, iters=2)]:
        s = domain_vote(p["pool"], p["target"], seed=seed, **kw)
        D = s > 0.5
        hd = np.bincount(y[D], minlength=10) / max(1, D.sum())
        print(kw, f"|D|={D.sum()} precision={clean[D].mean():.3f} recall={(D & clean).sum() / clean.sum():.3f} "
              f"TV(labels D, clean)={0.5 * np.abs(hd - hc).sum():.3f}", flush=True)
