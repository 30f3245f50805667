"""The target column of a data file: class labels as the user wrote them.

Labels keep their values: integers stay integers, anything else stays a string
(:func:`parse_labels`). A row without a label is left out of training and scoring, and one
warning says so (:func:`unlabeled_rows_left_out`). Before a split, :func:`check_classes`
refuses a target that cannot be classes: a single class, a class too small for a stratified
split, or a quantity (many distinct numbers with fractions, a price).

Owns: parse_labels, show_label, unlabeled_rows_left_out, check_classes, MAX_FRACTIONAL_CLASSES.
Imports: NumPy, npdnn.errors.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, DataWarning


def parse_labels(cells):
    """Class labels from strings: int64 when every label is an integer, else the
    strings themselves (stripped of surrounding spaces)."""
    labels = [c.strip() for c in cells]
    try:
        return np.array([int(c) for c in labels], dtype=np.int64)
    except (ValueError, OverflowError):
        return np.array(labels, dtype=object)


def show_label(value):
    """A label as the user wrote it: ``"yes"`` quoted, ``1`` bare (no ``np.int64(1)``)."""
    return f'"{value}"' if isinstance(value, (str, np.str_)) else str(value)


def unlabeled_rows_left_out(where, target, what, count, stacklevel=3):
    """The :class:`DataWarning` that ``count`` rows without a label were left out, the first at ``where``
    (``"d.csv, line 3"``) holding ``what`` (``empty``, ``"NA"``, ``null``): nothing can be learned from
    such a row, nor scored, and a user should not have to filter them out first."""
    import warnings

    rows = "that row is" if count == 1 else f"the {count} rows without one are"
    warnings.warn(
        f'{where}, column "{target}" has no label ({what}): {rows} left out', DataWarning, stacklevel=stacklevel
    )


MAX_FRACTIONAL_CLASSES = 20  # more distinct numbers with a fraction than this: a quantity, not classes


def check_classes(y, source, target, minimum=2):
    """Raise DataError unless ``y`` holds at least two classes, each seen at least
    ``minimum`` times (a stratified split needs two of each), and unless it reads as a
    quantity: more than :data:`MAX_FRACTIONAL_CLASSES` distinct numbers, some with a
    fraction (a price, a temperature), where every value would be a class of its own. Whole
    numbers as many, most of them too rare for the split, get the same advice in place of
    the rare class's error (a count, a change in employment)."""
    values, counts = np.unique(y, return_counts=True)
    numbers = _as_numbers(values)
    if numbers is not None and values.size > MAX_FRACTIONAL_CLASSES and np.any(numbers != np.round(numbers)):
        examples = ", ".join(show_label(v) for v in values[:: max(1, values.size // 3)][:3])
        raise DataError(
            f'{source}, column "{target}" holds {values.size} distinct numbers with fractions in {y.shape[0]} rows '
            f"(e.g. {examples}): a quantity to predict rather than classes? npdnn classifies; expected class labels "
            "(text or whole numbers): bin the values first, e.g. above or below their median"
        )
    if values.size < 2:
        raise DataError(
            f'{source}, column "{target}" has a single class ({show_label(values[0])}) in all {y.shape[0]} rows; '
            "expected at least 2 classes"
        )
    rare = counts < minimum
    if rare.any() and numbers is not None and values.size > MAX_FRACTIONAL_CLASSES and 2 * rare.sum() > values.size:
        examples = ", ".join(show_label(v) for v in values[rare][:: max(1, int(rare.sum()) // 3)][:3])
        raise DataError(  # us-employment's nonfarm_change: every class but a few of one row
            f'{source}, column "{target}" holds {values.size} distinct whole numbers in {y.shape[0]} rows, '
            f"{int(rare.sum())} of them on fewer than {minimum} rows (e.g. {examples}): a count or a quantity to "
            "predict rather than classes? npdnn classifies; bin the values first, e.g. above or below their median"
        )
    if rare.any():
        raise DataError(
            f'{source}, column "{target}": class {show_label(values[rare][0])} has only {int(counts[rare][0])} row(s); '
            f"expected at least {minimum} of each class for a train/test split (drop the class's rows, or pass "
            "--test-size 0 to train on every row)"
        )


def _as_numbers(values):
    """``values`` as float64 when every one reads as a finite number (text from a CSV or numbers), else None."""
    if values.dtype.kind == "b":
        return None
    try:
        numbers = values.astype(np.float64)
    except (TypeError, ValueError):
        return None
    return numbers if np.isfinite(numbers).all() else None
