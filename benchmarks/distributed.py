"""Per-step overhead and throughput of npdnn.distributed on a local Dask cluster.

    nice -n 10 .venv/bin/python benchmarks/distributed.py [--repeats 3] [--quick]

Prints three tables (see docs/distributed.md for a run and the model fitted to it):

1. time per exact step (set-up excluded): a network of ~1 MB of float64 parameters, 2 rows
   per worker per step (compute ~0), for 1 and 2 workers, over the socket channel and over
   Dask actor calls; beside them the naive scheme (scatter theta,
   one task per worker, gather) that an actor call replaces;
2. throughput (samples/s) of network B [784, 256, 128, 1] with a global batch of
   8,192 rows: one process (1 BLAS thread, fit()) vs 1 and 2 workers (median exact
   step, set-up excluded; the optimizer step on the driver is not in it);
3. local SGD (sync_every=4) against synchronous: held-out accuracy after the same epochs.
Repeats are interleaved; each cell is the median with the [min, max] spread.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

import numpy as np

from npdnn import Network


def _median(ts):
    ts = sorted(ts)
    return ts[len(ts) // 2], ts[0], ts[-1]


def _cell(ts, scale=1e3, fmt="{:.2f}"):
    med, lo, hi = _median([t * scale for t in ts])
    return f"{fmt.format(med)} [{fmt.format(lo)}, {fmt.format(hi)}]"


def step_only_seconds(client, net, X, y, batch, transport, n_steps=200, skip=10):
    """Median time of one exact step (theta out, gradients summed back), set-up excluded."""
    from npdnn.distributed.cluster import Shards
    from npdnn.distributed.sources import pieces

    parts, m, _ = pieces(X, y)
    config = {"layer_dims": net.layer_dims, "hidden_activation": net.hidden_activation, "dtype": net.dtype.name}
    shards = Shards(client, config, parts, transport=transport)
    try:
        shards.begin_epoch(m, batch, None)
        grad = np.empty_like(net.theta)
        ts = []
        for k in range(n_steps):
            t0 = time.perf_counter()
            shards.step(net.theta, k % (m // batch), float(batch), grad)
            ts.append(time.perf_counter() - t0)
        return float(np.median(ts[skip:]))
    finally:
        shards.close()


def naive_step_seconds(client, theta, n_steps):
    """scatter theta + one task per worker + gather: the scheme actors replace."""
    workers = sorted(client.scheduler_info(n_workers=-1)["workers"])

    def task(t):
        return t * 1.0

    t0 = time.perf_counter()
    for _ in range(n_steps):
        [fut] = client.scatter([theta], broadcast=True)
        outs = [client.submit(task, fut, workers=[w], pure=False) for w in workers]
        sum(client.gather(outs))
    return (time.perf_counter() - t0) / n_steps


def main():
    # this file's own name would shadow the `distributed` package
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    import dask.array as da
    from distributed import Client, LocalCluster
    from threadpoolctl import threadpool_limits

    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="smaller throughput run")
    p.add_argument("--sweep", action="store_true", help="only: step time against parameter bytes (the model's o(W))")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    if args.sweep:
        return _sweep(rng, args.repeats, Client, LocalCluster, da)
    dims_1mb = [256, 256, 256, 1]  # 131,841 float64 parameters = 1.05 MB
    m_B = 16384 if not args.quick else 8192
    X_B = rng.normal(size=(m_B, 784)).astype(np.float32)
    y_B = (X_B[:, :10].sum(axis=1) > 0).astype(int)

    overhead, naive, thr = {}, {}, {}
    for _ in range(args.repeats):
        for n_workers in (1, 2):
            with (
                LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                ) as cluster,
                Client(cluster) as client,
            ):
                m = 2 * n_workers * 200
                Xs = da.from_array(rng.normal(size=(m, 256)), chunks=(m // n_workers, 256))
                ys = rng.integers(0, 2, size=m)
                net = Network(dims_1mb, seed=0)
                for transport in ("socket", "dask"):
                    t = step_only_seconds(client, net, Xs, ys, 2 * n_workers, transport)
                    overhead.setdefault((n_workers, transport), []).append(t)
                naive.setdefault(n_workers, []).append(naive_step_seconds(client, net.theta, 100))
                XB = da.from_array(X_B, chunks=(m_B // n_workers, 784))
                netB = Network([784, 256, 128, 1], seed=0, dtype=np.float32)
                t = step_only_seconds(client, netB, XB, y_B, 8192, "socket", n_steps=7, skip=1)
                thr.setdefault(n_workers, []).append(8192 / t)
        netB = Network([784, 256, 128, 1], seed=0, dtype=np.float32)
        with threadpool_limits(1):
            t0 = time.perf_counter()
            netB.fit(X_B, y_B, optimizer="gd", learning_rate=1e-3, epochs=3, batch_size=8192, seed=0)
            thr.setdefault(0, []).append(3 * m_B / (time.perf_counter() - t0))

    local_sgd = _local_sgd_table(rng)

    print("\n1. Per-step time, ~1 MB float64 parameters (131,841), 2 rows per worker (ms, median [min, max])")
    print("| workers | socket channel (default) | Dask actor call | naive scatter + task + gather |")
    print("| --- | --- | --- | --- |")
    for w in (1, 2):
        print(f"| {w} | {_cell(overhead[w, 'socket'])} | {_cell(overhead[w, 'dask'])} | {_cell(naive[w])} |")
    print(f"\n2. Throughput, network B [784, 256, 128, 1] float32, global batch 8,192, {m_B} rows (samples/s)")
    print("| where | samples/s | per step (ms) |")
    print("| --- | --- | --- |")
    for w, name in ((0, "one process, 1 BLAS thread"), (1, "1 worker"), (2, "2 workers")):
        ms = [8192 / r for r in thr[w]]
        print(f"| {name} | {_cell(thr[w], 1, '{:.0f}')} | {_cell(ms)} |")

    print("\n3. Local SGD against synchronous, 2 workers: [20, 32, 1] adam, batch 256, 5 epochs, 16k train rows")
    print("| mode | held-out accuracy | final training loss | wall s |")
    print("| --- | --- | --- | --- |")
    for row in local_sgd:
        print("| " + " | ".join(row) + " |")


def _sweep(rng, repeats, Client, LocalCluster, da):
    """Exact-step time (2 rows per worker) against the parameter bytes P, for 1 and 2 workers:
    the data for o(W) = o0 + a P + W tau P in docs/distributed.md."""
    res = {}
    for _ in range(repeats):
        for W in (1, 2):
            with (
                LocalCluster(
                    n_workers=W, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
                ) as c,
                Client(c) as client,
            ):
                for dims in ([16, 16, 1], [256, 256, 256, 1], [1024, 1024, 1]):
                    net = Network(dims, seed=0)
                    m = 2 * W * 100
                    X = da.from_array(rng.normal(size=(m, dims[0])), chunks=(m // W, dims[0]))
                    t = step_only_seconds(client, net, X, rng.integers(0, 2, m), 2 * W, "socket", n_steps=100)
                    res.setdefault((W, net.theta.nbytes), []).append(t)
    print("| workers | parameter bytes | step ms, median [min, max] |")
    print("| --- | --- | --- |")
    for (W, P), ts in sorted(res.items()):
        print(f"| {W} | {P:,} | {_cell(ts)} |")


def _local_sgd_table(rng):
    import dask.array as da
    from distributed import Client, LocalCluster

    from npdnn.distributed import fit

    X = rng.normal(size=(20000, 20))
    y = ((X[:, 0] * X[:, 1] + np.sin(X[:, 2]) + 0.5 * X[:, 3]) > 0).astype(int)  # nonlinear
    Xtr, ytr, Xte, yte = X[:16000], y[:16000], X[16000:], y[16000:]
    rows = []
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR) as c,
        Client(c) as client,
    ):
        Xd = da.from_array(Xtr, chunks=(8000, 20))
        for k in (None, 4, 16):
            net = Network([20, 32, 1], seed=0)
            t0 = time.perf_counter()
            h = fit(
                net,
                Xd,
                ytr,
                client,
                optimizer="adam",
                learning_rate=0.01,
                epochs=5,
                batch_size=256,
                seed=0,
                sync_every=k,
            )
            wall = time.perf_counter() - t0
            acc = np.mean(net.predict(Xte) == yte)
            name = "synchronous (exact)" if k is None else f"local SGD, sync_every={k}"
            rows.append((name, f"{acc:.4f}", f"{h['loss'][-1]:.4f}", f"{wall:.1f}"))
    return rows


if __name__ == "__main__":
    main()
