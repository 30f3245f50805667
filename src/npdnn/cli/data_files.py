"""The data files ``npdnn train / predict / evaluate --data`` reads, by suffix.

====================================  =========================================
suffix                                read by
====================================  =========================================
``.csv`` (``--sep``, default ``,``)   :func:`npdnn.cli.datasets.read_csv_columns`
                                      (``;``, tab or ``|`` when the first line has no comma)
``.txt .data .test .dat``             the same as ``.csv`` (UCI's adult.data)
``.tsv``, ``.tab`` (tab-separated)    the same, separator ``\\t``
either + ``.gz .bz2 .xz .zst``        the same, decompressed as a stream
``.parquet``, ``.pq``                 pyarrow (only the columns asked for)
``.npy``                              one 2-D numeric array, memory-mapped
``.npz``                              a 2-D array ``X`` and 1-D arrays (m,)
====================================  =========================================

Columns of arrays: an ``.npy`` array's columns are named by their index,
``"0"`` ... ``"n-1"``, and a negative index counts from the end (``--target -1``
is the last column). In an ``.npz`` file, ``X``'s columns are named the same
way and every 1-D array of length m is a column named after the array:
``np.savez("d.npz", X=X, y=y, id=ids)`` then ``--target y --id id``. Features
are the columns of X (or of the table) that are not the target, the id or
dropped; ``--features`` picks them instead, in its order.

Every problem raises :class:`~npdnn.cli.datasets.DataError` naming the file and its
format: an unknown suffix, a missing column, a non-numeric or non-finite feature.
Rows of Parquet and array files are counted from 0, as pandas and NumPy index
them; CSV errors name the line as an editor counts it (the header is line 1).
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from .bounded import InputLimitError, check_regular, shown_columns
from .csv_dialect import csv_separator, marked_encoding, separator
from .csv_fields import COMPRESSIONS
from .csv_header import feature_columns
from .datasets import DataError, DataWarning, csv_header, read_csv_columns
from .labels import parse_labels, unlabeled_rows_left_out

FORMATS = {".csv": "CSV", ".tsv": "TSV", ".tab": "TSV", ".parquet": "Parquet", ".pq": "Parquet"}
# Text tables under other names, read as .csv files are: UCI's adult.data and adult.test, iris.data; .txt, .dat.
FORMATS.update({".txt": "CSV", ".data": "CSV", ".test": "CSV", ".dat": "CSV"})
FORMATS.update({".npy": "NumPy .npy", ".npz": "NumPy .npz"})
SUPPORTED = (
    ".csv, .tsv, .tab, .txt, .data, .test, .dat (each optionally .gz, .bz2, .xz, .zst), .parquet, .pq, .npy, .npz"
)
# What to do with a file of a format npdnn does not read, named in the error.
CONVERT = {
    ".xlsx": "a spreadsheet: save it as CSV (File > Save As), or read it with pandas.read_excel",
    ".xls": "a spreadsheet: save it as CSV (File > Save As), or read it with pandas.read_excel",
    ".ods": "a spreadsheet: save it as CSV (File > Save As), or read it with pandas.read_excel",
    ".json": "JSON: read it with pandas.read_json and save it as CSV or Parquet",
    ".jsonl": "JSON lines: read it with pandas.read_json(lines=True) and save it as CSV or Parquet",
    ".arff": "Weka's ARFF: read it with scipy.io.arff.loadarff and save it as CSV",
    ".feather": "Feather: read it with pandas.read_feather and save it as Parquet",
}


def data_format(path):
    """``(name, compression)`` for ``path`` from its suffixes, e.g. ``("CSV", ".gz")``."""
    name = os.path.basename(os.fspath(path)).lower()
    compression = next((c for c in COMPRESSIONS if name.endswith(c)), None)
    if compression:
        name = name[: -len(compression)]
    suffix = os.path.splitext(name)[1]
    kind = FORMATS.get(suffix)
    if kind is None or (compression and kind not in ("CSV", "TSV")):
        got = suffix + (compression or "") if suffix else "no suffix"
        convert = f" ({CONVERT[suffix]})" if suffix in CONVERT else ""
        raise DataError(f"{path}: unsupported data format ({got}){convert}; expected one of {SUPPORTED}")
    return kind, compression


def read_data(path, target=None, features=None, drop=(), sep=None, id_column=None, needed_by=None, csv_options=None):
    """Read features, labels and ids from a data file of any supported format.

    Parameters
    ----------
    path : str or path-like
    target, id_column : str or None
        The label column and a column of row ids to carry along (not a feature).
    features : list of str or None
        Feature columns in this order; None takes every column that is not the
        target, the id or in ``drop``.
    drop : sequence of str
        Columns that are not features.
    sep : str or None
        Field separator of a CSV file (one character); None: ``,`` for ``.csv``,
        tab for ``.tsv``/``.tab``.
    needed_by : str or None
        Who asks for ``features``, named in the error when one is missing.
    csv_options : dict or None
        For CSV and TSV files: ``has_header``, ``na_values``, ``text``, ``decimal``,
        ``thousands``, ``encoding`` of :func:`~npdnn.cli.datasets.read_csv_columns` (``--no-header``,
        ``--na-values``, ``--categorical``, ``--decimal``, ``--thousands``, ``--encoding``).

    Returns
    -------
    X : pandas.DataFrame (m, n) of float64, columns named as in the file (an
        ndarray (m, n), possibly memory-mapped, for ``.npy``/``.npz``)
    y : ndarray (m,) of labels or None
    ids : ndarray (m,) or None
    """
    kind, _ = data_format(path)
    path = os.fspath(path)
    try:
        check_regular(path)
    except InputLimitError as e:
        raise DataError(str(e)) from None
    csv_options = {k: v for k, v in (csv_options or {}).items() if v not in (None, (), [], True, ".")}
    if kind in ("CSV", "TSV"):
        if csv_options.get("encoding") is None and (marked := marked_encoding(path)) is not None:
            csv_options["encoding"] = marked  # Excel's "Unicode Text": UTF-16 with its byte-order mark
        has_header, encoding = csv_options.get("has_header", True), csv_options.get("encoding")
        sep, header = _csv_header(path, kind, sep, has_header, encoding)
        if features is not None or drop or id_column is not None:  # else: every column but the target
            # the CSV reader names a missing target, id or feature in its own words: only --drop is checked here
            _select(path, kind, header, None, None, drop, None, needed_by)
            exclude = (target, id_column, *drop)
            rest = (
                feature_columns(path, header, exclude)
                if features is None
                else [c for c in features if c not in exclude]
            )
            if target in (features or ()):
                raise DataError(f'{path}: the target column "{target}" is also among the features')
            if not rest:
                raise DataError(f"{path} ({kind}) has no feature columns left; its columns are {shown_columns(header)}")
            features = rest
        return read_csv_columns(path, target, features, needed_by, sep, id_column, **csv_options)
    csv_options.pop("text", None)  # other formats keep their types; the command turns such columns into text
    if csv_options:
        options = {
            "has_header": "--no-header",
            "na_values": "--na-values",
            "decimal": "--decimal",
            "thousands": "--thousands",
            "encoding": "--encoding",
        }
        raise DataError(
            f"{', '.join(options[k] for k in csv_options)} apply to CSV and TSV files; {path} is a {kind} file"
        )
    if sep is not None:
        raise DataError(f"--sep applies to CSV and TSV files; {path} is a {kind} file")
    _check_file(path, kind)
    if kind == "Parquet":
        return _read_parquet(path, target, features, drop, id_column, needed_by)
    return _read_arrays(path, kind, target, features, drop, id_column, needed_by)


def _csv_header(path, kind, sep, has_header, encoding):
    """``(sep, header)``: the header read with ``--sep``, or the suffix's separator; a ``.csv``
    file given without --sep: :func:`csv_separator`'s, and a DataWarning when it is not a comma."""
    if sep is not None or kind != "CSV":
        sep = separator(sep, "," if kind == "CSV" else "\t")
        return sep, csv_header(path, sep, has_header, encoding)
    sep, header, note = csv_separator(path, has_header, encoding)
    if note:
        warnings.warn(note, DataWarning, stacklevel=3)
    return sep, header


