"""Training data for the cluster: Dask arrays and DataFrames, or ``.npy`` parts on disk.

Every source becomes a list of row *pieces* (a block of rows with its labels and
weights) in row order; the driver hands each worker a contiguous run of pieces, so a
worker's rows are one range ``[lo, hi)`` of the global row numbering. Nothing here
computes the data: Dask blocks stay lazy until a worker computes them for itself.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import numpy as np

from ..checks import is_dask


@dataclass
class Piece:
    n: int  # rows
    X: object  # a Dask Delayed block (n, n_x), or a path to a C-ordered (n, n_x) .npy file
    y: object  # a Delayed block or an array (n,) of class indices
    w: object = None  # the same for sample weights, or None


class NpyParts:
    """Row chunks of X in C-ordered 2-D ``.npy`` files (a glob or a list of paths, in
    sorted order), read by the workers a batch at a time: out of core."""

    def __init__(self, paths):
        if isinstance(paths, (str, os.PathLike)):
            pattern = os.fspath(paths)
            paths = sorted(glob.glob(pattern))
            if not paths:
                raise FileNotFoundError(f"no .npy files match {pattern!r}")
        self.paths = [os.fspath(p) for p in paths]
        self.rows = []
        for path in self.paths:
            shape = np.load(path, mmap_mode="r").shape  # reads the header only
            if len(shape) != 2:
                raise ValueError(f"{path}: expected a 2-D array (rows, features); got shape {shape}")
            self.rows.append(shape[0])
        self.shape = (sum(self.rows), shape[1])


def _as_dask_array(obj, name):
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(obj, (dd.DataFrame, dd.Series)):
        if isinstance(obj, dd.Series) and obj.dtype.kind not in "biuf":  # string labels: plain objects
            obj = obj.astype(object)
        # optimized first: otherwise the lengths may be counted on a plan with other partitions
        obj = obj.optimize().to_dask_array(lengths=True)
    if not isinstance(obj, da.Array):
        raise TypeError(f"{name} must be a Dask array or DataFrame here; got {type(obj).__name__}")
    if any(np.isnan(c) for c in obj.chunks[0]):
        obj = obj.compute_chunk_sizes()
    return obj


def _split_like(v, rows, name):
    """``v`` (labels or weights) cut into blocks of ``rows``: Delayed blocks of a Dask
    collection rechunked to match, or slices of an in-memory array."""
    m = sum(rows)
    if is_dask(v):
        v = _as_dask_array(v, name).reshape(-1)
        if v.shape[0] != m:
            raise ValueError(f"{name} has {v.shape[0]} entries; X has {m} rows")
        return list(v.rechunk((tuple(rows),)).to_delayed().ravel())
    v = np.asarray(v).reshape(-1)
    if v.shape[0] != m:
        raise ValueError(f"{name} has {v.shape[0]} entries; X has {m} rows")
    edges = np.cumsum([0, *rows])
    return [v[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]


def pieces(X, y, sample_weight=None):
    """``(pieces, m, n_x)`` for a Dask array/DataFrame or :class:`NpyParts` X."""
    if isinstance(X, (str, os.PathLike)):
        X = NpyParts(X)
    if isinstance(X, NpyParts):
        rows, blocks = X.rows, X.paths
    else:
        X = _as_dask_array(X, "X")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {X.shape}")
        X = X.rechunk({1: -1})  # whole rows in each block
        rows, blocks = list(X.chunks[0]), list(X.to_delayed()[:, 0])
    ys = _split_like(y, rows, "y")
    ws = [None] * len(rows) if sample_weight is None else _split_like(sample_weight, rows, "sample_weight")
    out = [Piece(n, Xb, yb, wb) for n, Xb, yb, wb in zip(rows, blocks, ys, ws, strict=True) if n > 0]
    if not out:
        raise ValueError("X has no rows")
    return out, sum(rows), X.shape[1]


def assign(pieces, n_workers):
    """Contiguous runs of pieces, one per worker, balanced by rows: ``[(lo, [pieces])]``."""
    total = sum(p.n for p in pieces)
    groups, lo, start = [], 0, 0
    for i in range(min(n_workers, len(pieces))):
        target = total * (i + 1) / min(n_workers, len(pieces))
        group = [pieces[start]]
        start += 1
        rows = lo + group[0].n
        left = min(n_workers, len(pieces)) - i - 1  # later workers need a piece each
        while start < len(pieces) - left and rows + pieces[start].n / 2 <= target:
            rows += pieces[start].n
            group.append(pieces[start])
            start += 1
        groups.append((lo, group))
        lo = rows
    groups[-1][1].extend(pieces[start:])
    return groups
