"""Rows of a sparse X made dense a block at a time: how a scipy sparse matrix trains and
predicts without ever being densified whole.

A sparse X (m, n_x) is held as its CSR arrays: ``data`` (nnz,) the stored values,
``indices`` (nnz,) their columns, ``indptr`` (m + 1,) where each row's run of them starts
(row i is ``data[indptr[i]:indptr[i + 1]]``). Taking rows ``X[idx]`` writes their stored
values into a zeroed C-ordered block (k, n_x) of the network's dtype: the same bytes as
``X.toarray()[idx]`` (a stored value cast to the dtype is the value toarray() casts), so
the same batches reach the network as from the dense X, and a fit on sparse X is
bit-identical to the fit on its dense form, by construction.

Memory: the sparse X plus one block (a mini-batch, or a chunk of prediction) and index
arrays of the block's nonzeros. Time per block: filling its (k, n_x) zeros, about what
copying a dense block costs, plus O(nonzeros of the block).

scipy is not imported (the core is NumPy-only): a sparse matrix is recognized by its
attributes (:func:`npdnn.checks.is_sparse`) and read through ``data``, ``indices`` and
``indptr`` once it is CSR (:func:`npdnn.checks.check_sparse_X`: CSC and the other
formats are converted with ``tocsr()`` once, a copy of the nonzeros, not a densification).
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import check_sparse_X, is_sparse


class SparseRows:
    """A sparse X (m, n_x) in canonical CSR form whose rows are taken dense.

    ``X[idx]`` (a slice, or an array of non-negative row indices) is the dense block
    (k, n_x) of ``dtype``; ``X.take(idx, out)`` writes it into a C-ordered buffer.
    It never converts itself whole: ``np.asarray(X)`` raises.

    Parameters
    ----------
    csr : object with ``data``, ``indices``, ``indptr`` and ``shape`` in canonical CSR
        form (a scipy ``csr_matrix`` / ``csr_array``, or a SparseRows); not copied
    dtype : dtype of the dense blocks (the stored values are cast a block at a time);
        None for the stored values' own
    """

    format = "csr"
    ndim = 2
    has_canonical_format = True

    def __init__(self, csr, dtype=None):
        self.data, self.indices, self.indptr = csr.data, csr.indices, csr.indptr
        self.shape = (int(csr.shape[0]), int(csr.shape[1]))
        self.dtype = np.dtype(self.data.dtype if dtype is None else dtype)

    @property
    def nnz(self):
        return int(self.data.shape[0])

    def tocsr(self):
        return self

    def astype(self, dtype, copy=False):
        """The same rows made dense in ``dtype`` (nothing is copied: blocks are cast as taken)."""
        return self if np.dtype(dtype) == self.dtype else SparseRows(self, dtype)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            f"a sparse X of shape {self.shape} is not made dense whole; take rows with X[rows] (a dense block)"
        )

    def __getitem__(self, key):
        """Rows ``key`` (a slice, or an integer array) as a dense (k, n_x) array of ``dtype``."""
        if isinstance(key, slice):
            start, stop, step = key.indices(self.shape[0])
            if step == 1:
                return self.take_span(start, max(start, stop))
            key = np.arange(start, stop, step)
        idx = np.asarray(key)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise TypeError(f"rows of a sparse X are taken by a slice or a 1-D integer array; got {key!r:.80}")
        return self.take(idx)

    def take(self, idx, out=None):
        """Rows ``idx`` (k,) (non-negative indices) into ``out`` (k, n_x), C-ordered, of
        ``dtype`` (a new array when None); returns ``out``."""
        indptr = self.indptr
        starts = indptr[idx]
        lens = indptr[idx + 1] - starts  # (k,) stored values of each row
        # src: the position in data of each value gathered, rows one after another: row r's run
        # starts at starts[r] in data and at first[r] = sum(lens[:r]) in the gathered sequence.
        first = np.cumsum(lens) - lens
        src = np.arange(int(first[-1] + lens[-1]) if lens.shape[0] else 0) + np.repeat(starts - first, lens)
        return self._scatter(src, lens, out)

    def take_span(self, start, stop, out=None):
        """Rows ``start:stop`` into ``out`` as :meth:`take` (consecutive rows: their values are one run of data)."""
        lo, hi = int(self.indptr[start]), int(self.indptr[stop])
        return self._scatter(slice(lo, hi), np.diff(self.indptr[start : stop + 1]), out)

    def _scatter(self, src, lens, out):
        """Write ``data[src]`` (the values of k rows, ``lens`` (k,) per row) at their columns
        of the zeroed ``out`` (k, n_x)."""
        k, n_x = lens.shape[0], self.shape[1]
        if out is None:
            out = np.zeros((k, n_x), dtype=self.dtype)
        else:
            if out.shape != (k, n_x) or not out.flags.c_contiguous:
                raise ValueError(f"out must be a C-ordered array of shape {(k, n_x)}; got {out.shape}")
            out.fill(0)
        # Flat positions in out: row r's columns plus r * n_x (intp: k * n_x may pass int32).
        flat = self.indices[src] + np.repeat(np.arange(k, dtype=np.intp) * n_x, lens)
        out.reshape(-1)[flat] = self.data[src]  # cast to out's dtype as toarray().astype would
        return out

    def max_row_norm(self, block=4096):
        """``max_i ||x_i||`` over the rows (0.0 when X stores nothing), summed in float64 in
        blocks of rows; ``inf`` when a stored value is not finite or the squares overflow."""
        norm2, indptr, m = 0.0, self.indptr, self.shape[0]
        with np.errstate(over="ignore", invalid="ignore"):
            for a in range(0, m, block):
                b = min(a + block, m)
                lo, hi = int(indptr[a]), int(indptr[b])
                if lo == hi:
                    continue
                v = self.data[lo:hi].astype(np.float64)
                rows = np.repeat(np.arange(b - a), np.diff(indptr[a : b + 1]))
                b2 = float(np.bincount(rows, weights=v * v, minlength=b - a).max())
                if not math.isfinite(b2):
                    return math.inf
                norm2 = max(norm2, b2)
        return math.sqrt(norm2)

    def digest_parts(self):
        """The arrays that are X, for :func:`npdnn.train.checkpoint.data_digest`."""
        return self.data, self.indices, self.indptr


def sparse_rows(X, n_features=None, dtype=None, name="X", finite=True):
    """A sparse ``X`` (see :func:`npdnn.checks.is_sparse`) validated by
    :func:`npdnn.checks.check_sparse_X` and held as :class:`SparseRows` of ``dtype``.
    Never densified: a CSC (or COO, ...) X is converted to CSR once, a copy of its nonzeros."""
    if not is_sparse(X):
        raise TypeError(f"{name} is not a sparse matrix; got {type(X).__name__}")
    dtype = X.dtype if dtype is None else dtype
    return SparseRows(check_sparse_X(X, n_features, dtype, name=name, finite=finite), dtype)
