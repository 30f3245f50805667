"""The training loop: validate the options once, prepare the data, run the epochs,
return the history. What happens at the end of an epoch (history, early stopping,
checkpoints, progress, divergence checks) is done by callbacks (:mod:`npdnn.callbacks`);
how rows become mini-batches by :mod:`npdnn.train.batching`.

Per mini-batch of size b: ``J_batch`` is the weighted mean cost over the batch plus
``l2 / (2b) sum ||W||^2`` (the foundation's cost with m = b), and one optimizer
step uses its gradient. ``history["loss"][e]`` is the mean of the batch costs of
epoch e weighted by each batch's share of the sample weight; with full batches it
is exactly the cost computed in the forward pass before that epoch's update.

Owns: fit and its step (an epoch of mini-batches in this process); the epochs themselves
run in :mod:`npdnn.train.runner`, shared with the Dask driver. Imports: NumPy and the
core below it (batching, callbacks, checkpoint, options, runner, chunking); never
network.py (it takes the network it trains as an argument).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..checks import check_labels, check_sample_weight, check_X, is_sparse
from ..nn.chunking import chunk_rows, row_blocks, row_slices
from ..nn.sparse_rows import sparse_rows
from .batching import Batches, split_indices
from .callbacks import DivergenceGuard, max_row_norm
from .checkpoint import ModelCheckpoint, data_digest
from .diagnostics import FitDiagnostics
from .options import check_fit_options, class_weights, make_optimizer
from .runner import callback_list, run_epochs, run_fingerprint, start_run
from .schedules import get_schedule
from .sparse_batches import SparseBatches
from .threads import limit_blas, step_threads

__all__ = ["fit"]


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
    compiled=None,
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
        dtype differs from the network's: then one converted copy), or a scipy sparse
        matrix (CSR; CSC and other formats converted to CSR once): never densified whole,
        each batch's rows are made dense (:mod:`npdnn.train.sparse_batches`), with the very
        results of its dense form
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

    compiled : None (automatic), True or False: train with the compiled step of the
        ``npdnn[fast]`` extra (numba) where the configuration allows (:mod:`npdnn.compiled`:
        binary output, no dropout, the built-in optimizers but RMSProp); same results up to
        rounding. ``NPDNN_COMPILED=0`` in the environment turns it off too

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
        min_delta=min_delta,
        checkpoint_every=checkpoint_every,
        resume=resume,
    )
    opt = make_optimizer(optimizer, learning_rate)
    schedule = get_schedule(lr_schedule)
    data = _TrainingData.prepare(net, X, y, sample_weight, class_weight)
    net.set_dropout(dropout)
    rng = np.random.default_rng(seed) if seed is not None else net.rng
    for layer in net.dropout:
        layer.rng = rng
    data.hold_out(validation_fraction, validation_data, net, rng)

    history = data.empty_history()
    hooks = callback_list(callbacks, history, epochs, verbose, early_stopping, patience, min_delta, restore_best)
    if diagnostics:
        hooks.insert(
            -1 - _trailing_savers(hooks),
            FitDiagnostics(data.X, data.labels, epochs, window=patience, weighted=data.w is not None),
        )
    run, stopped = start_run(
        net,
        opt,
        schedule,
        rng,
        epochs,
        history,
        hooks,
        guard=DivergenceGuard(data.X, data.x_norm),
        data=data,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        resume=resume,
        fingerprint=lambda: data.fingerprint(
            **run_fingerprint(
                opt,
                batch_size=batch_size,
                shuffle=shuffle,
                seed=seed,
                l2=l2,
                dropout=[layer.rate for layer in net.dropout],
                lr_schedule=repr(schedule),
                early_stopping=[patience, float(min_delta), bool(restore_best)] if early_stopping else None,
            )
        ),
    )
    make_batches = SparseBatches if is_sparse(data.X) else Batches  # sparse: each batch's rows made dense
    batches = make_batches(data.X, data.Y, data.w, batch_size, shuffle, data.train_rows)
    step = _compiled_step(compiled, net, opt, l2, batches.b)
    run_epochs(run, _local_epoch(run, batches, float(l2), step), stopped, data.validation_logs)
    return run.history


def _trailing_savers(hooks):
    """How many ModelCheckpoints end the list (they stay last: they store every other hook's state)."""
    n = 0
    while n < len(hooks) and isinstance(hooks[-1 - n], ModelCheckpoint):
        n += 1
    return n


def _compiled_step(option, net, opt, l2, batch):
    """The compiled step for this fit (npdnn.compiled), or None: off, numba missing, or a
    configuration it does not support."""
    from ..compiled import make_step, wanted  # lazily: the npdnn[fast] extra (numba)

    return make_step(net, opt, l2, batch) if wanted(option) else None


def _updated_already(theta, grad):
    """The optimizer step of the compiled path, which updates inside its one call."""


def _local_epoch(run, batches, l2, compiled=None):
    """The step of this process: an epoch of mini-batches, each one forward and backward
    pass and one optimizer step; returns the epoch's loss (the batch costs weighted by
    each batch's share). ``compiled``: a :class:`npdnn.compiled.step.CompiledStep` doing
    both the gradients and the update, or None for the NumPy path."""
    net, guard = run.net, run.guard
    loss_and_gradients, step = net.loss_and_gradients, run.optimizer.step
    if compiled is not None:
        loss_and_gradients, step = compiled, _updated_already

    def epoch_loss(epoch):
        J_epoch = 0.0
        threads = step_threads(net.layer_dims, batches.b)  # 1 for small GEMMs: npdnn.train.threads
        with limit_blas(threads):  # the batches only: validation's large blocks keep every thread
            for A0, Yb, weights, share, first in batches.epoch(run.rng):
                J = loss_and_gradients(A0, Yb, weights, l2, training=True)
                if not math.isfinite(J):  # inline, not a hook: no Python call per batch on the happy path
                    guard.batch_failed(epoch, f"batch starting at sample {first}", J)
                J_epoch += share * J
                step(net.theta, net.grad)
        return J_epoch

    return epoch_loss


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
        if is_sparse(X):  # never densified whole: rows are made dense a batch (or chunk) at a time
            X = sparse_rows(X, net.n_features, net.dtype)
            return cls._of(X, y, sample_weight, class_weight, X.max_row_norm(), n_classes)
        # One pass over X for both finiteness and the overflow guard's max row norm (finite
        # norms prove finite entries); check_X's own scan runs only to report a bad value.
        X_in, X = X, check_X(X, net.n_features, net.dtype, finite=False)
        x_norm = max_row_norm(X)
        if not math.isfinite(x_norm):
            check_X(X_in, net.n_features, net.dtype)  # raises unless only the squares overflowed
        return cls._of(X, y, sample_weight, class_weight, x_norm, n_classes)

    @classmethod
    def _of(cls, X, y, sample_weight, class_weight, x_norm, n_classes):
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
            X_val = validation_data[0]
            X_val = (sparse_rows if is_sparse(X_val) else check_X)(X_val, net.n_features, net.dtype, name="X_val")
            y_val = check_labels(validation_data[1], X_val.shape[0], n_classes=self.n_classes, name="y_val")
            self.val = (X_val, None, y_val)
        if w is not None and w.sum() <= 0:
            raise ValueError("every training sample has weight zero")
        self.w, self.Y = w, net.targets(labels)  # Y: (n_L, m_train)

    def empty_history(self):
        return {"loss": [], "lr": [], **({"val_loss": [], "val_accuracy": []} if self.val else {})}

    def validation_logs(self, net):
        """``{"val_loss", "val_accuracy"}`` on the validation rows, in the chunks of
        prediction (:func:`npdnn.nn.chunking.chunk_rows`): sized by the activations of
        every layer, not by X, so a wide layer does not multiply the memory."""
        if self.val is None:
            return {}
        X, rows, labels = self.val
        m = labels.shape[0]
        cost, correct = 0.0, 0
        # Fancy indexing reads only these rows, any layout; a sparse X's are made dense into one buffer
        per_chunk = chunk_rows(net.layer_dims, net.dtype.itemsize, dense_input=not is_sparse(X))
        for part, Xb in row_blocks(X, row_slices(m, per_chunk), rows):
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
