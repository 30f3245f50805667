"""Mini-batches of the training rows, for any memory layout of X, never copying X.

Every batch reaches the network in one layout, ``A0 = Xb.T`` with ``Xb`` a C-ordered
(b, n_x) block (so A0 is F-ordered, the fast path's sample-major case), whatever
layout X has: C or F order, a DataFrame's array, a memory map, a strided view. The
same seed then gives the same batches, the same arithmetic and bit-identical
parameters for every layout.

How rows are gathered:

- X (the training rows) of up to :data:`WHOLE_EPOCH_GATHER_BYTES`: gathered once per
  epoch, in the shuffled order, into a reused buffer; batches are consecutive views of
  it (fewer, larger gathers: 7% faster per epoch on benchmark workload A).
- Larger X: one batch at a time into a reused (b, n_x) buffer, so memory stays at X
  plus O(batch x width). ``take(mode="clip")`` skips the bounds check (the indices are
  a permutation): 25-35% faster on B and C. ``np.take`` copies a non-C-contiguous
  source whole before gathering, so an F-ordered X is gathered through its C-ordered
  transpose, and any other layout by fancy indexing, which reads only the rows asked for.
- Without shuffling, C-ordered X is cut into views; other layouts are copied a batch at
  a time, or once for good when all the training rows fit the buffer.

Owns: split_indices, Batches. Imports: NumPy and :mod:`npdnn.losses` only.
"""

from __future__ import annotations

import math

import numpy as np

from .losses import normalized_weights

# Largest training set (bytes) gathered whole once per epoch instead of batch by batch.
WHOLE_EPOCH_GATHER_BYTES = 1 << 26


def split_indices(n, fraction, rng):
    """``(train, validation)``: sorted row indices with ``ceil(fraction * n)`` held out,
    drawn from ``rng``; disjoint, and together every row once."""
    n_val = math.ceil(fraction * n)
    if n_val < 1 or n - n_val < 1:
        raise ValueError(f"validation_fraction={fraction} of {n} samples leaves an empty training or validation set")
    perm = rng.permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


class Batches:
    """The mini-batches of one training run.

    Parameters
    ----------
    X : (m_all, n_x) array of the network's dtype, any memory layout (not copied)
    Y : (n_L, m) targets of the training rows, in the order of ``rows``
    w : (m,) sample weights of the training rows, or None
    batch_size : int or None (the full batch)
    shuffle : bool
    rows : sorted (m,) indices of the training rows in X, or None for all of X
    """

    def __init__(self, X, Y, w, batch_size, shuffle=True, rows=None):
        self.X, self.Y, self.w, self.rows = X, Y, w, rows
        self.m = m = Y.shape[1]
        self.b = m if batch_size is None else min(int(batch_size), m)
        self.shuffle = shuffle and self.b < m  # one full batch: a reordered sum would change only the rounding
        self.w_total = None if w is None else float(w.sum())
        n_x = X.shape[1]
        self.whole_epoch = m * n_x * X.dtype.itemsize <= WHOLE_EPOCH_GATHER_BYTES
        self.views = rows is None and X.flags.c_contiguous and not self.shuffle
        self.fixed = None  # without shuffling: the training rows, gathered once (if they fit)
        self._T = None  # (n_x, b) scratch for gathering an F-ordered X
        if self.views:
            self.Xbuf = None
        elif self.whole_epoch or self.b == m:
            self.Xbuf = np.empty((m, n_x), dtype=X.dtype)
            if not self.shuffle:
                self.fixed = self._gather(self._all_rows(), self.Xbuf)
        else:
            self.Xbuf = np.empty((self.b, n_x), dtype=X.dtype)
        self.Ybuf = np.empty_like(Y) if self.shuffle and self.whole_epoch else None

    def _all_rows(self):
        return np.arange(self.m) if self.rows is None else self.rows

    def _gather(self, idx, out):
        """Rows ``idx`` of X into the C-ordered ``out`` (len(idx), n_x), reading only those rows."""
        X = self.X
        if X.flags.c_contiguous:
            return X.take(idx, axis=0, out=out, mode="clip")
        if X.flags.f_contiguous:  # X.T is C-ordered: gather its columns, then transpose into out
            n_x, k = X.shape[1], idx.shape[0]
            if self._T is None or self._T.shape[1] < k:
                self._T = np.empty((n_x, k), dtype=X.dtype)
            T = X.T.take(idx, axis=1, out=self._T[:, :k], mode="clip")
            np.copyto(out, T.T)
            return out
        np.copyto(out, X[idx])  # strided: advanced indexing reads only these rows
        return out

    def epoch(self, rng):
        """Yield ``(A0, Yb, weights, share, start)`` for one pass over the training rows.

        ``A0`` (n_x, b) and ``Yb`` (n_L, b) are the batch; ``weights`` is ``1/b`` or the
        batch's sample weights normalized to sum 1 (a (1, b) array; 0.0 when they sum
        to 0); ``share`` is the batch's part of the epoch (b/m, or its share of the total
        weight), so that the epoch loss is ``sum(share * J_batch)``. The permutation is
        drawn from ``rng`` once per epoch when shuffling.
        """
        m, b, Y, w = self.m, self.b, self.Y, self.w
        order = rng.permutation(m) if self.shuffle else None
        Xe = Ye = we = None  # the epoch's rows in batch order, when held whole
        if order is None:
            Ye, we = Y, w
            if self.views:
                Xe = self.X
            elif self.fixed is not None:
                Xe = self.fixed
        elif self.whole_epoch:
            rows = order if self.rows is None else self.rows[order]
            Xe = self._gather(rows, self.Xbuf)
            Ye = Y.take(order, axis=1, out=self.Ybuf, mode="clip")
            we = None if w is None else w[order]
        for start in range(0, m, b):
            end = min(start + b, m)
            if Xe is not None:
                A0 = Xe[start:end].T  # (n_x, b), a view
                Yb = Ye[:, start:end]
                wb = None if we is None else we[start:end]
            else:
                local = np.arange(start, end) if order is None else order[start:end]
                rows = local if self.rows is None else self.rows[local]
                A0 = self._gather(rows, self.Xbuf[: end - start]).T
                Yb = Y[:, local]
                wb = None if w is None else w[local]
            if wb is None:
                weights, share = 1.0 / (end - start), (end - start) / m
            else:
                wb_sum = wb.sum()
                share = wb_sum / self.w_total
                weights = normalized_weights(wb, self.X.dtype) if wb_sum > 0 else 0.0
            yield A0, Yb, weights, share, start
