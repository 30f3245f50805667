"""Safe, atomic archive files: NumPy arrays plus JSON metadata in one ``.npz``.

Loading never executes code: arrays are read with ``allow_pickle=False`` (an
object array, the only NumPy route to unpickling, is refused) and metadata is
JSON. Writing goes to a temporary file in the target's folder, is flushed and
fsynced, then renamed over the target, so a crash leaves the old file intact;
a failed save raises the OSError naming the caller's path and leaves no temporary
file. Reading is bounded: see the section "reading, bounded" below.

Owns: ModelFileError, atomic_write, write_archive, read_archive (and its limits
MAX_META_BYTES, MAX_MEMBERS, MAX_DIRECTORY_BYTES, MAX_NPY_HEADER_BYTES).
Imports: NumPy and the standard library only.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import stat
import tempfile
import threading
import zipfile

import numpy as np

from ..errors import MAX_MESSAGE_CHARS, ModelFileError  # noqa: F401 (MAX_MESSAGE_CHARS: re-exported)
from . import npy_header
from .integrity import DIGEST_MEMBER, Digest, check_key, check_seal, read_seal, seal

META_KEY = "__meta__"
RESERVED_META = "integrity"  # set by read_archive: the digest it checked
ZIP_MAGIC = b"PK\x03\x04"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest date


def short(value, limit=80):
    """``repr(value)`` cut to about ``limit`` characters, for quoting untrusted values in messages."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[: limit - 30]!r}...({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 20]}...({len(text)} characters)"


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
    """Call ``write(fileobj)`` on a temporary file beside ``path``, fsync, rename.

    A symlinked ``path`` is resolved on purpose: the file it points to is replaced
    atomically (a temporary file in *its* folder, renamed over it) and the link
    stays a link, so ``latest.npz -> run3.npz`` updates run3.npz. Errors name ``path``."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory; expected a file path to write")
    target = os.path.realpath(path) if os.path.islink(path) else path
    folder = os.path.dirname(os.path.abspath(target))
    with _interrupts_deferred():
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(target) + ".", suffix=".tmp")
        except OSError as e:  # missing or read-only folder: name the user's path, not the temporary one
            raise _naming(e, path) from None
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                # mkstemp creates 0600; give the file the mode a plain open() would (or the old file's).
                os.fchmod(f.fileno(), _mode_for(target))
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException as e:
            with contextlib.suppress(OSError):  # a failed removal must not hide why the save failed
                os.unlink(tmp)
            if isinstance(e, OSError):  # a full disk (ENOSPC), a quota, an I/O error
                raise _naming(e, path) from None
            raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _naming(e, path):
    """``e`` again, of the same type and errno, naming ``path`` (the file the caller
    asked for) instead of the temporary file, and saying nothing was replaced."""
    if e.errno is None:
        return e
    reason = f"{e.strerror or e}; nothing was saved (any previous file at that path is unchanged)"
    return type(e)(e.errno, reason, path)


def _mode_for(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_archive(path, arrays, meta, kind, version, key=None):
    """Write ``arrays`` (name -> ndarray) and ``meta`` (JSON-able dict) atomically,
    sealed with a digest of every member (see :mod:`npdnn.files.integrity`) and,
    with ``key`` (bytes), an HMAC of it."""
    key = check_key(key)
    if RESERVED_META in meta:
        raise ValueError(f"{RESERVED_META!r} is reserved in an archive's metadata")
    header = {"format": f"npdnn-{kind}", "version": version, **meta}
    blob = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    for name, a in arrays.items():
        if np.asarray(a).dtype.hasobject:
            raise TypeError(f"array {name!r} has dtype object; only numeric arrays are stored")
        if name == DIGEST_MEMBER:
            raise ValueError(f"{DIGEST_MEMBER!r} is reserved for the archive's digest")
    atomic_write(path, lambda f: _write_npz(f, {META_KEY: blob, **arrays}, key))


class _Hashing:
    """A write-only stream that feeds a :class:`Digest` as it writes."""

    def __init__(self, f, digest):
        self.f, self.digest = f, digest

    def write(self, data):
        self.digest.update(memoryview(data).cast("B"))
        return self.f.write(data)


def _write_npz(f, arrays, key=None):
    """``np.savez`` with a fixed timestamp on every member, so the same content
    always gives the same bytes (np.savez stamps the current time; identical
    models would then differ byte for byte), and a last ``__digest__`` member."""
    digest = Digest()
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED) as z:
        for name, a in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=FIXED_DATE)
            digest.begin(name)
            with z.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(_Hashing(member, digest), np.asanyarray(a), allow_pickle=False)
            digest.end()
        seal_bytes = np.frombuffer(seal(digest.hexdigest(), key), dtype=np.uint8)
        with z.open(zipfile.ZipInfo(DIGEST_MEMBER + ".npy", date_time=FIXED_DATE), "w", force_zip64=True) as member:
            np.lib.format.write_array(member, seal_bytes, allow_pickle=False)


# ---------------------------------------------------------------------- reading, bounded
# A model file may come from anyone. Before a byte of array data is read (or a byte
# decompressed), every member's zip entry and .npy header is checked: stored (never
# compressed), its declared shape and dtype backed by exactly the bytes the member
# holds, and (through ``plan``) consistent with the metadata. So memory follows
# what the file legitimately describes, never what a header claims.
MAX_META_BYTES = 4 * 2**20  # the JSON metadata member; a 20,000-epoch history is ~1.2 MB
MAX_MEMBERS = 64  # npdnn writes at most ~10 (a checkpoint with Adam's moments)
MAX_DIRECTORY_BYTES = 2**20  # the zip central directory, read whole by zipfile
MAX_NPY_HEADER_BYTES = npy_header.MAX_HEADER_BYTES
_CHUNK = 2**20  # bytes copied at a time from a member into its array


class Header:
    """A member's declared ``shape``, ``dtype`` and memory order, read from its .npy header."""

    def __init__(self, shape, fortran_order, dtype, offset):
        self.shape, self.fortran_order, self.dtype, self.offset = shape, fortran_order, dtype, offset

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    def __repr__(self):
        return f"{self.shape} {self.dtype}"


