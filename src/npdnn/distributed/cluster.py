"""The driver's handle on the shards: start them, call them all at once, replace lost ones.

A step is one request per shard (the flat ``theta`` out, a flat gradient back), sent to
all shards before waiting on any. A worker is lost when its channel or an actor call
fails, when it leaves the scheduler, or when the scheduler has not seen its heartbeat
change for ``worker_timeout`` seconds (a frozen process: SIGSTOP, a hung host); every wait
asks for that between slices of a few seconds. Then the shards are started again on the
workers that are left (the lost one left out: Dask recomputes the lost Dask blocks from
their graph; ``.npy`` parts are reread), the epoch's plan is sent again and the failed
step is redone: the driver's parameters and optimizer state were never on the lost
worker, so the run continues as if nothing happened. A worker lost while the shards are
first placed is handled the same way.
"""

from __future__ import annotations

import time

import numpy as np

from ..train.options import check_option
from .liveness import Heartbeats, WorkerLostError
from .shard import Shard
from .sources import assign

START_SECONDS = 3600.0  # cap on one shard's start-up or one actor call while its worker heartbeats
POLL_SECONDS = 2.0  # how often a wait asks the scheduler whether its worker is alive


class SchedulerLostError(RuntimeError):
    """The Dask scheduler cannot be reached; the last checkpoint (if any) remains."""


