"""The spread over several saved full runs (``bench.py --save PATH``), as markdown.

    .venv/bin/python benchmarks/spread.py benchmarks/results/run-*.json

Prints, for each workload and dtype, npdnn's speedup over each peer in every run
(same-run ratios of the medians) with its min-max, then issue 18's targets per run.
"""

from __future__ import annotations

import json
import sys

ORDER = ("torch", "sklearn", "keras", "jax")
NAMES = {"torch": "PyTorch", "sklearn": "MLPClassifier", "keras": "Keras/TF", "jax": "JAX"}


def load(paths):
    return [json.load(open(p)) for p in paths]


def ratio_table(runs):
    keys = []
    for run in runs:
        for r in run["results"]:
            if r["impl"] != "npdnn" and (r["workload"], r["dtype"], r["impl"]) not in keys:
                keys.append((r["workload"], r["dtype"], r["impl"]))
    keys.sort(key=lambda k: (k[0], k[1], ORDER.index(k[2])))
    head = ["workload", "npdnn over", *[run["when"][11:] for run in runs], "min-max"]
    rows = []
    for w, d, impl in keys:
        cells = []
        for run in runs:
            res = {(r["workload"], r["dtype"], r["impl"]): r["s"] for r in run["results"]}
            ours, theirs = res.get((w, d, "npdnn")), res.get((w, d, impl))
            cells.append(theirs / ours if ours and theirs else None)
        got = [c for c in cells if c is not None]
        span = f"{min(got):.2f}x-{max(got):.2f}x" if got else "-"
        rows.append([f"{w} {d}", NAMES[impl], *[f"{c:.2f}x" if c else "-" for c in cells], span])
    return head, rows


def target_table(runs, key="targets_18"):
    names = []
    for run in runs:
        names += [t[0] for t in run.get(key, []) if t[0] not in names]
    head = ["target", *[run["when"][11:] for run in runs]]
    rows = []
    for name in names:
        cells = []
        for run in runs:
            hit = {t[0]: t for t in run.get(key, [])}.get(name)
            cells.append(f"{hit[1]} {'met' if hit[2] == 'met' else '**MISSED**'}" if hit else "-")
        rows.append([name, *cells])
    rows.append(
        ["met", *[f"{sum(t[2] == 'met' for t in run.get(key, []))} of {len(run.get(key, []))}" for run in runs]]
    )
    return head, rows


def markdown(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


if __name__ == "__main__":
    runs = load(sys.argv[1:])
    print(markdown(*ratio_table(runs)))
    print()
    print(markdown(*target_table(runs)))
