"""Fashion-MNIST from the Debian package `dataset-fashion-mnist`, and the benchmark's domain shift.

The files are read locally (idx format, gzip) and never downloaded: the benchmark must run
offline and on exactly the bytes the distribution ships.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

#: Standard deviation of the pixel noise of the shift, in units of the [0, 1] intensity range.
NOISE_STD = 0.15


def read_idx(path: Path) -> np.ndarray:
    """One idx file as uint8: the header gives the dimension count (byte 3) and sizes (big-endian)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte idx file")
    ndim = raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(data_dir=DEFAULT_DIR) -> dict:
    """{'train_images': (60000, 784) uint8, 'train_labels', 'test_images': (10000, 784), 'test_labels'}."""
    data_dir = Path(data_dir)
    missing = [name for name in FILES.values() if not (data_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST files missing in {data_dir}: {', '.join(missing)}. "
            f"Install them with `apt-get install dataset-fashion-mnist`, or pass --data-dir "
            f"to a folder holding the four idx .gz files.")
    out = {key: read_idx(data_dir / name) for key, name in FILES.items()}
    for key in ("train_images", "test_images"):
        out[key] = out[key].reshape(len(out[key]), -1)
    return out


def scale(images: np.ndarray) -> np.ndarray:
    """Clean pixels as float32 in [0, 1]."""
    return images.astype(np.float32) / 255.0


def shift(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The domain shift, on pixels in [0, 1]: the item turned 90 degrees counter-clockwise (a
    sideways photo or scan) plus Gaussian sensor noise, clipped back to [0, 1]. Labels stay valid."""
    x = np.rot90(scale(images).reshape(-1, 28, 28), 1, axes=(1, 2)).reshape(len(images), -1)
    x = x + rng.normal(0.0, NOISE_STD, x.shape).astype(np.float32)
    return np.clip(x, 0.0, 1.0, out=x)
