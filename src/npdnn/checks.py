"""Input checks at the public boundary: each error names what was received and
what was expected. Plain ``if ... raise``, never ``assert`` (which ``python -O``
removes)."""

from __future__ import annotations

import numpy as np

DTYPES = (np.float32, np.float64)


def check_dtype(dtype):
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise."""
    if isinstance(dtype, (dict, list, tuple)) or (isinstance(dtype, (str, bytes)) and len(dtype) > 16):
        dt = None  # only names and types are dtypes here: np.dtype would parse a structure or a long text whole
    else:
        try:
            dt = np.dtype(dtype)
        except (TypeError, ValueError, OverflowError):
            dt = None
    if dt is None or dt.type not in DTYPES:
        raise ValueError(f"dtype must be float32 or float64; got {dtype!r:.80}")
    return dt


def _first_bad(mask):
    idx = np.argwhere(~mask)[0]
    return tuple(int(i) for i in idx)


_BLOCK = 4096


_READY_MAX = 1 << 16  # values; the finiteness mask of is_ready stays under 64 KiB


def is_ready(X, n_features, dtype, max_size=_READY_MAX):
    """True when ``X`` is already what :func:`check_X` would return: a plain ndarray
    (m >= 1, n_features) of ``dtype``, every value finite. Decided only for small X
    (at most ``max_size`` values, whose finiteness mask costs nothing), else False.

    The serving fast path: a 1-row DNNClassifier.predict_proba spent most of its time in
    scikit-learn's validate_data (71 us of CPU; the whole call now takes ~22 us, see
    benchmarks/serve.py and the serving section of benchmarks/README.md).
    """
    return (
        type(X) is np.ndarray
        and X.dtype == dtype
        and X.ndim == 2
        and 0 < X.shape[0]
        and X.shape[1] == n_features
        and X.size <= max_size
        and bool(np.isfinite(X).all())
    )


def check_X(X, n_features, dtype, name="X", finite=True):
    """Validate ``X`` (m, n_features) and return it as a C- or F-ordered array of
    ``dtype`` (no copy when it already is one).

    ``finite=False`` leaves out the scan for NaN and infinity, for a caller that
    makes its own pass over X and calls again with ``finite=True`` (for the error)
    when that pass meets a non-finite value."""
    if is_ready(X, n_features, dtype):
        return X
    if is_sparse(X):  # np.asarray would make a 0-d object array of it
        raise ValueError(
            f"{name} is a sparse matrix (format {X.format!r}, shape {tuple(X.shape)}), and this needs dense rows; "
            f"expected an array: pass {name}.toarray() (Network.fit, predict and DNNClassifier take sparse X)"
        )
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):
        X = X.to_numpy()
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers (bool, int or float); got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features); got an array "
            f"of shape {X.shape}" + (" (reshape a single sample with X.reshape(1, -1))" if X.ndim == 1 else "")
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} has 0 samples (shape {X.shape}); expected at least 1")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"layer 1 expects A0 of shape ({n_features}, m) but got ({X.shape[1]}, m): "
            f"{name} has {X.shape[1]} features, the network was built for n_x = {n_features}"
            + transpose_hint(X.shape, n_features, name)
        )
    raw = X
    # A float64 value past float32's range becomes inf in the cast; report it as too large, not as a warning.
    with np.errstate(over="ignore"):
        X = X.astype(dtype, copy=False)
    if not finite:
        return X
    # Checked in row blocks: a boolean mask of the whole X would add m * n_x bytes to peak memory.
    # A finite block sum proves every entry finite (inf and NaN propagate through a sum), and a
    # sum allocates nothing: 3x faster than isfinite(block).all(), which runs only when the sum is
    # not finite, to find the entry (or to clear a block whose finite values overflow the sum).
    for start in range(0, X.shape[0], _BLOCK):
        block = X[start : start + _BLOCK]
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(block.sum()):
                continue
        finite = np.isfinite(block)
        if not finite.all():
            row, col = _first_bad(finite)
            row += start
            break
    else:
        return X
    if np.isfinite(raw[row, col]):
        raise ValueError(
            f"{name} value {float(raw[row, col])!r} at row {row}, column {col} is too large for {np.dtype(dtype)} "
            f"(max {np.finfo(dtype).max:.4g}); expected values within that range"
        )
    raise ValueError(
        f"{name} contains NaN or infinity (first at row {row}, column {col}: {X[row, col]}); expected finite values"
    )


def transpose_hint(shape, n_features, name="X"):
    """``"; ... pass X.T ..."`` when an (a, b) array with ``a == n_features != b`` looks like
    the article's (n_features, m) layout, else ``""``."""
    if len(shape) == 2 and shape[0] == n_features and shape[1] != n_features:
        return (
            f"; {name} looks transposed: shape {tuple(shape)} is the (n_features, m) layout of A0, "
            f"but {name} is (n_samples, n_features), one row per sample: pass {name}.T"
        )
    return ""


