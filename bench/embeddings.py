"""Synthetic sentence-embedding-like pools: unit-norm float32 rows around many cluster directions.

`write_pool(path, rows, dim, ...)` writes a .npy block by block (never the whole pool in memory),
so that million-row pools can be opened with mmap_mode='r'. Row i belongs to cluster
labels(i); clusters have Zipf-like sizes, as topics in real corpora do. The target is drawn from
a fifth of the clusters (a domain), from the same generator with another stream.
"""

from __future__ import annotations

import os

import numpy as np

N_CLUSTERS = 2000
NOISE = 0.6  # per-row noise relative to the unit-norm cluster direction


def centres(dim: int, seed: int = 0) -> np.ndarray:
    c = np.random.default_rng(seed).normal(size=(N_CLUSTERS, dim))
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def _rows(rng, c, count, clusters):
    weights = 1.0 / np.arange(1, len(clusters) + 1)
    pick = clusters[rng.choice(len(clusters), size=count, p=weights / weights.sum())]
    x = c[pick] + NOISE / np.sqrt(c.shape[1]) * rng.normal(size=(count, c.shape[1]))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def write_pool(path, rows: int, dim: int, seed: int = 0, block: int = 100_000) -> None:
    c = centres(dim, seed)
    rng = np.random.default_rng([seed, 1])
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, dim))
    for lo in range(0, rows, block):
        out[lo:lo + block] = _rows(rng, c, min(block, rows - lo), np.arange(N_CLUSTERS))
    out.flush()
    del out


def pool_file(data_dir, rows: int, dim: int) -> str:
    """The path of data_dir/pool_{rows}x{dim}.npy, written first if absent. It is written under a
    temporary name and renamed when complete, so an interrupted write is never taken for a pool."""
    path = os.path.join(data_dir, f"pool_{rows}x{dim}.npy")
    if not os.path.exists(path):
        os.makedirs(data_dir, exist_ok=True)
        partial = path + ".partial"
        write_pool(partial, rows, dim)
        os.replace(partial, path)
    return path


def target(rows: int, dim: int, seed: int = 0) -> np.ndarray:
    c = centres(dim, seed)
    return _rows(np.random.default_rng([seed, 2]), c, rows, np.arange(0, N_CLUSTERS, 5))
