"""Training plots as PNG files: learning curves (training and validation loss and
accuracy, the restored best epoch marked), for two classes a ROC curve and a calibration
curve of the test rows, and the decision boundary of a 2-feature model.

Drawn with matplotlib's object API (``Figure`` + the Agg canvas), never pyplot's
global state, so it works without a display and from several threads; the PNG
is rendered in memory and written atomically.
"""

from __future__ import annotations

import io

import numpy as np

from ..files.archive import atomic_write

GRID = 200  # decision-boundary resolution per axis


def plot_training(path, curves, boundary=None, final_accuracy=None, best_epoch=None, test=None):
    """Write a PNG of the learning curves (and test-row and boundary panels) to ``path``.

    Parameters
    ----------
    curves : dict of lists, one value per epoch
        ``"loss"`` (training cost J), and optionally ``"val_loss"``, ``"accuracy"``
        (training) and ``"val_accuracy"``; missing or None curves are left out, and the
        accuracy panel is drawn only when there is an accuracy curve or ``final_accuracy``.
    boundary : dict or None
        For 2-feature data: ``predict_proba`` (callable, (k, 2) array -> (k, K)),
        ``X`` (m, 2) array, ``y`` (m,) labels, ``classes`` (K,) and
        ``feature_names`` (2 strings).
    final_accuracy : dict or None
        ``{"train": 0.98, "test": 0.96}``: accuracies of the trained model, drawn
        as horizontal lines on the accuracy panel.
    best_epoch : int or None
        0-based epoch whose weights early stopping restored: a dotted vertical line
        (label "best epoch N", 1-based) on both curve panels and a dot on the validation loss.
    test : dict or None
        Two classes only: ``y`` (m,) bool, True for the positive class, ``proba`` (m,)
        its predicted probability on the test rows, ``label`` its name; adds a ROC curve
        and a calibration curve (reliability diagram) of the test rows.

    Returns
    -------
    fig : matplotlib.figure.Figure, the drawn figure (for tests and notebooks)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    has_accuracy = bool(final_accuracy) or any(curves.get(k) for k in ("accuracy", "val_accuracy"))
    kinds = ["loss", *(["accuracy"] if has_accuracy else []), *(["roc", "calibration"] if test else [])]
    kinds += ["boundary"] if boundary is not None else []
    n_cols = 2 if len(kinds) == 4 else min(len(kinds), 3)  # four panels read best as 2 x 2
    n_rows = -(-len(kinds) // n_cols)
    fig = Figure(figsize=(5.2 * n_cols, 4.2 * n_rows), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax in grid[len(kinds) :]:
        ax.set_visible(False)
    axes = dict(zip(kinds, grid, strict=False))
    _curves(axes["loss"], curves, ("loss", "val_loss"), "cost J (cross-entropy)", "loss per epoch")
    if has_accuracy:
        ax = axes["accuracy"]
        for k, (name, value) in enumerate((final_accuracy or {}).items()):
            ax.axhline(value, color=f"C{k + 2}", linestyle="--", linewidth=1, label=f"{name} (final) {value:.3f}")
        _curves(ax, curves, ("accuracy", "val_accuracy"), "accuracy", "accuracy per epoch")
        ax.set_xlim(axes["loss"].get_xlim())  # the same epochs axis, even with only the final lines
        shown = [*(final_accuracy or {}).values(), *(curves.get("accuracy") or []), *(curves.get("val_accuracy") or [])]
        ax.set_ylim(max(0.0, min(shown) - 0.05), 1.01)  # a line at 1.0 stays visible
        ax.legend(fontsize="small", loc="lower right")
    if best_epoch is not None:
        _mark_best(axes["loss"], curves.get("val_loss"), best_epoch)
        if has_accuracy:
            _mark_best(axes["accuracy"], curves.get("val_accuracy"), best_epoch)
    if test:
        _roc(axes["roc"], **test)
        _calibration(axes["calibration"], **test)
    if boundary is not None:
        _boundary(axes["boundary"], **boundary)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write(path, lambda f: f.write(buf.getvalue()))
    return fig


# The training loss is the cost minimized, L2 term included (as MLPClassifier's loss_curve_); the
# validation loss is the cross-entropy alone, so with l2 > 0 the training curve can lie above it.
_LABELS = {"loss": "training (cost + L2 term)", "val_loss": "validation (cross-entropy)", "val_accuracy": "validation"}


def _curves(ax, curves, keys, ylabel, title):
    for key in keys:
        values = curves.get(key)
        if values:
            epochs = np.arange(1, len(values) + 1)
            ax.plot(epochs, values, label=_LABELS.get(key, "training"))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()


def _mark_best(ax, validation, best_epoch):
    """A dotted vertical line at the restored epoch (1-based on the axis) and a dot on the validation curve."""
    x = best_epoch + 1
    ax.axvline(x, color="k", linestyle=":", linewidth=1.2, label=f"best epoch {x} (restored)")
    if validation and best_epoch < len(validation):
        ax.plot([x], [validation[best_epoch]], "o", color="C1", markersize=6)
    ax.legend()


def _roc(ax, y, proba, label):
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y, proba)
    ax.plot(fpr, tpr, color="C0", label=f"AUC {roc_auc_score(y, proba):.3f}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="chance")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(f"ROC curve, test rows (positive: {label})")
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")


def _calibration(ax, y, proba, label, bins=10):
    """Mean predicted probability against the observed share of positives, per bin of
    equal width (bins with no test row are left out), with each bin's row count as the dot's size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(proba, edges[1:-1]), 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    used = count > 0
    predicted = np.bincount(which, weights=proba, minlength=bins)[used] / count[used]
    observed = np.bincount(which, weights=np.asarray(y, dtype=np.float64), minlength=bins)[used] / count[used]
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    ax.plot(predicted, observed, "-", color="C0")
    ax.scatter(predicted, observed, s=20 + 200 * count[used] / count.max(), color="C0", zorder=3, label="test rows")
    ax.set_xlim(-0.02, 1.02)  # dots at 0 and 1 stay whole
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(f"predicted P({label})")
    ax.set_ylabel("observed share")
    ax.set_title("calibration, test rows (dot size: rows)")
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")


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
