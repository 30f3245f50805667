"""In-process A/B of DNNClassifier's work on a raw DataFrame outside the training loop: the column
plan, the checks that warn, the scaling (fit), and the plan's transform (predict_proba).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/column_plan_time.py --base HEAD~1 --repeats 5

The base revision is imported beside the working tree as ``npdnn_base`` (ab.py's way) and the two
fit in alternating order on the panel's adult split (seed 1). "outside the loop" is the fit's wall
time less the time spent in ``npdnn.train.loop.fit``; predict_proba runs on the 6,513 test rows.
Prints the medians with the load average and writes the raw times as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from ab import import_base  # noqa: E402
from panel import load, split  # noqa: E402


def timed_fits(package, X, y, X_test, dtype):
    """``run()`` -> (fit s, loop s, predict_proba s) of one fresh DNNClassifier of ``package``."""
    estimator = importlib.import_module(package.__name__ + ".sklearn.estimator")
    train, spent = estimator.train, []

    def timed_train(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return train(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - t0)

    estimator.train = timed_train

    def run():
        spent.clear()
        model = package.DNNClassifier(random_state=1, dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            model.fit(X, y)
            t1 = time.perf_counter()
        model.predict_proba(X_test)
        t2 = time.perf_counter()
        return t1 - t0, sum(spent), t2 - t1

    return run


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default="HEAD", help="git revision to compare the working tree with")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", help="JSON file for the raw times")
    args = p.parse_args(argv)

    import npdnn

    X, y = load("adult")
    X_train, X_test, y_train, _ = split(X, y, 1)
    with tempfile.TemporaryDirectory() as folder:
        base = import_base(args.base, folder)
        runs = {
            args.base: timed_fits(base, X_train, y_train, X_test, args.dtype),
            "working tree": timed_fits(npdnn, X_train, y_train, X_test, args.dtype),
        }
        for run in runs.values():
            run()  # warm-up: imports, the compiled step
        times = {name: [] for name in runs}
        load_before = os.getloadavg()
        for r in range(args.repeats):
            for name in list(runs) if r % 2 == 0 else list(runs)[::-1]:
                time.sleep(0.05)
                times[name].append(runs[name]())
        load_after = os.getloadavg()
    print(f"adult, DNNClassifier(dtype={args.dtype}), {args.repeats} alternating rounds, medians in ms")
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"| code | fit | training loop | fit outside the loop | predict_proba ({X_test.shape[0]} rows) |")
    print("|---|---|---|---|---|")
    for name, rows in times.items():
        fit, loop, proba = (statistics.median(column) * 1e3 for column in zip(*rows, strict=True))
        outside = statistics.median(f - t for f, t, _ in rows) * 1e3
        print(f"| {name} | {fit:.0f} | {loop:.0f} | {outside:.1f} | {proba:.1f} |")
    if args.out:
        raw = {"load": [load_before, load_after], "dtype": args.dtype, "fit, loop, predict_proba (s)": times}
        Path(args.out).write_text(json.dumps(raw, indent=1) + "\n")


if __name__ == "__main__":
    main()
