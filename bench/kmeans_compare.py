"""The quantizer: gioselect.quantize.kmeans against scikit-learn's KMeans and MiniBatchKMeans,
same data, same K, same run: wall time and inertia (sum of squared distances of every row to its
centre, computed the same way for all three).

    python bench/kmeans_compare.py [--sizes 200000x128 1000000x384] [--k 1500] [--kmeans-max-iter 300 20]

Data: bench/embeddings.py pools (unit-norm float32, 2,000 Zipf-sized clusters), written to
--data-dir and memory-mapped. KMeans (lloyd, k-means++, n_init=1) gets --kmeans-max-iter
iterations per size: a full run at 200k x 128 and a capped one at 1M x 384, where one Lloyd
iteration alone costs ~1.2 TFLOP; its time per iteration is reported so the capped run can be
read. MiniBatchKMeans: n_init=1, batch_size=4096, all rows (its own epochs and early stopping).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from embeddings import pool_file  # noqa: E402
from results import write_json  # noqa: E402

from gioselect import quantize  # noqa: E402


def inertia(X, centers):
    return float(quantize.assign(X, centers.astype(X.dtype))[1].sum(dtype=np.float64))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="*", default=["200000x128", "1000000x384"])
    ap.add_argument("--k", type=int, default=1500)
    ap.add_argument("--kmeans-max-iter", type=int, nargs="*", default=[300, 20])
    ap.add_argument("--data-dir", default="/tmp/gioselect-bench")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "kmeans_compare.json"))
    args = ap.parse_args()
    from sklearn.cluster import KMeans, MiniBatchKMeans

    quantize.kmeans(np.random.default_rng(0).normal(size=(2000, 8)).astype(np.float32), 10)  # warm-up: imports, threads
    rows = []
    for size, kmeans_iter in zip(args.sizes, args.kmeans_max_iter):
        m, d = (int(v) for v in size.split("x"))
        path = pool_file(args.data_dir, m, d)
        X = np.load(path, mmap_mode="r")
        row = dict(rows=m, dim=d, k=args.k)

        t0 = time.perf_counter()
        q = quantize.kmeans(X, args.k, random_state=0)
        row["gioselect"] = dict(seconds=time.perf_counter() - t0, inertia=q.inertia, repaired=q.n_repaired)
        print(f"{size}: gioselect {row['gioselect']['seconds']:.1f} s, inertia {q.inertia:.1f}", flush=True)

        Xm = np.asarray(X)
        t0 = time.perf_counter()
        mb = MiniBatchKMeans(n_clusters=args.k, random_state=0, n_init=1, batch_size=4096, compute_labels=False).fit(Xm)
        seconds = time.perf_counter() - t0
        row["MiniBatchKMeans"] = dict(seconds=seconds, inertia=inertia(X, mb.cluster_centers_), n_steps=int(mb.n_steps_))
        print(f"{size}: MiniBatchKMeans {seconds:.1f} s, inertia {row['MiniBatchKMeans']['inertia']:.1f}", flush=True)

        t0 = time.perf_counter()
        km = KMeans(n_clusters=args.k, random_state=0, n_init=1, max_iter=kmeans_iter).fit(Xm)
        seconds = time.perf_counter() - t0
        row["KMeans"] = dict(seconds=seconds, inertia=inertia(X, km.cluster_centers_), n_iter=int(km.n_iter_),
                             max_iter=kmeans_iter, converged=int(km.n_iter_) < kmeans_iter)
        print(f"{size}: KMeans {seconds:.1f} s ({km.n_iter_} iterations), inertia {row['KMeans']['inertia']:.1f}",
              flush=True)
        rows.append(row)
        write_json(dict(rows=rows), args.out)


if __name__ == "__main__":
    main()
