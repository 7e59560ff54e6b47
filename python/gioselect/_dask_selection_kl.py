"""selection_kl_ (and score(target=T)) of a Dask fit, computed where the rows are (docs/dask.md,
*selection_kl_ on the workers*).

knn_kl(T, W, k) adds W's rows one by one and keeps sum log nu_k as a running sum, so its last bits
depend on the order of every float operation. Each chunk of the pool holding selected rows runs
_core.knn_kl_events on its rows, in pick order, on a worker: every change of a target's k-NN list
within the chunk's rows, with the distance KnnKL computes (a superset of the changes knn_kl makes
for those rows, as a list within some rows is never nearer than within more). Dask merges
the chunks' changes by (position in the selection, target), dropping those the lists within the
merged chunks' rows reject (_core.knn_kl_merge), pairwise on the workers; the client receives
the selection's own changes (20 bytes each) instead of its rows, and _core.knn_kl_replay replays
them through KnnKL's own arithmetic: knn_kl's value bit for bit.
"""

from __future__ import annotations

import logging

import numpy as np

from gioselect import _core
from gioselect._dask_quantize import _delayed
from gioselect._validation import common_dtype, resolve_n_jobs

log = logging.getLogger("gioselect")


class RowsOnWorkers:
    """The selected rows of a Dask pool, left on its workers: what score() needs to estimate the
    selection against a target. Pickles without the client; without one, or after the fit's client
    closed, the one in use is found."""

    def __init__(self, array, client, indices):
        self.array, self.client, self.indices = array, client, np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getstate__(self):
        return dict(self.__dict__, client=None)

    def knn_kl(self, target: np.ndarray, k: int, n_jobs, metric: str) -> float:
        from gioselect import _dask

        running = self.client is not None and self.client.status == "running"  # else the fit's client is closed
        pool = _dask.DaskPool(self.array, self.client if running else _dask._client(None))
        return selection_kl(pool, target, self.indices, k, n_jobs, metric)


def selection_kl(pool, target: np.ndarray, selected: np.ndarray, k: int, n_jobs, metric: str) -> float:
    """knn_kl(target, the pool's rows `selected`, k) (needs len(selected) >= k), the rows read and
    compared with the target on the workers: a task per chunk holding some of them, then pairwise
    merges of their changes (on the workers too), so that only the selection's own changes come here."""
    dtype = common_dtype(target, pool)  # as knn_kl pairs the target with the rows
    target = np.ascontiguousarray(target, dtype=dtype)
    selected = np.asarray(selected, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(pool.array.chunks[0])])
    chunk_of = np.searchsorted(starts, selected, side="right") - 1
    by_chunk = np.argsort(chunk_of, kind="stable")  # positions, chunk by chunk, in pick order within
    bounds = np.searchsorted(chunk_of[by_chunk], np.arange(len(starts)))
    key = pool.in_graph(target)  # one key of the graph, given to every worker that needs it
    parts = []
    for c, chunk in enumerate(pool.array.to_delayed()[:, 0]):
        pos = by_chunk[bounds[c]:bounds[c + 1]]
        if len(pos):
            parts.append(_delayed(_chunk_events)(chunk, selected[pos] - starts[c], pos, key, int(k), metric, dtype))
    chunks = len(parts)
    while len(parts) > 1:  # any tree gives the same changes (_core.knn_kl_merge); pairs keep it shallow
        parts = [_delayed(_merged)(a, b, len(target), int(k)) for a, b in zip(parts[::2], parts[1::2])] + \
            parts[len(parts) // 2 * 2:]
    (position, target_of, distance), = pool.results(
        parts, "selection_kl_ (the k-NN lists' changes of the chunks' selected rows)",
        [f"the changes of {len(selected):,} selected rows in {chunks} chunks"], graph_bytes=target.nbytes)
    sent = position.nbytes + target_of.nbytes + distance.nbytes
    pool.bytes_to_client += sent
    log.info("selection_kl_ of %d rows on the workers: %d changes of the k-NN lists from %d chunks, %d bytes to the "
             "client (the rows: %d bytes)", len(selected), len(position), chunks, sent,
             len(selected) * pool.shape[1] * np.dtype(dtype).itemsize)
    return float(_core.knn_kl_replay(target, position, target_of, distance, len(selected), int(k),
                                     resolve_n_jobs(n_jobs), metric))


def _chunk_events(chunk, local_rows, positions, target, k, metric, dtype):
    """On a worker: (position, target, distance) of the changes within one chunk's selected rows
    (`positions` in the selection, ascending), in (position, target) order."""
    rows = np.ascontiguousarray(np.asarray(chunk)[local_rows], dtype=dtype)
    counts, target_of, distance = _core.knn_kl_events(target, rows, k, 0, metric)  # TargetStats: any thread count
    return np.repeat(positions, counts), target_of, distance


def _merged(a, b, n_targets, k):
    """On a worker: the changes within the rows of a's and b's chunks (a's and b's positions differ)."""
    order = np.argsort(np.concatenate([a[0], b[0]]), kind="stable")  # a row's changes stay in target order
    position, target_of, distance = (np.concatenate([x, y])[order] for x, y in zip(a, b))
    keep = _core.knn_kl_merge(n_targets, k, position, target_of, distance).view(bool)
    return position[keep], target_of[keep], distance[keep]
