"""The training loop: mini-batches, optimizers, schedules, L2, dropout, sample and
class weights, validation, early stopping, divergence detection, callbacks and
checkpoints.

Per mini-batch of size b: ``J_batch`` is the weighted mean cost over the batch plus
``l2 / (2b) sum ||W||^2`` (the foundation's cost with m = b), and one optimizer
step uses its gradient. ``history["loss"][e]`` is the mean of the batch costs of
epoch e weighted by each batch's share of the sample weight; with full batches it
is exactly the cost computed in the forward pass before that epoch's update.
"""

from __future__ import annotations

import math

import numpy as np

from .losses import normalized_weights
from .optimizers import get_optimizer
from .schedules import get_schedule
from .validation import check_labels, check_positive, check_rate, check_sample_weight, check_X

# Largest X (bytes) whose shuffled copy is gathered once per epoch instead of per batch:
# 7% faster per epoch on benchmark workload A (8 MB), where per-batch calls dominate;
# above it the GEMMs dominate and a second copy of X would weigh on peak memory.
WHOLE_EPOCH_GATHER_BYTES = 1 << 26

DEFAULT_RATES = {"gd": 0.0075, "sgd": 0.0075, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 0.001, "adam": 0.001}


class DivergenceError(FloatingPointError):
    """Training produced a non-finite cost or parameters; the network keeps the
    last finite parameters (those at the start of the failing epoch)."""


def class_weights(labels, class_weight, n_classes):
    """Per-sample weights (m,) from ``class_weight``: None, ``"balanced"``
    (``m / (n_classes * count_k)``, as scikit-learn), or a dict ``{label: weight}``."""
    if class_weight is None:
        return None
    if isinstance(class_weight, str) and class_weight == "balanced":
        counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
        present = counts > 0
        per_class = np.zeros(n_classes)
        per_class[present] = labels.shape[0] / (present.sum() * counts[present])
        return per_class[labels]
    if isinstance(class_weight, dict):
        per_class = np.ones(n_classes)
        for k, w in class_weight.items():
            if not (isinstance(k, (int, np.integer, bool)) and 0 <= int(k) < n_classes):
                raise ValueError(f"class_weight has a key {k!r}; expected class labels in 0..{n_classes - 1}")
            per_class[int(k)] = check_positive(f"class_weight[{k!r}]", w, allow_zero=True)
        return per_class[labels]
    raise ValueError(f"class_weight must be None, 'balanced' or a dict {{label: weight}}; got {class_weight!r}")


