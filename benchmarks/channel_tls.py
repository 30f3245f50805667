"""What TLS and the channel's authentication cost per step (issue 27).

    nice -n 10 .venv/bin/python benchmarks/channel_tls.py [--repeats 3] [--steps 200]

Two local clusters of 2 worker processes, one with plain TCP comms and one with TLS
(``distributed.Security`` from a throwaway self-signed certificate made with the openssl
command). On each: the time of one exact step (theta out, gradients summed back; 2 rows per
worker, so compute is about 0) over the socket channel and over Dask actor calls, for a
small network (2.3 KB of parameters) and ~1 MB of float64 parameters, plus the time to open
the channels (start-up: the shards, the token through Dask, the handshake). The repeats are
interleaved; each cell is the median [min, max] of the repeats' medians, in ms. Prints a
Markdown table and writes it with the load average to ``benchmarks/results/channel_tls.txt``.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# this folder holds a distributed.py of its own, which would shadow dask's package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
from distributed import Client, LocalCluster, Security  # noqa: E402

from npdnn import Network  # noqa: E402


def cell(ts, scale=1e3):
    ts = sorted(t * scale for t in ts)
    return f"{ts[len(ts) // 2]:.2f} [{ts[0]:.2f}, {ts[-1]:.2f}]"


def security(folder):
    key, cert = Path(folder) / "key.pem", Path(folder) / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=npdnn-bench"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    files = (("cert", cert), ("key", key))
    roles = {f"tls_{r}_{k}": str(v) for r in ("client", "scheduler", "worker") for k, v in files}
    return Security(tls_ca_file=str(cert), require_encryption=True, **roles)


def steps(client, net, X, y, transport, n_steps):
    """(start-up seconds, median step seconds) for ``n_steps`` exact steps, the first 10 dropped."""
    import dask.array as da

    from npdnn.distributed.cluster import Shards
    from npdnn.distributed.sources import pieces

    parts, m, _ = pieces(da.from_array(X, chunks=(len(X) // 2, X.shape[1])), y)
    config = {"layer_dims": net.layer_dims, "hidden_activation": net.hidden_activation, "dtype": net.dtype.name}
    t0 = time.perf_counter()
    shards = Shards(client, config, parts, transport=transport)
    start = time.perf_counter() - t0
    try:
        shards.begin_epoch(m, 4, None)
        grad = np.empty_like(net.theta)
        ts = []
        for k in range(n_steps):
            t0 = time.perf_counter()
            shards.step(net.theta, k % (m // 4), 4.0, grad)
            ts.append(time.perf_counter() - t0)
        return start, float(np.median(ts[10:]))
    finally:
        shards.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=200)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    nets = {"2.3 KB": [20, 16, 16, 1], "1 MB": [256, 256, 256, 1]}
    data = {name: rng.normal(size=(400, dims[0])) for name, dims in nets.items()}
    y = rng.integers(0, 2, size=400)
    loads = [os.getloadavg()[0]]
    res = {}
    with tempfile.TemporaryDirectory() as folder:
        sec = security(folder)
        for _ in range(args.repeats):
            for comms in ("tcp", "tls"):
                kw = {"protocol": "tls", "security": sec} if comms == "tls" else {}
                with (
                    LocalCluster(
                        n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR, **kw
                    ) as cluster,
                    Client(cluster, security=kw.get("security")) as client,
                ):
                    for name, dims in nets.items():
                        for transport in ("socket", "dask"):
                            start, step = steps(client, Network(dims, seed=0), data[name], y, transport, args.steps)
                            res.setdefault((comms, name, transport, "step"), []).append(step)
                            res.setdefault((comms, name, transport, "start"), []).append(start)
            loads.append(os.getloadavg()[0])
    lines = [
        f"load average (1 min) during the run: {min(loads):.1f} to {max(loads):.1f}; {args.repeats} repeats",
        "",
        "| parameters | transport | step, plain TCP | step, TLS | start-up, plain TCP | start-up, TLS |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in nets:
        for transport in ("socket", "dask"):
            row = [cell(res[(c, name, transport, what)]) for what in ("step", "start") for c in ("tcp", "tls")]
            lines.append(f"| {name} | {transport} | " + " | ".join(row) + " |")
    text = "\n".join(lines)
    print(text)
    out = Path(__file__).parent / "results" / "channel_tls.txt"
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
