"""What folding the bias into the GEMM (``[W b] @ [A; 1]``) would save on the NumPy path.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bias_fold.py      # workloads A, T, B, float32

Issue 29 part 1 asked whether to fold each layer's bias into its GEMM: the forward's
``Z += b`` (a broadcast add) and the backward's ``db = dZ @ ones`` (a GEMV) would go, each
layer's two GEMMs would get one more row or column of ``A_prev``. It needs ``[W | b]``
contiguous per layer, a new layout of theta (model files, checkpoints, fingerprints, exports,
the compiled step), so it is measured here before it is built. For each workload, on one batch
in the training pass's layout (sample-major, as a shuffled batch arrives), interleaved rounds,
best of each:

- ``step``: one NumPy-path step as fit runs it (loss_and_gradients and Adam's update);
- ``bias adds`` and ``db GEMVs``: what folding removes, summed over the layers;
- ``extra GEMM``: what it adds, the forward and dW GEMMs with ``n_in + 1`` instead of ``n_in``;
- ``net saving``: the first two minus the third, as a share of the step. An upper bound: the
  ones row must also be kept in every activation buffer (relu over it, layer 1's batch gathered
  with it), which is not counted.
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from pathlib import Path

import numpy as np

os.environ.setdefault("NPDNN_COMPILED", "0")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import bench  # noqa: E402

import npdnn  # noqa: E402
from npdnn.train.optimizers import Adam  # noqa: E402


def best_times(variants, number, rounds):
    """{name: best seconds per call} over ``rounds`` interleaved rounds of ``number`` calls."""
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        for name, fn in variants.items():
            best[name] = min(best[name], timeit.timeit(fn, number=number) / number)
    return best


def measure(w, dtype, rounds):
    rng = np.random.default_rng(0)
    m = w.batch
    net = npdnn.Network(list(w.dims), "relu", seed=0, dtype=dtype)
    A0 = np.ascontiguousarray(rng.standard_normal((m, w.dims[0])).astype(dtype)).T  # (n_x, m), F-ordered
    Y = (rng.random((1, m)) < 0.5).astype(dtype)
    opt = Adam(1e-3)

    def step():
        net.loss_and_gradients(A0, Y, 1.0 / m, training=True)
        opt.step(net.theta, net.grad)

    step()
    pieces = {"step": step}
    bias, gemv, extra = [], [], []
    for l, layer in enumerate(net.dense):
        n_out, n_in = layer.W.shape
        A_prevT = np.ascontiguousarray(rng.standard_normal((m, n_in)).astype(dtype))  # sample-major (m, n_in)
        A_augT = np.ones((m, n_in + 1), dtype=dtype)
        A_augT[:, :n_in] = A_prevT
        WT, W_augT = np.ascontiguousarray(layer.W.T), rng.standard_normal((n_in + 1, n_out)).astype(dtype)
        ZT = np.empty((m, n_out), dtype=dtype)
        dZ = np.asfortranarray(rng.standard_normal((n_out, m)).astype(dtype))  # as ZT.T
        dW, dW_aug = np.empty((n_out, n_in), dtype=dtype), np.empty((n_out, n_in + 1), dtype=dtype)
        ones, db = np.ones(m, dtype=dtype), np.empty(n_out, dtype=dtype)
        Z, b = ZT.T, layer.b
        pieces[f"bias{l}"] = lambda Z=Z, b=b: Z.__iadd__(b)
        pieces[f"gemv{l}"] = lambda dZ=dZ, ones=ones, db=db: np.matmul(dZ, ones, out=db)
        pieces[f"fwd{l}"] = lambda a=A_prevT, w_=WT, out=ZT: np.matmul(a, w_, out=out)
        pieces[f"fwd_aug{l}"] = lambda a=A_augT, w_=W_augT, out=ZT: np.matmul(a, w_, out=out)
        pieces[f"dW{l}"] = lambda dZ=dZ, a=A_prevT, out=dW: np.matmul(dZ, a, out=out)
        pieces[f"dW_aug{l}"] = lambda dZ=dZ, a=A_augT, out=dW_aug: np.matmul(dZ, a, out=out)
        bias.append(f"bias{l}")
        gemv.append(f"gemv{l}")
        extra.append((f"fwd{l}", f"fwd_aug{l}", f"dW{l}", f"dW_aug{l}"))
    t = best_times(pieces, number=50, rounds=rounds)
    t_bias = sum(t[k] for k in bias)
    t_gemv = sum(t[k] for k in gemv)
    t_extra = sum(t[fa] - t[f] + t[da] - t[d] for f, fa, d, da in extra)
    return t["step"], t_bias, t_gemv, t_extra


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="A,T,B")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--rounds", type=int, default=15)
    args = p.parse_args(argv)
    print(f"load {os.getloadavg()[0]:.1f}, {args.dtype}, best of {args.rounds} interleaved rounds, microseconds")
    print("| wl | step | bias adds | db GEMVs | extra GEMM | net saving (share of step) |")
    print("|---|---|---|---|---|---|")
    for name in args.workloads.split(","):
        step, t_bias, t_gemv, t_extra = measure(bench.WORKLOADS[name], np.dtype(args.dtype).type, args.rounds)
        saving = t_bias + t_gemv - t_extra
        print(
            f"| {name} | {step * 1e6:.1f} | {t_bias * 1e6:.1f} | {t_gemv * 1e6:.1f} | {t_extra * 1e6:.1f} "
            f"| {saving * 1e6:.1f} ({saving / step:.1%}) |"
        )
    print(f"load {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
