"""Per-layer measurements during training: what happens inside each layer, epoch by epoch.

Named ``layer_stats`` (not ``diagnostics``): :mod:`npdnn.train.diagnostics` holds the
warnings about a finished run (convergence, one class); this module *measures* the
layers while the run goes, and :mod:`npdnn.train.layer_warnings` reads the measurements
and names the cause of what it sees (dead ReLUs, vanishing or exploding gradients, a
learning rate too high).

:class:`Diagnostics` is a training callback. Every ``every`` epochs it appends, per
layer ``l = 1..L``, to ``history["diagnostics"]`` (a dict of lists, one entry per
recorded epoch, each entry a list with one value per layer):

``W_norm``        ``||W{l}||_F`` at the end of the epoch
``dW_norm``       ``||dW{l}||_F`` of the epoch's **last optimizer step** (the gradient the
                  loop left in ``net.grad``: no extra pass, no labels needed)
``dW_rms``        ``||dW{l}||_F / sqrt(n_l n_{l-1})`` (comparable across layers of any width)
``update_ratio``  ``||W{l}_end - W{l}_start||_F / ||W{l}_start||_F`` over the epoch: what the
                  optimizer actually did (any optimizer; with full batches one step)
``Z_mean``, ``Z_std``, ``A_mean``, ``A_std``  of ``Z{l}``, ``A{l}`` on the probe batch
                  (``A{L}`` is the output probability)
``dead``          ReLU layers: the fraction of units with ``Z <= 0`` on every probe row
                  (never active, so they get no gradient); None for other activations
``saturated``     sigmoid/tanh hidden layers: the fraction of units saturated on every
                  probe row (``A`` within 0.01 of an asymptote, derivative < ~1% of its
                  peak); None for other activations

plus ``"epoch"`` (0-based epochs recorded). At ``hist_epochs`` (default: the first, the
middle and the last epoch) it also keeps histograms of ``A{l}`` on the probe and of
``dW{l}`` in ``history["diagnostics"]["histograms"]``: a list of
``{"epoch", "layer", "what", "counts", "edges"}``. Everything is plain floats and lists
(JSON-able: checkpoints store it with the history).

Cost per recorded epoch: one forward pass over the probe (keep it small: 256 rows is
plenty) and O(parameters) for the norms; nothing per batch. Without the callback the loop
does no work for it at all. ``benchmarks/diagnostics_overhead.py`` measures it.

Owns: Diagnostics, probe_stats, weight_stats. Imports: NumPy and the train package.
"""

from __future__ import annotations

import math

import numpy as np

from .callbacks import Callback
from .layer_warnings import check_layers

SATURATION_MARGIN = 0.01  # sigmoid A < 0.01 or > 0.99 (|Z| > 4.6); tanh |A| > 0.99 (|Z| > 2.6)
HIST_BINS = 30


def probe_stats(net, X_probe):
    """Per layer, the forward pass on ``X_probe`` (p, n_x), recomputed here (the layers
    cache A, not Z, and the training caches are the last batch's).

    Returns a list of dicts ``{"Z_mean", "Z_std", "A_mean", "A_std", "dead", "saturated", "A"}``,
    ``A`` being the layer's activation, a (p, n_l) array (sample-major), for histograms.
    """
    out = []
    # Sample-major (p, n_l) arrays, Z.T = A_prev.T @ W.T: the probe's rows stay C-ordered, so BLAS
    # streams them (4x faster than W @ X_probe.T on benchmark D's 12288-wide rows; see nn/fast.py)
    At = np.asarray(X_probe, dtype=net.dtype)  # (p, n_x)
    with np.errstate(over="ignore", invalid="ignore"):
        for l, dense in enumerate(net.dense, start=1):
            Zt = At @ dense.W.T + dense.b.T  # (p, n_{l-1}) @ (n_{l-1}, n_l) + (1, n_l)
            act = dense.activation
            At = net.output.forward(Zt.T).T if act is None else act.forward(Zt)  # output: its probability
            name = None if act is None else act.name
            dead = float(np.mean(np.all(Zt <= 0, axis=0))) if name == "relu" else None
            saturated = None
            if name == "sigmoid":
                saturated = float(np.mean(np.all((At < SATURATION_MARGIN) | (At > 1 - SATURATION_MARGIN), axis=0)))
            elif name == "tanh":
                saturated = float(np.mean(np.all(np.abs(At) > 1 - SATURATION_MARGIN, axis=0)))
            out.append(
                {
                    "Z_mean": float(Zt.mean()),
                    "Z_std": float(Zt.std()),
                    "A_mean": float(At.mean()),
                    "A_std": float(At.std()),
                    "dead": dead,
                    "saturated": saturated,
                    "A": At,
                    "hidden": l < net.L,
                }
            )
    return out


