"""gioselect: fast GIO (Gradient Information Optimization) training-data selection."""

from gioselect.estimators import knn_kl, relaxed_kl, relaxed_kl_gradient
from gioselect.sampler import GIOSampler
from gioselect.selector import GIOSelector, estimate_memory

__all__ = ["GIOSampler", "GIOSelector", "estimate_memory", "knn_kl", "relaxed_kl", "relaxed_kl_gradient"]
__version__ = "0.1.0"
