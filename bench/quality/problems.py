"""The benchmark's two problems, built per seed from the 60,000 Fashion-MNIST training images.

shifted_pool (table 1): a seeded permutation holds back 1,000 clean images; the other 59,000 form
the pool, of which a seeded 80% get the domain shift. The held-back images give the target X
(500 rows, handed to GIO) and a disjoint clean held-out sample (500 rows, only for the KL metric),
so neither GIO nor the metric ever sees a pool row.

compression (table 2, the paper's self-selection setting): a seeded subsample of clean training
images is both the pool and the target; 500 other clean images are the held-out sample.

Pool labels are only used to train the classifier, never given to GIO.
"""

from __future__ import annotations

import numpy as np

from fashion_mnist import scale, shift

N_TARGET = 500
N_HELDOUT = 500
SHIFT_FRACTION = 0.8


def shifted_pool(data: dict, seed: int, pool_size=None) -> dict:
    """Pool pixels (80% shifted), labels, clean mask, target and held-out pixels for one seed.
    pool_size keeps only the first rows of the 59,000-row pool (for --quick)."""
    images, labels = data["train_images"], data["train_labels"]
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(images))
    held, rows = perm[: N_TARGET + N_HELDOUT], perm[N_TARGET + N_HELDOUT:][:pool_size]
    shifted = np.zeros(len(rows), dtype=bool)
    shifted[rng.permutation(len(rows))[: round(SHIFT_FRACTION * len(rows))]] = True
    pool = scale(images[rows])
    pool[shifted] = shift(images[rows[shifted]], rng)
    return {"pool": pool, "labels": labels[rows], "clean": ~shifted,
            "target": scale(images[held[:N_TARGET]]), "heldout": scale(images[held[N_TARGET:]])}


def compression(data: dict, seed: int, pool_size: int) -> dict:
    """A clean pool that is also the target, and a disjoint clean held-out sample, for one seed."""
    images, labels = data["train_images"], data["train_labels"]
    perm = np.random.default_rng(seed).permutation(len(images))
    rows, held = perm[:pool_size], perm[pool_size: pool_size + N_HELDOUT]
    pool = scale(images[rows])
    return {"pool": pool, "labels": labels[rows], "clean": None, "target": pool, "heldout": scale(images[held])}
