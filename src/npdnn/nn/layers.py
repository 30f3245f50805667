"""Layers, as the article writes them: ``forward(A_prev) -> A`` caching what backward
needs, and ``backward(dA) -> dA_prev`` writing the layer's parameter gradients.

This is the textbook path: one line per equation, one path each. The faster
variants the training loop uses (reused buffers, sample-major GEMMs, a BLAS db)
live apart in :mod:`npdnn.nn.fast`, pinned to these by a test.

Caches are overwritten on every forward (never appended to), and gradients are
written, not accumulated.

Owns: Dense, Dropout. Imports: NumPy only.
"""

from __future__ import annotations


class Dense:
    """Fully connected layer ``l``: ``Z = W @ A_prev + b``, ``A = g(Z)``.

    Shapes: ``W`` (n_l, n_{l-1}), ``b`` (n_l, 1), ``A_prev`` (n_{l-1}, m),
    ``Z`` and ``A`` (n_l, m). ``W, b, dW, db`` are views into the network's flat
    parameter and gradient vectors (so an optimizer updates all layers with a few
    whole-array operations); the layer writes into them, never rebinds them.

    ``activation`` is an :class:`npdnn.activations.Activation`, or ``None`` for the
    output layer, whose logits go to the loss (which owns sigmoid / softmax).
    """

    def __init__(self, index, W, b, dW, db, activation):
        self.index = index
        self.W, self.b, self.dW, self.db = W, b, dW, db
        self.activation = activation
        self.need_dA_prev = index > 1  # dA0 (the input's gradient) is never used
        self.A_prev = self.A = None

    @property
    def n_out(self):
        return self.W.shape[0]

    @property
    def n_in(self):
        return self.W.shape[1]

    def _check_input(self, A_prev):
        if A_prev.shape[0] != self.n_in:
            l = self.index
            raise ValueError(
                f"layer {l} expects A{l - 1} of shape ({self.n_in}, m) but got "
                f"({A_prev.shape[0]}, m): W{l} has shape {self.W.shape}"
            )

    def forward(self, A_prev, training=False):
        """Return ``A = g(W @ A_prev + b)`` (n_l, m); cache ``A_prev`` and ``A``."""
        self._check_input(A_prev)
        Z = self.W @ A_prev + self.b  # (n_l, n_{l-1}) @ (n_{l-1}, m) + (n_l, 1) broadcast over m
        A = Z if self.activation is None else self.activation.forward(Z)
        self.A_prev, self.A = A_prev, A
        return A

    def backward(self, dA, l2_scale=0.0):
        """Given ``dA = dJ/dA`` (n_l, m), write ``dW, db`` and return ``dA_prev``.

        ``dZ = dA * g'(Z)``, ``dW = dZ @ A_prev.T (+ l2_scale * W)``,
        ``db = sum_columns(dZ)``, ``dA_prev = W.T @ dZ``. The 1/m of the mean lives
        in ``dZ_L`` (see :mod:`npdnn.losses`), so no 1/m appears here.
        """
        dZ = dA if self.activation is None else self.activation.backward(dA, self.A)
        self.dW[...] = dZ @ self.A_prev.T  # (n_l, m) @ (m, n_{l-1})
        if l2_scale:
            self.dW += l2_scale * self.W  # d/dW of (l2 / 2m) ||W||^2 = (l2 / m) W
        self.db[...] = dZ.sum(axis=1, keepdims=True)  # (n_l, 1)
        if not self.need_dA_prev:
            return None
        return self.W.T @ dZ  # (n_{l-1}, n_l) @ (n_l, m)


class Dropout:
    """Inverted dropout after a hidden layer: ``A_out = A * D``, ``D = mask / keep_prob``.

    Each unit is kept with probability ``keep_prob = 1 - rate``. Dividing the kept
    units by keep_prob keeps the expected activation equal to A, so prediction
    uses the network unchanged (no unit dropped, no rescaling). Active only when
    ``training`` is true. The mask comes from ``rng`` (a ``np.random.Generator``
    the training loop passes in); ``frozen = True`` reuses the last mask, which the
    gradient check needs to differentiate a fixed function.
    """

    def __init__(self, after, rate=0.0, rng=None):
        self.after = after
        self.rate = float(rate)
        self.rng = rng
        self.frozen = False
        self.D = None

    def forward(self, A, training=False):
        if not training or self.rate == 0.0:
            self.D = None
            return A
        if not (self.frozen and self.D is not None and self.D.shape == A.shape):
            if self.rng is None:
                raise ValueError("Dropout needs a random generator: set layer.rng before training")
            keep_prob = 1.0 - self.rate
            self.D = (self.rng.random(A.shape, dtype=A.dtype) < keep_prob) / A.dtype.type(keep_prob)
        return A * self.D

    def backward(self, dA, l2_scale=0.0):
        return dA if self.D is None else dA * self.D
