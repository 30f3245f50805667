"""Per-layer diagnostics from every surface: the estimator's ``diagnostics=``, the CLI's
``--diagnose PNG`` (a real subprocess), and ``plot_diagnostics`` writing a PNG."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

from npdnn import Network
from npdnn.callbacks import Diagnostics

pytest.importorskip("matplotlib")
from npdnn.cli.layer_plots import plot_diagnostics  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _history(epochs=4):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    net = Network([3, 4, 4, 1], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return net.fit(X, y, epochs=epochs, learning_rate=0.1, callbacks=[Diagnostics(probe=X[:20])])


def test_plot_diagnostics_writes_a_png(tmp_path):
    path = tmp_path / "d.png"
    plot_diagnostics(_history(), path, title="tiny")
    assert path.read_bytes()[:8] == PNG
    plot_diagnostics(_history()["diagnostics"], tmp_path / "e.png")  # the record itself is accepted too
    assert (tmp_path / "e.png").read_bytes()[:8] == PNG


def test_plot_diagnostics_without_records_says_how_to_get_them(tmp_path):
    with pytest.raises(ValueError, match=r"no diagnostics to plot: train with callbacks=\[npdnn.callbacks.Diagnostics"):
        plot_diagnostics({"loss": [1.0]}, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_estimator_records_diagnostics_when_asked():
    from sklearn.datasets import load_breast_cancer

    from npdnn import DNNClassifier

    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        on = DNNClassifier(hidden_layer_sizes=(8,), epochs=3, standardize=True, random_state=0, diagnostics=True).fit(
            X, y
        )
        off = DNNClassifier(hidden_layer_sizes=(8,), epochs=3, standardize=True, random_state=0).fit(X, y)
    assert on.diagnostics_["epoch"] == [0, 1, 2]
    assert len(on.diagnostics_["Z_std"][0]) == 2  # one value per layer
    assert on.diagnostics_["Z_std"][0][0] < 10  # measured on the standardized probe the network sees
    assert off.diagnostics_ is None
    np.testing.assert_array_equal(on.predict_proba(X), off.predict_proba(X))  # recording changes nothing


def test_estimator_layer_warning_points_at_the_users_line():
    from sklearn.datasets import load_breast_cancer

    from npdnn import DNNClassifier
    from npdnn.train.layer_warnings import LayerWarning

    X, y = load_breast_cancer(return_X_y=True)  # not standardized: layer 1's Z is huge
    model = DNNClassifier(hidden_layer_sizes=(8, 8), epochs=2, random_state=0, diagnostics=True, standardize=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    layer = [w for w in caught if issubclass(w.category, LayerWarning)]
    assert any("the inputs are not standardized" in str(w.message) for w in layer), [str(w.message) for w in caught]
    assert {w.filename for w in layer} == {__file__}


@pytest.mark.slow  # trains through the real command in a subprocess
def test_cli_diagnose_writes_the_plot(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "npdnn", "train", "--epochs", "3", "--diagnose", "diag.png", "--out", "m.npz"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "diag.png").read_bytes()[:8] == PNG
    assert "diagnostics plot written to diag.png" in proc.stderr
    from npdnn import load

    assert load(tmp_path / "m.npz").diagnostics is False  # the saved model does not depend on --diagnose


def test_cli_diagnose_refuses_a_directory(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "npdnn", "train", "--epochs", "1", "--diagnose", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert f"--diagnose {tmp_path} is a directory; expected a file path" in proc.stderr
    assert "Traceback" not in proc.stderr
