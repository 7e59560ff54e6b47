"""selection_kl_ (and score(target=T)) of a Dask fit, computed where the rows are (docs/dask.md,
*selection_kl_ on the workers*).

knn_kl(T, W, k) adds W's rows one by one and keeps sum log nu_k as a running sum, so its last bits
depend on the order of every float operation. Each chunk of the pool holding selected rows runs
_core.knn_kl_events on its rows, in pick order, on a worker: every change of a target's k-NN list
within the chunk's rows, with the distance KnnKL computes (a superset of the changes knn_kl makes
for those rows, as a list within some rows is never nearer than within more). The client merges
the chunks' changes by (position in the selection, target) and _core.knn_kl_replay replays them
through KnnKL's own insertion, dropping those the whole list rejects: knn_kl's value bit for bit,
with 12 bytes a change (and 4 a row) sent here instead of the rows.
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
    selection against a target. Pickles without the client (the one in use is found then)."""

    def __init__(self, array, client, indices):
        self.array, self.client, self.indices = array, client, np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getstate__(self):
        return dict(self.__dict__, client=None)

    def knn_kl(self, target: np.ndarray, k: int, n_jobs, metric: str) -> float:
        from gioselect import _dask

        pool = _dask.DaskPool(self.array, self.client or _dask._client(None))
        return selection_kl(pool, target, self.indices, k, n_jobs, metric)


def selection_kl(pool, target: np.ndarray, selected: np.ndarray, k: int, n_jobs, metric: str) -> float:
    """knn_kl(target, the pool's rows `selected`, k) (needs len(selected) >= k), the rows read and
    compared with the target on the workers, one task per chunk holding some of them."""
    dtype = common_dtype(target, pool)  # as knn_kl pairs the target with the rows
    target = np.ascontiguousarray(target, dtype=dtype)
    selected = np.asarray(selected, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(pool.array.chunks[0])])
    chunk_of = np.searchsorted(starts, selected, side="right") - 1
    by_chunk = np.argsort(chunk_of, kind="stable")  # positions, chunk by chunk, in pick order within
    bounds = np.searchsorted(chunk_of[by_chunk], np.arange(len(starts)))
    key = pool.in_graph(target)  # one key of the graph, given to every worker that needs it
    tasks, what, positions = [], [], []
    for c, chunk in enumerate(pool.array.to_delayed()[:, 0]):
        pos = by_chunk[bounds[c]:bounds[c + 1]]
        if len(pos) == 0:
            continue
        tasks.append(_delayed(_chunk_events)(chunk, selected[pos] - starts[c], key, int(k), metric, dtype))
        what.append(f"chunk {c} (rows {starts[c]:,}-{starts[c + 1] - 1:,}, {len(pos):,} selected)")
        positions.append(pos)
    events = pool.results(tasks, "selection_kl_ (the k-NN lists' changes per chunk)", what,
                          graph_bytes=target.nbytes)
    sent = sum(a.nbytes for ev in events for a in ev)
    pool.bytes_to_client += sent
    position = np.concatenate([np.repeat(p, ev[0]) for p, ev in zip(positions, events)] or [np.empty(0, np.int64)])
    order = np.argsort(position, kind="stable")  # a row's changes come from one chunk, targets ascending
    target_of = np.concatenate([ev[1] for ev in events] or [np.empty(0, np.int32)])[order]
    distance = np.concatenate([ev[2] for ev in events] or [np.empty(0)])[order]
    log.info("selection_kl_ of %d rows on the workers: %d changes of the k-NN lists from %d chunks, %d bytes to the "
             "client (the rows: %d bytes)", len(selected), len(order), len(tasks), sent,
             len(selected) * pool.shape[1] * np.dtype(dtype).itemsize)
    return float(_core.knn_kl_replay(target, position[order], target_of, distance, len(selected), int(k),
                                     resolve_n_jobs(n_jobs), metric))


def _chunk_events(chunk, local_rows, target, k, metric, dtype):
    """On a worker: one chunk's (counts, targets, distances) for its selected rows, in pick order."""
    rows = np.ascontiguousarray(np.asarray(chunk)[local_rows], dtype=dtype)
    return _core.knn_kl_events(target, rows, k, 0, metric)  # TargetStats' values do not depend on threads
