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

The epoch's order (:func:`epoch_order`): a uniform permutation of the training rows when
they fit :data:`SHUFFLE_SPAN_BYTES` (64 MiB); a larger set is shuffled in spans of at most
that size (whole batches, spread evenly: :func:`shuffle_plan`), each span a random set of
blocks of 64 bytes of rows (16 float32 rows, 8 float64), its rows then shuffled uniformly.
Every row once per epoch, each batch a uniform draw from its span; the order depends on m,
the batch size, n_x and the dtype, never on the layout. Why: an F-ordered X (what a
DataFrame holds) keeps each column contiguous, so a row is n_x values far apart; a uniform
order over m rows, gathered through a buffer of 64 MiB, reads a whole cache line per value
once the buffer holds a thin share of the rows, and its cost grows with m (F order 1.5-1.9x
the C-ordered epoch of [784, 256, 128, 1] at 10^5-10^6 rows). With 64-byte blocks each span
reads whole cache lines, about once per epoch: see _gather_blocks. One epoch of [784, 256,
128, 1], batch 64, Adam, one BLAS thread, F order / C order (median of 6, load ~1): 1.12x at
300,000 rows, 1.10x at 10^6 (1.26x and 1.46x with the uniform order; benchmarks/layouts.py
--net B). The price: two rows of one block always share a span, so a batch of b holds
b(b-1)/2 (block-1)/(span-1) pairs of neighbouring rows of X (1.4 for B's span of 21,376
rows; 0.03 for a uniform order over 10^6 rows), and on data sorted by label a batch's label
count varies ~(b-1)(block-1)/(span-1) more (4.4% for B, 0.3% for [50, 64, 32, 1]):
benchmarks/shuffle_quality.py found no measurable change in what is learned (loss, test
accuracy) with spans of m/47 on label-sorted data, a variance factor of 1.22.

An F-ordered X is gathered a span at a time: the 64-byte blocks that hold the span's rows,
in increasing order (each column read front to back), transposed through a scratch that
stays in cache (``TRANSPOSE_BLOCK_BYTES``) into a C-ordered buffer U; each batch then
takes its rows from U in the epoch's order, as from a C-ordered X. U holds all the
training rows, copied once per fit, when they fit the budget. U has room for the held-out
rows that share the span's blocks (a validation split of up to half of X: U up to twice
the budget); where the blocks still do not fit (more held out, or a budget below the
span), a window's rows are gathered one by one, in increasing order (a byte mask of the
rows, no sort).

Without shuffling, C-ordered X is cut into views; other layouts are gathered the same way
(once for good when all the training rows fit the buffer).

