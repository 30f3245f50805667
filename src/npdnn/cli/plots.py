"""Training plots as PNG files: learning curves, and the decision boundary of a
2-feature model.

Drawn with matplotlib's object API (``Figure`` + the Agg canvas), never pyplot's
global state, so it works without a display and from several threads; the PNG
is rendered in memory and written atomically.
"""

from __future__ import annotations

import io

import numpy as np

from ..files.archive import atomic_write

GRID = 200  # decision-boundary resolution per axis


def plot_training(path, curves, boundary=None, final_accuracy=None):
    """Write a PNG of the learning curves (and a decision boundary) to ``path``.

    Parameters
    ----------
    curves : dict of lists, one value per epoch
        ``"loss"`` (training cost J), and optionally ``"val_loss"``, ``"accuracy"``
        and ``"val_accuracy"``; missing or None curves are left out, and the
        accuracy panel is drawn only when there is an accuracy curve or
        ``final_accuracy``.
    boundary : dict or None
        For 2-feature data: ``predict_proba`` (callable, (k, 2) array -> (k, K)),
        ``X`` (m, 2) array, ``y`` (m,) labels, ``classes`` (K,) and
        ``feature_names`` (2 strings).
    final_accuracy : dict or None
        ``{"train": 0.98, "test": 0.96}``: accuracies of the trained model, drawn
        as horizontal lines on the accuracy panel.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    has_accuracy = bool(final_accuracy) or any(curves.get(k) for k in ("accuracy", "val_accuracy"))
    n_panels = 1 + has_accuracy + (boundary is not None)
    fig = Figure(figsize=(5 * n_panels, 4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n_panels, squeeze=False)[0]
    _curves(axes[0], curves, ("loss", "val_loss"), "cost J (cross-entropy)", "cost per epoch")
    if has_accuracy:
        for k, (name, value) in enumerate((final_accuracy or {}).items()):
            axes[1].axhline(value, color=f"C{k + 2}", linestyle="--", label=f"{name} (final) {value:.4f}")
        _curves(axes[1], curves, ("accuracy", "val_accuracy"), "accuracy", "accuracy")
        axes[1].set_xlim(axes[0].get_xlim())  # the same epochs axis, even with only the final lines
        shown = [*(final_accuracy or {}).values(), *(curves.get("accuracy") or []), *(curves.get("val_accuracy") or [])]
        axes[1].set_ylim(max(0.0, min(shown) - 0.05), 1.01)  # a line at 1.0 stays visible
    if boundary is not None:
        _boundary(axes[-1], **boundary)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write(path, lambda f: f.write(buf.getvalue()))


def _curves(ax, curves, keys, ylabel, title):
    for key in keys:
        values = curves.get(key)
        if values:
            epochs = np.arange(1, len(values) + 1)
            ax.plot(epochs, values, label="validation" if key.startswith("val_") else "training")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()


def _boundary(ax, predict_proba, X, y, classes, feature_names):
    """Filled contours of the predicted class over a grid spanning the data: the
    probability of the second class for binary models, the argmax otherwise."""
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.where(hi > lo, 0.05 * (hi - lo), 1.0)  # a constant feature still gets a visible band
    g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], GRID)
    g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], GRID)
    G0, G1 = np.meshgrid(g0, g1)
    P = np.asarray(predict_proba(np.column_stack([G0.ravel(), G1.ravel()])))  # (GRID^2, K)
    from matplotlib.colors import ListedColormap

    classes = list(classes)
    colors = ["tab:blue", "tab:red"] if len(classes) == 2 else [f"C{k % 10}" for k in range(len(classes))]
    if len(classes) == 2:
        surface = P[:, 1].reshape(G0.shape)
        filled = ax.contourf(G0, G1, surface, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
        ax.contour(G0, G1, surface, levels=[0.5], colors="k", linewidths=1)
        ax.figure.colorbar(filled, ax=ax, label=f"P({classes[1]})")
    else:
        surface = P.argmax(axis=1).reshape(G0.shape)
        # One colour per class, the same as its points: level k covers argmax == k.
        levels = np.arange(len(classes) + 1) - 0.5
        ax.contourf(G0, G1, surface, levels=levels, cmap=ListedColormap(colors), alpha=0.3)
    y = np.asarray(y)
    for k, label in enumerate(classes):
        mask = y == label
        ax.scatter(X[mask, 0], X[mask, 1], s=12, color=colors[k], edgecolors="k", linewidths=0.3, label=str(label))
    ax.set_xlabel(str(feature_names[0]))
    ax.set_ylabel(str(feature_names[1]))
    ax.set_title("decision boundary")
    ax.legend(loc="best", fontsize="small")