def _check_file(path, kind):
    if os.path.isdir(path):
        raise DataError(f"{path} is a directory; expected a {kind} file")
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file; expected a {kind} file")


def _select(path, kind, header, target, features, drop, id_column, needed_by, candidates=None):
    """The feature columns, after checking that every named column is in ``header``;
    by default every one of ``candidates`` (default: ``header``) not otherwise used."""
    named = [target, id_column, *drop, *(features or [])]
    missing = [c for c in dict.fromkeys(named) if c is not None and c not in header]
    if missing:
        shown = shown_columns(header)
        who = f" (needed by {needed_by})" if needed_by and features and set(missing) & set(features) else ""
        names = ", ".join(f'"{c}"' for c in missing)
        raise DataError(
            f"{path} ({kind}) has no column{'s' if len(missing) > 1 else ''} {names}{who}; its columns are {shown}"
        )
    if features is None:
        features = [c for c in (header if candidates is None else candidates) if c not in (target, id_column, *drop)]
    else:
        features = [c for c in features if c not in drop]
        if target in features:
            raise DataError(f'{path}: the target column "{target}" is also among the features')
    if not features:
        raise DataError(f"{path} ({kind}) has no feature columns left; its columns are {shown_columns(header)}")
    return features


def _labels(values, path, kind, target):
    """A target column as labels: integers as int64, anything else as str objects."""
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return values.astype(np.int64)
    if values.dtype.kind == "f" and np.isfinite(values).all() and (values == np.round(values)).all():
        return values.astype(np.int64)
    if values.dtype.kind == "f":
        raise DataError(
            f'{path} ({kind}), column "{target}": labels must be classes (integers or text); '
            f"got non-integral numbers such as {values[values != np.round(values)][0]!r}"
        )
    return parse_labels([str(v) for v in values])