def read_archive(path, kind, version, plan=None, key=None, sealed_since=1):
    """Return ``(arrays, meta)`` from a file written by :func:`write_archive`.

    ``plan(meta, headers)``, if given, runs after the metadata and every member's
    declared header (``{name: Header}``) have been checked and before any array
    data is read: it raises :class:`ModelFileError` for declarations the metadata
    does not allow, and may return ``{name: out}`` arrays (1-D, contiguous, of the
    declared size and dtype) to read members into instead of new arrays.

    The file's digest (see :mod:`npdnn.files.integrity`) is checked once every
    member is read; files of a format version below ``sealed_since`` were written
    before digests existed and may lack one (never when ``key`` is given, which also
    requires a valid signature). ``meta["integrity"]`` tells what was checked:
    ``{"digest": "sha256:...", "signed": bool}``, or None for an unsealed old file.

    Raises :class:`ModelFileError` naming the file and the problem: empty,
    truncated or corrupted, holding a pickle, compressed, declaring more data than
    it holds, metadata past :data:`MAX_META_BYTES`, foreign, another kind, a newer
    format version than this npdnn reads, or contents that do not match the digest.
    """
    path = os.fspath(path)
    key = check_key(key)
    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a directory; expected an npdnn {kind} file")
    try:
        with open(path, "rb") as f:  # FileNotFoundError / PermissionError as is
            return _read_open(path, f, kind, version, plan, key, sealed_since)
    except ModelFileError:
        raise
    # zipfile raises NotImplementedError / RuntimeError when damaged header bits claim
    # an unsupported compression, version or encryption; json raises RecursionError (a
    # RuntimeError) on deeply nested metadata.
    except (zipfile.BadZipFile, EOFError, KeyError, NotImplementedError, RuntimeError, OverflowError) as e:
        raise ModelFileError(f"{path} is truncated or corrupted ({type(e).__name__}: {e})") from None
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except OSError as e:
        raise ModelFileError(f"{path} is truncated or corrupted ({type(e).__name__}: {e})") from None
    except (ValueError, TypeError) as e:  # a damaged JSON (UnicodeDecodeError included)
        raise ModelFileError(f"{path} is corrupted: {e}") from None


