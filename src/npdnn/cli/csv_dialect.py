"""How a text table is written, when the user does not say: its encoding from a byte-order mark,
and its field separator from its first two lines.

Owns: OTHER_SEPARATORS, marked_encoding, csv_separator, separator.
Imports: the CSV reader's first rows and checked header (:mod:`npdnn.cli.datasets`), the stream
opener and the whitespace separator (:mod:`npdnn.cli.csv_fields`), the byte-order marks
(:mod:`npdnn.cli.file_kinds`).
"""

from __future__ import annotations

from .csv_fields import WHITESPACE, open_binary
from .datasets import DataError, csv_first_rows, csv_header
from .file_kinds import BYTE_ORDER_MARKS

# Tried on a .csv file given without --sep whose first line is one comma field. Runs of spaces and
# tabs only when none of these splits it (a tab-separated "first name" must not be two fields).
OTHER_SEPARATORS = (";", "\t", "|")


def marked_encoding(path):
    """The encoding a file's byte-order mark names when it is UTF-16 or UTF-32 (Excel's "Unicode
    Text" is tab-separated UTF-16), else None. Such a mark is never the start of UTF-8 text (0xFE,
    0xFF and a leading NUL are not), so it decides without a guess; UTF-8's own mark is read anyway."""
    try:
        with open_binary(path) as f:
            start = f.read(4)
    except Exception:  # the reading itself names what is wrong
        return None
    for mark, encoding in BYTE_ORDER_MARKS:  # UTF-32's first: UTF-16 LE's mark begins UTF-32 LE's
        if start.startswith(mark):
            return encoding
    return None


def _fields_alike(path, sep, encoding):
    """The number of fields ``sep`` splits line 1 into when line 2 (if any) splits into as many, else 0."""
    rows = csv_first_rows(path, sep, encoding)
    return len(rows[0]) if rows and all(len(row) == len(rows[0]) for row in rows) else 0


def csv_separator(path, has_header=True, encoding=None):
    """``(sep, header, note)`` of a ``.csv`` file given without --sep: a comma, unless its
    first line is one comma field that one of :data:`OTHER_SEPARATORS` splits into more (a
    spreadsheet's ;-separated export, a tab-separated file named .csv): then the one giving
    the most fields, and ``note`` says so (else None); when none does, runs of spaces and tabs
    (:data:`~npdnn.cli.csv_fields.WHITESPACE`) if they split lines 1 and 2 alike and neither holds a
    comma. The cluster's reader asks it too."""
    header = csv_header(path, ",", has_header, encoding)
    if len(header) != 1:
        return ",", header, None
    fields = {other: _fields_alike(path, other, encoding) for other in OTHER_SEPARATORS}
    sep = max(fields, key=fields.get)
    if fields[sep] < 2:  # UCI's adult.test: a note line "|1x3 Cross validator" above the data
        # ISLR's Auto.data: aligned by spaces, a tab before the car's name. Not when line 2 holds a comma
        # (adult.test's note line above "25, Private, ...": 3 words, 3 fields).
        commas = all(len(row) == 1 for row in csv_first_rows(path, ",", encoding))
        if not (commas and _fields_alike(path, WHITESPACE, encoding) >= 2):
            return ",", header, None
        sep = WHITESPACE
    header = csv_header(path, sep, has_header, encoding)
    name = {"\t": "tab", WHITESPACE: "whitespace"}.get(sep, repr(sep))
    gaps = f"{len(header) - 1} runs of spaces or tabs" if sep == WHITESPACE else f"{len(header) - 1} of {name}"
    note = (
        f"{path}: read as {name}-separated (its first line has no comma, and {gaps}): "
        "pass --sep to choose another separator"
    )
    return sep, header, note


def separator(sep, default):
    """``--sep`` as the reader takes it (``default`` when not given): one character, a tab for ``\\t``
    or ``tab``, :data:`~npdnn.cli.csv_fields.WHITESPACE` for ``whitespace`` or pandas' ``\\s+``."""
    if sep is None:
        return default
    sep = {"\\t": "\t", "tab": "\t", "\\s+": WHITESPACE}.get(sep, sep)  # \s+: pandas' name for whitespace
    if sep != WHITESPACE and (len(sep) != 1 or sep in '"\r\n'):
        raise DataError(
            f"--sep must be one character (or \\t), not a quote or newline, or whitespace (runs of spaces and "
            f"tabs); got {sep!r}"
        )
    return sep
