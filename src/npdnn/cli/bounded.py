"""Reading a data file that may never end: limits enforced while streaming, from the first byte.

A CSV reader that reads "a line" reads until a newline, however far away it is:
``/dev/zero`` linked as ``zero.csv`` cost 2.96 GB before failing, a 1 MB ``.csv.gz``
whose header inflates to 1 GB cost 1.95 GB. Every byte the CSV readers of
:mod:`npdnn.cli.datasets` see passes through :class:`BoundedStream`, which counts as
it reads and stops with :class:`InputLimitError` (one line, naming the file, the limit
and how to raise it) at the first of:

=============================  ==========================================================
:data:`MAX_LINE_BYTES`         bytes in one line (the header included): 16 MiB
:data:`MAX_COLUMNS`            fields in the header line: 100,000
:data:`MAX_EXPANSION`          decompressed bytes per byte of a compressed file: 200,
                               with a floor of :data:`MIN_DECOMPRESSED_BYTES` (256 MiB),
                               so a small file may still hold a normal table
=============================  ==========================================================

Each can be raised for one run with an environment variable (``NPDNN_MAX_LINE_BYTES``,
``NPDNN_MAX_COLUMNS``, ``NPDNN_MAX_EXPANSION``). Memory stays one block (1 MiB) plus one
line, whatever the file holds. Beyond the stream: :func:`check_regular` refuses a FIFO,
a device or a socket before anything is opened (the readers open a file more than once,
so a pipe would hang), and :func:`shown_columns` keeps column lists in messages short.

Owns: InputLimitError, BoundedStream, open_bounded, check_regular, shown_columns and the
limits. Imports: the standard library only.
"""

from __future__ import annotations

import io
import os
import stat

MAX_LINE_BYTES = 16 * 2**20
MAX_COLUMNS = 100_000
MAX_EXPANSION = 200
MIN_DECOMPRESSED_BYTES = 256 * 2**20
SHOWN_COLUMNS = 10  # names a message lists before "... and N more"


class InputLimitError(ValueError):
    """A data file past one of this module's limits (a one-line message)."""


def _limit(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        value = int(value)
    except ValueError:
        raise InputLimitError(f"{name}={value[:40]!r}; expected a positive integer") from None
    if value < 1:
        raise InputLimitError(f"{name}={value}; expected a positive integer")
    return value


def check_regular(path, what="data file"):
    """Raise :class:`InputLimitError` unless ``path`` (symlinks followed) is a regular
    file or does not exist (the caller names a missing file in its own words)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device or socket"
        raise InputLimitError(
            f"{path} is {kind}, not a regular file; npdnn reads a {what} more than once (the header, "
            "then the rows), so save the stream to a file first"
        )


class BoundedStream(io.RawIOBase):
    """Bytes of ``raw`` (a decompressing stream, or the file) read through limits.

    ``sep`` (one byte) is counted on the first line, which must hold at most
    :data:`MAX_COLUMNS` fields; no line may pass :data:`MAX_LINE_BYTES`; and with
    ``compressed_size`` (the file's size on disk, for a compressed file) the stream
    may not pass ``max(MAX_EXPANSION * compressed_size, MIN_DECOMPRESSED_BYTES)``."""

    def __init__(self, raw, path, sep=",", compressed_size=None):
        super().__init__()
        self._raw, self._path, self._sep = raw, path, sep.encode()
        self._max_line = _limit("NPDNN_MAX_LINE_BYTES", MAX_LINE_BYTES)
        self._max_columns = _limit("NPDNN_MAX_COLUMNS", MAX_COLUMNS)
        self._max_total = None
        if compressed_size is not None:
            ratio = _limit("NPDNN_MAX_EXPANSION", MAX_EXPANSION)
            self._max_total, self._ratio = max(ratio * compressed_size, MIN_DECOMPRESSED_BYTES), ratio
        self._total = 0
        self._line = 0  # bytes since the last newline
        self._header = 0  # separators seen on the first line; None once it has ended

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._raw.read(min(len(buffer), 2**20))
        n = len(data)
        buffer[:n] = data
        self._total += n
        if self._max_total is not None and self._total > self._max_total:
            raise InputLimitError(
                f"{self._path} decompresses to more than {self._max_total} bytes ({self._ratio} times its size on "
                "disk, the limit npdnn sets against decompression bombs); if the file is genuine, raise "
                "NPDNN_MAX_EXPANSION or decompress it first"
            )
        first, last = data.find(b"\n"), data.rfind(b"\n")
        if self._header is not None:
            self._header += data.count(self._sep, 0, n if first < 0 else first)
            if self._header + 1 > self._max_columns:
                raise InputLimitError(
                    f"{self._path}: the header line has more than {self._max_columns} fields; if the file is "
                    "genuine, raise NPDNN_MAX_COLUMNS"
                )
            if first >= 0:
                self._header = None
        if first < 0:
            self._line += n
        else:
            longest = max(self._line + first, self._inner_longest(data, first, last))
            self._line = max(n - last - 1, longest if longest > self._max_line else 0)
        if self._line > self._max_line:
            raise InputLimitError(
                f"{self._path}: a line longer than {self._max_line} bytes; expected a text table of one row per "
                "line; if the file is genuine, raise NPDNN_MAX_LINE_BYTES"
            )
        return n

    def _inner_longest(self, data, first, last):
        """The longest line wholly inside the block (only a block longer than the limit,
        i.e. a limit lowered by the environment, can hold one too long)."""
        if last - first <= self._max_line:
            return 0
        longest, start = 0, first + 1
        while start <= last:
            end = data.find(b"\n", start)
            longest, start = max(longest, end - start), end + 1
        return longest

    def close(self):
        try:
            self._raw.close()
        finally:
            super().close()


def open_bounded(raw, path, sep=",", compressed=False):
    """``raw`` (an opened binary stream of ``path``) wrapped in :class:`BoundedStream`,
    buffered; ``compressed``: the decompressed size is bounded by the file's size."""
    size = os.stat(path).st_size if compressed else None
    return io.BufferedReader(BoundedStream(raw, path, sep, size), buffer_size=2**16)


def shown_columns(names, limit=SHOWN_COLUMNS):
    """``"a", "b", ... and 19,990 more`` for a message: never the whole of a wide header."""
    names = list(names)
    shown = ", ".join(f'"{str(c)[:60]}"' for c in names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... and {len(names) - limit:,} more"
