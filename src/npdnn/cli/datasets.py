"""Data for the command line: a user's CSV file, or the bundled default.

A CSV file has a header row naming the columns (or none, with ``header=False``: the
columns are then named ``"0"`` ... ``"n-1"``, as pandas numbers them), then one sample
per line; a space after a separator is ignored. A first header cell left empty names the
file's row names (R's ``write.csv``, pandas' ``to_csv``): read as :data:`ROW_NAMES`, not a
feature. A feature column holds numbers, or text (categories, booleans); a missing value is
an empty cell, one of pandas' NA strings (:data:`NA_VALUES`), ``?``, or one of ``na_values``. The target column (the
class labels) may hold any values: integers stay integers, anything else stays a string.
A column that mixes numbers with a few words is an error (a typo, or an unlisted
missing marker); every such column is named in one message.

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
import os
import re

import numpy as np

from ..errors import DataError, DataWarning
from ..sklearn.column_values import DECIMAL_COMMA, invisible_character
from .bounded import InputLimitError, check_regular, shown_columns
from .csv_fields import WHITESPACE, count_separators, csv_reader, open_text
from .csv_header import (
    ENCODING_HINT,
    NO_HEADER_HINT,
    ROW_NAMES,
    check_encoding,
    check_header,
    check_separator_line,
    feature_columns,
    looks_like_data,
    one_byte_or_utf8,
)
from .file_kinds import binary_kind
from .labels import parse_labels, unlabeled_rows_left_out

DEFAULT_NAME = "breast cancer Wisconsin diagnostic (bundled with scikit-learn)"
DEFAULT_TARGET = "diagnosis"


# pandas' default missing-value strings (pandas.read_csv's na_values), plus "?" (UCI's marker)
NA_VALUES = frozenset(
    "#N/A,#N/A N/A,#NA,-1.#IND,-1.#QNAN,-NaN,-nan,1.#IND,1.#QNAN,<NA>,N/A,NA,NULL,NaN,None,n/a,nan,null,?".split(",")
) | {""}
# A label is missing on fewer markers: "None" is an answer (Arthritis' Improved: None, Some, Marked),
# a class far more often than a missing label, and a row without a label is a row lost; in a
# feature it is a missing value with its indicator, which keeps what it says.
LABEL_NA_VALUES = NA_VALUES - {"None"}
PROBLEMS_SHOWN = 5  # bad columns named in one message; the rest are counted
THOUSANDS = (",", ".", "'")  # --thousands: 1,234,567 (English), 1.234.567 (German, with --decimal ,), 1'234'567 (Swiss)
# Every cell a number with "," groups and a point ("1,234.50", "3,000,000", "12"): read as text
# without --thousands; the warning names such a column (at least one cell must hold a ",").
THOUSANDS_GROUPED = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d*)?")


def _label_markers(na_values):
    """The cells that mark a missing label: :data:`LABEL_NA_VALUES` and the user's ``na_values``."""
    return LABEL_NA_VALUES | {str(v) for v in na_values}


