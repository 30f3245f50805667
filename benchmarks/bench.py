"""Training-speed benchmark: npdnn vs PyTorch (CPU) vs scikit-learn's MLPClassifier.

One process run prints the whole table (see benchmarks/README.md for the columns):

    .venv/bin/python benchmarks/bench.py                      # everything (~6 min on 2 cores)
    .venv/bin/python benchmarks/bench.py --workloads A,B --repeats 3 --quick --no-memory
    .venv/bin/python benchmarks/bench.py --only torch --workload C --dtype float32   # peak RSS of one

Timing: for each workload and dtype each implementation is set up alone in its own
worker process (``--only IMPL --serve``), runs one warm-up unit, then ``--repeats``
timed units, the workers taking turns with the order rotated per repeat (so drift
and neighbours' load hit all alike); the median is reported. A unit is ``epochs``
epochs of mini-batch training (A-C) or ``iterations`` full-batch gradient-descent
steps (D).

Memory: since each implementation is alone in its worker, the worker's peak resident
set size (``ru_maxrss``) is that implementation's; "train MB" is the part added by
training (peak after the runs minus peak after setup). ``--only`` without ``--serve``
does the same for one unit, by hand.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
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

IMPLS = ("npdnn", "npdnn-np", "torch", "sklearn", "keras", "jax", "jaxstep")
PEERS = {  # the bench extra; "jax" compiles an epoch as one lax.scan, "jaxstep" jits one step per batch
    "keras": ("peers_keras", "KerasRunner", "keras"),
    "jax": ("peers_jax", "JaxRunner", "jax"),
    "jaxstep": ("peers_jax", "JaxStepRunner", "jax"),
}
IDLE_GAP_S = 0.5  # pause before each timed unit (see time_workload)


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
    "T": Workload("T", (108, 64, 32, 1), 48_842, 256, "adam", 1e-3, 2),
}
QUICK = {"A": 1, "B": 1, "C": 1, "D": 30, "T": 1}
# T's columns as the adult census data gives them after preprocessing (48,842 rows): 6 numeric
# columns standardized, then one 0/1 column per category of its 8 categorical ones (workclass,
# education, marital-status, occupation, relationship, race, sex, native-country): 108 in all.
ADULT_GROUPS = (9, 16, 7, 15, 6, 5, 2, 42)  # epochs / iterations per unit with --quick


def make_data(w, dtype, seed=0):
    """Seeded synthetic binary data: X (m, n_x) of ``dtype``, y (m,) int64 from a
    noisy linear rule (so the classes are learnable but not separable)."""
    rng = np.random.default_rng(seed)
    n_x = w.dims[0]
    X = np.empty((w.m, n_x), dtype=dtype)
    for start in range(0, w.m, 4096):  # in float32 chunks: no full-size temporary inflates the peak RSS
        rows = X[start : start + 4096]
        if w.name == "D":  # image-like pixels in [0, 1), as the article's cat data after /255
            rows[...] = rng.random(rows.shape, dtype=np.float32)
        elif w.name == "T":  # one-hot groups: one 1 per group and row, skewed as census categories are
            rows[...] = 0
            rows[:, :6] = rng.standard_normal((rows.shape[0], 6), dtype=np.float32)
            col = 6
            for k in ADULT_GROUPS:
                p = rng.dirichlet(np.full(k, 0.5))
                rows[np.arange(rows.shape[0]), col + rng.choice(k, size=rows.shape[0], p=p)] = 1
                col += k
        else:
            rows[...] = rng.standard_normal(rows.shape, dtype=np.float32)
    v = (rng.standard_normal(n_x, dtype=np.float32) / np.sqrt(n_x)).astype(dtype)
    score = (X - 0.5) @ v if w.name == "D" else X @ v
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
            compiled=self.compiled,
        )

    compiled = None  # automatic: the compiled step where npdnn[fast] (numba) is installed


class NpdnnNumpyRunner(NpdnnRunner):
    """npdnn without the compiled step: what the default install (NumPy only) runs."""

    name = "npdnn-np"
    compiled = False


class TorchRunner:
    name = "torch"

    def __init__(self, w, X, y, dtype):
        import torch

        torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count())))
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


RUNNERS = {"npdnn": NpdnnRunner, "npdnn-np": NpdnnNumpyRunner, "torch": TorchRunner, "sklearn": SklearnRunner}


def runner_class(impl):
    """The runner of ``impl``; Keras and JAX live in their own modules (imported only in their worker)."""
    if impl in RUNNERS:
        return RUNNERS[impl]
    module, cls, _ = PEERS[impl]
    return getattr(importlib.import_module(module), cls)


def available(impl):
    """Whether ``impl``'s framework is installed (Keras and JAX come with the ``bench`` extra)."""
    return impl not in PEERS or importlib.util.find_spec(PEERS[impl][2]) is not None


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


