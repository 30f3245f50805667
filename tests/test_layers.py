"""The layers on their own: the textbook Dense and Dropout (npdnn.nn.layers) and the fast layer
(npdnn.nn.fast) called directly: defaults, caches that outputs do not alias, and errors
(the fast layer pinned to the textbook one across layouts is test_fast_path.py)."""

import numpy as np
import pytest

import npdnn


def test_textbook_dense_backward_adds_no_l2_term_unless_asked():
    rng = np.random.default_rng(6)
    dense = npdnn.Network([3, 2, 1], seed=0, fast=False).dense[0]
    A_prev, dA = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    dense.forward(A_prev)
    dense.backward(dA)
    dZ = dA * (dense.A > 0)  # ReLU
    np.testing.assert_allclose(dense.dW, dZ @ A_prev.T, rtol=1e-15)
    dense.backward(dA, 0.5)
    np.testing.assert_allclose(dense.dW, dZ @ A_prev.T + 0.5 * dense.W, rtol=1e-15)


def test_dropout_layer_is_the_identity_outside_training_and_at_rate_zero():
    from npdnn.nn.layers import Dropout

    A, dA = np.ones((2, 3)), np.full((2, 3), 2.0)
    off = Dropout(after=1, rate=0.5, rng=np.random.default_rng(0))
    assert off.forward(A) is A and off.D is None  # training defaults to False
    assert off.backward(dA) is dA
    zero = Dropout(after=1, rate=0.0, rng=np.random.default_rng(0))
    assert zero.forward(A, training=True) is A and zero.D is None
    with pytest.raises(ValueError, match=r"^Dropout needs a random generator: set layer.rng before training$"):
        Dropout(after=1, rate=0.5).forward(A, training=True)


def test_forward_results_outside_training_are_not_overwritten_by_the_next_call():
    rng = np.random.default_rng(23)
    net = npdnn.Network([3, 4, 2, 1], seed=0)
    A1, A2 = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    Z1 = net.forward(A1)
    kept = Z1.copy()
    net.forward(A2)
    np.testing.assert_array_equal(Z1, kept)
    layer = net.dense[0]
    out1 = layer.forward(A1)
    kept = out1.copy()
    layer.forward(A2)
    np.testing.assert_array_equal(out1, kept)


def test_fast_dense_backward_defaults_keep_da_and_add_no_l2():
    rng = np.random.default_rng(24)
    fast = npdnn.Network([3, 4, 2, 1], seed=0).dense[1]  # a hidden ReLU layer
    slow = npdnn.Network([3, 4, 2, 1], seed=0, fast=False).dense[1]
    A_prev, dA = rng.standard_normal((4, 5)), rng.standard_normal((2, 5))
    fast.forward(A_prev)
    slow.forward(A_prev)
    kept = dA.copy()
    np.testing.assert_allclose(fast.backward(dA), slow.backward(kept.copy()), rtol=1e-12)
    np.testing.assert_array_equal(dA, kept)  # dA is the caller's: not overwritten by default
    np.testing.assert_allclose(fast.dW, slow.dW, rtol=1e-12)


def test_fast_layer_names_a_wrong_input_size_whatever_m():
    net = npdnn.Network([3, 4, 1], seed=0)
    with pytest.raises(ValueError, match=r"^layer 1 expects A0 of shape \(3, m\) but got \(4, m\)"):
        net.forward(np.zeros((4, 3)))  # m = 3 = n_x: only the rows tell


@pytest.mark.parametrize("order", ["C", "F"])
def test_fast_gradients_of_a_two_unit_output_match_the_textbook(order):
    rng = np.random.default_rng(25)
    X, y = rng.standard_normal((6, 3)), np.arange(6) % 2
    X = np.asfortranarray(X) if order == "F" else X
    fast, slow = npdnn.Network([3, 4, 2], seed=0), npdnn.Network([3, 4, 2], seed=0, fast=False)
    got, expected = fast.gradients(X, y), slow.gradients(X, y)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-12, atol=1e-15, err_msg=key)
