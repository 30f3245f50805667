"""Synchronous data-parallel training on a Dask cluster, step for step equal to ``net.fit``.

Per global batch k of B rows (the rows ``order[kb:(k+1)b]`` of the epoch's order,
:func:`npdnn.train.batching.epoch_order` drawn from the same generator as
:func:`npdnn.train.loop.fit`), each worker computes ``J_i = sum_{j in share_i} w_j l_j``
and its gradient with ``w_j = 1/B`` (or the sample weight over the batch's weight sum
``S_k``), so ``sum_i J_i`` is the batch cost and ``sum_i grad_i`` its gradient. The driver adds
the L2 term once, ``(l2/B) W`` (what ``Network.backward`` adds with ``l2_scale = l2/m``), takes the optimizer
step, and the new ``theta`` goes out with the next step's call. Only the rounding of the sums differs
from one process (a sum over shares instead of one GEMM), ~1e-16 relative per step.
"""

from __future__ import annotations

import math

import numpy as np

from ..network import param_layout
from ..train.batching import epoch_order, shuffle_plan
from ..train.callbacks import DivergenceGuard
from ..train.options import check_fit_options, check_option, make_optimizer
from ..train.runner import callback_list, run_epochs, run_fingerprint, start_run
from ..train.schedules import get_schedule
from .cluster import Shards
from .sources import pieces as make_pieces


def _client(client):
    if client is not None:
        return client
    from distributed import get_client

    try:
        return get_client()
    except ValueError as exc:
        raise ValueError(
            "no Dask client: pass client=distributed.Client('tcp://HOST:8786') (or create one first)"
        ) from exc


def fit(
    net,
    X,
    y,
    client=None,
    *,
    optimizer="gd",
    learning_rate=None,
    epochs=100,
    batch_size=None,
    shuffle=True,
    seed=None,
    l2=0.0,
    sample_weight=None,
    sync_every=None,
    checkpoint=None,
    checkpoint_every=1,
    resume=False,
    callbacks=(),
    lr_schedule=None,
    verbose=False,
    transport="socket",
    max_recoveries=3,
    worker_timeout=30.0,
):
    """Train ``net`` in place on a Dask cluster; return the history like ``net.fit``.

    Parameters
    ----------
    X : Dask array or DataFrame (m, n_x) chunked by rows, :class:`NpyParts` or a glob
        of ``.npy`` parts (read a batch at a time: out of core)
    y : (m,) class indices: a Dask array/Series or an in-memory array
    client : distributed.Client, default the current one
    optimizer, learning_rate, epochs, batch_size, shuffle, seed, l2, sample_weight :
        as :func:`npdnn.train.loop.fit`; the same values give the same batches and steps
    sync_every : None (synchronous, exact) or k: local SGD, each worker takes k steps
        of its own optimizer on its share of each batch, then the parameters are
        averaged (a different algorithm; ``optimizer`` must be a name)
    checkpoint, checkpoint_every, resume : as :func:`npdnn.train.loop.fit` (the
        fingerprint holds the data's shape, not a digest: the data is never on the driver)
    callbacks : :class:`npdnn.callbacks.Callback` objects or functions ``f(epoch, logs)``
        (True stops); called on the driver once per epoch
    lr_schedule, verbose : as :func:`npdnn.train.loop.fit` (the epochs run through the same
        runner, :func:`npdnn.train.runner.run_epochs`; this module supplies only the step)
    transport : "socket" (default: a direct TCP connection per shard for the steps) or
        "dask" (actor calls through Dask's comms; slower, see docs/distributed.md)
    max_recoveries : lost workers replaced before giving up
    worker_timeout : seconds without a heartbeat (seen by the scheduler) after which a
        worker that owes a reply counts as lost, like a killed one (a frozen process)

    Returns
    -------
    history : {"loss": [...], "lr": [...]} plus "recoveries" (int)
    """
    client = _client(client)
    check_fit_options(
        epochs=epochs,
        batch_size=batch_size,
        l2=l2,
        checkpoint_every=checkpoint_every,
        resume=resume,
        sync_every=sync_every,
        max_recoveries=max_recoveries,
        transport=transport,
    )
    if sync_every is not None and not isinstance(optimizer, str):
        raise ValueError(f"sync_every needs the optimizer as a name (each worker builds its own); got {optimizer!r}")
    opt = make_optimizer(optimizer, learning_rate)
    schedule = get_schedule(lr_schedule)
    rng = np.random.default_rng(seed) if seed is not None else net.rng
    parts, m, n_x = make_pieces(X, y, sample_weight)
    if n_x != net.n_features:
        raise ValueError(f"X has {n_x} features; the network expects {net.n_features}")
    b = m if batch_size is None else min(int(batch_size), m)

    history = {"loss": [], "lr": []}
    run, stopped = start_run(
        net,
        opt,
        schedule,
        rng,
        epochs,
        history,
        callback_list(callbacks, history, epochs, verbose),
        guard=DivergenceGuard(None, None),  # the data is on the workers: finiteness checks only
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        resume=resume,
        # The data stays on the workers, so no digest of it: its shape and the options only.
        fingerprint=lambda: {
            "data": f"({m}, {n_x}) on a Dask cluster",
            **run_fingerprint(
                opt,
                batch_size=batch_size,
                shuffle=shuffle,
                seed=seed,
                l2=l2,
                sync_every=sync_every,
                **({} if lr_schedule is None else {"lr_schedule": repr(schedule)}),
            ),
        },
    )
    config = {"layer_dims": net.layer_dims, "hidden_activation": net.hidden_activation, "dtype": net.dtype.name}
    shards = Shards(
        client,
        config,
        parts,
        transport=transport,
        max_recoveries=max_recoveries,
        worker_timeout=check_option("worker_timeout", worker_timeout),
        checkpoint=checkpoint,
    )
    try:
        run_epochs(run, _ClusterEpoch(shards, run, m, b, n_x, shuffle, float(l2), optimizer, sync_every), stopped)
    finally:
        recoveries = shards.recoveries
        shards.close()
    run.history["recoveries"] = recoveries
    return run.history


