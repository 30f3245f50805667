"""The driver's handle on the shards: start them, call them all at once, replace lost ones.

A step is one actor call per worker (the flat ``theta`` out, a flat gradient back),
sent to all workers before waiting on any. When a worker dies (its actor call fails),
the shards are started again on the workers that are left (Dask recomputes the lost
Dask blocks from their graph; ``.npy`` parts are reread), the epoch's plan is sent
again and the failed step is redone: the driver's parameters and optimizer state were
never on the lost worker, so the run continues as if nothing happened.
"""

from __future__ import annotations

import time

import numpy as np

from ..train.options import check_option
from .shard import Shard
from .sources import assign


class SchedulerLostError(RuntimeError):
    """The Dask scheduler cannot be reached; the last checkpoint (if any) remains."""


class Shards:
    def __init__(
        self, client, config, pieces, *, transport="socket", max_recoveries=3, recover_timeout=60.0, checkpoint=None
    ):
        check_option("transport", transport)
        self.client, self.config, self.pieces, self.transport = client, config, pieces, transport
        self.channels = []
        self.max_recoveries, self.recover_timeout, self.checkpoint = max_recoveries, recover_timeout, checkpoint
        self.recoveries, self.start_timeout = 0, 60.0
        self._epoch = None
        self._start()

    def _workers(self):
        return sorted(self.client.ncores())  # asks the scheduler now (scheduler_info() may be stale)

    def _start(self):
        from dask.delayed import Delayed

        client, workers = self.client, self._workers()
        if not workers:
            raise RuntimeError("the Dask cluster has no workers")
        self.actor_futures, self.actors, self.los, self.addrs = [], [], [], []
        for addr, (lo, group) in zip(workers, assign(self.pieces, len(workers)), strict=False):

            def on_worker(parts, addr=addr):
                if parts and isinstance(parts[0], Delayed):  # computed on the worker that keeps them
                    # loose: after a lost worker the same keys may still carry the dead worker's restriction
                    return client.compute(parts, workers=[addr], allow_other_workers=True)
                return parts

            X = on_worker([p.X for p in group])
            y = on_worker([p.y for p in group])
            w = None if group[0].w is None else on_worker([p.w for p in group])
            fut = client.submit(
                Shard, self.config, X, y, w, actor=True, workers=[addr], allow_other_workers=False, pure=False
            )
            self.actor_futures.append(fut)
            self.los.append(lo)
            self.addrs.append(addr)
        # bounded: a shard placed on a worker that died meanwhile would otherwise wait forever
        self.actors = [f.result(timeout=self.start_timeout) for f in self.actor_futures]
        if self.transport == "socket":
            from urllib.parse import urlparse

            from .channel import Channel

            hosts = [urlparse(a).hostname for a in self.addrs]
            ports = self._call("open_channel", *[(h,) for h in hosts])
            self.channels = [Channel(h, p) for h, p in zip(hosts, ports, strict=True)]

    def step(self, theta, k, total, grad):
        """Global batch k at ``theta``: the shares' gradients summed into ``grad``; returns
        the summed cost. Redone from scratch after replacing lost workers."""
        while True:
            grad.fill(0)
            J = 0.0
            try:
                if self.channels:
                    for c in self.channels:  # all requests out before the first reply is awaited
                        c.send(theta, k, total)
                    Js = [c.recv_add(grad) for c in self.channels]
                else:
                    Js = []
                    for res in self._call("step", *[(theta, k, total)] * len(self.actors)):
                        if res is not None:
                            grad += res[1]
                            Js.append(res[0])
                for share_J in Js:
                    if share_J is not None:
                        J += share_J
                return J
            except Exception as exc:  # noqa: BLE001 -- a lost worker shows up as any kind of comm failure
                self._recover(exc)

    def _call(self, method, *args_per_actor):
        """Call ``method`` on every shard (arguments: one tuple per shard), then wait for all."""
        futures = [getattr(a, method)(*args) for a, args in zip(self.actors, args_per_actor, strict=True)]
        return [f.result() for f in futures]

    def call(self, method, *args):
        """``method(*args)`` on every shard, redone after replacing lost workers."""
        while True:
            try:
                return self._call(method, *[args] * len(self.actors))
            except Exception as exc:  # noqa: BLE001 -- any failure of a remote call: worker lost, comm closed
                self._recover(exc)

    def begin_epoch(self, m, b, plan):
        """Send the epoch's plan (see Shard.begin_epoch); returns each step's weight sum (None when unweighted)."""
        self._epoch = (m, b, plan)
        self._check_scheduler()
        while True:
            try:
                sums = self._call("begin_epoch", *[(lo, m, b, plan) for lo in self.los])
                return None if sums[0] is None else np.sum(sums, axis=0)
            except Exception as exc:  # noqa: BLE001
                self._recover(exc)

    def _check_scheduler(self, timeout=10):
        """Once per epoch: the steps go to the workers directly and would not notice."""
        try:
            if self.client.status != "running":  # already reconnecting or closed: no need to wait
                raise ConnectionError(f"the client is {self.client.status}")
            self.client.sync(self.client.scheduler.identity, callback_timeout=timeout)
        except Exception as exc:  # noqa: BLE001 -- refused, closed, timed out: all mean lost
            raise SchedulerLostError(self._lost_message(exc)) from exc

    def _recover(self, exc):
        if isinstance(exc, (ValueError, TypeError, FloatingPointError)):  # the data's fault, not the cluster's
            raise exc
        if self.client.status in ("closing", "closed"):
            raise SchedulerLostError(self._lost_message(exc)) from exc
        self.recoveries += 1
        if self.recoveries > self.max_recoveries:
            raise RuntimeError(f"gave up after {self.max_recoveries} recoveries from lost workers: {exc!r}") from exc
        self.close()
        gone = time.monotonic() + 10.0  # until the scheduler has noticed the lost worker
        while time.monotonic() < gone and set(self.addrs) <= set(self._workers()):
            time.sleep(0.2)
        deadline = time.monotonic() + self.recover_timeout
        while True:
            try:
                self.client.wait_for_workers(1, timeout=max(1.0, deadline - time.monotonic()))
                self._start()
                break
            except Exception as again:  # noqa: BLE001
                if time.monotonic() >= deadline:
                    raise SchedulerLostError(self._lost_message(again)) from again
                time.sleep(0.5)
        if self._epoch is not None:
            self._call("begin_epoch", *[(lo, *self._epoch) for lo in self.los])

    def _lost_message(self, exc):
        where = f"; the last checkpoint remains at {self.checkpoint}" if self.checkpoint else ""
        return (
            f"lost the Dask scheduler ({self.client.scheduler.address if self.client.scheduler else '?'}): "
            f"{type(exc).__name__}: {exc}{where}. Start the cluster again and rerun with resume=True."
        )

    def _close_channels(self):
        for c in self.channels:
            c.close()
        self.channels = []

    def close(self):
        self._close_channels()
        self.actors = []
        for f in self.actor_futures:
            f.release()
        self.actor_futures = []
