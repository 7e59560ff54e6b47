"""What a selection is worth: the test accuracy of a classifier trained on it, its KL to a clean
held-out sample, and the share of clean rows it contains."""

from __future__ import annotations

import numpy as np
from gioselect import knn_kl
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

#: lbfgs converges in ~60-70 iterations on the whole 59,000-row pool (~3 s on 2 cores), so
#: max_iter=300 never truncates a fit and keeps the `full` baseline cheap.
MAX_ITER = 300


def accuracy(X, y, X_test, y_test) -> float:
    """Test accuracy of a multinomial logistic regression on standardized features."""
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=MAX_ITER))
    return float(clf.fit(X, y).score(X_test, y_test))


def score(rows, pool, labels, test, test_labels, heldout, clean=None) -> dict:
    """Accuracy, KL(heldout || pool[rows]) (exact k-NN estimate, k=5; lower is better) and, when
    the clean mask is known, the fraction of clean rows."""
    out = {"accuracy": accuracy(pool[rows], labels[rows], test, test_labels),
           "kl_heldout": knn_kl(heldout, pool[rows], k=5)}
    if clean is not None:
        out["clean_fraction"] = float(np.mean(clean[rows]))
    return out
