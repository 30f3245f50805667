"""``--key-file``: the secret that signs a model file at ``train`` and checks it at load.

See :mod:`npdnn.files.integrity` for what a signature protects against. The key file
is read whole (at most :data:`MAX_KEY_FILE_BYTES`); surrounding whitespace is
dropped, so a key written by ``openssl rand -hex 32 > key`` works as is.

Owns: read_key, KeyFileError. Imports: the standard library only.
"""

from __future__ import annotations

import os
import stat


class KeyFileError(ValueError):
    """A ``--key-file`` that cannot be used (missing, not a file, too short or too long)."""


MAX_KEY_FILE_BYTES = 4096


def read_key(args):
    """The bytes of ``--key-file`` (None without it); KeyFileError for a missing, huge or short one."""
    path = getattr(args, "key_file", None)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise KeyFileError(f"--key-file {path} is not a regular file")
            key = f.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as e:
        raise KeyFileError(f"--key-file {path}: {e.strerror or e}") from None
    if len(key) > MAX_KEY_FILE_BYTES or len(key.strip()) < 16:
        raise KeyFileError(
            f"--key-file {path} holds {len(key)} bytes; expected a secret of 16 to {MAX_KEY_FILE_BYTES} bytes"
        )
    return key.strip()
