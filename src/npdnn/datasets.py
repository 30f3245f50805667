"""Data for the command line: a user's CSV file, or the bundled default.

A CSV file has a header row naming the columns, then one sample per line. Every
feature cell must be a finite number; the target column (the class labels) may
hold any values: integers stay integers, anything else stays a string.

Each problem raises :class:`DataError` with one line naming the file, the line
(as an editor counts it, the header being line 1), the column and what was
expected, e.g. ``data.csv, line 8, column "x3": "abc" is not a number``.

A well-formed file is read by ``pandas.read_csv`` (its C parser), after a
vectorized count of the fields on every line. ``pandas.read_csv`` alone would
hide three of the errors this reader must report: it pads a short (ragged) row
with empty cells, renames duplicate columns to ``x.1``, and skips blank lines, so
its row numbers drift from the file's line numbers. So the header is checked
first, and any file pandas cannot vouch for (a parse error, a non-finite or empty
cell, quoted fields) is read again, slowly, with the standard library's
:mod:`csv` module, which finds the first bad cell and its line.
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np

DEFAULT_NAME = "breast cancer Wisconsin diagnostic (bundled with scikit-learn)"
DEFAULT_TARGET = "diagnosis"


class DataError(ValueError):
    """Bad data: one line naming the file, line and column and what was expected."""


def _read_rows(path, header_only=False):
    """Return ``(header, rows, lines)``: the header cells, the data rows (lists of
    strings, all as long as the header) and each row's line number; with
    ``header_only``, stop after the header (``rows`` and ``lines`` are empty)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise DataError(f"{path} is a directory; expected a CSV file")
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file; expected a CSV file")
    header, rows, lines = None, [], []
    try:
        # utf-8-sig: a byte-order mark (as spreadsheet programs write) is not part of the first name.
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            for cells in reader:
                if not cells:  # a blank line
                    continue
                if header is None:
                    header = cells
                    if header_only:
                        break
                    continue
                if len(cells) != len(header):
                    raise DataError(
                        f"{path}, line {reader.line_num}: {len(cells)} fields; expected {len(header)} as in the header"
                    )
                rows.append(cells)
                lines.append(reader.line_num)
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path} is not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start}); expected a UTF-8 CSV file"
        ) from None
    except csv.Error as e:
        raise DataError(f"{path}, line {reader.line_num}: not valid CSV ({e})") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied; expected a readable CSV file") from None
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror or e}); expected a CSV file") from None
    if header is None:
        raise DataError(f"{path} is empty; expected a header row naming the columns, then data rows")
    _check_header(path, header)
    if not rows and not header_only:
        raise DataError(f"{path} has a header but no data rows; expected at least one sample")
    return header, rows, lines


def _check_header(path, header):
    seen = {}
    for j, name in enumerate(header, start=1):
        if not name.strip():
            hint = " (an index column saved by pandas? save with index=False)" if j == 1 else ""
            raise DataError(f"{path}, line 1: column {j} has an empty name{hint}; expected a name for every column")
        if name in seen:
            raise DataError(
                f'{path}, line 1: column name "{name}" appears twice (columns {seen[name]} and {j}); '
                "expected unique names"
            )
        seen[name] = j


def _columns_error(path, missing, header, what, needed_by=None):
    shown = ", ".join(f'"{c}"' for c in header)
    hint = ""
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        hint = " (is the file comma-separated?)"
    names = ", ".join(f'"{c}"' for c in missing)
    needed = f" (needed by {needed_by})" if needed_by else ""
    return DataError(f"{path} has no {what} {names}{needed}; its columns are {shown}{hint}")


def _show_cell(cell, limit=40):
    """A cell for a message: quoted, control characters escaped, long ones cut."""
    short = cell[:limit]
    shown = f'"{short}"' if short.isprintable() else repr(short)
    return shown + ("..." if len(cell) > limit else "")


def _to_numbers(path, raw, names, lines):
    """Object array of strings (m, n) -> float64 (m, n), or DataError at the first
    bad cell (in file order: by line, then by column)."""
    import pandas as pd

    frame = pd.DataFrame(raw, columns=names)
    values = frame.apply(lambda col: pd.to_numeric(col, errors="coerce")).to_numpy(dtype=np.float64)
    finite = np.isfinite(values)
    if finite.all():
        return values
    i, j = (int(k) for k in np.argwhere(~finite)[0])
    cell = raw[i, j]
    where = f'{path}, line {lines[i]}, column "{names[j]}"'
    if not cell.strip():
        raise DataError(f"{where} is empty; expected a number")
    try:
        value = float(cell)
    except ValueError:
        value = None
    if value is None or np.isfinite(value):  # np.isfinite: float() reads "1_000", pandas does not
        raise DataError(f"{where}: {_show_cell(cell)} is not a number")
    raise DataError(
        f"{where}: {_show_cell(cell)} is not finite (NaN or infinity, or too large); expected a finite number"
    )


