"""The L-layer network: an ordered list of layers over one flat parameter vector.

Notation (the article's): ``layer_dims = [n_x, n_1, ..., n_L]``, ``W{l}`` of shape
``(n_l, n_{l-1})``, ``b{l}`` of shape ``(n_l, 1)``, activations ``A{l}`` of shape
``(n_l, m)`` with one column per sample and ``A0 = X.T``.

All parameters live in one contiguous vector ``theta`` and all gradients in one
vector ``grad`` of the same layout; ``W{l}`` / ``dW{l}`` are reshaped views into
them. An optimizer step is then a handful of whole-array operations, and copying
the best parameters for early stopping is a single copy.

The network owns its state: :meth:`Network.get_config` (the architecture, JSON) and
:meth:`Network.state_dict` (parameters, random generator, dropout rates) are the one
description that model files, checkpoints, copies and pickles are made from, and
every copy rebuilds the views into a fresh ``theta``.

Owns: Network, Params, param_layout. Imports: the core below it (layers, _fast,
activations, initializers, losses, validation, training, persistence); never the
estimator, the CLI or anything beyond NumPy.
"""

from __future__ import annotations

from collections.abc import MutableMapping

import numpy as np

from .checks import check_dtype, check_labels, check_rate, check_sample_weight, check_X
from .files.network_file import ModelFileError, read_model, save_model
from .nn.activations import HIDDEN, get_hidden
from .nn.chunking import checked_rows, chunked_cost, map_rows
from .nn.fast import FastDense
from .nn.initializers import get_initializer
from .nn.layers import Dense, Dropout
from .nn.losses import OUTPUTS, normalized_weights
from .train import loop as training


def param_layout(layer_dims):
    """``[(name, shape, offset)]`` for ``W1, b1, ..., WL, bL`` in the flat vector."""
    layout, offset = [], 0
    for l in range(1, len(layer_dims)):
        for name, shape in ((f"W{l}", (layer_dims[l], layer_dims[l - 1])), (f"b{l}", (layer_dims[l], 1))):
            layout.append((name, shape, offset))
            offset += shape[0] * shape[1]
    return layout


def _views(flat, layout, prefix=""):
    return {prefix + name: flat[o : o + s[0] * s[1]].reshape(s) for name, s, o in layout}


class Params(MutableMapping):
    """``net.params``: a dict-like view ``{"W1": ..., "b1": ..., ...}``.

    Reading gives the live array (a view into the flat vector). Assigning copies
    the new values in, after checking the shape against the architecture and the
    values for finiteness, so ``net.params["W1"] = W`` takes effect everywhere.
    """

    def __init__(self, views, layer_dims):
        self._views = views
        self._dims = layer_dims

    def __getitem__(self, key):
        return self._views[key]

    def __setitem__(self, key, value):
        if key not in self._views:
            raise KeyError(f"no parameter {key!r}; this network has {list(self._views)}")
        target = self._views[key]
        value = np.asarray(value)
        if value.shape != target.shape:
            l = int(key[1:])
            kind = (
                f"connect layer {l - 1} ({self._dims[l - 1]} units) to layer {l} ({self._dims[l]} units)"
                if key[0] == "W"
                else f"hold one bias per unit of layer {l} ({self._dims[l]} units)"
            )
            raise ValueError(f"params[{key!r}] must have shape {target.shape} to {kind}; got {value.shape}")
        if value.dtype.kind not in "biuf" or not np.isfinite(value).all():
            raise ValueError(
                f"params[{key!r}] must hold finite real numbers; got dtype {value.dtype} "
                "with non-finite or non-numeric values"
            )
        np.copyto(target, value, casting="unsafe")

    def __delitem__(self, key):
        raise TypeError("parameters cannot be deleted; the architecture is fixed at construction")

    def __iter__(self):
        return iter(self._views)

    def __len__(self):
        return len(self._views)

    def __repr__(self):
        return "Params(" + ", ".join(f"{k}: {v.shape}" for k, v in self._views.items()) + ")"


