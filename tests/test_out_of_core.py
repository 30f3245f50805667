"""A memory-mapped ``.npy`` twice the size of the memory the process may use trains and predicts,
batch by batch, to the same bits as without the limit (issue 13).

The limit is a memory cgroup (v1 ``memory.limit_in_bytes`` or v2 ``memory.max``) that the
child process joins before it starts: a file's pages read through ``mmap`` are charged to it
as page cache, which the kernel reclaims under the limit, while a copy of X in anonymous
memory cannot be reclaimed and gets the process killed. The control case shows the limit
binds: ``np.load`` without ``mmap_mode`` in the same cgroup is killed by the OOM killer.
Needs a writable cgroup memory controller (root in a container, as in CI); skipped otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

LIMIT = 180 << 20  # bytes the child may use, page cache included
M, N = 1_000_000, 96  # X: 384 MB of float32, twice the limit

pytestmark = pytest.mark.slow


def _memory_cgroup(name):
    """Create a memory cgroup limited to LIMIT; return (path, its processes file), or skip."""
    v1 = "/sys/fs/cgroup/memory"
    try:
        if os.path.isdir(v1):
            path = os.path.join(v1, name)
            os.mkdir(path)
            with open(os.path.join(path, "memory.limit_in_bytes"), "w") as f:
                f.write(str(LIMIT))
            return path
        with open("/sys/fs/cgroup/cgroup.controllers") as f:
            if "memory" not in f.read().split():
                pytest.skip("cgroup v2 without the memory controller")
        path = os.path.join("/sys/fs/cgroup", name)
        os.mkdir(path)
        with open(os.path.join(path, "memory.max"), "w") as f:
            f.write(str(LIMIT))
        return path
    except (PermissionError, FileNotFoundError, OSError) as e:
        pytest.skip(f"no writable cgroup memory controller here ({e})")


def _write_data(dirname):
    """X (M, N) float32 as a .npy written in blocks, labels from a linear rule; X's pages dropped
    from the page cache so the child reads them from disk under its own limit."""
    X_path, y_path = os.path.join(dirname, "X.npy"), os.path.join(dirname, "y.npy")
    X = np.lib.format.open_memmap(X_path, mode="w+", dtype=np.float32, shape=(M, N))
    rng = np.random.default_rng(0)
    y = np.empty(M, dtype=np.int8)
    for i in range(0, M, 100_000):
        block = rng.standard_normal((min(100_000, M - i), N), dtype=np.float32)
        X[i : i + block.shape[0]] = block
        y[i : i + block.shape[0]] = block[:, :3].sum(axis=1) > 0
    X.flush()
    del X
    np.save(y_path, y)
    _drop_from_page_cache(X_path)
    return X_path, y_path


def _drop_from_page_cache(path):
    """So that the next reader reads the file from disk (its pages must not be mapped anywhere)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


TRAIN = """
import sys
import numpy as np
import npdnn

X = np.load(sys.argv[1], mmap_mode="r")
y = np.load(sys.argv[2])
net = npdnn.Network([96, 32, 1], dtype=np.float32, seed=0)
history = net.fit(X, y, optimizer="adam", batch_size=1024, epochs=1, shuffle=sys.argv[4] == "shuffled", seed=0)
P = net.predict_proba(X)
np.savez(sys.argv[3], theta=net.theta, P=P[::997], loss=history["loss"])
"""


def _run_limited(cgroup, code, *args):
    def join():  # runs in the child before exec: the child and what it loads are charged to the cgroup
        with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        preexec_fn=join,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )


def test_a_memmap_twice_the_memory_limit_trains_in_order_and_shuffled_to_the_same_bits(tmp_path):
    cgroup = _memory_cgroup(f"npdnn-test-{os.getpid()}")
    X_path = None
    try:
        X_path, y_path = _write_data(str(tmp_path))
        assert os.path.getsize(X_path) >= 2 * LIMIT

        control = _run_limited(cgroup, "import sys, numpy as np; print(np.load(sys.argv[1]).sum())", X_path)
        assert control.returncode != 0, "loading X whole under the limit should be killed: the limit does not bind"

        # In order, and shuffled: rows in random order within spans of 64 MiB, read without the kernel's
        # read-around (npdnn.train.batching.random_reads; with it the shuffled epoch took over 300 s here).
        from threadpoolctl import threadpool_limits

        import npdnn

        hows = ("in order", "shuffled")
        for how in hows:  # both limited runs before this process maps X (its pages would stay cached)
            _drop_from_page_cache(X_path)  # the run before read it in
            run = _run_limited(cgroup, TRAIN, X_path, y_path, str(tmp_path / f"limited-{how[0]}.npz"), how)
            assert run.returncode == 0, f"training {how} under the limit failed ({run.returncode}): {run.stderr[-999:]}"

        # The same runs without a limit, in this process and with one BLAS thread as the child:
        # the limited runs must match them bit for bit
        X, y = np.load(X_path, mmap_mode="r"), np.load(y_path)
        for how in hows:
            with threadpool_limits(limits=1, user_api="blas"):
                net = npdnn.Network([96, 32, 1], dtype=np.float32, seed=0)
                history = net.fit(X, y, optimizer="adam", batch_size=1024, epochs=1, shuffle=how == "shuffled", seed=0)
                P = net.predict_proba(X)[::997]
            got = np.load(tmp_path / f"limited-{how[0]}.npz")
            np.testing.assert_array_equal(got["theta"], net.theta)
            np.testing.assert_array_equal(got["P"], P)
            assert got["loss"][0] == history["loss"][0]
            assert history["loss"][0] < 0.5  # it learned the linear rule (chance is log 2 = 0.69)
    finally:
        if X_path is not None and os.path.exists(X_path):
            os.remove(X_path)
        os.rmdir(cgroup)
