"""What a worker-side selection_kl_ would send (docs/dask.md, *selection_kl_ on the workers*).

    python bench/knn_events.py [--rows 400000] [--dim 64] [--k 1500] [--target 5000] [--knn 5]
                               [--chunk-rows 65536] [--data-dir /tmp/gioselect-bench]
                               [--out bench/results/knn_events.json]

Fits GIOSelector(quantize=K, search="descent", random_state=0) (the descent, the default when
bench/results/knn_events.json was measured) in one process on the pool of bench/dask_scale.py
(bench/embeddings.py, float32, memory-mapped) and, for its selected rows in pick order (the order
knn_kl adds them), counts every change of a target row's k-NN list: in the whole selection, within
each pool chunk's rows alone, and the rows that change some list. Counting only (numpy float64
distances, not the core's kernel, so a near tie may count differently); compares them with the
bytes of the selected rows, which a fit sends to the client today.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from embeddings import pool_file, target  # noqa: E402
from results import write_json  # noqa: E402


def list_changes(T: np.ndarray, W: np.ndarray, k: int, block: int = 2048) -> tuple[int, int]:
    """(changes of the targets' k-NN lists as W's rows are added in order, rows that change one)."""
    nearest = np.full((len(T), k), np.inf)
    t_sq = (T ** 2).sum(1)
    changes = rows = 0
    for lo in range(0, len(W), block):
        B = W[lo:lo + block]
        D = np.sqrt(np.maximum(t_sq[None, :] + (B ** 2).sum(1)[:, None] - 2 * B @ T.T, 0))
        for r in range(len(B)):
            hit = np.nonzero(D[r] < nearest[:, -1])[0]
            if len(hit):
                rows, changes = rows + 1, changes + len(hit)
                lists = np.concatenate([nearest[hit, :-1], D[r, hit][:, None]], axis=1)
                lists.sort(axis=1)
                nearest[hit] = lists
    return changes, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--k", type=int, default=1500, help="quantize=K")
    ap.add_argument("--target", type=int, default=5000)
    ap.add_argument("--knn", type=int, default=5, help="the estimator's k")
    ap.add_argument("--chunk-rows", type=int, default=65_536)
    ap.add_argument("--data-dir", default="/tmp/gioselect-bench")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "knn_events.json"))
    a = ap.parse_args()
    from threadpoolctl import threadpool_limits

    from gioselect import GIOSelector

    path = pool_file(a.data_dir, a.rows, a.dim)
    pool = np.load(path, mmap_mode="r")
    T = target(a.target, a.dim)
    sel = GIOSelector(quantize=a.k, search="descent", random_state=0, k=a.knn).fit(pool, target=T)
    order = np.asarray(sel.selected_indices_)
    W = np.asarray(pool[np.sort(order)], dtype=np.float64)[np.argsort(np.argsort(order))]  # pick order
    T = T.astype(np.float64)
    t0 = time.perf_counter()
    with threadpool_limits(1):
        changes, rows = list_changes(T, W, a.knn)
        chunk = order // a.chunk_rows
        per_chunk = [list_changes(T, W[chunk == c], a.knn)[0] for c in np.unique(chunk)]
    write_json(dict(
        pool=[a.rows, a.dim], quantize=a.k, target_rows=a.target, knn=a.knn, chunk_rows=a.chunk_rows,
        selected=len(order), selected_row_bytes=int(W.shape[0] * a.dim * pool.itemsize),
        changes=changes, rows_changing_a_list=rows, changes_within_chunks=int(sum(per_chunk)),
        chunks=len(per_chunk), change_bytes=16 * changes, change_bytes_within_chunks=16 * int(sum(per_chunk)),
        count_seconds=round(time.perf_counter() - t0, 1)), a.out)


if __name__ == "__main__":
    main()
