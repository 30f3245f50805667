"""NumPy calls per training step: what a step's fixed cost is made of.

    .venv/bin/python benchmarks/calls.py                 # workloads A, T, B, C, D, float32
    .venv/bin/python benchmarks/calls.py --src /tmp/old/src   # another checkout's npdnn

One epoch of ``Network.fit`` (after a warm-up epoch) runs under two counters:

- ``sys.setprofile``: every call of a C function or method made from Python (``c_call``
  events): ``np.matmul``, ``X.take``, ``np.exp``, ``arr.sum`` ... Counted by name, those
  of NumPy (module ``numpy`` or a method of an ndarray/ufunc) apart from the rest
  (``len``, ``isinstance``, ``math.isfinite``, ...).
- opcode tracing (``f_trace_opcodes``) of npdnn's own frames: the arithmetic and
  comparison operators executed there (``BINARY_OP``, ``COMPARE_OP``). An operator on an
  array (``Z += b``) is a NumPy ufunc call that raises no profile event; the count is an
  upper bound on those, since it also counts operators on Python numbers.

Both are divided by the steps in the epoch. The tracing makes the run ~50x slower, so
the timings of this script mean nothing; benchmarks/bench.py and ab.py measure time.
"""

from __future__ import annotations

import argparse
import collections
import dis
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

OPS = {dis.opmap[name] for name in ("BINARY_OP", "COMPARE_OP") if name in dis.opmap}


def count(w, dtype, npdnn):
    import bench

    X, y = bench.make_data(w, dtype)
    net = npdnn.Network(list(w.dims), "relu", seed=0, dtype=dtype)
    kw = dict(optimizer=w.optimizer, learning_rate=w.lr, batch_size=w.batch, seed=1)
    epochs = 1 if w.batch is not None else 10  # D: 10 full-batch steps
    net.fit(X, y, epochs=epochs, **kw)  # warm-up: buffers, BLAS threads
    steps = epochs * (1 if w.batch is None else -(-w.m // w.batch))
    src = str(Path(npdnn.__file__).resolve().parent)
    numpy_calls, other_calls = collections.Counter(), collections.Counter()
    operators = [0]

    def prof(frame, event, arg):
        if event == "c_call":
            mod = getattr(arg, "__module__", None) or ""
            owner = type(getattr(arg, "__self__", None)).__name__
            name = getattr(arg, "__qualname__", getattr(arg, "__name__", "?"))
            if mod.startswith("numpy") or owner in ("ndarray", "ufunc", "Generator") or name.startswith("ndarray"):
                numpy_calls[name] += 1
            else:
                other_calls[name] += 1

    def trace(frame, event, arg):
        if not frame.f_code.co_filename.startswith(src):
            return None
        frame.f_trace_opcodes = True
        if event == "opcode" and frame.f_code.co_code[frame.f_lasti] in OPS:
            operators[0] += 1
        return trace

    sys.setprofile(prof)
    sys.settrace(trace)
    try:
        net.fit(X, y, epochs=epochs, **kw)
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    return steps, numpy_calls, other_calls, operators[0]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="A,T,B,C,D")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--src", help="import npdnn from this src folder instead (a before/after count)")
    p.add_argument("--top", type=int, default=0, help="also list the N most frequent NumPy calls per workload")
    args = p.parse_args(argv)
    if args.src:
        sys.path.insert(0, args.src)
    import bench

    import npdnn

    print(f"npdnn from {Path(npdnn.__file__).parent}")
    print("| wl | steps | NumPy calls/step | other C calls/step | operators/step (upper bound of array ops) |")
    print("|---|---|---|---|---|")
    for name in args.workloads.split(","):
        w = bench.WORKLOADS[name]
        w = bench.Workload(**{**w.__dict__, "epochs": 1})
        steps, npc, other, ops = count(w, np.dtype(args.dtype).type, npdnn)
        print(
            f"| {name} | {steps} | {sum(npc.values()) / steps:.1f} | {sum(other.values()) / steps:.1f} "
            f"| {ops / steps:.1f} |"
        )
        for fn, n in npc.most_common(args.top):
            print(f"|   | {fn} | {n / steps:.2f} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
