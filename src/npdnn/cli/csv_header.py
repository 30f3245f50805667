"""What a CSV file says about itself before its data: its encoding, whether its first row names
the columns or is data already, and its row names.

- A file that is not UTF-8 (Excel on Windows saves cp1252) is read with ``--encoding``
  (:func:`check_encoding`); pandas' fast path takes one-byte codecs and UTF-8.
- A first row of numbers is data: :data:`NO_HEADER_HINT` tells the user to pass ``--no-header``.
- A first header cell left empty names the file's row names, as R's ``write.csv`` and pandas'
  ``to_csv`` write them: read as :data:`ROW_NAMES`, they are not a feature (:func:`feature_columns`).

Owns: check_encoding, one_byte_or_utf8, looks_like_data, NO_HEADER_HINT, check_separator_line,
feature_columns, row_names_note, check_header. Imports: the standard library, npdnn.errors, ROW_NAMES
(:mod:`npdnn.sklearn.column_values`, which the estimator's checks share).
"""

from __future__ import annotations

import re

from ..errors import DataError, DataWarning
from ..sklearn.column_values import ROW_NAMES

# A CSV file saved by Excel on Windows is in the system's code page (cp1252 in Western Europe and the US)
ENCODING_HINT = "a file saved by Excel on Windows? pass --encoding cp1252"
# One byte per character: the fast path's byte-wise count of separators holds for these (and UTF-8)
ONE_BYTE = re.compile(r"(cp\d+|iso8859_\d+|latin_1|ascii|mac_\w+|koi8_\w+)")


def check_encoding(encoding):
    """``encoding`` as Python's codec name (None and UTF-8 stay None: the default reader), or DataError."""
    if encoding is None:
        return None
    import codecs

    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise DataError(
            f"--encoding {encoding!r} is not a text encoding Python knows; expected e.g. utf-8, cp1252, latin-1"
        ) from None
    return None if name in ("utf-8", "utf-8-sig") else name


def one_byte_or_utf8(encoding):
    """Whether pandas' fast path may read a file in ``encoding`` (its separators counted byte by byte)."""
    return encoding is None or ONE_BYTE.fullmatch(encoding.replace("-", "_")) is not None


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


PROGRESSION = 5  # numbers stepping evenly, at least this many: a header of names (years), not a row of data


def looks_like_data(header):
    """Whether most header fields are numbers: the first row is data, not names (a
    headerless file's label column often holds text: sonar's R, ionosphere's g). Not when
    those numbers step evenly, at least :data:`PROGRESSION` of them: names of a grid, as a
    wide table's years (the World Bank's "1960" ... "2022") or R's crimtab (142.24, 144.78,
    ...: heights every 2.54 cm), where a row of measurements rarely does."""
    numbers = [float(name) for name in header if _is_number(name)]
    if len(numbers) * 2 <= len(header):
        return False
    steps = [b - a for a, b in zip(numbers[:-1], numbers[1:], strict=True)]
    even = len(numbers) >= PROGRESSION and steps[0] != 0
    # within a thousandth of the step: a grid printed to a few decimals (0.333333, 0.666667, 1, ...) steps evenly
    return not (even and all(abs(d - steps[0]) <= 1e-3 * abs(steps[0]) for d in steps))


NO_HEADER_HINT = "the first row looks like data: pass --no-header"

# A header whose first cell is empty: the file's row names (ROW_NAMES, pandas' name for them), read
# under that name and not a feature: a model given it would learn the file's row order.


def feature_columns(path, header, exclude):
    """The default features: every column of ``header`` not in ``exclude``, nor the row names
    (a first column without a name, :data:`ROW_NAMES`), which a :class:`DataWarning` then names."""
    row_names = len(header) > 1 and header[0] == ROW_NAMES and ROW_NAMES not in exclude
    if row_names:
        import warnings

        warnings.warn(row_names_note(path), DataWarning, stacklevel=3)
    return [c for c in header[int(row_names) :] if c not in exclude]


def row_names_note(path):
    """What is said of a first column without a name (:data:`ROW_NAMES`)."""
    return (
        f'{path}: column 1 has no name ("{ROW_NAMES}" as pandas reads it): taken as row names, as R\'s '
        "write.csv and pandas' to_csv write them, and not used as a feature (name it to use it)"
    )


def check_separator_line(path, header):
    """DataError when the first line is Excel's ``sep=;`` (the separator named for Excel to
    reopen the file), which would otherwise read as a header of one or two odd names."""
    cells = [c.strip() for c in header]
    if cells[0].lower().startswith("sep=") and len(cells[0]) <= 5 and not any(cells[1:]):
        raise DataError(
            f'{path}, line 1 ("sep=" and a separator) is the line Excel writes to name the separator, not a header; '
            "expected the column names there (delete that line; the separator is then found from the header)"
        )


def check_header(path, header):
    """DataError unless every column of the header row has a name of its own."""
    seen = {}
    for j, name in enumerate(header, start=1):
        if not name.strip():
            raise DataError(f"{path}, line 1: column {j} has an empty name; expected a name for every column")
        if name in seen:
            hint = f" ({NO_HEADER_HINT})" if looks_like_data(header) else ""
            raise DataError(
                f'{path}, line 1: column name "{name}" appears twice (columns {seen[name]} and {j}); '
                f"expected unique names{hint}"
            )
        seen[name] = j