def check_labels(y, m, n_classes=2, name="y"):
    """Validate labels ``y`` (m,) as integers in ``0..n_classes-1`` (bools and
    integral floats accepted) and return them as an int64 array."""
    if hasattr(y, "to_numpy") and not isinstance(y, np.ndarray):
        y = y.to_numpy()
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of shape (n_samples,); got shape {y.shape}")
    if y.shape[0] != m:
        raise ValueError(f"{name} must have one label per sample: X has {m} rows but {name} has {y.shape[0]}")
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold integer class labels; got dtype {y.dtype}")
    expected = "{0, 1}" if n_classes == 2 else f"0..{n_classes - 1}"
    if y.dtype.kind == "f":
        ok = np.isfinite(y) & (y == np.round(y))
        if not ok.all():
            raise ValueError(f"{name} must hold labels in {expected}; got {y[~ok][0]!r}")
    yi = y.astype(np.int64)
    bad = (yi < 0) | (yi >= n_classes)
    if bad.any():
        found = np.unique(yi[bad])[:5].tolist()
        raise ValueError(f"{name} must hold labels in {expected}; got values {found}")
    return yi


def check_sample_weight(sample_weight, m):
    """Validate ``sample_weight`` (m,) as finite, non-negative, not all zero; None -> None."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.ndim == 0:
        w = np.full(m, float(w))
    if w.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must be numeric; got dtype {w.dtype}")
    if w.shape != (m,):
        raise ValueError(f"sample_weight must have shape ({m},), one weight per sample; got {w.shape}")
    w = w.astype(np.float64)
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(
            "sample_weight must be finite and non-negative; got " + repr(w[~(np.isfinite(w) & (w >= 0))][0])
        )
    if w.sum() <= 0:
        raise ValueError("sample_weight sums to zero; expected at least one positive weight")
    return w


def check_positive(name, value, integer=False, allow_zero=False):
    """Validate a scalar hyperparameter and return it."""
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, (int, np.integer)) if integer else isinstance(value, (int, float, np.number))
    if isinstance(value, bool) or not ok_type or not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {kind} {bound}; got {value!r}")
    return value


def check_rate(name, value):
    """A probability-like rate in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
    return float(value)


def is_dask(obj):
    """Whether ``obj`` is a Dask collection, checked without importing dask (the
    estimator and the distributed sources both ask)."""
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr")


def is_sparse(obj):
    """Whether ``obj`` is a scipy sparse matrix or array (CSR, CSC, COO, ..., the ``*_matrix``
    and ``*_array`` classes) or npdnn's :class:`~npdnn.nn.sparse_rows.SparseRows`, checked
    without importing scipy: the core is NumPy-only (as :func:`is_dask` for Dask)."""
    return (
        not isinstance(obj, np.ndarray)
        and isinstance(getattr(obj, "format", None), str)
        and hasattr(obj, "tocsr")
        and hasattr(obj, "nnz")
    )


def check_sparse_X(X, n_features, dtype, name="X", finite=True):
    """Validate a sparse ``X`` (m, n_features) (see :func:`is_sparse`) and return it in
    canonical CSR form: an object with ``data`` (nnz,), ``indices`` (nnz,), ``indptr``
    (m + 1,) and ``shape``, its rows' column indices sorted and without duplicates.

    Not densified: a CSR X in canonical form is returned as it is; another format (CSC,
    COO, ...) is converted once with its ``tocsr()`` (a copy of the nonzeros, never of the
    zeros); a CSR X with duplicate entries is copied and its duplicates summed (as
    ``toarray()`` sums them). ``dtype`` is the dtype the rows will be made dense in: an
    integer or bool X is accepted (cast per block), and a value that does not fit it is
    reported. ``finite=False`` leaves out the scan of ``data`` for NaN and infinity."""
    shape = tuple(getattr(X, "shape", ()))
    kind = np.dtype(X.dtype).kind
    if kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers (bool, int or float); got a sparse matrix of dtype {X.dtype}")
    if len(shape) != 2:
        raise ValueError(f"{name} must be a 2-D sparse matrix of shape (n_samples, n_features); got shape {shape}")
    if shape[0] == 0:
        raise ValueError(f"{name} has 0 samples (shape {shape}); expected at least 1")
    if n_features is not None and shape[1] != n_features:
        raise ValueError(
            f"layer 1 expects A0 of shape ({n_features}, m) but got ({shape[1]}, m): "
            f"{name} has {shape[1]} features, the network was built for n_x = {n_features}"
            + transpose_hint(shape, n_features, name)
        )
    if X.format != "csr":
        X = X.tocsr()  # one copy of the nonzeros (CSC, COO, ...); rows are then slices of data
    if not getattr(X, "has_canonical_format", True):
        X = X.copy()  # the caller's matrix is left as it is
        X.sum_duplicates()
    if finite:
        _check_sparse_finite(X, dtype, name)
    return X


def _check_sparse_finite(X, dtype, name):
    """Raise as :func:`check_X` does when a stored value of the CSR ``X`` is NaN, infinite,
    or too large for ``dtype``; in blocks of ``data`` (a cast block, never a cast copy of all)."""
    data, step = X.data, 1 << 16
    for start in range(0, data.shape[0], step):
        raw = data[start : start + step]
        with np.errstate(over="ignore", invalid="ignore"):
            block = raw.astype(dtype, copy=False)
            if np.isfinite(block.sum()):
                continue
        bad = np.flatnonzero(~np.isfinite(block))
        if bad.shape[0]:
            break
    else:
        return
    pos = start + int(bad[0])
    row = int(np.searchsorted(X.indptr, pos, side="right")) - 1
    col, value = int(X.indices[pos]), data[pos]
    if np.isfinite(value):
        raise ValueError(
            f"{name} value {float(value)!r} at row {row}, column {col} is too large for {np.dtype(dtype)} "
            f"(max {np.finfo(dtype).max:.4g}); expected values within that range"
        )
    raise ValueError(
        f"{name} contains NaN or infinity (first at row {row}, column {col}: {value}); expected finite values"
    )