class Network:
    """A fully connected network for classification.

    Parameters
    ----------
    layer_dims : sequence of int
        ``[n_x, n_1, ..., n_L]``; ``n_L = 1`` for binary (sigmoid output), ``n_L = K
        >= 2`` for K classes (softmax output).
    hidden_activation : {"relu", "leaky_relu", "tanh", "sigmoid"}
    init : {"he", "glorot", "scaled", "small"}, optional
        Default ``"he"`` for ReLU-like hidden layers, ``"glorot"`` otherwise.
    seed : int, np.random.Generator or None
        The only source of randomness (initialization, and by default shuffling
        and dropout masks in :meth:`fit`).
    dtype : float32 or float64
        Parameters, activations, gradients and outputs all keep this dtype.
    fast : bool, default True
        Build the layers of :mod:`npdnn.nn.fast` (reused buffers, sample-major GEMMs);
        False builds the textbook :class:`npdnn.nn.layers.Dense`. Same results up to
        rounding (a test pins them to 1e-12); not part of the saved model.
    """

    def __init__(self, layer_dims, hidden_activation="relu", init=None, seed=None, dtype=np.float64, fast=True):
        dims = list(layer_dims) if not isinstance(layer_dims, (str, bytes)) else None
        if (
            dims is None
            or len(dims) < 2
            or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in dims)
        ):
            raise ValueError(
                f"layer_dims must be a list of at least two positive integers [n_x, ..., n_L]; got {layer_dims!r}"
            )
        self.layer_dims = [int(n) for n in dims]
        act = get_hidden(hidden_activation)
        if act is not HIDDEN.get(act.name):
            # a model file, the compiled step and the exports know an activation by its name only
            raise ValueError(
                f"hidden_activation must be one of {sorted(HIDDEN)} (a name, or the Activation it names); got a "
                f"custom Activation named {act.name!r}: to experiment, set it on a layer (net.dense[l].activation)"
            )
        self.hidden_activation = act.name
        self.init = (
            init if init is not None else ("he" if self.hidden_activation in ("relu", "leaky_relu") else "glorot")
        )
        initializer = get_initializer(self.init)
        self.dtype = check_dtype(dtype)
        self.output = OUTPUTS["sigmoid" if self.layer_dims[-1] == 1 else "softmax"]
        self.rng = np.random.default_rng(seed)

        layout = param_layout(self.layer_dims)
        size = layout[-1][2] + self.layer_dims[-1]
        self.theta = np.zeros(size, dtype=self.dtype)
        self.grad = np.zeros(size, dtype=self.dtype)
        views, gviews = _views(self.theta, layout), _views(self.grad, layout, "d")
        self.params = Params(views, self.layer_dims)
        self.grads = gviews
        self.fast = bool(fast)
        layer_class = FastDense if self.fast else Dense
        self.dense, self.dropout = [], []
        L = self.L
        act = get_hidden(self.hidden_activation)
        for l in range(1, L + 1):
            W = views[f"W{l}"]
            W[...] = initializer(self.rng, self.layer_dims[l], self.layer_dims[l - 1])
            self.dense.append(
                layer_class(l, W, views[f"b{l}"], gviews[f"dW{l}"], gviews[f"db{l}"], act if l < L else None)
            )
            if l < L:
                self.dropout.append(Dropout(after=l))

    # ------------------------------------------------------------------ structure
    @property
    def L(self):
        """Number of layers with parameters (the input layer is not counted)."""
        return len(self.layer_dims) - 1

    @property
    def n_features(self):
        return self.layer_dims[0]

    @property
    def layers(self):
        """Ordered layers: Dense 1, Dropout 1, ..., Dense L-1, Dropout L-1, Dense L."""
        out = []
        for l, dense in enumerate(self.dense):
            out.append(dense)
            if l < len(self.dropout):
                out.append(self.dropout[l])
        return out

    def set_dropout(self, rates):
        """Set the dropout rate after each hidden layer: one number for all, or a
        sequence with one rate per hidden layer (L - 1 of them)."""
        n_hidden = self.L - 1
        if np.ndim(rates) == 0:
            rates = [rates] * n_hidden
        rates = list(rates)
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout needs one rate per hidden layer: this network has {n_hidden}; got {len(rates)} rates"
            )
        for layer, rate in zip(self.dropout, rates, strict=True):
            layer.rate = check_rate("dropout", rate)

    # ------------------------------------------------------------------ state
    def get_config(self):
        """The architecture as JSON-able values: ``Network.from_config(net.get_config())``
        builds the same network (with fresh parameters)."""
        return {
            "layer_dims": list(self.layer_dims),
            "hidden_activation": self.hidden_activation,
            "init": self.init,
            "dtype": self.dtype.name,
        }

    @classmethod
    def from_config(cls, config, seed=None, fast=True):
        """A new network from :meth:`get_config`'s dict (ValueError on anything else)."""
        if not isinstance(config, dict):
            raise ValueError(f"a network config must be a dict; got {type(config).__name__}")
        expected = {"layer_dims", "hidden_activation", "init", "dtype"}
        if set(config) != expected:
            raise ValueError(f"a network config has the keys {sorted(expected)}; got {sorted(config)}")
        return cls(**config, seed=seed, fast=fast)

    def state_dict(self):
        """A snapshot of everything that changes while training: ``theta`` (a copy),
        the random generator's state and the dropout rates."""
        return {
            "theta": self.theta.copy(),
            "rng": self.rng.bit_generator.state,
            "dropout": [layer.rate for layer in self.dropout],
        }

    def load_state_dict(self, state):
        """Copy a :meth:`state_dict` into this network (the views stay valid)."""
        theta = np.asarray(state["theta"])
        if theta.shape != self.theta.shape or theta.dtype.kind != "f" or not np.isfinite(theta).all():
            raise ValueError(
                f"theta must be {self.theta.size} finite floats for the network {self.layer_dims}; "
                f"got shape {theta.shape}, dtype {theta.dtype}"
            )
        np.copyto(self.theta, theta, casting="same_kind")
        if "rng" in state:
            name = state["rng"]["bit_generator"]
            if name not in BIT_GENERATORS:  # never a name looked up and called: the state may come from a file
                raise ValueError(f"rng bit_generator must be one of {sorted(BIT_GENERATORS)}; got {name!r:.80}")
            if type(self.rng.bit_generator).__name__ != name:  # else set in place: others may hold self.rng
                self.rng = np.random.Generator(BIT_GENERATORS[name]())
            self.rng.bit_generator.state = state["rng"]
        if "dropout" in state:
            self.set_dropout(state["dropout"])

    def __deepcopy__(self, memo=None):
        # A plain deepcopy would copy W{l} apart from theta: training the copy would then
        # update theta while the layers read stale W (the bug this method fixes).
        new = type(self).from_config(self.get_config(), fast=self.fast)
        new.load_state_dict(self.state_dict())
        return new

    __copy__ = __deepcopy__  # a network has no part a shallow copy could share safely

    def __reduce__(self):
        return (_rebuild, (type(self), self.get_config(), self.state_dict(), self.fast))

    @classmethod
    def load(cls, path, key=None):
        """Read a bare network written by :meth:`save` (extras of an estimator file are ignored);
        with ``key``, the file must be signed with it."""
        return network_from_file(path, cls, key=key)[0]

    # ------------------------------------------------------------------ numerics
    def forward(self, A0, training=False, reuse=False):
        """Propagate ``A0`` (n_x, m) through every layer; return the logits ``Z_L`` (n_L, m).

        ``reuse=True`` (the training pass) lets fast layers write into buffers kept
        across batches, so the result is overwritten by the next such call.
        """
        A = A0
        dropout = self.dropout
        fast = self.fast  # FastDense takes the reuse flag; the textbook Dense has no buffers
        for l, dense in enumerate(self.dense):
            A = dense.forward(A, training, reuse) if fast else dense.forward(A, training)
            if l < len(dropout) and (dropout[l].D is not None or (training and dropout[l].rate)):
                A = dropout[l].forward(A, training)
        return A

    def backward(self, dZL, l2_scale=0.0):
        """Back-propagate ``dZ_L`` (n_L, m) through the caches; fills :attr:`grads`."""
        dA = dZL
        dropout = self.dropout
        # dA here is always an array this pass allocated, so fast layers may overwrite it
        fast = self.fast
        for l in range(self.L - 1, -1, -1):
            if l < len(dropout) and dropout[l].D is not None:
                dA = dropout[l].backward(dA, l2_scale)
            dA = self.dense[l].backward(dA, l2_scale, True) if fast else self.dense[l].backward(dA, l2_scale)

    def l2_penalty(self):
        """``sum_l ||W{l}||_F^2`` (biases are not regularized)."""
        return sum(float(np.vdot(d.W, d.W)) for d in self.dense)

    def objective(self, A0, Y, weights, l2=0.0, training=False):
        """``J`` (float) on a batch, forward pass only; arguments as for
        :meth:`loss_and_gradients`."""
        J = float(self.output.cost(self.forward(A0, training), Y, weights))
        if l2:
            J += l2 / (2 * A0.shape[1]) * self.l2_penalty()
        return J

    def loss_and_gradients(self, A0, Y, weights, l2=0.0, training=False):
        """One forward and one backward pass on a batch; returns ``J`` (float).

        ``A0`` (n_x, m), ``Y`` (n_L, m), ``weights`` a float ``1/m`` or an array (1, m)
        summing to 1. ``J = cost + l2 / (2m) sum ||W||^2``; gradients land in ``grads``.
        """
        ZL = self.forward(A0, training, reuse=True)  # ZL and the caches are consumed below
        J, dZL = self.output.cost_and_dZ(ZL, Y, weights)  # one pass shares exp() between both
        J = float(J)
        m = A0.shape[1]
        if l2:
            J += l2 / (2 * m) * self.l2_penalty()
        self.backward(dZL, l2 / m)
        return J

    # ------------------------------------------------------------------ public API
    def _check(self, X, y=None, sample_weight=None):
        X = check_X(X, self.n_features, self.dtype)
        if y is None:
            return X.T
        K = self.layer_dims[-1]
        labels = check_labels(y, X.shape[0], n_classes=max(K, 2))
        Y = self.targets(labels)
        w = check_sample_weight(sample_weight, X.shape[0])
        weights = 1.0 / X.shape[0] if w is None else normalized_weights(w, self.dtype)
        return X.T, Y, weights  # A0 = X.T is a view: (m, n_x) -> (n_x, m)

    def targets(self, labels):
        """Integer labels (m,) -> ``Y`` of the network's dtype: (1, m) for binary,
        one-hot (K, m) for K classes."""
        K = self.layer_dims[-1]
        if K == 1:
            return labels.astype(self.dtype)[None, :]
        Y = np.zeros((K, labels.shape[0]), dtype=self.dtype)
        Y[labels, np.arange(labels.shape[0])] = 1
        return Y

    def predict_proba(self, X):
        """Probabilities: (m,) of class 1 for a binary network, (m, K) for softmax.

        Computed in row chunks (:mod:`npdnn.nn.chunking`): memory bounded whatever m,
        X never copied, equal to one pass up to BLAS rounding (a few eps)."""
        forward = self.output.forward
        if self.layer_dims[-1] == 1:
            return map_rows(self, X, lambda ZL: forward(ZL)[0])
        return map_rows(self, X, lambda ZL: forward(ZL).T)

    def decision_function(self, X):
        """Logits ``Z_L``: (m,) for binary, (m, K) for softmax (in row chunks)."""
        return map_rows(self, X, lambda ZL: ZL[0] if ZL.shape[0] == 1 else ZL.T)

    def predict(self, X, threshold=0.5):
        """Labels (m,) as int64: ``proba >= threshold`` for binary, argmax for softmax."""
        P = self.predict_proba(X)
        if P.ndim == 1:
            return (P >= threshold).astype(np.int64)
        return P.argmax(axis=1)

    def cost(self, X, y, l2=0.0, sample_weight=None):
        """``J`` (float): mean (or weighted mean) cross-entropy plus ``l2/(2m) sum ||W||^2``
        (forward pass in row chunks, equal to one pass up to BLAS rounding)."""
        X = checked_rows(X, self.n_features, self.dtype)
        m = X.shape[0]
        labels = check_labels(y, m, n_classes=max(self.layer_dims[-1], 2))
        w = check_sample_weight(sample_weight, m)
        J = chunked_cost(self, X, labels, 1.0 / m if w is None else normalized_weights(w, self.dtype))
        if l2:
            J += l2 / (2 * m) * self.l2_penalty()
        return J

    def gradients(self, X, y, l2=0.0, sample_weight=None):
        """``{"dW1": ..., "db1": ..., ...}`` of J at the current parameters (copies)."""
        A0, Y, weights = self._check(X, y, sample_weight)
        self.loss_and_gradients(A0, Y, weights, l2)
        return {k: v.copy() for k, v in self.grads.items()}

    # The training loop itself, so that help(Network.fit) shows its keyword arguments and
    # their defaults are written in one place (npdnn.train.loop.fit).
    fit = training.fit
    """``net.fit(X, y, **options)``: train in place and return the history; every option is
    documented at :func:`npdnn.train.loop.fit` (the training loop itself)."""

    def save(self, path, key=None):
        """Write the network to ``path`` (atomic; no pickle; sealed with a SHA-256 digest,
        and signed with ``key`` (bytes) when given); read back with :func:`npdnn.load`."""
        save_model(path, self.get_config(), self.theta, key=key)

    def summary(self):
        """A table of layers with W, b, Z/A shapes (m = batch), activation and
        parameter counts, plus the total (a string; ``print`` it)."""
        from .nn.summary import summary

        return summary(self)

    def __repr__(self):
        return (
            f"Network(layer_dims={self.layer_dims}, hidden_activation={self.hidden_activation!r}, "
            f"output={self.output.name!r}, init={self.init!r}, dtype={self.dtype.name}, "
            f"params={self.theta.size})"
        )

    # ------------------------------------------------------------------ exchange (optional extras, lazy)
    def to_onnx(self, classes=None, opset=None):
        """An ``onnx.ModelProto``: input ``X`` (N, n_x), outputs ``label`` (N,) and
        ``probabilities`` (N, max(n_L, 2)); see :mod:`npdnn.export.onnx` (``onnx`` extra)."""
        from .export.onnx import to_onnx

        return to_onnx(self, classes=classes, opset=opset)

    def to_torch(self, probabilities=False):
        """A ``torch.nn.Sequential`` (Linear, activation, ..., Linear) with these weights;
        see :mod:`npdnn.export.torch` (needs torch)."""
        from .export.torch import to_torch

        return to_torch(self, probabilities=probabilities)

    @classmethod
    def from_torch(cls, module):
        """A Network with the weights of a ``torch.nn.Sequential`` of Linear layers and one
        hidden activation (ReLU, LeakyReLU(0.01), Tanh, Sigmoid); see :mod:`npdnn.export.torch`."""
        from .export.torch import from_torch

        return from_torch(module, cls)


BIT_GENERATORS = {
    cls.__name__: cls
    for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64, np.random.MT19937)
}


def _rebuild(cls, config, state, fast):
    """Unpickling: a fresh network (new views into a new theta) holding ``state``."""
    net = cls.from_config(config, fast=fast)
    net.load_state_dict(state)
    return net


def network_from_file(path, cls=Network, max_parameters=None, key=None):
    """``(net, arrays, meta)`` from a model file: the network it describes, and the
    extra arrays and JSON sections stored beside it (e.g. an estimator's).
    Raises :class:`ModelFileError` naming ``path``; ``max_parameters``: see
    :mod:`npdnn.files.limits`."""
    built = []

    def build(config):  # once the file's declarations are checked: theta is then read into net.theta
        try:
            built.append(cls.from_config(config))
        except (TypeError, ValueError) as e:
            raise ModelFileError(f"{path} has an invalid network description {config!r} ({e})") from None
        return built[0].theta

    _, _, arrays, meta = read_model(path, max_parameters, into=build, key=key)
    return built[0], arrays, meta
