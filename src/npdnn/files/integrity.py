"""A digest of an archive's contents, and optionally a keyed signature (HMAC).

Every member of an npdnn archive (the JSON metadata and each array, as the exact
``.npy`` bytes stored) is hashed in file order, its name and length included:

    digest = SHA-256( for each member: name, 0x00, bytes, len(bytes) as 8 bytes LE )

The digest is stored in one more member, ``__digest__``, written last, and checked at
load: a member edited after writing, even with its zip CRC recomputed, is refused.
``npdnn info`` prints it, so a user can compare a file with a published digest.

What it protects against: accidental change (a disk, a copy, a careless edit, a
tool that rewrote one member) and swapped members. What it does not: anyone who
edits a file can recompute an unkeyed digest. That is what the key is for: with
``key=`` (``--key-file``) at save, the file also carries
``HMAC-SHA256(key, digest)``, and a load given the same key refuses a file whose
signature is missing or wrong. The key proves the file was written by someone who
holds it; it does not hide the file's contents, does not stop an older file signed
with the same key from being passed off as the newest, and is worth no more than
the secrecy of the key file.

Owns: DIGEST_MEMBER, Digest, seal, check_seal. Imports: the standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct

DIGEST_MEMBER = "__digest__"
ALGORITHM = "sha256"
MAX_SEAL_BYTES = 1024  # the member's JSON: two hex strings and their names
MIN_KEY_BYTES = 16


class Digest:
    """SHA-256 over members fed in order: ``begin(name)``, ``update(bytes)``... ``end()``."""

    def __init__(self):
        self._h = hashlib.sha256()
        self._n = 0

    def begin(self, name):
        self._h.update(name.encode("utf-8") + b"\x00")
        self._n = 0

    def update(self, data):
        self._h.update(data)
        self._n += len(data)

    def end(self):
        self._h.update(struct.pack("<Q", self._n))

    def hexdigest(self):
        return self._h.hexdigest()


def check_key(key):
    """``key`` as bytes (None stays None); ValueError for a key too short to mean anything."""
    if key is None:
        return None
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise TypeError(f"key must be bytes (or str); got {type(key).__name__}")
    key = bytes(key)
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"key must be at least {MIN_KEY_BYTES} bytes; got {len(key)}")
    return key


def _signature(key, digest):
    return hmac.new(key, f"npdnn-{ALGORITHM}:{digest}".encode(), hashlib.sha256).hexdigest()


def seal(digest, key=None):
    """The ``__digest__`` member's bytes for ``digest`` (hex), signed when ``key`` is given."""
    record = {"algorithm": ALGORITHM, "digest": digest}
    if key is not None:
        record["hmac-sha256"] = _signature(key, digest)
    return json.dumps(record, sort_keys=True).encode("ascii")


def read_seal(blob):
    """``(digest, signature or None)`` from a ``__digest__`` member; ValueError if malformed."""
    if len(blob) > MAX_SEAL_BYTES:
        raise ValueError(f"its digest member holds {len(blob)} bytes, more than {MAX_SEAL_BYTES}")
    try:
        record = json.loads(bytes(blob).decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("its digest member is not the JSON npdnn writes") from None
    if (
        not isinstance(record, dict)
        or record.get("algorithm") != ALGORITHM
        or set(record)
        - {
            "algorithm",
            "digest",
            "hmac-sha256",
        }
    ):
        raise ValueError("its digest member is not the JSON npdnn writes")
    digest, signature = record.get("digest"), record.get("hmac-sha256")
    for value in (digest, signature):
        if value is not None and not (isinstance(value, str) and len(value) == 64 and _is_hex(value)):
            raise ValueError("its digest member is not the JSON npdnn writes")
    if digest is None:
        raise ValueError("its digest member holds no digest")
    return digest, signature


def check_seal(computed, stored, signature, key):
    """Raise ValueError unless ``computed`` equals the ``stored`` digest and, when
    ``key`` is given, ``signature`` is its HMAC under that key."""
    if not hmac.compare_digest(computed, stored):
        raise ValueError(
            f"its contents do not match its digest (stored sha256:{stored}, computed sha256:{computed}): "
            "it was changed after it was written"
        )
    if key is None:
        return
    if signature is None:
        raise ValueError("it is not signed, and a key was given (it was saved without --key-file / key=)")
    if not hmac.compare_digest(signature, _signature(key, computed)):
        raise ValueError("its signature does not match the key given (another key signed it, or it was forged)")


def _is_hex(text):
    return all(c in "0123456789abcdef" for c in text)
