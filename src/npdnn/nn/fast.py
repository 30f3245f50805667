"""The fast path of the training pass: :class:`FastDense`, a :class:`~npdnn.nn.layers.Dense`
that computes the same equations with speed tricks the textbook layer leaves out.

Each trick, with the gain measured when it was introduced (OpenBLAS, 2 cores):

- Reused buffers (``reuse=True``): Z/A and dA_prev are written into arrays kept
  across batches of one size, so a training step allocates almost nothing.
- Sample-major GEMMs: a shuffled batch arrives as ``A0 = Xb.T`` with ``Xb`` C-ordered,
  so A0 is F-ordered. Computing ``Z.T = A_prev.T @ W.T`` into an (m, n_l) C array keeps
  every array of the pass in one memory order (no strided element-wise work) and lets
  BLAS stream X row by row: 1.8x on layer 1 of benchmark D. It pays for narrow layers
  (n_l <= m: A, B, D) and costs ~3% on wide ones (C), hence the condition.
- ``db = dZ @ ones(m)``: a BLAS matrix-vector product, ~3x faster than ``dZ.sum(axis=1)``.
- ``dA_prev`` of a one-unit layer as an outer product (a broadcast multiply, not a GEMM).
- ``overwrite_dA=True``: the activation's backward writes dZ over dA (a scratch array).
- ReLU against a zero array of Z's shape and memory order in the training pass (``reuse=True``,
  Z up to :data:`_ZEROS_FULL_MAX` values; prediction and larger Z: a zero vector along Z's
  contiguous axis, so prediction's memory stays bounded by its chunks): NumPy's ``maximum`` against a
  scalar takes a non-SIMD loop, against a broadcast vector the SIMD one but one short inner
  loop per row, against a same-layout array one flat SIMD loop. (256, 64) float32, one
  thread, min of 15 interleaved rounds at load ~7: scalar 8.8 us, row 5.5 us, full 2.5 us;
  (256, 256): 32.1, 13.6, 8.3 us (issue 29).
- ReLU's backward into a kept boolean mask: ``dZ = dA * (A > 0)`` with ``A > 0`` written
  into a buffer instead of a fresh array; the same products, so bit-identical. (256, 256):
  44.4 -> 23.6 us, (512, 1024): 185 -> 169 us; equal below (issue 29).

``tests/test_fast_path.py`` pins FastDense to Dense (forward, backward, a few
training steps) for every activation and memory layout.

Owns: FastDense. Imports: NumPy, :mod:`npdnn.nn.layers` and :mod:`npdnn.nn.activations` only.
"""

from __future__ import annotations

import numpy as np

from .activations import relu, relu_backward
from .layers import Dense

_ZEROS_MAX = 1 << 16  # longest zero vector kept for relu; longer axes compare with a scalar
_ZEROS_FULL_MAX = 1 << 19  # largest Z (values) that relu compares with a whole zero array of its layout