def weight_stats(net, W_start=None):
    """Per layer ``{"W_norm", "dW_norm", "dW_rms", "update_ratio"}`` from the network's
    current parameters and gradient; ``W_start`` (list of arrays) gives the update ratio."""
    out = []
    for l, dense in enumerate(net.dense):
        W, dW = dense.W, dense.dW
        w_norm = math.sqrt(float(np.vdot(W, W)))
        g_norm = math.sqrt(float(np.vdot(dW, dW)))
        ratio = None
        if W_start is not None:
            D = W - W_start[l]
            start = math.sqrt(float(np.vdot(W_start[l], W_start[l])))
            ratio = math.sqrt(float(np.vdot(D, D))) / start if start > 0 else math.inf
        out.append({"W_norm": w_norm, "dW_norm": g_norm, "dW_rms": g_norm / math.sqrt(W.size), "update_ratio": ratio})
    return out


KEYS = ("W_norm", "dW_norm", "dW_rms", "update_ratio", "Z_mean", "Z_std", "A_mean", "A_std", "dead", "saturated")


class Diagnostics(Callback):
    """Record per-layer statistics into ``history["diagnostics"]`` and warn, naming the
    cause, when a layer is dead, gradients vanish or explode, or updates are too large.

    Parameters
    ----------
    every : int, record every ``every`` epochs (and always the last one)
    probe : (p, n_x) array or None. The rows Z and A are measured on (a few hundred rows
        of the training data); None records the weight and gradient statistics only.
    hist_epochs : epochs (0-based) at which to keep histograms; None: first, middle, last
    warn : bool, run :func:`npdnn.train.layer_warnings.check_layers` at the end of training
    """

    def __init__(self, every=1, probe=None, hist_epochs=None, warn=True):
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"every must be a positive integer (record every N epochs); got {every!r}")
        if probe is not None:
            probe = probe.to_numpy() if hasattr(probe, "to_numpy") else np.asarray(probe)
            if probe.ndim != 2 or probe.shape[0] < 1:
                raise ValueError(
                    f"probe must be a (rows, features) array with at least one row; got shape {probe.shape}"
                )
        self.every, self.probe, self.warn = int(every), probe, bool(warn)
        self.hist_epochs = None if hist_epochs is None else sorted({int(e) for e in hist_epochs})
        self.W_start = None
        self.warned = []

    def on_train_begin(self, net):
        if self.probe is not None and self.probe.shape[1] != net.n_features:
            raise ValueError(
                f"the diagnostics probe has {self.probe.shape[1]} features but the network expects {net.n_features}"
            )
        run = self.run
        if self.hist_epochs is None:
            last = run.epochs - 1
            self._hist = {run.start_epoch, run.start_epoch + (last - run.start_epoch) // 2, last}
        else:
            self._hist = set(self.hist_epochs)
        record = run.history.setdefault("diagnostics", {"epoch": [], "histograms": [], **{k: [] for k in KEYS}})
        self.record = record

    def _records(self, epoch):
        return epoch % self.every == 0 or epoch == self.run.epochs - 1 or epoch in self._hist

    def on_epoch_begin(self, epoch):
        # the start of the epoch's weights, for the update ratio: O(parameters), only when recording
        self.W_start = [d.W.copy() for d in self.run.net.dense] if self._records(epoch) else None

    def on_epoch_end(self, epoch, logs):
        if not self._records(epoch):
            return False
        net, record = self.run.net, self.record
        per_layer = weight_stats(net, self.W_start)
        probe = probe_stats(net, self.probe) if self.probe is not None else None
        record["epoch"].append(int(epoch))
        for key in KEYS:
            if key in per_layer[0]:
                record[key].append([_plain(s[key]) for s in per_layer])
            elif probe is not None:
                record[key].append([_plain(s[key]) for s in probe])
            else:
                record[key].append([None] * net.L)
        if epoch in self._hist:
            for l, dense in enumerate(net.dense, start=1):
                record["histograms"].append(_histogram(epoch, l, "dW", dense.dW))
                if probe is not None:
                    record["histograms"].append(_histogram(epoch, l, "A", probe[l - 1]["A"]))
        return False

    def on_train_end(self, net, history):
        if self.warn and "diagnostics" in history:
            self.warned = check_layers(history["diagnostics"])


def _plain(value):
    return None if value is None else float(value)


def _histogram(epoch, layer, what, values):
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(values, bins=HIST_BINS) if values.size else (np.zeros(0), np.zeros(0))
    return {"epoch": int(epoch), "layer": layer, "what": what, "counts": counts.tolist(), "edges": edges.tolist()}