def _split(n, fraction, rng):
    """Indices (train, validation) with ``ceil(fraction * n)`` held out, seeded."""
    n_val = math.ceil(fraction * n)
    if n_val < 1 or n - n_val < 1:
        raise ValueError(f"validation_fraction={fraction} of {n} samples leaves an empty training or validation set")
    perm = rng.permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


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
):
    """Train ``net`` in place and return its history.

    Parameters
    ----------
    X : (m, n_x) array;  y : (m,) labels (0/1 for binary, 0..K-1 for softmax)
    optimizer : name ("gd", "momentum", "nesterov", "rmsprop", "adam") or Optimizer
    learning_rate : float, default per optimizer (0.0075 for gd, 0.001 for adam)
    batch_size : int or None (full batch)
    seed : int, Generator or None (then the network's own generator) -- shuffling,
        dropout masks and the validation split all draw from it
    l2 : float, cost term ``l2 / (2m) sum ||W||^2`` (m = batch size)
    dropout : rate for every hidden layer, or a sequence with one rate per layer
    sample_weight, class_weight : per-sample weights; class_weight "balanced" or dict
    validation_data : (X_val, y_val);  validation_fraction : held out of X instead
    early_stopping : stop when validation loss has not improved by ``min_delta`` for
        ``patience`` epochs (uses 10% of X when no validation is given);
        ``restore_best`` puts the best epoch's parameters back
    lr_schedule : None, name or :class:`npdnn.schedules.Schedule`
    callbacks : objects with ``on_epoch_end(epoch, logs) -> bool`` (True stops)
        and optionally ``on_train_begin(net)`` / ``on_train_end(net, history)``
    verbose : show a tqdm progress bar
    checkpoint, checkpoint_every, resume : write the full training state atomically
        every N epochs; ``resume=True`` continues from it (or starts fresh if absent)

    Returns
    -------
    history : dict of lists, one entry per epoch: "loss", "lr", and "val_loss",
        "val_accuracy" when validating; "best_epoch" (int) with early stopping.
    """
    K = net.layer_dims[-1]
    n_classes = max(K, 2)
    # One pass over X for both finiteness and the overflow guard's max row norm (finite
    # norms prove finite entries); check_X's own scan runs only to report a bad value.
    X_in, X = X, check_X(X, net.n_features, net.dtype, finite=False)
    x_norm = _max_row_norm(X)
    if not math.isfinite(x_norm):
        check_X(X_in, net.n_features, net.dtype)  # raises unless only the squares overflowed
    labels = check_labels(y, X.shape[0], n_classes=n_classes)
    w = check_sample_weight(sample_weight, X.shape[0])
    cw = class_weights(labels, class_weight, n_classes)
    if cw is not None:
        w = cw if w is None else w * cw
        if w.sum() <= 0:
            raise ValueError("class_weight and sample_weight together give every sample weight zero")
    epochs = check_positive("epochs", epochs, integer=True)
    check_positive("l2", l2, allow_zero=True)
    if batch_size is not None:
        check_positive("batch_size", batch_size, integer=True)
    validation_fraction = check_rate("validation_fraction", validation_fraction)
    patience = check_positive("patience", patience, integer=True)
    check_positive("checkpoint_every", checkpoint_every, integer=True)
    name = optimizer if isinstance(optimizer, str) else None
    opt = get_optimizer(optimizer, learning_rate if learning_rate is not None else DEFAULT_RATES.get(name, 0.01))
    schedule = get_schedule(lr_schedule)
    net.set_dropout(dropout)
    rng = np.random.default_rng(seed) if seed is not None else net.rng
    for layer in net.dropout:
        layer.rng = rng

    if early_stopping and validation_data is None and validation_fraction == 0.0:
        validation_fraction = 0.1
    if validation_data is not None and validation_fraction:
        raise ValueError("give either validation_data or validation_fraction, not both")
    if validation_fraction:
        train_idx, val_idx = _split(X.shape[0], validation_fraction, rng)
        X_val, y_val = X[val_idx], labels[val_idx]
        X, labels = X[train_idx], labels[train_idx]
        w = None if w is None else w[train_idx]
    elif validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        X_val = check_X(validation_data[0], net.n_features, net.dtype, name="X_val")
        y_val = check_labels(validation_data[1], X_val.shape[0], n_classes=n_classes, name="y_val")
    validating = validation_fraction > 0 or validation_data is not None
    w_total = None if w is None else w.sum()
    if w_total is not None and w_total <= 0:
        raise ValueError("every training sample has weight zero")

    m = X.shape[0]
    b = m if batch_size is None else min(int(batch_size), m)
    Y = net.targets(labels)  # (n_L, m)
    # Shuffled batches are gathered into a reused buffer: the whole epoch at once when that copy
    # of X is small (fewer, larger gathers; the batches are then consecutive rows of it), else
    # one batch at a time (no second copy of a large X).
    whole_epoch = X.nbytes <= WHOLE_EPOCH_GATHER_BYTES
    Xbuf = np.empty((m if whole_epoch else b, X.shape[1]), dtype=net.dtype) if shuffle and b < m else None
    Ybuf = np.empty_like(Y) if Xbuf is not None and whole_epoch else None
    history = {"loss": [], "lr": []}
    if validating:
        history.update(val_loss=[], val_accuracy=[])
    best = {"loss": math.inf, "epoch": -1, "theta": None, "wait": 0}
    schedule.start(opt.learning_rate, epochs)
    start_epoch = 0

    saver = None
    if checkpoint is not None:
        from .checkpoint import Checkpointer

        saver = Checkpointer(checkpoint)
        if resume:
            start_epoch = saver.restore(net, opt, schedule, rng, history, best)
    callbacks = list(callbacks)
    if verbose:
        from .progress import ProgressBar

        callbacks.append(ProgressBar(epochs, initial=start_epoch))
    for cb in callbacks:
        if hasattr(cb, "on_train_begin"):
            cb.on_train_begin(net)

    full_batch = b == m  # no permutation: a reordered sum would change only the rounding
    snapshot = np.empty_like(net.theta)
    stop = False
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(start_epoch, epochs):
            opt.learning_rate = schedule.rate(epoch)
            np.copyto(snapshot, net.theta)
            order = rng.permutation(m) if shuffle and not full_batch else None
            Xe, Ye, we = X, Y, w
            if order is not None and whole_epoch:  # mode="clip": see the per-batch gather below
                Xe, Ye = X.take(order, axis=0, out=Xbuf, mode="clip"), Y.take(order, axis=1, out=Ybuf, mode="clip")
                we = None if w is None else w[order]
                order = None
            epoch_loss = 0.0
            for start in range(0, m, b):
                end = min(start + b, m)
                if order is None:
                    idx = slice(start, end)
                    A0 = Xe[idx].T  # (n_x, b), a view
                else:
                    idx = order[start:end]
                    # gathered, then viewed as (n_x, b); mode="clip" skips the bounds check that
                    # "raise" makes (idx is a permutation of range(m)): 25-35% faster on B and C
                    A0 = X.take(idx, axis=0, out=Xbuf[: end - start], mode="clip").T
                Yb = Ye[:, idx]
                if we is None:
                    weights, share = 1.0 / (end - start), (end - start) / m
                else:
                    wb = we[idx]
                    wb_sum = wb.sum()
                    share = wb_sum / w_total
                    weights = normalized_weights(wb, net.dtype) if wb_sum > 0 else 0.0
                J = net.loss_and_gradients(A0, Yb, weights, l2, training=True)
                if not math.isfinite(J):
                    np.copyto(net.theta, snapshot)
                    raise DivergenceError(
                        f"training diverged at epoch {epoch + 1} (batch starting at sample {start}): the cost "
                        f"is {J}; try a lower learning rate than {opt.learning_rate:g}. The network keeps the "
                        f"parameters from the start of epoch {epoch + 1}."
                    )
                epoch_loss += share * J
                opt.step(net.theta, net.grad)
            norms = _layer_norms(net)
            if norms is None and not np.isfinite(net.theta).all():
                np.copyto(net.theta, snapshot)
                raise DivergenceError(
                    f"training diverged at epoch {epoch + 1}: the parameters became non-finite; try a lower "
                    f"learning rate than {opt.learning_rate:g}. The network keeps the parameters from the "
                    f"start of epoch {epoch + 1}."
                )
            if _may_overflow(norms, x_norm, net.dtype) and not _forward_is_finite(net, X):
                np.copyto(net.theta, snapshot)
                raise DivergenceError(
                    f"training diverged at epoch {epoch + 1}: the parameters grew so large that the forward pass "
                    f"overflows {net.dtype.name} on the training data; try a lower learning rate than "
                    f"{opt.learning_rate:g} or standardize the features. The network keeps the parameters from "
                    f"the start of epoch {epoch + 1}."
                )
            logs = {"loss": float(epoch_loss), "lr": opt.learning_rate}
            if validating:
                logs["val_loss"] = net.cost(X_val, y_val)
                logs["val_accuracy"] = float(np.mean(net.predict(X_val) == y_val))
            for key, value in logs.items():
                history[key].append(value)
            monitored = logs.get("val_loss", logs["loss"])
            schedule.observe(epoch, monitored)
            if early_stopping:
                if monitored < best["loss"] - min_delta:
                    best.update(loss=monitored, epoch=epoch, theta=net.theta.copy(), wait=0)
                else:
                    best["wait"] += 1
                    stop = best["wait"] >= patience
            for cb in callbacks:
                stop = bool(cb.on_epoch_end(epoch, logs)) or stop
            if saver is not None and ((epoch + 1) % checkpoint_every == 0 or stop or epoch + 1 == epochs):
                saver.save(epoch + 1, net, opt, schedule, rng, history, best)
            if stop:
                break

    if early_stopping:
        history["best_epoch"] = best["epoch"]
        if restore_best and best["theta"] is not None:
            np.copyto(net.theta, best["theta"])
    for cb in callbacks:
        if hasattr(cb, "on_train_end"):
            cb.on_train_end(net, history)
    return history


