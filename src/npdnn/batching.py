"""Mini-batches of the training rows, for any memory layout of X, never copying X.

Every batch reaches the network in one layout, ``A0 = Xb.T`` with ``Xb`` a C-ordered
(b, n_x) block (so A0 is F-ordered, the fast path's sample-major case), whatever
layout X has: C or F order, a DataFrame's array, a memory map, a strided view. The
same seed then gives the same batches, the same arithmetic and bit-identical
parameters for every layout.

How rows are gathered: a window of consecutive batches of the epoch's order at a
time, into a reused buffer of at most :data:`WHOLE_EPOCH_GATHER_BYTES`; batches are
then consecutive views of it. A training set that fits is gathered whole once per epoch
(fewer, larger gathers: 7% faster per epoch on benchmark workload A); a larger one
batch by batch, so memory stays at X plus a constant. ``take(mode="clip")`` skips the
bounds check (the indices are a permutation): 25-35% faster on B and C. ``np.take``
copies a non-C-contiguous source whole before gathering, so an F-ordered X is gathered
through its C-ordered transpose, and any other layout by fancy indexing, which reads
only the rows asked for.

An F-ordered X (what a DataFrame holds) is the one layout whose rows are expensive to
gather: in the epoch's random order every value is a cache miss (a column is read at
random). So its rows are copied in increasing row order, which reads each column front
to back, a block at a time through a scratch that stays in cache (``TRANSPOSE_BLOCK_BYTES``)
and is transposed into a C-ordered buffer U; each batch then takes its rows from U in
the epoch's order, as from a C-ordered X. U holds all the training rows, copied once per
fit, when they fit the budget; else one window of whole batches of the epoch's order,
copied per window (its rows put in order with a mask of one byte per row of X, no sort).
One epoch of ``[50, 64, 32, 1]`` on 400,000 x 50 float32 (80 MB, above the budget), median
of 15 repeats on the loaded shared machine: F order 1.12x the C-ordered time, a DataFrame
1.09x, against 1.34x and 1.37x for the gather in random order it replaced, and 1.39x and
1.49x for these same blocks in random order (``benchmarks/layouts.py``; benchmarks/README.md).

Without shuffling, C-ordered X is cut into views; other layouts are gathered the same way
(once for good when all the training rows fit the buffer).

Owns: split_indices, Batches. Imports: NumPy and :mod:`npdnn.losses` only.
"""

from __future__ import annotations

import math

import numpy as np

from .losses import normalized_weights

