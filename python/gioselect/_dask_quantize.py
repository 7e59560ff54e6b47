"""quantize=K on a Dask pool: quantize.kmeans' steps, chunk by chunk, with the same result.

The pool stays on the workers; the client receives what one process would compute from it:
1. one pass over the chunks checks their values (quantize.kmeans' input is checked the same way)
   and returns the seeded K-means sample rows (quantize.sample_rows) that each chunk holds;
2. the same MiniBatchKMeans trains on that sample, on the client (quantize.train_centers);
3. the assignment is `map_blocks` of quantize.assign on every chunk, with the centres (as
   quantize.AssignCentres, computed once on the client) a key of the graph, which the scheduler
   gives to every worker that needs it (restarted ones too); each chunk sends back its labels and
   squared distances, 8 bytes a row;
4. the empty-cluster repair and the explosion run on the client on those labels, as in one process
   (quantize.repair_empty reads the few rows it gives to empty clusters from their chunks).

Why the floats are identical: steps 1 and 4 copy values; step 2 is the same code on the same
input in the same process; in step 3 every row's distances come from quantize.assign on the same
block of rows as in one process: chunks are re-cut at multiples of quantize.assign_block_rows
(BLAS's product depends on the block's height and thread count, and assign multiplies each block
on one thread), and gioselect._dask checks that every worker runs the same numpy, BLAS and CPU
features as the client.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from gioselect import quantize
from gioselect._blocks import all_finite

log = logging.getLogger("gioselect")


def aligned_chunks(chunks: tuple[int, ...], block_rows: int) -> tuple[int, ...]:
    """Row chunks whose inner boundaries are the given ones rounded to the nearest multiple of
    block_rows (chunks merge where two boundaries round to one)."""
    n = sum(chunks)
    bounds = np.cumsum(chunks)[:-1]
    inner = sorted({int(b) for b in np.round(bounds / block_rows).astype(np.int64) * block_rows} - {0} - {n})
    inner = [b for b in inner if 0 < b < n]
    return tuple(int(c) for c in np.diff([0, *inner, n]))


def kmeans(pool, n_clusters: int, *, random_state: int = 0, metric: str = "euclidean",
           name: str = "X") -> quantize.Quantization:
    """quantize.kmeans of a gioselect._dask.DaskPool: the same Quantization, the pool read on the workers."""
    t0 = time.perf_counter()
    unit = metric == "cosine"
    block_rows = quantize.assign_block_rows(n_clusters)
    X = pool.aligned(block_rows)
    starts = np.concatenate([[0], np.cumsum(X.chunks[0])])
    rows = quantize.sample_rows(X.shape[0], n_clusters, random_state)
    where = [f"chunk {i} (rows {lo:,}-{hi - 1:,})" for i, (lo, hi) in enumerate(zip(starts[:-1], starts[1:]))]
    sample = np.concatenate(pool.results([
        _delayed(_checked_sample)(chunk, rows[(rows >= lo) & (rows < hi)] - lo, name, int(lo))
        for chunk, lo, hi in zip(X.to_delayed()[:, 0], starts[:-1], starts[1:])], "the check and sample pass", where))
    t1 = time.perf_counter()
    centers = quantize.train_centers(sample, rows, n_clusters, random_state, unit=unit, name=name)
    del sample
    t2 = time.perf_counter()
    ref = quantize.AssignCentres.of(centers)
    # meta given: without it, map_blocks calls _assign_chunk on an empty chunk here, and its BLAS
    # limit (kept for the worker's life) would leave this process's BLAS on one thread
    packed = X.map_blocks(_assign_chunk, pool.in_graph(ref), unit=unit, input_name=name,  # name: dask's own
                          block_rows=block_rows, drop_axis=1, meta=np.empty(0, dtype=np.int64))
    packed = np.concatenate(pool.results(list(packed.to_delayed()), "the assignment pass", where,
                                         graph_bytes=sum(a.nbytes for a in (ref.origin, ref.centers, ref.c_sq))))
    labels = (packed >> 32).astype(np.int32)
    sq_dist = (packed & 0xFFFFFFFF).astype(np.uint32).view(np.float32)
    del packed
    t3 = time.perf_counter()
    n_repaired = quantize.repair_empty(centers, labels, sq_dist, pool.row, unit=unit)
    log.info("Dask quantize of %d rows in %d chunks: check and sample pass %.2f s, K-means %.2f s, assignment pass "
             "%.2f s, repair %.2f s", X.shape[0], len(X.chunks[0]), t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3)
    return quantize.Quantization(centers=np.ascontiguousarray(centers), labels=labels, sq_dist=sq_dist,
                                 inertia=float(sq_dist.sum(dtype=np.float64)), n_repaired=n_repaired,
                                 seconds=time.perf_counter() - t0)


def _delayed(fn):
    import dask

    return dask.delayed(fn, pure=True)


def _checked_sample(chunk: np.ndarray, local_rows: np.ndarray, name: str, first_row: int):
    """On a worker: the chunk's values checked as one process checks the pool (the error is
    raised on the client, for the first failing chunk), and its rows of the K-means sample."""
    all_finite(chunk, name, first_row)
    return np.array(chunk[local_rows])


def _assign_chunk(chunk: np.ndarray, ref: quantize.AssignCentres, *, unit: bool, input_name: str, block_rows: int,
                  block_info=None) -> np.ndarray:
    """On a worker: quantize.assign of one chunk, each row's label and float32 squared distance
    packed in one int64 (label << 32 | the distance's bits), so the pass is one map_blocks."""
    from threadpoolctl import threadpool_limits

    # Kept for the worker's life (no restore): tasks on the worker's other threads then cannot
    # restore a multi-threaded BLAS while this one multiplies; Dask's nanny starts BLAS at 1 thread.
    threadpool_limits(limits=1, user_api="blas")
    first_row = block_info[0]["array-location"][0][0] if block_info else 0
    labels, sq_dist = quantize.assign(chunk, ref, unit=unit, name=input_name, first_row=first_row,
                                      block_rows=block_rows)
    return (labels.astype(np.int64) << 32) | sq_dist.view(np.uint32).astype(np.int64)
