"""One place for each concept (issue 26): what "better" means for a metric (the Monitor
shared by EarlyStopping, ModelCheckpoint and ReduceOnPlateau), and the table of option
constraints and defaults shared by fit, the callbacks, the estimator and the CLI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import npdnn
from npdnn.callbacks import EarlyStopping, ModelCheckpoint
from npdnn.train import options
from npdnn.train.monitor import Monitor
from npdnn.train.schedules import ReduceOnPlateau


@pytest.mark.parametrize(
    ("name", "mode"),
    [("val_loss", "min"), ("loss", "min"), ("val_accuracy", "max"), ("accuracy", "max"), ("val_auc", "max")],
)
def test_the_monitor_maximizes_accuracy_and_auc_and_minimizes_the_rest(name, mode):
    monitor = Monitor(name)
    assert monitor.mode == mode
    lower, higher = monitor.value({name: 0.2}), monitor.value({name: 0.8})
    assert Monitor.improved(higher, lower) is (mode == "max")


def test_the_monitor_reads_the_training_loss_when_there_is_no_validation():
    assert Monitor("val_loss").value({"loss": 0.5, "lr": 0.1}) == 0.5
    with pytest.raises(
        ValueError, match=r"^EarlyStopping monitors 'val_accuracy', but the epoch logs hold \['loss'\]$"
    ):
        Monitor("val_accuracy").value({"loss": 0.5}, "EarlyStopping")


def _saved_epochs(monitor, values, tmp_path):
    """Epochs (1-based) at which ModelCheckpoint(save_best_only=True) writes, given the logs."""
    saved = []
    cb = ModelCheckpoint(tmp_path / "best.ckpt", save_best_only=True, monitor=monitor)
    cb.save = saved.append
    cb.run = type("R", (), {"epochs": len(values)})()
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {"loss": v} if monitor == "val_loss" else {"loss": 1.0, monitor: v})
    return saved


def test_early_stopping_checkpoints_and_plateaus_agree_on_better(tmp_path):
    accuracy = [0.5, 0.7, 0.6, 0.9]  # better at epochs 0, 1, 3
    assert _saved_epochs("val_accuracy", accuracy, tmp_path) == [1, 2, 4]
    assert _saved_epochs("val_loss", [0.5, 0.3, 0.4, 0.1], tmp_path) == [1, 2, 4]  # the loss, as val_loss is absent
    es = EarlyStopping("val_accuracy", patience=5, restore_best=False)
    for epoch, v in enumerate(accuracy):
        es.on_epoch_end(epoch, {"val_accuracy": v})
    assert es.best_epoch == 3
    plateau = ReduceOnPlateau(factor=0.5, patience=1)
    plateau.start(1.0, 4)
    for epoch, loss in enumerate([0.5, 0.3, 0.4]):  # the third epoch is no better: the rate halves
        plateau.observe(epoch, loss)
    assert plateau.rate(3) == 0.5


@pytest.mark.parametrize(("name", "bad"), [("patience", 0), ("min_delta", -1.0), ("epochs", 2.5), ("l2", -0.5)])
def test_fit_the_callbacks_and_the_table_refuse_a_value_in_the_same_words(name, bad):
    expected = options.OPTIONS[name].expected
    message = rf"^{name} must be {expected}; got {bad!r}$"
    with pytest.raises(ValueError, match=message):
        options.check_option(name, bad)
    net = npdnn.Network([2, 1], seed=0)
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=message):
        net.fit(X, y, **{name: bad})
    if name in ("patience", "min_delta"):
        with pytest.raises(ValueError, match=message):
            EarlyStopping(**{name: bad})


def test_the_command_line_types_come_from_the_table():
    r = subprocess.run([sys.executable, "-m", "npdnn", "train", "--epochs", "0"], capture_output=True, text=True)
    assert r.returncode == 2
    assert f"argument --epochs: expected {options.OPTIONS['epochs'].expected}; got '0'" in r.stderr


def test_the_default_learning_rate_is_resolved_in_one_place(monkeypatch):
    monkeypatch.setitem(options.DEFAULT_RATES, "gd", 0.125)
    monkeypatch.setitem(options.DEFAULT_RATES, "adam", 0.0625)
    net = npdnn.Network([2, 1], seed=0)
    X, y = np.eye(2), np.array([0, 1])
    assert net.fit(X, y, epochs=1, diagnostics=False)["lr"] == [0.125]
    assert options.make_optimizer("adam").learning_rate == 0.0625
    est = npdnn.DNNClassifier(hidden_layer_sizes=(), epochs=1, batch_size=None)
    assert est._make_optimizer().learning_rate == 0.0625
