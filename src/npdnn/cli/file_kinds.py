"""What a file named as a text table really holds, told by its first bytes, for the error when
its bytes are not text.

A gzip stream saved as ``data.csv``, an Excel workbook renamed ``.csv``, the ``._data.csv`` file a
Mac writes beside ``data.csv`` on a USB stick or in a zip: none of them decodes as UTF-8, and the
reader's hint for such bytes ("saved by Excel on Windows? pass --encoding cp1252") was wrong advice.

Owns: BYTE_ORDER_MARKS, COMPRESSED, OTHER_KINDS, binary_kind.
Imports: nothing of npdnn. The CSV reader calls it only when a file's bytes fail to decode or its
header holds a NUL, so a readable file costs nothing.
"""

from __future__ import annotations

import os

# UTF-16's and UTF-32's marks: text (every other byte NUL), in the encoding they name
BYTE_ORDER_MARKS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# (first bytes, what they start, the suffix npdnn decompresses it by)
COMPRESSED = (
    (b"\x1f\x8b", "gzip-compressed data", ".gz"),
    (b"BZh", "bzip2-compressed data", ".bz2"),
    (b"\xfd7zXZ\x00", "xz-compressed data", ".xz"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data", ".zst"),
)
# (first bytes, what they start, what to do); {sibling}: the file's name without its leading "._"
OTHER_KINDS = (
    (b"PK\x03\x04", "a ZIP archive, as an Excel .xlsx workbook's do", "save the sheet as CSV, or unzip the archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook", "save the sheet as CSV (File > Save As)"),
    (b"PAR1", "a Parquet file", "name it with .parquet at the end"),
    (b"\x93NUMPY", "a NumPy array (.npy)", "name it with .npy at the end"),
    (b"ARROW1", "an Arrow (Feather) file", "read it with pandas.read_feather and save it as Parquet"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table as CSV"),
    (b"%PDF", "a PDF document", "export the table as CSV"),
    # AppleDouble: a Mac keeps a file's metadata in "._name" on disks and in archives without its own
    (
        b"\x00\x05\x16\x07",
        "a Mac's metadata file (AppleDouble), not the data",
        "the data is in {sibling}, beside it",
    ),
)
HEAD = 4096  # bytes read: enough for every signature, and where a NUL is looked for


def binary_kind(path):
    """A phrase naming what ``path`` holds when its first bytes show it is not text, and what to do,
    e.g. ``"not text: its first bytes (1f 8b) start gzip-compressed data: name it data.csv.gz, ..."``;
    else None. Read raw, as on disk: a compressed file named as one is not asked about."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD)
    except OSError:
        return None
    name = os.path.basename(os.fspath(path))
    for start, kind, suffix in COMPRESSED:
        if head.startswith(start):
            return (
                f"not text: its first bytes ({start.hex(' ')}) start {kind}: name it {name}{suffix}, "
                "which npdnn decompresses as it reads"
            )
    for start, kind, todo in OTHER_KINDS:
        if head.startswith(start):
            sibling = name[2:] if name.startswith("._") else "the file it describes"
            return f"not text: its first bytes ({start[:4].hex(' ')}) start {kind}: " + todo.format(sibling=sibling)
    nul = head.find(b"\x00")
    if nul < 0 or head.startswith(tuple(mark for mark, _ in BYTE_ORDER_MARKS)):  # marked text: its encoding's error
        return None
    # ASCII in UTF-16: one byte of every pair is NUL (an odd last byte is a pair's first, its other half cut off)
    first, second = any(head[0::2]), any(head[1::2])
    order = "le" if first and not second else "be" if second and not first else None
    if order:
        utf16 = f"as in UTF-16 without its byte-order mark (pass --encoding utf-16-{order})"
        return f"not text: a NUL byte at offset {nul}, {utf16}"
    return f"not text: a NUL byte at offset {nul} (binary data?)"
