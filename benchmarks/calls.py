"""NumPy calls per training step: what a step's fixed cost is made of.

    .venv/bin/python benchmarks/calls.py                 # workloads A, T, D, float32
    .venv/bin/python benchmarks/calls.py --src /tmp/old/src   # another checkout's npdnn

One epoch of ``Network.fit`` (after a warm-up epoch) runs with three counters:

- NumPy functions called through ``np.`` in npdnn's modules (``np.matmul``, ``np.exp``,
  ``np.maximum(..., out=)``): for the run, each npdnn module's ``np`` is a proxy whose
  functions and ufuncs count their calls (npdnn.train.profiling swaps ``np`` the same way);
- ndarray methods and other C functions called from Python (``X.take``, ``arr.sum``,
  ``len``): ``sys.setprofile``'s ``c_call`` events (a ufunc call raises none, hence the proxy);
- operators executed in npdnn's own frames (``BINARY_OP``, ``COMPARE_OP`` opcodes, traced):
  an operator on an array (``Z += b``) is a ufunc call that neither counter above sees;
  the count is an upper bound on those, since it also counts operators on Python numbers.

Each is divided by the steps of the epoch. The tracing makes the run ~50x slower, so this
script's timings mean nothing; benchmarks/bench.py and ab.py measure time.
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


class _Counted:
    """A NumPy function or ufunc that counts its calls (attributes pass through: ``np.add.reduce``)."""

    def __init__(self, fn, counter, name):
        self._fn, self._counter, self._name = fn, counter, name

    def __call__(self, *args, **kwargs):
        self._counter[self._name] += 1
        return self._fn(*args, **kwargs)

    def __getattr__(self, attr):
        return getattr(self._fn, attr)


def _counting_numpy(counter):
    import types

    proxy = types.ModuleType("numpy")
    for name in dir(np):
        value = getattr(np, name)
        if isinstance(value, np.ufunc) or (callable(value) and not isinstance(value, type)):
            value = _Counted(value, counter, name)
        setattr(proxy, name, value)
    return proxy


def _swap_numpy(proxy):
    """Point ``np`` in every loaded npdnn module at ``proxy``; return what to put back."""
    swapped = []
    for name, mod in list(sys.modules.items()):
        if name.startswith("npdnn") and getattr(mod, "np", None) is np:
            swapped.append(mod)
            mod.np = proxy
    return swapped


def count(w, dtype, npdnn):
    import bench

    X, y = bench.make_data(w, dtype)
    net = npdnn.Network(list(w.dims), "relu", seed=0, dtype=dtype)
    kw = dict(optimizer=w.optimizer, learning_rate=w.lr, batch_size=w.batch, seed=1)
    epochs = 1 if w.batch is not None else 10  # D: 10 full-batch steps
    net.fit(X, y, epochs=epochs, **kw)  # warm-up: buffers, BLAS threads
    steps = epochs * (1 if w.batch is None else -(-w.m // w.batch))
    src = str(Path(npdnn.__file__).resolve().parent)
    numpy_calls, other_calls, np_functions = collections.Counter(), collections.Counter(), collections.Counter()
    operators = [0]

    def prof(frame, event, arg):
        if event == "c_call":
            mod = getattr(arg, "__module__", None) or ""
            owner = type(getattr(arg, "__self__", None)).__name__
            name = getattr(arg, "__qualname__", getattr(arg, "__name__", "?"))
            numpy_owned = owner in ("ndarray", "ufunc", "Generator", "dtype") or name.startswith("ndarray")
            if isinstance(arg, np.ufunc) or mod.startswith("numpy") or numpy_owned:
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

    swapped = _swap_numpy(_counting_numpy(np_functions))
    sys.setprofile(prof)
    sys.settrace(trace)
    try:
        net.fit(X, y, epochs=epochs, **kw)
    finally:
        sys.settrace(None)
        sys.setprofile(None)
        for mod in swapped:
            mod.np = np
    np_functions.update(numpy_calls)  # np.* functions and ndarray methods together
    return steps, np_functions, other_calls, operators[0]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="A,T,D")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--src", help="import npdnn from this src folder instead (a before/after count)")
    p.add_argument("--top", type=int, default=0, help="also list the N most frequent NumPy calls per workload")
    args = p.parse_args(argv)
    if args.src:
        sys.path.insert(0, args.src)
    import bench

    import npdnn

    print(f"npdnn from {Path(npdnn.__file__).parent}")
    print("| wl | steps | NumPy calls/step (np.* and ndarray methods) | other C calls/step | operators/step (bound) |")
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
