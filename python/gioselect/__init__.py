"""gioselect: fast GIO (Gradient Information Optimization) training-data selection."""

from gioselect._core import relaxed_kl, relaxed_kl_gradient
from gioselect.selector import GIOSelector

__all__ = ["GIOSelector", "relaxed_kl", "relaxed_kl_gradient"]
__version__ = "0.1.0"
