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

from ..checks import check_positive
from ..network import param_layout
from ..train.batching import epoch_order, shuffle_plan
from ..train.callbacks import DivergenceError, History, Run, as_callback
from ..train.optimizers import get_optimizer
from ..train.options import default_learning_rate
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
    epochs = check_positive("epochs", epochs, integer=True)
    check_positive("l2", l2, allow_zero=True)
    if batch_size is not None:
        check_positive("batch_size", batch_size, integer=True)
    if sync_every is not None:
        check_positive("sync_every", sync_every, integer=True)
        if not isinstance(optimizer, str):
            raise ValueError(
                f"sync_every needs the optimizer as a name (each worker builds its own); got {optimizer!r}"
            )
    lr = learning_rate if learning_rate is not None else default_learning_rate(optimizer)
    opt = get_optimizer(optimizer, lr)
    schedule = get_schedule(None)
    rng = np.random.default_rng(seed) if seed is not None else net.rng
    parts, m, n_x = make_pieces(X, y, sample_weight)
    if n_x != net.n_features:
        raise ValueError(f"X has {n_x} features; the network expects {net.n_features}")
    b = m if batch_size is None else min(int(batch_size), m)
    n_steps = math.ceil(m / b)
    bounds, block = shuffle_plan(m, b, n_x, net.dtype)  # as npdnn.train.batching.Batches: the same order
    W_slices = [slice(o, o + s[0] * s[1]) for n, s, o in param_layout(net.layer_dims) if n[0] == "W"]

    run = Run(net, opt, schedule, rng, epochs, history={"loss": [], "lr": []})
    run.callbacks = [*(as_callback(cb) for cb in callbacks), History(run.history)]
    stopped = False
    if checkpoint is not None:
        from ..train.checkpoint import ModelCheckpoint

        saver = ModelCheckpoint(checkpoint, every=checkpoint_every)
        run.callbacks.append(saver)
        # The data stays on the workers, so no digest of it: its shape and the options only.
        run.fingerprint = {
            "data": f"({m}, {n_x}) on a Dask cluster",
            "optimizer": f"{type(opt).__name__} {opt.hyperparameters()}",
            "learning_rate": opt.learning_rate,
            "batch_size": batch_size,
            "shuffle": bool(shuffle),
            "seed": seed if isinstance(seed, (int, np.integer)) else None,
            "l2": float(l2),
            "sync_every": sync_every,
        }
    for cb in run.callbacks:
        cb.run = run
    if checkpoint is not None and resume:
        run.start_epoch, stopped = saver.restore(force=resume == "force")
    config = {"layer_dims": net.layer_dims, "hidden_activation": net.hidden_activation, "dtype": net.dtype.name}
    shards = Shards(
        client,
        config,
        parts,
        transport=transport,
        max_recoveries=max_recoveries,
        worker_timeout=check_positive("worker_timeout", worker_timeout),
        checkpoint=checkpoint,
    )
    grad = np.empty_like(net.grad)
    try:
        for cb in run.callbacks:
            cb.on_train_begin(net)
        for epoch in range(run.start_epoch, run.start_epoch if stopped else epochs):
            for cb in run.callbacks:
                cb.on_epoch_begin(epoch)
            shuffled = shuffle and b < m
            plan = (rng.bit_generator.state, bounds, block) if shuffled else None
            if shuffled:
                epoch_order(bounds, block, rng)  # the draws fit makes; each shard makes them too, from `plan`
            S = shards.begin_epoch(m, b, plan)  # per-step weight sums, or None
            w_total = None if S is None else float(S.sum())
            snapshot = net.theta.copy()
            epoch_loss = 0.0
            if sync_every is None:
                for k in range(n_steps):
                    B = min(b, m - k * b)
                    J = _sync_step(shards, net, opt, grad, W_slices, k, B, B if S is None else S[k], l2)
                    if not math.isfinite(J):
                        np.copyto(net.theta, snapshot)
                        raise DivergenceError(
                            f"training diverged at epoch {epoch + 1} (step {k}): the cost is {J}; try a lower "
                            f"learning rate than {opt.learning_rate:g}. The network keeps the parameters from "
                            f"the start of epoch {epoch + 1}."
                        )
                    epoch_loss += J * (B / m if S is None else (S[k] / w_total if w_total > 0 else 0.0))
            else:
                epoch_loss = _local_round(shards, net, optimizer, lr, l2, n_steps, sync_every)
            logs = {"loss": float(epoch_loss), "lr": opt.learning_rate}
            if any([bool(cb.on_epoch_end(epoch, logs)) for cb in run.callbacks]):  # a list: every hook runs
                if checkpoint is not None:
                    saver.mark_stopped(epoch + 1)
                break
        for cb in run.callbacks:
            cb.on_train_end(net, run.history)
    finally:
        recoveries = shards.recoveries
        shards.close()
    run.history["recoveries"] = recoveries
    return run.history


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
