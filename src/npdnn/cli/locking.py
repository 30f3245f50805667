"""One writer per output path: an advisory lock file beside each target.

Two ``npdnn train`` runs given the same ``--out`` or ``--checkpoint`` would each
write complete files (saves are atomic renames, see :mod:`npdnn.files.archive`), but a
checkpoint resumed by one run while the other overwrites it, or a model file that
silently comes from the other run, is no result at all. So the second run refuses
at once, naming the path and the process that holds it.

The lock is ``fcntl.flock`` on ``.NAME.lock`` in the target's folder. The kernel
drops it when its process dies, however it dies (SIGKILL included), so a lock
file left by a killed run never blocks the next one: the next run simply takes
it. The holder removes the file when done (while still holding the lock; a
process that opened the old file meanwhile sees it was unlinked and retries).
On systems without ``fcntl`` (Windows) no lock is taken.

The lock belongs to the file that will be written: a symlinked output is resolved
first (``os.path.realpath``), so two runs reaching one file through different names
are serialized. The lock file is opened without following a symlink (``O_NOFOLLOW``),
without truncating, and used only if it is a regular file with one link: in a
shared folder, a ``.NAME.lock`` planted as a link to someone's file is refused,
never written into.

Owns: exclusive, lock_path, PathInUseError. Imports: the standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class PathInUseError(OSError):
    """Another process holds the lock on an output path."""

    def __str__(self):
        return self.args[0]


def lock_path(path):
    """``folder/.NAME.lock`` for ``folder/NAME``, after resolving symlinks (the file
    that will really be written)."""
    folder, name = os.path.split(os.path.realpath(os.fspath(path)))
    return os.path.join(folder, f".{name}.lock")


@contextlib.contextmanager
def exclusive(paths, what="npdnn"):
    """Hold an exclusive lock on each of ``paths`` (``(path, label)`` pairs or plain
    paths; None and repeats skipped) for the block; raise :class:`PathInUseError`
    at once if another process holds one. Missing parent folders are created (and
    removed again at the end if nothing was written into them)."""
    with contextlib.ExitStack() as stack:
        seen = set()
        for item in paths:
            path, label = item if isinstance(item, tuple) else (item, None)
            if path is None or lock_path(path) in seen:
                continue
            seen.add(lock_path(path))
            stack.enter_context(_locked(path, label, what))
        yield


@contextlib.contextmanager
def _locked(path, label, what):
    if fcntl is None:  # pragma: no cover
        yield
        return
    lock = lock_path(path)
    created = []  # folders made for the lock file, removed again if the run left them empty
    folder = os.path.dirname(lock)
    while not os.path.exists(folder):
        created.append(folder)
        folder = os.path.dirname(folder)
    os.makedirs(os.path.dirname(lock), exist_ok=True)
    fd = _acquire(path, lock, label, what)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)  # before unlocking: nobody can take a file that is about to vanish
        os.close(fd)  # releases the lock
        for folder in created:  # deepest first; a folder the run wrote into is not empty and stays
            with contextlib.suppress(OSError):
                os.rmdir(folder)


_FLAGS = (
    os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
)


def _open_lock(path, lock, label):
    """The lock file's descriptor: never through a symlink, never a FIFO, device or a
    hard link to another file (each refused with :class:`PathInUseError`)."""
    name = f"{label} {path}" if label else str(path)
    try:
        fd = os.open(lock, _FLAGS, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP or os.path.islink(lock):
            raise PathInUseError(
                f"{name}: the lock file {lock} is a symbolic link, which npdnn never follows (it could "
                "point at anyone's file); remove it if nobody put it there on purpose"
            ) from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        what = "not a regular file" if not stat.S_ISREG(st.st_mode) else f"a file with {st.st_nlink} hard links"
        raise PathInUseError(
            f"{name}: the lock file {lock} is {what}, which npdnn never writes into; remove it if nobody "
            "put it there on purpose"
        )
    return fd


def _acquire(path, lock, label, what):
    while True:
        fd = _open_lock(path, lock, label)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip()[:20] or "unknown"
            os.close(fd)
            name = f"{label} {path}" if label else str(path)
            raise PathInUseError(
                f"{name} is being written by another {what} process (pid {holder}, lock file {lock}); "
                "wait for it to finish or choose another path"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            current = os.stat(lock)
        except FileNotFoundError:
            current = None
        mine = os.fstat(fd)
        if current is not None and (current.st_ino, current.st_dev) == (mine.st_ino, mine.st_dev):
            if mine.st_uid == os.geteuid():  # a stale lock file of another user's is used, not rewritten
                with contextlib.suppress(OSError):  # the pid only informs; a full disk must not stop the run here
                    os.ftruncate(fd, 0)
                    os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)  # the holder removed this file between our open and flock: take the new one
