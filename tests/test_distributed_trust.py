"""The Dask channel is the driver's only (issue 27) and a fit survives a worker lost at any
moment (issue 24): a stranger connecting to a shard's port first, TLS from the cluster's
``distributed.Security``, a frozen (SIGSTOPped) worker, a worker killed while the shards are
placed. Real LocalClusters on loopback; see docs/distributed.md."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import numpy as np
import pytest

from npdnn import Network

from conftest import DASK_MARKS, cluster_client, local_cluster

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

pytestmark = DASK_MARKS

BOUND = 300  # seconds: a run past this is a hang, reported as such (never a timing check)


@pytest.fixture(scope="module")
def client():
    with cluster_client(silence_logs=logging.CRITICAL) as c:
        yield c


def test_the_clusters_http_server_listens_on_loopback_only_and_beside_another_cluster():
    """``--workers``' cluster (and the tests'): distributed starts the scheduler's HTTP server even with
    dashboard_address=None, on port 8787 of every interface (0.0.0.0 and ::), readable by a stranger on
    the network, and warns "Port 8787 is already in use" when another cluster holds it (a user's second
    fit, or these tests on two workers). Now on 127.0.0.1, on a free port, and silent."""
    import warnings

    taken = socket.socket()
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        try:
            taken.bind(("", 8787))
            taken.listen()
        except OSError:  # another cluster holds it already: the case itself
            pass
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Port 8787 is already in use" would fail here
            with local_cluster(1, processes=False, memory_limit="auto", silence_logs=logging.CRITICAL) as cluster:
                server = cluster.scheduler.http_server
                bound = [sock.getsockname()[:2] for sock in server._sockets.values()]
                assert bound == [("127.0.0.1", server.port)] and server.port != 8787, bound
    finally:
        taken.close()


def _within(fn):
    """``fn()`` in a thread, failing the test (not hanging the suite) past BOUND seconds."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 -- re-raised in the test's thread
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(BOUND)
    if t.is_alive():
        pytest.fail(f"still running after {BOUND} s: a hang")
    if "error" in out:
        raise out["error"]
    return out["value"]


def _data(m=600, n_x=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_x))
    return X, (X @ rng.normal(size=n_x) > 0).astype(int)


KW = dict(optimizer="adam", learning_rate=0.01, epochs=4, batch_size=50, l2=0.1, seed=5)


def _local(X, y, kw=KW):
    net = Network([5, 8, 1], seed=1)
    net.fit(X, y, **kw)
    return net.theta


def _distributed(client, X, y, kw=KW, **more):
    from npdnn.distributed import fit

    net = Network([5, 8, 1], seed=1)
    h = _within(lambda: fit(net, da.from_array(X, chunks=(150, 5)), y, client, **kw, **more))
    return net.theta, h


class Stranger:
    """Connects to every new port of ``host`` the moment the shard opens it (the driver is held
    back until then, so the stranger is first every time), sends ``payload`` and stays."""

    def __init__(self, payload, monkeypatch):
        from npdnn.distributed import channel

        self.payload, self.reached, self.heard = payload, set(), []
        self.socks = []
        real = channel.Channel.__init__

        def held_back(ch, host, port, *args, **kw):
            self.connect(host, port)
            return real(ch, host, port, *args, **kw)

        monkeypatch.setattr(channel.Channel, "__init__", held_back)

    def connect(self, host, port):
        s = socket.create_connection((host, port), timeout=5)
        self.reached.add(port)
        self.socks.append(s)
        if self.payload is not None:
            s.sendall(self.payload)
        threading.Thread(target=self._listen, args=(s,), daemon=True).start()

    def _listen(self, s):
        try:
            self.heard.append(s.recv(64))
        except OSError:
            pass

    def close(self):
        for s in self.socks:
            s.close()