class Shards:
    def __init__(
        self,
        client,
        config,
        pieces,
        *,
        transport="socket",
        max_recoveries=3,
        recover_timeout=60.0,
        worker_timeout=30.0,
        checkpoint=None,
    ):
        check_option("transport", transport)
        self.client, self.config, self.pieces, self.transport = client, config, pieces, transport
        self.actor_futures, self.actors, self.channels, self.addrs, self.los = [], [], [], [], []
        self.max_recoveries, self.recover_timeout, self.checkpoint = max_recoveries, recover_timeout, checkpoint
        self.worker_timeout, self.hearts, self.excluded = worker_timeout, Heartbeats(client, worker_timeout), set()
        security = getattr(client, "security", None)
        self.ssl_context = None if security is None else security.get_connection_args("client")["ssl_context"]
        self.recoveries = 0
        self._epoch = None
        try:
            try:
                self._start()
            except Exception as exc:  # noqa: BLE001 -- a worker lost while the shards are placed, as after
                self._recover(exc)
        except BaseException:
            self.close()
            raise

    def _workers(self):
        """The scheduler's workers now (scheduler_info() may be stale), less those found lost
        in this fit (a frozen one stays listed), unless that leaves none."""
        workers = sorted(self.client.ncores())
        return [a for a in workers if a not in self.excluded] or workers

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
        self.actors = self._started()
        if self.transport == "socket":
            from urllib.parse import urlparse

            from .channel import Channel, ChannelError, new_token

            hosts = [urlparse(a).hostname for a in self.addrs]
            tokens = [new_token() for _ in hosts]  # sent through Dask's comms, never on the channel
            tls = self.ssl_context is not None
            ports = self._call("open_channel", *[(h, t, tls) for h, t in zip(hosts, tokens, strict=True)])
            for addr, h, p, t in zip(self.addrs, hosts, ports, tokens, strict=True):
                try:
                    c = Channel(h, p, t, self.ssl_context, timeout=self.worker_timeout, alive=self._alive(addr))
                except ChannelError as exc:
                    raise WorkerLostError([addr], str(exc)) from exc
                self.channels.append(c)

    def _alive(self, addr):
        return lambda: self.hearts.check([addr], "no reply to a step")

    def _started(self):
        """The actors, once every shard is built; a worker lost meanwhile raises at once."""
        from distributed import wait

        cap = time.monotonic() + START_SECONDS
        while True:
            try:
                wait(self.actor_futures, timeout=POLL_SECONDS)
                return [f.result() for f in self.actor_futures]
            except TimeoutError:
                waiting = [a for f, a in zip(self.actor_futures, self.addrs, strict=True) if not f.done()]
                self.hearts.check(waiting, "while its shard was being started")
                if time.monotonic() > cap:
                    raise WorkerLostError(waiting, f"its shard was not started in {START_SECONDS:g} s") from None

    def step(self, theta, k, total, grad):
        """Global batch k at ``theta``: the shares' gradients summed into ``grad``; returns
        the summed cost. Redone from scratch after replacing lost workers."""
        while True:
            grad.fill(0)
            J = 0.0
            try:
                if self.channels:
                    for c, addr in zip(self.channels, self.addrs, strict=True):  # all out before any reply
                        self._lost_on(addr, c.send, theta, k, total)
                    Js = [self._lost_on(a, c.recv_add, grad) for c, a in zip(self.channels, self.addrs, strict=True)]
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
        """Call ``method`` on every shard (arguments: one tuple per shard), then wait for all,
        asking whether a worker is lost every few seconds."""
        futures = [getattr(a, method)(*args) for a, args in zip(self.actors, args_per_actor, strict=True)]
        out = []
        for f, addr in zip(futures, self.addrs, strict=True):
            cap = time.monotonic() + START_SECONDS
            while True:
                try:
                    out.append(f.result(timeout=POLL_SECONDS))
                    break
                except TimeoutError:
                    self.hearts.check([addr], f"no answer to {method}")
                    if time.monotonic() > cap:
                        raise WorkerLostError([addr], f"no answer to {method} in {START_SECONDS:g} s") from None
        return out

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
        suspects = getattr(exc, "addrs", frozenset())
        self.excluded |= suspects
        self._restart_frozen()
        if not suspects:  # which worker failed is unknown: until the scheduler has noticed it
            gone = time.monotonic() + 10.0
            while time.monotonic() < gone and set(self.addrs) <= set(self._workers()):
                time.sleep(0.2)
        deadline = time.monotonic() + self.recover_timeout
        while True:
            try:
                self.client.wait_for_workers(1, timeout=max(1.0, deadline - time.monotonic()))
                self._start()
                if self._epoch is not None:
                    self._call("begin_epoch", *[(lo, *self._epoch) for lo in self.los])
                return
            except (ValueError, TypeError, FloatingPointError):
                raise
            except Exception as again:  # noqa: BLE001 -- another worker lost meanwhile, or not back yet
                self.close()
                self.excluded |= getattr(again, "addrs", frozenset())
                self._restart_frozen()
                if time.monotonic() >= deadline:
                    self._give_up(again)
                time.sleep(0.5)

    def _restart_frozen(self):
        """Have the scheduler restart the frozen workers (through their nannies; one without a
        nanny is removed), as Dask does after its worker-ttl (5 min): until then their tasks,
        the rows of the new shards among them, would wait for them. In the background: the
        nanny gives the process a few seconds before it kills it."""
        frozen, self.hearts.frozen = sorted(self.hearts.frozen), set()
        if not frozen:
            return
        import threading

        def restart():
            try:
                self.client.restart_workers(frozen, timeout=10, raise_for_error=False)
            except Exception:  # noqa: BLE001, S110 -- best effort: the client may be closed by then
                pass

        threading.Thread(target=restart, daemon=True, name="npdnn-restart-frozen").start()

    def _give_up(self, exc):
        """After ``recover_timeout``: a lost scheduler only if it does not answer now."""
        self._check_scheduler()
        raise RuntimeError(
            f"could not start the shards again within {self.recover_timeout:g} s; the Dask scheduler "
            f"({self.client.scheduler.address}) answers, so the workers are at fault: {type(exc).__name__}: {exc}"
        ) from exc

    def _lost_message(self, exc):
        where = f"; the last checkpoint remains at {self.checkpoint}" if self.checkpoint else ""
        return (
            f"lost the Dask scheduler ({self.client.scheduler.address if self.client.scheduler else '?'}): "
            f"{type(exc).__name__}: {exc}{where}. Start the cluster again and rerun with resume=True."
        )

    def close(self):
        for c in self.channels:
            c.close()
        self.channels = []
        self.actors = []
        for f in self.actor_futures:
            f.release()
        self.actor_futures = []

    def _lost_on(self, addr, fn, *args):
        """``fn(*args)``; a failure of the channel to ``addr`` is that worker's loss."""
        try:
            return fn(*args)
        except WorkerLostError:
            raise
        except OSError as exc:  # closed, reset, refused or timed out
            if isinstance(exc, TimeoutError):  # a request not taken in worker_timeout s: frozen
                self.hearts.frozen.add(addr)
            raise WorkerLostError([addr], f"{type(exc).__name__}: {exc}") from exc
