"""The estimator's inputs: X checked and turned into the rows the network reads. An array goes
through scikit-learn's ``validate_data`` (feature names, ``n_features_in_``, finiteness; sparse
CSR/CSC kept sparse, made dense a mini-batch at a time); a table with text, categories or missing
values goes through its column plan (:mod:`npdnn.sklearn.columns`), learned by ``fit`` and applied
by every other method; the fitted scaling (:mod:`npdnn.sklearn.standardization`) is learned here
and applied to partial_fit's rows and to prediction's chunks. Prediction checks a few ready rows
without ``validate_data`` (its cost dominates a one-row predict), and names the column of a
table that scikit-learn's own messages would not (complex values, text that is not a number).

Owns: _Inputs (a mixin of :class:`~npdnn.DNNClassifier`), _cannot_center, _real, _name_the_text,
_first_non_number.
Imports: NumPy, scikit-learn's validation, the column plan, the scaling and the labels' ``_py``.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted, check_X_y, validate_data

from ..checks import check_dtype, is_ready, is_sparse
from ..nn.sparse_rows import sparse_rows
from .columns import ColumnPlan
from .estimator_labels import _py
from .standardization import CLIP, fit_robust_scaling, scaling_of
from .standardization import fit_standardization as _fit_standardization

# scikit-learn's own message says DNNClassifier takes no NaN at all; a table's missing values it does take.
NAN_IN_ARRAY = (
    "Input X contains NaN: an array's missing values are not filled in; pass X as a pandas DataFrame "
    "(pandas.DataFrame(X)), whose column plan fills each missing value with the column's median and adds "
    "a column marking it, or impute them first (sklearn.impute.SimpleImputer)"
)


class _Inputs:
    """DNNClassifier's input methods (a mixin: they read the estimator's parameters and set or
    read ``n_features_in_``, ``feature_names_in_``, ``columns_``, ``mean_`` and ``scale_``)."""

    def _input_dtype(self):
        return [np.float64, np.float32] if self.dtype is None else check_dtype(self.dtype)

    def _standardized(self, X):
        if self.mean_ is None:
            return X
        if is_sparse(X):  # partial_fit's X (prediction standardizes dense chunks, never a sparse X)
            raise _cannot_center(self.standardize)
        Z = (X - self.mean_) / self.scale_
        return np.clip(Z, -CLIP, CLIP, out=Z) if scaling_of(self.standardize) == "robust" else Z

    def _fit_plan(self, X, reads=None):
        """The column plan of the table X, with ``categorical_features`` one-hot encoded
        (``reads``: see :meth:`ColumnPlan.fit`)."""
        named = list(self.categorical_features or [])
        if not hasattr(X, "columns"):
            raise ValueError(f"categorical_features={named!r} names columns: X must be a pandas DataFrame")
        unknown = [c for c in named if c not in X.columns]
        if unknown:
            raise ValueError(f"categorical_features names {unknown}, which are not columns of X {list(X.columns)}")
        return ColumnPlan.fit(X, categorical=named, reads=reads)

    def _fit_scaling(self, X, w, plan):
        """``(mean, scale)`` (n_x,) of the chosen scaling, or ``(None, None)``; a plan's
        0/1 columns get mean 0 and scale 1 (left as they are)."""
        kind = scaling_of(self.standardize, sparse=is_sparse(X))
        if kind is None:
            return None, None
        if is_sparse(X):
            raise _cannot_center(self.standardize)
        auto = isinstance(self.standardize, str) and self.standardize == "auto"
        columns = None if plan is None else plan.scaled
        if kind == "robust":
            return fit_robust_scaling(X, columns)
        return _fit_standardization(X, w, keep_indicators=auto, columns=columns)

    def _validate_table(self, X, y, plan, dtype, reset, reads=None):
        """``(X, y)`` as validate_data returns them; a table with a column ``plan`` is
        turned into the network's inputs (m, n_x) here, its names and width recorded
        (``reads``: what the plan's fit read of this X)."""
        if plan is None:
            if getattr(self, "columns_", None) is not None and not reset:
                raise ValueError("this model was fitted on a table with a column plan; pass a DataFrame")
            self.columns_ = None if reset else getattr(self, "columns_", None)
            try:
                X, y = validate_data(self, _real(X), y, dtype=dtype, reset=reset, accept_sparse=("csr", "csc"))
            except ValueError as error:
                if not str(error).startswith("Input X contains NaN"):
                    raise
                raise ValueError(NAN_IN_ARRAY) from error
            # A sparse X is trained a mini-batch at a time, each batch's rows made dense (npdnn.nn.sparse_rows)
            return (sparse_rows(X, None, X.dtype) if is_sparse(X) else X), y
        X_num = self._plan_rows(X, plan, reset, dtype, reads)
        X_num, y = check_X_y(X_num, y, dtype=X_num.dtype)  # the table's own checks are the plan's
        if reset:
            self.n_features_in_ = len(plan.columns)
            self.feature_names_in_ = np.asarray(plan.names, dtype=object)
        return X_num, y

    def _plan_rows(self, X, plan, reset, dtype, reads=None):
        """The plan's outputs (m, n_x) for the table X, after checking its column names."""
        if not hasattr(X, "columns"):
            raise ValueError(
                f"this model reads a table (columns {plan.describe_short()}); "
                "pass a pandas DataFrame with those columns"
            )
        if not reset:
            names = [str(c) for c in X.columns]
            if names != plan.names:
                missing = [n for n in plan.names if n not in names]
                if missing or len(names) != len(plan.names):
                    raise ValueError(f"X lacks the columns {missing} the model was fitted on; it has {names}")
                X = X[plan.names]  # the same columns in another order
        if isinstance(dtype, list):
            dtype = dtype[0]
        return plan.transform(X, dtype=np.dtype(dtype), reads=reads if reset else None)  # reset: X's own columns

    def _predict_rows(self, X):
        """X validated (feature names, shape, finiteness) but not converted when it
        holds floats: the chunks are converted to ``dtype_`` one at a time."""
        if "network_" not in self.__dict__:  # scikit-learn's check (1.7 us) only to raise its error
            check_is_fitted(self)
        # A few finite rows of the right dtype and width, without column names (which
        # validate_data would compare), need none of validate_data's checks (71 us of CPU at 1 row).
        plan = getattr(self, "columns_", None)
        if plan is not None:
            return self._plan_rows(X, plan, False, self.dtype_)
        if is_ready(X, self.n_features_in_, self.dtype_) and not hasattr(self, "feature_names_in_"):
            return X
        try:
            return validate_data(
                self, _real(X), reset=False, dtype=[self.dtype_, np.float64, np.float32], accept_sparse=("csr", "csc")
            )
        except ValueError as error:
            named = _name_the_text(X) if "could not convert" in str(error) else None
            if named is None:
                raise
            raise named from error


def _cannot_center(standardize):
    """Why a sparse X is not standardized: centering makes every zero nonzero (scikit-learn's
    StandardScaler refuses it too), and scaling alone would not be what ``standardize`` means."""
    return ValueError(
        "sparse X cannot be centered without densifying it: pass standardize=False, or scale in the pipeline "
        f"with StandardScaler(with_mean=False) (got standardize={standardize!r})"
    )


def _real(X):
    """Refuse complex X up front with a short message, naming the column of a DataFrame
    (scikit-learn's would print the whole array or table)."""
    dtype = getattr(X, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind == "c":
        raise ValueError(f"Complex data not supported: X has dtype {dtype}; expected real numbers (bool, int or float)")
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return X
    for name, column_dtype in dtypes.items():
        kind = getattr(column_dtype, "kind", "O")
        if kind == "c":
            raise ValueError(
                f"column {name!r} (dtype {column_dtype}): complex data not supported; expected real numbers "
                "(bool, int or float)"
            )
    return X


def _name_the_text(X):
    """After scikit-learn's "could not convert string to float" on a table given to a model of
    numeric columns: a ValueError naming the column and its first value that is not a number
    (a number written as text, "2.5", is one), or None when none is found."""
    for name, dtype in getattr(X, "dtypes", {}).items():
        if getattr(dtype, "kind", "O") in "OSU":
            bad = _first_non_number(X[name])
            if bad is not None:
                return ValueError(
                    f"column {name!r} (dtype {dtype}) holds {_py(bad[0])!r}, not a number; this model was fitted on "
                    "numeric columns only: expected numbers (refit on the table to have its text columns encoded)"
                )
    return None


def _first_non_number(column):
    """``(value,)`` of the first value of ``column`` that is not a number, or None."""
    for value in column:
        if isinstance(value, (bytes, str)):
            try:
                float(value)
                continue
            except ValueError:
                pass
        elif value is None or isinstance(value, numbers.Real):
            continue
        return (value,)
    return None
