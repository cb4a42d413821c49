"""Stratified k-fold cross-validation splits.

Fold i of K holds out every K-th row of each class (after a seeded shuffle of
that class), so each fold keeps the class shares of the whole table, as
scikit-learn's StratifiedKFold does. The folds depend only on the labels, K
and the seed: every spec compared on the same table gets the same folds.
"""

from __future__ import annotations

from ..lang import codes
from ..lang.diagnostics import SpecError, error
from .training import Split, stratify_labels


def stratified_folds(labels, n_rows: int, k: int, seed: int) -> list[Split]:
    """K splits whose test rows partition the table; labels None: unstratified."""
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
        splits.append(Split(train.tolist(), test.tolist()))
    return splits


def fold_split(g, binding, targets: dict, n_rows: int, fold: tuple[int, int], seed: int) -> Split:
    """Split `fold` = (i, K) of the table; SpecError when a class has fewer than K rows."""
    import numpy as np

    i, k = fold
    labels = stratify_labels(binding, targets)
    if labels is not None:
        counts = np.unique(labels, return_counts=True)[1]
        if counts.min() < k:
            first = binding.targets[0]
            raise SpecError(
                [
                    error(
                        codes.TOO_FEW_ROWS,
                        f"too few rows for {k} folds: a class of '{first.column}' has only "
                        f"{int(counts.min())} row(s), and each fold needs one of every class",
                        g.graph["definitions"].get(first.output),
                        help=f"use at most --folds {int(counts.min())}, or add rows",
                    )
                ],
                g.graph["source"],
            )
    elif n_rows < k:
        raise SpecError(
            [error(codes.TOO_FEW_ROWS, f"too few rows for {k} folds: the data has {n_rows}", None)],
            g.graph["source"],
        )
    return stratified_folds(labels, n_rows, k, seed)[i]


def check_folds(g, table, columns, k: int) -> None:
    """SpecError, before any training, when the table cannot be cut into k folds."""
    from .training import prepare

    binding, _, targets, _ = prepare(g, table, columns, 0.5, 0)
    fold_split(g, binding, targets, len(table.rows), (0, k), 0)
