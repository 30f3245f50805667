"""net.summary(), print(net) and the error messages that teach the shape bookkeeping."""

import re
from pathlib import Path

import numpy as np
import pytest

from npdnn import Network
from npdnn.nn.summary import Summary


@pytest.fixture
def net():
    return Network([30, 20, 7, 1], seed=0)


def _rows(text):
    return {line.split()[0]: line.split() for line in text.splitlines()[2:]}


def test_summary_lists_every_shape_activation_and_count(net):
    text = net.summary()
    lines = text.splitlines()
    assert lines[0] == "Network: 30 -> 20 -> 7 -> 1, hidden relu, output sigmoid, float64"
    assert lines[1].split() == ["layer", "W", "b", "Z,", "A", "activation", "params"]
    rows = _rows(text)
    dims = net.layer_dims
    for l in range(1, net.L + 1):
        row = " ".join(rows[str(l)])
        W, b = net.params[f"W{l}"], net.params[f"b{l}"]
        assert f"({W.shape[0]}, {W.shape[1]})" in row
        assert f"({b.shape[0]}, {b.shape[1]})" in row
        assert f"({dims[l]}, m)" in row
        assert row.split()[-1] == str(W.size + b.size)
        assert ("sigmoid" if l == net.L else "relu") in row
    assert rows["total"][-1] == str(net.theta.size) == "775"
    assert "(30, m)" in lines[-1]


def test_summary_softmax_tanh_float32_and_dropout():
    net = Network([4, 5, 3], hidden_activation="tanh", dtype=np.float32)
    text = net.summary()
    assert text.splitlines()[0] == "Network: 4 -> 5 -> 3, hidden tanh, output softmax, float32"
    assert "dropout" not in text
    rows = _rows(text)
    assert rows["1"][-2:] == ["tanh", "25"] and rows["2"][-2:] == ["softmax", "18"]
    net.set_dropout(0.25)
    rows = _rows(net.summary())
    assert rows["1"][-3:] == ["tanh", "0.25", "25"]
    assert rows["2"][-3:] == ["softmax", "-", "18"]
    assert rows["total"][-1] == str(net.theta.size)


def test_print_net_is_one_line(net, capsys):
    print(net)
    out = capsys.readouterr().out.strip()
    assert "\n" not in out
    for piece in ("[30, 20, 7, 1]", "relu", "sigmoid", "float64", "params=775"):
        assert piece in out
    assert repr(net) == out


def test_forward_shape_mismatch_names_layer_shapes_and_W(net):
    A1 = np.zeros((19, 4))
    with pytest.raises(
        ValueError, match=re.escape("layer 2 expects A1 of shape (20, m) but got (19, m): W2 has shape (7, 20)")
    ):
        net.dense[1].forward(A1)
    with pytest.raises(ValueError, match=re.escape("layer 1 expects A0 of shape (30, m) but got (29, m)")):
        net.forward(np.zeros((29, 4)))


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function", "cost", "gradients", "fit"])
def test_wrong_n_features_names_layer_1_and_n_x(net, method):
    X, y = np.zeros((6, 29)), np.array([0, 1] * 3)
    args = (X,) if method in ("predict", "predict_proba", "decision_function") else (X, y)
    with pytest.raises(ValueError, match=re.escape("layer 1 expects A0 of shape (30, m) but got (29, m)")) as info:
        getattr(net, method)(*args)
    assert "29 features" in str(info.value) and "n_x = 30" in str(info.value)


@pytest.mark.parametrize("method", ["cost", "gradients", "fit"])
def test_wrong_y_length_says_rows_and_labels(net, method):
    with pytest.raises(ValueError, match="X has 6 rows but y has 5"):
        getattr(net, method)(np.zeros((6, 30)), np.array([0, 1, 0, 1, 0]))


def test_assigning_wrong_shape_to_params_is_refused(net):
    before = net.theta.copy()
    with pytest.raises(ValueError, match=re.escape("params['W2'] must have shape (7, 20)")) as info:
        net.params["W2"] = np.zeros((7, 19))
    msg = str(info.value)
    assert "layer 1 (20 units) to layer 2 (7 units)" in msg and "got (7, 19)" in msg
    with pytest.raises(ValueError, match=re.escape("params['b3'] must have shape (1, 1)")):
        net.params["b3"] = np.zeros(1)
    with pytest.raises(KeyError, match="W4"):
        net.params["W4"] = np.zeros((1, 1))
    np.testing.assert_array_equal(net.theta, before)
    net.params["W2"] = np.ones((7, 20))  # the right shape is accepted and lands in theta
    assert np.all(net.params["W2"] == 1) and not np.array_equal(net.theta, before)


def test_single_sample_hint(net):
    with pytest.raises(ValueError, match=re.escape("X.reshape(1, -1)")):
        net.predict(np.zeros(30))


def test_how_it_works_links_point_at_existing_files_and_functions():
    """docs/how-it-works.md must not drift: every relative link opens a file that
    defines the functions named in the link text."""
    root = Path(__file__).resolve().parents[1]
    doc = root / "docs" / "how-it-works.md"
    links = re.findall(r"\[`([^`]+)`\]\((\.\./[^)#]+)\)", doc.read_text())
    assert len(links) >= 20
    for names, target in links:
        path = (doc.parent / target).resolve()
        assert path.is_file(), f"{target} does not exist"
        source = path.read_text()
        for name in re.split(r"[,/]\s*", names):
            name = name.strip().split(".")[-1]
            assert re.search(rf"^\s*(def|class) {re.escape(name)}\b", source, re.M), f"{name} not defined in {target}"


def test_summary_repr_is_the_table():
    net = Network([4, 3, 1], seed=0)
    text = net.summary()
    assert isinstance(text, Summary) and isinstance(text, str)
    assert repr(text) == str(text) == text  # the REPL shows the table, not a quoted one-liner
    assert repr(text).splitlines()[0] == "Network: 4 -> 3 -> 1, hidden relu, output sigmoid, float64"
    assert "\\n" not in repr(text)

    class Printer:  # IPython's pretty printer protocol
        def __init__(self):
            self.parts = []

        def text(self, s):
            self.parts.append(s)

    p = Printer()
    text._repr_pretty_(p, cycle=False)
    assert p.parts == [str(text)]
