"""In-process A/B: npdnn at a git revision against the working tree, on one workload.

    .venv/bin/python benchmarks/ab.py --base HEAD~3 --workload B --dtype float32 --repeats 9

Both versions are imported side by side (the base as package ``npdnn_base``, extracted
with ``git archive``) and train on the same data in alternating order, so the shared
machine's drift hits both alike. Prints the median time of each and two ratios: of the
medians, and the median of the per-round ratios (the steadier one on a noisy machine).
This is how the "what each optimization bought" rows of benchmarks/README.md are measured.
"""

from __future__ import annotations

import argparse
import importlib
import io
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import bench  # noqa: E402


def import_base(revision, folder):
    """Import ``src/npdnn`` as of ``revision`` under the name ``npdnn_base``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "src/npdnn"], cwd=HERE.parent, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python >= 3.10.12
        tar.extractall(folder, **safe)
    shutil.move(str(Path(folder) / "src" / "npdnn"), str(Path(folder) / "npdnn_base"))
    sys.path.insert(0, str(folder))
    return importlib.import_module("npdnn_base")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default="HEAD", help="git revision to compare the working tree with")
    p.add_argument("--workload", default="A", choices=sorted(bench.WORKLOADS))
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--repeats", type=int, default=9)
    args = p.parse_args(argv)

    import npdnn

    w = bench.WORKLOADS[args.workload]
    dtype = np.dtype(args.dtype)
    X, y = bench.make_data(w, dtype)
    with tempfile.TemporaryDirectory() as folder:
        base = import_base(args.base, folder)

        def trainer(module):
            net = module.Network(list(w.dims), "relu", seed=0, dtype=dtype)
            epochs = w.epochs if w.batch else 30
            kw = dict(optimizer=w.optimizer, learning_rate=w.lr, epochs=epochs, batch_size=w.batch, seed=0)
            return lambda: net.fit(X, y, **kw)

        runs = {args.base: trainer(base), "working tree": trainer(npdnn)}
        for run in runs.values():
            run()  # warm-up
        times = {name: [] for name in runs}
        for r in range(args.repeats):
            for name in list(runs) if r % 2 == 0 else list(runs)[::-1]:
                time.sleep(0.05)
                t0 = time.perf_counter()
                runs[name]()
                times[name].append(time.perf_counter() - t0)
    old, new = times[args.base], times["working tree"]
    print(f"{w.name} {dtype.name}, {args.repeats} alternating rounds:")
    for name, ts in times.items():
        print(f"  {name:>12}: median {statistics.median(ts) * 1e3:.1f} ms, min {min(ts) * 1e3:.1f} ms")
    paired = statistics.median(a / b for a, b in zip(old, new, strict=True))
    print(f"  speedup: {statistics.median(old) / statistics.median(new):.3f}x (medians), {paired:.3f}x (per round)")


if __name__ == "__main__":
    main()
