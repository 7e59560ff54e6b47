"""The digits scenario: scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download),
with a pool whose seeded 80% majority are bad scans.

Per seed, a permutation of the images gives a clean target (100), a clean held-out sample for the KL
metric (100), a clean test set (500) and the pool (the other 1,097), of which 80% are corrupted.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from sklearn.datasets import load_digits

N_TARGET = 100
N_HELDOUT = 100
N_TEST = 500
SHIFT_FRACTION = 0.8
#: The bad scan: a page fed in at an angle (|angle| drawn from this range, either way), a slightly
#: soft focus (Gaussian blur, in pixels) and sensor noise (on the [0, 1] scale, clipped).
ANGLE_DEG = (20.0, 45.0)
BLUR_SIGMA = 0.5
NOISE_STD = 0.15
SHIFT = {"fraction": SHIFT_FRACTION, "kind": "rotated 20-45 deg either way, Gaussian blur, pixel noise",
         "angle_deg": list(ANGLE_DEG), "blur_sigma": BLUR_SIGMA, "noise_std": NOISE_STD}


def load(_data_dir=None) -> dict:
    """The bundled images as float32 in [0, 1] (the 0..16 grey levels divided by 16) and labels."""
    d = load_digits()
    return {"images": (d.data / 16.0).astype(np.float32), "labels": d.target}


def corrupt(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bad scans of (n, 64) images in [0, 1]: each rotated by its own angle, blurred, noised."""
    out = np.empty_like(images)
    angles = rng.uniform(*ANGLE_DEG, len(images)) * rng.choice([-1.0, 1.0], len(images))
    for i, (img, angle) in enumerate(zip(images.reshape(-1, 8, 8), angles)):
        tilted = ndimage.rotate(img, angle, reshape=False, order=1, mode="constant", cval=0.0)
        out[i] = ndimage.gaussian_filter(tilted, BLUR_SIGMA).ravel()
    out += rng.normal(0.0, NOISE_STD, out.shape).astype(np.float32)
    return np.clip(out, 0.0, 1.0, out=out)


def problem(data: dict, seed: int) -> dict:
    """Pool (80% corrupted), labels, clean mask, target, held-out and test images for one seed.
    Target, held-out and test rows are clean and never in the pool."""
    images, labels = data["images"], data["labels"]
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(images))
    cut = np.cumsum([N_TARGET, N_HELDOUT, N_TEST])
    target, heldout, test, rows = np.split(perm, cut)
    shifted = np.zeros(len(rows), dtype=bool)
    shifted[rng.permutation(len(rows))[: round(SHIFT_FRACTION * len(rows))]] = True
    pool = images[rows].copy()
    pool[shifted] = corrupt(images[rows[shifted]], rng)
    return {"pool": pool, "labels": labels[rows], "clean": ~shifted, "target": images[target],
            "heldout": images[heldout], "test": images[test], "test_labels": labels[test]}
