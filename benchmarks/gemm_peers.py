"""Whose GEMM kernel is faster on the workloads' own shapes: NumPy (OpenBLAS), PyTorch, XLA.

    .venv/bin/python benchmarks/gemm_peers.py              # all cores (2 here)
    .venv/bin/python benchmarks/gemm_peers.py --threads 1

The bench's workloads B, C and D spend 60-90% of a step in GEMMs (see the bottleneck
split in benchmarks/README.md), so on them a framework can be only as fast as the
kernel it calls. This script times one ``C = A @ B`` per shape with each library's
kernel and nothing around it (inputs made once, output preallocated where the
library allows it, JAX jitted and blocked on): each library in a process of its own
(thread pools of two libraries in one process steal each other's cores), the processes
in rotated order over ``--rounds`` rounds; GFLOP/s, median over the rounds. The shapes are the
largest GEMMs of one training step of each workload, as npdnn issues them (M x K x N).
Needs the ``bench`` extra for the JAX column (``make .venv/.bench``); torch is a test
dependency.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SHAPES = {  # name: (M, K, N) of C (M x N) = A (M x K) @ B (K x N)
    "square 2048 (the peak)": (2048, 2048, 2048),
    "C forward 512x1024x1024": (512, 1024, 1024),
    "C dW 1024x512x1024": (1024, 512, 1024),
    "B forward 1 256x784x256": (256, 784, 256),
    "B dW 1 256x256x784": (256, 256, 784),
    "B forward 2 256x256x128": (256, 256, 128),
    "D forward 1 209x12288x20": (209, 12288, 20),
    "D dW 1 20x209x12288": (20, 209, 12288),
    "A forward 1 256x20x64": (256, 20, 64),
    "A forward 2 256x64x32": (256, 64, 32),
}


def _caller(lib, M, K, N, threads):
    """A zero-argument call computing one (M x K) @ (K x N) product with ``lib``'s kernel."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((M, K), dtype=np.float32)
    b = rng.standard_normal((K, N), dtype=np.float32)
    if lib == "numpy":
        out = np.empty((M, N), np.float32)
        return lambda: np.matmul(a, b, out=out)
    if lib == "torch":
        import torch

        torch.set_num_threads(threads)
        ta, tb, to = torch.from_numpy(a), torch.from_numpy(b), torch.empty(M, N)
        return lambda: torch.matmul(ta, tb, out=to)
    import jax
    import jax.numpy as jnp

    ja, jb, f = jnp.asarray(a), jnp.asarray(b), jax.jit(jnp.matmul)
    return lambda: f(ja, jb).block_until_ready()


def _worker(lib, threads, reps_each):
    """In a process of its own: GFLOP/s of ``lib`` on every shape (best of ``reps_each``), as JSON."""
    rates = {}
    for shape, (M, K, N) in SHAPES.items():
        call = _caller(lib, M, K, N, threads)
        flops = 2 * M * K * N
        call()  # warm-up (JAX: compile)
        reps = max(3, int(2e9 / flops))
        best = float("inf")
        for _ in range(reps_each):
            t0 = time.perf_counter()
            for _ in range(reps):
                call()
            best = min(best, (time.perf_counter() - t0) / reps)
        rates[shape] = flops / best / 1e9
    print(json.dumps(rates))


def _available(lib):
    try:
        __import__(lib)
        return True
    except ImportError:
        return False


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="threads per library")
    p.add_argument("--rounds", type=int, default=3, help="processes per library, in rotated order")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        _worker(args.worker, args.threads, reps_each=5)
        return 0
    # thread limits by environment and CPU affinity, which the worker processes inherit (bench.py's
    # rule: XLA's CPU runtime keeps its own pool whatever the environment says)
    from bench import set_threads

    set_threads(args.threads)
    libs = ["numpy", *[lib for lib in ("torch", "jax") if _available(lib)]]
    runs = {lib: [] for lib in libs}
    for r in range(args.rounds):
        for lib in libs[r % len(libs) :] + libs[: r % len(libs)]:
            time.sleep(0.5)  # let the previous process's spinning BLAS/OpenMP threads go idle
            cmd = [sys.executable, __file__, "--worker", lib, "--threads", str(args.threads)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            runs[lib].append(json.loads(out.strip().splitlines()[-1]))
    print(
        f"GEMM GFLOP/s, float32, {args.threads} thread(s) per library, one process per library and round, "
        f"median of {args.rounds} rounds (each the best of 5 timings of ~2 GFLOP)"
    )
    print("| shape (M x K x N) | " + " | ".join(libs) + " | fastest vs numpy |")
    print("|---|" + "---:|" * (len(libs) + 1))
    for shape in SHAPES:
        rates = {lib: statistics.median(run[shape] for run in runs[lib]) for lib in libs}
        top = max(rates, key=rates.get)
        cells = " | ".join(f"{rates[lib]:.1f}" for lib in libs)
        print(f"| {shape} | {cells} | {top} {rates[top] / rates['numpy']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
