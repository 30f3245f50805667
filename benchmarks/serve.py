"""Serving speed: predict_proba latency for 1 row and throughput for 1,000 and 100,000 rows.

    .venv/bin/python benchmarks/serve.py                      # the table in benchmarks/README.md
    .venv/bin/python benchmarks/serve.py --dtypes float64 --repeats 5
    .venv/bin/python benchmarks/serve.py --base HEAD~1        # adds npdnn at that revision, interleaved

Implementations, all on the same trained weights and the same rows:
- ``npdnn Network``: ``net.predict_proba(X)`` on already standardized rows;
- ``onnxruntime Network``: the session of ``net.to_onnx()`` on the same rows;
- ``torch``: ``net.to_torch(probabilities=True)`` under ``torch.inference_mode()``,
  ``torch.from_numpy`` in and ``.numpy()`` out included;
- ``npdnn DNNClassifier``: ``model.predict_proba(X)`` on raw rows (validation and
  standardization included);
- ``onnxruntime DNNClassifier``: the session of ``model.to_onnx()`` (standardization in the graph).

Each library gets ``--threads`` threads (default 1: one worker per core is the usual
way to serve, and on a shared machine a BLAS that spins on a busy core turns 1 ms
into 60), and with one thread the clock is the calling thread's CPU time (``--wall``
for wall time). Every timed unit calls one implementation repeatedly for about ``--unit-seconds``; the
implementations take turns in an order rotated every repeat (with ``--gap`` idle seconds
before each unit when thread pools could spin), and the table shows the median and the
quartiles of the repeats; many short units rather than a few long ones, since on a shared
machine a burst of load spoils one unit, not the median. ``--base REV`` imports ``src/npdnn`` at a git revision as
``npdnn_base`` (as benchmarks/ab.py does) and times its two npdnn rows beside the
working tree's, in the same rounds: how an input-check change is measured.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

SIZES = (1, 1_000, 100_000)


def make_problem(n_features, n_classes, dtype, rows, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((rows, n_features)) * 3 + 1).astype(dtype)
    score = X[:, : max(2, n_features // 2)].sum(axis=1)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y


def build(args, dtype, base=None):
    """{name: predict_proba callable taking raw rows X (m, n)} and the data."""
    import onnxruntime as ort
    import torch

    import npdnn

    torch.set_num_threads(args.threads)
    X, y = make_problem(args.n_features, args.classes, dtype, max(SIZES))
    model = npdnn.DNNClassifier(args.layers, epochs=1, standardize=True, random_state=0).fit(X[:5000], y[:5000])
    net = model.network_
    standardize = model._standardized
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    sess_net = ort.InferenceSession(net.to_onnx().SerializeToString(), options, providers=["CPUExecutionProvider"])
    sess_est = ort.InferenceSession(model.to_onnx().SerializeToString(), options, providers=["CPUExecutionProvider"])
    module = net.to_torch(probabilities=True).eval()

    def torch_proba(A):
        with torch.inference_mode():
            return module(torch.from_numpy(A)).numpy()

    impls = {
        "npdnn Network": (True, net.predict_proba),
        "onnxruntime Network": (True, lambda A: sess_net.run(["probabilities"], {"X": A})[0]),
        "torch Network": (True, torch_proba),
        "npdnn DNNClassifier": (False, model.predict_proba),
        "onnxruntime DNNClassifier": (False, lambda A: sess_est.run(["probabilities"], {"X": A})[0]),
    }
    if base is not None:
        # The base revision's own estimator, given the same weights and standardization (its fit
        # may draw other weights, and its loader may not read this revision's files).
        old = base.DNNClassifier(args.layers, epochs=1, standardize=True, random_state=0).fit(X[:5000], y[:5000])
        np.copyto(old.network_.theta, net.theta)
        old.mean_, old.scale_ = model.mean_, model.scale_
        impls["npdnn Network @base"] = (True, old.network_.predict_proba)
        impls["npdnn DNNClassifier @base"] = (False, old.predict_proba)
    X_std = np.ascontiguousarray(standardize(X))
    check = X[:50]
    reference = model.predict_proba(check)
    for name, (pre, f) in impls.items():
        P = np.asarray(f(np.ascontiguousarray(standardize(check)) if pre else check))
        P = np.column_stack([1 - P, P]) if P.ndim == 1 else P
        P = P if P.shape[1] == reference.shape[1] else np.column_stack([1 - P[:, 0], P[:, 0]])
        tol = 1e-5 if dtype == np.float32 else 1e-12
        if not np.allclose(P, reference, rtol=0, atol=tol):
            raise SystemExit(f"{name} disagrees with DNNClassifier.predict_proba by {np.abs(P - reference).max():.3g}")
    return impls, X, X_std


def time_unit(f, A, seconds, clock):
    """Seconds per call of ``f(A)``, over about ``seconds`` of calls (at least one)."""
    start = clock()
    f(A)
    once = clock() - start
    calls = max(1, int(seconds / max(once, 1e-7)))
    start = clock()
    for _ in range(calls):
        f(A)
    return (clock() - start) / calls


def measure(impls, X, X_std, args):
    """{(name, rows): [seconds per call, one per repeat]}"""
    names = list(impls)
    times = {(name, m): [] for name in names for m in SIZES}
    inputs = {m: (np.ascontiguousarray(X[:m]), np.ascontiguousarray(X_std[:m])) for m in SIZES}
    for m in SIZES:  # warm-up: first calls allocate, and onnxruntime plans its buffers per shape
        for name in names:
            pre, f = impls[name]
            for _ in range(3):
                f(inputs[m][pre])
    for r in range(args.repeats):
        for m in SIZES:
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                pre, f = impls[name]
                time.sleep(args.gap)
                times[name, m].append(time_unit(f, inputs[m][pre], args.unit_seconds, args.clock))
    return times


def quartiles(values):
    q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, med, q3


def table(times, names, dtype):
    rows = []
    for name in names:
        kind = "Network" if "Network" in name else "DNNClassifier"
        q1, one, q3 = (t * 1e6 for t in quartiles(times[name, 1]))
        # the ratio of each round's two times, then the median: steadier than a ratio of medians
        ratio = statistics.median(a / b for a, b in zip(times[name, 1], times[f"onnxruntime {kind}", 1], strict=True))
        row = [dtype, name, f"{one:.1f} [{q1:.0f}-{q3:.0f}]", f"{ratio:.2f}x"]
        for m in SIZES[1:]:
            lo, t, hi = quartiles(times[name, m])
            row.append(f"{m / t:,.0f} [{m / hi / 1e3:,.0f}k-{m / lo / 1e3:,.0f}k]")
        rows.append(row)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layers", default="64,32", help="hidden layer sizes (default 64,32)")
    p.add_argument("--n-features", type=int, default=20)
    p.add_argument("--classes", type=int, default=2)
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--repeats", type=int, default=31)
    p.add_argument("--unit-seconds", type=float, default=0.05, help="length of one timed unit")
    p.add_argument("--gap", type=float, default=0.0, help="idle seconds before each timed unit (for --threads > 1)")
    p.add_argument("--base", help="also time npdnn at this git revision (imported as npdnn_base)")
    p.add_argument("--threads", type=int, default=1, help="threads for NumPy's BLAS, torch and onnxruntime")
    p.add_argument("--wall", action="store_true", help="wall-clock time (the default with --threads 1 is CPU time)")
    args = p.parse_args(argv)
    # With one thread everything runs on the calling thread, so its CPU time is the cost of the
    # call without the time the shared machine's other processes held the core (wall time
    # measured 1-row npdnn at 2-5x onnxruntime from one run to the next; CPU time at 1.7-2.2x).
    args.wall = args.wall or args.threads > 1
    args.clock = time.perf_counter if args.wall else time.thread_time
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)  # NumPy's BLAS (and torch's OpenMP) in this process
    args.layers = tuple(int(n) for n in args.layers.split(","))

    import onnxruntime
    import torch

    base = None
    if args.base:
        sys.path.insert(0, str(HERE))
        from ab import import_base

        base = import_base(args.base, tempfile.mkdtemp())
    header = ["dtype", "implementation", "1 row: µs/call", "x ORT 1 row", "1,000 rows: rows/s", "100,000 rows: rows/s"]
    rows = []
    for name in args.dtypes.split(","):
        dtype = np.dtype(name).type
        impls, X, X_std = build(args, dtype, base)
        rows += table(measure(impls, X, X_std, args), list(impls), name)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores | numpy {np.__version__}, "
        f"onnxruntime {onnxruntime.__version__}, torch {torch.__version__} | {args.threads} thread(s) each, "
        f"Python {platform.python_version()}"
    )
    print(
        f"layers [{args.n_features}, {', '.join(map(str, args.layers))}, {1 if args.classes == 2 else args.classes}], "
        f"{args.classes} classes; {'wall' if args.wall else 'CPU (thread)'} time, "
        f"median [quartiles] of {args.repeats} interleaved repeats; "
        f"'x ORT 1 row': median over repeats of the 1-row latency over onnxruntime's on the same model"
    )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = "| " + " | ".join(f"{{:<{w}}}" for w in widths) + " |"
    print(fmt.format(*header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(fmt.format(*r))


if __name__ == "__main__":
    main()
