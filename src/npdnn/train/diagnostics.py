"""Warnings that catch silent training failures.

A run can end without an error and still be useless: it stopped at the epoch limit
while the loss was still falling, it predicts one class for every row (typical of
gradient descent on unscaled features), or its output layer is wider than the labels
need. Each check is a plain function, and :class:`FitDiagnostics` runs them as a
training callback (``on_train_begin(net)``, ``on_epoch_end(epoch, logs) -> bool``,
``on_train_end(net, history)``), so ``fit`` needs one line to use them.

Only NumPy is imported: this is part of the model core. scikit-learn users can filter
:class:`ConvergenceWarning` like scikit-learn's own (the estimator emits a subclass of
both; see :mod:`npdnn.sklearn.estimator`).
"""

from __future__ import annotations

import numpy as np

from ..checks import is_sparse
from ..errors import ConvergenceWarning, OverfittingWarning, TrainingWarning
from .callbacks import Callback
from .user_warnings import warn

# MLPClassifier's defaults: an epoch "improves" when the loss drops by more than tol
# below the best so far; n_iter_no_change epochs without one means converged.
DEFAULT_TOL = 1e-4
DEFAULT_WINDOW = 10
# Rows predicted per block in the one-class check (bounds the (n_L, block) temporaries).
_BLOCK = 4096


def looks_scaled(X, limit=10.0, rows=4096):
    """Whether the features of ``X`` (m, n_x) are already on a common scale: on the
    first ``rows`` rows every column's mean and standard deviation is at most ``limit``
    in absolute value (standardized, min-max scaled and one-hot columns all are).
    Advice to standardize is given only when this is False.

    In X's own float type (a float32 X is not copied to float64 first: against a bound of 10
    its rounding does not matter, and the copy took 9 ms of a 30 ms fit on benchmark D)."""
    sample = np.asarray(X[:rows])
    if sample.dtype.kind != "f":
        sample = sample.astype(np.float64)
    if sample.size == 0:
        return True
    with np.errstate(over="ignore", invalid="ignore"):  # huge values: the std overflows, and they are not scaled
        mean, std = np.abs(sample.mean(axis=0)), sample.std(axis=0)
    return bool(np.all(mean <= limit) and np.all(std <= limit))  # NaN/inf compare False: not scaled


def last_improvement(curve, tol=DEFAULT_TOL):
    """``(epoch, drop)`` of the last epoch (0-based) whose loss fell more than ``tol``
    below the best loss before it, or ``(None, 0.0)`` when none did."""
    found, drop = None, 0.0
    if len(curve) == 0:
        return found, drop
    best = float(curve[0])
    for i in range(1, len(curve)):
        loss = float(curve[i])
        if loss < best - tol:
            found, drop = i, best - loss
        best = min(best, loss)
    return found, drop


def still_falling(curve, tol=DEFAULT_TOL, window=DEFAULT_WINDOW):
    """Whether some epoch among the last ``window`` of ``curve`` (losses per epoch)
    lowered the best loss so far by more than ``tol``.

    MLPClassifier's convergence test: it stops once ``window`` epochs in a row fail to
    beat the best loss by ``tol``. A run that ends before that has not converged; a
    slow drift (every epoch a little lower, none by ``tol``) counts as converged.
    """
    epoch, _ = last_improvement(curve, tol)
    return epoch is not None and epoch >= len(curve) - window