def _max_row_norm(X, block=4096):
    """``max_i ||x_i||`` in row blocks (no (m, n_x) temporary), summed in X's dtype
    (5x faster than casting float32 to float64; its rounding is far inside the 1e-6
    margin of :func:`_may_overflow`); a block whose squares overflow is redone in
    float64. ``inf`` when X holds NaN or infinity (so a finite result proves X finite)."""
    norm2 = 0.0
    with np.errstate(over="ignore"):  # an infinite norm is a valid answer: "may overflow"
        for i in range(0, X.shape[0], block):
            B = X[i : i + block]
            b2 = float(np.einsum("ij,ij->i", B, B).max())
            if not math.isfinite(b2):
                b2 = float(np.einsum("ij,ij->i", B, B, dtype=np.float64).max())
                if not math.isfinite(b2):  # NaN or inf in X, or squares beyond float64
                    return math.inf
            norm2 = max(norm2, b2)
    return math.sqrt(norm2)


def _layer_norms(net):
    """``[(||W{l}||_F, ||b{l}||)]`` computed in the network's dtype (one BLAS dot per
    array, no float64 copy), or None when one is not finite: then some parameter is
    non-finite, or its squares overflow the dtype, and the caller looks closer."""
    norms = []
    for d in net.dense:
        w2, b2 = float(np.vdot(d.W, d.W)), float(np.vdot(d.b, d.b))
        if not (math.isfinite(w2) and math.isfinite(b2)):
            return None
        norms.append((math.sqrt(w2), math.sqrt(b2), d.W.shape[0]))
    return norms


