"""GIOSelector: GIO as a scikit-learn transformer."""

from __future__ import annotations

from sklearn.base import OneToOneFeatureMixin, TransformerMixin

from gioselect._base import GIOBase, _take_rows
from gioselect._docs import ATTRIBUTES, PARAMETERS
from gioselect._validation import check_number
from gioselect.memory import fit_bytes


class GIOSelector(OneToOneFeatureMixin, TransformerMixin, GIOBase):
    __doc__ = f"""Select the pool rows that best preserve information about a target sample (GIO).

    ``fit(X, target=T)`` runs GIO with pool ``X`` and target ``T`` (default: ``X`` itself) and
    stores the chosen pool rows in ``selected_indices_``, in selection order. ``transform(X)``
    returns those rows of the fitted pool and ``fit_resample(X, y)`` returns ``(X[sel], y[sel])``;
    pandas inputs come back as pandas with their index. In an imbalanced-learn Pipeline use
    :class:`gioselect.GIOSampler`, which resamples and does not transform.

    Parameters mirror grad-info-opt's ``GIOKL.fit``; where the reference's behaviour surprises
    users, the native selector does what the name says (README, "Semantics").

{PARAMETERS}
{ATTRIBUTES}
    See Also
    --------
    GIOSampler : the same selection as an imbalanced-learn sampler (``fit_resample`` only).
    gioselect.compat.GIOKL : grad-info-opt's interface, with its semantics.

    Notes
    -----
    ``fit(X, y=None, *, target=None, init=None)`` ignores y. ``target`` and ``init`` are fit
    metadata: with metadata routing enabled, ``set_fit_request(target=True)`` lets a Pipeline or
    GridSearchCV pass them on.

    Examples
    --------
    A pool of two clusters and a target drawn from one of them:

    >>> import numpy as np
    >>> from gioselect import GIOSelector
    >>> rng = np.random.default_rng(0)
    >>> pool = np.vstack([rng.normal(0, 1, (500, 2)), rng.normal(6, 1, (500, 2))])
    >>> target = rng.normal(6, 1, (100, 2))
    >>> sel = GIOSelector(n_select=50, random_state=0).fit(pool, target=target)
    >>> sel.selected_indices_.shape
    (50,)
    >>> bool((sel.selected_indices_ >= 500).all())  # every pick from the target's cluster
    True
    >>> sel.transform(pool).shape
    (50, 2)

    Without ``n_select`` the run stops by itself. With a target, the default search ('auto') is
    'spread', which stops after about as many rows as the pool holds like the target:

    >>> auto = GIOSelector(random_state=0).fit(pool, target=target)
    >>> auto.search_, auto.stop_reason_
    ('spread', 'in_domain')
    >>> bool((auto.selected_indices_ >= 500).all()), len(auto.selected_indices_) > 50
    (True, True)
    """

    def transform(self, X):
        """The selected rows of the fitted pool, in selection order (a DataFrame keeps its index)."""
        self._check_same_pool(X)
        return _take_rows(X, self.selected_indices_)

    def fit_transform(self, X, y=None, *, target=None, init=None):
        """fit, then the selected rows of X."""
        return _take_rows(X, self.fit(X, y, target=target, init=init).selected_indices_)

    # -- scikit-learn integration -----------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # transform returns rows of X as they are, so every float dtype comes back unchanged
        tags.transformer_tags.preserves_dtype = ["float64", "float32", "float16"]
        return tags


def estimate_memory(n_pool: int, n_target: int, dim: int, *, dtype="float32", **params) -> int:
    """Expected peak bytes a ``GIOSelector(**params).fit`` allocates for a pool of n_pool x dim
    and a target of n_target rows (of the given dtype), on top of the inputs themselves.
    params are GIOSelector parameters (the defaults apply to those not given); search='auto' is
    counted as the fit with a target runs it ('spread'): for fit(X) alone pass search='descent'."""
    for name, value in (("n_pool", n_pool), ("n_target", n_target), ("dim", dim)):
        check_number(value, name, low=1, integer=True)
    unknown = sorted(set(params) - set(GIOSelector().get_params()))
    if unknown:
        raise TypeError(f"unknown GIOSelector parameter(s) {unknown}")
    selector = GIOSelector(**params)
    selector._check_params(target_given=True)
    return fit_bytes(n_pool, n_target, dim, dtype, selector._params())
