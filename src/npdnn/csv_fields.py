"""A CSV file's bytes on their way to pandas, with each line's fields counted.

``pandas.read_csv`` pads a short (ragged) row with empty cells, so the fast path
of :mod:`npdnn.datasets` must count the fields of every line itself. Reading the
whole file into memory to count them (as this reader once did) costs the file's
size plus a byte mask and an index of every separator, 4-5 times the numeric
data; :class:`FieldCounter` instead counts block by block as pandas reads, in
memory that does not grow with the file, and stops the read (``Unsafe``) at the
first thing the count cannot vouch for: a quote, a bare carriage return, a NUL
byte, bytes that are not UTF-8, or a line whose field count differs from the
header's. The careful csv-module path then finds and reports the problem.

Compressed files (``.gz``, ``.bz2``, ``.xz``, ``.zst``) are decompressed as a
stream here, so pandas sees the same plain bytes.
"""

from __future__ import annotations

import codecs
import io

import numpy as np

COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")


class Unsafe(Exception):
    """The fast path cannot vouch for this file (raised out of pandas' read)."""


def open_binary(path):
    """``path`` opened for reading bytes, decompressed according to its suffix."""
    name = str(path).lower()
    if name.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        import bz2

        return bz2.open(path, "rb")
    if name.endswith(".xz"):
        import lzma

        return lzma.open(path, "rb")
    if name.endswith(".zst"):
        try:
            import zstandard
        except ImportError:
            raise OSError(f"reading {path} needs the zstandard package (pip install 'npdnn[all]')") from None
        return zstandard.open(path, "rb")
    return open(path, "rb")


def open_text(path):
    """``path`` as UTF-8 text (a byte-order mark dropped), decompressed, newlines untouched."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", newline="")


class FieldCounter(io.RawIOBase):
    """A readable stream over ``raw`` (bytes) that checks every non-blank line has
    ``n_fields`` fields separated by ``sep`` (one byte), counting as it is read.

    After the last read, :attr:`lines` is the number of non-blank lines (the
    header included). Any line pandas would parse differently from the csv
    module raises :class:`Unsafe` from ``read``.
    """

    def __init__(self, raw, sep, n_fields):
        super().__init__()
        self._raw, self._sep, self._n = raw, ord(sep), n_fields
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._decoding = False  # a multi-byte character may straddle two blocks
        self._carry_seps = self._carry_len = 0  # of the line not yet ended
        self._last = -1  # the previous block's last byte
        self.lines = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if n:
            self._count(data)
        else:
            self._end()
        return n

    def _count(self, data):
        if b'"' in data or b"\x00" in data:
            raise Unsafe("quotes or NUL bytes: the csv module reads this file")
        buf = np.frombuffer(data, dtype=np.uint8)
        if self._decoding or buf.max() >= 0x80:
            try:
                self._utf8.decode(data)
            except UnicodeDecodeError:
                raise Unsafe("not UTF-8") from None
            self._decoding = bool(self._utf8.getstate()[0])
        newlines = np.flatnonzero(buf == 10)
        seps = np.flatnonzero(buf == self._sep)
        cr = np.flatnonzero(buf == 13)
        if cr.size and not np.isin(cr + 1, newlines).all():
            if cr[-1] != buf.size - 1 or not np.isin(cr[:-1] + 1, newlines).all():
                raise Unsafe("a bare carriage return")
        if self._last == 13 and buf[0] != 10:
            raise Unsafe("a bare carriage return")
        if newlines.size:
            before = np.searchsorted(seps, newlines)  # separators before each newline
            line_seps = np.diff(before, prepend=0)
            line_seps[0] += self._carry_seps
            starts = np.r_[0, newlines[:-1] + 1]
            lengths = newlines - starts
            lengths[0] += self._carry_len
            # a line ending in \r\n: the \r is not content (a blank line stays blank)
            previous = np.where(newlines > 0, buf[np.maximum(newlines - 1, 0)], self._last)
            lengths -= previous == 13
            self._check(line_seps[lengths > 0] + 1)
            self._carry_seps = seps.size - int(before[-1])
            self._carry_len = buf.size - int(newlines[-1]) - 1
        else:
            self._carry_seps += seps.size
            self._carry_len += buf.size
        self._last = int(buf[-1])

    def _end(self):
        if self._last == 13:
            raise Unsafe("a bare carriage return at the end")
        if self._carry_len:
            self._check(np.array([self._carry_seps + 1]))
            self._carry_len = 0

    def _check(self, fields):
        if (fields != self._n).any():
            raise Unsafe("a line with another number of fields than the header")
        self.lines += fields.size