def _may_overflow(norms, x_norm, dtype):
    """Whether some entry of a ``Z{l}`` (or a partial sum of ``W{l} A{l-1}``) could
    come near the dtype's largest value on inputs of norm <= ``x_norm``; ``norms``
    as :func:`_layer_norms` returns them (None counts as "could").

    By Cauchy-Schwarz ``|Z{l}_ij| <= ||W{l}||_F ||a{l-1}|| + ||b{l}||`` and every hidden
    activation has ``|g(z)| <= |z| + 1``, so a per-epoch check costs O(parameters);
    the exact forward pass runs only when this cheap bound is not conclusive. The
    norms' rounding in float32 (relative ~1e-4 at worst) is far inside the 1e-6 margin.
    """
    if norms is None:
        return True
    bound = x_norm
    for w_norm, b_norm, n_out in norms:
        bound = w_norm * bound + b_norm + math.sqrt(n_out)
    return not bound < 1e-6 * float(np.finfo(dtype).max)


def _forward_is_finite(net, X, block=4096):
    """Run the forward pass over ``X`` (m, n_x) in row blocks with floating-point
    errors raised: False if any layer overflows (ReLU would hide an -inf)."""
    try:
        with np.errstate(over="raise", invalid="raise"):
            for i in range(0, X.shape[0], block):
                if not np.isfinite(net.forward(X[i : i + block].T)).all():
                    return False
    except FloatingPointError:
        return False
    return True
