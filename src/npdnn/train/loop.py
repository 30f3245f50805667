"""The training loop: validate the options once, prepare the data, run the epochs,
return the history. What happens at the end of an epoch (history, early stopping,
checkpoints, progress, divergence checks) is done by callbacks (:mod:`npdnn.callbacks`);
how rows become mini-batches by :mod:`npdnn.train.batching`.

Per mini-batch of size b: ``J_batch`` is the weighted mean cost over the batch plus
``l2 / (2b) sum ||W||^2`` (the foundation's cost with m = b), and one optimizer
step uses its gradient. ``history["loss"][e]`` is the mean of the batch costs of
epoch e weighted by each batch's share of the sample weight; with full batches it
is exactly the cost computed in the forward pass before that epoch's update.

Owns: fit. Imports: NumPy and the core below it (batching, callbacks, checkpoint,
optimizers, schedules, options, validation); never network.py (it takes the network
it trains as an argument).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..checks import check_labels, check_sample_weight, check_X
from .batching import Batches, split_indices
from .callbacks import DivergenceError, DivergenceGuard, EarlyStopping, History, Run, as_callback, max_row_norm
from .checkpoint import ModelCheckpoint, data_digest
from .diagnostics import FitDiagnostics
from .optimizers import get_optimizer
from .options import check_fit_options, class_weights, default_learning_rate
from .schedules import get_schedule

__all__ = ["fit", "DivergenceError"]

VALIDATION_BLOCK_BYTES = 1 << 26  # rows of validation data evaluated at a time: ~64 MB of X


def fit(
    net,
    X,
    y,
    *,
    optimizer="gd",
    learning_rate=None,
    epochs=100,
    batch_size=None,
    shuffle=True,
    seed=None,
    l2=0.0,
    dropout=0.0,
    sample_weight=None,
    class_weight=None,
    validation_data=None,
    validation_fraction=0.0,
    early_stopping=False,
    patience=10,
    min_delta=0.0,
    restore_best=True,
    lr_schedule=None,
    callbacks=(),
    verbose=False,
    checkpoint=None,
    checkpoint_every=1,
    resume=False,
    diagnostics=True,
):
    """Train ``net`` in place and return its history.

    ``Network.fit`` is this function, and it keeps the article's defaults on purpose: full-batch
    gradient descent (``optimizer="gd"``, learning rate 0.0075) for 100 epochs, no L2, no early
    stopping -- the textbook API, whose every step a reader can follow. They are not tuned for
    real data: ``DNNClassifier`` and ``npdnn train`` share defaults chosen by cross-validation
    on a panel of tabular sets (``npdnn.train.options.ESTIMATOR_DEFAULTS``; docs/defaults.md).

    Parameters
    ----------
    X : (m, n_x) array or DataFrame, any memory layout (never copied, unless its
        dtype differs from the network's: then one converted copy)
    y : (m,) labels (0/1 for binary, 0..K-1 for softmax)
    optimizer : name ("gd", "momentum", "nesterov", "rmsprop", "adam") or Optimizer
    learning_rate : float, default per optimizer (0.0075 for gd, 0.001 for adam)
    batch_size : int or None (full batch)
    shuffle : True: a new order of the training rows each epoch, a uniform permutation
        when they fit 64 MiB, else shuffled 64 MiB of rows at a time in blocks of 64
        bytes of rows (:func:`npdnn.train.batching.epoch_order`: what keeps a DataFrame's
        F-ordered array as fast as a C-ordered one); False: rows in order
    seed : int, Generator or None (then the network's own generator) -- shuffling,
        dropout masks and the validation split all draw from it
    l2 : float, cost term ``l2 / (2m) sum ||W||^2`` (m = batch size)
    dropout : rate for every hidden layer, or a sequence with one rate per layer
    sample_weight, class_weight : per-sample weights; class_weight "balanced" or dict
    validation_data : (X_val, y_val);  validation_fraction : held out of X instead
        (rows are indexed, X is not copied)
    early_stopping : shorthand for an :class:`~npdnn.callbacks.EarlyStopping` on
        "val_loss" with ``patience``, ``min_delta``, ``restore_best`` (holds out 10%
        of X when no validation is given)
    lr_schedule : None, name or :class:`npdnn.schedules.Schedule`
    callbacks : :class:`~npdnn.callbacks.Callback` objects or functions ``f(epoch, logs)``
        (return True to stop)
    verbose : 0/False; 1/True a progress bar on a terminal (else one log line per
        epoch); 2 one log line per epoch (see :func:`npdnn.train.progress.make_progress`)
    checkpoint, checkpoint_every : shorthand for a :class:`~npdnn.train.checkpoint.ModelCheckpoint`
        writing the full training state atomically every N epochs
    resume : True continues from the checkpoint (or starts afresh if there is none);
        a checkpoint of a different run (data, architecture or options) is refused
        unless ``resume="force"``
    diagnostics : warn (:mod:`npdnn.train.diagnostics`) when the run ends at the epoch limit
        while the loss still falls by more than 1e-4 in the last ``patience`` epochs,
        when it predicts one class for every training row, or when the output layer is
        wider than the labels need

    Returns
    -------
    history : dict of lists, one entry per epoch: "loss", "lr", and "val_loss",
        "val_accuracy" when validating; "best_epoch" (int) with early stopping.
    """
    if early_stopping and validation_data is None and not validation_fraction:
        validation_fraction = 0.1
    validation_fraction = check_fit_options(
        epochs=epochs,
        batch_size=batch_size,
        l2=l2,
        validation_fraction=validation_fraction,
        validation_data=validation_data,
        patience=patience,
        checkpoint_every=checkpoint_every,
        resume=resume,
    )
    opt = get_optimizer(optimizer, learning_rate if learning_rate is not None else default_learning_rate(optimizer))
    schedule = get_schedule(lr_schedule)
    schedule.start(opt.learning_rate, epochs)
    data = _TrainingData.prepare(net, X, y, sample_weight, class_weight)
    net.set_dropout(dropout)
    rng = np.random.default_rng(seed) if seed is not None else net.rng
    for layer in net.dropout:
        layer.rng = rng
    data.hold_out(validation_fraction, validation_data, net, rng)

    run = Run(net, opt, schedule, rng, epochs, history=data.empty_history(), data=data)
    run.callbacks = _callback_list(run, callbacks, early_stopping, patience, min_delta, restore_best, verbose)
    if diagnostics:
        run.callbacks.append(FitDiagnostics(data.X, data.labels, epochs, window=patience, weighted=data.w is not None))
    if checkpoint is not None:
        run.callbacks.append(ModelCheckpoint(checkpoint, every=checkpoint_every))
    savers = [cb for cb in run.callbacks if isinstance(cb, ModelCheckpoint)]
    if savers:
        run.fingerprint = data.fingerprint(
            optimizer=f"{type(opt).__name__} {opt.hyperparameters()}",
            learning_rate=opt.learning_rate,
            batch_size=batch_size,
            shuffle=bool(shuffle),
            seed=seed if isinstance(seed, (int, np.integer)) else None,
            l2=float(l2),
            dropout=[layer.rate for layer in net.dropout],
            lr_schedule=repr(schedule),
            early_stopping=[patience, float(min_delta), bool(restore_best)] if early_stopping else None,
        )
    guard = DivergenceGuard(data.X, data.x_norm)
    for cb in [guard, *run.callbacks]:
        cb.run = run
    stopped = False
    if resume and savers:
        run.start_epoch, stopped = savers[0].restore(force=resume == "force")
    batches = Batches(data.X, data.Y, data.w, batch_size, shuffle, data.train_rows)
    _run_epochs(run, guard, batches, float(l2), data, stopped)
    return run.history


def _callback_list(run, callbacks, early_stopping, patience, min_delta, restore_best, verbose):
    """The order hooks run in: early stopping (shorthand), the user's callbacks in their
    order, the progress bar, History (so it records what earlier hooks added to the
    logs), and checkpoints last (so they store every other callback's state of the epoch)."""
    user = [as_callback(cb) for cb in callbacks]
    first = [EarlyStopping("val_loss", "min", patience, min_delta, restore_best)] if early_stopping else []
    first += [cb for cb in user if not isinstance(cb, ModelCheckpoint)]
    if verbose:
        from .progress import make_progress  # lazily: a bar needs tqdm, an optional dependency

        first.append(make_progress(verbose, run.epochs))
    return [*first, History(run.history), *(cb for cb in user if isinstance(cb, ModelCheckpoint))]


def _run_epochs(run, guard, batches, l2, data, stopped):
    """The epochs from ``run.start_epoch``: batches, steps, then the epoch's callbacks."""
    net, opt, schedule, callbacks = run.net, run.optimizer, run.schedule, run.callbacks
    for cb in [guard, *callbacks]:
        cb.on_train_begin(net)
    loss_and_gradients, step = net.loss_and_gradients, opt.step
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        last = run.start_epoch if stopped else run.epochs  # a run that had stopped trains no more
        for epoch in range(run.start_epoch, last):
            opt.learning_rate = schedule.rate(epoch)
            for cb in [guard, *callbacks]:
                cb.on_epoch_begin(epoch)
            epoch_loss = 0.0
            for A0, Yb, weights, share, first in batches.epoch(run.rng):
                J = loss_and_gradients(A0, Yb, weights, l2, training=True)
                if not math.isfinite(J):  # inline, not a hook: no Python call per batch on the happy path
                    guard.batch_failed(epoch, first, J)
                epoch_loss += share * J
                step(net.theta, net.grad)
            guard.on_epoch_end(epoch, None)
            logs = {"loss": float(epoch_loss), "lr": opt.learning_rate, **data.validation_logs(net)}
            schedule.observe(epoch, logs.get("val_loss", logs["loss"]))
            if any([bool(cb.on_epoch_end(epoch, logs)) for cb in callbacks]):  # a list: every hook runs
                for cb in callbacks:
                    if isinstance(cb, ModelCheckpoint):
                        cb.mark_stopped(epoch + 1)
                break
    for cb in callbacks:
        cb.on_train_end(net, run.history)


@dataclass
class _TrainingData:
    """X (not copied), targets, weights, and which rows train and which validate."""

    X: np.ndarray
    labels: np.ndarray
    w: np.ndarray | None
    x_norm: float
    n_classes: int
    Y: np.ndarray = None
    train_rows: np.ndarray | None = None
    val: tuple | None = None  # (X_val, rows or None, labels)

    @classmethod
    def prepare(cls, net, X, y, sample_weight, class_weight):
        n_classes = max(net.layer_dims[-1], 2)
        # One pass over X for both finiteness and the overflow guard's max row norm (finite
        # norms prove finite entries); check_X's own scan runs only to report a bad value.
        X_in, X = X, check_X(X, net.n_features, net.dtype, finite=False)
        x_norm = max_row_norm(X)
        if not math.isfinite(x_norm):
            check_X(X_in, net.n_features, net.dtype)  # raises unless only the squares overflowed
        labels = check_labels(y, X.shape[0], n_classes=n_classes)
        w = check_sample_weight(sample_weight, X.shape[0])
        cw = class_weights(labels, class_weight, n_classes)
        if cw is not None:
            w = cw if w is None else w * cw
            if w.sum() <= 0:
                raise ValueError("class_weight and sample_weight together give every sample weight zero")
        return cls(X, labels, w, x_norm, n_classes)

    def hold_out(self, fraction, validation_data, net, rng):
        """Set the training rows and the validation set; the targets Y of the training rows."""
        labels, w = self.labels, self.w
        if fraction:
            self.train_rows, val_rows = split_indices(self.X.shape[0], fraction, rng)
            self.val = (self.X, val_rows, labels[val_rows])
            labels = labels[self.train_rows]
            w = None if w is None else w[self.train_rows]
        elif validation_data is not None:
            X_val = check_X(validation_data[0], net.n_features, net.dtype, name="X_val")
            y_val = check_labels(validation_data[1], X_val.shape[0], n_classes=self.n_classes, name="y_val")
            self.val = (X_val, None, y_val)
        if w is not None and w.sum() <= 0:
            raise ValueError("every training sample has weight zero")
        self.w, self.Y = w, net.targets(labels)  # Y: (n_L, m_train)

    def empty_history(self):
        return {"loss": [], "lr": [], **({"val_loss": [], "val_accuracy": []} if self.val else {})}

    def validation_logs(self, net):
        """``{"val_loss", "val_accuracy"}`` on the validation rows, in blocks of ~64 MB of X."""
        if self.val is None:
            return {}
        X, rows, labels = self.val
        m = labels.shape[0]
        block = max(1, VALIDATION_BLOCK_BYTES // (X.shape[1] * X.dtype.itemsize))
        cost, correct = 0.0, 0
        for i in range(0, m, block):
            part = slice(i, min(i + block, m))
            Xb = X[part] if rows is None else X[rows[part]]  # fancy indexing reads only these rows, any layout
            ZL = net.forward(Xb.T)  # (n_L, b)
            cost += float(net.output.cost(ZL, net.targets(labels[part]), 1.0 / m))
            P = net.output.forward(ZL)
            predicted = (P[0] >= 0.5).astype(np.int64) if P.shape[0] == 1 else P.argmax(axis=0)
            correct += int(np.count_nonzero(predicted == labels[part]))
        return {"val_loss": cost, "val_accuracy": correct / m}

    def fingerprint(self, **options):
        """What the result of the run depends on, for checkpoints (see npdnn.train.checkpoint)."""
        X_val = None if self.val is None or self.val[1] is not None else self.val[0]
        return {
            "data": f"{self.X.shape} {self.X.dtype.name} {data_digest(self.X, self.labels, self.w)}",
            "validation_data": None if X_val is None else data_digest(X_val, self.val[2]),
            "validation_rows": None if self.val is None or self.val[1] is None else data_digest(self.val[1]),
            **options,
        }
