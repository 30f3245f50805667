"""The worker side: a Dask actor holding a contiguous range of rows and a network replica.

The driver draws the epoch's order exactly as :func:`npdnn.train.loop.fit` does
(:func:`npdnn.train.batching.epoch_order`) and sends the generator's state (a few hundred bytes)
with the order's span bounds and block at the start of each epoch; every shard draws the same
order and keeps the positions of its own rows in it. A
step then sends one flat ``theta`` and a step number and gets back the share's cost
and gradient: with weights ``1/B`` (or ``w_i / S_k``, S_k the global batch's weight
sum) the shares add up to the global batch's cost and gradient.
"""

from __future__ import annotations

import os

import numpy as np

from ..network import Network
from ..train.batching import epoch_order
from ..train.optimizers import get_optimizer
from .rows import MemoryRows, NpyRows


class Shard:
    """Rows ``[lo, lo + n_local)`` of the training set on one worker.

    Parameters
    ----------
    config : dict with ``layer_dims``, ``hidden_activation``, ``dtype``
    X_parts : list of arrays (n_i, n_x), or list of ``.npy`` paths (out of core)
    labels : list of arrays (n_i,) of class indices
    weights : list of arrays (n_i,) of sample weights, or None
    """

    def __init__(self, config, X_parts, labels, weights=None):
        self.net = Network(config["layer_dims"], config["hidden_activation"], seed=0, dtype=np.dtype(config["dtype"]))
        dtype = self.net.dtype
        on_disk = len(X_parts) > 0 and all(isinstance(p, (str, os.PathLike)) for p in X_parts)
        self.rows = NpyRows(X_parts, dtype) if on_disk else MemoryRows(X_parts, dtype)
        if self.rows.n_x != self.net.n_features:
            raise ValueError(f"X has {self.rows.n_x} features; the network expects {self.net.n_features}")
        self.labels = np.concatenate([np.asarray(a).reshape(-1) for a in labels]).astype(np.int64)
        if self.labels.shape[0] != self.rows.n:
            raise ValueError(f"a shard has {self.rows.n} rows of X but {self.labels.shape[0]} labels")
        n_classes = max(self.net.layer_dims[-1], 2)
        if self.labels.size and (self.labels.min() < 0 or self.labels.max() >= n_classes):
            raise ValueError(f"labels must be class indices in 0..{n_classes - 1}; a shard holds {self.labels.max()}")
        self.Y = self.net.targets(self.labels)  # (n_L, n_local)
        self.w = None if weights is None else np.concatenate([np.asarray(a, np.float64) for a in weights])
        if self.w is not None and not (np.isfinite(self.w).all() and (self.w >= 0).all()):
            bad = self.w[~(np.isfinite(self.w) & (self.w >= 0))][0]
            raise ValueError(f"sample_weight must hold finite non-negative numbers; a shard holds {bad}")
        self.n = self.rows.n
        self.peak_rss = 0
        self.opt = None

    def open_channel(self, host, token, tls=False):
        """Listen for the driver holding ``token`` on a socket of its own; returns the port
        (see :mod:`npdnn.distributed.channel`). ``tls``: wrap it in this worker's Dask TLS context."""
        from .channel import serve

        ssl_context = None
        if tls:
            from distributed import get_worker

            ssl_context = get_worker().security.get_listen_args("worker")["ssl_context"]
            if ssl_context is None:
                raise ValueError(
                    "the client uses TLS (distributed.Security) but this worker has no TLS certificate; "
                    "configure the workers with the same Security, or pass transport='dask'"
                )
        return serve(self, host, token, ssl_context)

    def info(self):
        """``(n_local, resident bytes of X, worker pid)``."""
        return self.n, self.rows.nbytes(), os.getpid()

    def begin_epoch(self, lo, m, b, plan):
        """Draw the epoch's order from ``plan = (rng_state, bounds, block)`` (None: rows in
        order) and keep the positions of rows ``[lo, lo + n_local)``; return each step's
        sum of this shard's sample weights (None when unweighted)."""
        if plan is None:
            order = np.arange(m)
        else:
            rng_state, bounds, block = plan
            rng = np.random.default_rng()
            rng.bit_generator.state = rng_state
            order = epoch_order(bounds, block, rng)
        mine = (order >= lo) & (order < lo + self.n)
        self.pos = np.flatnonzero(mine)  # positions in the epoch, ascending
        self.local = order[self.pos] - lo  # (n_local,) row of this shard at each position
        self.m, self.b = m, b
        self.bounds = bounds = np.searchsorted(
            self.pos, np.arange(0, m + b, b)
        )  # share k: local[bounds[k]:bounds[k+1]]
        if self.w is None:
            return None
        wl = self.w[self.local]
        return np.array([wl[bounds[k] : bounds[k + 1]].sum() for k in range(len(bounds) - 1)])

    def _share(self, k):
        return self.local[self.bounds[k] : self.bounds[k + 1]]

    def _weights(self, idx, total):
        """``1/B`` as a float, or ``w_i / S_k`` (1, n) in the network's dtype."""
        if self.w is None:
            return 1.0 / total
        return (self.w[idx] / total).astype(self.net.dtype)[None, :]

    def step(self, theta, k, total, copy=True):
        """Cost and gradient of this shard's share of global batch ``k`` at ``theta``
        (``total``: the batch size B, or the batch's weight sum); None when the share is empty."""
        idx = self._share(k)
        if idx.shape[0] == 0:
            return None
        np.copyto(self.net.theta, theta)
        A0 = self.rows.take(idx).T  # (n_x, n_share)
        J = self.net.loss_and_gradients(A0, self.Y[:, idx], self._weights(idx, total), 0.0, training=True)
        self._track_memory()
        return J, (self.net.grad.copy() if copy else self.net.grad)  # copy=False: sent before the next step

    def local_steps(self, theta, ks, optimizer, learning_rate, l2):
        """Local SGD: from ``theta``, one step of this shard's own optimizer on its share
        of each batch in ``ks`` (normalized over the share); returns (theta, mean cost)."""
        if self.opt is None:
            self.opt = get_optimizer(optimizer, learning_rate)
        np.copyto(self.net.theta, theta)
        costs = []
        for k in ks:
            idx = self._share(k)
            if idx.shape[0] == 0:
                continue
            weights = self._weights(idx, idx.shape[0] if self.w is None else self.w[idx].sum())
            costs.append(self.net.loss_and_gradients(self.rows.take(idx).T, self.Y[:, idx], weights, l2, True))
            self.opt.step(self.net.theta, self.net.grad)
        self._track_memory()
        return self.net.theta.copy(), (float(np.mean(costs)) if costs else None)

    def _track_memory(self):
        try:
            import psutil

            self.peak_rss = max(self.peak_rss, psutil.Process().memory_info().rss)
        except ImportError:  # psutil comes with distributed; without it there is nothing to report
            pass

    def memory(self):
        """Peak resident set size (bytes) seen after a step."""
        self._track_memory()
        return self.peak_rss
