"""Selection methods for q11: baselines and candidates. Every method returns {n: rows} for the
requested sizes; all but `gio-default` produce one ordered list whose prefixes serve every size.

Run: nice -n 19 venv/bin/python methods_q11.py [scenario] [seeds] [method,...]
"""
from __future__ import annotations

import sys

import numpy as np

from common import sqdist

CHUNK = 4096


# ----------------------------------------------------------------------------- helpers
def knn_rows(Q, R, k, exclude_self=False):
    """k nearest rows of R for every row of Q (chunked): (idx (q,k), squared dist (q,k)), sorted."""
    q = len(Q)
    k = min(k, len(R) - int(exclude_self))
    I = np.empty((q, k), dtype=np.int64)
    D = np.empty((q, k), dtype=np.float32)
    for s in range(0, q, CHUNK):
        d = sqdist(Q[s:s + CHUNK], R)
        if exclude_self:
            d[np.arange(len(d)), np.arange(s, s + len(d))] = np.inf
        p = np.argpartition(d, k - 1, axis=1)[:, :k]
        pd = np.take_along_axis(d, p, 1)
        o = np.argsort(pd, 1)
        I[s:s + CHUNK] = np.take_along_axis(p, o, 1)
        D[s:s + CHUNK] = np.take_along_axis(pd, o, 1)
    return I, D


def prefixes(order, sizes):
    order = np.asarray(order)
    return {n: order[:n] for n in sizes}