def _read_open(path, f, kind, version, plan, key, sealed_since):
    st = os.fstat(f.fileno())
    if stat.S_ISDIR(st.st_mode):
        raise ModelFileError(f"{path} is a directory; expected an npdnn {kind} file")
    if not stat.S_ISREG(st.st_mode):  # a FIFO or a device could block or never end
        raise ModelFileError(f"{path} is not a regular file (a pipe or a device); expected an npdnn {kind} file")
    head = f.read(4)
    if not head:
        raise ModelFileError(f"{path} is empty (0 bytes); expected an npdnn {kind} file")
    if head[:1] == b"\x80":
        raise ModelFileError(f"{path} is a Python pickle, which npdnn never loads (unpickling can run code)")
    if head != ZIP_MAGIC:
        raise ModelFileError(f"{path} is not an npdnn {kind} file (unknown format, starts with {head!r})")
    f.seek(0)
    _check_directory(path, f)
    with zipfile.ZipFile(f) as z:
        infos = _members(path, z, st.st_size)
        if META_KEY not in infos:
            raise ModelFileError(f"{path} is a NumPy archive but not an npdnn {kind} file (no metadata)")
        headers = {name: _header(path, z, info) for name, info in infos.items()}
        seal_header = headers.pop(DIGEST_MEMBER, None)
        digest = Digest()
        meta = _read_meta(path, z, infos[META_KEY], headers.pop(META_KEY), digest)
        _check_format(path, meta, kind, version)
        if RESERVED_META in meta:
            raise ModelFileError(f"{path} is corrupted: its metadata holds the reserved key {RESERVED_META!r}")
        stored = None
        if seal_header is not None:
            if seal_header.dtype != np.uint8 or len(seal_header.shape) != 1:
                raise ModelFileError(f"{path} is corrupted: digest member {seal_header!r}, expected bytes")
            try:
                stored = read_seal(_read_array(path, z, infos[DIGEST_MEMBER], seal_header, None).tobytes())
            except ValueError as e:
                raise ModelFileError(f"{path} is refused: {e}") from None
        elif meta["version"] >= sealed_since or key is not None:
            raise ModelFileError(
                f"{path} is refused: it carries no digest"
                + (", so the key cannot check it" if meta["version"] < sealed_since else "")
                + f" (npdnn {kind} files of format version {sealed_since} and later are sealed)"
            )
        out = (plan(meta, headers) if plan is not None else None) or {}
        arrays = {name: _read_array(path, z, infos[name], h, out.get(name), digest) for name, h in headers.items()}
    if stored is not None:
        try:
            check_seal(digest.hexdigest(), *stored, key)
        except ValueError as e:
            raise ModelFileError(f"{path} is refused: {e}") from None
    meta[RESERVED_META] = None if stored is None else {"digest": f"sha256:{stored[0]}", "signed": key is not None}
    return arrays, meta


def _check_directory(path, f):
    """Refuse a central directory past :data:`MAX_DIRECTORY_BYTES` before zipfile reads it whole."""
    end_record = getattr(zipfile, "_EndRecData", None)  # private, but in every CPython since 2.x
    if end_record is None:
        return
    end = end_record(f)  # the end record zipfile itself trusts (zip64 aware)
    if end is None:
        raise zipfile.BadZipFile("File is not a zip file")
    if end[zipfile._ECD_SIZE] > MAX_DIRECTORY_BYTES:
        raise ModelFileError(
            f"{path} is refused: its zip directory declares {end[zipfile._ECD_SIZE]} bytes, more than "
            f"{MAX_DIRECTORY_BYTES} (npdnn files hold a few small entries)"
        )
    f.seek(0)


def _members(path, z, file_size):
    """``{name: ZipInfo}`` without the ``.npy``; every member stored and inside the file."""
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ModelFileError(f"{path} is refused: {len(infos)} members, more than {MAX_MEMBERS}")
    members = {}
    for info in infos:
        name = info.filename[:-4] if info.filename.endswith(".npy") else None
        if name is None:
            raise ModelFileError(f"{path} is corrupted: member {info.filename!r} is not a NumPy array")
        if name in members:
            raise ModelFileError(f"{path} is corrupted: member {info.filename!r} appears twice")
        if info.compress_type != zipfile.ZIP_STORED:
            raise ModelFileError(
                f"{path} is refused: member {info.filename!r} is compressed (method {info.compress_type}); "
                "npdnn writes and reads only stored members, since a small compressed member can expand "
                f"to gigabytes ({info.file_size} bytes declared)"
            )
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{path} is refused: member {info.filename!r} is encrypted")
        if info.compress_size != info.file_size or info.header_offset + info.compress_size > file_size:
            raise ModelFileError(
                f"{path} is truncated or corrupted: member {info.filename!r} declares {info.file_size} bytes "
                f"({info.compress_size} stored at offset {info.header_offset}) in a file of {file_size} bytes"
            )
        members[name] = info
    return members


