"""A ``.npy`` member's header, parsed without NumPy's header parser.

NumPy's ``read_array_header_*`` hands the header text to ``tokenize`` and
``ast.literal_eval`` and then to ``np.dtype``: an unclosed bracket escapes as
``tokenize.TokenError``, and a dtype such as ``{"names": ..., "itemsize": 1e20}`` or
``"b1," * 1_300_000`` raises ``OverflowError`` or costs hundreds of megabytes before it
is refused. npdnn only ever writes plain numeric scalars and fixed-width text labels,
so this module accepts exactly the header NumPy writes for those, with a fixed grammar
(one regular expression, no nesting) over at most :data:`MAX_HEADER_BYTES` bytes, and
builds the dtype from an allow-listed description only.

Owns: MAX_HEADER_BYTES, MAX_DIMS, PickledArray, parse (raises ValueError with a short message).
Imports: NumPy and the standard library only.
"""

from __future__ import annotations

import re
import struct

import numpy as np

MAGIC = b"\x93NUMPY"
MAX_HEADER_BYTES = 4096  # a .npy header is a short dict literal (~120 bytes here)
MAX_DIMS = 32  # NumPy's own limit on ndim (64 in NumPy 2); npdnn writes at most 2
MAX_TEXT_CHARS = 1024  # a text label of MAX_LABEL_BYTES (4096) bytes: 1024 UCS-4 characters
# A plain numeric scalar or fixed-width text: byte order, kind, size. Nothing else.
DESCR = re.compile(r"[<>|=]?(?:b1|[iu][1248]|f[248]|U[1-9][0-9]{0,3})")
_HEADER = re.compile(
    r"\{\s*'descr'\s*:\s*'(?P<descr>[^']{1,16})'\s*,"
    r"\s*'fortran_order'\s*:\s*(?P<order>True|False)\s*,"
    r"\s*'shape'\s*:\s*\((?P<shape>[0-9, ]{0,400})\)\s*,?\s*\}\s*"
)


def parse(prefix):
    """``(shape, fortran_order, dtype, data_offset)`` from the first bytes of a
    ``.npy`` member (``prefix``: bytes, at most 12 + :data:`MAX_HEADER_BYTES` long).
    Raises ValueError, with a message of bounded length, for anything else."""
    if prefix[:6] != MAGIC:
        raise ValueError(f"not a .npy array (starts with {bytes(prefix[:6])!r})")
    if len(prefix) < 10:
        raise ValueError("its .npy header is truncated")
    major = prefix[6]
    if major == 1:
        (length,), start = struct.unpack("<H", prefix[8:10]), 10
    elif major in (2, 3):
        if len(prefix) < 12:
            raise ValueError("its .npy header is truncated")
        (length,), start = struct.unpack("<I", prefix[8:12]), 12
    else:
        raise ValueError(f"unknown .npy version {major}.{prefix[7]}")
    if length > MAX_HEADER_BYTES:
        raise ValueError(f"its .npy header declares {length} bytes, more than {MAX_HEADER_BYTES}")
    raw = bytes(prefix[start : start + length])
    if len(raw) != length:
        raise ValueError("its .npy header is truncated")
    try:
        text = raw.decode("utf-8" if major == 3 else "latin1")
    except UnicodeDecodeError:
        raise ValueError("its .npy header is not text") from None
    match = _HEADER.fullmatch(text)
    if match is None:
        raise ValueError(f"its .npy header is not one npdnn writes: {_short(text)}")
    descr = match["descr"]
    if descr.lstrip("<>|=").startswith("O"):
        raise PickledArray("a pickled object array")
    if not DESCR.fullmatch(descr):
        raise ValueError(f"has dtype {descr}; expected numbers or text labels (b1, i/u 1-8, f 2-8, U)")
    if descr.lstrip("<>|=").startswith("U") and int(descr.lstrip("<>|=")[1:]) > MAX_TEXT_CHARS:
        raise ValueError(f"its text dtype {descr!r} is wider than {MAX_TEXT_CHARS} characters")
    shape = _shape(match["shape"])
    return shape, match["order"] == "True", np.dtype(descr), start + length


class PickledArray(ValueError):
    """An object array: NumPy would unpickle it, which can run code."""


def _shape(text):
    parts = [p.strip() for p in text.split(",")]
    if parts and parts[-1] == "":
        parts.pop()  # the trailing comma of a 1-tuple
    if len(parts) > MAX_DIMS or not all(p.isdigit() and len(p) <= 19 for p in parts):
        raise ValueError(f"its .npy shape ({_short(text)}) is not a tuple of at most {MAX_DIMS} sizes")
    return tuple(int(p) for p in parts)


def _short(text, limit=80):
    text = repr(text)
    return text if len(text) <= limit else f"{text[: limit - 20]}...({len(text)} characters)"