class _ClusterEpoch:
    """The driver's step: one epoch on the cluster, the epoch's order sent to every shard.
    Synchronous (``sync_every=None``): per global batch k the shards reduce their shares'
    costs and gradients, the driver adds L2 once and takes the optimizer step; returns the
    epoch's loss as ``fit`` weighs it. Local SGD (``sync_every=k``): rounds of k steps on
    every shard, then the mean parameters."""

    def __init__(self, shards, run, m, b, n_x, shuffle, l2, optimizer, sync_every):
        self.shards, self.run, self.m, self.b, self.l2 = shards, run, m, b, l2
        self.optimizer, self.sync_every = optimizer, sync_every
        self.shuffled = shuffle and b < m
        self.bounds, self.block = shuffle_plan(m, b, n_x, run.net.dtype)  # as Batches: the same order
        net = run.net
        self.W_slices = [slice(o, o + s[0] * s[1]) for n, s, o in param_layout(net.layer_dims) if n[0] == "W"]
        self.grad = np.empty_like(net.grad)

    def __call__(self, epoch):
        run, m, b = self.run, self.m, self.b
        rng = run.rng
        plan = (rng.bit_generator.state, self.bounds, self.block) if self.shuffled else None
        if self.shuffled:
            epoch_order(self.bounds, self.block, rng)  # the draws fit makes; each shard makes them too, from `plan`
        S = self.shards.begin_epoch(m, b, plan)  # per-step weight sums, or None
        if self.sync_every is not None:
            lr = run.optimizer.learning_rate
            return _local_round(self.shards, run.net, self.optimizer, lr, self.l2, math.ceil(m / b), self.sync_every)
        w_total = None if S is None else float(S.sum())
        epoch_loss = 0.0
        for k in range(math.ceil(m / b)):
            B = min(b, m - k * b)
            J = _sync_step(
                self.shards, run.net, run.optimizer, self.grad, self.W_slices, k, B, B if S is None else S[k], self.l2
            )
            if not math.isfinite(J):
                run.guard.batch_failed(epoch, f"step {k}", J)
            epoch_loss += J * (B / m if S is None else (S[k] / w_total if w_total > 0 else 0.0))
        return epoch_loss


def _sync_step(shards, net, opt, grad, W_slices, k, B, total, l2):
    """One exact step on global batch k: reduce the shares, add L2 once, step once."""
    J = shards.step(net.theta, k, float(total), grad)
    if l2:
        J += l2 / (2 * B) * net.l2_penalty()
        scale = l2 / B
        for s in W_slices:  # Network.backward's l2_scale * W with l2_scale = l2 / m, m = B
            grad[s] += scale * net.theta[s]
    if math.isfinite(J):
        opt.step(net.theta, grad)
    return J


def _local_round(shards, net, optimizer, lr, l2, n_steps, k):
    """An epoch of local SGD: rounds of k local steps on every shard, then the mean theta."""
    costs = []
    for start in range(0, n_steps, k):
        ks = list(range(start, min(start + k, n_steps)))
        results = [r for r in shards.call("local_steps", net.theta, ks, optimizer, lr, l2) if r[1] is not None]
        np.copyto(net.theta, np.mean([r[0] for r in results], axis=0))
        costs.extend(r[1] for r in results)
    return float(np.mean(costs))
