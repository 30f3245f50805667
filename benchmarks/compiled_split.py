"""Where the compiled step's time goes on the large workloads B, C, D (issue 29).

    .venv/bin/python benchmarks/compiled_split.py --workloads B,C,D [--reps 20]

For each workload (float32, bench.py's shapes, one batch of its data), in one process,
each timing the median of ``reps`` calls, the forms interleaved round by round:

- ``step``: a whole training step, three ways: the NumPy path (``loss_and_gradients`` +
  ``optimizer.step``), the compiled one-call form (:func:`npdnn.compiled.kernels.train_step`,
  GEMMs through numba's ``np.dot`` = SciPy's BLAS) and the compiled split form (GEMMs
  through NumPy's ``np.matmul``, element-wise passes and the optimizer compiled);
- its parts in the split form: the GEMMs alone (``np.matmul`` on the step's shapes and
  layouts), the element-wise passes (bias + activation, cost and dZ, g' with db), the
  optimizer's one pass (and the NumPy path's optimizer step, for comparison);
- each GEMM shape through NumPy and through numba's ``np.dot``, on BLAS's own threads
  and on one (threadpoolctl), to see whether the library under numba is slower.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402

import npdnn  # noqa: E402
from npdnn.compiled import kernels, step  # noqa: E402
from npdnn.train.optimizers import get_optimizer  # noqa: E402


def median_ms(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts)


def setup(w, dt):
    X, y = bench.make_data(w, dt)
    b = w.m if w.batch is None else w.batch
    Xb = np.ascontiguousarray(X[:b])
    Yb = y[:b].astype(dt)[None, :]
    return Xb, Yb, b


def make(w, dt, b, split):
    net = npdnn.Network(list(w.dims), "relu", seed=0, dtype=dt)
    opt = get_optimizer(w.optimizer, w.lr)
    s = step.CompiledStep.build(net, opt, 0.0, b)
    s.split = split
    return net, opt, s


@__import__("numba").njit
def _nb_dot(A, B, out):
    np.dot(A, B, out)


def gemm_rows(w, dt, Xb, b, reps):
    """Per GEMM shape: ms through np.matmul and numba's np.dot, on BLAS's threads and on one."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    rows = []
    for l in range(1, len(w.dims)):
        n_in, n_out = w.dims[l - 1], w.dims[l]
        A = Xb if l == 1 else rng.standard_normal((b, n_in)).astype(dt)
        W = rng.standard_normal((n_out, n_in)).astype(dt)
        dZ = rng.standard_normal((b, n_out)).astype(dt)
        Z, dW, dA = np.empty((b, n_out), dt), np.empty((n_out, n_in), dt), np.empty((b, n_in), dt)
        cases = [("Z = A W.T", A, W.T, Z), ("dW = dZ.T A", dZ.T, A, dW)]
        if l > 1:
            cases.append(("dA = dZ W", dZ, W, dA))
        for name, P, Q, out in cases:
            for threads in (None, 1):
                with threadpool_limits(threads):
                    t_np = median_ms(lambda P=P, Q=Q, out=out: np.matmul(P, Q, out=out), reps)
                    t_nb = median_ms(lambda P=P, Q=Q, out=out: _nb_dot(P, Q, out), reps)
                rows.append((f"L{l} {name} ({b}x{n_in}x{n_out})", threads or "all", t_np, t_nb))
    return rows


