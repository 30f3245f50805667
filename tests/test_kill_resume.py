"""Kill-and-resume: the real CLI, SIGKILLed at several moments (including while
a checkpoint is being written) and rerun with --resume until it exits 0, ends
with a model file byte-identical to an uninterrupted run's."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytestmark = pytest.mark.numerics  # BLAS-kernel dependent: CI reruns it with OPENBLAS_CORETYPE=Haswell

EPOCHS = 150


def _write_data(path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    lines = ["a,b,c,d,y"] + [",".join(f"{v:.6f}" for v in row) + f",{t}" for row, t in zip(X, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")


def _cmd(folder):
    return [
        sys.executable, "-m", "npdnn", "train", "--data", str(folder / "small.csv"), "--target", "y",
        "--epochs", str(EPOCHS), "--layers", "32,16", "--batch-size", "8", "--checkpoint", str(folder / "ck.npz"),
        "--checkpoint-every", "1", "--resume", "--out", str(folder / "model.npz"), "--seed", "0", "--quiet",
    ]  # fmt: skip


def _start(folder):
    # The child runs at a lower priority than this watcher: on a busy machine the watcher must
    # still see each checkpoint (and each temp file) while it exists, or its kill lands late.
    return subprocess.Popen(
        _cmd(folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lambda: os.nice(10)
    )


def _kill(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


# Deadlines, not expected durations: on a loaded 2-core machine an import alone took seconds.
DEADLINE = 180.0


def _kill_after_checkpoints(proc, folder, n, timeout=DEADLINE):
    """Kill ``proc`` between epochs, once it has replaced ck.npz ``n`` times."""
    ck, seen, last = folder / "ck.npz", 0, None
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None and seen < n:
        try:
            ino = ck.stat().st_ino  # os.replace gives each checkpoint a new inode
        except FileNotFoundError:
            ino = None
        if ino is not None and ino != last:
            seen, last = seen + 1, ino
        time.sleep(0.0005)
    _kill(proc)
    return seen


def _kill_during_checkpoint_write(proc, folder, timeout=DEADLINE):
    """Kill ``proc`` as soon as a checkpoint temp file (.ck.npz.*.tmp) appears."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if any(n.startswith(".ck.npz.") and n.endswith(".tmp") for n in os.listdir(folder)):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()


def _finish(folder, tries=20):
    for _ in range(tries):
        r = subprocess.run(_cmd(folder), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=DEADLINE)
        if r.returncode == 0:
            return
        assert r.returncode != 2, r.stderr.decode()  # a bad-input exit means the checkpoint was unreadable
    raise AssertionError("training never completed")


@pytest.mark.slow
def test_sigkill_and_resume_is_bit_identical(tmp_path):
    ref = tmp_path / "ref"
    ref.mkdir()
    _write_data(ref / "small.csv")
    _finish(ref)
    expected = (ref / "model.npz").read_bytes()

    run = tmp_path / "run"
    run.mkdir()
    (run / "small.csv").write_bytes((ref / "small.csv").read_bytes())
    proc = _start(run)  # killed while still importing, before any checkpoint
    time.sleep(0.2)
    _kill(proc)
    assert proc.returncode == -signal.SIGKILL
    for n in (3, 11, 20):  # killed between epochs, some checkpoints in
        proc = _start(run)
        assert _kill_after_checkpoints(proc, run, n) == n
        assert proc.returncode == -signal.SIGKILL, "the run finished before the kill; raise EPOCHS"
    mid_write = 0
    for _ in range(6):  # killed while ck.npz's temp file is being written; tries until two land
        proc = _start(run)
        _kill_during_checkpoint_write(proc, run)
        mid_write += proc.returncode == -signal.SIGKILL
        if mid_write == 2:
            break
    assert mid_write >= 1, "no kill landed during a checkpoint write"
    _finish(run)
    assert (run / "model.npz").read_bytes() == expected
    leftovers = [n for n in os.listdir(run) if n.endswith(".tmp")]
    # a temp file of a killed writer may remain; it never replaces the checkpoint
    assert all(n.startswith(".ck.npz.") for n in leftovers)