def check_convergence(
    history,
    epochs,
    tol=DEFAULT_TOL,
    window=DEFAULT_WINDOW,
    category=ConvergenceWarning,
    note="",
    scaled=True,
    small_set=False,
    X=None,
):
    """Warn (``category``) when a run used all ``epochs`` and its monitored loss
    (``val_loss`` when validating, else ``loss``) is still falling by more than ``tol``
    (see :func:`still_falling`); ``note`` is added to the message. Returns True when it warned.

    The advice depends on what the run can tell: with a validation loss still falling,
    more epochs help; with the training loss only, they may overfit, so early stopping
    (a validation split that picks the epoch) comes first, unless ``small_set``: the
    estimator's ``early_stopping="auto"`` turned it off because its split would hold too
    few rows to choose an epoch by, so the advice is not to turn it back on. Standardizing
    is advised only when the features are not already on a common scale (``scaled=False``; None
    looks at ``X`` with :func:`looks_scaled`, only when the warning is given). The text
    holds no numbers of the run (they are attributes of the warning: ``epochs``,
    ``epoch`` (1-based), ``drop``, ``tol``), so Python's once-per-location filter shows
    one copy for a grid search of many fits.
    """
    curve = history.get("val_loss") or history.get("loss") or []
    if len(curve) < epochs or not still_falling(curve, tol, window):
        return False
    validating = bool(history.get("val_loss"))
    epoch, drop = last_improvement(curve, tol)
    if validating:
        advice = "raise epochs (the validation loss is still improving) or the learning rate"
    elif small_set:  # the defaults chose every epoch with a cross-validated l2 here
        advice = (
            "on a set this small the defaults train every epoch, with l2 chosen by cross-validation, instead of "
            "early stopping (its validation split would hold under 100 rows); raise epochs only if a "
            "cross-validated score improves"
        )
    else:
        advice = (
            "turn on early stopping (a validation split then chooses the epoch; more epochs without it "
            "may overfit) or raise the learning rate"
        )
    if scaled is None:
        scaled = True if X is None else looks_scaled(X)
    if not scaled:
        advice += ", and standardize the features (they are on very different scales)"
    name = "validation loss" if validating else "training loss"
    w = category(
        f"training stopped at the epoch limit while the {name} was still falling by more than tol; "
        f"the model has not converged{note}: {advice}"
    )
    w.epochs, w.epoch, w.drop, w.tol = epochs, epoch + 1, drop, tol
    warn(w)
    return True


def rising_since(curve, tol=DEFAULT_TOL):
    """``(best_epoch, rise)``: the 0-based epoch of the lowest loss in ``curve`` and how
    far the last loss lies above it (0.0 for an empty curve)."""
    if len(curve) == 0:
        return None, 0.0
    best = int(np.argmin(curve))
    return best, float(curve[-1]) - float(curve[best])


def check_overfitting(history, tol=DEFAULT_TOL, window=DEFAULT_WINDOW, category=None):
    """Warn (:class:`OverfittingWarning`) when the validation loss has been rising: its
    lowest value is ``window`` or more epochs before the last one, and the last lies
    above it by more than ``tol`` and 1% (noise on a flat curve is not a rise). The
    model kept fitting the training rows and got worse on new ones: the advice is early
    stopping (it restores the best epoch) or more L2, never more epochs. A run that
    early-stopped (``history["best_epoch"]``) got the best epoch's weights back and is
    not warned about. Returns True when it warned."""
    curve = history.get("val_loss") or []
    if not curve or "best_epoch" in history:
        return False
    best, rise = rising_since(curve, tol)
    if len(curve) - 1 - best < window or rise <= max(tol, 0.01 * abs(float(curve[best]))):
        return False
    w = (category or OverfittingWarning)(
        "the validation loss has been rising while the training loss fell: the model overfits the training "
        "rows; use early stopping (it restores the best epoch's weights) or a larger l2 penalty"
    )
    w.best_epoch, w.rise, w.epochs_run = best + 1, rise, len(curve)
    warn(w)
    return True


