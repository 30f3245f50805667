"""An epoch on a busy machine: alone, beside a second fit, and under GridSearchCV(n_jobs=2).

    .venv/bin/python benchmarks/busy.py --workloads A,T,B --repeats 3 --save benchmarks/results/busy.json

For each workload (benchmarks/bench.py's data and sizes, float32) and each BLAS thread
policy (``NPDNN_BLAS_THREADS``: ``auto`` = one thread for small steps, npdnn.train.threads;
``off`` = the BLAS library's own choice, what npdnn did before), three scenes, each in
fresh processes:

- alone: one process times ``--epochs`` epochs of ``Network.fit`` after a warm-up epoch;
- two fits: two such processes at once (both start timing at the same instant);
- GridSearchCV: ``DNNClassifier`` searched over 2 learning rates x 2 folds with
  ``n_jobs=2`` (4 fits, two at a time, in joblib's worker processes); the time per epoch
  is the search's wall time over the epochs one worker trains (half of them).

Scenes and policies take turns, repeat after repeat (rotated), so the shared machine's
drift hits all alike; the load average is recorded beside each measurement. The compiled
step is off (``NPDNN_COMPILED=0``) unless ``--compiled``: this is the default install.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _fit_kw(w):
    return dict(optimizer=w.optimizer, learning_rate=w.lr, batch_size=w.batch)


def worker_fit(wname, epochs, start_at):
    import bench

    import npdnn

    w = bench.WORKLOADS[wname]
    X, y = bench.make_data(w, np.float32)
    net = npdnn.Network(list(w.dims), "relu", seed=0, dtype=np.float32)
    net.fit(X, y, epochs=1, seed=1, diagnostics=False, **_fit_kw(w))  # warm-up
    time.sleep(max(0.0, start_at - time.time()))
    t0 = time.perf_counter()
    net.fit(X, y, epochs=epochs, seed=2, diagnostics=False, **_fit_kw(w))
    print(json.dumps({"s_per_epoch": (time.perf_counter() - t0) / epochs}))


def worker_grid(wname, epochs):
    import bench
    from sklearn.model_selection import GridSearchCV

    from npdnn import DNNClassifier

    w = bench.WORKLOADS[wname]
    X, y = bench.make_data(w, np.float32)
    X, y = np.concatenate([X, X]), np.concatenate([y, y])  # 2 folds of m rows: each fit trains on m rows
    est = DNNClassifier(
        hidden_layer_sizes=list(w.dims[1:-1]),
        optimizer=w.optimizer,
        learning_rate=w.lr,
        batch_size=w.batch,
        epochs=epochs,
        random_state=0,
        dtype="float32",
    )
    search = GridSearchCV(est, {"learning_rate": [w.lr, 2 * w.lr]}, cv=2, n_jobs=2, refit=False)
    t0 = time.perf_counter()
    search.fit(X, y)
    # 4 fits of `epochs` epochs, two at a time: each worker trains 2 fits
    print(json.dumps({"s_per_epoch": (time.perf_counter() - t0) / (2 * epochs)}))


def _run(args, env, n=1):
    procs = [
        subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(n)
    ]
    out = []
    for p in procs:
        line = p.communicate()[0].strip().splitlines()[-1]
        out.append(json.loads(line)["s_per_epoch"])
    return out


def measure(wname, scene, policy, epochs, compiled):
    env = {**os.environ, "NPDNN_BLAS_THREADS": policy, "NPDNN_COMPILED": "1" if compiled else "0"}
    load = os.getloadavg()[0]
    if scene == "grid":
        times = _run(["--grid", wname, "--epochs", str(epochs)], env)
    else:
        n = 1 if scene == "alone" else 2
        start_at = time.time() + 4.0 + 2.0 * n  # after both have loaded and warmed up
        times = _run(["--fit", wname, "--epochs", str(epochs), "--start-at", str(start_at)], env, n)
    return {"s_per_epoch": statistics.mean(times), "each": times, "load": load}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="A,T,B")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--policies", default="auto,off")
    p.add_argument("--scenes", default="alone,two,grid")
    p.add_argument("--compiled", action="store_true", help="with the compiled step (npdnn[fast]) on")
    p.add_argument("--save", metavar="PATH")
    p.add_argument("--fit", help=argparse.SUPPRESS)
    p.add_argument("--grid", help=argparse.SUPPRESS)
    p.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.fit:
        return worker_fit(args.fit, args.epochs, args.start_at)
    if args.grid:
        return worker_grid(args.grid, args.epochs)

    cases = [(s, pol) for s in args.scenes.split(",") for pol in args.policies.split(",")]
    raw = []
    for wname in args.workloads.split(","):
        for rep in range(args.repeats):
            k = rep % len(cases)
            for scene, policy in cases[k:] + cases[:k]:
                r = measure(wname, scene, policy, args.epochs, args.compiled)
                raw.append({"workload": wname, "scene": scene, "policy": policy, "repeat": rep, **r})
                print(f"  {wname} {scene:5} {policy:4} {r['s_per_epoch']:.3f} s/epoch  load {r['load']:.2f}",
                      file=sys.stderr)  # fmt: skip
    print(f"s per epoch, float32, median of {args.repeats} (min-max); compiled step {'on' if args.compiled else 'off'}")
    print("| wl | scene | " + " | ".join(f"threads={pol}" for pol in args.policies.split(",")) + " | loads |")
    print("|---|---|" + "---|" * len(args.policies.split(",")) + "---|")
    for wname in args.workloads.split(","):
        for scene in args.scenes.split(","):
            cells, loads = [], []
            for pol in args.policies.split(","):
                rs = [r for r in raw if (r["workload"], r["scene"], r["policy"]) == (wname, scene, pol)]
                t = [r["s_per_epoch"] for r in rs]
                loads += [r["load"] for r in rs]
                cells.append(f"{statistics.median(t):.3f} ({min(t):.3f}-{max(t):.3f})")
            print(f"| {wname} | {scene} | " + " | ".join(cells) + f" | {min(loads):.1f}-{max(loads):.1f} |")
    if args.save:
        Path(args.save).write_text(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                               "compiled": args.compiled, "raw": raw}, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
