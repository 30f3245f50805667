"""Checks of a training table's columns that warn and change nothing: a column that alone
predicts the label (a copy of it, such as seaborn titanic's ``alive``), and a numeric column
that numbers the rows (Kaggle's ``PassengerId``); and of the labels: text labels that differ
only in case or spaces ("Yes" and "yes", which a hand-kept spreadsheet holds). The column plan
(:mod:`npdnn.sklearn.columns`) decides what becomes an input; these say what a careful user would
want to look at.

Owns: LeakedLabelWarning, RowNumberWarning, SimilarLabelsWarning, leaked_label, row_numbers,
similar_labels.
Imports: NumPy; a column's factorization (:mod:`npdnn.sklearn.column_values`) and the plan's id threshold
(:mod:`npdnn.sklearn.columns`).
"""

from __future__ import annotations

import warnings

import numpy as np

from .column_values import ROW_NAMES, _factorized
from .columns import ID_MIN

LEAK_SHARE = 0.99  # a column that alone predicts this share of the labels is reported
LEAK_MAX_VALUES = 10  # columns with at most this many distinct values are checked, ...
# ... and those with at least this many rows per value on average: a zip code that names the state, a
# date that names the month (plotnine's txhousing). Fewer rows per value, and any column "predicts" any
# label: an id holds one row per value.
LEAK_ROWS_PER_VALUE = 20
# A numeric column of more values is checked by one threshold (worked = weeks > 0, nodegree = educ < 12,
# in Wooldridge's labsup and jtrain2), for two classes, on at most this many evenly spaced rows (a sort
# each), when the rarer class has at least LEAK_MINORITY rows and the threshold misses at most a tenth
# of them (else a column could "separate" a handful of rare rows by chance).
LEAK_THRESHOLD_ROWS = 20_000
LEAK_MINORITY = 10
LEAK_ROWS = 100_000  # rows looked at (evenly spaced) for the check
SHOWN = 5  # columns named in one warning; the rest are counted


class LeakedLabelWarning(UserWarning):
    """Single features predict the label (near-)perfectly on the training rows: one warning names
    them all (five, then a count); its ``shares`` attribute maps each column to its share."""


class RowNumberWarning(UserWarning):
    """A numeric column looks like a row number or an id (it is kept as a feature)."""


class SimilarLabelsWarning(UserWarning):
    """Text labels differ only in case or spaces ("Yes" and "yes"): they train as separate classes."""


def similar_labels(classes, stacklevel=3):
    """Warn (:class:`SimilarLabelsWarning`) when some of the text ``classes`` (the distinct
    labels) differ only in letter case or in spaces around and between words: each is a class
    of its own, which is rarely what the file meant. Nothing is merged (a guess could be wrong)."""
    groups = {}
    for label in np.asarray(classes).tolist():
        if isinstance(label, str):
            groups.setdefault(" ".join(label.split()).casefold(), []).append(label)
    alike = [group for group in groups.values() if len(group) > 1]
    if not alike:
        return
    shown = "; ".join(" and ".join(repr(label) for label in group) for group in alike[:5])
    more = f" (and {len(alike) - 5} more groups)" if len(alike) > 5 else ""
    warnings.warn(
        f"labels {shown}{more} differ only in case or spaces, and each is trained as a class of its own; "
        "make them one label if they mean one class",
        SimilarLabelsWarning,
        stacklevel=stacklevel,
    )


