"""Training-speed benchmark: npdnn vs PyTorch (CPU) vs scikit-learn's MLPClassifier.

One process run prints the whole table (see benchmarks/README.md for the columns):

    .venv/bin/python benchmarks/bench.py                      # everything (~10 min on 2 cores)
    .venv/bin/python benchmarks/bench.py --workloads A,B --repeats 3 --quick --no-memory
    .venv/bin/python benchmarks/bench.py --only torch --workload C --dtype float32   # peak RSS of one

Timing: for each workload and dtype all three implementations are set up, each runs
one warm-up unit, then ``--repeats`` timed units with the implementation order rotated
per repeat (so drift and neighbours' load hit all alike); the median is reported. A
unit is ``epochs`` epochs of mini-batch training (A-C) or ``iterations`` full-batch
gradient-descent steps (D).

Memory: each implementation is run alone in a fresh subprocess (``--only``), which
reports its peak resident set size (``ru_maxrss``) and the part of it added by
training (peak after training minus peak before it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

IMPLS = ("npdnn", "torch", "sklearn")


@dataclass(frozen=True)
class Workload:
    name: str
    dims: tuple
    m: int
    batch: int | None  # None: full batch
    optimizer: str  # "adam" or "gd"
    lr: float
    epochs: int  # per timed unit (A-C); for D, full-batch iterations per unit

    def flops_per_unit(self):
        """Nominal FLOPs of one unit: per sample and layer, 3 GEMMs of 2 n_in n_out
        (forward Z, backward dW, backward dA_prev) minus the skipped dA0."""
        d = self.dims
        per_sample = sum(3 * 2 * d[l - 1] * d[l] for l in range(1, len(d))) - 2 * d[0] * d[1]
        return per_sample * self.m * self.epochs

    @property
    def unit(self):
        return "it/s" if self.batch is None else "samples/s"

    def rate(self, seconds):
        return (self.epochs if self.batch is None else self.m * self.epochs) / seconds


WORKLOADS = {
    "A": Workload("A", (20, 64, 32, 1), 100_000, 256, "adam", 1e-3, 2),
    "B": Workload("B", (784, 256, 128, 1), 60_000, 256, "adam", 1e-3, 1),
    "C": Workload("C", (1024, 1024, 1024, 1), 20_000, 512, "adam", 1e-3, 1),
    "D": Workload("D", (12288, 20, 7, 5, 1), 209, None, "gd", 0.0075, 100),
}
QUICK = {"A": 1, "B": 1, "C": 1, "D": 30}  # epochs / iterations per unit with --quick


def make_data(w, dtype, seed=0):
    """Seeded synthetic binary data: X (m, n_x) of ``dtype``, y (m,) int64 from a
    noisy linear rule (so the classes are learnable but not separable)."""
    rng = np.random.default_rng(seed)
    n_x = w.dims[0]
    if w.name == "D":  # image-like pixels in [0, 1), as the article's cat data after /255
        X = rng.random((w.m, n_x), dtype=np.float32).astype(dtype, copy=False)
        v = rng.standard_normal(n_x, dtype=np.float32) / np.sqrt(n_x)
        score = (X - 0.5) @ v.astype(dtype)
    else:
        X = rng.standard_normal((w.m, n_x), dtype=np.float32).astype(dtype, copy=False)
        v = rng.standard_normal(n_x, dtype=np.float32).astype(dtype)
        score = X @ v / np.sqrt(n_x)
    y = (score + 0.3 * rng.standard_normal(w.m) > 0).astype(np.int64)
    return X, y


# ---------------------------------------------------------------------- runners
class NpdnnRunner:
    name = "npdnn"

    def __init__(self, w, X, y, dtype):
        import npdnn

        self.w, self.X, self.y = w, X, y
        self.net = npdnn.Network(list(w.dims), "relu", seed=0, dtype=dtype)
        self.rng = np.random.default_rng(1)

    def run(self):
        w = self.w
        self.net.fit(
            self.X,
            self.y,
            optimizer=w.optimizer,
            learning_rate=w.lr,
            epochs=w.epochs,
            batch_size=w.batch,
            seed=self.rng,
        )


class TorchRunner:
    name = "torch"

    def __init__(self, w, X, y, dtype):
        import torch

        torch.set_num_threads(os.cpu_count())
        torch.manual_seed(0)
        self.torch, self.w = torch, w
        tdtype = torch.float32 if dtype == np.float32 else torch.float64
        mods = []
        for l in range(1, len(w.dims)):
            mods.append(torch.nn.Linear(w.dims[l - 1], w.dims[l], dtype=tdtype))
            if l < len(w.dims) - 1:
                mods.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*mods)
        self.X = torch.from_numpy(X)  # shares memory with the NumPy array
        self.y = torch.from_numpy(y.astype(dtype)).unsqueeze(1)
        self.loss = torch.nn.BCEWithLogitsLoss()
        params = self.model.parameters()
        self.opt = torch.optim.Adam(params, lr=w.lr) if w.optimizer == "adam" else torch.optim.SGD(params, lr=w.lr)
        self.gen = torch.Generator().manual_seed(1)

    def _step(self, xb, yb):
        self.opt.zero_grad(set_to_none=True)
        self.loss(self.model(xb), yb).backward()
        self.opt.step()

    def run(self):
        torch, w = self.torch, self.w
        m = w.m
        for _ in range(w.epochs):
            if w.batch is None:
                self._step(self.X, self.y)
                continue
            perm = torch.randperm(m, generator=self.gen)
            for start in range(0, m, w.batch):
                idx = perm[start : start + w.batch]
                self._step(self.X[idx], self.y[idx])


class SklearnRunner:
    name = "sklearn"

    def __init__(self, w, X, y, dtype):
        from sklearn.neural_network import MLPClassifier

        self.w, self.X, self.y = w, X, y
        solver = "adam" if w.optimizer == "adam" else "sgd"
        self.model = MLPClassifier(
            hidden_layer_sizes=w.dims[1:-1],
            activation="relu",
            solver=solver,
            alpha=0.0,
            batch_size=w.m if w.batch is None else w.batch,
            learning_rate_init=w.lr,
            learning_rate="constant",
            momentum=0.0,
            max_iter=w.epochs,
            tol=0.0,
            n_iter_no_change=10**9,
            shuffle=True,
            early_stopping=False,
            random_state=0,
        )

    def run(self):
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(self.X, self.y)


RUNNERS = {"npdnn": NpdnnRunner, "torch": TorchRunner, "sklearn": SklearnRunner}


# ---------------------------------------------------------------------- measuring
def gemm_peak(dtype, n=2048, repeats=5):
    """NumPy's square matmul speed (GFLOP/s), best of ``repeats``."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    c = np.empty((n, n), dtype=dtype)
    np.matmul(a, b, out=c)
    best = min(_timed(lambda: np.matmul(a, b, out=c)) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def time_workload(w, dtype, impls, repeats):
    """``{impl: [seconds per unit, ...]}`` interleaved, after one warm-up unit each."""
    X, y = make_data(w, dtype)
    runners = {name: RUNNERS[name](w, X, y, dtype) for name in impls}
    for r in runners.values():
        r.run()  # warm-up: first-touch allocations, BLAS thread start, torch kernels
    times = {name: [] for name in impls}
    order = list(impls)
    for rep in range(repeats):
        k = rep % len(order)
        for name in order[k:] + order[:k]:
            times[name].append(_timed(runners[name].run))
    return times


def only(impl, w, dtype):
    """Run one implementation alone (one unit after setup); return its memory use."""
    X, y = make_data(w, dtype)
    runner = RUNNERS[impl](w, X, y, dtype)
    before = _maxrss_mb()
    runner.run()
    peak = _maxrss_mb()
    return {"impl": impl, "workload": w.name, "dtype": np.dtype(dtype).name, "peak_mb": peak, "train_mb": peak - before}


def _maxrss_mb():
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return kb / 1024


def memory(impl, wname, dtype_name, quick):
    cmd = [sys.executable, __file__, "--only", impl, "--workload", wname, "--dtype", dtype_name]
    if quick:
        cmd.append("--quick")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# ---------------------------------------------------------------------- reporting
def machine_line():
    import sklearn
    import torch
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = [
        f"{i['internal_api']} {i.get('version')} ({i.get('architecture')}, {i['num_threads']} threads)"
        for i in threadpool_info()
        if i["user_api"] == "blas" and "numpy" in i["filepath"]
    ]
    return (
        f"CPU: {cpu}, {os.cpu_count()} cores | NumPy BLAS: {', '.join(blas) or '?'} | "
        f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"scikit-learn {sklearn.__version__}, Python {platform.python_version()}"
    )


def fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="A,B,C,D", help="comma-separated subset of A,B,C,D")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--impls", default=",".join(IMPLS))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="fewer epochs/iterations per unit (iteration only)")
    p.add_argument("--no-memory", action="store_true", help="skip the per-implementation memory subprocesses")
    p.add_argument("--only", choices=IMPLS, help="run one implementation alone and print its peak RSS (JSON)")
    p.add_argument("--workload", choices=sorted(WORKLOADS), help="with --only")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="with --only")
    args = p.parse_args(argv)

    workloads = dict(WORKLOADS)
    if args.quick:
        workloads = {k: Workload(**{**w.__dict__, "epochs": QUICK[k]}) for k, w in workloads.items()}
    if args.only:
        if not args.workload:
            p.error("--only needs --workload")
        print(json.dumps(only(args.only, workloads[args.workload], np.dtype(args.dtype).type)))
        return

    impls = [s for s in args.impls.split(",") if s]
    names = [s for s in args.workloads.split(",") if s]
    dtypes = [np.dtype(s).type for s in args.dtypes.split(",") if s]
    print(machine_line())
    peaks = {dt: gemm_peak(dt) for dt in dtypes}
    print(
        "NumPy GEMM peak (2048x2048 matmul): "
        + ", ".join(f"{np.dtype(d).name} {g:.1f} GFLOP/s" for d, g in peaks.items())
    )
    print(f"median of {args.repeats} interleaved repeats after a warm-up; unit = epochs (A-C) or iterations (D):")
    print(
        ", ".join(
            f"{k} {w.dims} m={w.m} batch={w.batch or 'full'} {w.optimizer} x{w.epochs}"
            for k, w in workloads.items()
            if k in names
        )
    )
    print()
    head = ["wl", "dtype", "impl", "s/unit", "rate", "x npdnn/impl", "GFLOP/s", "% peak", "peak RSS MB", "train MB"]
    rows = []
    t_start = time.perf_counter()
    for wname in names:
        w = workloads[wname]
        for dt in dtypes:
            times = time_workload(w, dt, impls, args.repeats)
            med = {k: statistics.median(v) for k, v in times.items()}
            spread = {k: (max(v) - min(v)) / statistics.median(v) for k, v in times.items()}
            for impl in impls:
                gflops = w.flops_per_unit() / med[impl] / 1e9
                ratio = med[impl] / med["npdnn"] if "npdnn" in med else float("nan")
                mem = memory(impl, wname, np.dtype(dt).name, args.quick) if not args.no_memory else None
                rows.append(
                    [
                        wname,
                        np.dtype(dt).name,
                        impl,
                        f"{med[impl]:.3f} (±{spread[impl] * 50:.0f}%)",
                        f"{fmt_rate(w.rate(med[impl]))} {w.unit}",
                        "-" if impl == "npdnn" else f"{ratio:.2f}x",
                        f"{gflops:.1f}",
                        f"{100 * gflops / peaks[dt]:.0f}%",
                        f"{mem['peak_mb']:.0f}" if mem else "-",
                        f"{mem['train_mb']:.0f}" if mem else "-",
                    ]
                )
            print("  done", wname, np.dtype(dt).name, f"{time.perf_counter() - t_start:.0f} s", file=sys.stderr)
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(c).ljust(wd) for c, wd in zip(r, widths, strict=True)) + " |"  # noqa: E731
    print(line(head))
    print("|" + "|".join("-" * (wd + 2) for wd in widths) + "|")
    for r in rows:
        print(line(r))
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