Owns: split_indices, shuffle_plan, epoch_order, random_reads, Batches. Imports: NumPy, the standard
library and :mod:`npdnn.losses` only.
"""

from __future__ import annotations

import contextlib
import math
import mmap
from itertools import pairwise

import numpy as np

from ..nn.losses import normalized_weights

# Largest training set (bytes) gathered whole once per epoch instead of batch by batch.
WHOLE_EPOCH_GATHER_BYTES = 1 << 26
# Rows of an F-ordered X gathered and transposed at a time: a scratch that stays in L2 cache.
# A window of 335,488 sorted rows of a 400,000 x 50 float32 X: 25 ms in blocks of 256 KiB (22 ms
# of 1 MiB, 30 ms of 16 KiB), the same rows in random order 145 ms, a C-ordered copy of X 24 ms.
TRANSPOSE_BLOCK_BYTES = 1 << 18
# A training set larger than this (bytes of X) is shuffled a span of this size at a time (epoch_order).
SHUFFLE_SPAN_BYTES = 1 << 26
# Rows that stay together above the span: one 64-byte cache line of each column of an F-ordered X.
ROW_BLOCK_BYTES = 64


def split_indices(n, fraction, rng):
    """``(train, validation)``: sorted row indices with ``ceil(fraction * n)`` held out,
    drawn from ``rng``; disjoint, and together every row once."""
    n_val = math.ceil(fraction * n)
    if n_val < 1 or n - n_val < 1:
        raise ValueError(f"validation_fraction={fraction} of {n} samples leaves an empty training or validation set")
    perm = rng.permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def shuffle_plan(m, b, n_x, dtype):
    """``(bounds, block)`` of :func:`epoch_order` for m rows of n_x values of ``dtype`` in
    batches of b: ``bounds = (0, ..., m)``, the spans' first positions and m; ``(0, m)``
    when the rows fit :data:`SHUFFLE_SPAN_BYTES`. Spans hold whole batches, as many as
    fit the budget, spread evenly: their sizes differ by one batch at most (no short last
    span, whose few blocks would make its batches nearly pure on sorted data)."""
    itemsize = np.dtype(dtype).itemsize
    block = max(1, ROW_BLOCK_BYTES // itemsize)
    span_rows = SHUFFLE_SPAN_BYTES // max(1, n_x * itemsize)
    if m <= span_rows or b >= m:
        return (0, m), block
    batches = -(-m // b)
    n_spans = -(-batches // max(1, span_rows // b))
    q, r = divmod(batches, n_spans)  # r spans of q + 1 batches, then q batches each
    sizes = np.array([0] + [q + 1] * r + [q] * (n_spans - r))
    return tuple(int(x) for x in np.minimum(np.cumsum(sizes) * b, m)), block


def epoch_order(bounds, block, rng, rows=None):
    """(m,) the order of the m = ``bounds[-1]`` training rows in one shuffled epoch, drawn
    from ``rng``.

    One span (``bounds = (0, m)``): ``rng.permutation(m)``. Else X's rows are taken in
    blocks of ``block`` (rows ``[k block, (k + 1) block)`` of X, those of them in ``rows``:
    the sorted (m,) training rows, None for all), the blocks put in a random order, and
    positions ``bounds[i]:bounds[i + 1]`` of that sequence shuffled, span by span. The
    draws: one permutation of the blocks, then one ``rng.shuffle`` per span.
    """
    m = bounds[-1]
    if len(bounds) <= 2:
        return rng.permutation(m)
    if rows is None:  # every block full but the last: no index arrays beyond the order itself
        index = np.int32 if m < 2**31 - block else np.intp  # half the memory of rng.permutation's int64
        blocks = rng.permutation(-(-m // block)).astype(index)
        order = (blocks[:, None] * index(block) + np.arange(block, dtype=index)).ravel()
        del blocks
        if order.shape[0] > m:
            order = order[order < m]
    else:
        key = rows // block
        starts = np.flatnonzero(np.diff(key, prepend=-1))  # the first training row of each block
        del key
        lens = np.diff(starts, append=m)
        g = rng.permutation(starts.shape[0])
        lens = lens[g]
        order = np.repeat(starts[g] - (np.cumsum(lens) - lens), lens)  # (m,) block's start - its position
        order += np.arange(m)
    for lo, hi in pairwise(bounds):
        rng.shuffle(order[lo:hi])
    return order


@contextlib.contextmanager
def random_reads(X):
    """While the block runs, tell the kernel that ``X``'s file mapping (a memory-mapped
    ``.npy``; anything else: nothing) is read at random: no read-around of the pages
    near each one touched (``MADV_RANDOM``), then ``MADV_NORMAL`` again.

    Why: shuffled batches of a C-ordered memory map fault in one row at a time; the
    kernel's read-around then fills the page cache with ~30 neighbouring pages the
    epoch will not read yet and evicts the ones it will. One shuffled epoch of a 384 MB
    ``.npy`` in a process allowed 180 MB (tests/test_out_of_core.py's case): over 300 s
    with read-around, 14 s without (47 s for a uniform order instead of spans).
    """
    mapping = X
    while mapping is not None and not isinstance(mapping, mmap.mmap):
        mapping = getattr(mapping, "base", None)
    advise = mapping is not None and hasattr(mapping, "madvise") and hasattr(mmap, "MADV_RANDOM")
    if advise:
        mapping.madvise(mmap.MADV_RANDOM)
    try:
        yield
    finally:
        if advise and not mapping.closed:
            mapping.madvise(mmap.MADV_NORMAL)


def _ranked(ids, mask, inv):
    """``(present, rank)``: the distinct values of ``ids`` in increasing order, and the
    position of each of ``ids`` in it (``present[rank] == ids``), using ``mask`` (bool) and
    ``inv`` (integer) scratch indexed by value: O(len(ids)) plus one scan of the mask, no
    sort. The mask is left all False."""
    mask[ids] = True
    present = np.flatnonzero(mask)
    mask[ids] = False
    inv[present] = np.arange(present.shape[0], dtype=inv.dtype)
    return present, inv[ids]


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
        self.bounds, self.block = shuffle_plan(m, b, n_x, X.dtype)
        # Rows per window: all of them when they fit the budget. Else one batch, gathered right before
        # the GEMMs read it, while it is in cache (a 64 MB window costs B 10% per epoch) -- except for
        # an F-ordered X: whole batches up to the budget, so that gathering a span's blocks in order pays.
        fit_rows = WHOLE_EPOCH_GATHER_BYTES // max(1, n_x * X.dtype.itemsize)
        if m <= fit_rows or b == m:
            self.window = m
        elif self.by_columns:
            self.window = max(b, fit_rows // b * b)
        else:
            self.window = b
        self.views = rows is None and X.flags.c_contiguous and not self.shuffle
        # Windows' first positions: the spans, when a window holds the largest (F order, shuffled in spans)
        spans = self.by_columns and self.shuffle and len(self.bounds) > 2
        if spans and self.window >= max(hi - lo for lo, hi in pairwise(self.bounds)):
            self.starts = self.bounds
        else:
            self.starts = (*range(0, m, self.window), m)
        # F order, shuffled in spans: room for the span's blocks, 2 partial ones at its ends and the
        # validation rows that share them (+1%: random subsets of blocks vary); more go row by row.
        extra = 0
        if self.by_columns and self.shuffle and self.window < m:
            held_out = 1.0 if rows is None else X.shape[0] / m
            extra = min(self.window, math.ceil(self.window * (held_out * 1.01 - 1.0)) + 2 * self.block)
        self.Xbuf = None if self.views else np.empty((self.window + extra, n_x), dtype=X.dtype)
        # F order, shuffled: each batch is gathered from the window's C-ordered copy into Bbuf.
        sorted_batches = self.by_columns and self.shuffle
        self.Bbuf = np.empty((b, n_x), dtype=X.dtype) if sorted_batches else None
        self.Ybuf = np.empty((Y.shape[0], b if sorted_batches else self.window), dtype=Y.dtype)
        self._T = None  # flat scratch for gathering an F-ordered X in blocks of rows (see _gather)
        self._mask = self._inv = None  # (m_all,) scratch of _sorted_rows
        self._bmask = self._binv = None  # (m_all / block,) scratch of _gather_blocks
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
        return _ranked(idx, self._mask, self._inv)

    def _gather_blocks(self, idx):
        """``(U, pos)``: the blocks of ``block`` rows of the F-ordered X that hold rows ``idx``,
        in increasing order, C-ordered in Xbuf, and the row of U of each of ``idx``
        (``U[pos] == X[idx]``); ``(None, None)`` when they do not fit Xbuf.

        Speed trick: a block is 64 contiguous bytes of each column, so a column's share of a
        span's blocks is copied as 64-byte items (a void view), front to back: 33 ms for a span of
        21,376 rows of 784 float32 columns, where gathering the same rows value by value takes 89 ms.
        """
        X, blk = self.X, self.block
        m_all, n_x = X.shape
        full = m_all // blk  # blocks of X; rows [full * blk, m_all) are a short one
        if self._bmask is None:
            self._bmask = np.zeros(full + 1, dtype=bool)
            self._binv = np.empty(full + 1, dtype=np.int32 if full < 2**31 else np.intp)
        ids = idx // blk
        cover, rank = _ranked(ids, self._bmask, self._binv)
        if cover.shape[0] * blk > self.Xbuf.shape[0]:
            return None, None
        pos = rank * blk + (idx - ids * blk)
        U = self.Xbuf[: cover.shape[0] * blk]
        short = cover.shape[0] > 0 and cover[-1] == full
        ids_full = cover[:-1] if short else cover
        # (full, n_x) items of blk values: item [k, j] is rows [k blk, (k + 1) blk) of column j.
        items = X.T[:, : full * blk].view(np.dtype((np.void, blk * X.dtype.itemsize))).T
        group = max(1, TRANSPOSE_BLOCK_BYTES // (n_x * blk * X.dtype.itemsize))
        for start in range(0, ids_full.shape[0], group):
            end = min(start + group, ids_full.shape[0])
            T = items[ids_full[start:end]].view(X.dtype).reshape(end - start, n_x, blk)  # fancy: reads only these
            np.copyto(U[start * blk : end * blk].reshape(end - start, blk, n_x), T.transpose(0, 2, 1))
        if short:
            np.copyto(U[ids_full.shape[0] * blk : ids_full.shape[0] * blk + m_all - full * blk], X[full * blk :])
        return U, pos

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
            rows = self._rows(local)
            U, pos = self._gather_blocks(rows)
            if U is None:
                sorted_idx, pos = self._sorted_rows(rows)
                U = self._gather(sorted_idx, self.Xbuf[: local.shape[0]])
        for start in range(0, local.shape[0], self.b):
            batch = local[start : start + self.b]
            k = batch.shape[0]
            Xb = U.take(pos[start : start + k], axis=0, out=self.Bbuf[:k], mode="clip")
            Yb = self.Y.take(batch, axis=1, out=self.Ybuf[:, :k], mode="clip")
            yield Xb, Yb, None if self.w is None else self.w[batch]

    def _windows(self, order):
        """``(Xw, Yw, ww)`` for consecutive windows of the epoch: rows in batch order."""
        Y, w = self.Y, self.w
        if order is None and (self.views or self.fixed is not None):
            yield (self.X if self.views else self.fixed), Y, w
            return
        for lo, hi in pairwise(self.starts):
            local = order[lo:hi] if order is not None else np.arange(lo, hi)
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
        batch's first position in the epoch. The order (:func:`epoch_order`) is drawn from
        ``rng`` once per epoch when shuffling.
        """
        m, b = self.m, self.b
        order = epoch_order(self.bounds, self.block, rng, self.rows) if self.shuffle else None
        offset = 0
        # Rows in random order from a C-ordered X (an F-ordered one is read a column run at a time).
        with random_reads(self.X if order is not None and not self.by_columns else None):
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
