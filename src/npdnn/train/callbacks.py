"""Epoch hooks for the training loop: what to do at the end of an epoch lives here,
not in the loop's body (Keras' Callback, without per-batch hooks: workload A is
bound by per-batch cost, so the loop calls Python hooks once per epoch only).

A callback subclasses :class:`Callback` and overrides any of ``on_train_begin(net)``,
``on_epoch_begin(epoch)``, ``on_epoch_end(epoch, logs)`` (return True to stop) and
``on_train_end(net, history)``. Before ``on_train_begin``, ``fit`` sets
``callback.run`` (a :class:`Run`: the network, optimizer, schedule, random generator,
history and the callbacks). ``state_dict()``/``load_state_dict()`` carry what a
callback must remember across a checkpoint and resume. A plain function
``f(epoch, logs)`` is accepted as an ``on_epoch_end`` hook (see :func:`as_callback`).

Owns: Callback, Run, History, EarlyStopping, LambdaCallback, DivergenceGuard,
as_callback. Imports: NumPy, :mod:`npdnn.errors` and the monitor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import DivergenceError
from .monitor import Monitor
from .options import check_option


@dataclass
class Run:
    """What a training run's callbacks can see and change."""

    net: object
    optimizer: object
    schedule: object
    rng: np.random.Generator
    epochs: int
    history: dict = field(default_factory=dict)
    callbacks: list = field(default_factory=list)
    start_epoch: int = 0
    fingerprint: dict | None = None  # what the run's result depends on (see npdnn.train.checkpoint)
    guard: object = None  # the DivergenceGuard: the runner calls it before the other hooks


class Callback:
    """Base class: every hook does nothing; override the ones you need."""

    run: Run | None = None

    def on_train_begin(self, net):
        """Called once before the first epoch (after a resume restored the state)."""

    def on_epoch_begin(self, epoch):
        """Called before epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch, logs):
        """Called after epoch ``epoch`` with its ``logs`` ({"loss", "lr", "val_loss", ...});
        return True to stop training."""
        return False

    def on_train_end(self, net, history):
        """Called once after the last epoch (also after an early stop)."""

    def state_dict(self):
        """JSON-able values (and NumPy arrays) to store in a checkpoint."""
        return {}

    def load_state_dict(self, state):
        """Restore what :meth:`state_dict` returned."""


class LambdaCallback(Callback):
    """A callback made of plain functions: ``LambdaCallback(on_epoch_end=f)``."""

    def __init__(self, on_train_begin=None, on_epoch_begin=None, on_epoch_end=None, on_train_end=None):
        self._hooks = {
            "on_train_begin": on_train_begin,
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_end": on_train_end,
        }

    def on_train_begin(self, net):
        if self._hooks["on_train_begin"]:
            self._hooks["on_train_begin"](net)

    def on_epoch_begin(self, epoch):
        if self._hooks["on_epoch_begin"]:
            self._hooks["on_epoch_begin"](epoch)

    def on_epoch_end(self, epoch, logs):
        return bool(self._hooks["on_epoch_end"](epoch, logs)) if self._hooks["on_epoch_end"] else False

    def on_train_end(self, net, history):
        if self._hooks["on_train_end"]:
            self._hooks["on_train_end"](net, history)


_HOOKS = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")


def as_callback(obj):
    """A :class:`Callback` from a Callback, a plain function ``f(epoch, logs)`` (its
    ``on_epoch_end``), or any object with some of the hook methods."""
    if isinstance(obj, Callback):
        return obj
    hooks = {name: getattr(obj, name) for name in _HOOKS if callable(getattr(obj, name, None))}
    if hooks:
        return LambdaCallback(**hooks)
    if callable(obj):
        return LambdaCallback(on_epoch_end=obj)
    raise TypeError(
        f"callbacks must be npdnn.callbacks.Callback objects or functions f(epoch, logs); got {type(obj).__name__}"
    )


class History(Callback):
    """Appends each epoch's logs to ``history`` (a dict of lists, returned by ``fit``)."""

    def __init__(self, history):
        self.history = history

    def on_epoch_end(self, epoch, logs):
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        return False

    def state_dict(self):
        return {"history": self.history}

    def load_state_dict(self, state):
        self.history.clear()
        self.history.update(state["history"])


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    ``mode`` is "min", "max" or "auto" (max for names holding "accuracy" or "auc",
    else min). ``restore_best`` puts the best epoch's parameters back at the end;
    ``history["best_epoch"]`` records that epoch (0-based). With the default
    ``monitor="val_loss"`` and no validation data, the training loss is monitored.
    """

    def __init__(self, monitor="val_loss", mode="auto", patience=10, min_delta=0.0, restore_best=True):
        self._monitor = Monitor(monitor, mode)
        self.monitor, self.mode = monitor, self._monitor.mode
        self.patience = int(check_option("patience", patience))
        self.min_delta, self.restore_best = float(check_option("min_delta", min_delta)), bool(restore_best)
        self.best, self.best_epoch, self.wait, self.best_theta = math.inf, -1, 0, None

    def on_epoch_end(self, epoch, logs):
        value = self._monitor.value(logs, "EarlyStopping")  # signed: lower is better
        if self._monitor.improved(value, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_theta = self.run.net.theta.copy()
            return False
        self.wait += 1
        return self.wait >= self.patience

    def on_train_end(self, net, history):
        history["best_epoch"] = self.best_epoch
        if self.restore_best and self.best_theta is not None:
            np.copyto(net.theta, self.best_theta)

    def state_dict(self):
        state = {"best": _json_float(self.best), "best_epoch": self.best_epoch, "wait": self.wait}
        if self.best_theta is not None:
            state["best_theta"] = self.best_theta
        return state

    def load_state_dict(self, state):
        self.best, self.best_epoch, self.wait = float(state["best"]), state["best_epoch"], state["wait"]
        self.best_theta = state.get("best_theta")


class DivergenceGuard(Callback):
    """Refuses parameters that training made unusable, restoring those of the start of
    the failing epoch and raising :class:`DivergenceError`.

    Three checks: a non-finite batch cost (the loop calls :meth:`batch_failed` inline,
    no hook per batch), non-finite parameters at the end of an epoch, and parameters
    so large that the forward pass would overflow on the training data ``X``.

    The last one costs O(parameters) per epoch: by Cauchy-Schwarz
    ``|Z{l}_ij| <= ||W{l}||_F ||a{l-1}|| + ||b{l}||`` and every hidden activation has
    ``|g(z)| <= |z| + 1``; the exact forward pass runs only when that bound comes
    within 1e-6 of the dtype's largest value.
    """

    def __init__(self, X, x_norm):
        self.X, self.x_norm = X, x_norm  # X (m, n_x) or None (not on this machine); x_norm = max_i ||x_i||
        self.snapshot = None

    def on_train_begin(self, net):
        self.snapshot = np.empty_like(net.theta)

    def on_epoch_begin(self, epoch):
        np.copyto(self.snapshot, self.run.net.theta)

    def _fail(self, epoch, what):
        np.copyto(self.run.net.theta, self.snapshot)
        raise DivergenceError(
            f"training diverged at epoch {epoch + 1}{what}; try a lower learning rate than "
            f"{self.run.optimizer.learning_rate:g}. The network keeps the parameters from the start of "
            f"epoch {epoch + 1}."
        )

    def batch_failed(self, epoch, where, J):
        """A step's cost ``J`` was not finite; ``where`` names the step ("batch starting at sample 64")."""
        self._fail(epoch, f" ({where}): the cost is {J}")

    def on_epoch_end(self, epoch, logs):
        net = self.run.net
        norms = layer_norms(net)
        if norms is None and not np.isfinite(net.theta).all():
            self._fail(epoch, ": the parameters became non-finite")
        if self.X is None:  # the data is not here (on Dask workers): the finiteness check only
            return False
        if may_overflow(norms, self.x_norm, net.dtype) and not forward_is_finite(net, self.X):
            self._fail(
                epoch,
                f": the parameters grew so large that the forward pass overflows {net.dtype.name} on the "
                "training data (standardizing the features helps too)",
            )
        return False


