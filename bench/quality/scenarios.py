"""The scenarios beyond Fashion-MNIST: each is a data set read offline, a shift, and the
representation GIO and the classifier share. Fashion-MNIST keeps its own path in run_quality.py
(two problems, two representations).

A scenario's `problem(data, seed)` returns raw pool/target/held-out/test rows (pixels or passages),
pool labels, the clean mask and test labels; its representation is fitted on the pool alone, without
labels, never on the test rows, and every other part is transformed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

import digits
import manpages


@dataclass(frozen=True)
class Scenario:
    title: str  # the heading of its tables
    load: Callable  # (data_dir or None) -> data, read once
    problem: Callable  # (data, seed) -> dict of pool, labels, clean, target, heldout, test, test_labels
    reps: dict  # representation name -> (seed -> unfitted transformer), fitted on the pool
    shift: dict  # what the shift is, for the JSON
    n_target: int
    n_heldout: int
    #: Budgets in % of the pool. The small pools add 10% and 20%, so that the best fixed budget,
    #: which the automatic stop is judged against, is inside the range (the clean rows are 20%).
    sizes_pct: tuple = (1, 2, 5, 10, 20)


SCENARIOS = {
    "digits": Scenario(
        title="Digits: pool of 1,097 scans, 80% tilted + blurred + noisy, target = 100 clean images",
        load=digits.load, problem=digits.problem, shift=digits.SHIFT,
        reps={"pca30": lambda seed: PCA(n_components=30, random_state=seed)},
        n_target=digits.N_TARGET, n_heldout=digits.N_HELDOUT),
    "text": Scenario(
        title="Text: man-page passages, pool 80% translated (de/fr/es), target = 300 English passages",
        load=manpages.load, problem=manpages.problem, shift=manpages.SHIFT,
        reps={"tfidf-svd100": lambda seed: make_pipeline(
            TfidfVectorizer(sublinear_tf=True, min_df=2), TruncatedSVD(n_components=100, random_state=seed),
            Normalizer())},
        n_target=manpages.N_TARGET, n_heldout=manpages.N_HELDOUT),
}
