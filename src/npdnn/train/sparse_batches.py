"""Mini-batches of a sparse X: each batch's rows gathered from the CSR arrays and made
dense straight into one reused (b, n_x) buffer; X itself is never densified whole.

The batches are those :class:`npdnn.train.batching.Batches` gives for the dense form of
X: the same epoch order (:func:`~npdnn.train.batching.epoch_order`, drawn from the same
generator with the same m, b, n_x and dtype), the same rows in each batch, the same
weights and shares, and each batch's dense block holds the same bytes
(:class:`npdnn.nn.sparse_rows.SparseRows`). So a fit on sparse X is bit-identical to the
fit on ``X.toarray()``, by construction, on every machine.

Memory: the sparse X plus the buffer (b, n_x) and the batch's index arrays. A full batch
(``batch_size=None``, ``Network.fit``'s default) is the one exception: its one batch is
every training row, made dense once and kept (as a dense X's would be gathered once).

Owns: SparseBatches. Imports: NumPy, batching and the losses.
"""

from __future__ import annotations

import numpy as np

from ..nn.losses import normalized_weights
from .batching import epoch_order, shuffle_plan


class SparseBatches:
    """The mini-batches of one training run on a sparse X: the parameters of
    :class:`npdnn.train.batching.Batches`, with ``X`` a
    :class:`~npdnn.nn.sparse_rows.SparseRows` (m_all, n_x) of the network's dtype."""

    def __init__(self, X, Y, w, batch_size, shuffle=True, rows=None):
        self.X, self.Y, self.w, self.rows = X, Y, w, rows
        self.m = m = Y.shape[1]
        self.b = b = m if batch_size is None else min(int(batch_size), m)
        self.shuffle = shuffle and b < m  # as Batches: one full batch is never reordered
        self.w_total = None if w is None else float(w.sum())
        self.bounds, self.block = shuffle_plan(m, b, X.shape[1], X.dtype)
        self.Xbuf = np.empty((b, X.shape[1]), dtype=X.dtype)  # C-ordered: A0 = Xbuf.T is F-ordered, as Batches'
        self.Ybuf = np.empty((Y.shape[0], b), dtype=Y.dtype)
        self.fixed = self._rows_at(0, m, None, self.Xbuf) if b == m else None  # the full batch, made dense once

    def _rows_at(self, start, end, order, out):
        """Positions ``start:end`` of the epoch (in ``order``, or in X's order when None)."""
        if order is not None:
            local = order[start:end]
            return self.X.take(local if self.rows is None else self.rows[local], out=out)
        if self.rows is None:
            return self.X.take_span(start, end, out=out)
        return self.X.take(self.rows[start:end], out=out)

    def epoch(self, rng):
        """Yield ``(A0, Yb, weights, share, start)`` for one pass over the training rows,
        as :meth:`npdnn.train.batching.Batches.epoch` does."""
        m, b, Y, w = self.m, self.b, self.Y, self.w
        order = epoch_order(self.bounds, self.block, rng, self.rows) if self.shuffle else None
        for start in range(0, m, b):
            end = min(start + b, m)
            k = end - start
            if self.fixed is not None:
                Xb, Yb, wb = self.fixed, Y, w
            elif order is None:
                Xb, Yb = self._rows_at(start, end, None, self.Xbuf[:k]), Y[:, start:end]
                wb = None if w is None else w[start:end]
            else:
                local = order[start:end]
                Xb = self._rows_at(start, end, order, self.Xbuf[:k])
                Yb = Y.take(local, axis=1, out=self.Ybuf[:, :k], mode="clip")
                wb = None if w is None else w[local]
            if wb is None:
                weights, share = 1.0 / k, k / m
            else:
                wb_sum = wb.sum()
                share = wb_sum / self.w_total
                weights = normalized_weights(wb, self.X.dtype) if wb_sum > 0 else 0.0
            yield Xb.T, Yb, weights, share, start  # A0 = Xb.T (n_x, k), a view
