"""GIOSampler: GIO as an imbalanced-learn sampler."""

from __future__ import annotations

from gioselect._base import GIOBase
from gioselect._docs import ATTRIBUTES, PARAMETERS


class GIOSampler(GIOBase):
    __doc__ = f"""Resample (X, y) to the rows GIO selects for a target sample.

    The sampler role of :class:`gioselect.GIOSelector`, with the same parameters and selection:
    ``fit_resample(X, y, target=T)`` returns ``(X[sel], y[sel])`` and has no ``transform``, so that
    imbalanced-learn's Pipeline accepts it as a step (a step may resample or transform, not both).
    At predict time such a Pipeline passes X through the sampler untouched.

{PARAMETERS}
{ATTRIBUTES}
    Examples
    --------
    >>> import numpy as np
    >>> from gioselect import GIOSampler
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (500, 2)), rng.normal(6, 1, (500, 2))])
    >>> y = np.repeat([0, 1], 500)
    >>> target = rng.normal(6, 1, (100, 2))
    >>> X_res, y_res = GIOSampler(n_select=50, random_state=0).fit_resample(X, y, target=target)
    >>> X_res.shape, int(y_res.sum())
    ((50, 2), 50)
    """
