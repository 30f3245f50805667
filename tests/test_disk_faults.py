"""Disk faults while saving: a full disk (ENOSPC), a read-only folder, a missing one.

Every save leaves the previous file byte for byte as it was, leaves no temporary
file, and raises an OSError of the fault's errno that names the path the caller
gave (never the temporary file's); the command line exits 2 with one line.

Faults are made two ways: in-process (a file object that runs out of room after
N bytes, or an fsync that fails, as delayed allocation reports it), which runs
everywhere and reaches every save in the library; and for real, in a private
mount namespace (``unshare``): a 64 KiB tmpfs filled up, and a read-only bind
mount (root ignores ``chmod``, not a read-only mount). Those are skipped where
unprivileged namespaces are not available.
"""

import errno
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification

import npdnn.files.archive
from npdnn import DNNClassifier, Network
from npdnn.cli.main import main

_real_fdopen = os.fdopen


class FullDisk:
    """A binary file that accepts ``room`` bytes, then fails as a full disk does
    (the bytes that fit are written: a real partial write)."""

    def __init__(self, f, room):
        self.f, self.room = f, room

    def write(self, b):
        b = memoryview(b).cast("B")
        if len(b) > self.room:
            self.f.write(b[: self.room])
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(b)
        return self.f.write(b)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def fail_fsync(*args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


FAULTS = ["room=0", "room=100", "room=1500", "fsync"]


@pytest.fixture
def disk_full(monkeypatch):
    """``disk_full(fault)`` makes every later save in this test hit ``fault``."""

    def install(fault):
        if fault == "fsync":
            monkeypatch.setattr(npdnn.files.archive.os, "fsync", fail_fsync)
        else:
            room = int(fault.split("=")[1])
            monkeypatch.setattr(
                npdnn.files.archive.os, "fdopen", lambda fd, mode: FullDisk(_real_fdopen(fd, mode), room)
            )

    return install


def assert_failed_cleanly(e, path, old, err=errno.ENOSPC):
    assert e.errno == err, e
    assert str(path) in str(e) and ".tmp" not in str(e), str(e)
    assert "nothing was saved" in str(e)
    assert path.read_bytes() == old
    assert sorted(os.listdir(path.parent)) == [path.name]  # no temporary file left


@pytest.fixture(scope="module")
def fitted():
    X, y = make_classification(60, 4, random_state=0)
    return DNNClassifier(hidden_layer_sizes=(5,), epochs=3, random_state=0).fit(X, y), X, y


@pytest.mark.parametrize("fault", FAULTS)
def test_network_save_on_a_full_disk_keeps_the_old_file(tmp_path, disk_full, fault):
    path = tmp_path / "m.npz"
    Network([4, 50, 1], seed=0).save(path)
    old = path.read_bytes()
    disk_full(fault)
    with pytest.raises(OSError) as info:
        Network([4, 50, 1], seed=1).save(path)
    assert_failed_cleanly(info.value, path, old)


@pytest.mark.parametrize("fault", FAULTS)
def test_classifier_save_on_a_full_disk_keeps_the_old_file(tmp_path, disk_full, fault, fitted):
    est, X, _ = fitted
    path = tmp_path / "m.npz"
    Network([4, 5, 1], seed=0).save(path)
    old = path.read_bytes()
    disk_full(fault)
    with pytest.raises(OSError) as info:
        est.save(path)
    assert_failed_cleanly(info.value, path, old)


@pytest.mark.parametrize("fault", FAULTS)
def test_checkpoint_on_a_full_disk_keeps_the_previous_checkpoint(tmp_path, disk_full, fault, fitted):
    _, X, y = fitted
    path = tmp_path / "ck.npz"
    Network([4, 50, 1], seed=0).fit(X, y, epochs=2, checkpoint=path)
    old = path.read_bytes()
    disk_full(fault)
    with pytest.raises(OSError) as info:
        Network([4, 50, 1], seed=0).fit(X, y, epochs=4, checkpoint=path)
    assert_failed_cleanly(info.value, path, old)


@pytest.mark.parametrize("fault", ["room=0", "room=1500", "fsync"])
def test_cli_on_a_full_disk_exits_2_with_one_line(tmp_path, disk_full, fault, capsys, monkeypatch):
    monkeypatch.delenv("NPDNN_DEBUG", raising=False)
    path = tmp_path / "m.npz"
    Network([4, 5, 1], seed=0).save(path)
    old = path.read_bytes()
    disk_full(fault)
    status = main(["train", "--layers", "4", "--epochs", "2", "--quiet", "--out", str(path)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.splitlines() == [
        f"npdnn: error: [Errno {errno.ENOSPC}] No space left on device; nothing was saved (any previous file at "
        f"that path is unchanged): '{path}'"
    ]
    assert path.read_bytes() == old and sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_save_into_a_missing_folder_names_the_path_given(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        Network([2, 1], seed=0).save(tmp_path / "nodir" / "x.npz")
    assert info.value.filename == str(tmp_path / "nodir" / "x.npz")
    assert ".tmp" not in str(info.value) and "nothing was saved" in str(info.value)
    assert os.listdir(tmp_path) == []


def test_save_under_a_file_names_the_path_given(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(NotADirectoryError) as info:
        Network([2, 1], seed=0).save(tmp_path / "file" / "x.npz")
    assert info.value.filename == str(tmp_path / "file" / "x.npz") and ".tmp" not in str(info.value)
    assert os.listdir(tmp_path) == ["file"]


def test_failed_write_of_other_kinds_still_propagates_unchanged(tmp_path, monkeypatch):
    """Only OSErrors are renamed; a bug inside the writer (TypeError) passes through
    as it is, and still leaves no temporary file."""

    def broken(f):
        raise TypeError("writer bug")

    with pytest.raises(TypeError, match="writer bug"):
        npdnn.files.archive.atomic_write(tmp_path / "x.bin", broken)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------- real faults, in a mount namespace
UNSHARE = shutil.which("unshare")


def _in_namespace(script, cwd):
    """Run ``script`` (sh) as root of a private user + mount namespace."""
    return subprocess.run(
        [UNSHARE, "--user", "--map-root-user", "--mount", "sh", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def namespaces(tmp_path_factory):
    probe = tmp_path_factory.mktemp("probe")
    if UNSHARE is None:
        pytest.skip("no unshare(1): cannot make a real read-only or full file system here")
    r = _in_namespace(f"mount -t tmpfs -o size=64k tmpfs {probe} && mount -o remount,ro,bind {probe}", probe)
    if r.returncode != 0:
        pytest.skip(f"unprivileged mount namespaces unavailable: {r.stderr.strip()}")


def _npdnn_line(*args):
    return " ".join([sys.executable, "-m", "npdnn", *map(str, args)])


@pytest.mark.slow
def test_cli_on_a_really_full_disk(tmp_path, namespaces):
    """A 64 KiB tmpfs holding the old model and filled to the brim: the real ENOSPC."""
    disk = tmp_path / "disk"
    disk.mkdir()
    Network([30, 8, 1], seed=5).save(tmp_path / "old.npz")
    script = f"""
        mount -t tmpfs -o size=64k tmpfs {disk} || exit 99
        cp {tmp_path}/old.npz {disk}/m.npz
        dd if=/dev/zero of={disk}/fill bs=1k count=1000 2>/dev/null
        {_npdnn_line("train", "--layers", "8", "--epochs", "2", "--quiet", "--out", disk / "m.npz")} \
            > {tmp_path}/stdout 2> {tmp_path}/stderr
        echo $? > {tmp_path}/status
        rm {disk}/fill
        cmp {disk}/m.npz {tmp_path}/old.npz && echo same > {tmp_path}/cmp
        ls -A {disk} > {tmp_path}/listing
    """
    r = _in_namespace(script, tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "status").read_text().strip() == "2"
    assert (tmp_path / "stderr").read_text().splitlines() == [
        f"npdnn: error: [Errno {errno.ENOSPC}] No space left on device; nothing was saved (any previous file at "
        f"that path is unchanged): '{disk / 'm.npz'}'"
    ]
    assert (tmp_path / "cmp").read_text() == "same\n"
    assert (tmp_path / "listing").read_text().split() == ["m.npz"]


@pytest.mark.slow
def test_cli_into_a_read_only_folder(tmp_path, namespaces):
    """A read-only bind mount over the folder: the CLI refuses before training, and a
    library save there fails with EROFS naming the path, the old file untouched."""
    ro = tmp_path / "ro"
    ro.mkdir()
    Network([4, 5, 1], seed=0).save(ro / "m.npz")
    old = (ro / "m.npz").read_bytes()
    save = f"import npdnn; npdnn.Network([4, 5, 1], seed=1).save({str(ro / 'm.npz')!r})"
    script = f"""
        mount --bind {ro} {ro} && mount -o remount,ro,bind {ro} || exit 99
        {_npdnn_line("train", "--layers", "4", "--epochs", "2", "--quiet", "--out", ro / "m.npz")} \
            > {tmp_path}/stdout 2> {tmp_path}/stderr
        echo $? > {tmp_path}/status
        {sys.executable} -c "{save}" 2> {tmp_path}/save-stderr
        echo $? > {tmp_path}/save-status
    """
    r = _in_namespace(script, tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "status").read_text().strip() == "2"
    lines = (tmp_path / "stderr").read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"npdnn: error: --out {ro / 'm.npz'}"), lines
    assert "not writable" in lines[0]
    assert (tmp_path / "save-status").read_text().strip() == "1"
    last = (tmp_path / "save-stderr").read_text().splitlines()[-1]
    assert last == (
        f"OSError: [Errno {errno.EROFS}] Read-only file system; nothing was saved (any previous file at that path "
        f"is unchanged): '{ro / 'm.npz'}'"
    )
    assert (ro / "m.npz").read_bytes() == old and os.listdir(ro) == ["m.npz"]


@pytest.mark.slow
def test_cli_past_the_file_size_limit(tmp_path):
    """RLIMIT_FSIZE: the kernel refuses writes past 1 KiB with EFBIG (SIGXFSZ ignored),
    a real write failure that needs no privilege."""
    import resource
    import signal

    Network([30, 8, 1], seed=5).save(tmp_path / "m.npz")
    old = (tmp_path / "m.npz").read_bytes()

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    env = {k: v for k, v in os.environ.items() if k != "NPDNN_DEBUG"}
    r = subprocess.run(
        [sys.executable, "-m", "npdnn", "train", "--layers", "8", "--epochs", "2", "--quiet", "--out", "m.npz"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        env=env,
        timeout=300,
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [
        f"npdnn: error: [Errno {errno.EFBIG}] File too large; nothing was saved (any previous file at that path "
        "is unchanged): 'm.npz'"
    ]
    assert (tmp_path / "m.npz").read_bytes() == old and os.listdir(tmp_path) == ["m.npz"]
    np.testing.assert_array_equal(npdnn.load(tmp_path / "m.npz").theta, Network([30, 8, 1], seed=5).theta)


@pytest.mark.parametrize("fault", ["room=0", "room=100", "fsync"])
def test_cli_predictions_on_a_full_disk_keep_the_old_file(tmp_path, disk_full, fault, fitted, capsys, monkeypatch):
    monkeypatch.delenv("NPDNN_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    import pandas as pd

    _, X, y = fitted
    est = DNNClassifier(hidden_layer_sizes=(5,), epochs=2, random_state=0).fit(pd.DataFrame(X, columns=list("abcd")), y)
    est.save(tmp_path / "m.npz")
    np.savetxt(tmp_path / "d.csv", X, delimiter=",", header="a,b,c,d", comments="")
    (tmp_path / "pred.csv").write_text("old predictions\n")
    disk_full(fault)
    status = main(
        ["predict", "--model", str(tmp_path / "m.npz"), "--data", str(tmp_path / "d.csv"), "--out", "pred.csv"]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert err.splitlines() == [
        f"npdnn: error: [Errno {errno.ENOSPC}] No space left on device; nothing was saved (any previous file at "
        "that path is unchanged): 'pred.csv'"
    ]
    assert (tmp_path / "pred.csv").read_text() == "old predictions\n"
    assert sorted(os.listdir(tmp_path)) == ["d.csv", "m.npz", "pred.csv"]
