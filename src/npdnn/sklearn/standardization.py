"""The estimator's feature standardization, ``(X - mean) / scale`` per feature, fitted and
applied without more than one array of X's size.

Robust scaling (``standardize="robust"``): ``(X - median) / (IQR / 1.349)``, then clipped
to ``[-CLIP, CLIP]``: the median and interquartile range are not moved by outliers, and
the clip bounds what a far outlier can do to the network (RealMLP-TD's recipe; 1.349 is
the IQR of a standard normal, so normal data get the standard deviation).

``standardize="auto"`` (the default of the estimator and the command line): standard scaling of
each feature that holds values other than 0 and 1, on dense X; an indicator (a 0/1 column:
one-hot, boolean, a missing flag) is left as it is, since scaling a rare one by ``1/std`` turns
its 1s into large values; sparse X is left unscaled (centering would densify it).

Owns: fit_standardization (and which features it reads), from_moments, standardized_for_training,
fit_robust_scaling, scaling_of, CLIP.
Imports: NumPy and
:mod:`npdnn.nn.chunking` (row chunks) only.
"""

from __future__ import annotations

import numpy as np

from ..nn.chunking import chunk_rows, row_slices

CLIP = 5.0  # robust scaling's bound on a scaled value
SCALINGS = {False: None, None: None, True: "standard", "standard": "standard", "robust": "robust", "auto": "standard"}


def scaling_of(standardize, sparse=False):
    """The scaling the ``standardize`` parameter asks for on X (``sparse``: X is a scipy sparse
    matrix): None, "standard" or "robust". ``"auto"`` is "standard" on dense X, None on sparse."""
    try:
        kind = SCALINGS[standardize]
    except (KeyError, TypeError):
        raise ValueError(
            f'standardize must be "auto", False, True, "standard" or "robust"; got {standardize!r}'
        ) from None
    return None if sparse and isinstance(standardize, str) and standardize == "auto" else kind


def fit_robust_scaling(X, columns=None):
    """Per-feature median and ``IQR / 1.349`` (n_features,) in X's dtype; a feature whose
    IQR is 0 (mostly one value) falls back to its standard deviation, then to 1. ``columns``
    (n_features,) bool: the features to fit; the others get center 0 and scale 1.

    Quantiles need the column sorted: one float64 column of X at a time."""
    m, n = X.shape
    center, scale = np.zeros(n), np.ones(n)
    for j in range(n) if columns is None else np.flatnonzero(columns):
        column = np.asarray(X[:, j], dtype=np.float64)
        q25, q50, q75 = np.percentile(column, [25, 50, 75])
        s = (q75 - q25) / 1.349
        if not s > 0:
            s = column.std()
        center[j], scale[j] = q50, s if s > 0 else 1.0
    return center.astype(X.dtype), scale.astype(X.dtype)


def fit_standardization(X, w, keep_indicators=False, columns=None):
    """Per-feature ``mean`` and ``scale`` (n_features,) in X's dtype, weighted by
    ``w`` when given; a constant feature gets scale 1 so nothing is divided by 0.
    ``keep_indicators`` (``standardize="auto"``): a feature whose every value is 0 or 1
    gets mean 0 and scale 1, found in the same first pass. ``columns`` (n_features,) bool:
    the features to fit (a column plan's numbers, not its one-hot columns); the others get
    mean 0 and scale 1.

    Two passes over X in row chunks, each chunk converted to float64 on its own:
    no float64 copy of the whole X (scikit-learn's StandardScaler makes one)."""
    m, n = X.shape
    pieces = row_slices(m, chunk_rows([n], 8))  # sized by X's width whatever ``columns``: the same sums
    W = float(m) if w is None else float(w.sum())
    fit = _fitted_features(n, w, columns)

    def chunk(piece):
        # (rows, k) C-ordered whatever X's layout: a column sum of an F-ordered chunk adds in another
        # order, and the last bits of the mean (and so of the model) would follow the layout
        B = X[piece] if fit is None else X[piece][:, fit]
        return B.astype(np.float64, order="C")

    def weighted_sum(values, piece):  # sum_i w_i values_i over the chunk's rows, (k,)
        return values.sum(axis=0) if w is None else w[piece] @ values

    k = n if fit is None else fit.size
    total, low, high = np.zeros(k), np.full(k, np.inf), np.full(k, -np.inf)
    kept = np.full(k, keep_indicators)
    for piece in pieces:
        B = chunk(piece)
        total += weighted_sum(B, piece)
        np.minimum(low, B.min(axis=0), out=low)
        np.maximum(high, B.max(axis=0), out=high)
        if kept.any():  # a feature stays an indicator until a value other than 0 or 1 turns up
            kept &= ((B == 0) | (B == 1)).all(axis=0)
    mean = total / W
    squares = np.zeros(k)
    for piece in pieces:
        B = chunk(piece)
        B -= mean
        B *= B
        squares += weighted_sum(B, piece)
    mean, scale = from_moments(mean, squares / W, low, high, X.dtype)
    mean[kept], scale[kept] = 0, 1
    if fit is not None:  # (k,) -> (n,)
        fit_mean, fit_scale = mean, scale
        mean, scale = np.zeros(n, dtype=X.dtype), np.ones(n, dtype=X.dtype)
        mean[fit], scale[fit] = fit_mean, fit_scale
    if columns is not None:
        mean[~columns], scale[~columns] = 0, 1
    return mean, scale


def _fitted_features(n, w, columns):
    """The indices (k,) of the features fit_standardization reads, or None for all of them.

    Only where each feature's sums are the same bits as over all n: NumPy adds the rows of a C-ordered
    (rows, k) chunk one by one for each of k >= 2 columns, whatever k, but a single column pairwise;
    and a weighted sum is a BLAS gemv, whose rounding follows the width (OpenBLAS's does: the test
    of this fails with weights let through). Reading adult's 6 numbers without its 101 one-hot
    columns: 5 ms instead of 18."""
    if columns is None or w is not None:
        return None
    fit = np.flatnonzero(columns)
    return fit if fit.size != 1 and fit.size < n else None


def from_moments(mean, var, low, high, dtype):
    """``mean`` and ``scale = sqrt(var)`` (n_features,) in ``dtype`` from float64 moments
    and each feature's range ``low..high``; a constant feature gets scale 1 so nothing is
    divided by 0. Shared by the in-memory fit above and the Dask fit."""
    scale = np.sqrt(var)
    scale[(high == low) | ~(scale > 0)] = 1.0
    return mean.astype(dtype), scale.astype(dtype)


def standardized_for_training(X, given, mean, scale):
    """``(X - mean) / scale`` (the operations of prediction's chunks, in X's dtype) holding at
    most one array of X's size: in place when X is a converted copy this fit made (never the
    caller's array, nor a view of it), else into one new C-ordered array, the batches' fastest
    layout. ``(X - mean) / scale`` as written held two (the difference, then the quotient)."""
    own = X is not given and X.flags.owndata and X.flags.writeable
    out = X if own else np.empty(X.shape, dtype=X.dtype)
    np.subtract(X, mean, out=out)
    out /= scale
    return out
