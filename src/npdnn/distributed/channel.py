"""A direct TCP channel between the driver and one shard for the per-step exchange.

A Dask actor call goes through the client's event loop, the worker's event loop and
a thread pool, and costs a few milliseconds even without a payload on a loaded
machine. The hot loop needs only: ``(k, total)`` and ``theta`` out, ``(J, grad)``
back. So each shard also listens on a socket of its own (opened through an actor
call, on the worker's host, port chosen by the OS), served by one thread of the
worker process; the driver writes the raw bytes of ``theta`` and reads the raw
bytes of the gradient into a reused buffer. Dask still places the shards, moves the
data and detects lost workers; a closed socket is a lost worker.

Like Dask's default TCP comms, the channel is neither encrypted nor authenticated:
run it on a trusted network (or use ``transport="dask"``, which uses Dask's comms).
"""

from __future__ import annotations

import socket
import struct
import threading

import numpy as np

REQUEST = struct.Struct("<qd")  # step k, total (batch size or weight sum); k < 0 closes
REPLY = struct.Struct("<qd")  # 1 if a gradient follows (0: empty share), J


def _recv_into(sock, view):
    got = 0
    while got < len(view):
        n = sock.recv_into(view[got:])
        if n == 0:
            raise ConnectionError("the shard's worker closed the connection (worker lost?)")
        got += n


def serve(shard, host):
    """Listen on ``host`` (port from the OS) and answer steps for ``shard`` in a daemon
    thread; returns the port. One connection, for the driver."""
    server = socket.create_server((host, 0))
    port = server.getsockname()[1]

    def loop():
        with server:
            conn, _ = server.accept()
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
                except (ConnectionError, OSError):
                    return

    threading.Thread(target=loop, daemon=True, name="npdnn-shard-channel").start()
    return port


class Channel:
    """The driver's end: ``send(theta, k, total)`` then ``recv_add(grad) -> J or None``."""

    def __init__(self, host, port, timeout=None):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._head = bytearray(REPLY.size)
        self._buf = None

    def send(self, theta, k, total):
        self.sock.sendall(REQUEST.pack(k, total))
        self.sock.sendall(memoryview(theta).cast("B"))

    def recv_add(self, grad):
        """Read the reply; add the share's gradient into ``grad``; return its J (None: empty share)."""
        _recv_into(self.sock, memoryview(self._head))
        has_grad, J = REPLY.unpack(self._head)
        if not has_grad:
            return None
        if self._buf is None:
            self._buf = np.empty_like(grad)
        _recv_into(self.sock, memoryview(self._buf).cast("B"))
        grad += self._buf
        return J

    def close(self):
        try:
            self.sock.sendall(REQUEST.pack(-1, 0.0))
        except OSError:
            pass
        self.sock.close()