def leaked_label(X, labels, names, target=None, stacklevel=3, reads=None):
    """Warn (:class:`LeakedLabelWarning`) once about the columns of ``X`` (a table or an
    array (m, n)) with at most :data:`LEAK_MAX_VALUES` distinct values, or at least
    :data:`LEAK_ROWS_PER_VALUE` rows per value, that each alone predict ``labels`` (m,)
    (class indices) on at least :data:`LEAK_SHARE` of the rows, when that beats
    predicting the most common class: a copy of the label. A numeric column of more
    values, for two classes: one threshold on it that does so (:func:`_threshold_share`).

    The prediction is, per value of the column, its most common label (read on at
    most :data:`LEAK_ROWS` evenly spaced rows). ``reads``: the column plan's reading of
    the table's text columns (:meth:`~npdnn.sklearn.columns.ColumnPlan.fit`), used when
    every row is looked at."""
    m = labels.shape[0]
    if m < 20:
        return
    rows = np.linspace(0, m - 1, min(m, LEAK_ROWS)).astype(np.intp)
    y = labels[rows]
    majority = np.bincount(y).max() / y.shape[0]
    label = f"{target!r}" if target is not None else "the label"
    found = []
    every = rows.size == m  # no copy of the column when every row is read
    max_values = max(LEAK_MAX_VALUES, rows.size // LEAK_ROWS_PER_VALUE)
    n_classes = int(y.max()) + 1
    sample = np.linspace(0, rows.size - 1, min(rows.size, LEAK_THRESHOLD_ROWS)).astype(np.intp)
    threshold = n_classes == 2 and np.bincount(y[sample], minlength=2).min() >= LEAK_MINORITY
    for j, name in enumerate(names):
        if hasattr(X, "iloc"):
            column = X.iloc[:, j] if every else X.iloc[rows, j]
        else:
            column = X[:, j] if every else X[rows, j]
        codes = _codes(column, max_values, reads.get(j) if every and reads is not None else None)
        if codes is not None:
            table = np.bincount(codes * n_classes + y, minlength=(codes.max() + 1) * n_classes)
            share = table.reshape(-1, n_classes).max(axis=1).sum() / y.shape[0]
        elif threshold and getattr(column.dtype, "kind", "O") in "iuf":
            share = _threshold_share(_floats(column)[sample], y[sample])
        else:
            continue
        if share >= LEAK_SHARE and share > majority + 0.01:
            found.append((name, share))
    if not found:
        return
    if len(found) == 1:
        ((name, share),) = found
        text = f"column {str(name)!r} alone predicts {label} on {share:.0%} of training rows: a copy of the label?"
    else:  # one warning: a panel's change columns, missing in its first year, each name the year (13 in lowbrth)
        shown = ", ".join(repr(str(name)) for name, _ in found[:SHOWN])
        more = f" (and {len(found) - SHOWN} more)" if len(found) > SHOWN else ""
        low, high = (f"{f(share for _, share in found):.0%}" for f in (min, max))
        shares = low if low == high else f"{low} to {high}"
        text = f"columns {shown}{more} each alone predict {label} on {shares} of training rows: copies of the label?"
    w = LeakedLabelWarning(text)
    w.shares = dict(found)
    warnings.warn(w, stacklevel=stacklevel)


def row_numbers(X, names, stacklevel=3):
    """Warn (:class:`RowNumberWarning`), once for all of them, about the numeric columns of the table
    ``X`` (m, n) that hold a different whole number on every training row, all within a range at
    most twice the rows: a row number or an id (Kaggle's ``PassengerId``, ``Id``). Such a column
    stays a feature (a count, a rank or a date code can look alike); the warning says what to do.
    Its text names the columns and nothing that changes with the split; each column's range is in
    the warning's ``ranges`` ({name: (low, high)}).

    Cheap on ordinary columns: one with a fraction among its first 1,000 values, or a range
    wider than twice the rows, is passed over before any sort."""
    m = X.shape[0]
    if m <= ID_MIN:
        return
    ranges = {}
    for j, name in enumerate(names):
        column = X.iloc[:, j]
        if getattr(column.dtype, "kind", "O") not in "iuf":
            continue
        head = column.iloc[:1000].to_numpy(dtype=np.float64, na_value=np.nan)  # not the whole column
        if not np.isfinite(head).all() or (head != np.round(head)).any():
            continue
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(values).all() or (values != np.round(values)).any():
            continue
        low, high = float(values.min()), float(values.max())
        # m distinct whole numbers span at least m: a narrower column (an age, a count) needs no sort
        if not m <= high - low + 1 <= 2 * m or np.unique(values).size != m:
            continue
        ranges[name] = (low, high)
    if not ranges:
        return
    # read_csv without index_col on a file with row names (347 of 407 pydataset files, in one sweep)
    tail = f" ('{ROW_NAMES}' is a file's row names, as pandas reads them: read_csv(..., index_col=0))"
    tail = tail if ROW_NAMES in ranges else ""
    if len(ranges) == 1:
        text = (
            f"column {str(next(iter(ranges)))!r} holds a different whole number on every training row: a row "
            "number or an id? It is used as a feature; drop it if it says nothing about the label" + tail
        )
    else:
        shown = ", ".join(repr(str(name)) for name in list(ranges)[:SHOWN])
        more = f" (and {len(ranges) - SHOWN} more)" if len(ranges) > SHOWN else ""
        text = (
            f"columns {shown}{more} each hold a different whole number on every training row: row numbers, ids "
            "or ranks? They are used as features; drop those that say nothing about the label" + tail
        )
    w = RowNumberWarning(text)
    w.ranges = ranges
    warnings.warn(w, stacklevel=stacklevel)


def _threshold_share(values, y):
    """The largest share of the rows (m,) that one threshold on ``values`` (m,) predicts, each side
    of it (and the missing values) predicting its most common class of the two in ``y`` (m,), or 0.0
    when that misses more than a tenth of the rarer class's rows."""
    missing = np.isnan(values)
    order = np.argsort(values[~missing], kind="stable")
    v, ones = values[~missing][order], np.cumsum(y[~missing][order])
    # Splits after each row whose value differs from the next (ties stay on one side), and none.
    left = np.concatenate([[0], np.flatnonzero(v[:-1] != v[1:]) + 1, [v.size]])
    ones_left = np.concatenate([[0], ones])[left]
    ones_right = (ones[-1] if v.size else 0) - ones_left
    zeros_left, zeros_right = left - ones_left, (v.size - left) - ones_right
    right = np.maximum(ones_left, zeros_left) + np.maximum(ones_right, zeros_right)
    nan_ones = int(y[missing].sum())
    correct = int(right.max()) + max(nan_ones, int(missing.sum()) - nan_ones)
    rarer = min(int(y.sum()), y.size - int(y.sum()))
    return correct / y.size if y.size - correct <= rarer / 10 else 0.0


def _floats(column):
    """A numeric column (a Series, nullable ones included, or an array) as float64 (m,), NaN where missing."""
    values = column.to_numpy(dtype=np.float64, na_value=np.nan) if hasattr(column, "to_numpy") else column
    return np.asarray(values, dtype=np.float64)


def _codes(column, most, read=None):
    """Integer codes (k,) of a column's values (missing as its own value), or None when
    it has more than ``most`` distinct values. ``read``: the column's
    ``_factorized`` codes and texts when known."""
    if getattr(column.dtype, "kind", "O") in "biuf":
        import pandas as pd

        values = _floats(column)
        # Hashed, not sorted (a fifth of np.unique's time on adult's columns): the same values are one
        # (0.0 and -0.0 too), the NaNs one more, and the share below does not depend on which code is which.
        codes, uniques = pd.factorize(values)
        if uniques.size + bool((codes < 0).any()) > most:
            return None
        return np.where(codes < 0, uniques.size, codes)
    codes, texts = _factorized(column) if read is None else read
    if texts.size + bool((codes < 0).any()) > most:
        return None
    codes = codes.astype(np.intp)  # a read's codes are narrow: the table's index below must not overflow
    return np.where(codes < 0, texts.size, codes)  # missing: one more value