def check_output_width(net, labels, category=TrainingWarning):
    """Warn when the output layer has ``K > 2`` units but ``labels`` (ints ``0..K-1``)
    hold at most two classes: a softmax over classes that never occur, where a
    single sigmoid unit was most likely meant. Returns True when it warned."""
    K = net.layer_dims[-1]
    if K <= 2:
        return False
    seen = np.flatnonzero(_counts(labels))
    if seen.size > 2:
        return False
    hint = (
        f"for binary labels end the network with one sigmoid unit, e.g. Network({[*net.layer_dims[:-1], 1]})"
        if set(seen.tolist()) <= {0, 1}
        else "give labels 0..K-1 for every class, or size the output layer to the classes"
    )
    warn(
        category(
            f"the output layer has {K} units (a {K}-way softmax) but the labels hold only "
            f"{seen.size} distinct values {seen.tolist()}; {hint}"
        )
    )
    return True


def predicted_classes(net, X):
    """Distinct class indices ``net`` predicts on ``X`` (m, n_x), in row blocks.

    The blocks grow from 256 rows to :data:`_BLOCK`: a healthy network shows two classes
    in its first rows, so the check usually costs a forward pass over 256 rows (on
    benchmark C a first block of 4096 rows cost ~3% of a training run)."""
    seen = set()
    start, block = 0, 256
    while start < X.shape[0] and len(seen) < 2:
        ZL = net.forward(np.asarray(X[start : start + block], dtype=net.dtype).T)  # (b, n_x) -> (n_L, b)
        idx = (ZL[0] > 0).astype(np.intp) if ZL.shape[0] == 1 else ZL.argmax(axis=0)
        seen.update(np.unique(idx).tolist())
        start, block = start + block, min(2 * block, _BLOCK)
    return seen


def prior_loss(labels):
    """Cross-entropy of the best constant prediction (the class shares): ``-sum_k p_k log p_k``."""
    counts = _counts(labels)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def check_one_class(net, X, labels, loss=None, tol=DEFAULT_TOL, category=TrainingWarning, scaled=None, val_loss=None):
    """Warn when the trained ``net`` predicts the same class for every row of the
    training data ``X`` (m, n_x) although ``labels`` hold more than one class, and
    its training ``loss`` (when given) is no better than the class prior's
    (:func:`prior_loss` minus ``tol``): it learned nothing past the class shares.
    A network that beats the prior and still predicts one class (a weak signal,
    skewed class weights) is left alone. Returns True when it warned.

    The text is the same for every run (the class, its share and the row count are the
    warning's ``predicted_class``, ``share`` and ``rows``); it advises standardizing only
    when ``X`` is not already on a common scale (``scaled``: None checks :func:`looks_scaled`).
    ``val_loss``: the run's best validation loss, when it had held-out rows; no better than the
    prior's either, the features show no signal on rows the network did not train on, and
    training harder is not the advice (a column of random draws, or the wrong target column)."""
    labels = np.asarray(labels)
    counts = _counts(labels)
    classes, counts = np.flatnonzero(counts), counts[counts > 0]
    if classes.size < 2:
        return False
    if loss is not None and loss < prior_loss(labels) - tol:
        return False
    seen = predicted_classes(net, X)
    if len(seen) != 1:
        return False
    (k,) = seen
    share = counts[classes == k].sum() / labels.size
    if val_loss is not None and val_loss >= prior_loss(labels) - tol:  # X's scale is not the question then
        advice = (
            "nor was its validation loss ever better than the class prior's: the features may not predict the "
            "label (check that the target is the column meant)"
        )
    elif looks_scaled(X) if scaled is None else scaled:
        advice = "the features are on a common scale, so try a higher learning rate, optimizer='adam' or a smaller l2"
    else:
        advice = (
            "gradient descent on unscaled features often ends here: standardize X (DNNClassifier(standardize=True), "
            "or (X - mean) / std), then try a higher learning rate or optimizer='adam'"
        )
    w = category(
        "the trained network predicts the same class for every training row although the labels hold "
        f"several: it learned only the class prior; {advice}"
    )
    w.predicted_class, w.share, w.rows = k, float(share), int(labels.size)
    warn(w)
    return True