def _header(path, z, info):
    """The member's .npy header, from at most its first ``MAX_NPY_HEADER_BYTES`` bytes,
    parsed by :func:`npdnn.files.npy_header.parse` (plain numbers and text only) and
    checked against the bytes the member holds."""
    with z.open(info) as m:
        prefix = m.read(min(info.file_size, 12 + MAX_NPY_HEADER_BYTES))
    name = info.filename
    try:
        shape, fortran_order, dtype, offset = npy_header.parse(prefix)
    except npy_header.PickledArray:
        raise ModelFileError(
            f"{path} holds a pickled object array, which npdnn never loads (unpickling can run code): {short(name)}"
        ) from None
    except ValueError as e:
        raise ModelFileError(f"{path} is refused: member {short(name)}: {e}") from None
    h = Header(shape, fortran_order, dtype, offset)
    if h.nbytes != info.file_size - h.offset:
        raise ModelFileError(
            f"{path} is refused: member {short(name)} declares shape {short(shape)} {dtype} ({h.nbytes} bytes) "
            f"but holds {info.file_size - h.offset} bytes of data"
        )
    return h


def _read_meta(path, z, info, h, digest=None):
    if h.dtype != np.uint8 or len(h.shape) != 1:
        raise ModelFileError(f"{path} is corrupted: metadata member {h!r}, expected bytes")
    if h.nbytes > MAX_META_BYTES:
        raise ModelFileError(
            f"{path} is refused: metadata of {h.nbytes} bytes, more than the limit of {MAX_META_BYTES} "
            "(npdnn.files.archive.MAX_META_BYTES)"
        )
    return json.loads(_read_array(path, z, info, h, None, digest).tobytes().decode("utf-8"))


def _read_array(path, z, info, h, out, digest=None):
    """The member's data, copied in chunks into ``out`` (or a new array): memory is
    the array itself plus one chunk."""
    flat = np.empty(h.size, dtype=h.dtype) if out is None else out
    if flat.shape != (h.size,) or flat.dtype != h.dtype or not flat.flags.c_contiguous:
        raise ValueError(f"read_archive: destination for {info.filename!r} is {flat.shape} {flat.dtype}, not {h!r}")
    view = memoryview(flat.view(np.uint8)).cast("B")
    digest = digest or _NoDigest()
    digest.begin(info.filename[:-4])
    with z.open(info) as m:
        digest.update(m.read(h.offset))
        for start in range(0, len(view), _CHUNK):
            chunk = m.read(min(_CHUNK, len(view) - start))
            if len(chunk) != min(_CHUNK, len(view) - start):
                raise EOFError(f"member {info.filename!r} ends early")
            view[start : start + len(chunk)] = chunk
            digest.update(chunk)
        m.read(1)  # reach the end, so zipfile checks the CRC
    digest.end()
    return flat.reshape(h.shape, order="F" if h.fortran_order else "C")


class _NoDigest:
    def begin(self, name):
        pass

    def update(self, data):
        pass

    def end(self):
        pass


def _check_format(path, meta, kind, version):
    if not isinstance(meta, dict) or meta.get("format") != f"npdnn-{kind}":
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ModelFileError(f"{path} is not an npdnn {kind} file (format {short(found)})")
    found_version = meta.get("version")
    if not isinstance(found_version, int) or isinstance(found_version, bool) or found_version < 1:
        raise ModelFileError(f"{path} has an invalid format version {short(found_version)}")
    if found_version > version:
        raise ModelFileError(
            f"{path} has format version {found_version}, newer than this npdnn reads (up to {version}); "
            "upgrade npdnn to load it"
        )
