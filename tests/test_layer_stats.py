"""The per-layer diagnostics callback (npdnn.callbacks.Diagnostics) and its warnings:
numbers checked against a hand computation on a tiny network, each warning firing on
the failure it names and silent on healthy runs, at the user's line."""

import json
import warnings

import numpy as np
import pytest

from npdnn import Network
from npdnn.callbacks import Diagnostics
from npdnn.train.layer_warnings import LayerWarning, check_layers


def _tiny():
    """[2, 3, 1] ReLU network with set parameters: unit 3 of layer 1 is dead on X."""
    net = Network([2, 3, 1], seed=0)
    net.params["W1"] = np.array([[1.0, -2.0], [0.5, 0.5], [-1.0, -1.0]])
    net.params["b1"] = np.array([[0.1], [-0.2], [-5.0]])
    net.params["W2"] = np.array([[0.3, -0.4, 0.2]])
    net.params["b2"] = np.array([[0.05]])
    X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0], [-1.0, 1.0]])
    y = np.array([1, 0, 1, 0])
    return net, X, y


def test_numbers_match_a_hand_computation_on_a_tiny_network():
    net, X, y = _tiny()
    W1, b1, W2, b2 = (net.params[k].copy() for k in ("W1", "b1", "W2", "b2"))
    lr = 0.1
    history = net.fit(X, y, epochs=1, learning_rate=lr, shuffle=False, callbacks=[Diagnostics(probe=X)])
    rec = history["diagnostics"]

    # by hand: one full-batch gradient step at the initial parameters
    m = X.shape[0]
    A0, Y = X.T, y[None, :].astype(float)
    Z1 = W1 @ A0 + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2 @ A1 + b2
    A2 = 1 / (1 + np.exp(-Z2))
    dZ2 = (A2 - Y) / m
    dW2 = dZ2 @ A1.T
    dZ1 = (W2.T @ dZ2) * (Z1 > 0)
    dW1 = dZ1 @ A0.T
    new_W1, new_W2 = W1 - lr * dW1, W2 - lr * dW2
    new_b1, new_b2 = b1 - lr * dZ1.sum(1, keepdims=True), b2 - lr * dZ2.sum(1, keepdims=True)

    assert rec["epoch"] == [0]
    np.testing.assert_allclose(rec["W_norm"][0], [np.linalg.norm(new_W1), np.linalg.norm(new_W2)], rtol=1e-12)
    np.testing.assert_allclose(rec["dW_norm"][0], [np.linalg.norm(dW1), np.linalg.norm(dW2)], rtol=1e-12)
    np.testing.assert_allclose(rec["dW_rms"][0], [np.linalg.norm(dW1) / np.sqrt(6), np.linalg.norm(dW2) / np.sqrt(3)])
    np.testing.assert_allclose(
        rec["update_ratio"][0],
        [lr * np.linalg.norm(dW1) / np.linalg.norm(W1), lr * np.linalg.norm(dW2) / np.linalg.norm(W2)],
        rtol=1e-12,
    )
    # probe statistics are measured after the epoch's update
    Z1n = new_W1 @ A0 + new_b1
    A1n = np.maximum(Z1n, 0)
    Z2n = new_W2 @ A1n + new_b2
    A2n = 1 / (1 + np.exp(-Z2n))
    np.testing.assert_allclose(rec["Z_mean"][0], [Z1n.mean(), Z2n.mean()], rtol=1e-12)
    np.testing.assert_allclose(rec["Z_std"][0], [Z1n.std(), Z2n.std()], rtol=1e-12)
    np.testing.assert_allclose(rec["A_mean"][0], [A1n.mean(), A2n.mean()], rtol=1e-12)
    np.testing.assert_allclose(rec["A_std"][0], [A1n.std(), A2n.std()], rtol=1e-12)
    # unit 3 (Z = -x1 - x2 - 5 < 0 on every row) is dead, units 1 and 2 are active on some row
    assert rec["dead"][0] == [pytest.approx(1 / 3), None]
    assert rec["saturated"][0] == [None, None]
    json.dumps(rec)  # plain lists and floats: checkpoints store them with the history


def test_saturation_counts_units_saturated_on_every_probe_row():
    net = Network([1, 2, 1], hidden_activation="sigmoid", seed=0)
    net.params["W1"] = np.array([[10.0], [0.1]])  # unit 1 saturated for |x| >= 1, unit 2 never
    net.params["b1"] = np.zeros((2, 1))
    X = np.array([[1.0], [-2.0], [3.0]])
    history = net.fit(
        X, [1, 0, 1], epochs=1, learning_rate=1e-9, diagnostics=False, callbacks=[Diagnostics(probe=X, warn=False)]
    )
    assert history["diagnostics"]["saturated"][0] == [0.5, None]


def test_every_records_every_nth_epoch_and_the_last():
    net, X, y = _tiny()
    history = net.fit(X, y, epochs=7, callbacks=[Diagnostics(every=3, probe=X, hist_epochs=[])])
    assert history["diagnostics"]["epoch"] == [0, 3, 6]
    assert len(history["diagnostics"]["W_norm"]) == 3


def test_histograms_at_chosen_epochs():
    net, X, y = _tiny()
    history = net.fit(X, y, epochs=5, callbacks=[Diagnostics(probe=X)])
    hist = history["diagnostics"]["histograms"]
    assert sorted({h["epoch"] for h in hist}) == [0, 2, 4]
    one = [h for h in hist if h["epoch"] == 2 and h["layer"] == 1 and h["what"] == "A"][0]
    assert sum(one["counts"]) == 3 * 4  # every activation of layer 1 on the probe
    assert len(one["edges"]) == len(one["counts"]) + 1