class FitDiagnostics(Callback):
    """A training callback running the three checks of this module.

    Parameters
    ----------
    X : (m, n_x) array, the training data as ``fit`` received it (after validation), or
        a sparse X as :class:`~npdnn.nn.sparse_rows.SparseRows` (read in dense row blocks)
    labels : (m,) int array of class indices ``0..K-1``
    epochs : int, the epoch limit of the run
    tol, window : the convergence test of :func:`still_falling`
    convergence_category : the warning class for the convergence check (the
        estimator passes one that scikit-learn's filters also catch)
    weighted : bool, whether the run had sample or class weights (then the
        one-class check is skipped: a weighted run may rightly favour one class)
    scaled : bool or None, whether the features were standardized or scaled (then no
        advice to standardize); None looks at X (:func:`looks_scaled`)
    small_set : bool, whether early stopping is off because ``early_stopping="auto"``
        found the set too small for it (then it is not advised: :func:`check_convergence`)
    """

    def __init__(
        self,
        X,
        labels,
        epochs,
        tol=DEFAULT_TOL,
        window=DEFAULT_WINDOW,
        convergence_category=ConvergenceWarning,
        weighted=False,
        scaled=None,
        small_set=False,
    ):
        self.X, self.labels, self.epochs, self.weighted, self.scaled = X, labels, epochs, weighted, scaled
        self.small_set = small_set
        self.tol, self.window = tol, window
        self.convergence_category = convergence_category
        self.warned = []

    def on_train_begin(self, net):
        # fit has validated X and y by now; take them as arrays (a DataFrame, a list, (m, 1) labels)
        X, y = self.X, self.labels
        if not is_sparse(X):  # a sparse X stays so (its blocks below are taken dense)
            self.X = X.to_numpy() if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray) else np.asarray(X)
        y = y.to_numpy() if hasattr(y, "to_numpy") and not isinstance(y, np.ndarray) else np.asarray(y)
        self.labels = y.reshape(-1).astype(np.int64, copy=False)
        # self.scaled None: looked up in X by the check that warns, only then (4096 rows of X in
        # float64 cost 70 ms on benchmark C's 1,024 columns, 5% of a one-epoch fit, for nothing)
        if check_output_width(net, self.labels):
            self.warned.append("output_width")

    def on_epoch_end(self, epoch, logs):
        return False

    def on_train_end(self, net, history):
        # One warning per run, the most useful one: a run whose validation loss rose is told it
        # overfits (never to train longer); an unfinished run that predicts one class is told to
        # train longer (and that it predicts one class so far); a finished one that predicts one
        # class learned only the prior, and is told why that happens.
        seen = predicted_classes(net, self.X) if np.count_nonzero(_counts(self.labels)) > 1 else set()
        note = " (so far it predicts one class for every training row)" if len(seen) == 1 else ""
        if check_overfitting(history, self.tol, self.window):
            self.warned.append("overfitting")
        elif check_convergence(
            history,
            self.epochs,
            self.tol,
            self.window,
            self.convergence_category,
            note,
            self.scaled,
            self.small_set,
            X=self.X,
        ):
            self.warned.append("convergence")
        elif len(seen) == 1 and self.weighted:
            pass  # sample or class weights may rightly favour one class; the unweighted prior says nothing
        elif len(seen) == 1 and check_one_class(
            net, self.X, self.labels, _last(history.get("loss")), self.tol, scaled=self.scaled, val_loss=_best(history)
        ):
            self.warned.append("one_class")
        self.X = self.labels = None  # do not keep the training data alive through the callback


def _best(history):
    curve = history.get("val_loss")
    return float(np.min(curve)) if curve else None


def _last(values):
    return float(values[-1]) if values else None


def _counts(labels):
    """Rows per class index (``np.bincount``: O(K) memory, where ``np.unique`` sorts a copy of the labels)."""
    return np.bincount(np.asarray(labels).reshape(-1).astype(np.intp, copy=False))
