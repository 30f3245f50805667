"""A column plan: how each column of a table becomes network inputs, learned on the
training rows only, stored in the model file as JSON and applied identically by every
``predict`` (Python and the command line) and by the ONNX graph.

Per input column, one treatment (``kind``):

============  ======================================================================
numeric       numbers; a missing value (NaN) becomes the training median, and a 0/1
              indicator column ``name=missing`` is added when the training rows had one
boolean       ``True/False``, ``yes/no`` (any case), a bool dtype: 1 and 0; missing as numeric
categorical   one 0/1 column per category seen in training on ``MIN_CATEGORY_ROWS`` rows
              or more (the ``MAX_ONE_HOT`` most frequent); an unseen (or grouped-rare, or
              missing) value: all zeros; plus a missing indicator when the training rows
              had missing values
dropped       not an input: a text column with a distinct value in (nearly) every row
              (an id, a name), one with no category on ``MIN_CATEGORY_ROWS`` rows, a column
              typed as dates (datetime64, Period), or a column with no value at all;
              reported by a warning
============  ======================================================================

A value no treatment can read faithfully is refused (ValueError naming the column, its dtype and
the value) at fit and at predict alike: a complex number, bytes. So is, at fit, a column of numbers
with a few words in it (as the command line's CSV reader refuses it).

Scaling is not done here: the estimator's ``mean_`` / ``scale_`` (standard or robust)
apply to the plan's output, with the 0/1 columns left as they are (see ``scaled``).

Owns: ColumnPlan, needs_plan, DroppedColumnWarning. How a column's values are read (their canonical
texts, numbers, what a text column looks like it holds) is in :mod:`npdnn.sklearn.column_values`; the
checks that only warn about a table's columns (a copy of the label, a row number) are in
:mod:`npdnn.sklearn.column_checks`.
Imports: NumPy; pandas lazily (only tables need a plan); the reading of values (column_values).
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np

from .column_values import (
    MAX_CATEGORY_CHARS,
    _check_mixed,
    _factorized,
    _is_boolean,
    _is_date,
    _numbers,
    _text_hint,
    _Unusable,
)

MAX_COLUMNS = 10_000  # input columns a plan (and a model file) may describe
MAX_ONE_HOT = 100  # categories kept per column; the rest are encoded like an unseen one
# A category seen on fewer training rows is encoded like an unseen one: a column of its own would be
# fitted to a handful of labels (scikit-learn's OneHotEncoder(min_frequency=5) in benchmarks/panel.py).
MIN_CATEGORY_ROWS = 5
MAX_PLAN_BYTES = 2 * 2**20  # a plan's JSON: half of what a model file's metadata may hold (files.archive)
ID_FRACTION = 0.9  # a text column with distinct values in >= 90% of its rows (and > ID_MIN of them) is an id
ID_MIN = 20
KINDS = ("numeric", "boolean", "categorical", "dropped")
# A column typed as dates (datetime64, with or without a time zone; Period; Python dates) is dropped whatever
# its count of distinct values: which number a date should be is the user's call (a date as a category
# would be unseen for every later date). Named in categorical_features, its values are one-hot encoded.
DATES_NOTE = (
    "turn them into numbers first: a day count, the month, the weekday (or list the column in categorical_features; "
    "--categorical on the command line)"
)


class DroppedColumnWarning(UserWarning):
    """A column is not used as a feature (an id, a name, an empty column)."""


def _refused(name, column, error):
    return ValueError(f"column {name!r} (dtype {getattr(column, 'dtype', 'object')}): {error}")


def needs_plan(X):
    """Whether ``X`` is a table (a pandas DataFrame) that plain float conversion would not
    read faithfully: a text, category or bool column, or a missing value."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns") or getattr(X, "ndim", 2) != 2:
        return False
    for name, dtype in zip(X.columns, dtypes, strict=True):
        kind = getattr(dtype, "kind", "O")
        if kind not in "iuf" or str(dtype) != np.dtype(kind + str(dtype.itemsize)).name:
            return True  # object, category, bool, string, nullable Int64 ...
        if kind == "f" and bool(X[name].isna().to_numpy().any()):
            return True
    return False


