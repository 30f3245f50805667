"""One epoch of ``fit`` for each way a caller holds X, against the same data as a
C-ordered array of the network's dtype (issue 13: within 1.2x for every layout,
below and above :data:`npdnn.train.batching.WHOLE_EPOCH_GATHER_BYTES`).

Workload: ``Network([50, 64, 32, 1], dtype=np.float32).fit(X, y, optimizer="adam",
batch_size=64, epochs=1, seed=0, diagnostics=False)`` (``--net B``: ``[784, 256, 128, 1]``,
X (m, 784)), X (m, 50) with m = 100,000
(20 MB of float32, below the 64 MiB budget) and 400,000 (80 MB, above it). Layouts:

- ``C``: the reference, a C-ordered float32 array
- ``F``: F-ordered float32 (what ``DataFrame.to_numpy()`` returns)
- ``DataFrame``: a float32 DataFrame over the F-ordered array
- ``F float64``: F-ordered float64 into the float32 network (one converted copy, in fit's time)
- ``memmap``: ``np.load(path, mmap_mode="r")`` of a C-ordered ``.npy`` (page cache warm)
- ``memmap F``: the same of an F-ordered ``.npy``

Layouts alternate within each repeat (one in-process fit each, in a rotating order),
and each layout's time is divided by the C time of the same repeat: the table gives
the median ratio and its range over the repeats. ``--variant`` swaps in another way
of gathering rows of an F-ordered X (the alternatives measured for issue 13):

- ``sorted`` (the code as it is): each window's rows in increasing order, transposed
  block by block through a cache-sized scratch, then each batch taken from that
  C-ordered copy
- ``sorted-fancy``: the same, each block gathered as ``X[rows]`` (NumPy's fancy indexing)
- ``sorted-whole``: the same, the window's columns gathered at once (``X.T.take``)
  into a (n_x, window) scratch and transposed once (two window-sized buffers)
- ``unsorted``: the same blocks, rows in the epoch's random order (no sorting)
- ``rev:REV``: npdnn's ``batching.py`` as it was at git revision REV (e.g. ``rev:main``)

One BLAS thread (``OPENBLAS_NUM_THREADS=1``, set here unless already set)::

    nice -n 10 .venv/bin/python benchmarks/layouts.py --repeats 5
    nice -n 10 .venv/bin/python benchmarks/layouts.py --variant rev:9898778 --layouts C F --json raw.jsonl
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import npdnn  # noqa: E402
from npdnn.train import batching  # noqa: E402
from npdnn.train import loop as training  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LAYOUTS = ("C", "F", "DataFrame", "F float64", "memmap", "memmap F")
# --net: layer sizes and batch size (B is workload B of bench.py, 784 float32 columns)
NETS = {"narrow": ([50, 64, 32, 1], 64), "B": ([784, 256, 128, 1], 64)}
NET = NETS["narrow"]


def make_data(m, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, NET[0][0]), dtype=np.float32)
    y = (X[:, :5].sum(axis=1) + 0.5 * rng.standard_normal(m, dtype=np.float32) > 0).astype(np.int64)
    return X, y


def layouts(X, names, folder):
    """Each asked-for layout of the C-ordered float32 ``X``, built lazily."""
    import pandas as pd

    def memmap(order):
        path = os.path.join(folder, f"X_{order}_{X.shape[0]}.npy")
        np.save(path, X if order == "C" else np.asfortranarray(X))
        Xm = np.load(path, mmap_mode="r")
        Xm.sum()  # pages into the cache: this measures the layout, not the disk
        return Xm

    F = np.asfortranarray(X) if {"F", "DataFrame"} & set(names) else None
    build = {
        "C": lambda: X,
        "F": lambda: F,
        "DataFrame": lambda: pd.DataFrame(F, columns=[f"x{j}" for j in range(X.shape[1])], copy=False),
        "F float64": lambda: np.asfortranarray(X, dtype=np.float64),
        "memmap": lambda: memmap("C"),
        "memmap F": lambda: memmap("F"),
    }
    return {name: build[name]() for name in names}


def epoch_seconds(X, y):
    net = npdnn.Network(NET[0], dtype=np.float32, seed=0)
    t0 = time.perf_counter()
    net.fit(X, y, optimizer="adam", batch_size=NET[1], epochs=1, seed=0, diagnostics=False)
    return time.perf_counter() - t0, net.theta


# ---------------------------------------------------------------- variants of the F-order gather
def _gather_blocks(self, idx, out, one_block):
    """Batches._gather for an F-ordered X with ``one_block(idx_block, out_block)`` per block."""
    X = self.X
    if not (X.flags.f_contiguous and not X.flags.c_contiguous):
        return ORIGINAL["_gather"](self, idx, out)
    block = max(1, batching.TRANSPOSE_BLOCK_BYTES // (X.shape[1] * X.dtype.itemsize))
    for start in range(0, idx.shape[0], block):
        one_block(X, idx[start : start + block], out[start : start + block])
    return out


def _fancy(self, idx, out):
    def one(X, rows, dest):
        dest[...] = X[rows]

    return _gather_blocks(self, idx, out, one)


def _whole(self, idx, out):
    X = self.X
    if not (X.flags.f_contiguous and not X.flags.c_contiguous):
        return ORIGINAL["_gather"](self, idx, out)
    T = X.T.take(idx, axis=1, mode="clip")  # (n_x, k), a second window-sized buffer
    np.copyto(out, T.T)
    return out


def _unsorted(self, idx):
    return idx, np.arange(idx.shape[0])


ORIGINAL = {"_gather": batching.Batches._gather}


def use_variant(variant):
    """Patch npdnn for ``variant``; returns a description of it."""
    if variant == "sorted":
        return "the code as it is"
    if variant.startswith("rev:"):
        rev = variant[4:]
        source = subprocess.run(
            ["git", "show", f"{rev}:src/npdnn/train/batching.py"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout
        spec = importlib.util.spec_from_loader("npdnn._batching_at_rev", loader=None)
        module = importlib.util.module_from_spec(spec)
        module.__package__ = "npdnn"
        exec(compile(source, f"batching.py@{rev}", "exec"), module.__dict__)
        training.Batches = module.Batches  # what fit instantiates
        return f"batching.py at {rev}"
    patches = {
        "sorted-fancy": ("_gather", _fancy),
        "sorted-whole": ("_gather", _whole),
        "unsorted": ("_sorted_rows", _unsorted),
    }
    if variant not in patches:
        known = "sorted, sorted-fancy, sorted-whole, unsorted, rev:REV"
        raise SystemExit(f"unknown --variant {variant!r}; expected one of {known}")
    name, fn = patches[variant]
    setattr(batching.Batches, name, fn)
    return variant


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=lambda s: int(float(s)), nargs="+", default=[100_000, 400_000])
    parser.add_argument("--layouts", nargs="+", choices=LAYOUTS, default=list(LAYOUTS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--variant", default="sorted")
    parser.add_argument("--net", choices=sorted(NETS), default="narrow", help="narrow [50, 64, 32, 1] or B")
    parser.add_argument("--json", metavar="PATH", help="append the raw times (one JSON line per m and layout) here")
    parser.add_argument("--pooled", metavar="PATH", help="only print the table of every run --json appended to PATH")
    args = parser.parse_args()
    if args.pooled:
        return pooled(args.pooled)
    global NET
    NET = NETS[args.net]
    described = use_variant(args.variant)
    names = ["C"] + [name for name in args.layouts if name != "C"]
    print(
        f"# variant: {described}; numpy {np.__version__}; OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}; "
        f"load average {os.getloadavg()[0]:.2f} at start",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for m in args.rows:
            X, y = make_data(m)
            data = layouts(X, names, folder)
            epoch_seconds(data["C"], y)  # warm-up: first-touch allocations, BLAS
            times = {name: [] for name in names}
            theta = {}
            for r in range(args.repeats):
                turn = names[r % len(names) :] + names[: r % len(names)]
                for name in turn:
                    seconds, theta[name] = epoch_seconds(data[name], y)
                    times[name].append(seconds)
            for name in names:
                ratios = [t / c for t, c in zip(times[name], times["C"], strict=True)]
                same = np.array_equal(theta[name], theta["C"])
                rows.append((m, X.nbytes, name, times[name], ratios, same))
                if args.json:
                    with open(args.json, "a") as f:
                        record = {"variant": args.variant, "net": args.net, "m": m, "layout": name}
                        record.update(s=times[name], C=times["C"], threads=os.environ["OPENBLAS_NUM_THREADS"])
                        f.write(json.dumps({**record, "theta_equal": same, "load": os.getloadavg()[0]}) + "\n")
            del data
    print(f"# load average {os.getloadavg()[0]:.2f} at end\n")
    print("| m | X MB (float32) | layout | median s | median ratio to C | ratio range | theta == C |")
    print("| ---: | ---: | --- | ---: | ---: | --- | --- |")
    for m, nbytes, name, seconds, ratios, same in rows:
        print(
            f"| {m:,} | {nbytes / 1e6:.0f} | {name} | {statistics.median(seconds):.3f} | "
            f"{statistics.median(ratios):.2f} | {min(ratios):.2f}-{max(ratios):.2f} | {'yes' if same else 'NO'} |"
        )
    return 0


def pooled(path):
    """The median ratio to C and its range over every repeat of every run recorded in ``path``."""
    runs = {}
    for line in open(path):
        r = json.loads(line)
        key = (r["variant"], r.get("net", "narrow"), r.get("threads", "1"), r["m"], r["layout"])
        runs.setdefault(key, []).append(r)
    print("| variant | net | threads | m | layout | runs | repeats | median ratio to C | range | load | theta == C |")
    print("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- | --- |")

    def order(item):
        variant, net, threads, m, name = item[0]
        return variant, net, threads, m, LAYOUTS.index(name)

    for (variant, net, threads, m, name), records in sorted(runs.items(), key=order):
        ratios = [t / c for r in records for t, c in zip(r["s"], r["C"], strict=True)]
        loads = [r["load"] for r in records]
        print(
            f"| {variant} | {net} | {threads} | {m:,} | {name} | {len(records)} | {len(ratios)} | "
            f"{statistics.median(ratios):.2f} | "
            f"{min(ratios):.2f}-{max(ratios):.2f} | {min(loads):.1f}-{max(loads):.1f} | "
            f"{'yes' if all(r['theta_equal'] for r in records) else 'NO'} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
