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

Owns: L2_GRID, FOLDS, stratified_folds, choose_l2, and searched_l2 (the estimator's side: when
to search, the folds' fits with its options, the announcement with ``verbose``).
Imports: NumPy, the chunked cost, the training loop and its progress line; nothing of
npdnn.sklearn (the estimator is passed in).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..nn.chunking import chunked_cost
from ..train.loop import fit as train
from ..train.options import class_weights
from ..train.progress import announce

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


def searched_l2(est, auto, warm, X, labels, classes, w):
    """``auto`` with ``l2="auto"`` of a small set (trained every epoch, no early stopping)
    chosen by cross-validation (:func:`choose_l2`), and the search's held-out log loss per
    value (None when nothing was searched). A warm start keeps the last fit's.

    ``est``: the DNNClassifier being fitted, whose options each fold's network is built and
    trained with (``l2`` aside); ``auto``: its resolved ``"auto"`` options; ``warm``: its
    warm-start state or None; X, labels, w: the training rows as the fit gets them."""
    if not (isinstance(est.l2, str) and est.l2 == "auto") or auto.early_stopping:
        return auto, None
    if warm is not None:
        return (auto, None) if warm["l2"] is None else (dataclasses.replace(auto, l2=warm["l2"]), None)

    announce(
        est.verbose,
        f"choosing l2 from {', '.join(map(str, L2_GRID))} by {FOLDS}-fold cross-validation on {X.shape[0]} rows "
        f"({len(L2_GRID) * FOLDS} fits of {est.epochs} epochs) before training",
    )

    def fit_fold(X_rows, labels_rows, w_rows, l2):
        net = est._build_network(X.shape[1], len(classes), X.dtype)
        train(
            net,
            X_rows,
            labels_rows,
            optimizer=est._make_optimizer(),
            epochs=est.epochs,
            batch_size=auto.batch_size,
            l2=l2,
            dropout=est.dropout,
            lr_schedule=est.lr_schedule,
            sample_weight=w_rows,
            diagnostics=False,
        )
        return net

    l2, losses = choose_l2(
        X,
        labels,
        len(classes),
        fit_fold,  # trains on the rows' sample and class weights together, as choose_l2 gives them
        sample_weight=w,
        class_weight=est._class_weight_by_index(classes),
        rng=est._seed(),
    )
    return (auto, None) if l2 is None else (dataclasses.replace(auto, l2=l2), losses)