def parts_split(net, opt, s, Xb, Yb, b, reps):
    """ms per step of the split form's parts, each run alone on the step's arrays."""
    dt = net.theta.dtype.type
    layers = s._layer_views(b)
    L = len(layers)
    gemm = elem = 0.0
    A_prev = Xb
    for l, (W, bias, dW, _, A, dA) in enumerate(layers, start=1):
        gemm += median_ms(lambda A_prev=A_prev, W=W, A=A: np.matmul(A_prev, W.T, out=A), reps)
        hid = s.hidden if l < L else kernels.LINEAR
        elem += median_ms(lambda A=A, bias=bias, hid=hid: kernels.bias_activate(A, bias, hid, s.consts), reps)
        gemm += median_ms(lambda A_prev=A_prev, dA=dA, dW=dW: np.matmul(dA.T, A_prev, out=dW), reps)
        if l == L and l > 1:
            W_L, dA_prev, A_p, db_p = W, layers[l - 2][5], layers[l - 2][4], layers[l - 2][3]
            elem += median_ms(
                lambda W_L=W_L, dZ=dA, d=dA_prev, a=A_p, g=db_p: kernels.outer_grad_and_db(
                    dZ, W_L, a, d, g, s.hidden, s.consts
                ),
                reps,
            )
        elif l > 1:
            Wl, dA_prev, A_p, db_p = W, layers[l - 2][5], layers[l - 2][4], layers[l - 2][3]
            gemm += median_ms(lambda dA=dA, Wl=Wl, dA_prev=dA_prev: np.matmul(dA, Wl, out=dA_prev), reps)
            elem += median_ms(lambda d=dA_prev, a=A_p, g=db_p: kernels.grad_and_db(d, a, g, s.hidden, s.consts), reps)
        A_prev = A
    dZ = layers[-1][5]
    y = Yb[0]
    elem += median_ms(lambda: kernels._cost_and_dZ(A_prev, y, s.no_weights, dt(1.0 / b), dZ, s.consts), reps)
    elem += median_ms(lambda: kernels.column_sums(dZ, layers[-1][3]), reps)
    if opt._tmp is None:
        opt._allocate(net.theta)
    s1, s2 = (opt.m_sum, opt.v_sum) if s.kind == kernels.ADAM else (s.no_state, s.no_state)
    args = (net.theta, net.grad, s1, s2, dt(1e-3), dt(0.9), dt(0.999), dt(1e-8), dt(1e-3), s.kind, False, dt(0))
    upd = median_ms(lambda: kernels.update(*args), reps)
    opt_np = get_optimizer(net_opt_name(s), 1e-3)
    theta2, grad2 = net.theta.copy(), net.grad.copy()
    npo = median_ms(lambda: opt_np.step(theta2, grad2), reps)
    return {"GEMMs (np.matmul)": gemm, "element-wise passes": elem, "optimizer (compiled, one pass)": upd,
            "optimizer (NumPy path's, for comparison)": npo}  # fmt: skip


def net_opt_name(s):
    return "adam" if s.kind == kernels.ADAM else "gd"


def run_workload(name, dt, reps, rounds):
    w = bench.WORKLOADS[name]
    Xb, Yb, b = setup(w, dt)
    A0 = Xb.T
    forms = {
        "NumPy path": make(w, dt, b, False),
        "compiled, one call": make(w, dt, b, False),
        "compiled, split": make(w, dt, b, True),
    }
    net_np, opt_np, _ = forms["NumPy path"]

    def np_step(net=net_np, opt=opt_np):
        net.loss_and_gradients(A0, Yb, 1.0 / b, 0.0, training=True)
        opt.step(net.theta, net.grad)

    fns = {"NumPy path": np_step}
    for k in ("compiled, one call", "compiled, split"):
        fns[k] = lambda s=forms[k][2]: s(A0, Yb, 1.0 / b, 0.0)
    times = {k: [] for k in fns}
    loads = [os.getloadavg()[0]]
    for _ in range(rounds):
        for k, fn in fns.items():
            times[k].append(median_ms(fn, reps))
    loads.append(os.getloadavg()[0])
    print(f"\n## {name} {w.dims} batch {b} {w.optimizer}, load {loads[0]:.2f} -> {loads[1]:.2f}\n")
    print("| whole step | ms (median of rounds) | rounds |")
    print("|---|---|---|")
    for k, ts in times.items():
        print(f"| {k} | {statistics.median(ts):.3f} | {', '.join(f'{t:.3f}' for t in ts)} |")
    net, opt, s = forms["compiled, split"]
    parts = parts_split(net, opt, s, Xb, Yb, b, reps)
    print("\n| split form, part alone | ms |")
    print("|---|---|")
    for k, v in parts.items():
        print(f"| {k} | {v:.3f} |")
    print("\n| GEMM | BLAS threads | np.matmul ms | numba np.dot ms |")
    print("|---|---|---|---|")
    for row in gemm_rows(w, dt, Xb, b, reps):
        print(f"| {row[0]} | {row[1]} | {row[2]:.3f} | {row[3]:.3f} |")
    sys.stdout.flush()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="B,C,D")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    dt = np.float32
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "float32, ms per step (median of", args.reps, "calls)")
    print(bench.machine_line())
    for name in args.workloads.split(","):
        run_workload(name, dt, args.reps, args.rounds)
    print("\nload average at the end", f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
