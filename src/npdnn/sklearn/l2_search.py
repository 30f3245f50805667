"""``l2="auto"`` on a set too small for early stopping: the penalty chosen by cross-validation.

Such a set trains every epoch (``npdnn.train.options.resolve_auto``), so the L2 penalty is
all that holds the fit back, and no single value suits every set: 1.0 keeps the noisy ones
(pima, titanic, sonar) from overfitting, and is too strong for the well-separated ones,
whose probabilities it keeps from the confidence they deserve (penguins' log loss .034
against .016 with 0.1, banknote's .051 against .005; benchmarks/defaults_search.py, stage 7
in docs/defaults.md). So each value of :data:`L2_GRID` is scored by the held-out log loss
of a stratified :data:`FOLDS`-fold cross-validation on the training rows, and the fit uses
the best. A small set's fit costs little (sonar 0.05 s, pima 0.26 s); the search costs
``len(L2_GRID) * FOLDS`` fits on two thirds of the rows each, about 4x one fit.

The folds train on rows already standardized with the mean and scale of all the rows:
a held-out row moves those by ``1/m`` of itself, which does not change which penalty wins.
"""

from __future__ import annotations

import numpy as np

from ..nn.chunking import chunked_cost
from ..train.options import class_weights

L2_GRID = (0.1, 1.0)  # searched in this order; a tie goes to the larger penalty
FOLDS = 3


def stratified_folds(labels, k, rng):
    """``k`` (train rows, held-out rows) pairs, each class's rows dealt round the folds in
    a random order; None when a class has fewer than ``k`` rows (a fold would not see it)."""
    counts = np.bincount(labels)
    if counts[counts > 0].min() < k:
        return None
    fold_of = np.empty(labels.shape[0], dtype=np.intp)
    start = int(rng.integers(k))  # which fold gets a class's extra rows rotates at random
    for c in np.flatnonzero(counts):
        rows = rng.permutation(np.flatnonzero(labels == c))
        fold_of[rows] = (start + np.arange(rows.shape[0])) % k
        start = (start + rows.shape[0]) % k
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]


def choose_l2(X, labels, n_classes, fit, *, sample_weight=None, class_weight=None, rng=None, grid=L2_GRID):
    """The penalty of ``grid`` with the lowest mean held-out log loss, and each one's.

    X : (m, n_x) the training rows as the fit gets them (dense or scipy sparse)
    labels : (m,) integer class indices
    fit : ``fit(X_rows, labels_rows, weight_rows, l2) -> Network``, a fresh network
        trained with every option of the real fit but ``l2``
    sample_weight : (m,) or None; class_weight : None, "balanced" or {index: weight}.
        The held-out rows are weighted as training weights them.

    Returns ``(l2, {l2: mean held-out log loss})``, or ``(None, None)`` when a class has
    fewer than ``FOLDS`` rows (no fold split can hold every class out and in), or when a
    fold's training rows or its held-out rows all weigh zero.
    """
    folds = stratified_folds(labels, FOLDS, np.random.default_rng(rng))
    w = class_weights(labels, class_weight, n_classes)
    if sample_weight is not None:
        w = sample_weight if w is None else w * sample_weight
    if folds is None or (w is not None and any(min(w[a].sum(), w[b].sum()) <= 0 for a, b in folds)):
        return None, None  # a fold with nothing to learn from, or nothing to be scored on
    losses = {}
    for l2 in grid:
        per_fold = []
        for train_rows, held_out in folds:
            net = fit(X[train_rows], labels[train_rows], None if w is None else w[train_rows], l2)
            weights = 1.0 / held_out.shape[0] if w is None else (w[held_out] / w[held_out].sum())[None, :]
            per_fold.append(chunked_cost(net, X[held_out], labels[held_out], weights))
        losses[l2] = float(np.mean(per_fold))
    best = min(losses.values())
    return max(l2 for l2, loss in losses.items() if loss == best), losses
