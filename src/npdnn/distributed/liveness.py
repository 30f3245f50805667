"""Which workers are lost: gone from the scheduler, or frozen (no heartbeat for a while).

A worker that owes the driver a reply is asked about every few seconds; Dask's own
``worker-ttl`` (5 minutes by default) is too long to wait for a frozen process.
"""

from __future__ import annotations

import time


class WorkerLostError(ConnectionError):
    """Workers (``addrs``) that left, stopped heartbeating or whose channel failed."""

    def __init__(self, addrs, why):
        self.addrs = frozenset(addrs)
        super().__init__(f"lost worker {', '.join(sorted(self.addrs))}: {why}")


class Heartbeats:
    """Which workers are lost: gone from the scheduler, or whose ``last_seen`` (the
    scheduler's time of their last heartbeat) has not changed for ``timeout`` seconds of
    the driver's own clock, so no clock skew between hosts enters."""

    def __init__(self, client, timeout):
        self.client, self.timeout = client, timeout
        self.seen = {}  # addr -> (last_seen, driver's monotonic time when it last changed)
        self.frozen = set()  # listed by the scheduler, but silent for longer than timeout

    def check(self, addrs, what):
        """Raise :class:`WorkerLostError` for those of ``addrs`` that are lost."""
        info = self.client.sync(self.client.scheduler.identity, n_workers=-1, callback_timeout=10)["workers"]
        now, lost = time.monotonic(), []
        for a in addrs:
            if a not in info:
                lost.append(a)
                continue
            last, prev = info[a].get("last_seen"), self.seen.get(a)
            if prev is None or prev[0] != last:
                self.seen[a] = (last, now)
            elif now - prev[1] > self.timeout:
                lost.append(a)
                self.frozen.add(a)
        if lost:
            raise WorkerLostError(lost, f"{what}: gone, or no heartbeat for {self.timeout:g} s")