def parse_labels(cells):
    """Class labels from strings: int64 when every label is an integer, else the
    strings themselves (stripped of surrounding spaces)."""
    labels = [c.strip() for c in cells]
    try:
        return np.array([int(c) for c in labels], dtype=np.int64)
    except (ValueError, OverflowError):
        return np.array(labels, dtype=object)


def read_csv(path, target=None, features=None, needed_by=None):
    """Read a CSV file into features, labels and feature names.

    Parameters
    ----------
    path : str or path-like
    target : str or None
        Name of the label column; None when the file has no labels to read.
    features : list of str or None
        The feature columns to read, in this order (other columns are not read, so
        an id column does no harm); None reads every column except ``target``.
    needed_by : str or None
        Who asks for ``features`` (e.g. ``"model model.npz"``), named in the
        error when a column is missing.

    Returns
    -------
    X : pandas.DataFrame (m, n_features) of float64, columns named as in the file
    y : ndarray (m,) of labels (int64 or str objects), or None without ``target``
    """
    import pandas as pd

    header, _, _ = _read_rows(path, header_only=True)
    if target is not None and target not in header:
        raise _columns_error(path, [target], header, "target column")
    if features is None:
        features = [c for c in header if c != target]
        if not features:
            raise DataError(f'{path} has only the target column "{target}"; expected feature columns too')
    else:
        missing = [c for c in features if c not in header]
        if missing:
            raise _columns_error(path, missing, header, "column" + ("s" if len(missing) > 1 else ""), needed_by)
    fast = _read_fast(path, len(header), list(features), target)
    if fast is not None:
        return fast
    header, rows, lines = _read_rows(path)
    index = {name: j for j, name in enumerate(header)}
    grid = np.array(rows, dtype=object)  # (m, n_columns) strings
    X = _to_numbers(path, grid[:, [index[c] for c in features]], list(features), lines)
    y = None
    if target is not None:
        cells = grid[:, index[target]]
        empty = [i for i, c in enumerate(cells) if not c.strip()]
        if empty:
            raise DataError(f'{path}, line {lines[empty[0]]}, column "{target}" is empty; expected a class label')
        y = parse_labels(cells)
    return pd.DataFrame(X, columns=list(features)), y


def show_label(value):
    """A label as the user wrote it: ``"yes"`` quoted, ``1`` bare (no ``np.int64(1)``)."""
    return f'"{value}"' if isinstance(value, (str, np.str_)) else str(value)


def _read_fast(path, n_columns, features, target):
    """``(X, y)`` as :func:`read_csv` returns them, read by pandas' C parser (about
    20 times faster than the csv module), or None when this path cannot vouch for
    the file: quoted fields or bare carriage returns (the csv module then handles
    them), or any problem at all, which the slow path then diagnoses exactly.
    The header is already checked."""
    import pandas as pd

    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    raw = raw.replace(b"\r\n", b"\n")
    if b'"' in raw or b"\r" in raw:
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Fields per line from comma counts, so a short row is caught (pandas would pad it).
    buf = np.frombuffer(raw, dtype=np.uint8)
    newlines = np.flatnonzero(buf == ord("\n"))
    starts, ends = np.r_[0, newlines + 1], np.r_[newlines, buf.size]
    commas = np.flatnonzero(buf == ord(","))
    fields = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    fields = fields[ends > starts]  # blank lines are skipped, as the csv module does
    if fields.size < 2 or (fields != n_columns).any():
        return None
    columns = features + ([] if target is None else [target])
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            usecols=columns,
            dtype={**dict.fromkeys(features, np.float64), **({} if target is None else {target: str})},
            keep_default_na=False,
            na_values=dict.fromkeys(features, [""]),
            engine="c",
        )
    except (ValueError, pd.errors.ParserError):
        return None
    X = frame[features].to_numpy(dtype=np.float64)
    if len(frame) != fields.size - 1 or not np.isfinite(X).all():
        return None
    y = None
    if target is not None:
        cells = frame[target].to_numpy(dtype=object)
        if any(not c.strip() for c in cells):
            return None
        y = parse_labels(cells)
    return pd.DataFrame(X, columns=features), y


def check_classes(y, source, target, minimum=2):
    """Raise DataError unless ``y`` holds at least two classes, each seen at least
    ``minimum`` times (a stratified split needs two of each)."""
    values, counts = np.unique(y, return_counts=True)
    if values.size < 2:
        raise DataError(
            f'{source}, column "{target}" has a single class ({show_label(values[0])}) in all {y.shape[0]} rows; '
            "expected at least 2 classes"
        )
    rare = counts < minimum
    if rare.any():
        raise DataError(
            f'{source}, column "{target}": class {show_label(values[rare][0])} has only {int(counts[rare][0])} row(s); '
            f"expected at least {minimum} of each class for a train/test split"
        )


def load_default():
    """The bundled breast-cancer Wisconsin diagnostic data: 569 samples, 30 features.

    Returns ``(X, y)`` with X a float64 DataFrame (scikit-learn's feature names)
    and y the labels ``"malignant"`` / ``"benign"`` as strings.
    """
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    X = data.data.astype(np.float64)
    y = np.asarray(data.target_names, dtype=object)[data.target.to_numpy()]
    return X, y