def max_row_norm(X, block=4096):
    """``max_i ||x_i||`` in row blocks (no (m, n_x) temporary), summed in X's dtype
    (5x faster than casting float32 to float64; its rounding is far inside the 1e-6
    margin of :func:`may_overflow`); a block whose squares overflow is redone in
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


def layer_norms(net):
    """``[(||W{l}||_F, ||b{l}||, n_l)]`` computed in the network's dtype (one BLAS dot per
    array, no float64 copy), or None when one is not finite: then some parameter is
    non-finite, or its squares overflow the dtype, and the caller looks closer."""
    norms = []
    for d in net.dense:
        w2, b2 = float(np.vdot(d.W, d.W)), float(np.vdot(d.b, d.b))
        if not (math.isfinite(w2) and math.isfinite(b2)):
            return None
        norms.append((math.sqrt(w2), math.sqrt(b2), d.W.shape[0]))
    return norms


def may_overflow(norms, x_norm, dtype):
    """Whether some entry of a ``Z{l}`` could come near the dtype's largest value on
    inputs of norm <= ``x_norm`` (``norms`` as :func:`layer_norms` returns them; None
    counts as "could"). The norms' float32 rounding is far inside the 1e-6 margin."""
    if norms is None:
        return True
    bound = x_norm
    for w_norm, b_norm, n_out in norms:
        bound = w_norm * bound + b_norm + math.sqrt(n_out)
    return not bound < 1e-6 * float(np.finfo(dtype).max)


def forward_is_finite(net, X, block=4096):
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


def _json_float(x):
    return x if math.isfinite(x) else repr(float(x))
