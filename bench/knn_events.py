"""selection_kl_ of a Dask fit on the workers against the rows gathered to the client (docs/dask.md,
*selection_kl_ on the workers*), with one-process knn_kl as the baseline, in the same run.

    python bench/knn_events.py [--rows 400000] [--dim 64] [--k 1500] [--target 5000] [--knn 5]
                               [--chunk-rows 65536] [--workers 2] [--repeat 2]
                               [--data-dir /tmp/gioselect-bench] [--out bench/results/knn_events.json]

Fits GIOSelector(quantize=K, search="descent", random_state=0, k=knn) in one process on the pool of
bench/dask_scale.py (bench/embeddings.py, float32, memory-mapped): its selection (every row of the
picked clusters) is the one whose estimate is measured. Then, for that selection:
- one process: knn_kl(T, W) with W the selected rows in pick order (what fit computes);
- counts from the core (_core.knn_kl_events, exact): the changes of the targets' k-NN lists in the
  whole selection, the rows that make one, and the changes within each chunk's rows alone (what the
  workers send);
- on a LocalCluster(n_workers=workers, processes=True, threads_per_worker=1) reading the pool with
  read_npy_dask: "gathered", the rows read to the client (DaskPool.take) and knn_kl there (what fit
  did before), and "on workers", _dask_selection_kl.selection_kl (each chunk's changes, merged
  pairwise on the workers, replayed on the client); each timed from the request to the value, with
  the bytes and changes sent to the client, --repeat rounds interleaved (the machine is shared).
Every value is compared with the one-process one (==).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from embeddings import pool_file, target  # noqa: E402
from results import write_json  # noqa: E402


class Changes(logging.Handler):
    """The change count _dask_selection_kl logs."""
    count = None

    def emit(self, record):
        m = re.search(r"(\d+) changes of the k-NN lists", record.getMessage())
        if m:
            Changes.count = int(m.group(1))


def core_counts(T, W, order, chunk_rows, k):
    """(changes in the whole selection, rows making one, changes within the chunks' rows)."""
    from gioselect import _core

    counts, _, _ = _core.knn_kl_events(T, W, k, 0, "euclidean")
    chunk = order // chunk_rows
    within = sum(len(_core.knn_kl_events(T, np.ascontiguousarray(W[chunk == c]), k, 0, "euclidean")[1])
                 for c in np.unique(chunk))
    return int(counts.sum()), int((counts > 0).sum()), int(within)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--k", type=int, default=1500, help="quantize=K")
    ap.add_argument("--target", type=int, default=5000)
    ap.add_argument("--knn", type=int, default=5, help="the estimator's k")
    ap.add_argument("--chunk-rows", type=int, default=65_536)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--data-dir", default="/tmp/gioselect-bench")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "knn_events.json"))
    a = ap.parse_args()
    from gioselect import GIOSelector, _dask, _dask_selection_kl, knn_kl
    from gioselect.io import read_npy_dask

    log = logging.getLogger("gioselect")
    log.setLevel(logging.INFO)
    log.addHandler(Changes())
    path = pool_file(a.data_dir, a.rows, a.dim)
    pool = np.load(path, mmap_mode="r")
    T = target(a.target, a.dim)
    sel = GIOSelector(quantize=a.k, search="descent", random_state=0, k=a.knn).fit(pool, target=T)
    order = np.asarray(sel.selected_indices_)
    W = np.ascontiguousarray(pool[np.sort(order)][np.argsort(np.argsort(order))])  # pick order
    t0 = time.perf_counter()
    one = knn_kl(T, W, k=a.knn)
    one_s = time.perf_counter() - t0
    assert one == sel.selection_kl_
    changes, rows_changing, within = core_counts(T, W, order, a.chunk_rows, a.knn)

    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=a.workers, processes=True, threads_per_worker=1, dashboard_address=None)
    client = Client(cluster)
    client.run(lambda: __import__("gioselect._dask_selection_kl"))  # warm
    arr = read_npy_dask(path, chunk_rows=a.chunk_rows)
    runs = []
    for r in range(a.repeat):
        for how in ("gathered", "on workers"):
            dp = _dask.DaskPool(arr, client)
            Changes.count = None
            t0 = time.perf_counter()
            if how == "gathered":
                value = knn_kl(T, dp.take(order, "the read of the selected rows"), k=a.knn)
            else:
                value = _dask_selection_kl.selection_kl(dp, T, order, a.knn, None, "euclidean")
            runs.append(dict(how=how, round=r, seconds=round(time.perf_counter() - t0, 2),
                             sent_to_client=int(dp.bytes_to_client), changes_sent=Changes.count,
                             identical=bool(value == one)))
            print(runs[-1], flush=True)
    client.close()
    cluster.close()
    write_json(dict(
        pool=[a.rows, a.dim], quantize=a.k, target_rows=a.target, knn=a.knn, chunk_rows=a.chunk_rows,
        chunks=len(arr.chunks[0]), workers=a.workers, selected=len(order),
        selected_row_bytes=int(W.nbytes), one_process_knn_kl_s=round(one_s, 2), selection_kl=one,
        changes=changes, rows_changing_a_list=rows_changing, changes_within_chunks=within,
        bytes_per_change=20, runs=runs), a.out)


if __name__ == "__main__":
    main()
