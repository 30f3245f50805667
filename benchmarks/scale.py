"""Scale benchmark (issue 13): time and peak memory of one epoch of ``fit`` and of
``predict_proba`` against the number of rows m, for each way a caller holds X.

Networks (float32, Adam, ``diagnostics=False``): B ``[784, 256, 128, 1]`` (batch
128) and the narrow ``[50, 64, 32, 1]`` (batch 64). Layouts: a C-ordered array, an F-ordered array
(what ``DataFrame.to_numpy()`` returns), a DataFrame, and a memory-mapped ``.npy``
(``np.load(..., mmap_mode="r")``). Each (network, layout, m) runs in its own
subprocess; within it, the peak RSS of ``fit`` and of ``predict_proba`` are read
from ``VmHWM`` after resetting it (``/proc/self/clear_refs``) before each, so the
data generation's own peak does not count. "extra" is the peak minus the RSS
before the call (which holds X, except for the memory map, whose pages are read
into the page cache during the call and count in its RSS).

Usage::

    nice -n 10 .venv/bin/python benchmarks/scale.py                  # the full range
    nice -n 10 .venv/bin/python benchmarks/scale.py --max-rows 1e6   # a reduced one
    .venv/bin/python benchmarks/scale.py --plot-only                 # redraw from the JSON

Results go to ``benchmarks/scale.json`` (appended as each configuration ends, so an
interrupted run keeps what it measured), ``benchmarks/scale.png`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NETS = {"B": ([784, 256, 128, 1], 128), "narrow": ([50, 64, 32, 1], 64)}
LAYOUTS = ("C", "F", "DataFrame", "memmap")
SIZES = (10_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)
BLOCK = 100_000  # rows generated at a time (no float64 temporary of the whole X)
# A fixed mmap threshold: glibc otherwise raises it after the first large free, and the
# freed memory of fit then stays resident and hides predict's allocations from VmHWM.
CHILD_ENV = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}


def _rss_kb(field):
    return int(re.search(rf"{field}:\s+(\d+)", open("/proc/self/status").read()).group(1))


def _measured(fn):
    """(seconds, peak RSS during fn in MB, RSS before in MB)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    before = _rss_kb("VmRSS")
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    return seconds, _rss_kb("VmHWM") / 1024, before / 1024


def generate(m, n, path=None, order="C"):
    """Random float32 X (m, n) and labels from a fixed rule, written block by block
    (into a .npy file when ``path`` is given)."""
    import numpy as np

    rng = np.random.default_rng(0)
    if path is None:
        X = np.empty((m, n), dtype=np.float32, order=order)
    else:
        X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(m, n))
    for start in range(0, m, BLOCK):
        stop = min(m, start + BLOCK)
        X[start:stop] = rng.standard_normal((stop - start, n), dtype=np.float32)
    if path is not None:
        X.flush()
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X, y


def child(net_name, layout, m, data_path):
    """One configuration, in this (fresh) process: prints one JSON line."""
    import numpy as np

    from npdnn import Network

    dims, batch = NETS[net_name]
    if layout == "memmap":
        X = np.load(data_path, mmap_mode="r")
        y = np.load(data_path + ".y.npy")
    else:
        X, y = generate(m, dims[0], order="F" if layout in ("F", "DataFrame") else "C")
        if layout == "DataFrame":
            import pandas as pd

            X = pd.DataFrame(X, columns=[f"x{j}" for j in range(dims[0])], copy=False)
    net = Network(dims, seed=0, dtype=np.float32)
    net.predict_proba(X[:10] if layout != "DataFrame" else X.iloc[:10])  # imports and first-call costs
    # diagnostics=False: the end-of-fit checks (a prediction pass over all rows) are not the epoch
    fit = _measured(lambda: net.fit(X, y, optimizer="adam", batch_size=batch, epochs=1, seed=0, diagnostics=False))
    predict = _measured(lambda: net.predict_proba(X))
    x_mb = m * dims[0] * 4 / 2**20
    print(json.dumps({
        "net": net_name, "layout": layout, "m": m, "x_mb": x_mb,
        "fit_s": fit[0], "fit_peak_mb": fit[1], "fit_before_mb": fit[2],
        "predict_s": predict[0], "predict_peak_mb": predict[1], "predict_before_mb": predict[2],
    }))  # fmt: skip


def fits(dims, m, layout, budget_gb):
    """Whether a configuration fits the memory budget: X, plus a second X for
    the memory map's page cache, plus 1.5 GB for the rest."""
    x_gb = m * dims[0] * 4 / 2**30
    return x_gb + 1.5 <= budget_gb


