"""Central-difference gradient checks in float64 over activations, depths and L2."""

import numpy as np
import pytest

import npdnn
from npdnn.nn.activations import HIDDEN

from conftest import make_data

pytestmark = pytest.mark.numerics  # BLAS-kernel dependent: CI reruns it with OPENBLAS_CORETYPE=Haswell


@pytest.mark.parametrize("activation", sorted(HIDDEN))
@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_backprop_matches_central_differences(activation, depth, l2):
    dims = [5] + [6, 4, 5, 3][: depth - 1] + [1]
    X, y = make_data(12, 5, seed=depth)
    net = npdnn.Network(dims, hidden_activation=activation, seed=depth, dtype=np.float64)
    # Non-zero biases: with b = 0 a sample whose previous layer is all dead ReLUs
    # has Z = b = 0 exactly, on the kink, where central differences average the
    # two one-sided slopes and no gradient is "right".
    rng = np.random.default_rng(depth)
    for l in range(1, net.L + 1):
        net.params[f"b{l}"] = 0.1 * rng.standard_normal(net.params[f"b{l}"].shape)
    result = npdnn.gradcheck(net, X, y, l2=l2)
    assert set(result) == set(net.params) | {"total"}
    assert result["total"] < 1e-7, result


def test_gradcheck_detects_a_wrong_gradient(monkeypatch):
    """The check must be able to fail: a derivative that is off by 10% is caught."""
    from npdnn.nn import activations

    wrong = activations.Activation("relu", activations.relu, lambda dA, A: 1.1 * activations.relu_backward(dA, A))
    X, y = make_data(12, 5)
    net = npdnn.Network([5, 4, 1], seed=0)
    net.dense[0].activation = wrong
    assert npdnn.gradcheck(net, X, y)["total"] > 1e-3


def test_gradcheck_leaves_parameters_unchanged():
    X, y = make_data(10, 3)
    net = npdnn.Network([3, 4, 1], seed=0)
    before = net.theta.copy()
    npdnn.gradcheck(net, X, y)
    np.testing.assert_array_equal(net.theta, before)


def test_gradcheck_detects_a_wrong_forward_named_relu():
    """A custom activation that reuses the name "relu" runs its own forward (the fast path once
    took max(Z, 0) by the name): a leaky forward with relu's derivative fails the check."""
    from npdnn.nn import activations

    leaky = activations.Activation("relu", lambda Z, out=None: activations.leaky_relu(Z), activations.relu_backward)
    X, y = make_data(12, 5)
    net = npdnn.Network([5, 4, 1], seed=0)
    plain = net.forward(X.T).copy()
    net.dense[0].activation = leaky
    assert not np.array_equal(net.forward(X.T), plain)  # leaky_relu's negative side reaches the output
    assert npdnn.gradcheck(net, X, y)["total"] > 1e-3
