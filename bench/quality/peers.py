"""The other published ways of choosing training rows, as rows of every table (issue 11): facility
location (on the pool, and on nearest-to-target candidates), k-center greedy on those candidates, and
a DSIR-style importance resampling in embedding space. Each returns pool rows in pick order; all are
written here in numpy so the benchmark needs no other selection library.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.covariance import LedoitWolf
from sklearn.neighbors import NearestNeighbors

import baselines

GRAPH_K = 10  # neighbours per row of facility location's similarity graph
CANDIDATES = 3  # candidates per pick: the first 3N rows of nearest-to-target round-robin


def similarity_graph(rows: np.ndarray, k: int = GRAPH_K) -> sparse.csr_matrix:
    """The k-NN graph of rows (each row its own first neighbour) with Gaussian similarities
    exp(-d^2 / h^2), h^2 the median squared distance to the k-th neighbour: apricot's sparse
    facility location on a nearest-neighbour graph, with a kernel instead of max - d."""
    k = min(k, len(rows))
    dist, nbr = NearestNeighbors(n_neighbors=k).fit(rows).kneighbors(rows)
    h2 = max(float(np.median(dist[:, -1] ** 2)), np.finfo(np.float64).tiny)
    sim = np.exp(-(dist.astype(np.float64) ** 2) / h2)
    return sparse.csr_matrix((sim.ravel(), nbr.ravel(), np.arange(0, k * len(rows) + 1, k)),
                             shape=(len(rows), len(rows)))


def facility_location(rows: np.ndarray, n: int) -> np.ndarray:
    """Greedy maximisation of sum_i max_{j in S} sim(i, j) over the similarity graph of rows: each
    pick is the row whose addition raises the sum the most (ties: the lower row). Greedy, so the
    first m picks of an n-pick run are the m-pick run."""
    graph = similarity_graph(rows).tocoo()
    served = np.zeros(len(rows))
    picked = np.zeros(len(rows), dtype=bool)
    out = []
    for _ in range(min(n, len(rows))):
        gain = np.bincount(graph.col, np.maximum(graph.data - served[graph.row], 0.0), minlength=len(rows))
        gain[picked] = -1.0
        j = int(np.argmax(gain))
        picked[j] = True
        out.append(j)
        hit = graph.col == j
        np.maximum.at(served, graph.row[hit], graph.data[hit])
    return np.asarray(out, dtype=np.int64)


def k_center(rows: np.ndarray, n: int, start: int) -> np.ndarray:
    """Farthest-first traversal (k-center greedy) from row `start`: each pick is the row farthest
    from every row picked before it (ties: the lower row)."""
    rows = rows.astype(np.float64)
    gap = ((rows - rows[start]) ** 2).sum(axis=1)
    out = [start]
    for _ in range(min(n, len(rows)) - 1):
        j = int(np.argmax(gap))
        out.append(j)
        np.minimum(gap, ((rows - rows[j]) ** 2).sum(axis=1), out=gap)
    return np.asarray(out, dtype=np.int64)


def on_candidates(method: str, pool: np.ndarray, target: np.ndarray, n: int, seed: int) -> np.ndarray:
    """`method` ('facility' or 'kcenter') run on the first CANDIDATES * n rows that nearest-to-target
    round-robin picks, as the issue's peers were: the candidates carry the target, the method the
    spread. k-center starts from the candidate nearest the target mean."""
    cand = baselines.nearest_round_robin(pool, target, CANDIDATES * n, seed)
    if method == "facility":
        return cand[facility_location(pool[cand], n)]
    start = int(np.argmin(((pool[cand] - target.mean(axis=0)) ** 2).sum(axis=1)))
    return cand[k_center(pool[cand], n, start)]


def dsir(pool: np.ndarray, target: np.ndarray, n: int, seed: int) -> np.ndarray:
    """DSIR-style importance resampling (Xie et al. 2023) with Gaussian densities in embedding space
    instead of hashed n-grams: log w = log N(x; target) - log N(x; pool), each covariance a
    Ledoit-Wolf estimate; n rows drawn without replacement with probability proportional to w,
    by the Gumbel top-k trick as DSIR does (so the draws are nested)."""

    def log_density(fit_rows):
        cov = LedoitWolf().fit(fit_rows)
        return _gauss_logpdf(pool, cov.location_, cov.covariance_)

    log_w = log_density(target.astype(np.float64)) - log_density(pool.astype(np.float64))
    keys = log_w + np.random.default_rng([seed, 5]).gumbel(size=len(pool))
    return np.argsort(-keys, kind="stable")[:n]


def _gauss_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """log N(x; mean, cov) for every row of x, through a Cholesky factor."""
    chol = np.linalg.cholesky(cov)
    z = np.linalg.solve(chol, (x.astype(np.float64) - mean).T)
    return -0.5 * (z ** 2).sum(axis=0) - np.log(np.diag(chol)).sum() - 0.5 * len(mean) * np.log(2 * np.pi)
