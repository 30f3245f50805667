"""Extreme logits: the cost is finite and exact, gradients finite, no NumPy warning
(pytest turns every warning into an error)."""

import numpy as np
import pytest

import npdnn


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logits_of_plus_minus_1000(dtype):
    net = npdnn.Network([1, 1], seed=0, dtype=dtype)  # logistic regression: Z = W x + b
    net.params["W1"] = np.array([[1000.0]])
    X = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    y_right = np.array([1, 0, 1, 0])
    y_wrong = 1 - y_right
    assert net.cost(X, y_right) == 0.0  # log1p(exp(-1000)) underflows to exactly 0
    assert net.cost(X, y_wrong) == pytest.approx(1000.0, rel=1e-6 if dtype == np.float32 else 1e-15)
    for y in (y_right, y_wrong):
        grads = net.gradients(X, y)
        assert all(np.isfinite(g).all() for g in grads.values())
    p = net.predict_proba(X)
    np.testing.assert_array_equal(p, [1.0, 0.0, 1.0, 0.0])


def test_sigmoid_is_accurate_in_both_tails():
    from npdnn.nn.activations import sigmoid

    z = np.array([-745.0, -40.0, 0.0, 40.0, 745.0])
    s = sigmoid(z)
    np.testing.assert_allclose(s[1], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-15)
    assert s[0] > 0 and s[2] == 0.5 and s[4] == 1.0
