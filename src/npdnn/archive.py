"""Safe, atomic archive files: NumPy arrays plus JSON metadata in one ``.npz``.

Loading never executes code: arrays are read with ``allow_pickle=False`` (an
object array, the only NumPy route to unpickling, is refused) and metadata is
JSON. Writing goes to a temporary file in the target's folder, is flushed and
fsynced, then renamed over the target, so a crash leaves the old file intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
import threading
import zipfile

import numpy as np

META_KEY = "__meta__"
ZIP_MAGIC = b"PK\x03\x04"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest date


class ModelFileError(ValueError):
    """A model or checkpoint file that cannot be loaded: says which file and why."""


@contextlib.contextmanager
def _interrupts_deferred():
    """Hold Ctrl-C (SIGINT) and SIGTERM until the block ends, so no interrupt can land
    between creating the temporary file and renaming or removing it; a signal that
    came in meanwhile is raised again right after (KeyboardInterrupt for Ctrl-C).

    Why swap the Python handlers rather than block the signals with pthread_sigmask:
    a signal that arrived just before the block has already been taken by the OS,
    and Python runs its handler at the next bytecode, which can be inside mkstemp
    after the file exists (seen in CI: a leftover ``.ck.npz.*.tmp``). A swapped
    handler catches that case too. Only the main thread can set handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if handler is not None:  # None: set outside Python, cannot be put back
            previous[sig] = signal.signal(sig, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if held:
            signal.raise_signal(held[0])


def atomic_write(path, write):
    """Call ``write(fileobj)`` on a temporary file beside ``path``, fsync, rename."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory; expected a file path to write")
    with _interrupts_deferred():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                # mkstemp creates 0600; give the file the mode a plain open() would (or the old file's).
                os.fchmod(f.fileno(), _mode_for(path))
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _mode_for(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_archive(path, arrays, meta, kind, version):
    """Write ``arrays`` (name -> ndarray) and ``meta`` (JSON-able dict) atomically."""
    header = {"format": f"npdnn-{kind}", "version": version, **meta}
    blob = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    for name, a in arrays.items():
        if np.asarray(a).dtype.hasobject:
            raise TypeError(f"array {name!r} has dtype object; only numeric arrays are stored")
    atomic_write(path, lambda f: _write_npz(f, {META_KEY: blob, **arrays}))


def _write_npz(f, arrays):
    """``np.savez`` with a fixed timestamp on every member, so the same content
    always gives the same bytes (np.savez stamps the current time; identical
    models would then differ byte for byte)."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED) as z:
        for name, a in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=FIXED_DATE)
            with z.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(a), allow_pickle=False)


def read_archive(path, kind, version):
    """Return ``(arrays, meta)`` from a file written by :func:`write_archive`.

    Raises :class:`ModelFileError` naming the file and the problem: empty,
    truncated or corrupted, holding a pickle, foreign, another kind, or a newer
    format version than this npdnn reads.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a directory; expected an npdnn {kind} file")
    with open(path, "rb") as f:  # FileNotFoundError / PermissionError as is
        head = f.read(4)
    if not head:
        raise ModelFileError(f"{path} is empty (0 bytes); expected an npdnn {kind} file")
    if head[:1] == b"\x80":
        raise ModelFileError(f"{path} is a Python pickle, which npdnn never loads (unpickling can run code)")
    if head != ZIP_MAGIC:
        raise ModelFileError(f"{path} is not an npdnn {kind} file (unknown format, starts with {head!r})")
    try:
        # Our own handle, so the file is closed even when np.load fails on a bad zip.
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
            if META_KEY not in z.files:
                raise ModelFileError(f"{path} is a NumPy archive but not an npdnn {kind} file (no metadata)")
            meta = json.loads(z[META_KEY].tobytes().decode("utf-8"))
            arrays = {k: z[k] for k in z.files if k != META_KEY}
        for name, a in arrays.items():
            if not isinstance(a, np.ndarray):  # np.load hands back raw bytes for a non-.npy member
                raise ModelFileError(f"{path} is corrupted: member {name!r} is not a NumPy array")
    except ModelFileError:
        raise
    except ValueError as e:
        if "pickle" in str(e):
            raise ModelFileError(
                f"{path} holds a pickled object array, which npdnn never loads (unpickling can run code)"
            ) from None
        raise ModelFileError(f"{path} is corrupted: {e}") from None
    # zipfile raises NotImplementedError / RuntimeError when damaged header bits claim
    # an unsupported compression, version or encryption.
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, NotImplementedError, RuntimeError) as e:
        raise ModelFileError(f"{path} is truncated or corrupted ({type(e).__name__}: {e})") from None
    if not isinstance(meta, dict) or meta.get("format") != f"npdnn-{kind}":
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ModelFileError(f"{path} is not an npdnn {kind} file (format {found!r})")
    found_version = meta.get("version")
    if not isinstance(found_version, int) or isinstance(found_version, bool):
        raise ModelFileError(f"{path} has an invalid format version {found_version!r}")
    if found_version > version:
        raise ModelFileError(
            f"{path} has format version {found_version}, newer than this npdnn reads (up to {version}); "
            "upgrade npdnn to load it"
        )
    return arrays, meta