def time_workload(w, dtype, impls, repeats, quick):
    """``({impl: [seconds per unit, ...]}, {impl: memory})``, interleaved.

    Each implementation runs in its own worker process (``--only IMPL --serve``):
    loading PyTorch, scikit-learn and NumPy's BLAS into one process lets their
    thread pools disturb each other (seen here: +50% on B after A had run), and
    nobody trains with all three loaded. The workers are driven in turn, one unit
    at a time, so interleaving still spreads drift over all of them.
    """
    workers = {name: _start_worker(name, w.name, np.dtype(dtype).name, quick) for name in impls}
    try:
        for proc in workers.values():
            _ask(proc, "ready?")  # setup done (imports, data, model)
            time.sleep(IDLE_GAP_S)
            _ask(proc, "run")  # warm-up: first-touch allocations, BLAS threads, torch kernels
        times = {name: [] for name in impls}
        order = list(impls)
        for rep in range(repeats):
            k = rep % len(order)
            for name in order[k:] + order[:k]:
                # idle gap: the previous worker's BLAS/OpenMP threads spin-wait for a while
                # after their last call (OpenBLAS ~2^28 cycles) and would steal the cores
                time.sleep(IDLE_GAP_S)
                times[name].append(float(_ask(workers[name], "run")))
        mem = {name: json.loads(_ask(proc, "mem")) for name, proc in workers.items()}
    finally:
        for proc in workers.values():
            proc.stdin.close()
            proc.wait()
    return times, mem


def set_threads(n):
    """Limit every library's threads to ``n``, through the environment the workers inherit
    (read when each library loads: only the workers load them, and this runs first)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BENCH_THREADS"):
        os.environ[var] = str(n)
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(n)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    if n == 1:  # XLA's CPU client: no Eigen thread pool for its dots
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
    # XLA's CPU runtime runs its own pool whatever the environment says (a 2048^2 dot ran at the
    # two-core rate with the flag above): the first n cores, which the workers inherit, hold it to n
    cores = sorted(os.sched_getaffinity(0))
    if n < len(cores):
        os.sched_setaffinity(0, cores[:n])


def _start_worker(impl, wname, dtype_name, quick):
    cmd = [sys.executable, __file__, "--only", impl, "--workload", wname, "--dtype", dtype_name, "--serve"]
    if quick:
        cmd.append("--quick")
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)


def _ask(proc, command):
    if command != "ready?":
        proc.stdin.write(command + "\n")
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"benchmark worker {proc.args[3]} exited (code {proc.wait()}); run it alone to see why")
    return line.strip()


def only(impl, w, dtype, serve=False):
    """Run one implementation alone. Without ``serve``: one unit, then print its
    memory use (JSON). With ``serve``: print "ready", then answer stdin lines
    "run" (seconds of one unit) and "mem" (memory JSON) until stdin closes."""
    X, y = make_data(w, dtype)
    runner = runner_class(impl)(w, X, y, dtype)
    before = _maxrss_mb()

    def mem():
        peak = _maxrss_mb()
        return json.dumps(
            {
                "impl": impl,
                "workload": w.name,
                "dtype": np.dtype(dtype).name,
                "peak_mb": peak,
                "train_mb": peak - before,
            }
        )

    if not serve:
        runner.run()
        print(mem())
        return
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd.startswith("split "):  # where the step's time goes (bottlenecks.py), given a unit's seconds
            import bottlenecks

            print(json.dumps(bottlenecks.split(impl, runner, float(cmd.split()[1]))), flush=True)
            continue
        print(f"{_timed(runner.run):.6f}" if cmd == "run" else mem(), flush=True)


def _maxrss_mb():
    """Peak resident set size of this process in MB.

    /proc/self/status VmHWM first: ``ru_maxrss`` survives ``exec``, so a worker
    forked from the (torch-loaded) main process would start from the parent's peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


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
        f"scikit-learn {sklearn.__version__}, {_peer_versions()}Python {platform.python_version()}"
        + (f" | --threads {os.environ['BENCH_THREADS']} for every library" if "BENCH_THREADS" in os.environ else "")
    )


