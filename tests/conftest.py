import numpy as np
import pytest


@pytest.fixture
def blobs():
    """Pool: two well-separated Gaussian clusters (rows 0..399 near 0, 400..799 near 6); target
    from the first cluster."""
    rng = np.random.default_rng(0)
    pool = np.vstack([rng.normal(0, 1, (400, 8)), rng.normal(6, 1, (400, 8))]).astype(np.float32)
    target = rng.normal(0, 1, (150, 8)).astype(np.float32)
    return pool, target