class FastDense(Dense):
    """A :class:`Dense` for the training loop: same results, fewer passes and allocations."""

    def __init__(self, index, W, b, dW, db, activation):
        super().__init__(index, W, b, dW, db, activation)
        self.sample_major = False  # set by forward: A_prev (and so Z, A, dZ) stored (m, n) row-major
        self._db_col = db[:, 0]  # db as an (n_l,) view: the output of db = dZ @ ones
        self._ones_m = None  # ones(m) for db = dZ @ ones, kept while m repeats
        self._zeros = None  # read-only zero vector for relu (see _zeros_like)
        self._zeros_view = None  # ((shape, F order), zero array of that layout): relu's, a view of _zeros
        self._mask = None  # ((shape, F order), bool array): A > 0 of relu's backward, kept while they repeat
        self._buffers = {}  # Z and dA_prev arrays reused across batches of one size (reuse=True)

    def forward(self, A_prev, training=False, reuse=False):
        """As :meth:`Dense.forward`; ``reuse=True`` writes Z and A into a buffer kept by
        the layer and overwritten by the next such call (the training pass, which
        consumes A before that); a caller that keeps the result must leave it False."""
        W = self.W
        n_out, n_in = W.shape
        if A_prev.shape[0] != n_in:
            self._check_input(A_prev)  # raises, naming the shapes
        m = A_prev.shape[1]
        flags = A_prev.flags
        # A local first: the attribute is what backward reads, the branch must not see another thread's
        sample_major = self.sample_major = n_out <= m and flags.f_contiguous and not flags.c_contiguous
        if sample_major:
            Z = np.matmul(A_prev.T, W.T, out=self._buffer("ZT", m, n_out, reuse)).T  # (m, n_l).T
        else:
            Z = np.matmul(W, A_prev, out=self._buffer("Z", n_out, m, reuse))  # (n_l, n_{l-1}) @ (n_{l-1}, m)
        Z += self.b  # b (n_l, 1) broadcasts over the m columns, in place
        act = self.activation
        if act is None:
            A = Z
        elif act.forward is relu:  # the built-in relu only: a custom Activation may reuse the name
            # training pass: a whole zero array as large as the Z buffer it keeps anyway; prediction's
            # chunks (reuse=False) keep the vector, so their memory stays what chunk_rows sized
            zeros = self._zeros_like(Z) if reuse else self._zeros_along_contiguous_axis(Z)
            A = np.maximum(Z, zeros, out=Z)
        else:
            A = act.forward(Z, out=Z)
        self.A_prev, self.A = A_prev, A
        return A

    def backward(self, dA, l2_scale=0.0, overwrite_dA=False):
        """As :meth:`Dense.backward`; ``overwrite_dA=True`` lets the activation write dZ
        over dA and returns dA_prev in a buffer reused by the next such call (the
        network's training pass does both; dA is then a scratch array)."""
        act = self.activation
        if act is None:
            dZ = dA
        elif overwrite_dA and act.backward is relu_backward:  # dZ = dA * (A > 0), the mask in a kept buffer
            dZ = np.multiply(dA, np.greater(self.A, 0, out=self._mask_like(self.A)), out=dA)
        elif overwrite_dA and act.backward_out:
            dZ = act.backward(dA, self.A, out=dA)  # dA is not needed afterwards
        else:
            dZ = act.backward(dA, self.A)
        np.matmul(dZ, self.A_prev.T, out=self.dW)  # (n_l, m) @ (m, n_{l-1})
        if l2_scale:
            self.dW += l2_scale * self.W
        m = dZ.shape[1]
        np.matmul(dZ, self._ones(m), out=self._db_col)  # (n_l,)
        if not self.need_dA_prev:
            return None
        W = self.W
        n_out, n_in = W.shape
        if self.sample_major:  # dA_prev in A_prev's memory order: dA_prev.T = dZ.T @ W, (m, n_{l-1})
            out = self._buffer("dA_prevT", m, n_in, overwrite_dA)
            if n_out == 1:  # (m, 1) * (1, n_{l-1}): an outer product
                return np.multiply(dZ.T, W, out=out).T
            return np.matmul(dZ.T, W, out=out).T
        out = self._buffer("dA_prev", n_in, m, overwrite_dA)
        if n_out == 1:  # (n_{l-1}, 1) * (1, m): an outer product
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

    def _mask_like(self, A):
        """A boolean array of A's shape and memory order, kept while they repeat."""
        key = (A.shape, _f_order(A))
        if self._mask is None or self._mask[0] != key:
            self._mask = (key, np.empty(A.shape, dtype=bool, order="F" if key[1] else "C"))
        return self._mask[1]

    def _zeros_like(self, Z):
        """A read-only zero array of Z's shape and memory order, for ``maximum(Z, 0)`` in one flat
        SIMD loop; a zero row or column along Z's contiguous axis when Z is larger than
        :data:`_ZEROS_FULL_MAX` values or neither C- nor F-contiguous."""
        key = (Z.shape, _f_order(Z))
        if self._zeros_view is not None and self._zeros_view[0] == key:
            return self._zeros_view[1]
        flags = Z.flags
        if Z.size > _ZEROS_FULL_MAX or not (flags.c_contiguous or flags.f_contiguous):
            return self._zeros_along_contiguous_axis(Z)
        zeros = self._zeros_of_length(Z.size, Z.dtype)[: Z.size].reshape(Z.shape, order="F" if key[1] else "C")
        self._zeros_view = (key, zeros)
        return zeros

    def _zeros_of_length(self, n, dtype):
        zeros = self._zeros
        if zeros is None or zeros.shape[0] < n:
            zeros = self._zeros = np.zeros(max(n, 256), dtype=dtype)
            zeros.flags.writeable = False
        return zeros

    def _zeros_along_contiguous_axis(self, Z):
        """A zero that broadcasts against ``Z`` (n, m): a read-only (1, m) row when Z is
        C-ordered, an (n, 1) column when F-ordered, else the scalar 0."""
        flags = Z.flags
        c_order = flags.c_contiguous
        if c_order or flags.f_contiguous:
            n = Z.shape[1] if c_order else Z.shape[0]
            if n <= _ZEROS_MAX:
                zeros = self._zeros_of_length(n, Z.dtype)
                return zeros[None, :n] if c_order else zeros[:n, None]
        return Z.dtype.type(0)


def _f_order(a):
    """True when ``a`` is F-contiguous and not C-contiguous (its layout key; a row or column is both)."""
    flags = a.flags
    return flags.f_contiguous and not flags.c_contiguous
