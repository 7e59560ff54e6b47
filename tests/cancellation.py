"""How far two correct float64 evaluations of a k-NN estimate may differ.

Squared distances computed as |a|^2 + |b|^2 - 2 a.b lose about eps * (|a|^2 + |b|^2) to cancellation.
A near pair turns that into a large relative error in its log-distance. The core and the tests centre
rows in slightly different ways, so the bits they lose differ too. Well-separated rows agree to about
1e-9 relative, which the callers add on top of this bound."""

import numpy as np

EPS = np.finfo(np.float64).eps


def _sq_dists(a, b):
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 1e-10)


def cancellation_bound(target, W, k):
    """Bound on |difference| of two estimates d/n * sum log(nu_k / rho_k), rows already in the target's
    frame (centred, divided by the spread)."""
    n, d = target.shape

    def worst(a, b, own):
        dist = _sq_dists(a, b)
        if own:
            np.fill_diagonal(dist, np.inf)
        j = np.argsort(dist, axis=1)[:, k - 1]
        scale = (a * a).sum(1) + (b[j] * b[j]).sum(1)
        return 16 * EPS * scale / dist[np.arange(len(a)), j]

    return d / n * (worst(target, W, False) + worst(target, target, True)).sum()