@pytest.mark.parametrize("payload", ["nothing", "garbage", "a step request"])
def test_stranger_first_on_the_shard_port_neither_stops_nor_steers(client, monkeypatch, payload):
    """A stranger that connects to each shard's port before the driver (silent, garbage, or a
    well-formed step request that would steer an unauthenticated shard): the fit ends with
    no recovery and the parameters of the undisturbed single-process run."""
    from npdnn.distributed.channel import REQUEST

    X, y = _data()
    data = {
        "nothing": None,
        "garbage": os.urandom(4096),
        "a step request": REQUEST.pack(0, 1.0) + np.zeros(200).tobytes(),
    }[payload]
    stranger = Stranger(data, monkeypatch)
    try:
        theta, h = _distributed(client, X, y)
    finally:
        stranger.close()
    assert len(stranger.reached) == 2  # it was connected to both shards' ports first
    assert all(msg[:8] == b"npdnnch1" for msg in stranger.heard)  # and was challenged, nothing more
    assert h["recoveries"] == 0
    np.testing.assert_allclose(theta, _local(X, y), rtol=0, atol=1e-10)


def test_channel_refuses_a_wrong_token_and_keeps_listening():
    """Without Dask: a client with another token is refused (ChannelError, not a hang); the
    shard still answers the right token afterwards."""
    from npdnn.distributed.channel import Channel, ChannelError, new_token, serve

    shard = _EchoShard()
    token = new_token()
    port = serve(shard, "127.0.0.1", token)
    with pytest.raises(ChannelError, match="does not hold the shard's token|could not open"):
        Channel("127.0.0.1", port, new_token(), timeout=3)
    ch = Channel("127.0.0.1", port, token, timeout=30)
    grad = np.zeros(4)
    ch.send(np.arange(4.0), 0, 2.0)
    assert ch.recv_add(grad) == 2.0
    np.testing.assert_array_equal(grad, np.arange(4.0) * 2.0)
    ch.close()


class _EchoShard:
    """A stand-in shard: the 'gradient' is theta * total."""

    class net:  # noqa: N801 -- mirrors Shard.net
        theta = np.zeros(4)

    def step(self, theta, k, total, copy=False):
        return total, theta * total


