"""K-means quantization of a pool, for GIO on cluster centres (the paper's route to millions of rows).

GIO runs on the K centres; every pool row of a picked cluster is then returned ("explosion").
The quantizer is scikit-learn's MiniBatchKMeans trained on a seeded sample of the pool (256 rows
per cluster), followed by one exact assignment pass over every row, block by block. Measured in
bench/kmeans_compare.py at K = 1,500: at 200,000 x 128 it is 8.7x faster than KMeans (19 s against
168 s) at 2.7% more inertia, and 1.3% below MiniBatchKMeans on all rows (16 s); at 1,000,000 x 384
it takes 111 s where MiniBatchKMeans on all rows stops early at 46% more inertia and KMeans had
not finished 20 iterations after 22 minutes. No K-means of our own: these library pieces win.
Float32 input stays float32 and memory-mapped input is read one block at a time, so the pool is
never copied. Like the core (cpp/include/gio/frame.hpp), the quantizer does not depend on the
data's scale or offset: K-means is trained on the sample centred on its mean and divided by its
spread, and the assignment measures distances from the centres' mean, so that a float64 offset
of 1e8 does not cancel in |x|^2 - 2 x.c + |c|^2. With metric='cosine' every block is scaled to
unit length as it is read, the centres too (K-means on the sphere), and rows are assigned to the
nearest centre by that distance. Clusters left empty by the assignment are
repaired: each takes the row farthest from its centre (from a cluster with other rows), so every
cluster has at least one row and every row a label.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from gioselect._blocks import release, row_blocks

ROWS_PER_CLUSTER = 256  # training sample: this many rows per cluster (all rows if the pool is smaller)
ASSIGN_BLOCK_ROWS = 4096  # the most rows per block of the assignment pass


@dataclass
class Quantization:
    centers: np.ndarray   # (K, d), the pool's dtype
    labels: np.ndarray    # (M,) int32: the cluster of every pool row
    sq_dist: np.ndarray   # (M,) float32: squared distance of every row to its centre
    inertia: float        # sum of sq_dist
    n_repaired: int       # clusters that were empty after the assignment pass
    seconds: float


def kmeans(X: np.ndarray, n_clusters: int, *, random_state: int = 0, sample_size: int | None = None,
           metric: str = "euclidean", name: str = "X") -> Quantization:
    """Quantize the rows of X (2-D float32/float64, finite; a memmap is fine) into n_clusters.
    metric='cosine': the rows scaled to unit length (name: X's name in the error for a zero row).
    gioselect._dask_quantize runs these same steps on a Dask pool, chunk by chunk."""
    t0 = time.perf_counter()
    rows = sample_rows(X.shape[0], n_clusters, random_state, sample_size)
    unit = metric == "cosine"
    centers = train_centers(_gather(X, rows), rows, n_clusters, random_state, unit=unit, name=name)
    labels, sq_dist = assign(X, centers, unit=unit, name=name)
    n_repaired = repair_empty(centers, labels, sq_dist, lambda row: X[row:row + 1], unit=unit)
    return Quantization(centers=np.ascontiguousarray(centers), labels=labels, sq_dist=sq_dist,
                        inertia=float(sq_dist.sum(dtype=np.float64)), n_repaired=n_repaired,
                        seconds=time.perf_counter() - t0)


def sample_rows(n: int, n_clusters: int, random_state: int, sample_size: int | None = None) -> np.ndarray:
    """The sorted rows K-means trains on: a seeded sample of ROWS_PER_CLUSTER rows per cluster."""
    if not 1 <= n_clusters <= n:
        raise ValueError(f"quantize={n_clusters} clusters needs 1 <= K <= the {n} rows to quantize")
    size = min(n, sample_size or ROWS_PER_CLUSTER * n_clusters)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=size, replace=False)) if size < n else np.arange(n)


def train_centers(sample: np.ndarray, rows: np.ndarray, n_clusters: int, random_state: int, *,
                  unit: bool = False, name: str = "X") -> np.ndarray:
    """The K-means centres (the sample's dtype) of `sample`, the pool's `rows` (a new array it
    may overwrite); unit: K-means on the sphere (metric='cosine')."""
    from sklearn.cluster import MiniBatchKMeans

    dtype, size = sample.dtype, len(sample)
    if unit:
        sample = _unit_rows(sample, name, rows)
    pivot, mean, spread = _to_own_units(sample)
    # MiniBatchKMeans stops when its running inertia stops improving, an exact comparison that a
    # last-bit difference of the input can flip (X * 1e6 is not X scaled exactly): it trains on
    # the normalised sample rounded to float32, the same for inputs that agree to 7 digits.
    sample = sample.astype(np.float32, copy=False)
    model = MiniBatchKMeans(n_clusters=n_clusters, random_state=random_state % 2**32, n_init=1,
                            batch_size=min(size, max(4096, 4 * n_clusters)), compute_labels=False)
    model.fit(sample)
    del sample
    centers = (model.cluster_centers_.astype(np.float64) * spread + mean) + pivot
    if unit:
        centers = _unit_rows(centers, "the K-means centres")
    return centers.astype(dtype, copy=False)


def _to_own_units(sample: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Centre `sample` on its mean and divide it by its spread (the RMS distance of its rows from
    the mean), in place, as the core's frame does; returns (pivot, mean, spread) with the mean
    relative to the pivot, its first row: x - pivot is exact near the data, so an offset cancels
    exactly. Block by block: no float64 temporary of the sample's size."""
    pivot = sample[0].astype(np.float64)
    sample -= pivot.astype(sample.dtype)
    mean = sample.mean(axis=0, dtype=np.float64)
    sample -= mean.astype(sample.dtype)
    step = max(1, (1 << 20) // max(1, sample.shape[1]))
    ss = sum(float(np.square(sample[lo:lo + step], dtype=np.float64).sum()) for lo in range(0, len(sample), step))
    spread = float(np.sqrt(ss / len(sample))) or 1.0  # every row the same: centred only
    sample /= sample.dtype.type(spread)
    return pivot, mean, spread


def _unit_rows(a: np.ndarray, name: str, rows=None) -> np.ndarray:
    """a's rows scaled to unit length (a new array), or ValueError naming the first zero row
    (rows: a's row numbers in its source, for the message)."""
    norms = np.sqrt(np.einsum("ij,ij->i", a, a, dtype=np.float64))
    zero = np.flatnonzero(~(norms >= np.finfo(np.float64).tiny))
    if len(zero):
        row = zero[0] if rows is None else rows[zero[0]]
        raise ValueError(f"{name} row {row} is zero: metric='cosine' scales every row to unit length; drop that row "
                         f"or use metric='euclidean'")
    return (a / norms[:, None]).astype(a.dtype, copy=False)


def _gather(X: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """X[rows] (rows sorted), read block by block: random reads of a memory-mapped file would
    bring much of it into memory at once."""
    out = np.empty((len(rows), X.shape[1]), dtype=X.dtype)
    at = 0
    for lo, block in row_blocks(X):
        hi = at + np.searchsorted(rows[at:], lo + len(block))
        out[at:hi] = block[rows[at:hi] - lo]
        at = hi
    return out


def assign_block_rows(n_clusters: int) -> int:
    """Rows per block of the assignment pass: a block's distances to every centre are at most 4M
    values (16 MiB of float32); a power of two up to ASSIGN_BLOCK_ROWS, so that Dask chunks of a
    multiple of 4,096 rows are already aligned to the blocks (_dask_quantize) whatever K is."""
    rows = max(1, min(ASSIGN_BLOCK_ROWS, (1 << 22) // max(1, n_clusters)))
    return 1 << (rows.bit_length() - 1)


@dataclass(frozen=True)
class AssignCentres:
    """The centres as the assignment measures from them: relative to their mean (origin), with
    their squared norms; computed once, on the client for a Dask pool."""
    origin: np.ndarray
    centers: np.ndarray
    c_sq: np.ndarray

    @classmethod
    def of(cls, centers: np.ndarray) -> AssignCentres:
        origin = centers.mean(axis=0, dtype=np.float64).astype(centers.dtype)  # distances measured from here
        shifted = centers - origin
        return cls(origin, shifted, (shifted.astype(np.float64) ** 2).sum(1).astype(centers.dtype))


def assign(X: np.ndarray, centers, *, unit: bool = False, name: str = "X", first_row: int = 0,
           block_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre of every row (ties: the lower centre) and the squared distance to it;
    unit: each row scaled to unit length first (metric='cosine'). centers: an array or its
    AssignCentres; first_row: X's first row in the pool (for error messages).

    Exact across processes: BLAS's matrix product is not a per-row function (OpenBLAS gives other
    last bits for a row of a block of another height, or with another thread count), so every
    block is the same rows [i * block_rows, (i + 1) * block_rows) of the pool whoever computes it,
    each multiplied single-threaded; blocks run in parallel on as many threads as BLAS had."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info, threadpool_limits

    ref = centers if isinstance(centers, AssignCentres) else AssignCentres.of(centers)
    rows = block_rows or assign_block_rows(len(ref.centers))
    labels = np.empty(X.shape[0], dtype=np.int32)
    sq_dist = np.empty(X.shape[0], dtype=np.float32)

    def one_block(lo: int) -> None:
        block = X[lo:lo + rows]
        if unit:
            block = _unit_rows(block, name, np.arange(first_row + lo, first_row + lo + len(block)))
        block = block - ref.origin
        d2 = block @ ref.centers.T
        d2 *= -2
        d2 += ref.c_sq
        best = d2.argmin(axis=1)
        labels[lo:lo + len(block)] = best
        x_sq = np.einsum("ij,ij->i", block, block, dtype=np.float64)
        sq_dist[lo:lo + len(block)] = np.maximum(d2[np.arange(len(block)), best] + x_sq, 0)
        release(X, lo, lo + rows)

    threads = max([1] + [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"])
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(one_block, range(0, X.shape[0], rows)):  # the first failing block's error
            pass
    return labels, sq_dist


def repair_empty(centers, labels, sq_dist, read_row, *, unit: bool = False) -> int:
    """Give every empty cluster the row farthest from its centre (from a cluster with other rows),
    in place; read_row(row): that pool row as a 1-row array. Returns the clusters repaired."""
    counts = np.bincount(labels, minlength=len(centers))
    empty = np.flatnonzero(counts == 0)
    if len(empty) == 0:
        return 0
    far = np.argsort(-sq_dist, kind="stable")  # rows farthest from their centre first
    j = 0
    for cluster in empty:
        while counts[labels[far[j]]] <= 1:  # never empty another cluster
            j += 1
        row = far[j]
        j += 1
        counts[labels[row]] -= 1
        x = read_row(row)
        centers[cluster] = _unit_rows(x, "X")[0] if unit else x[0]
        labels[row] = cluster
        sq_dist[row] = 0
        counts[cluster] = 1
    return len(empty)


def explode(labels: np.ndarray, sq_dist: np.ndarray, clusters, max_rows_per_cluster: int | None = None) -> np.ndarray:
    """Pool rows of the picked clusters: in pick order, each cluster's rows nearest its centre
    first (ties: lower row), at most max_rows_per_cluster of each. Repeated clusters count once."""
    clusters = np.asarray(clusters, dtype=np.int64)
    _, first = np.unique(clusters, return_index=True)
    clusters = clusters[np.sort(first)]
    order = np.lexsort((np.arange(len(labels)), sq_dist, labels))  # by cluster, distance, row
    n_clusters = int(max(labels.max(), clusters.max(initial=-1))) + 1
    starts = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=n_clusters))])
    parts = []
    for c in clusters:
        lo, hi = starts[c], starts[c + 1]
        if max_rows_per_cluster is not None:
            hi = min(hi, lo + max_rows_per_cluster)
        parts.append(order[lo:hi])
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)
