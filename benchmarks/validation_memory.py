"""Memory of validation during training (issue 26): tracemalloc's peak above X.

    .venv/bin/python benchmarks/validation_memory.py               # the working tree
    .venv/bin/python benchmarks/validation_memory.py --base 9026472  # a git revision, as ab.py imports it

Trains one epoch of a ``[100, 256, 1]`` float32 network on 2,000,000 x 100 float32 rows
(800 MB of X), with and without ``early_stopping=True`` (which holds out 10% of X and
evaluates it after the epoch), each case in a fresh process, and prints the peak of
NumPy's traced allocations minus X's bytes. Until issue 26 the validation rows went
through the network in blocks of 64 MB of X, so a 256-unit layer held 5x that in
activations; now they go in prediction's chunks (:func:`npdnn.nn.chunking.chunk_rows`),
sized by every layer's activations. The bound the issue asks for: 150 MB over X.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
M, N_X, HIDDEN, BATCH = 2_000_000, 100, 256, 4096


def measure(npdnn, early_stopping, m=M):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((m, N_X), dtype=np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    net = npdnn.Network([N_X, HIDDEN, 1], seed=0, dtype=np.float32)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    net.fit(X, y, optimizer="adam", epochs=1, batch_size=BATCH, seed=0, early_stopping=early_stopping)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak  # X was allocated before tracing started: the peak is what fit added


def _child(args):
    if args.base:
        sys.path.insert(0, str(HERE))
        import ab

        npdnn = ab.import_base(args.base, tempfile.mkdtemp())
    else:
        sys.path.insert(0, str(HERE.parent / "src"))
        import npdnn
    print(json.dumps({"peak": measure(npdnn, args.early_stopping, args.m)}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", help="git revision to measure instead of the working tree")
    p.add_argument("--m", type=int, default=M, help="rows of X")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--early-stopping", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return _child(args)
    x_mb = args.m * N_X * 4 / 2**20
    print(f"X: {args.m:,} x {N_X} float32 ({x_mb:.0f} MiB), layers [{N_X}, {HIDDEN}, 1], batch {BATCH}, one epoch")
    print(f"version: {args.base or 'working tree'}")
    print(f"{'fit':<28}{'peak above X (MiB)':>20}")
    for es in (False, True):
        cmd = [sys.executable, __file__, "--child", "--m", str(args.m), *(["--base", args.base] if args.base else [])]
        out = subprocess.run([*cmd, *(["--early-stopping"] if es else [])], capture_output=True, text=True, check=True)
        peak = json.loads(out.stdout.strip().splitlines()[-1])["peak"]
        print(f"{'early_stopping=True' if es else 'no validation':<28}{peak / 2**20:>20.1f}")


if __name__ == "__main__":
    main()
