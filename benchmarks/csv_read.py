"""Reading a large CSV: npdnn's reader against pandas' C parser alone (issue 13).

Writes a CSV of about ``--gb`` GB (50 float columns and a text label) into a
temporary folder, then reads it, each read in its own process, alternating
``pandas.read_csv(path)`` and ``npdnn.cli.datasets.read_csv(path, "label")`` for
``--repeats`` rounds; prints time and peak RSS (VmHWM above the RSS before the
read) of each, against the size of the numeric data (rows x 50 x 8 bytes), and
deletes the file.

    nice -n 10 .venv/bin/python benchmarks/csv_read.py --gb 1 --repeats 2
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

N_FEATURES = 50


def _kb(field):
    return int(re.search(rf"{field}:\s+(\d+)", open("/proc/self/status").read()).group(1))


def child(reader, path):
    import pandas as pd

    from npdnn.cli.datasets import read_csv

    before = _kb("VmRSS")
    t0 = time.perf_counter()
    if reader == "pandas":
        frame = pd.read_csv(path, engine="c")
        rows = len(frame)
    else:
        X, y = read_csv(path, "label")
        rows = len(y)
    seconds = time.perf_counter() - t0
    print(json.dumps({"reader": reader, "s": seconds, "extra_mb": (_kb("VmHWM") - before) / 1024, "rows": rows}))


def write_csv(path, gb):
    """About ``gb`` GB: one block of 20,000 random rows, written again and again
    (the parser's work per byte is what counts, not that rows repeat)."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, N_FEATURES))
    labels = np.where(X[:, 0] > 0, "yes", "no")
    text = np.char.mod("%.9g", X)  # about 12 characters a number
    block = "\n".join(",".join(row) + "," + lab for row, lab in zip(text.tolist(), labels.tolist(), strict=True))
    with open(path, "w") as f:
        f.write(",".join([f"x{j}" for j in range(N_FEATURES)] + ["label"]) + "\n")
        while f.tell() < gb * 1e9:
            f.write(block + "\n")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2], sys.argv[3])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gb", type=float, default=1.0)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--tmp", default=None)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        path = os.path.join(tmp, "big.csv")
        t0 = time.perf_counter()
        write_csv(path, args.gb)
        size = os.path.getsize(path)
        print(f"wrote {size / 1e9:.2f} GB in {time.perf_counter() - t0:.0f} s", flush=True)
        results = []
        for _ in range(args.repeats):
            for reader in ("pandas", "npdnn"):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", reader, path], capture_output=True, text=True
                )
                if out.returncode:
                    raise SystemExit(out.stderr)
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(results[-1], flush=True)
    rows = results[0]["rows"]
    numeric_mb = rows * N_FEATURES * 8 / 2**20
    print(f"\n{size / 1e9:.2f} GB CSV, {rows} rows x {N_FEATURES} floats + a label: numeric data {numeric_mb:.0f} MB")
    print(f"{'reader':<8}{'seconds':>22}{'peak extra MB':>26}{'x numeric':>12}")
    for reader in ("pandas", "npdnn"):
        rs = [r for r in results if r["reader"] == reader]
        secs = ", ".join(f"{r['s']:.1f}" for r in rs)
        mbs = ", ".join(f"{r['extra_mb']:.0f}" for r in rs)
        worst = max(r["extra_mb"] for r in rs) / numeric_mb
        print(f"{reader:<8}{secs:>22}{mbs:>26}{worst:>12.2f}")
    ratio = [b["s"] / a["s"] for a, b in zip(results[::2], results[1::2], strict=True)]
    print("npdnn / pandas time, per round: " + ", ".join(f"{r:.2f}" for r in ratio))


if __name__ == "__main__":
    main()
