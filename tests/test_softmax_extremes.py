"""Softmax at logits of +-1000, mirroring the binary case of test_stability.py: exact
probabilities [1, 0, 0] and an exact cost of 1000, with no NumPy warning.

The values are checked first with floating-point warnings silenced, so that a
softmax or a cross-entropy without the max shift fails on the value it returns
(nan), not on the warning."""

import numpy as np
import pytest

import npdnn


def _net(dtype):
    # Z = W x with x = +-1: logits (1000, 0, -1000) and (-1000, 0, 1000)
    net = npdnn.Network([1, 3], seed=0, dtype=dtype)
    net.params["W1"] = np.array([[1000.0], [0.0], [-1000.0]])
    net.params["b1"] = np.zeros((3, 1))
    return net


X = np.array([[1.0], [-1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_probabilities_at_plus_minus_1000(dtype):
    net = _net(dtype)
    with np.errstate(all="ignore"):
        P = net.predict_proba(X)
    np.testing.assert_array_equal(P, [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert P.dtype == dtype
    np.testing.assert_array_equal(net.predict(X), [0, 2])
    # the shift is per column (per sample): a sample with logits (0, 0, 0) beside one with a max
    # of 1000 must not be shifted by 1000 too (exp(-1000) = 0 in every class: 0 / 0)
    with np.errstate(all="ignore"):
        P = net.predict_proba(np.array([[1.0], [0.0]]))
    np.testing.assert_allclose(P, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_categorical_cost_at_plus_minus_1000(dtype):
    net = _net(dtype)
    with np.errstate(all="ignore"):
        right = net.cost(X, np.array([0, 2]))
        middle = net.cost(X, np.array([1, 1]))  # logit 0 against a max of 1000: -log p = 1000
        wrong = net.cost(X, np.array([2, 0]))  # logit -1000 against 1000: -log p = 2000
    assert right == 0.0  # log(1 + exp(-1000) + exp(-2000)) rounds to exactly 0
    rel = 1e-6 if dtype == np.float32 else 1e-12
    assert middle == pytest.approx(1000.0, rel=rel)
    assert wrong == pytest.approx(2000.0, rel=rel)
    with np.errstate(all="ignore"):  # per-sample shift, as for the probabilities
        mixed = net.cost(np.array([[1.0], [0.0]]), np.array([0, 1]))
    assert mixed == pytest.approx(np.log(3) / 2, rel=rel)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_extremes_raise_no_warning_and_give_finite_gradients(dtype):
    net = _net(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        P = net.predict_proba(X)
        for y in ([0, 2], [1, 1], [2, 0]):
            assert np.isfinite(net.cost(X, np.array(y)))
            grads = net.gradients(X, np.array(y))
            assert all(np.isfinite(g).all() for g in grads.values())
    assert np.isfinite(P).all()


def test_softmax_training_step_at_extremes_is_exact():
    # The training step's fused cost and dZ_L on the "wrong" labels of the two extreme samples
    # (plus x = 0, logits (0, 0, 0), so that every class occurs): A - Y is (1, 0, -1) times x for
    # both extremes and the third sample adds nothing to dW, so one step with lr = 1.5 moves W by
    # 1.5 * (2/3) * (1, 0, -1) = (1, 0, -1).
    net = _net(np.float64)
    X3, y3 = np.array([[1.0], [-1.0], [0.0]]), np.array([2, 0, 1])
    history = net.fit(X3, y3, optimizer="gd", learning_rate=1.5, epochs=1)
    assert history["loss"][0] == pytest.approx((4000.0 + np.log(3)) / 3, rel=1e-12)
    np.testing.assert_allclose(net.params["W1"][:, 0], [999.0, 0.0, -999.0], rtol=0, atol=1e-12)
