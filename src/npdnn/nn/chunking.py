"""Prediction in row chunks: memory bounded whatever m, values as in one pass.

``predict``, ``predict_proba``, ``decision_function`` and ``cost`` push X through
the network ``rows`` samples at a time, so their activations (every layer keeps
``Z`` and ``A`` of shape ``(n_l, rows)``) stay within :data:`CHUNK_BYTES` in all
however many rows X has, and X itself is never copied: a chunk is a view of X,
converted to the network's dtype (and standardized, for the estimator) one
chunk at a time. A scipy sparse X is made dense a chunk at a time
(:mod:`npdnn.nn.sparse_rows`), in chunks that keep its dense rows within the budget
(``chunk_rows(..., dense_input=False)``): below both thresholds the same single pass, the
same bits as its dense form's; above, the chunked tolerance below.

What is promised, on every x86-64 machine:

- Below the threshold (one chunk), prediction is one forward pass over all of X:
  the same computation, so the same bits as ``net.forward(X.T)``.
- Above it, each chunk is the same arithmetic on fewer columns, but not the same
  BLAS computation: which kernel computes a column of ``W @ A`` (and so how it
  rounds) depends on the column's offset in the product, the product's width and
  how BLAS threads split it. On OpenBLAS 0.3.31 the Haswell (AVX2) kernels moved
  1 ulp on 4-21% of float32 rows near the first chunk boundary even on one thread;
  the SkylakeX (AVX-512) kernels happened to agree there. So chunked and one-pass
  logits agree to a few machine epsilons of the largest ``|Z_L|`` (measured: at
  most 2.7 eps, Haswell, one and two threads; ``tests/test_chunked_prediction.py``
  allows 8), probabilities to a few eps, and labels wherever the margin is wider.

Chunks start at multiples of :data:`CHUNK_ALIGN` and none is shorter than half a
chunk or twice the widest layer (a short tail joins the chunk before it): that
keeps each chunk on the kernels a long product uses (a one-unit output layer's
matrix-vector kernel works in blocks of 4096 columns; a layer switches memory
order when ``n_l > m``), so the differences stay at rounding level.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_sparse_X, check_X, is_sparse
from .losses import PER_SAMPLE, weighted_sum
from .sparse_rows import sparse_rows

#: Bytes of a chunk's arrays: the converted input chunk plus Z and A of every layer.
CHUNK_BYTES = 64 * 2**20
#: Chunk lengths are multiples of this (OpenBLAS gemv works in blocks of 4096 columns; see above).
CHUNK_ALIGN = 4096


def chunk_rows(layer_dims, itemsize, dense_input=True):
    """Rows per chunk: all of a chunk's arrays (the converted input, ``Z`` and ``A``
    of every layer) within :data:`CHUNK_BYTES`, a multiple of :data:`CHUNK_ALIGN`,
    and at least twice the widest layer.

    ``dense_input=False`` (a sparse X, whose chunks are made dense): the budget is kept
    whatever n_x, at the cost of the alignment, and the floor counts the layers' widths
    only (the memory-order switch depends on n_l, not on n_x). With the dense rule a chunk
    of a 20,000-column sparse X would be 40,960 dense rows, 3.3 GB in float32; with this
    one it is the budget's 830. Its chunks then agree with one pass to the same tolerance
    as a dense X's above the threshold (see above), not to the bit."""
    row_bytes = itemsize * (layer_dims[0] + 2 * sum(layer_dims[1:]))
    if not dense_input:
        return max(CHUNK_BYTES // row_bytes, 2 * max(layer_dims[1:]), 1)
    rows = CHUNK_BYTES // row_bytes // CHUNK_ALIGN * CHUNK_ALIGN
    floor = -(-2 * max(layer_dims) // CHUNK_ALIGN) * CHUNK_ALIGN  # 2 * width rounded up to the alignment
    return max(rows, floor, CHUNK_ALIGN)


def row_slices(m, rows):
    """Slices covering ``range(m)``: ``rows`` long from multiples of ``rows``; a last
    piece shorter than ``rows // 2`` joins the one before it."""
    starts = list(range(0, m, rows))
    if len(starts) > 1 and m - starts[-1] < rows // 2:
        starts.pop()
    bounds = [*starts, m]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def as_rows(X):
    """X as an ndarray (m, n) without copying what need not be copied (a
    single-dtype DataFrame gives a view of its block); a sparse X as
    :class:`~npdnn.nn.sparse_rows.SparseRows`, whose chunks are made dense one at a time."""
    if is_sparse(X):
        return sparse_rows(X, finite=False)
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):
        X = X.to_numpy()
    return np.asarray(X)


def checked_rows(X, n_features, dtype):
    """X as rows (m, n_features), its shape and kind checked without converting it."""
    if is_sparse(X):
        return sparse_rows(X, n_features, dtype, finite=False)  # finiteness: chunk by chunk (forward_chunks)
    X = as_rows(X)
    if X.ndim != 2 or X.dtype.kind not in "biuf" or X.shape[0] == 0 or X.shape[1] != n_features:
        check_X(X, n_features, dtype)  # raises, before any conversion
    return X


def row_blocks(X, pieces, rows=None):
    """Yield ``(piece, block)`` for each slice in ``pieces``: the rows ``piece`` of X
    (m, n_x), or ``rows[piece]`` when ``rows`` (an index array) is given, as a (k, n_x)
    array. Dense X: a view (a slice) or the rows gathered (fancy indexing reads only
    those). Sparse X (:class:`~npdnn.nn.sparse_rows.SparseRows`): made dense in its dtype
    into one buffer reused by every block (so two chunks' dense bytes are never held at
    once): a block is overwritten by the next, use it before asking for that one."""
    if not is_sparse(X):
        for piece in pieces:
            yield piece, (X[piece] if rows is None else X[rows[piece]])
        return
    buf = np.empty((max((p.stop - p.start for p in pieces), default=0), X.shape[1]), dtype=X.dtype)
    for piece in pieces:
        out = buf[: piece.stop - piece.start]
        yield piece, (X.take_span(piece.start, piece.stop, out) if rows is None else X.take(rows[piece], out))


def forward_chunks(net, X, prepare=None):
    """Yield ``(rows, Z_L)``: a slice of rows of X (m, n_x) and their logits
    ``Z_L`` (n_L, len(rows)).

    Each chunk of X is converted to the network's dtype (a view when X has it),
    then ``prepare(block)`` (rows, n_x) -> (rows, n_x) if given (the estimator's
    standardization). Errors are those of :func:`npdnn.checks.check_X` on the
    whole X, row numbers included: only a chunk that is not finite sends the whole
    X through it (and only then is X copied).
    """
    dtype = net.dtype
    X = checked_rows(X, net.n_features, dtype)
    rows = chunk_rows(net.layer_dims, dtype.itemsize, dense_input=not is_sparse(X))
    for piece, block in row_blocks(X, row_slices(X.shape[0], rows)):
        with np.errstate(over="ignore", invalid="ignore"):  # inf - inf in the sum is NaN, checked below
            block = block.astype(dtype, copy=False)  # (rows, n_x)
            finite = np.isfinite(block.sum())  # a sum allocates nothing; inf and NaN propagate
        if not finite and not np.isfinite(block).all():
            # the exact error, with the row and column in X
            (check_sparse_X if is_sparse(X) else check_X)(X, net.n_features, dtype)
        if prepare is not None:
            block = prepare(block)
        yield piece, net.forward(block.T)  # A0 = block.T (n_x, rows), a view


def map_rows(net, X, fn, prepare=None):
    """``fn(Z_L)`` (n_L, chunk) -> (chunk,) or (chunk, k) for every chunk of X,
    gathered into one array (m,) or (m, k) allocated once."""
    X = as_rows(X)
    m, out = X.shape[0] if X.ndim else 0, None
    for piece, ZL in forward_chunks(net, X, prepare):
        part = fn(ZL)
        if out is None:
            out = np.empty((m, *part.shape[1:]), dtype=part.dtype)
        out[piece] = part
    return out


def chunked_cost(net, X, labels, weights):
    """``J`` (float) of the network on X (m, n_x) with integer ``labels`` (m,) and
    ``weights`` (``1/m`` or (1, m) summing to 1): each chunk's per-sample costs
    land in one (1, m) array, reduced once as the unchunked cost reduces them."""
    per_sample, losses = PER_SAMPLE[net.output.name], None
    for piece, ZL in forward_chunks(net, X):
        part = per_sample(ZL, net.targets(labels[piece]))  # (1, rows)
        if losses is None:
            losses = np.empty((1, labels.shape[0]), dtype=part.dtype)
        losses[:, piece] = part
    return float(weighted_sum(losses, weights))
