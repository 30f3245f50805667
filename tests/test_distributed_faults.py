"""Out of core and faults on a local Dask cluster of 2 worker processes with a memory limit:
data larger than the workers' combined limit, a worker killed with SIGKILL mid-training,
a lost scheduler (clear error; the checkpoint resumes to the same model)."""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading

import numpy as np
import pytest

from npdnn import Network

from conftest import DASK_MARKS, cluster_client, local_cluster

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
from distributed.core import Status  # noqa: E402 -- after the importorskip

pytestmark = DASK_MARKS

LIMIT = 250 * 2**20  # per worker


@pytest.fixture(scope="module")
def client():
    with cluster_client(memory_limit=LIMIT) as c:
        yield c


def _peak_rss(client):
    """{worker: (pid, VmHWM bytes)}: the worker process's peak resident memory so far."""

    def hwm():
        with open("/proc/self/status") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
        return os.getpid(), kb * 1024

    return client.run(hwm)


def _small(m=300, n_x=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_x))
    return X, (X @ rng.normal(size=n_x) > 0).astype(int)


def test_npy_parts_equal_single_process(client, tmp_path):
    from npdnn.distributed import NpyParts, fit

    X, y = _small()
    for i, (a, b) in enumerate([(0, 120), (120, 130), (130, 300)]):
        np.save(tmp_path / f"x{i}.npy", X[a:b])
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=4, batch_size=64, l2=0.2, seed=3)
    local, net = Network([5, 4, 1], seed=0), Network([5, 4, 1], seed=0)
    local.fit(X, y, **kw)
    fit(net, NpyParts(str(tmp_path / "x*.npy")), y, client, **kw)
    np.testing.assert_allclose(net.theta, local.theta, rtol=0, atol=1e-10)


def test_out_of_core_stays_under_the_memory_limit(client, tmp_path):
    """~560 MB of float32 .npy parts on disk, 2 x 250 MB worker limit: trains, no worker restarts."""
    from npdnn.distributed import fit

    n_x, rows_per_part, n_parts = 2048, 8192, 9  # 9 x 64 MiB
    rng = np.random.default_rng(0)
    u = rng.normal(size=n_x).astype(np.float32)
    labels = []
    for i in range(n_parts):
        Xi = rng.standard_normal((rows_per_part, n_x), dtype=np.float32)
        labels.append((Xi @ u > 0).astype(np.int8))
        np.save(tmp_path / f"part{i:02d}.npy", Xi)
        del Xi
    y = np.concatenate(labels)
    on_disk = sum(os.path.getsize(tmp_path / f"part{i:02d}.npy") for i in range(n_parts))
    assert on_disk > 2 * LIMIT
    before = _peak_rss(client)
    net = Network([n_x, 4, 1], seed=0, dtype=np.float32)
    h = fit(
        net, str(tmp_path / "part*.npy"), y, client, optimizer="adam", learning_rate=0.01, epochs=1, batch_size=4096
    )
    after = _peak_rss(client)
    assert h["recoveries"] == 0
    assert sorted(p for p, _ in after.values()) == sorted(p for p, _ in before.values())  # no worker was restarted
    for pid, peak in after.values():
        assert peak < 0.8 * LIMIT, (pid, peak)  # below where Dask starts spilling/pausing (and far from 95%)
    X_check = np.load(tmp_path / "part00.npy", mmap_mode="r")[:2000]
    assert np.mean(net.predict(np.asarray(X_check)) == y[:2000]) > 0.75  # it learned from the parts


def test_worker_killed_mid_training_gives_the_uninterrupted_model(client):
    from npdnn.distributed import fit

    X, y = _small(m=2000)
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=6, batch_size=20, l2=0.1, seed=5)
    local = Network([5, 8, 1], seed=1)
    local.fit(X, y, **kw)
    victim = min(client.run(os.getpid).items())[1]  # the first worker's pid

    class KillDuringEpoch:
        def on_epoch_end(self, epoch, logs):
            if epoch == 1:  # lands a few ms into epoch 3 (100 steps of ~1 ms or more)
                threading.Timer(0.02, os.kill, (victim, signal.SIGKILL)).start()
            return False

    net = Network([5, 8, 1], seed=1)
    Xd = da.from_array(X, chunks=(500, 5))
    h = fit(net, Xd, y, client, callbacks=[KillDuringEpoch()], **kw)
    assert h["recoveries"] >= 1
    assert victim not in client.run(os.getpid).values()
    np.testing.assert_allclose(net.theta, local.theta, rtol=0, atol=1e-10)


def test_lost_scheduler_is_a_clear_error_and_the_checkpoint_resumes(tmp_path):
    from npdnn.distributed import SchedulerLostError, fit

    X, y = _small(m=400)
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=5, batch_size=50, seed=2)
    local = Network([5, 6, 1], seed=3)
    local.fit(X, y, **kw)
    ckpt = tmp_path / "run.ckpt"
    cluster = local_cluster(1, processes=False, memory_limit="auto", silence_logs=logging.CRITICAL)
    client = distributed.Client(cluster)

    class StopScheduler:
        def on_epoch_end(self, epoch, logs):
            if epoch == 1:
                cluster.sync(cluster.scheduler.close)
            return False

    net = Network([5, 6, 1], seed=3)
    try:
        with pytest.raises(SchedulerLostError, match=r"lost the Dask scheduler .*run\.ckpt.*resume=True"):
            fit(net, da.from_array(X, chunks=(200, 5)), y, client, checkpoint=ckpt, callbacks=[StopScheduler()], **kw)
    finally:
        client.close(timeout=5)
        try:
            cluster.close(timeout=5)
        except TimeoutError:  # its scheduler is gone already: nothing left to wait for
            cluster.status = Status.closed
        # collected here, under this module's warning filters, not in some later test
        cluster = client = None
        gc.collect()
    assert ckpt.exists()
    with (
        local_cluster(1, processes=False, memory_limit="auto", silence_logs=logging.CRITICAL) as cluster2,
        distributed.Client(cluster2) as client2,
    ):
        resumed = Network([5, 6, 1], seed=99)  # its own parameters are replaced by the checkpoint's
        h = fit(resumed, da.from_array(X, chunks=(200, 5)), y, client2, checkpoint=ckpt, resume=True, **kw)
    assert len(h["loss"]) == 5
    np.testing.assert_allclose(resumed.theta, local.theta, rtol=0, atol=1e-10)
