"""A direct TCP channel between the driver and one shard for the per-step exchange.

A Dask actor call goes through the client's event loop, the worker's event loop and
a thread pool, and costs a few milliseconds even without a payload on a loaded
machine. The hot loop needs only: ``(k, total)`` and ``theta`` out, ``(J, grad)``
back. So each shard also listens on a socket of its own (opened through an actor
call, on the worker's host, port chosen by the OS), served by one thread of the
worker process; the driver writes the raw bytes of ``theta`` and reads the raw
bytes of the gradient into a reused buffer. Dask still places the shards, moves the
data and detects lost workers.

Only the driver can use the port. The driver draws a random 32-byte token per shard and
sends it with the actor call that opens the port, i.e. through Dask's own comms (TLS when
the cluster has it). Each connection must then pass a challenge-response before anything
else: the shard sends a nonce, the driver answers with its own nonce and
``HMAC-SHA256(token, "driver" | nonce_s | nonce_d)``, the shard proves the token back with
``HMAC-SHA256(token, "shard" | nonce_s | nonce_d)``. A stranger that connects first, sends
garbage or sends nothing is dropped and the shard keeps listening: for at most
``ACCEPT_SECONDS`` and ``MAX_CONNECTIONS`` connections, with at most ``MAX_PENDING``
handshakes at a time, each given ``HANDSHAKE_SECONDS``. When the client has a
``distributed.Security`` with TLS, the socket is wrapped in the cluster's own TLS contexts
(mutual certificates, as Dask's comms) before the handshake, so theta and gradients are
encrypted too. Without TLS the bytes travel in the clear: the handshake keeps out other
processes, not someone who can rewrite packets on the network.

Every wait has a deadline. The shard waits ``IDLE_SECONDS`` at most for the driver's next
request. The driver waits for a reply in slices of ``POLL_SECONDS`` and asks ``alive()``
between slices; ``alive`` raises when the worker is gone or frozen (see cluster.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import socket
import struct
import threading
import time

import numpy as np

REQUEST = struct.Struct("<qd")  # step k, total (batch size or weight sum); k < 0 closes
REPLY = struct.Struct("<qd")  # 1 if a gradient follows (0: empty share), J
MAGIC = b"npdnnch1"  # the protocol's name and version, first bytes the shard sends
NONCE = MAC = 32

ACCEPT_SECONDS = 60.0  # the shard listens this long for its driver, then closes the port
MAX_CONNECTIONS = 10_000  # connections accepted at most while listening
MAX_PENDING = 32  # handshakes in flight at once; more connections are closed at once
HANDSHAKE_SECONDS = 10.0  # one connection's handshake, either side
IDLE_SECONDS = 3600.0  # the shard's wait for the driver's next request
POLL_SECONDS = 2.0  # the driver asks alive() this often while it waits for a reply


class ChannelError(ConnectionError):
    """The channel to a shard failed (closed, refused, timed out or not authenticated)."""


def new_token():
    """A fresh random secret for one shard's channel (sent through Dask's comms)."""
    return secrets.token_bytes(32)


def _mac(token, who, nonce_s, nonce_d):
    return hmac.new(token, who + nonce_s + nonce_d, hashlib.sha256).digest()


def _recv_into(sock, view, alive=None):
    """Fill ``view`` from ``sock``; on each timeout slice call ``alive()`` (which raises
    when the peer is lost) or, without it, give up."""
    got = 0
    while got < len(view):
        try:
            n = sock.recv_into(view[got:])
        except TimeoutError:
            if alive is None:
                raise
            alive()
            continue
        if n == 0:
            raise ChannelError("the other end closed the connection (worker lost?)")
        got += n


def _recv(sock, n):
    buf = bytearray(n)
    _recv_into(sock, memoryview(buf))
    return bytes(buf)


def serve(shard, host, token, ssl_context=None):
    """Listen on ``host`` (port from the OS) for the driver holding ``token``, then answer
    steps for ``shard`` in a daemon thread; returns the port."""
    server = socket.create_server((host, 0))
    server.settimeout(0.5)  # so the acceptor notices the driver's arrival and its deadline
    port = server.getsockname()[1]
    won = threading.Event()
    lock = threading.Lock()
    pending = threading.BoundedSemaphore(MAX_PENDING)

    def handshake(conn):
        try:
            conn.settimeout(HANDSHAKE_SECONDS)
            if ssl_context is not None:
                conn = ssl_context.wrap_socket(conn, server_side=True)
            nonce_s = secrets.token_bytes(NONCE)
            conn.sendall(MAGIC + nonce_s)
            answer = _recv(conn, NONCE + MAC)
            nonce_d = answer[:NONCE]
            if not hmac.compare_digest(answer[NONCE:], _mac(token, b"driver", nonce_s, nonce_d)):
                raise ChannelError("wrong answer to the challenge")
            with lock:
                if won.is_set():
                    raise ChannelError("the driver is connected already")
                won.set()
            conn.sendall(_mac(token, b"shard", nonce_s, nonce_d))
        except (OSError, ValueError):  # a stranger, a failed TLS handshake, a timeout: drop it
            conn.close()
            return
        finally:
            pending.release()
        _answer_steps(shard, conn)

    def accept():
        deadline = time.monotonic() + ACCEPT_SECONDS
        with server:
            for _ in range(MAX_CONNECTIONS):
                while not won.is_set() and time.monotonic() < deadline:
                    try:
                        conn, _ = server.accept()
                        break
                    except TimeoutError:
                        continue
                else:
                    return
                if not pending.acquire(blocking=False):
                    conn.close()
                    continue
                threading.Thread(target=handshake, args=(conn,), daemon=True, name="npdnn-shard-handshake").start()

    threading.Thread(target=accept, daemon=True, name="npdnn-shard-accept").start()
    return port


def _answer_steps(shard, conn):
    conn.settimeout(IDLE_SECONDS)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    theta = np.empty_like(shard.net.theta)
    head = bytearray(REQUEST.size)
    with conn:
        while True:
            try:
                _recv_into(conn, memoryview(head))
                k, total = REQUEST.unpack(head)
                if k < 0:
                    return
                _recv_into(conn, memoryview(theta).cast("B"))
                res = shard.step(theta, k, total, copy=False)
                if res is None:
                    conn.sendall(REPLY.pack(0, 0.0))
                else:
                    conn.sendall(REPLY.pack(1, res[0]))
                    conn.sendall(memoryview(res[1]).cast("B"))
            except OSError:  # closed, reset or idle past IDLE_SECONDS: the driver is gone
                return


def _connect(host, port, token, ssl_context, timeout):
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_side=False)
        hello = _recv(sock, len(MAGIC) + NONCE)
        if hello[: len(MAGIC)] != MAGIC:
            raise ChannelError(f"{host}:{port} is not an npdnn shard (it sent {hello[:8]!r})")
        nonce_s, nonce_d = hello[len(MAGIC) :], secrets.token_bytes(NONCE)
        sock.sendall(nonce_d + _mac(token, b"driver", nonce_s, nonce_d))
        if not hmac.compare_digest(_recv(sock, MAC), _mac(token, b"shard", nonce_s, nonce_d)):
            raise ChannelError(f"{host}:{port} does not hold the shard's token")
        return sock
    except BaseException:
        sock.close()
        raise


class Channel:
    """The driver's end: ``send(theta, k, total)`` then ``recv_add(grad) -> J or None``.

    ``timeout``: seconds to connect and authenticate (retried while the shard may still be
    busy with a stranger) and to hand a request to the kernel; ``alive()`` is called every
    ``POLL_SECONDS`` while a reply is awaited and raises when the worker is lost."""

    def __init__(self, host, port, token, ssl_context=None, *, timeout=60.0, alive=None):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                self.sock = _connect(host, port, token, ssl_context, min(HANDSHAKE_SECONDS, max(left, 0.1)))
                break
            except ConnectionRefusedError as exc:  # nobody listens: the shard is gone
                raise ChannelError(f"the shard at {host}:{port} refused the connection: {exc}") from exc
            except (OSError, ValueError) as exc:  # dropped while busy with strangers, or a timeout: again
                if time.monotonic() + 0.2 >= deadline:
                    raise ChannelError(f"could not open the channel to {host}:{port} in {timeout:g} s: {exc}") from exc
                time.sleep(0.2)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout, self.alive = timeout, alive
        self._head = bytearray(REPLY.size)
        self._buf = None

    def send(self, theta, k, total):
        self.sock.settimeout(self.timeout)  # the shard reads at once; only a frozen one does not
        self.sock.sendall(REQUEST.pack(k, total))
        self.sock.sendall(memoryview(theta).cast("B"))

    def recv_add(self, grad):
        """Read the reply; add the share's gradient into ``grad``; return its J (None: empty share)."""
        self.sock.settimeout(POLL_SECONDS if self.alive is not None else self.timeout)
        cap = time.monotonic() + IDLE_SECONDS

        def alive():  # between slices: the worker's liveness, and a cap on any one reply
            if time.monotonic() > cap:
                raise ChannelError(f"no reply from the shard in {IDLE_SECONDS:g} s")
            self.alive()

        check = alive if self.alive is not None else None
        _recv_into(self.sock, memoryview(self._head), check)
        has_grad, J = REPLY.unpack(self._head)
        if not has_grad:
            return None
        if self._buf is None:
            self._buf = np.empty_like(grad)
        _recv_into(self.sock, memoryview(self._buf).cast("B"), check)
        grad += self._buf
        return J

    def close(self):
        try:
            self.sock.settimeout(1.0)
            self.sock.sendall(REQUEST.pack(-1, 0.0))
        except (OSError, ValueError):
            pass
        self.sock.close()
