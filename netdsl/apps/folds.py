"""Stratified k-fold cross-validation splits.

Fold i of K holds out every K-th row of each class (after a seeded shuffle of
that class), so each fold keeps the class shares of the whole table, as
scikit-learn's StratifiedKFold does. The folds depend only on the labels, K
and the seed: every spec compared on the same table gets the same folds.
"""

from __future__ import annotations


def stratified_folds(labels, n_rows: int, k: int, seed: int) -> list[tuple[list[int], list[int]]]:
    """K (train, test) row lists whose test rows partition the table; labels
    None: unstratified."""
    import numpy as np

    rng = np.random.default_rng(seed)
    groups = (
        [np.arange(n_rows)] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    )
    fold_of = np.empty(n_rows, dtype="int64")
    offset = 0
    for members in groups:
        members = rng.permutation(members)
        # round robin, continuing where the previous class stopped: fold sizes differ by at most one
        fold_of[members] = (np.arange(len(members)) + offset) % k
        offset += len(members)
    splits = []
    for i in range(k):
        test = np.flatnonzero(fold_of == i)
        train = rng.permutation(np.flatnonzero(fold_of != i))
        splits.append((train.tolist(), test.tolist()))
    return splits


def too_few_for_folds(labels, n_rows: int, k: int) -> int | None:
    """The size of the smallest class (or of the table) when it is below k."""
    import numpy as np

    smallest = int(np.unique(labels, return_counts=True)[1].min()) if labels is not None else n_rows
    return smallest if smallest < k else None