class ColumnPlan:
    """Per input column its ``kind``, imputation value, indicator and categories.

    ``columns`` is a list of dicts ``{"name", "kind", "fill", "indicator",
    "categories", "note"}``; ``output_names`` (n_out,) names the network inputs and
    ``scaled`` (n_out,) marks those the estimator's scaling applies to (numeric ones).
    """

    def __init__(self, columns):
        self.columns = columns
        self.output_names, self.scaled = [], []
        for c in columns:
            if c["kind"] == "numeric":
                self.output_names.append(c["name"])
                self.scaled.append(True)
            elif c["kind"] == "boolean":
                self.output_names.append(c["name"])
                self.scaled.append(False)
            elif c["kind"] == "categorical":
                self.output_names += [f"{c['name']}={v}" for v in c["categories"]]
                self.scaled += [False] * len(c["categories"])
            if c["kind"] != "dropped" and c["indicator"]:
                self.output_names.append(f"{c['name']}=missing")
                self.scaled.append(False)
        self.scaled = np.array(self.scaled, dtype=bool)
        if not self.output_names:
            raise ValueError(
                "no column is left to learn from: every column was dropped (" + self.describe_short() + ")"
            )

    @property
    def names(self):
        return [c["name"] for c in self.columns]

    # -------------------------------------------------------------- fit
    @classmethod
    def fit(cls, X, categorical=(), reads=None):
        """Learn the plan from a DataFrame ``X`` (m, n) of training rows; ``categorical``
        names columns to treat as categories even when they hold numbers (codes).

        ``reads``: a dict that receives, by column position, ``_factorized(column)`` of each
        text column the plan keeps, for :meth:`transform` and the checks of the same table at
        fit (their ``reads``) instead of a second and a third reading of each. Held for all
        columns at once, so the codes are kept as the narrowest integer type (int8 up to 127 texts)."""
        if X.shape[1] > MAX_COLUMNS:
            raise ValueError(f"X has {X.shape[1]} columns; a column plan holds at most {MAX_COLUMNS}")
        columns, dropped = [], []
        for j, name in enumerate(X.columns):
            column = X.iloc[:, j]
            as_category = name in categorical or str(getattr(column, "dtype", "")) == "category"
            try:
                entry, read = _fit_column(str(name), column, as_category)
            except _Unusable as error:
                raise _refused(str(name), column, error) from None
            if entry["kind"] == "dropped":
                dropped.append(f"{entry['name']!r} ({entry['note']})")
            elif reads is not None and read is not None and _reused(entry, column):
                codes, texts = read  # not a bool column's: its numbers are read without them
                reads[j] = (codes.astype(np.min_scalar_type(-texts.size - 1)), texts)
            columns.append(entry)
        plan = cls(columns)
        size = len(json.dumps(plan.to_json()))
        if size > MAX_PLAN_BYTES:
            raise ValueError(
                f"the column plan of these {X.shape[1]} columns takes {size} bytes, more than a model file holds "
                f"({MAX_PLAN_BYTES}); drop some text columns or shorten their categories"
            )
        if dropped:
            warnings.warn(
                "not used as features: " + _abbreviate(dropped) + "; drop them yourself to silence this",
                DroppedColumnWarning,
                stacklevel=4,  # here, DNNClassifier._fit_plan, fit, the user's call
            )
        return plan

    # -------------------------------------------------------------- transform
    def transform(self, X, dtype=np.float64, reads=None):
        """The network inputs (m, n_out) of ``dtype`` for the table ``X`` (m, n), its
        columns taken by position (the estimator checks their names). ``reads``: what
        :meth:`fit` read of this very table (its ``reads``), or None."""
        m = X.shape[0]
        if X.shape[1] != len(self.columns):
            raise ValueError(f"X has {X.shape[1]} columns; the column plan expects {len(self.columns)}")
        out = np.zeros((m, len(self.output_names)), dtype=dtype)
        k = 0
        for j, c in enumerate(self.columns):
            if c["kind"] == "dropped":
                continue
            column = X.iloc[:, j] if hasattr(X, "iloc") else _series(X[:, j])
            try:
                k = self._transform_column(c, column, out, k, None if reads is None else reads.get(j))
            except _Unusable as error:
                raise _refused(c["name"], column, error) from None
        return out

    @staticmethod
    def _transform_column(c, column, out, k, read=None):
        """Writes column ``c``'s inputs into ``out[:, k:]``; returns the next free index.
        ``read``: the column's ``_factorized`` codes and texts when known."""
        if c["kind"] == "categorical":
            codes, texts = _factorized(column) if read is None else read
            missing = codes < 0
            known = {v: i for i, v in enumerate(c["categories"])}
            hit = np.array([known.get(t, -1) for t in texts] + [-1], dtype=np.intp)[codes]  # -1: unseen
            rows = np.flatnonzero(hit >= 0)
            out[rows, k + hit[rows]] = 1
            k += len(c["categories"])
        else:
            values = _numbers(column, c["name"], read, truth=c["kind"] == "boolean")
            missing = np.isnan(values)
            values[missing] = c["fill"]
            out[:, k] = values
            k += 1
        if c["indicator"]:
            out[:, k] = missing
            k += 1
        return k

    # -------------------------------------------------------------- file
    def to_json(self):
        return {"columns": [dict(c) for c in self.columns]}

    @classmethod
    def from_json(cls, data):
        """The plan a model file's JSON describes; TypeError / ValueError on anything malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
            raise TypeError("the column plan must be an object with a list of columns")
        columns = data["columns"]
        if not 1 <= len(columns) <= MAX_COLUMNS:
            raise ValueError(f"a column plan holds 1 to {MAX_COLUMNS} columns; got {len(columns)}")
        out = []
        for c in columns:
            if not isinstance(c, dict) or not isinstance(c.get("name"), str) or c.get("kind") not in KINDS:
                raise ValueError(f"invalid column in the plan: {str(c)[:200]}")
            fill, categories = c.get("fill"), c.get("categories")
            if c["kind"] in ("numeric", "boolean") and (
                isinstance(fill, bool) or not isinstance(fill, (int, float)) or not math.isfinite(fill)
            ):
                raise ValueError(f"column {c['name']!r}: fill must be a finite number; got {fill!r}")
            if c["kind"] == "categorical" and (
                not isinstance(categories, list)
                or not 1 <= len(categories) <= MAX_ONE_HOT
                or not all(isinstance(v, str) and len(v) <= MAX_CATEGORY_CHARS for v in categories)
                or len(set(categories)) != len(categories)
            ):
                raise ValueError(f"column {c['name']!r}: categories must be 1 to {MAX_ONE_HOT} distinct short texts")
            if not isinstance(c.get("indicator"), bool):
                raise ValueError(f"column {c['name']!r}: indicator must be true or false")
            out.append(
                {
                    "name": c["name"],
                    "kind": c["kind"],
                    "fill": None if fill is None else float(fill),
                    "indicator": c["indicator"],
                    "categories": None if categories is None else list(categories),
                    "note": str(c.get("note", ""))[:200],
                }
            )
        return cls(out)

    # -------------------------------------------------------------- text
    def describe(self):
        """One line per input column: its treatment."""
        lines = []
        for c in self.columns:
            if c["kind"] == "numeric":
                text = f"numeric, missing -> median {c['fill']:.6g}"
            elif c["kind"] == "boolean":
                text = f"boolean (1/0), missing -> {c['fill']:.6g}"
            elif c["kind"] == "categorical":
                shown = ", ".join(c["categories"][:8]) + (", ..." if len(c["categories"]) > 8 else "")
                text = f"categorical, one-hot over {len(c['categories'])} categories ({shown}); unseen -> all zeros"
            else:
                text = f"dropped ({c['note']})"
            if c["kind"] != "dropped" and c["indicator"]:
                text += f"; + indicator {c['name']}=missing"
            if c["kind"] != "dropped" and c["note"]:
                text += f"; {c['note']}"
            lines.append(f"{c['name']}: {text}")
        return lines

    def describe_short(self):
        return _abbreviate([f"{c['name']!r}: {c['kind']}" for c in self.columns])


def _series(values):
    import pandas as pd

    return pd.Series(values, dtype=object)


def _reused(entry, column):
    """Whether a transform reads this kept column through its ``_factorized`` codes and texts:
    a categorical one, or text read as numbers (a bool column's numbers are read without them)."""
    return entry["kind"] == "categorical" or column.dtype.kind == "O"


def _fit_column(name, column, as_category):
    """``(entry, read)``: the column's plan entry and its ``_factorized`` codes and texts, or
    None where it was not read as text."""
    given_as_category = as_category  # named by the user (or a category dtype): its texts are what they mean
    entry = {"name": name, "kind": "numeric", "fill": None, "indicator": False, "categories": None, "note": ""}
    if not as_category and _is_date(column):
        return {**entry, "kind": "dropped", "note": f"dates ({str(column.dtype)[:60]}); {DATES_NOTE}"}, None
    codes, texts = (
        (None, None) if (getattr(column.dtype, "kind", "O") in "iufm" and not as_category) else _factorized(column)
    )
    read = None if texts is None else (codes, texts)
    if texts is not None and not as_category and not _is_boolean(column, texts):
        try:  # text that is all numbers (a file read as text) is numeric
            _numbers(column, name, read)
        except ValueError:
            _check_mixed(name, codes, texts)  # numbers with a few words: refused
            as_category = True
    if as_category:
        present = int(np.count_nonzero(codes >= 0))
        if present == 0:
            return {**entry, "kind": "dropped", "note": "no value in the training rows"}, read
        by_text = np.argsort(texts.astype(str), kind="stable")  # ties in count: the first text first
        values, counts = texts[by_text].astype(str), np.bincount(codes[codes >= 0], minlength=texts.size)[by_text]
        hint = "" if given_as_category else _text_hint(values)
        if values.size > ID_MIN and values.size >= ID_FRACTION * present:
            note = hint or f"{values.size} distinct values in {present} rows: an id or a name?"
            return {**entry, "kind": "dropped", "note": note}, read
        order = np.argsort(-counts, kind="stable")[:MAX_ONE_HOT]
        order = order[counts[order] >= MIN_CATEGORY_ROWS]
        if order.size == 0:
            note = f"no category seen on {MIN_CATEGORY_ROWS} training rows or more"
            return {**entry, "kind": "dropped", "note": note + (f"; {hint}" if hint else "")}, read
        kept = sorted(values[order].tolist())
        note = (
            f"{values.size - len(kept)} categories seen on under {MIN_CATEGORY_ROWS} rows or beyond the {MAX_ONE_HOT} "
            "most common grouped as unseen"
            if values.size > len(kept)
            else ""
        )
        note = "; ".join(n for n in (note, hint) if n)
        return {
            **entry,
            "kind": "categorical",
            "categories": kept,
            "indicator": present < codes.size,
            "note": note,
        }, read
    kind = "boolean" if texts is not None and _is_boolean(column, texts) else "numeric"
    values = _numbers(column, name, read, truth=kind == "boolean")
    missing = np.isnan(values)
    if missing.all():
        return {**entry, "kind": "dropped", "note": "no value in the training rows"}, read
    if kind == "boolean":
        fill = float(np.mean(values[~missing]) >= 0.5)  # the more common value
    else:
        fill = float(np.median(values[~missing]))
    note = "a duration, in seconds" if getattr(column.dtype, "kind", "O") == "m" else ""
    return {**entry, "kind": kind, "fill": fill, "indicator": bool(missing.any()), "note": note}, read


def _abbreviate(items, limit=10):
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
