"""Gradient checks that explain themselves: a failure through a ReLU kink names the
cause and what to try; a real backprop bug gets no such excuse; gradcheck validates
labels exactly as fit does."""

import numpy as np
import pytest

import npdnn
from npdnn.nn import activations
from npdnn.nn.gradcheck import explain, kinks


def reported_case():
    """``npdnn gradcheck --layers 10,3,2,1 --samples 40 --seed 0``, built as the CLI builds it."""
    rng = np.random.default_rng(0)
    net = npdnn.Network([10, 3, 2, 1], "relu", seed=rng, dtype=np.float64)
    X = rng.standard_normal((40, 10))
    y = rng.integers(0, 2, size=40)
    return net, X, y


def test_the_reported_failure_is_a_kink_and_says_so():
    net, X, y = reported_case()
    result = npdnn.gradcheck(net, X, y)
    assert result["b2"] > 0.5 and result["total"] > 1e-7  # the FAILED of issue 16
    found = kinks(net, X)
    assert found == {2: 2}
    # the kinks are exact zeros: every layer-1 unit is dead on those samples, so Z2 = b2 = 0
    A1 = np.maximum(net.params["W1"] @ X.T + net.params["b1"], 0)
    dead = np.flatnonzero(~A1.any(axis=0))
    assert dead.size >= 1 and not net.params["b2"].any()
    lines = explain(net, X, result)
    assert lines[0].startswith("likely cause: a kink of relu at 0") and "2 in Z2" in lines[0]
    assert "tanh" in lines[1] and "non-zero biases" in lines[1] and "fewer samples" in lines[1]


@pytest.mark.parametrize(
    "remedy",
    ["tanh", "biases", "samples"],
)
def test_each_suggested_remedy_makes_the_check_pass(remedy):
    net, X, y = reported_case()
    if remedy == "tanh":
        rng = np.random.default_rng(0)
        net = npdnn.Network([10, 3, 2, 1], "tanh", seed=rng, dtype=np.float64)
        X, y = rng.standard_normal((40, 10)), rng.integers(0, 2, size=40)
    elif remedy == "biases":
        for l in range(1, net.L + 1):
            net.params[f"b{l}"] = 0.1 + np.zeros(net.params[f"b{l}"].shape)
    else:
        dead = ~np.maximum(net.params["W1"] @ X.T + net.params["b1"], 0).any(axis=0)
        X, y = X[~dead][:10], y[~dead][:10]
    result = npdnn.gradcheck(net, X, y)
    assert result["total"] < 1e-7, result
    assert explain(net, X, result) == []


def test_a_real_bug_is_not_excused_as_a_kink():
    """A wrong derivative with no pre-activation near 0 fails without a kink hint."""
    rng = np.random.default_rng(1)
    net = npdnn.Network([4, 5, 1], "relu", seed=0, dtype=np.float64)
    net.params["b1"] = 0.5 + np.zeros((5, 1))
    X, y = rng.standard_normal((12, 4)), rng.integers(0, 2, size=12)
    net.dense[0].activation = activations.Activation(
        "relu", activations.relu, lambda dA, A, out=None: 1.1 * activations.relu_backward(dA, A), True
    )
    result = npdnn.gradcheck(net, X, y)
    assert result["total"] > 1e-3
    assert kinks(net, X) == {}
    assert explain(net, X, result) == []


@pytest.mark.parametrize(
    ("y", "K"),
    [
        ([0, 1, 2, 0, 1, 0], 1),
        ([0.5, 1, 0, 0, 1, 0], 1),
        (["a", "b", "a", "a", "b", "a"], 1),
        ([0, 1, 0, 1, 0], 1),
        ([[0, 1, 0, 1, 0, 1]], 1),
        ([0, 1, 0, 1, 0, np.nan], 3),
        ([-1, 0, 1, 0, 1, 0], 3),
        ([0, 1, 3, 0, 1, 2], 3),
    ],
)
def test_gradcheck_checks_labels_the_way_fit_does(y, K):
    X = np.random.default_rng(0).standard_normal((6, 3))
    with pytest.raises(ValueError) as by_fit:
        npdnn.Network([3, 2, K], seed=0).fit(X, y, epochs=1)
    with pytest.raises(ValueError) as by_gradcheck:
        npdnn.gradcheck(npdnn.Network([3, 2, K], seed=0), X, y)
    assert str(by_fit.value) == str(by_gradcheck.value)


def test_kinks_counts_pre_activations_near_zero_not_only_exact_zeros():
    """A bias of 1e-7 puts Z2 of the dead samples 1e-7 from the kink: central differences
    with epsilon 1e-6 still straddle it, and the check still fails."""
    net, X, y = reported_case()
    net.params["b2"] = np.full((2, 1), 1e-7)
    assert npdnn.gradcheck(net, X, y)["total"] > 1e-7
    assert kinks(net, X) == {2: 2}
    net.params["b2"] = np.full((2, 1), 0.1)  # far from the kink: nothing counted, the check passes
    assert kinks(net, X) == {} and npdnn.gradcheck(net, X, y)["total"] < 1e-7
