"""Validation during training: validation_data / validation_fraction, the logged val_loss and
val_accuracy (equal to cost and predict on X_val, over one block or several), and the checks on
X_val and y_val."""

import numpy as np
import pytest

import npdnn


def _noisy(seed=19, m=60):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, 5)), rng.integers(0, 2, m)


def test_validation_accuracy_is_the_share_of_correct_predictions():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((30, 3)), rng.integers(0, 2, 30)
    Xv, yv = rng.standard_normal((7, 3)), np.array([0, 1, 1, 0, 1, 0, 0])
    net = npdnn.Network([3, 4, 1], seed=1)
    history = net.fit(X, y, optimizer="adam", learning_rate=0.01, epochs=3, validation_data=(Xv, yv))
    assert history["val_accuracy"][-1] == np.mean(net.predict(Xv) == yv)
    assert history["val_loss"][-1] == pytest.approx(net.cost(Xv, yv), rel=1e-12)


@pytest.mark.parametrize("K", [1, 3])
def test_validation_logs_over_several_blocks_equal_the_cost_and_accuracy(K, monkeypatch):
    from npdnn.train import loop as training

    rng = np.random.default_rng(15)
    X, y = rng.standard_normal((30, 4)), np.arange(30) % max(K, 2)
    Xv, yv = rng.standard_normal((11, 4)), np.arange(11) % max(K, 2)
    monkeypatch.setattr(
        training, "chunk_rows", lambda layer_dims, itemsize, dense_input=True: 3
    )  # blocks of 3 rows: 3, 3, 3, 2
    net = npdnn.Network([4, 5, K], seed=1)
    history = net.fit(X, y, optimizer="adam", learning_rate=0.05, epochs=2, validation_data=(Xv, yv))
    assert history["val_loss"][-1] == pytest.approx(net.cost(Xv, yv), rel=1e-12)
    assert history["val_accuracy"][-1] == np.mean(net.predict(Xv) == yv)
    assert 0 < history["val_accuracy"][-1] < 1  # some right, some wrong: a miscount shows


def test_validation_accuracy_counts_a_probability_of_one_half_as_class_1():
    # Training rows of zeros with balanced labels: every gradient is 0, so the parameters stay
    # 0 and every validation probability is exactly 0.5, predicted as class 1 (as predict does).
    X, y = np.zeros((2, 3)), np.array([0, 1])
    Xv, yv = np.random.default_rng(16).standard_normal((3, 3)), np.array([1, 1, 0])
    net = npdnn.Network([3, 1], seed=0)
    net.params["W1"] = np.zeros((1, 3))
    history = net.fit(X, y, epochs=1, validation_data=(Xv, yv), diagnostics=False)
    assert history["val_accuracy"] == [2 / 3]


def test_sample_weights_apply_to_the_training_rows_of_a_validation_split():
    from npdnn.train.batching import split_indices

    X, y = _noisy(m=20)
    w = np.linspace(0.1, 2.0, 20)
    train, _ = split_indices(20, 0.25, np.random.default_rng(4))
    net = npdnn.Network([5, 3, 1], seed=0)
    expected = net.cost(X[train], y[train], sample_weight=w[train])
    history = net.fit(X, y, sample_weight=w, validation_fraction=0.25, seed=4, learning_rate=1e-300, epochs=1)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_validation_data_is_checked_as_x_val_in_the_networks_dtype():
    X, y = _noisy(m=8)
    net = npdnn.Network([5, 2, 1], seed=0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"but got \(4, m\): X_val has 4 features, the network was built for n_x = 5$"):
        net.fit(X, y, epochs=1, validation_data=(np.zeros((4, 4)), np.arange(4) % 2))
    with pytest.raises(ValueError, match=r"^X_val value 1e\+39 at row 0, column 0 is too large for float32"):
        net.fit(X, y, epochs=1, validation_data=(np.full((4, 5), 1e39), np.arange(4) % 2))


def test_validation_data_and_a_fraction_together_are_refused():
    X, y = _noisy(m=12)
    with pytest.raises(ValueError, match=r"^give either validation_data or validation_fraction, not both$"):
        npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, validation_data=(X, y), validation_fraction=0.25)
    with pytest.raises(ValueError, match=r"^validation_data must be a pair \(X_val, y_val\)$"):
        npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, validation_data=(X, y, y))


def test_y_val_is_checked_against_the_networks_classes():
    X, y = _noisy(m=8)
    with pytest.raises(ValueError, match=r"^y_val must hold labels in \{0, 1\}; got values \[2\]$"):
        npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, validation_data=(X[:3], np.array([0, 1, 2])))
    y3 = np.arange(8) % 3
    history = npdnn.Network([5, 2, 3], seed=0).fit(X, y3, epochs=1, validation_data=(X[:3], np.array([0, 1, 2])))
    assert len(history["val_loss"]) == 1  # three classes: label 2 is valid