def _read_parquet(path, target, features, drop, id_column, needed_by):
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"reading {path} (Parquet) needs pyarrow: pip install 'npdnn[all]'") from None
    import pandas as pd

    try:
        parquet = pq.ParquetFile(path)
    except Exception as e:  # pyarrow's ArrowInvalid for a file that is not Parquet
        raise DataError(f"{path} is not a readable Parquet file ({e})") from None
    header = list(parquet.schema_arrow.names)
    # A DataFrame's index saved by pandas (a column such as "__index_level_0__", named in the file's
    # pandas metadata) is the index, as pandas reads it back, not a feature: unless asked for by name.
    index = (parquet.schema_arrow.pandas_metadata or {}).get("index_columns", [])
    asked = {target, id_column, *(features or ())}
    header = [c for c in header if c not in index or c in asked]
    features = _select(path, "Parquet", header, target, features, drop, id_column, needed_by)
    if parquet.metadata.num_rows == 0:
        raise DataError(f"{path} (Parquet) has no rows; expected at least one sample")
    for name in features:  # by declared type: nested values have no column plan
        kind = parquet.schema_arrow.field(name).type
        if not _plannable(pa, kind):
            raise DataError(
                f'{path} (Parquet), column "{str(name)[:60]}" holds {str(kind)[:60]}; expected numbers, booleans, '
                "text, categories or dates in every feature column"
            )
    table = parquet.read(columns=list(dict.fromkeys([*features, *(c for c in (target, id_column) if c)])))
    # Numbers without a missing value go into one float64 block (F-ordered, one column at a time), as
    # the CSV reader gives them; any other column (text, a dictionary, dates, missing values) goes to
    # the model's column plan as pandas holds it, as the CSV reader's text and Float64 columns do.
    X = np.empty((table.num_rows, len(features)), dtype=np.float64, order="F")
    others = {}
    for j, name in enumerate(features):
        column = table.column(name)
        kind = column.type
        if (
            pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
        ) and not column.null_count:
            X[:, j] = column.to_numpy()
            _finite(X[:, j], path, "Parquet", name)
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
            values = column.to_numpy(zero_copy_only=False).astype(np.float64)
            _finite(np.where(np.isnan(values), 0.0, values), path, "Parquet", name)  # rows keep their numbers
            others[name] = pd.array(values, dtype="Float64")  # NaN: missing
        else:
            others[name] = column.to_pandas()
    frame = pd.DataFrame(X, columns=features, copy=False)
    if others:
        frame = pd.DataFrame({name: others[name] if name in others else X[:, j] for j, name in enumerate(features)})
    ids = None if id_column is None else np.asarray(table.column(id_column).to_numpy(zero_copy_only=False))
    if target is None:
        return frame, None, ids
    column = table.column(target)
    labels = column.to_numpy(zero_copy_only=False)
    if not column.null_count:
        return frame, _labels(labels, path, "Parquet", target), ids
    # rows without a label are left out, as the CSV reader leaves them out (nothing to learn from or score)
    keep = ~column.is_null().to_numpy(zero_copy_only=False)
    if not keep.any():
        raise DataError(
            f'{path} (Parquet), column "{target}" holds no label (every value is null); expected class labels'
        )
    row = int(np.flatnonzero(~keep)[0])
    unlabeled_rows_left_out(f"{path} (Parquet), row {row}", target, "null", int((~keep).sum()), stacklevel=4)
    y = _labels(labels[keep], path, "Parquet", target)
    return frame[keep].reset_index(drop=True), y, None if ids is None else ids[keep]