def _tls_security(tmp_path):
    """A throwaway CA-signed-by-itself certificate for every role (what Security.temporary makes)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=npdnn-test"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    files = (("cert", cert), ("key", key))
    roles = {f"tls_{r}_{k}": str(v) for r in ("client", "scheduler", "worker") for k, v in files}
    return distributed.Security(tls_ca_file=str(cert), require_encryption=True, **roles)


def test_channel_uses_the_clusters_tls(tmp_path, monkeypatch):
    """A cluster with distributed.Security: the channel is a TLS socket (theta and gradients
    encrypted) and the fit equals one process."""
    from npdnn.distributed import channel

    security = _tls_security(tmp_path)
    opened = []
    real = channel.Channel.__init__

    def spy(ch, *args, **kw):
        real(ch, *args, **kw)
        opened.append((type(ch.sock), ch.sock.version()))  # while it is open

    monkeypatch.setattr(channel.Channel, "__init__", spy)
    X, y = _data()
    with (
        local_cluster(
            2, processes=False, memory_limit="auto", protocol="tls", security=security, silence_logs=logging.CRITICAL
        ) as cluster,
        distributed.Client(cluster, security=security) as c,
    ):
        theta, h = _distributed(c, X, y)
    assert len(opened) == 2
    assert all(issubclass(kind, ssl.SSLSocket) and version.startswith("TLS") for kind, version in opened), opened
    np.testing.assert_allclose(theta, _local(X, y), rtol=0, atol=1e-10)


def _pids_once_settled(c, tries=60):
    """Every worker's pid, asked until the cluster answers: right after the fit, the frozen
    worker's nanny may still be restarting it, and a broadcast to it is then reset (seen in CI:
    CommClosedError from c.run while the model itself was already trained)."""
    for _ in range(tries - 1):
        try:
            return c.run(os.getpid)
        except (distributed.comm.core.CommClosedError, OSError):
            time.sleep(1.0)
    return c.run(os.getpid)


def test_frozen_worker_is_treated_as_lost():
    """SIGSTOP one worker process mid-training: after worker_timeout (5 s) without its
    heartbeat it is restarted through its nanny (as Dask does after worker-ttl), the shards
    restart on the other worker, and the model equals one process."""
    X, y = _data(m=2000)
    kw = dict(KW, epochs=6, batch_size=20)
    with cluster_client(silence_logs=logging.CRITICAL) as c:
        victim = min(c.run(os.getpid).items())[1]

        class FreezeDuringEpoch:
            def on_epoch_end(self, epoch, logs):
                if epoch == 1:
                    threading.Timer(0.02, os.kill, (victim, signal.SIGSTOP)).start()
                return False

        try:
            theta, h = _distributed(c, X, y, kw, callbacks=[FreezeDuringEpoch()], worker_timeout=5.0)
            pids = _within(lambda: _pids_once_settled(c))  # answered: the frozen one is out of the cluster
        finally:
            with contextlib.suppress(ProcessLookupError):  # already killed by its nanny, as it should be
                os.kill(victim, signal.SIGKILL)
    assert victim not in pids.values()
    assert h["recoveries"] >= 1
    np.testing.assert_allclose(theta, _local(X, y, kw), rtol=0, atol=1e-10)


@pytest.mark.parametrize("moment", ["placing the shards", "opening the channels"])
def test_worker_killed_during_start_up_is_survived(client, monkeypatch, moment):
    """SIGKILL a worker before the first step, while its shard is being built or just before
    the driver connects to it, with a stranger first on every shard's port: the fit recovers
    and equals one process."""
    from npdnn.distributed import channel, cluster

    X, y = _data()
    victim = min(client.run(os.getpid).items())[1]
    stranger = Stranger(os.urandom(64), monkeypatch)  # first on every port, the replacements' too
    target, name = (cluster.Shards, "_started") if moment == "placing the shards" else (channel.Channel, "__init__")
    real, killed = getattr(target, name), []  # for the channels: the stranger's connect, then the real one

    def kill_first(*args, **kw):
        if not killed:
            killed.append(victim)
            os.kill(victim, signal.SIGKILL)
            time.sleep(0.5)  # gone before the wait begins
        return real(*args, **kw)

    monkeypatch.setattr(target, name, kill_first)
    try:
        theta, h = _distributed(client, X, y)
    finally:
        stranger.close()
    assert killed and h["recoveries"] >= 1
    _within(lambda: client.wait_for_workers(2, timeout=BOUND - 10))  # the nanny's replacement, for the next test
    assert victim not in client.run(os.getpid).values()
    np.testing.assert_allclose(theta, _local(X, y), rtol=0, atol=1e-10)


def test_a_live_scheduler_is_never_reported_lost(client, monkeypatch):
    """A worker lost and the shards impossible to restart (planted) while the scheduler is
    up: after recover_timeout the error says the workers are at fault, not the scheduler."""
    from npdnn.distributed import SchedulerLostError, channel, cluster, driver, fit

    real_start, real_recv, calls = cluster.Shards._start, channel.Channel.recv_add, []

    def start_once(self):
        if self.recoveries:
            raise ConnectionError("planted: the shards cannot be started again")
        return real_start(self)

    def recv_then_lose(ch, grad):
        calls.append(1)
        if len(calls) == 9:
            raise ConnectionError("planted: a lost worker")
        return real_recv(ch, grad)

    monkeypatch.setattr(cluster.Shards, "_start", start_once)
    monkeypatch.setattr(channel.Channel, "recv_add", recv_then_lose)
    monkeypatch.setattr(driver, "Shards", lambda *a, **kw: cluster.Shards(*a, recover_timeout=3.0, **kw))
    X, y = _data()
    message = r"could not start the shards again within 3 s; the Dask scheduler .* answers"
    with pytest.raises(RuntimeError, match=message) as e:
        _within(lambda: fit(Network([5, 8, 1], seed=1), da.from_array(X, chunks=(150, 5)), y, client, **KW))
    assert not isinstance(e.value, SchedulerLostError)