def run(args):
    out_json = os.path.join(HERE, "scale.json")
    results = [] if args.fresh or not os.path.exists(out_json) else json.load(open(out_json))
    done = {(r["net"], r["layout"], r["m"]) for r in results}
    skipped = []
    for net_name in args.nets:
        dims, _ = NETS[net_name]
        for m in [s for s in SIZES if s <= args.max_rows]:
            if not fits(dims, m, None, args.memory_gb):
                skipped.append(f"{net_name} m={m:.0e}: X alone is {m * dims[0] * 4 / 2**30:.1f} GB")
                continue
            data_path = None
            with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
                for layout in args.layouts:
                    if (net_name, layout, m) in done:
                        continue
                    if layout == "memmap" and data_path is None:
                        data_path = os.path.join(tmp, "X.npy")
                        import numpy as np

                        _, y = generate(m, dims[0], path=data_path)
                        np.save(data_path + ".y.npy", y)
                        del y
                    cmd = [sys.executable, __file__, "--child", net_name, layout, str(m), data_path or ""]
                    try:
                        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=CHILD_ENV)
                    except subprocess.TimeoutExpired:
                        skipped.append(f"{net_name} {layout} m={m:.0e}: over {args.timeout} s")
                        continue
                    if p.returncode != 0:
                        skipped.append(f"{net_name} {layout} m={m:.0e}: exit {p.returncode} {p.stderr[-300:]}")
                        continue
                    results.append(json.loads(p.stdout.strip().splitlines()[-1]))
                    print(row(results[-1]), flush=True)
                    with open(out_json, "w") as f:
                        json.dump(results, f, indent=1)
    return results, skipped


HEADER = (
    f"{'net':<7}{'layout':<10}{'m':>10}{'X MB':>9}{'fit s':>9}{'fit us/row':>11}{'fit extra MB':>13}"
    f"{'pred s':>9}{'pred us/row':>12}{'pred extra MB':>14}"
)


def row(r):
    return (
        f"{r['net']:<7}{r['layout']:<10}{r['m']:>10}{r['x_mb']:>9.0f}{r['fit_s']:>9.2f}"
        f"{1e6 * r['fit_s'] / r['m']:>11.2f}{r['fit_peak_mb'] - r['fit_before_mb']:>13.0f}"
        f"{r['predict_s']:>9.2f}{1e6 * r['predict_s'] / r['m']:>12.3f}"
        f"{r['predict_peak_mb'] - r['predict_before_mb']:>14.0f}"
    )


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True)
    for (net_name, layout), style in zip(
        [(n, lay) for n in NETS for lay in LAYOUTS],
        [c + s for c in ("-", "--") for s in ("o", "s", "^", "v")],
        strict=True,
    ):
        rs = sorted((r for r in results if r["net"] == net_name and r["layout"] == layout), key=lambda r: r["m"])
        if not rs:
            continue
        m = [r["m"] for r in rs]
        label = f"{net_name} {layout}"
        axes[0, 0].plot(m, [1e6 * r["fit_s"] / r["m"] for r in rs], style, label=label)
        axes[0, 1].plot(m, [1e6 * r["predict_s"] / r["m"] for r in rs], style, label=label)
        axes[1, 0].plot(m, [r["fit_peak_mb"] - r["fit_before_mb"] for r in rs], style, label=label)
        axes[1, 1].plot(m, [r["predict_peak_mb"] - r["predict_before_mb"] for r in rs], style, label=label)
    titles = [
        "fit, one epoch: time per row (us)",
        "predict_proba: time per row (us)",
        "fit: peak RSS above RSS before (MB)",
        "predict_proba: peak RSS above RSS before (MB)",
    ]
    for ax, title in zip(axes.flat, titles, strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("rows m")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("npdnn scale: float32, Adam, one epoch (each point its own process)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        net_name, layout, m, data_path = sys.argv[2:6]
        return child(net_name, layout, int(m), data_path or None)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-rows", type=float, default=1e7)
    p.add_argument("--nets", nargs="+", default=list(NETS), choices=list(NETS))
    p.add_argument("--layouts", nargs="+", default=list(LAYOUTS), choices=list(LAYOUTS))
    p.add_argument("--memory-gb", type=float, default=8.0, help="skip sizes whose X does not fit this budget")
    p.add_argument("--timeout", type=float, default=900, help="seconds per configuration")
    p.add_argument("--tmp", default=None, help="folder for the memory-mapped files")
    p.add_argument("--fresh", action="store_true", help="forget earlier results in scale.json")
    p.add_argument("--plot-only", action="store_true")
    args = p.parse_args()
    if args.plot_only:
        results, skipped = json.load(open(os.path.join(HERE, "scale.json"))), []
    else:
        results, skipped = run(args)
    print(HEADER)
    for r in sorted(results, key=lambda r: (r["net"], LAYOUTS.index(r["layout"]), r["m"])):
        print(row(r))
    for s in skipped:
        print("not run:", s)
    if results:
        plot(results, os.path.join(HERE, "scale.png"))


if __name__ == "__main__":
    main()