def nearest_rr_order(pool, target, N, rng, picked=None):
    """Nearest-to-target round-robin: targets in a shuffled order, each in turn takes its nearest
    not-yet-picked pool row, until N rows are picked."""
    n, M = len(target), len(pool)
    L = min(M, max(64, 4 * (N // n + 1) + 32))
    nn, _ = knn_rows(target, pool, L)
    picked = np.zeros(M, bool) if picked is None else picked.copy()
    ptr = np.zeros(n, np.int64)
    tord = rng.permutation(n)
    out = []
    while len(out) < N:
        for i in tord:
            while ptr[i] < nn.shape[1] and picked[nn[i, ptr[i]]]:
                ptr[i] += 1
            if ptr[i] == nn.shape[1]:  # list exhausted: full sort for this target
                full = np.argsort(sqdist(target[i:i + 1], pool)[0])
                nn_i = full[~picked[full]]
                g = nn_i[0]
            else:
                g = nn[i, ptr[i]]
            picked[g] = True
            out.append(g)
            if len(out) == N:
                break
    return np.array(out)


# ----------------------------------------------------------------------------- baselines
def m_random(prob, sizes, seed):
    return prefixes(np.random.default_rng([seed, 1]).permutation(len(prob["pool"])), sizes)


def m_oracle(prob, sizes, seed):
    clean = np.flatnonzero(prob["clean"])
    return prefixes(np.random.default_rng([seed, 2]).permutation(clean), sizes)


def m_nearest(prob, sizes, seed):
    return prefixes(nearest_rr_order(prob["pool"], prob["target"], max(sizes), np.random.default_rng([seed, 3])), sizes)


def m_gio_default(prob, sizes, seed):
    from gioselect import GIOSelector
    out = {}
    for n in sizes:
        sel = GIOSelector(search="descent", n_select=n, random_state=seed, n_jobs=1).fit(prob["pool"], target=prob["target"])
        out[n] = np.asarray(sel.selected_indices_)
    return out


# ----------------------------------------------------------------------------- in-domain score
def domain_ratio(pool, target, K=10, ref_mult=4, seed=0):
    """k-NN two-sample density ratio w(g) ~ p_target(g) / p_pool(g) for every pool row.
    Reference sample S = ref_mult*n random pool rows. Among the K nearest rows of g in T u S
    (g itself excluded), t come from T and s from S: w = ((t+.5)/n) / ((s+.5)/|S|).
    Cost: O(M (n + |S|) d) once."""
    M, n = len(pool), len(target)
    rng = np.random.default_rng([seed, 7])
    m_s = min(M, ref_mult * n)
    S_idx = rng.choice(M, m_s, replace=False)
    pos_in_S = np.full(M, -1)
    pos_in_S[S_idx] = np.arange(m_s)
    R = np.concatenate([target, pool[S_idx]])
    is_T = np.r_[np.ones(n, bool), np.zeros(m_s, bool)]
    t = np.empty(M)
    for s in range(0, M, CHUNK):
        d = sqdist(pool[s:s + CHUNK], R)
        rows = np.arange(s, min(M, s + CHUNK))
        j = pos_in_S[rows]
        mask = j >= 0
        d[np.flatnonzero(mask), n + j[mask]] = np.inf  # exclude self
        p = np.argpartition(d, K - 1, axis=1)[:, :K]
        t[s:s + CHUNK] = is_T[p].sum(1)
    sc = K - t
    return ((t + 0.5) / n) / ((sc + 0.5) / m_s)


def m_dr_random(prob, sizes, seed, tau=1.0, K=10):
    """Random rows among pool rows with density ratio w > tau; then the rest by decreasing w."""
    w = domain_ratio(prob["pool"], prob["target"], K=K, seed=seed)
    rng = np.random.default_rng([seed, 4])
    ind = np.flatnonzero(w > tau)
    rest = np.flatnonzero(w <= tau)
    rest = rest[np.argsort(-w[rest], kind="stable")]
    return prefixes(np.r_[rng.permutation(ind), rest], sizes)


def m_dr_top(prob, sizes, seed, K=10):
    """Rows by decreasing density ratio (ties random)."""
    w = domain_ratio(prob["pool"], prob["target"], K=K, seed=seed)
    rng = np.random.default_rng([seed, 4])
    w = w + 1e-6 * rng.random(len(w))
    return prefixes(np.argsort(-w), sizes)


def cells_order(pool, target, cand, rng, fallback):
    """Voronoi-balanced: each candidate row is assigned to its nearest target; targets in a
    shuffled round-robin each take a random not-yet-picked candidate of their cell (cells that run
    out are skipped). `fallback` (ordered rows) is appended after the candidates."""
    a, _ = knn_rows(pool[cand], target, 1)
    a = a[:, 0]
    n = len(target)
    perm = rng.permutation(len(cand))
    cells = [[] for _ in range(n)]
    for j in perm:
        cells[a[j]].append(cand[j])
    tord = rng.permutation(n)
    ptr = np.zeros(n, np.int64)
    out = []
    alive = [i for i in tord if cells[i]]
    while alive:
        nxt = []
        for i in alive:
            out.append(cells[i][ptr[i]])
            ptr[i] += 1
            if ptr[i] < len(cells[i]):
                nxt.append(i)
        alive = nxt
    seen = set(out)
    out += [g for g in fallback if g not in seen]
    return np.array(out)


def m_dr_cells(prob, sizes, seed, tau=1.0, K=10):
    w = domain_ratio(prob["pool"], prob["target"], K=K, seed=seed)
    rng = np.random.default_rng([seed, 4])
    ind = np.flatnonzero(w > tau)
    rest = np.flatnonzero(w <= tau)
    rest = rest[np.argsort(-w[rest], kind="stable")]
    return prefixes(cells_order(prob["pool"], prob["target"], ind, rng, rest), sizes)


def m_dr_weighted(prob, sizes, seed, K=10, cap=None):
    """Sampling without replacement with probability proportional to w (Efraimidis-Spirakis)."""
    w = domain_ratio(prob["pool"], prob["target"], K=K, seed=seed)
    if cap:
        w = np.minimum(w, cap)
    rng = np.random.default_rng([seed, 4])
    key = np.log(rng.random(len(w))) / w
    return prefixes(np.argsort(-key), sizes)


# ----------------------------------------------------------------------------- smoothed target
def m_smote_rr(prob, sizes, seed, R=None, k=5):
    """Nearest round-robin against a smoothed target: R*n pseudo-targets x_i + u (x_j - x_i), x_j a
    random one of x_i's k nearest targets, u ~ U(0,1)."""
    T = prob["target"]
    n = len(T)
    N = max(sizes)
    R = R or max(1, int(np.ceil(N / n)))
    rng = np.random.default_rng([seed, 5])
    nb, _ = knn_rows(T, T, k, exclude_self=True)
    i = np.tile(np.arange(n), R)
    j = nb[i, rng.integers(0, nb.shape[1], len(i))]
    u = rng.random((len(i), 1)).astype(np.float32)
    P = T[i] + u * (T[j] - T[i])
    return prefixes(nearest_rr_order(prob["pool"], P, N, np.random.default_rng([seed, 3])), sizes)


# ----------------------------------------------------------------------------- registry
METHODS = {
    "random": m_random,
    "oracle-clean": m_oracle,
    "nearest-rr": m_nearest,
    "gio-default": m_gio_default,
    "dr-random": m_dr_random,
    "dr-top": m_dr_top,
    "dr-cells": m_dr_cells,
    "dr-weighted": m_dr_weighted,
    "smote-rr": m_smote_rr,
}

# ----------------------------------------------------------------------------- v2: better in-domain score
def domain_score(pool, target, kp=10, n_ref=5000, seed=0):
    """In-domain score s(g) = log d_kp(g, S) - log d_1(g, T): distance to the nearest target row
    relative to the pool's local scale (kp-th neighbour in a random pool sample S of n_ref rows).
    Large = the target is locally denser than the pool. Cost O(M (n + n_ref) d) once."""
    M = len(pool)
    rng = np.random.default_rng([seed, 8])
    S_idx = rng.choice(M, min(M, n_ref), replace=False)
    _, dT = knn_rows(pool, target, 1)
    _, dS = knn_rows(pool, pool[S_idx], kp + 1)
    # a row that is itself in S has distance 0 to itself: use the (kp+1)-th then
    inS = np.zeros(M, bool)
    inS[S_idx] = True
    dk = np.where(inS, dS[:, kp], dS[:, kp - 1])
    return 0.5 * np.log(dk + 1e-12) - 0.5 * np.log(dT[:, 0] + 1e-12)


def _top(score, Q):
    return np.argsort(-score, kind="stable")[:Q]


def m_ds_randtop(prob, sizes, seed, mult=2.0):
    """Per size N: random N rows among the top mult*N rows by domain_score (not a prefix method)."""
    s = domain_score(prob["pool"], prob["target"], seed=seed)
    o = np.argsort(-s, kind="stable")
    out = {}
    for n in sizes:
        rng = np.random.default_rng([seed, 4, n])
        out[n] = rng.permutation(o[:int(mult * n)])[:n]
    return out


def m_ds_cellstop(prob, sizes, seed, mult=2.0):
    s = domain_score(prob["pool"], prob["target"], seed=seed)
    o = np.argsort(-s, kind="stable")
    out = {}
    for n in sizes:
        rng = np.random.default_rng([seed, 4, n])
        cand = o[:int(mult * n)]
        out[n] = cells_order(prob["pool"], prob["target"], cand, rng, o[int(mult * n):])[:n]
    return out


METHODS.update({
    "ds-randtop2": m_ds_randtop,
    "ds-randtop3": lambda p, s, seed: m_ds_randtop(p, s, seed, 3.0),
    "ds-randtop1.5": lambda p, s, seed: m_ds_randtop(p, s, seed, 1.5),
    "ds-cellstop2": m_ds_cellstop,
    "ds-top": lambda p, s, seed: m_ds_randtop(p, s, seed, 1.0),
})



def m_oracle_cells(prob, sizes, seed):
    """Ceiling check (uses the clean mask): Voronoi-balanced random clean rows."""
    clean = np.flatnonzero(prob["clean"])
    rng = np.random.default_rng([seed, 2])
    return prefixes(cells_order(prob["pool"], prob["target"], clean, rng, []), sizes)


METHODS["oracle-cells"] = m_oracle_cells


# ----------------------------------------------------------------------------- v3: self-trained vote
_VOTE_CACHE = {}


def vote_score(prob, seed):
    """domain2.domain_vote (self-trained k-NN domain classifier), memoised per problem+seed."""
    from domain2 import domain_vote
    key = (prob["name"], seed, len(prob["pool"]))
    if key not in _VOTE_CACHE:
        import time
        t0 = time.perf_counter()
        P0 = min(3000, len(prob["pool"]) // 20 * 1 if len(prob["pool"]) < 20000 else 3000)
        P0 = max(P0, len(prob["target"]))
        s = domain_vote(prob["pool"], prob["target"], seed=seed, P0=P0,
                        K=20 if len(prob["pool"]) > 5000 else 10, n_ref=min(5000, len(prob["pool"]) // 2))
        _VOTE_CACHE[key] = (s, time.perf_counter() - t0)
    return _VOTE_CACHE[key][0]


def m_vote_random(prob, sizes, seed, th=0.9):
    s = vote_score(prob, seed)
    rng = np.random.default_rng([seed, 4])
    D = np.flatnonzero(s > th)
    rest = np.flatnonzero(s <= th)
    return prefixes(np.r_[rng.permutation(D), rest[np.argsort(-s[rest], kind="stable")]], sizes)


def m_vote_cells(prob, sizes, seed, th=0.9, first_rounds=0):
    """Voronoi-balanced random rows of the in-domain set D = {vote > th}; optionally the first
    `first_rounds` rounds of nearest-rr come first."""
    s = vote_score(prob, seed)
    rng = np.random.default_rng([seed, 4])
    pre = np.array([], dtype=np.int64)
    if first_rounds:
        pre = nearest_rr_order(prob["pool"], prob["target"], first_rounds * len(prob["target"]),
                               np.random.default_rng([seed, 3]))
    taken = np.zeros(len(s), bool)
    taken[pre] = True
    D = np.flatnonzero((s > th) & ~taken)
    rest = np.flatnonzero((s <= th) & ~taken)
    rest = rest[np.argsort(-s[rest], kind="stable")]
    return prefixes(np.r_[pre, cells_order(prob["pool"], prob["target"], D, rng, rest)], sizes)


METHODS.update({
    "vote-random": m_vote_random,
    "vote-cells": m_vote_cells,
    "vote-cells-nn1": lambda p, s, seed: m_vote_cells(p, s, seed, first_rounds=1),
    "vote-cells-th.5": lambda p, s, seed: m_vote_cells(p, s, seed, th=0.5),
    "vote-cells-th.95": lambda p, s, seed: m_vote_cells(p, s, seed, th=0.95),
    "vote-cells-th.99": lambda p, s, seed: m_vote_cells(p, s, seed, th=0.99),
})


# ----------------------------------------------------------------------------- v4: representatives
def kmeans_reps(X, n, seed, max_iter=20):
    """Row indices of X nearest to the n centroids of a K-means (one per centroid, distinct)."""
    from sklearn.cluster import KMeans
    km = KMeans(n_clusters=n, n_init=1, max_iter=max_iter, random_state=seed, algorithm="lloyd").fit(X)
    d = sqdist(km.cluster_centers_.astype(np.float32), X)
    out, used = [], np.zeros(len(X), bool)
    for c in np.argsort(d.min(1)):  # centroids with a close row first
        o = np.argsort(d[c])
        j = o[~used[o]][0]
        used[j] = True
        out.append(j)
    return np.array(out)


def m_kmeans_set(prob, sizes, seed, which="vote", th=0.9):
    if which == "oracle":
        D = np.flatnonzero(prob["clean"])
    else:
        D = np.flatnonzero(vote_score(prob, seed) > th)
    return {n: D[kmeans_reps(prob["pool"][D], n, seed)] for n in sizes}


METHODS.update({
    "oracle-kmeans": lambda p, s, seed: m_kmeans_set(p, s, seed, "oracle"),
    "vote-kmeans": lambda p, s, seed: m_kmeans_set(p, s, seed, "vote"),
})


# ----------------------------------------------------------------------------- v5: per-cell ranking
_DR_CACHE = {}


def dr50_score(prob, seed):
    """domain_ratio with K=50 and a 10n-row pool reference sample (memoised)."""
    key = (prob["name"], seed, len(prob["pool"]), len(prob["target"]))
    if key not in _DR_CACHE:
        n, M = len(prob["target"]), len(prob["pool"])
        K = 50 if M > 20000 else 10
        mult = 10 if M > 20000 else 2
        _DR_CACHE[key] = domain_ratio(prob["pool"], prob["target"], K=K, ref_mult=mult, seed=seed)
    return _DR_CACHE[key]


def ranked_cells_order(pool, target, score, rng):
    """Assign every pool row to its nearest target (Voronoi cell); within a cell order rows by
    score (descending, random tie-break); targets in a shuffled round-robin each take the next row
    of their cell (exhausted cells drop out)."""
    M, n = len(pool), len(target)
    a, _ = knn_rows(pool, target, 1)
    a = a[:, 0]
    tie = rng.random(M)
    o = np.lexsort((tie, -score, a))          # by cell, then score desc, then random
    starts = np.searchsorted(a[o], np.arange(n + 1))
    tord = rng.permutation(n)
    cnt = np.diff(starts)
    depth = cnt.max()
    out = []
    for r in range(depth):
        live = tord[cnt[tord] > r]
        out.append(o[starts[live] + r])
    return np.concatenate(out)


def m_cells_ranked(prob, sizes, seed, which="dr50"):
    if which == "dr50":
        s = dr50_score(prob, seed)
    elif which == "vote":
        s = vote_score(prob, seed)
    elif which == "vote+dr50":
        v, d = vote_score(prob, seed), dr50_score(prob, seed)
        s = np.round(v, 2) + 1e-3 * np.log(d)
    elif which == "min":  # both must agree: rank-min of the two scores
        from scipy.stats import rankdata
        v, d = vote_score(prob, seed), dr50_score(prob, seed)
        s = np.minimum(rankdata(v), rankdata(d))
    rng = np.random.default_rng([seed, 4])
    return prefixes(ranked_cells_order(prob["pool"], prob["target"], s, rng), sizes)


METHODS.update({
    "cellrank-dr50": m_cells_ranked,
    "cellrank-vote": lambda p, s, seed: m_cells_ranked(p, s, seed, "vote"),
    "cellrank-vote+dr50": lambda p, s, seed: m_cells_ranked(p, s, seed, "vote+dr50"),
    "cellrank-min": lambda p, s, seed: m_cells_ranked(p, s, seed, "min"),
})


def m_vote_cells_cleanonly(prob, sizes, seed, th=0.9):
    """Diagnostic (uses the clean mask): vote-cells with the shifted rows of D removed."""
    s = vote_score(prob, seed)
    rng = np.random.default_rng([seed, 4])
    D = np.flatnonzero((s > th) & prob["clean"])
    return prefixes(cells_order(prob["pool"], prob["target"], D, rng, []), sizes)


METHODS["diag-vote-cells-cleanonly"] = m_vote_cells_cleanonly


# ----------------------------------------------------------------------------- v6: DR-cells (candidate winner)
def knn_ratio(Q, target, S, K, q_in_T=None, q_in_S=None):
    """w(q) = ((t+.5)/n) / ((s+.5)/|S|) with t, s the counts of target / reference rows among the
    K nearest rows of q in T u S. q_in_T / q_in_S: per query, its own index in T / S (or -1), excluded."""
    n, m_s = len(target), len(S)
    R = np.concatenate([target, S])
    isT = np.r_[np.ones(n, bool), np.zeros(m_s, bool)]
    w = np.empty(len(Q))
    for a in range(0, len(Q), CHUNK):
        d = sqdist(Q[a:a + CHUNK], R)
        r = np.arange(len(d))
        for own, off in ((q_in_T, 0), (q_in_S, n)):
            if own is not None:
                j = own[a:a + CHUNK]
                mk = j >= 0
                d[r[mk], off + j[mk]] = np.inf
        p = np.argpartition(d, K - 1, axis=1)[:, :K]
        t = isT[p].sum(1)
        w[a:a + CHUNK] = ((t + 0.5) / n) / ((K - t + 0.5) / m_s)
    return w


def dr_domain(pool, target, seed, K=None, ref_mult=None):
    """In-domain test: w(g) >= c * median_i w(x_i) (w on the target rows, leave-one-out).
    Returns (w_pool, w_target_median)."""
    M, n = len(pool), len(target)
    K = K or (50 if M > 20000 else 10)
    ref_mult = ref_mult or min(10, max(1, (M // 2) // n))
    rng = np.random.default_rng([seed, 7])
    S_idx = rng.choice(M, min(M, ref_mult * n), replace=False)
    pos = np.full(M, -1)
    pos[S_idx] = np.arange(len(S_idx))
    S = pool[S_idx]
    wp = knn_ratio(pool, target, S, K, q_in_S=pos)
    wt = knn_ratio(target, target, S, K, q_in_T=np.arange(n))
    return wp, float(np.median(wt))


_DRD_CACHE = {}
LAST_DOMAIN = {}


def m_dr_cells2(prob, sizes, seed, c=0.5, rank_in_cell=False):
    """DR-cells: D = {g : w(g) >= c * median w(target)}; Voronoi-balanced random rows of D (each
    target in a shuffled round-robin takes a random unpicked D row of its own cell); after D, the
    remaining rows by decreasing w."""
    key = (prob["name"], seed, len(prob["pool"]), len(prob["target"]))
    if key not in _DRD_CACHE:
        _DRD_CACHE[key] = dr_domain(prob["pool"], prob["target"], seed)
    w, wt = _DRD_CACHE[key]
    rng = np.random.default_rng([seed, 4])
    inD = w >= c * wt
    D = np.flatnonzero(inD)
    rest = np.flatnonzero(~inD)
    rest = rest[np.argsort(-w[rest], kind="stable")]
    return prefixes(cells_order(prob["pool"], prob["target"], D, rng, rest), sizes)


METHODS.update({
    "drc-0.3": lambda p, s, seed: m_dr_cells2(p, s, seed, 0.3),
    "drc-0.5": lambda p, s, seed: m_dr_cells2(p, s, seed, 0.5),
    "drc-0.7": lambda p, s, seed: m_dr_cells2(p, s, seed, 0.7),
})


def m_dr_cells_nn(prob, sizes, seed, c=0.5, rounds=1):
    """`rounds` rounds of nearest-rr first, then DR-cells on the remaining rows."""
    pre = nearest_rr_order(prob["pool"], prob["target"], rounds * len(prob["target"]), np.random.default_rng([seed, 3]))
    full = m_dr_cells2(prob, [len(prob["pool"])], seed, c)[len(prob["pool"])]
    taken = np.zeros(len(prob["pool"]), bool)
    taken[pre] = True
    return prefixes(np.r_[pre, full[~taken[full]]], sizes)


METHODS["drc-0.5-nn1"] = m_dr_cells_nn


def m_dr_cells_local(prob, sizes, seed, c=0.5, L=20, rounds=1):
    """DR-cells restricted to each cell's L rows nearest to the cell's target:
    D = {g : w(g) >= c * median w(target)  and  g is among the L nearest rows of its cell}.
    Order: `rounds` rounds of nearest-rr, then Voronoi-balanced random rows of D, then the rest
    (by decreasing w)."""
    pool, T = prob["pool"], prob["target"]
    M = len(pool)
    key = (prob["name"], seed, len(pool), len(T))
    if key not in _DRD_CACHE:
        _DRD_CACHE[key] = dr_domain(pool, T, seed)
    w, wt = _DRD_CACHE[key]
    a, d = knn_rows(pool, T, 1)
    a, d = a[:, 0], d[:, 0]
    o = np.lexsort((d, a))
    starts = np.searchsorted(a[o], np.arange(len(T) + 1))
    rank = np.empty(M, np.int64)
    rank[o] = np.arange(M) - np.repeat(starts[:-1], np.diff(starts))
    pre = nearest_rr_order(pool, T, rounds * len(T), np.random.default_rng([seed, 3])) if rounds else np.array([], np.int64)
    taken = np.zeros(M, bool)
    taken[pre] = True
    inD = (w >= c * wt) & (rank < L) & ~taken
    D = np.flatnonzero(inD)
    LAST_DOMAIN[key] = len(pre) + len(D)  # the in-domain stop: where D runs out
    rest = np.flatnonzero(~inD & ~taken)
    rest = rest[np.argsort(-w[rest], kind="stable")]
    rng = np.random.default_rng([seed, 4])
    return prefixes(np.r_[pre, cells_order(pool, T, D, rng, rest)], sizes)


METHODS.update({
    "drcl-L15": lambda p, s, seed: m_dr_cells_local(p, s, seed, L=15),
    "drcl-L30": lambda p, s, seed: m_dr_cells_local(p, s, seed, L=30),
    "drcl-L60": lambda p, s, seed: m_dr_cells_local(p, s, seed, L=60),
})


def m_drc_param(prob, sizes, seed, c=0.5, K=50, r=10, rounds=1, L=None):
    """drc-0.5-nn1 / drcl with explicit K (neighbours) and r (reference sample = r*n pool rows)."""
    pool, T = prob["pool"], prob["target"]
    M = len(pool)
    key = (prob["name"], seed, M, len(T), K, r)
    if key not in _DRD_CACHE:
        _DRD_CACHE[key] = dr_domain(pool, T, seed, K=K, ref_mult=r)
    w, wt = _DRD_CACHE[key]
    pre = nearest_rr_order(pool, T, rounds * len(T), np.random.default_rng([seed, 3])) if rounds else np.array([], np.int64)
    taken = np.zeros(M, bool)
    taken[pre] = True
    inD = (w >= c * wt) & ~taken
    if L is not None:
        a, d = knn_rows(pool, T, 1)
        a, d = a[:, 0], d[:, 0]
        o = np.lexsort((d, a))
        starts = np.searchsorted(a[o], np.arange(len(T) + 1))
        rank = np.empty(M, np.int64)
        rank[o] = np.arange(M) - np.repeat(starts[:-1], np.diff(starts))
        inD &= rank < L
    D = np.flatnonzero(inD)
    LAST_DOMAIN[(prob["name"], seed, M, len(T))] = len(pre) + len(D)
    rest = np.flatnonzero(~inD & ~taken)
    rest = rest[np.argsort(-w[rest], kind="stable")]
    rng = np.random.default_rng([seed, 4])
    return prefixes(np.r_[pre, cells_order(pool, T, D, rng, rest)], sizes)


METHODS.update({
    "drc-K100r20-nn1": lambda p, s, seed: m_drc_param(p, s, seed, K=100, r=20),
    "drc-K100r20-0.4-nn1": lambda p, s, seed: m_drc_param(p, s, seed, c=0.4, K=100, r=20),
    "drcl-K100r20-L30": lambda p, s, seed: m_drc_param(p, s, seed, K=100, r=20, L=30),
})


def drc2_params(M, n):
    """K and r from the pool size: K = clip(round(M/600), 10, 100), r = clip((M/2)//n, 1, 20)."""
    return int(np.clip(round(M / 600), 10, 100)), int(np.clip((M // 2) // n, 1, 20))


def m_drc2(prob, sizes, seed, c=0.5, L=None):
    K, r = drc2_params(len(prob["pool"]), len(prob["target"]))
    return m_drc_param(prob, sizes, seed, c=c, K=K, r=r, L=L)


METHODS.update({
    "drc2-nn1": m_drc2,
    "drcl2-L30": lambda p, s, seed: m_drc2(p, s, seed, L=30),
    "drcl2-L15": lambda p, s, seed: m_drc2(p, s, seed, L=15),
})

if __name__ == "__main__":
    from common import HERE, run, table
    scen = sys.argv[1] if len(sys.argv) > 1 else "fmnist-pca"
    seeds = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "0").split(",")]
    names = sys.argv[3].split(",") if len(sys.argv) > 3 else list(METHODS)
    out = HERE / "results" / (sys.argv[4] if len(sys.argv) > 4 else f"{scen}.json")
    recs = run({m: METHODS[m] for m in names}, scen, seeds, out)
    print(table(recs, scen))
