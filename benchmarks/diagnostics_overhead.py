"""Overhead per epoch of the per-layer diagnostics callback on workloads A-D.

For each workload (benchmarks/bench.py's definitions and data, float32), the same fit is
timed without the callback ("off": the loop has no code for it, so this is the plain
run) and with ``npdnn.callbacks.Diagnostics(every=N, probe=X[:256])``, the repeats
interleaved off/on so that machine load drifts hit both alike; the table shows the median
seconds per epoch and the ratio on/off. Each epoch records (every=1), so the histograms
(first, middle and last epoch) are included; with full-batch D an epoch is one step, so
the probe's forward pass (256 rows, as the training batch of 209) is a large share there:
every=10 is measured too.

Run: ``.venv/bin/python benchmarks/diagnostics_overhead.py [--repeats 3] [--out results/diagnostics_overhead.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench import QUICK, WORKLOADS, make_data  # noqa: E402

from npdnn import Network  # noqa: E402
from npdnn.callbacks import Diagnostics  # noqa: E402


def timed_fit(w, X, y, epochs, callback):
    net = Network(list(w.dims), seed=0, dtype=X.dtype)
    callbacks = [] if callback is None else [callback]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.fit(
            X, y, optimizer=w.optimizer, learning_rate=w.lr, epochs=epochs, batch_size=w.batch, seed=0,
            callbacks=callbacks, diagnostics=False,
        )  # fmt: skip
    return (time.perf_counter() - start) / epochs


def hook_cost(w, X, calls=10):
    """Seconds per epoch spent in the callback's own hooks (a histogram epoch included): the
    overhead measured directly, which machine load disturbs far less than a difference of fits."""
    from npdnn.callbacks import Run

    net = Network(list(w.dims), seed=0, dtype=X.dtype)
    cb = Diagnostics(probe=X[:256])
    cb.run = Run(net, None, None, None, calls)
    cb.on_train_begin(net)
    start = time.perf_counter()
    for epoch in range(calls):
        cb.on_epoch_begin(epoch)
        cb.on_epoch_end(epoch, {})
    return (time.perf_counter() - start) / calls


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workloads", default="ABCD", help="which workloads, in this order (e.g. DACB)")
    p.add_argument("--hooks-only", action="store_true", help="time the callback's hooks alone, per workload")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "diagnostics_overhead.json"))
    args = p.parse_args()
    rows = []
    if args.hooks_only:
        for name in args.workloads:
            w = WORKLOADS[name]
            X, _ = make_data(w, "float32")
            rows.append({"workload": name, "variant": "hooks", "s_per_epoch": hook_cost(w, X)})
            print(f"{name}: the callback's hooks take {rows[-1]['s_per_epoch']:.4f} s per epoch", flush=True)
        _save(args.out, rows, 1)
        return
    for name in args.workloads:
        w = WORKLOADS[name]
        X, y = make_data(w, "float32")
        epochs = max(2, QUICK[name])
        variants = {"off": None, "every=1": 1} if name != "D" else {"off": None, "every=1": 1, "every=10": 10}
        times = {v: [] for v in variants}
        for _ in range(args.repeats):
            for v, every in variants.items():
                cb = None if every is None else Diagnostics(every=every, probe=X[:256])
                times[v].append(timed_fit(w, X, y, epochs, cb))
        off = statistics.median(times["off"])
        for v in variants:
            med = statistics.median(times[v])
            rows.append(
                {
                    "workload": name,
                    "variant": v,
                    "epochs": epochs,
                    "s_per_epoch": med,
                    "ratio": med / off,
                    "raw": times[v],
                }
            )
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
    print(f"{'workload':<9}{'variant':<10}{'epochs':>7}{'s/epoch':>11}{'on/off':>8}")
    for r in rows:
        print(f"{r['workload']:<9}{r['variant']:<10}{r['epochs']:>7}{r['s_per_epoch']:>11.4f}{r['ratio']:>8.3f}")
    _save(args.out, rows, args.repeats)


def _save(path, rows, repeats):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(
            {"load_average": os.getloadavg(), "cpus": os.cpu_count(), "repeats": repeats, "rows": rows}, f, indent=1
        )


if __name__ == "__main__":
    main()
