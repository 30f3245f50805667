"""``npdnn train --plot``'s figure (npdnn.cli.plots.plot_training), inspected as an object:
the panels' titles, the training and validation curves, the restored best epoch, and
for two classes the ROC and calibration curves of the test rows."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from npdnn.cli.plots import plot_training  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def curves(n=30):
    epochs = np.arange(n)
    return {
        "loss": list(0.7 * np.exp(-epochs / 8) + 0.1),
        "val_loss": list(0.7 * np.exp(-epochs / 8) + 0.2 + 0.004 * np.maximum(epochs - 12, 0) ** 1.5),
        "accuracy": list(0.6 + 0.35 * (1 - np.exp(-epochs / 6))),
        "val_accuracy": list(0.6 + 0.25 * (1 - np.exp(-epochs / 6))),
    }


def test_plot_has_every_panel_and_the_best_epoch(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.random(200) < 0.4
    proba = np.clip(0.4 + 0.3 * (y - 0.4) + 0.2 * rng.standard_normal(200), 0, 1)
    path = tmp_path / "plot.png"
    fig = plot_training(
        path, curves(), final_accuracy={"train": 0.93, "test": 0.84}, best_epoch=12,
        test={"y": y, "proba": proba, "label": ">50K"},
    )  # fmt: skip
    assert path.read_bytes()[:8] == PNG
    axes = {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}
    assert set(axes) == {
        "loss per epoch", "accuracy per epoch", "ROC curve, test rows (positive: >50K)",
        "calibration, test rows (dot size: rows)",
    }  # fmt: skip
    # the training loss is the cost minimized, L2 term included; the validation loss is not: the legend says so
    named = {
        "loss": ("training (cost + L2 term)", "validation (cross-entropy)"),
        "accuracy": ("training", "validation"),
    }
    for title, prefix in (("loss per epoch", "loss"), ("accuracy per epoch", "accuracy")):
        ax = axes[title]
        labels = [line.get_label() for line in ax.get_lines()]
        assert set(named[prefix]) <= set(labels)
        (best,) = [line for line in ax.get_lines() if line.get_label() == "best epoch 13 (restored)"]
        assert list(best.get_xdata()) == [13, 13]  # 1-based on the epoch axis
        (train,) = [line for line in ax.get_lines() if line.get_label() == named[prefix][0]]
        assert np.allclose(train.get_ydata(), curves()[prefix if prefix == "loss" else "accuracy"])
    roc = axes["ROC curve, test rows (positive: >50K)"]
    (auc_line,) = [line for line in roc.get_lines() if line.get_label().startswith("AUC ")]
    from sklearn.metrics import roc_auc_score

    assert auc_line.get_label() == f"AUC {roc_auc_score(y, proba):.3f}"
    assert auc_line.get_xdata()[0] == 0 and auc_line.get_xdata()[-1] == 1
    calibration = axes["calibration, test rows (dot size: rows)"]
    (points,) = calibration.collections  # one scatter: a dot per non-empty bin
    xy = points.get_offsets()
    assert len(xy) >= 3 and np.all((xy >= 0) & (xy <= 1))
    # the bins' observed shares, recomputed
    bins = np.clip(np.digitize(proba, np.linspace(0, 1, 11)[1:-1]), 0, 9)
    shares = [y[bins == b].mean() for b in np.unique(bins)]
    assert np.allclose(xy[:, 1], shares)


def test_multiclass_or_no_test_rows_draws_the_curves_only(tmp_path):
    only = {"loss": curves()["loss"]}
    fig = plot_training(tmp_path / "a.png", only)
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["loss per epoch"]
    fig = plot_training(tmp_path / "b.png", curves(), best_epoch=None)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["loss per epoch", "accuracy per epoch"]
    assert not any("best epoch" in line.get_label() for ax in fig.axes for line in ax.get_lines())