def test_without_probe_only_weight_statistics():
    net, X, y = _tiny()
    rec = net.fit(X, y, epochs=2, callbacks=[Diagnostics()])["diagnostics"]
    assert rec["Z_mean"] == [[None, None], [None, None]]
    assert all(v > 0 for v in rec["W_norm"][1])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="every must be a positive integer.*got 0"):
        Diagnostics(every=0)
    with pytest.raises(ValueError, match=r"probe must be a \(rows, features\) array.*shape \(3,\)"):
        Diagnostics(probe=np.ones(3))
    net, X, y = _tiny()
    with pytest.raises(ValueError, match="probe has 5 features but the network expects 2"):
        net.fit(X, y, epochs=1, callbacks=[Diagnostics(probe=np.ones((2, 5)))])


# ----------------------------------------------------------------------------- warnings on real runs


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X, (X - X.mean(0)) / X.std(0), y


def _layer_warnings(dims, X, y, act="relu", init=None, **fit):
    net = Network(dims, hidden_activation=act, init=init, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.fit(X, y, callbacks=[Diagnostics(probe=X[:256])], seed=0, **fit)
    return [w for w in caught if issubclass(w.category, LayerWarning)]


DEEP = [30, 20, 20, 20, 20, 20, 1]


@pytest.mark.parametrize(
    "case",
    [
        dict(dims=DEEP, optimizer="adam", epochs=30, batch_size=64),
        dict(dims=DEEP, init="he", epochs=60, learning_rate=0.05),
        dict(dims=[30, 20, 7, 5, 1], epochs=200),
        dict(dims=[30, 20, 7, 5, 1], act="tanh", optimizer="adam", epochs=30, batch_size=32),
        dict(dims=[30, 20, 7, 5, 1], optimizer="adam", learning_rate=0.01, epochs=20, batch_size=8),
    ],
)
def test_healthy_runs_stay_silent(cancer, case):
    _, Xs, y = cancer
    assert [str(w.message) for w in _layer_warnings(case.pop("dims"), Xs, y, **case)] == []


def test_small_initialization_in_a_deep_net_warns_vanishing(cancer):
    _, Xs, y = cancer
    caught = _layer_warnings(DEEP, Xs, y, init="small", epochs=60, learning_rate=0.05)
    messages = [str(w.message) for w in caught]
    assert any(
        m.startswith("gradients in layer 1 are ")
        and m.endswith(" of layer 6's: vanishing; try He initialization or ReLU")
        for m in messages
    ), messages
    assert caught[0].filename == __file__  # stacklevel: the user's fit call, not npdnn's loop


def test_sigmoid_hidden_layers_warn_vanishing(cancer):
    _, Xs, y = cancer
    messages = [str(w.message) for w in _layer_warnings(DEEP, Xs, y, act="sigmoid", epochs=60, learning_rate=0.05)]
    assert any("vanishing; try He initialization or ReLU" in m for m in messages), messages


def test_a_learning_rate_that_kills_relus_is_named(cancer):
    _, Xs, y = cancer
    messages = [str(w.message) for w in _layer_warnings([30, 50, 50, 1], Xs, y, epochs=20, learning_rate=5.0)]
    dead = "layer 2: 100% of ReLU units dead since epoch {}; the learning rate may be too high or the biases pushed "
    dead += "negative"
    assert any(m in messages for m in map(dead.format, range(2, 6))), messages


def test_too_large_updates_name_the_learning_rate(cancer):
    _, Xs, y = cancer
    messages = [
        str(w.message) for w in _layer_warnings([30, 20, 20, 1], Xs, y, act="tanh", epochs=20, learning_rate=5.0)
    ]
    assert any(
        m.startswith("layer ") and m.endswith(": the learning rate is too high") and "update/weight ratio is" in m
        for m in messages
    ), messages


def test_unstandardized_inputs_are_named(cancer):
    X, _, y = cancer
    messages = [str(w.message) for w in _layer_warnings([30, 20, 20, 1], X, y, epochs=10)]
    assert any(m.startswith("layer 1: Z has std ") and "the inputs are not standardized" in m for m in messages), (
        messages
    )


def test_saturated_tanh_layer_is_named(cancer):
    X, _, y = cancer
    messages = [str(w.message) for w in _layer_warnings([30, 20, 20, 1], X, y, act="tanh", epochs=5)]
    assert any(m.startswith("layer 1: ") and "sigmoid/tanh units saturated" in m for m in messages), messages


def test_check_layers_on_a_record_warns_once_per_finding():
    record = {
        "epoch": [0, 1, 2, 3],
        "dead": [[0.1, None], [0.7, None], [0.9, None], [0.87, None]],
        "dW_rms": [[1.0, 1.0]] * 4,
        "update_ratio": [[0.01, 0.01]] * 4,
        "Z_std": [[1.0, 1.0]] * 4,
        "saturated": [[None, None]] * 4,
    }
    with pytest.warns(LayerWarning) as caught:
        messages = check_layers(record)
    assert messages == [
        "layer 1: 87% of ReLU units dead since epoch 2; the learning rate may be too high or the biases pushed negative"
    ]
    assert len(caught) == 1


def test_vanishing_early_then_recovering_still_warns():
    """Sigmoid layers: tiny first-layer gradients early, recovering later; the first half's median counts."""
    n = 10
    rms = [[1e-3, 1.0, 1.0]] * 4 + [[0.3, 1.0, 1.0]] * 6
    record = {"epoch": list(range(n)), "dW_rms": rms, "update_ratio": [[0.01] * 3] * n, "Z_std": [[1.0] * 3] * n}
    with pytest.warns(LayerWarning, match=r"^gradients in layer 1 are 1e-03 of layer 3's: vanishing"):
        check_layers(record)
    healthy = {**record, "dW_rms": [[0.3, 1.0, 1.0]] * n}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_layers(healthy) == []