def _plannable(pa, kind):
    """Whether a Parquet column of arrow type ``kind`` can be a feature: numbers, booleans, text,
    dictionaries (pandas' categories) and dates (the column plan drops those, and says so)."""
    types = pa.types
    if types.is_dictionary(kind):
        return _plannable(pa, kind.value_type)
    return (
        any(
            test(kind)
            for test in (types.is_integer, types.is_floating, types.is_boolean, types.is_string, types.is_large_string)
        )
        or types.is_temporal(kind)
        or types.is_null(kind)
        or types.is_decimal(kind)
    )


def _finite(values, path, kind, name):
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values.sum()):
            return
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f'{path} ({kind}), row {row}, column "{name}": {values[row]} is not finite; expected a finite number'
        )


def _read_arrays(path, kind, target, features, drop, id_column, needed_by):
    """``.npy``: X's columns by index; ``.npz``: X's columns by index plus 1-D arrays by name."""
    try:
        if kind == "NumPy .npy":
            X, extra = np.load(path, mmap_mode="r", allow_pickle=False), {}
        else:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
            if "X" not in arrays:
                raise DataError(f"{path} ({kind}) has no array named X; it holds {sorted(arrays)}")
            X = arrays.pop("X")
            extra = {k: v for k, v in arrays.items() if v.ndim == 1}
    except DataError:
        raise
    except Exception as e:
        raise DataError(f"{path} is not a readable {kind} file ({type(e).__name__}: {e})") from None
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise DataError(f"{path} ({kind}): X must be a 2-D array of numbers; got shape {X.shape}, dtype {X.dtype}")
    m, n = X.shape
    if m == 0 or n == 0:
        raise DataError(f"{path} ({kind}): X has shape {X.shape}; expected at least one row and one column")
    bad = [k for k, v in extra.items() if v.shape[0] != m]
    if bad:
        raise DataError(f'{path} ({kind}): array "{bad[0]}" has {extra[bad[0]].shape[0]} rows; X has {m}')

    def index(name):  # "3" and "-1" name columns of X; an array's name names the array
        if name in extra:
            return name
        try:
            j = int(name)
        except (TypeError, ValueError):
            return name
        return str(j % n) if -n <= j < n else name

    header = [str(j) for j in range(n)] + list(extra)
    target, id_column = (None if c is None else index(c) for c in (target, id_column))
    drop = [index(c) for c in drop]
    features = None if features is None else [index(c) for c in features]
    features = _select(path, kind, header, target, features, drop, id_column, needed_by, header[:n])
    if any(c in extra for c in features):
        raise DataError(f"{path} ({kind}): features are columns of X; {[c for c in features if c in extra]} are not")
    cols = [int(c) for c in features]
    if cols == list(range(cols[0], cols[0] + len(cols))):
        X_out = X[:, cols[0] : cols[0] + len(cols)]  # a view: a memory-mapped file stays on disk
    else:
        X_out = X[:, cols]

    def column(name):
        return extra[name] if name in extra else X[:, int(name)]

    for start in range(0, m, 65536):
        part = X_out[start : start + 65536]
        if part.dtype.kind == "f" and not np.isfinite(part.sum()) and not np.isfinite(part).all():
            i, j = (int(v) for v in np.argwhere(~np.isfinite(part))[0])
            raise DataError(
                f"{path} ({kind}), row {start + i}, column {features[j]}: {part[i, j]} is not finite; "
                "expected finite numbers"
            )
    y = None if target is None else _labels(column(target), path, kind, target)
    ids = None if id_column is None else np.asarray(column(id_column))
    return X_out, y, ids