# Largest training set (bytes) gathered whole once per epoch instead of batch by batch.
WHOLE_EPOCH_GATHER_BYTES = 1 << 26
# Rows of an F-ordered X gathered and transposed at a time: a scratch that stays in L2 cache.
# A window of 335,488 sorted rows of a 400,000 x 50 float32 X: 25 ms in blocks of 256 KiB (22 ms
# of 1 MiB, 30 ms of 16 KiB), the same rows in random order 145 ms, a C-ordered copy of X 24 ms.
TRANSPOSE_BLOCK_BYTES = 1 << 18


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
        self.b = b = m if batch_size is None else min(int(batch_size), m)
        self.shuffle = shuffle and b < m  # one full batch: a reordered sum would change only the rounding
        self.w_total = None if w is None else float(w.sum())
        n_x = X.shape[1]
        # An F-ordered X (what a DataFrame holds) is read by columns: see _sorted_windows.
        self.by_columns = X.flags.f_contiguous and not X.flags.c_contiguous
        # Rows per window: all of them when they fit the budget. Else one batch, gathered right before
        # the GEMMs read it, while it is in cache (a 64 MB window costs B 10% per epoch) -- except for
        # an F-ordered X: whole batches up to the budget, so that sorting a window's rows pays.
        fit_rows = WHOLE_EPOCH_GATHER_BYTES // max(1, n_x * X.dtype.itemsize)
        if m <= fit_rows or b == m:
            self.window = m
        elif self.by_columns:
            self.window = max(b, fit_rows // b * b)
        else:
            self.window = b
        self.views = rows is None and X.flags.c_contiguous and not self.shuffle
        self.Xbuf = None if self.views else np.empty((self.window, n_x), dtype=X.dtype)
        # F order, shuffled: each batch is gathered from the window's C-ordered copy into Bbuf.
        sorted_batches = self.by_columns and self.shuffle
        self.Bbuf = np.empty((b, n_x), dtype=X.dtype) if sorted_batches else None
        self.Ybuf = np.empty((Y.shape[0], b if sorted_batches else self.window), dtype=Y.dtype)
        self._T = None  # flat scratch for gathering an F-ordered X in blocks of rows (see _gather)
        self._mask = self._inv = None  # (m_all,) scratch of _sorted_rows
        self.fixed = None  # the training rows, gathered once when they fit (unshuffled, or F-ordered)
        if not self.views and self.window == m and (not self.shuffle or self.by_columns):
            self.fixed = self._gather(self._rows(np.arange(m)), self.Xbuf)

    def _rows(self, local):
        return local if self.rows is None else self.rows[local]

    def _gather(self, idx, out):
        """Rows ``idx`` of X into the C-ordered ``out`` (len(idx), n_x), reading only those rows."""
        X = self.X
        if X.flags.c_contiguous:
            return X.take(idx, axis=0, out=out, mode="clip")
        if X.flags.f_contiguous:
            # X.T is C-ordered: gather its columns for a block of rows into a small scratch T
            # (n_x, block) that stays in cache, then transpose it into out. In increasing row
            # order (_sorted_windows) each column of X is read front to back.
            n_x, k = X.shape[1], idx.shape[0]
            if self._T is None:
                block = max(1, TRANSPOSE_BLOCK_BYTES // max(1, n_x * X.dtype.itemsize))
                self._T = np.empty(n_x * min(block, self.window), dtype=X.dtype)
            block = self._T.shape[0] // max(1, n_x)
            for start in range(0, k, block):
                end = min(start + block, k)
                T = self._T[: n_x * (end - start)].reshape(n_x, end - start)  # contiguous: take writes in place
                X.T.take(idx[start:end], axis=1, out=T, mode="clip")
                np.copyto(out[start:end], T.T)
            return out
        np.copyto(out, X[idx])  # strided: advanced indexing reads only these rows
        return out

    def _sorted_rows(self, idx):
        """``(sorted_idx, pos)``: ``idx`` (k distinct rows of X) in increasing order, and the
        position of each in it (``sorted_idx[pos] == idx``), in O(k) plus one scan of a
        byte per row of X: no O(k log k) sort per window."""
        m_all = self.X.shape[0]
        if self._mask is None:
            self._mask = np.zeros(m_all, dtype=bool)
            self._inv = np.empty(m_all, dtype=np.int32 if m_all < 2**31 else np.intp)
        self._mask[idx] = True
        sorted_idx = np.flatnonzero(self._mask)
        self._mask[idx] = False
        self._inv[sorted_idx] = np.arange(sorted_idx.shape[0], dtype=self._inv.dtype)
        return sorted_idx, self._inv[idx]

    def _sorted_windows(self, local):
        """``(Xb, Yb, wb)`` for each batch of one shuffled window of an F-ordered X.

        Speed trick: rows of an F-ordered X gathered in the epoch's random order cost one
        cache miss per value (each column is read at random). So the window's rows are
        gathered in increasing row order, which reads every column front to back, into a
        C-ordered copy U (window, n_x); then each batch takes its rows from U in the
        epoch's order, as a C-ordered X would be gathered. The same rows in the same order
        reach the network: the parameters are bit-identical to C order's.
        """
        if self.fixed is not None:  # every training row fits: U holds them all, in X's order
            U, pos = self.fixed, local
        else:
            sorted_idx, pos = self._sorted_rows(self._rows(local))
            U = self._gather(sorted_idx, self.Xbuf[: local.shape[0]])
        for start in range(0, local.shape[0], self.b):
            batch = local[start : start + self.b]
            k = batch.shape[0]
            Xb = U.take(pos[start : start + k], axis=0, out=self.Bbuf[:k], mode="clip")
            Yb = self.Y.take(batch, axis=1, out=self.Ybuf[:, :k], mode="clip")
            yield Xb, Yb, None if self.w is None else self.w[batch]

    def _windows(self, order):
        """``(Xw, Yw, ww)`` for consecutive windows of the epoch: rows in batch order."""
        m, Y, w = self.m, self.Y, self.w
        if order is None and (self.views or self.fixed is not None):
            yield (self.X if self.views else self.fixed), Y, w
            return
        for start in range(0, m, self.window):
            local = (
                order[start : start + self.window]
                if order is not None
                else np.arange(start, min(start + self.window, m))
            )
            if order is not None and self.by_columns:
                yield from self._sorted_windows(local)
                continue
            k = local.shape[0]
            Xw = self._gather(self._rows(local), self.Xbuf[:k])
            Yw = Y.take(local, axis=1, out=self.Ybuf[:, :k], mode="clip")
            yield Xw, Yw, None if w is None else w[local]

    def epoch(self, rng):
        """Yield ``(A0, Yb, weights, share, start)`` for one pass over the training rows.

        ``A0`` (n_x, b) and ``Yb`` (n_L, b) are the batch; ``weights`` is ``1/b`` or the
        batch's sample weights normalized to sum 1 (a (1, b) array; 0.0 when they sum
        to 0); ``share`` is the batch's part of the epoch (b/m, or its share of the total
        weight), so that the epoch loss is ``sum(share * J_batch)``; ``start`` is the
        batch's first position in the epoch. The permutation is drawn from ``rng`` once
        per epoch when shuffling.
        """
        m, b = self.m, self.b
        order = rng.permutation(m) if self.shuffle else None
        offset = 0
        for Xw, Yw, ww in self._windows(order):
            k = Yw.shape[1]
            for start in range(0, k, b):
                end = min(start + b, k)
                A0 = Xw[start:end].T  # (n_x, b), a view
                if ww is None:
                    weights, share = 1.0 / (end - start), (end - start) / m
                else:
                    wb = ww[start:end]
                    wb_sum = wb.sum()
                    share = wb_sum / self.w_total
                    weights = normalized_weights(wb, self.X.dtype) if wb_sum > 0 else 0.0
                yield A0, Yw[:, start:end], weights, share, offset + start
            offset += k
