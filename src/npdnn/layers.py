"""Layers: ``forward(A_prev, training) -> A`` caching what backward needs, and
``backward(dA) -> dA_prev`` writing the layer's parameter gradients.

Caches are overwritten on every forward (never appended to), and gradients are
written, not accumulated.
"""

from __future__ import annotations

import numpy as np


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
        self.sample_major = False  # set by forward: A_prev (and so Z, A, dZ) stored (m, n) row-major
        self._db_col = db[:, 0]  # db as an (n_l,) view: the output of db = dZ @ ones
        self._ones_m = None  # ones(m) for db = dZ @ ones, kept while m repeats
        self._buffers = {}  # Z and dA_prev arrays reused across batches of one size (reuse=True)

    @property
    def n_out(self):
        return self.W.shape[0]

    @property
    def n_in(self):
        return self.W.shape[1]

    def forward(self, A_prev, training=False, reuse=False):
        """Return ``A = g(W @ A_prev + b)`` (n_l, m); cache ``A_prev`` and ``A``.

        ``reuse=True`` writes Z and A into a buffer kept by the layer and overwritten
        by the next such call (the training pass, which consumes A before that); a
        caller that keeps the result must leave it False.
        """
        W = self.W
        n_out, n_in = W.shape
        if A_prev.shape[0] != n_in:
            l = self.index
            raise ValueError(
                f"layer {l} expects A{l - 1} of shape ({n_in}, m) but got "
                f"({A_prev.shape[0]}, m): W{l} has shape {W.shape}"
            )
        m = A_prev.shape[1]
        # Sample-major input (A0 = X.T of a C-ordered X is F-ordered): compute Z.T = A_prev.T @ W.T
        # into an (m, n_l) C array and view it as Z, so every array of this pass keeps one memory
        # order (no strided element-wise ops) and BLAS streams X row by row (1.8x on layer 1 of D).
        # Measured on OpenBLAS: it pays for narrow layers (n_l <= m: A, B, D), costs ~3% on wide ones (C).
        flags = A_prev.flags
        self.sample_major = n_out <= m and flags.f_contiguous and not flags.c_contiguous
        if self.sample_major:
            Z = np.matmul(A_prev.T, W.T, out=self._buffer("ZT", m, n_out, reuse)).T  # (m, n_l).T
        else:
            Z = np.matmul(W, A_prev, out=self._buffer("Z", n_out, m, reuse))  # (n_l, n_{l-1}) @ (n_{l-1}, m)
        Z += self.b  # b (n_l, 1) broadcasts over the m columns, in place
        A = Z if self.activation is None else self.activation.forward(Z, out=Z)
        self.A_prev, self.A = A_prev, A
        return A

    def backward(self, dA, l2_scale=0.0, overwrite_dA=False):
        """Given ``dA = dJ/dA`` (n_l, m), write ``dW, db`` and return ``dA_prev``.

        ``dZ = dA * g'(Z)``, ``dW = dZ @ A_prev.T (+ l2_scale * W)``,
        ``db = sum_columns(dZ)``, ``dA_prev = W.T @ dZ``. The 1/m of the mean lives
        in ``dZ_L`` (see :mod:`npdnn.losses`), so no 1/m appears here.
        ``overwrite_dA=True`` lets the activation write dZ over dA and returns
        dA_prev in a buffer reused by the next such call (the network's own
        training pass does both; dA is then a scratch array).
        """
        act = self.activation
        if act is None:
            dZ = dA
        elif overwrite_dA and act.backward_out:
            dZ = act.backward(dA, self.A, out=dA)  # dA is not needed afterwards
        else:
            dZ = act.backward(dA, self.A)
        np.matmul(dZ, self.A_prev.T, out=self.dW)  # (n_l, m) @ (m, n_{l-1})
        if l2_scale:
            self.dW += l2_scale * self.W  # d/dW of (l2 / 2m) ||W||^2 = (l2 / m) W
        # db = dZ @ ones(m): a BLAS matrix-vector product, ~3x faster than np.sum(axis=1)
        m = dZ.shape[1]
        np.matmul(dZ, self._ones(m), out=self._db_col)  # (n_l,)
        if not self.need_dA_prev:
            return None
        W = self.W
        n_out, n_in = W.shape
        if self.sample_major:  # dA_prev in A_prev's memory order: dA_prev.T = dZ.T @ W, (m, n_{l-1})
            out = self._buffer("dA_prevT", m, n_in, overwrite_dA)
            if n_out == 1:  # (m, 1) * (1, n_{l-1}): an outer product, cheaper as a broadcast than a GEMM
                return np.multiply(dZ.T, W, out=out).T
            return np.matmul(dZ.T, W, out=out).T
        out = self._buffer("dA_prev", n_in, m, overwrite_dA)
        if n_out == 1:  # (n_{l-1}, 1) * (1, m): an outer product, cheaper as a broadcast than a GEMM
            return np.multiply(W.T, dZ, out=out)
        return np.matmul(W.T, dZ, out=out)  # (n_{l-1}, m)

    def _buffer(self, name, n, m, reuse):
        """A (n, m) array of the layer's dtype: a kept one when ``reuse``, else None
        (then the ufunc allocates a fresh result)."""
        if not reuse:
            return None
        buf = self._buffers.get(name)
        if buf is None or buf.shape != (n, m):
            buf = self._buffers[name] = np.empty((n, m), dtype=self.W.dtype)
        return buf

    def _ones(self, m):
        ones = self._ones_m
        if ones is None or ones.shape[0] != m:
            ones = self._ones_m = np.ones(m, dtype=self.W.dtype)
        return ones


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