def _read_rows(path, header_only=False, sep=",", has_header=True, encoding=None):
    """Return ``(header, rows, lines)``: the header cells, the data rows (lists of
    strings, all as long as the header) and each row's line number; with
    ``header_only``, stop after the header (``rows`` and ``lines`` are empty)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise DataError(f"{path} is a directory; expected a CSV file")
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file; expected a CSV file")
    try:
        check_regular(path)  # a FIFO would be read once for the header and hang on the second open
    except InputLimitError as e:
        raise DataError(str(e)) from None
    header, rows, lines, reader = None, [], [], None
    try:
        # utf-8-sig: a byte-order mark (as spreadsheet programs write) is not part of the first name.
        with open_text(path, sep, encoding) as f:
            reader = csv_reader(f, sep, strict=True)
            for cells in reader:
                if not cells or _blank(cells, sep):  # a blank line, or one of spaces and tabs only (as pandas)
                    continue
                if header is None:
                    if any("\x00" in cell for cell in cells):  # UTF-8 decodes NUL bytes: UTF-16 without its mark
                        raise DataError(f"{path} is {binary_kind(path) or 'not text'}; expected a CSV file")
                    header = cells if has_header else [str(j) for j in range(len(cells))]
                    if header_only:
                        break
                    if has_header:
                        continue
                if len(cells) != len(header):
                    hint = ""
                    if not rows and len(cells) > len(header):  # scikit-learn's wine_data.csv: counts above the header
                        hint = " (a title or a note above the header? the first line must name the columns)"
                    raise DataError(
                        f"{path}, line {reader.line_num}: {len(cells)} fields; expected {len(header)} as in the header"
                        + hint
                    )
                rows.append(cells)
                lines.append(reader.line_num)
    except UnicodeDecodeError as e:
        if (kind := binary_kind(path)) is not None:  # not text at all: an encoding is the wrong advice
            raise DataError(f"{path} is {kind}; expected a CSV file") from None
        raise DataError(
            f"{path} is not {encoding or 'UTF-8'} text (byte 0x{e.object[e.start]:02x} at offset {e.start}); "
            + (f"expected a CSV file in {encoding}" if encoding else f"expected a UTF-8 CSV file ({ENCODING_HINT})")
        ) from None
    except csv.Error as e:
        raise DataError(f"{path}, line {reader.line_num}: not valid CSV ({e})") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied; expected a readable CSV file") from None
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror or e}); expected a CSV file") from None
    except DataError:
        raise
    except InputLimitError as e:
        raise DataError(str(e)) from None
    except Exception as e:  # a damaged compressed stream (EOFError, lzma.LZMAError, zstd errors)
        raise DataError(f"{path}: cannot be decompressed ({type(e).__name__}: {e}); expected a CSV file") from None
    if header is None:
        if not has_header:
            raise DataError(f"{path} is empty; expected data rows")
        raise DataError(f"{path} is empty; expected a header row naming the columns, then data rows")
    if has_header:
        header = [name.strip() for name in header]
        check_separator_line(path, header)
        if len(header) > 1 and not header[0]:
            header[0] = ROW_NAMES
        if len(header) > 1 and not header[-1]:  # a separator ending every line, as some exports write: pandas' name
            header[-1] = f"Unnamed: {len(header) - 1}"
        check_header(path, header)
    if not rows and not header_only:
        raise DataError(f"{path} has a header but no data rows; expected at least one sample")
    return header, rows, lines


def _blank(cells, sep):
    """A line of only spaces and tabs: skipped on every path (pandas' fast path skips it too)."""
    return (len(cells) == 1 or sep in " \t") and not "".join(cells).strip(" \t")


def _columns_error(path, missing, header, what, needed_by=None, sep=",", has_header=True):
    shown = shown_columns(header)
    hint = ""
    if len(header) == 1 and not has_header:  # the names are made up: line 1's content is not at hand
        hint = " (line 1 holds one field: a title or a note above the data? delete it; another separator? pass --sep)"
    elif len(header) == 1:  # one field: another separator? (a .csv file without --sep tried ; tab |: data_files)
        others = [c for c in ",;\t|" if c != sep and c in header[0]]
        if not others and " " in header[0].strip() and sep not in (" ", WHITESPACE):
            others = [WHITESPACE]
        if others == [WHITESPACE]:  # one space or an aligned run of them: either way --sep whitespace reads it
            hint = f" (separated by spaces instead of {sep!r}? pass --sep whitespace)"
        elif others:
            hint = f" (separated by {others[0]!r} instead of {sep!r}? pass --sep {others[0]!r})"  # repr: a tab as '\t'
    names = ", ".join(f'"{c}"' for c in missing)
    near = [n for c in missing for n in header if n != c and _bare(n) == _bare(c)]
    if near:
        hint += f" (did you mean {', '.join(repr(n) for n in near[:3])}?)"
    needed = f" (needed by {needed_by})" if needed_by else ""
    if has_header and looks_like_data(header):
        hint += f" ({NO_HEADER_HINT})"
    return DataError(f"{path} has no {what} {names}{needed}; its columns are {shown}{hint}")


def _bare(name):
    """A column name without surrounding spaces and quotes, in lower case: "'Vote'" -> "vote"."""
    return str(name).strip().strip("'\"`").strip().casefold()


def _show_cell(cell, limit=40):
    """A cell for a message: quoted, control characters escaped, long ones cut."""
    short = cell[:limit]
    shown = f'"{short}"' if short.isprintable() else repr(short)
    return shown + ("..." if len(cell) > limit else "")


def read_csv(path, target=None, features=None, needed_by=None, sep=","):
    """Read a CSV file into features, labels and feature names.

    Parameters
    ----------
    path : str or path-like
        ``.csv`` or ``.tsv``, or either compressed: ``.gz``, ``.bz2``, ``.xz``, ``.zst``.
    target : str or None
        Name of the label column; None when the file has no labels to read.
    features : list of str or None
        The feature columns to read, in this order (other columns are not read, so
        an id column does no harm); None reads every column except ``target``.
    needed_by : str or None
        Who asks for ``features`` (e.g. ``"model model.npz"``), named in the
        error when a column is missing.
    sep : str
        The one-character field separator.

    Returns
    -------
    X : pandas.DataFrame (m, n_features) of float64, columns named as in the file
    y : ndarray (m,) of labels (int64 or str objects), or None without ``target``
    """
    X, y, _ = read_csv_columns(path, target, features, needed_by, sep)
    return X, y


def csv_first_rows(path, sep, encoding=None, n=2):
    """The first ``n`` non-blank rows of a CSV file split by ``sep``, unchecked (for choosing a
    separator); ``[]`` when the file cannot be read so (the reading itself then says why)."""
    rows = []
    try:
        with open_text(path, sep, check_encoding(encoding)) as f:
            for cells in csv_reader(f, sep):
                if cells and not _blank(cells, sep):
                    rows.append(cells)
                    if len(rows) == n:
                        break
    except (OSError, UnicodeDecodeError, csv.Error, InputLimitError, DataError, EOFError, ValueError):
        return []
    return rows


def csv_header(path, sep=",", has_header=True, encoding=None):
    """The checked header row (list of str) of a CSV file (``"0"`` ... without a header)."""
    return _read_rows(path, header_only=True, sep=sep, has_header=has_header, encoding=check_encoding(encoding))[0]


def read_csv_columns(
    path,
    target=None,
    features=None,
    needed_by=None,
    sep=",",
    id_column=None,
    has_header=True,
    na_values=(),
    text=(),
    decimal=".",
    thousands=None,
    encoding=None,
):
    """:func:`read_csv`, plus the cells of ``id_column`` (an ndarray of str, or
    None without it): ``(X, y, ids)``. ``has_header=False``: the first line is data and
    the columns are named ``"0"`` ...; ``na_values`` adds missing-value markers to
    :data:`NA_VALUES`; the columns named in ``text`` are read as text (categories),
    even when they hold numbers. ``decimal=","``: numbers are written with a decimal
    comma (``10,37``; then ``10.37`` is not a number); with ``"."``, columns whose every
    cell is such a number are read as text, and a :class:`DataWarning` names them.
    ``thousands``: the separator of digit groups in numbers (``","`` for ``1,234,567.5``,
    pandas' ``thousands``), removed before a cell is read as a number; without it, columns
    whose every cell is a number with ``,`` groups are read as text and named in a warning.
    ``encoding``: the file's text encoding (a Python codec name), UTF-8 when None."""
    encoding = check_encoding(encoding)
    if decimal not in (".", ","):
        raise DataError(f"--decimal must be . or ,; got {decimal!r}")
    if decimal == sep:
        raise DataError(f"--decimal {decimal} and the field separator are the same character; pass --sep ';'")
    if thousands is not None:
        if thousands not in THOUSANDS:
            raise DataError(f"--thousands must be one of {' '.join(THOUSANDS)}; got {thousands!r}")
        if thousands == decimal:  # the field separator may be one: "1,234" is quoted in a comma-separated file
            raise DataError(
                f"--thousands {thousands} and --decimal {decimal} are the same character; expected two different ones"
            )
    import warnings

    header = csv_header(path, sep, has_header, encoding)
    if has_header and looks_like_data(header):
        warnings.warn(f"{path}: {NO_HEADER_HINT}", DataWarning, stacklevel=2)
    if target is not None and target not in header:
        raise _columns_error(path, [target], header, "target column", sep=sep, has_header=has_header)
    if id_column is not None and id_column not in header:
        raise _columns_error(path, [id_column], header, "id column", sep=sep, has_header=has_header)
    if features is None:
        features = feature_columns(path, header, (target,))
        if not features:
            raise DataError(f'{path} has only the target column "{target}"; expected feature columns too')
    else:
        missing = [c for c in features if c not in header]
        if missing:
            what = "column" + ("s" if len(missing) > 1 else "")
            raise _columns_error(path, missing, header, what, needed_by, sep=sep, has_header=has_header)
    features = list(features)
    fast = (
        None
        if text or not one_byte_or_utf8(encoding)
        else _read_fast(
            path, header, features, target, sep, id_column, has_header, decimal, na_values, thousands, encoding
        )
    )
    if fast is not None:
        return fast
    header, rows, lines = _read_rows(path, sep=sep, has_header=has_header, encoding=encoding)
    index = {name: j for j, name in enumerate(header)}
    grid = np.array(rows, dtype=object)  # (m, n_columns) strings
    missing = NA_VALUES | {str(v) for v in na_values}
    import pandas as pd

    columns, problems, commas, grouped = {}, [], [], []
    for name in features:
        cells = grid[:, index[name]]
        columns[name] = _typed_column(cells, name, lines, missing, name in text, problems, decimal, thousands)
        if decimal == "." and columns[name].dtype == object and name not in text:
            present = [c for c in columns[name] if c is not None]
            if present and all(DECIMAL_COMMA.fullmatch(c) for c in present):
                commas.append((name, present[0]))
            elif thousands is None and present and all(THOUSANDS_GROUPED.fullmatch(c) for c in present):
                grouped.append((name, next((c for c in present if "," in c), present[0])))
    _numbers_read_as_text(path, commas, "written with a decimal comma", "--decimal ,")
    _numbers_read_as_text(path, grouped, "with thousands separators", "--thousands ,")
    y = keep = None
    if target is not None:
        cells = np.array([c.strip() for c in grid[:, index[target]]], dtype=object)
        empty = np.flatnonzero(np.isin(cells, list(_label_markers(na_values))))
        if empty.size == cells.size:
            problems.append(f'column "{target}" holds no label (every cell is empty or a missing-value marker); '
                            "expected class labels")  # fmt: skip
        elif empty.size:
            keep = np.ones(cells.size, dtype=bool)
            keep[empty] = False
            cells = cells[keep]
        y = parse_labels(cells)
    if problems:
        shown = "; ".join(problems[:PROBLEMS_SHOWN])
        more = f"; and {len(problems) - PROBLEMS_SHOWN} more columns" if len(problems) > PROBLEMS_SHOWN else ""
        if len(problems) == 1:
            raise DataError(f"{path}, {shown}")
        raise DataError(f"{path}: {len(problems)} columns cannot be read: {shown}{more}")
    ids = None if id_column is None else grid[:, index[id_column]].astype(str)
    frame = pd.DataFrame(columns, columns=features)
    if keep is None:
        return frame, y, ids
    first = grid[empty[0], index[target]].strip()
    unlabeled_rows_left_out(
        f"{path}, line {lines[empty[0]]}", target, _show_cell(first) if first else "empty", empty.size
    )
    return frame[keep].reset_index(drop=True), y, None if ids is None else ids[keep]


def _numbers_read_as_text(path, found, written, option):
    """A :class:`DataWarning` at the reader's caller naming the columns ``found`` (``[(name, an
    example cell)]``) whose numbers are ``written`` so that they were read as text, and the ``option``
    that reads them."""
    if not found:
        return
    import warnings

    names = ", ".join(f'"{n}"' for n, _ in found[:PROBLEMS_SHOWN]) + (" ..." if len(found) > PROBLEMS_SHOWN else "")
    many = len(found) > 1
    warnings.warn(
        f"{path}: column{'s' if many else ''} {names} hold{'' if many else 's'} numbers {written} "
        f'("{found[0][1]}"), read as text: pass {option} to read them as numbers',
        DataWarning,
        stacklevel=3,  # read_csv_columns' caller
    )


def _typed_column(cells, name, lines, missing, as_text, problems, decimal=".", thousands=None):
    """One feature column from its cells (strings): float64 when it holds numbers
    (pandas' nullable Float64, NA where missing, when some are), else text (object, None
    where missing); a column of numbers with a few words in it adds one line to
    ``problems``. ``decimal=","``: numbers are read with a decimal comma, and a cell with a
    point is not one (as pandas' ``read_csv(decimal=",")`` reads them). ``thousands``: that
    character is removed from a cell before it is read as a number (as pandas' ``thousands``)."""
    import pandas as pd

    # Each distinct cell is stripped, looked up and parsed once (a text column of 32,000 cells holds a
    # few dozen), then spread back to the rows.
    codes, distinct = pd.factorize(np.asarray(cells, dtype=object))
    texts = np.array([c.strip() for c in distinct], dtype=object)
    stripped, absent = texts[codes], np.isin(texts, list(missing))[codes]
    if as_text:
        return np.where(absent, None, stripped)
    numbers = texts if thousands is None else np.array([t.replace(thousands, "") for t in texts], dtype=object)
    if decimal != ".":
        numbers = np.array([t.replace(".", "?").replace(",", ".") for t in numbers], dtype=object)
    parsed = pd.to_numeric(pd.Series(numbers, dtype=object), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    values = np.where(absent, np.nan, parsed[codes])
    words = ~absent & np.isnan(values)
    if not words.any():
        infinite = np.flatnonzero(np.isinf(values))
        if infinite.size:
            i = infinite[0]
            written = str(cells[i]).strip()
            # A word (lifelines' mice.csv: Inf, an interval's open end) is a marker a user can name;
            # an overflowing number (1e999) is not.
            option = f"--na-values={written}" if written.startswith("-") else f"--na-values {written}"  # argparse
            marker = (
                f" (a marker? {option} reads it as missing)"
                if written.isascii() and any(c.isalpha() and c not in "eE" for c in written)
                else ""
            )
            problems.append(
                f'line {lines[i]}, column "{name}": {_show_cell(cells[i])} is not finite (infinity, or too large); '
                f"expected a finite number{marker}"
            )
        # A column with missing cells is pandas' nullable Float64: the model makes a column plan
        # for it even when every missing cell lands in the test rows.
        return pd.array(values, dtype="Float64") if absent.any() else values
    if np.count_nonzero(words) * 2 > np.count_nonzero(~absent):  # mostly words: a text column
        return np.where(absent, None, stripped)
    i = np.flatnonzero(words)[0]
    others = np.count_nonzero(words) - 1
    more = f" (and {others} more cells)" if others else ""
    bad = texts[np.unique(codes[words])]
    if (hidden := invisible_character(bad)) is not None:  # a damaged cell, not a marker to list
        why = f"it holds {hidden}: remove it from the file"
    else:
        why = f"a missing-value marker? {_na_option(bad)}; codes? --categorical; an id? --drop"
    problems.append(
        f'line {lines[i]}, column "{name}": {_show_cell(cells[i])} is not a number{more}; expected a number '
        f"in a column of numbers ({why})"
    )
    return values


def _na_option(words, shown=3):
    """The ``--na-values`` option that reads ``words`` (the distinct texts) as missing, ready to paste
    when they are at most ``shown`` (Stata's and SAS's exports write a missing number as ``.``)."""
    import shlex

    if len(words) > shown or any(w.startswith("-") for w in words):  # argparse takes -x for an option
        return "list it with --na-values"
    them = "them" if len(words) > 1 else "it"
    return "--na-values " + " ".join(shlex.quote(w) for w in words) + f" reads {them} as missing"


def _read_fast(
    path,
    header,
    features,
    target,
    sep,
    id_column,
    has_header=True,
    decimal=".",
    na_values=(),
    thousands=None,
    encoding=None,
):
    """``(X, y, ids)`` as :func:`read_csv_columns` returns them, read by pandas' C
    parser (about 20 times faster than the csv module) while
    :class:`~npdnn.cli.csv_fields.FieldCounter` checks every line's field count (pandas
    would pad a short row), or None when this path cannot vouch for the file:
    quoted fields, bare carriage returns, or any problem at all, which the slow
    path then diagnoses exactly. The header is already checked. A cell equal to one of
    ``na_values`` (``--na-values -999``: a number pandas would keep) is missing, so the
    file goes to the careful path, which reads it as missing by its exact text.

    Memory: pandas' columns, then one float64 block of the features (a copy only
    when they must be reordered); the file itself is streamed, never held."""
    import pandas as pd

    if sep == WHITESPACE:  # its separators are runs, which the byte count cannot vouch for
        return None
    last = header[-1]  # missing (NaN) on every line with too few fields
    labels = [c for c in dict.fromkeys([target, id_column, last]) if c is not None and c not in features]
    try:
        # a pass of its own: pandas reads a path 1.5x faster than a stream
        separators = count_separators(path, sep, utf8=encoding is None)
        columns = features + labels
        frame = pd.read_csv(
            path,
            sep=sep,
            usecols=None if len(columns) == len(header) else columns,  # usecols costs ~10% when not needed
            # Labels as object, not str (pandas 3's str converts every cell to an Arrow string);
            # features inferred: naming float64 makes pandas' parse 25% slower. A column that is not
            # all numbers comes back as text and goes to the slow path below.
            dtype=dict.fromkeys(labels, object),
            keep_default_na=False,  # an empty feature cell fails the parse (the slow path names it)
            na_values={name: [str(v) for v in na_values] for name in features} if na_values else None,
            engine="c",
            decimal=decimal,
            thousands=thousands,
            encoding=encoding or "utf-8-sig",
            compression="infer",
            skipinitialspace=sep != " ",
            header=0 if has_header else None,
            names=None if has_header else header,
        )
    except InputLimitError as e:  # past a limit: the slow path would only hold more of it
        raise DataError(str(e)) from None
    except Exception:  # Unsafe, a parse error, a damaged stream: the slow path says exactly what
        return None
    # No line is short (the last column is there) and the separators add up: every line has n fields.
    # pandas fills a missing last field with "" here (NaN for a feature); an empty last cell
    # looks the same, so it too goes to the careful path.
    tail = frame[last]
    if tail.isna().any() or (tail.dtype.kind != "f" and (tail == "").any()):
        return None
    if len(frame) == 0 or separators != (len(header) - 1) * (len(frame) + has_header):
        return None
    if any(frame[name].dtype.kind not in "iuf" for name in features):
        return None
    if last not in features and last not in (target, id_column):
        del frame[last]
    y = ids = None
    if id_column is not None:
        ids = frame[id_column].to_numpy().astype(str)
    if target is not None:
        cells = frame[target].to_numpy(dtype=object)
        if frame[target].str.strip().isin(_label_markers(na_values)).any():
            return None  # a row without a label: the slow path leaves it out and names its line
        y = parse_labels(cells)
    # One F-ordered float64 block, filled column by column while pandas' columns are
    # released: a frame of separate columns would be copied whole by every to_numpy().
    X = np.empty((len(frame), len(features)), dtype=np.float64, order="F")
    for j, name in enumerate(features):
        X[:, j] = frame[name].to_numpy()
        if name not in (target, id_column):
            del frame[name]
    del frame
    if not _all_finite(X):
        return None
    return pd.DataFrame(X, columns=features, copy=False), y, ids


def _all_finite(X, block=65536):
    """Every entry of X finite, checked in row blocks (no mask as large as X)."""
    for start in range(0, X.shape[0], block):
        part = X[start : start + block]
        with np.errstate(over="ignore", invalid="ignore"):
            if not np.isfinite(part.sum()) and not np.isfinite(part).all():
                return False
    return True


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