def _peer_versions():
    """Keras, TensorFlow, JAX and optax versions, read without importing them here."""
    out = ""
    for dist in ("keras", "tensorflow-cpu", "jax", "optax"):
        try:
            out += f"{dist} {importlib.metadata.version(dist)}, "
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


# Issue 6's targets: (what, workload, dtype, versus, minimum ratio npdnn/versus)
SPEED_TARGETS = [
    *[(f"ahead of PyTorch on {w} {d}", w, d, "torch", 1.0) for w in "ABCD" for d in ("float32", "float64")],
    ("A >= 4x PyTorch", "A", "float32", "torch", 4.0),
    ("B >= 1.3x PyTorch", "B", "float32", "torch", 1.3),
    ("D >= 1.5x PyTorch", "D", "float32", "torch", 1.5),
    *[(f"ahead of MLPClassifier on {w} {d}", w, d, "sklearn", 1.0) for w in "ABCD" for d in ("float32", "float64")],
    ("A >= 2.5x MLPClassifier", "A", "float32", "sklearn", 2.5),
    ("B >= 1.5x MLPClassifier", "B", "float32", "sklearn", 1.5),
]


# Issue 18's targets, float32: (what, workload, versus, minimum ratio npdnn/versus)
TARGETS_18 = [
    *[(f"{w} >= {r}x JAX", w, "jax", r) for w, r in (("A", 1.0), ("B", 1.3), ("C", 1.0), ("D", 2.0))],
    *[(f"{w} >= 2x Keras", w, "keras", 2.0) for w in "ABCD"],
    *[(f"{w} >= {r}x PyTorch", w, "torch", r) for w, r in (("A", 4.0), ("B", 1.5), ("C", 1.1), ("D", 1.8))],
]


# Issue 29's targets, float32: (what, workload, versus, minimum ratio npdnn/versus)
TARGETS_29 = [
    *[
        (f"{w} >= {r}x JAX (scan)", w, "jax", r)
        for w, r in (("A", 1.0), ("T", 1.0), ("B", 1.0), ("C", 1.1), ("D", 2.0))
    ],
    *[(f"{w} >= {r}x PyTorch", w, "torch", r) for w, r in (("A", 4.0), ("T", 4.0), ("B", 1.5), ("C", 1.1), ("D", 1.8))],
]


def target_rows_29(results, peaks):
    """``[[target, measured, "met"/"MISSED"]]`` for issue 29's targets this run measured, for
    npdnn with the compiled step ("npdnn") and without it ("npdnn-np")."""
    rows = []
    for ours_name in ("npdnn", "npdnn-np"):
        for what, w, versus, minimum in TARGETS_29:
            ours, theirs = results.get((w, "float32", ours_name)), results.get((w, "float32", versus))
            if ours and theirs:
                ratio = theirs["s"] / ours["s"]
                rows.append([f"{ours_name}: {what}", f"{ratio:.2f}x", "met" if ratio >= minimum else "MISSED"])
        c = results.get(("C", "float32", ours_name))
        if c and np.float32 in peaks:
            share = c["gflops"] / peaks[np.float32]
            rows.append(
                [f"{ours_name}: C >= 85% of the GEMM peak", f"{100 * share:.0f}%", "met" if share >= 0.85 else "MISSED"]
            )
    return rows


def target_rows_18(results, peaks):
    """``[[target, measured, "met"/"MISSED"]]`` for issue 18's targets this run measured."""
    rows = []
    for what, w, versus, minimum in TARGETS_18:
        ours, theirs = results.get((w, "float32", "npdnn")), results.get((w, "float32", versus))
        if ours and theirs:
            ratio = theirs["s"] / ours["s"]
            rows.append([what, f"{ratio:.2f}x", "met" if ratio >= minimum else "MISSED"])
    c = results.get(("C", "float32", "npdnn"))
    if c and np.float32 in peaks:
        share = c["gflops"] / peaks[np.float32]
        rows.append(["C float32 >= 85% of the GEMM peak", f"{100 * share:.0f}%", "met" if share >= 0.85 else "MISSED"])
    return rows


