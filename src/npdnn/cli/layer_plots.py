"""``plot_diagnostics(history, path)``: a PNG of what :class:`npdnn.callbacks.Diagnostics`
recorded, for seeing inside a training run.

Top: one panel per quantity over the epochs, one line per layer (colours go from the
first layer, dark, to the output layer, light): the weight norm, the gradient per weight,
the update/weight ratio, the std of Z, the mean of A, and the share of dead ReLU (solid)
or saturated sigmoid/tanh (dashed) units. Bottom: per layer, histograms of its
activations A on the probe and of its gradient dW, one outline per chosen epoch.

Drawn with matplotlib's object API on the Agg canvas (no display, no pyplot state) and
written atomically, as :mod:`npdnn.cli.plots`.
"""

from __future__ import annotations

import io

import numpy as np

from ..files.archive import atomic_write

PANELS = (
    ("W_norm", "||W||  (weight norm)", "log", None),
    ("dW_rms", "rms of dW  (gradient per weight)", "log", None),
    ("update_ratio", "||ΔW|| / ||W|| per epoch  (too high above ~0.1)", "log", None),
    ("Z_std", "std of Z on the probe  (≈1 is healthy)", "log", None),
    ("A_mean", "mean of A on the probe", "linear", None),
    ("dead", "dead ReLU units (—) / saturated units (--)", "linear", (-0.03, 1.03)),
)


def plot_diagnostics(history, path, title=None):
    """Write a PNG of ``history["diagnostics"]`` (or of that dict itself) to ``path``.

    ``history`` is what ``fit`` returned with a :class:`~npdnn.callbacks.Diagnostics`
    callback (or ``DNNClassifier.diagnostics_``). ``title`` heads the figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    record = history.get("diagnostics", history)
    if not record or not record.get("epoch"):
        raise ValueError(
            "no diagnostics to plot: train with callbacks=[npdnn.callbacks.Diagnostics(probe=X[:256])] "
            "and pass the history fit returns"
        )
    epochs = np.asarray(record["epoch"]) + 1  # shown 1-based, as the warnings say them
    L = len(record["W_norm"][0])
    colors = [_color(l, L) for l in range(L)]
    hist = record.get("histograms", [])
    fig = Figure(figsize=(max(13, 2.6 * L), 10.5 if hist else 6), layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.25, 1]) if hist else (fig, None)
    axes = top.subplots(2, 3).ravel()
    for ax, (key, label, scale, ylim) in zip(axes, PANELS, strict=False):
        _series(ax, epochs, record, key, colors, scale)
        if key == "dead":
            _series(ax, epochs, record, "saturated", colors, scale, linestyle="--")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("epoch")
        # every panel spans all epochs: on a log axis a value that became exactly 0 ends its line early
        ax.set_xlim(epochs[0] - 0.5, epochs[-1] + 0.5)
        if ylim:
            ax.set_ylim(*ylim)
        ax.grid(alpha=0.3)
    axes[0].legend([f"layer {l + 1}" + (" (output)" if l == L - 1 else "") for l in range(L)], fontsize=8)
    if title:
        fig.suptitle(title, fontsize=13)
    if bottom is not None:
        _histograms(bottom, hist, L)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    atomic_write(path, lambda f: f.write(buf.getvalue()))


def _color(l, L):
    from matplotlib import colormaps

    return colormaps["viridis"](0.85 * l / max(L - 1, 1))


def _series(ax, epochs, record, key, colors, scale, linestyle="-"):
    values = np.array([[np.nan if v is None else v for v in row] for row in record.get(key, [])], dtype=float)
    if values.size == 0 or np.isnan(values).all():
        return
    for l in range(values.shape[1]):
        y = values[:, l]
        if scale == "log":
            y = np.where(y > 0, y, np.nan)  # a zero (a dead layer's gradient) has no place on a log axis
        ax.plot(epochs, y, color=colors[l], linestyle=linestyle, marker="." if len(epochs) < 30 else None)
    if scale == "log" and np.isfinite(np.where(values > 0, values, np.nan)).any():
        ax.set_yscale("log")


def _major_labels_only(ax):
    from matplotlib.ticker import NullFormatter

    ax.yaxis.set_minor_formatter(NullFormatter())  # "3x10^1, 4x10^1, ..." crowd a small panel


def _histograms(subfig, hist, L):
    from matplotlib.ticker import MaxNLocator

    shown = sorted({h["epoch"] for h in hist})
    styles = dict(zip(shown, ("C3", "C1", "C0", "C2", "C4"), strict=False))
    whats = [w for w in ("A", "dW") if any(h["what"] == w for h in hist)]
    axes = subfig.subplots(len(whats), L, squeeze=False)
    for r, what in enumerate(whats):
        for l in range(1, L + 1):
            ax = axes[r][l - 1]
            for h in hist:
                if h["what"] == what and h["layer"] == l and len(h["counts"]):
                    ax.stairs(
                        h["counts"], h["edges"], color=styles.get(h["epoch"], "k"), label=f"epoch {h['epoch'] + 1}"
                    )
            ax.set_yscale("log")
            _major_labels_only(ax)
            ax.xaxis.set_major_locator(MaxNLocator(4))  # narrow panels: fewer, unclashing labels
            ax.tick_params(labelsize=7)
            ax.set_title(f"{'A' if what == 'A' else 'dW'}{l}" + (" (output)" if l == L else ""), fontsize=9)
        axes[r][0].set_ylabel("activations A on the probe" if what == "A" else "gradient dW entries", fontsize=9)
    axes[0][0].legend(fontsize=7)
    subfig.suptitle("histograms at chosen epochs (counts, log scale)", fontsize=10)
