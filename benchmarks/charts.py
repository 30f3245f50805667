"""The bottleneck charts of benchmarks/README.md and docs/performance.md (matplotlib, Agg).

    .venv/bin/python benchmarks/charts.py benchmarks/results/bottlenecks-float32-1thread.json   # redraw a saved run

- ``bottlenecks-Nthread.png``: one panel per workload, one stacked bar per implementation:
  microseconds per training step split into forward GEMMs, backward GEMMs,
  element-wise work, the optimizer update, batch gathering and the rest.
- ``roofline-Nthread.png``: FLOPs per step against seconds per step (log-log), one marker per
  implementation and workload, with the measured GEMM peak drawn as the line
  FLOPs = peak x time: a point on the line would run at the GEMM peak; the distance
  below it is time spent on anything but GEMM arithmetic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from npdnn.train.profiling import PARTS

LABELS = {
    "gemm_fwd": "forward GEMMs",
    "gemm_bwd": "backward GEMMs",
    "elementwise": "element-wise (activations, loss, masks, db)",
    "optimizer": "optimizer update",
    "gather": "batch gathering",
    "rest": "rest (interpreter, framework overhead)",
}
COLORS = {
    "gemm_fwd": "#1f77b4",
    "gemm_bwd": "#6baed6",
    "elementwise": "#ff7f0e",
    "optimizer": "#2ca02c",
    "gather": "#9467bd",
    "rest": "#bdbdbd",
}
MARKERS = {"npdnn": "o", "torch": "s", "keras": "^", "jax": "D", "sklearn": "v"}
NAMES = {"npdnn": "npdnn", "torch": "PyTorch", "keras": "Keras/TF", "jax": "JAX (XLA)", "sklearn": "scikit-learn"}


def stacked_bars(run, path):
    """``run["workloads"][W][impl]["per_step"][part]`` (seconds) -> a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(run["workloads"])
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names), 5.2), squeeze=False)
    for ax, wname in zip(axes[0], names, strict=True):
        splits = run["workloads"][wname]
        impls = list(splits)
        bottom = [0.0] * len(impls)
        for part in PARTS:
            vals = [1e6 * splits[i]["per_step"][part] for i in impls]
            ax.bar([NAMES[i] for i in impls], vals, bottom=bottom, color=COLORS[part], label=LABELS[part])
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        for x, i in enumerate(impls):
            saving = splits[i].get("fusion_saving", 0.0)
            # the parts timed alone took longer than the real step: XLA's fusion for JAX, else noise
            note = f"\n(parts alone +{1e6 * saving:.0f})" if saving > 0.02 * splits[i]["step_s"] else ""
            ax.text(x, bottom[x], f"{1e6 * splits[i]['step_s']:.0f}{note}", ha="center", va="bottom", fontsize=8)
        ax.set_title(f"{wname} {run['dims'][wname]}", fontsize=10)
        ax.set_ylabel("microseconds per training step")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.margins(y=0.15)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(f"Where one training step's time goes ({run['dtype']}, {run['machine_short']})", fontsize=11)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def roofline(run, path):
    """FLOPs per step against seconds per step, with the GEMM peak line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    peak = run["gemm_peak_gflops"] * 1e9
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    ts = []
    for wname, splits in run["workloads"].items():
        flops = run["flops_per_step"][wname]
        for impl, s in splits.items():
            t = s["step_s"]
            ts.append(t)
            ax.scatter(
                t,
                flops,
                marker=MARKERS[impl],
                s=50,
                color=f"C{list(MARKERS).index(impl)}",
                label=NAMES[impl] if wname == next(iter(run["workloads"])) else None,
            )
            ax.annotate(wname, (t, flops), textcoords="offset points", xytext=(5, 3), fontsize=8)
    lo, hi = min(ts) / 3, max(ts) * 3
    ax.plot([lo, hi], [peak * lo, peak * hi], "k--", lw=1, label=f"GEMM peak {peak / 1e9:.0f} GFLOP/s")
    ax.plot([lo, hi], [0.1 * peak * lo, 0.1 * peak * hi], "k:", lw=0.8, label="10% of the peak")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("seconds per training step")
    ax.set_ylabel("nominal FLOPs per step (3 GEMMs per layer, no dA0)")
    ax.set_title(f"Roofline of one training step ({run['dtype']}, {run['machine_short']})", fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw(run, folder, suffix=""):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"bottlenecks{suffix}.png", folder / f"roofline{suffix}.png"]
    stacked_bars(run, paths[0])
    roofline(run, paths[1])
    return paths


if __name__ == "__main__":
    src = Path(sys.argv[1])  # benchmarks/results/bottlenecks-float32-Nthread.json
    run = json.loads(src.read_text())
    for p in draw(run, src.parent.parent / "figures", suffix=f"-{run['threads']}thread"):
        print(p)