def target_rows(results, peaks):
    """``[[target, measured, "met"/"MISSED"]]`` for every target the run measured.

    ``results[(workload, dtype, impl)]`` holds the median seconds ("s"), GFLOP/s and,
    with memory, the peak RSS ("peak_mb")."""
    rows = []

    def add(what, value, ok):
        rows.append([what, value, "met" if ok else "MISSED"])

    for what, w, d, versus, minimum in SPEED_TARGETS:
        ours, theirs = results.get((w, d, "npdnn")), results.get((w, d, versus))
        if ours and theirs:
            ratio = theirs["s"] / ours["s"]
            add(what, f"{ratio:.2f}x", ratio >= minimum)
    c = results.get(("C", "float32", "npdnn"))
    if c:
        share = c["gflops"] / peaks[np.float32]
        add("C float32 >= 70% of the GEMM peak", f"{100 * share:.0f}%", share >= 0.70)
    for w in "BC":
        for d in ("float32", "float64"):
            ours, theirs = results.get((w, d, "npdnn")), results.get((w, d, "torch"))
            if ours and theirs and ours.get("peak_mb") and theirs.get("peak_mb"):
                add(
                    f"peak memory <= PyTorch's on {w} {d}",
                    f"{ours['peak_mb']:.0f} vs {theirs['peak_mb']:.0f} MB",
                    ours["peak_mb"] <= theirs["peak_mb"],
                )
    return rows


def bottleneck_run(workloads, names, dtype, impls, peak, repeats, quick, threads):
    """``--bottlenecks``: measure, print a table, save the JSON and draw the charts."""
    from pathlib import Path

    import bottlenecks
    import charts

    here = Path(__file__).resolve().parent
    machine = machine_line()
    run = {
        "machine": machine,
        "machine_short": f"{machine.split('|')[0].replace('CPU: ', '').strip()}, {threads} thread(s) each",
        "threads": threads,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "dtype": np.dtype(dtype).name,
        "gemm_peak_gflops": peak,
        "dims": {k: list(workloads[k].dims) for k in names},
        "flops_per_step": {},
        "workloads": {},
    }
    print(machine)
    rows = []
    for wname in names:
        w = workloads[wname]
        run["flops_per_step"][wname] = w.flops_per_unit() / bottlenecks.steps_per_unit(w)
        splits = bottlenecks.measure(sys.modules[__name__], w, dtype, impls, repeats=max(repeats, 1), quick=quick)
        run["workloads"][wname] = splits
        for impl, sp in splits.items():
            ps = sp["per_step"]
            rows.append(
                [wname, impl, f"{1e6 * sp['step_s']:.0f}"]
                + [f"{1e6 * ps[k]:.0f} ({100 * ps[k] / max(sum(ps.values()), 1e-12):.0f}%)" for k in bottlenecks.PARTS]
                + [f"{1e6 * sp.get('fusion_saving', 0.0):.0f}"]
            )
        print("  done", wname, file=sys.stderr)
    head = ["wl", "impl", "us/step", *bottlenecks.PARTS, "fusion saving"]
    print(markdown_table(head, rows))
    out = here / "results" / f"bottlenecks-{run['dtype']}-{threads}thread.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(run, indent=1))
    for path in charts.draw(run, here / "figures", suffix=f"-{threads}thread"):
        print("wrote", path.relative_to(here.parent))
    print("wrote", out.relative_to(here.parent))
    return 0


def save_run(path, results, peaks, repeats):
    """Write this run's medians, every repeat and the targets met as JSON (benchmarks/spread.py reads them)."""
    run = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine_line(),
        "repeats": repeats,
        "gemm_peak_gflops": {np.dtype(d).name: g for d, g in peaks.items()},
        "results": [{"workload": w, "dtype": d, "impl": i, **r} for (w, d, i), r in results.items()],
        "targets_6": target_rows(results, peaks),
        "targets_18": target_rows_18(results, peaks),
        "targets_29": target_rows_29(results, peaks),
        "load": os.getloadavg(),
    }
    with open(path, "w") as f:
        json.dump(run, f, indent=1)
    print("saved", path)


def markdown_table(head, rows):
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(c).ljust(wd) for c, wd in zip(r, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (wd + 2) for wd in widths) + "|", *map(line, rows)])


def fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="A,B,C,D", help="comma-separated subset of A,B,C,D,T")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--impls", default=",".join(IMPLS))
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--quick", action="store_true", help="fewer epochs/iterations per unit (iteration only)")
    p.add_argument("--no-memory", action="store_true", help="leave out the memory columns")
    p.add_argument("--only", choices=IMPLS, help="run one implementation alone and print its peak RSS (JSON)")
    p.add_argument("--workload", choices=sorted(WORKLOADS), help="with --only")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="with --only")
    p.add_argument(
        "--serve", action="store_true", help="with --only: answer run/mem commands on stdin (used internally)"
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="instead of timing: Keras's and JAX's gradients and optimizer steps against npdnn's (float64, 1e-10)",
    )
    p.add_argument("--save", metavar="PATH", help="also write the run as JSON (for benchmarks/spread.py)")
    p.add_argument("--check-one", choices=sorted(PEERS), help=argparse.SUPPRESS)  # --check's worker
    p.add_argument(
        "--bottlenecks",
        action="store_true",
        help="instead of the table: each step's time split into GEMMs, element-wise, optimizer, gather, rest "
        "(first dtype of --dtypes), saved as JSON under benchmarks/results and drawn under benchmarks/figures",
    )
    p.add_argument(
        "--threads",
        type=int,
        help="threads for every implementation's math library (BLAS, OpenMP, torch, TF, XLA); default all cores",
    )
    args = p.parse_args(argv)
    if args.threads:
        set_threads(args.threads)

    workloads = dict(WORKLOADS)
    if args.quick:
        workloads = {k: Workload(**{**w.__dict__, "epochs": QUICK[k]}) for k, w in workloads.items()}
    names = [s for s in args.workloads.split(",") if s]
    if args.check or args.check_one:
        import check

        if args.check_one:
            check.check_one(args.check_one, [WORKLOADS[k] for k in names])
            return 0
        return check.check(__file__, names)
    if args.only:
        if not args.workload:
            p.error("--only needs --workload")
        only(args.only, workloads[args.workload], np.dtype(args.dtype).type, args.serve)
        return

    impls = [s for s in args.impls.split(",") if s]
    dtypes = [np.dtype(s).type for s in args.dtypes.split(",") if s]
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.threads, user_api="blas"):  # None: no limit
        peaks = {dt: gemm_peak(dt) for dt in dtypes}  # before torch/sklearn are imported here
    impls = [i for i in impls if available(i) or print(f"{i}: not installed (the bench extra), left out")]
    if args.bottlenecks:
        threads = args.threads or os.cpu_count()
        return bottleneck_run(workloads, names, dtypes[0], impls, peaks[dtypes[0]], args.repeats, args.quick, threads)
    print(machine_line(), f"| load average {os.getloadavg()[0]:.2f} at the start")
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
    results = {}
    t_start = time.perf_counter()
    for wname in names:
        w = workloads[wname]
        for dt in dtypes:
            times, mems = time_workload(w, dt, impls, args.repeats, args.quick)
            med = {k: statistics.median(v) for k, v in times.items()}
            spread = {k: (max(v) - min(v)) / statistics.median(v) for k, v in times.items()}
            for impl in impls:
                gflops = w.flops_per_unit() / med[impl] / 1e9
                ratio = med[impl] / med["npdnn"] if "npdnn" in med else float("nan")
                mem = None if args.no_memory else mems[impl]
                results[(wname, np.dtype(dt).name, impl)] = {
                    "s": med[impl],
                    "times": times[impl],
                    "gflops": gflops,
                    "peak_mb": mem["peak_mb"] if mem else None,
                }
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
    print(markdown_table(head, rows))
    targets = target_rows(results, peaks)
    if targets:
        print("\nTargets (issue 6), from this run:\n")
        print(markdown_table(["target", "measured", ""], targets))
        print(f"\n{sum(r[2] == 'met' for r in targets)} of {len(targets)} met")
    targets = target_rows_18(results, peaks)
    if targets:
        print("\nTargets (issue 18, float32), from this run:\n")
        print(markdown_table(["target", "measured", ""], targets))
        print(f"\n{sum(r[2] == 'met' for r in targets)} of {len(targets)} met")
    targets = target_rows_29(results, peaks)
    if targets:
        print("\nTargets (issue 29, float32), from this run:\n")
        print(markdown_table(["target", "measured", ""], targets))
        print(f"\n{sum(r[2] == 'met' for r in targets)} of {len(targets)} met")
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s, load average {os.getloadavg()[0]:.2f} at the end")
    if args.save:
        save_run(args.save, results, peaks, args.repeats)


if __name__ == "__main__":
    sys.exit(main())
