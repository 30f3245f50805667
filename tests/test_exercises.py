"""npdnn.exercises: the reference solutions pass, pinned to npdnn's Network; typical wrong
solutions get their specific hint; an unknown mistake gets the first differing entry;
a blank (NotImplementedError) says "not implemented yet"."""

import numpy as np
import pytest

from npdnn import Network, exercises
from npdnn.exercises import reference as ref
from npdnn.exercises.hints import MISTAKES


@pytest.mark.parametrize("name", exercises.EXERCISES)
def test_reference_solutions_pass(name):
    result = exercises.check(name, getattr(ref, name))
    assert result.passed, result.message
    assert result.kind == "passed"
    assert str(result).startswith(f"{name}: passed")


@pytest.mark.parametrize("name", exercises.EXERCISES)
def test_blank_says_not_implemented(name):
    def blank(*args):
        raise NotImplementedError

    result = exercises.check(name, blank)
    assert not result.passed and result.kind == "not implemented"
    assert result.message == f"{name}: not implemented yet (the function still raises NotImplementedError)"


def test_reference_matches_the_network():
    """The functional reference computes what npdnn.Network computes (forward and gradients)."""
    rng = np.random.default_rng(0)
    net = Network([4, 3, 2, 1], seed=1, fast=False)
    X, y = rng.standard_normal((7, 4)), np.array([0, 1, 1, 0, 1, 0, 1])
    parameters = {k: np.array(v) for k, v in net.params.items()}
    AL, caches = ref.L_model_forward(X.T, parameters)
    np.testing.assert_allclose(AL[0], net.predict_proba(X), rtol=1e-12)
    np.testing.assert_allclose(ref.compute_cost(AL, y[None, :].astype(float)), net.cost(X, y), rtol=1e-12)
    grads = ref.L_model_backward(AL, y[None, :].astype(float), caches)
    for key, value in net.gradients(X, y).items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-10, atol=1e-14)


def test_torch_autograd_is_consulted_where_installed():
    pytest.importorskip("torch")
    assert "and PyTorch autograd" in exercises.check("linear_backward", ref.linear_backward).message
    assert "PyTorch" not in exercises.check("linear_forward", ref.linear_forward).message


# ------------------------------------------------------------------ typical wrong solutions and their hints


def linear_forward_transposed(A, W, b):
    return W.T @ A + b, (A, W, b)


def linear_forward_no_b(A, W, b):
    return W @ A, (A, W, b)


def linear_forward_cache_order(A, W, b):
    return W @ A + b, (W, A, b)


def linear_activation_forward_cache_order(A_prev, W, b, activation):
    Z, linear_cache = ref.linear_forward(A_prev, W, b)
    A = ref.activations.sigmoid(Z) if activation == "sigmoid" else np.maximum(Z, 0)
    return A, (Z, linear_cache)


def linear_activation_forward_always_relu(A_prev, W, b, activation):
    Z, linear_cache = ref.linear_forward(A_prev, W, b)
    A = np.maximum(Z, 0) if activation == "sigmoid" else ref.activations.sigmoid(Z)  # the if inverted
    return A, (linear_cache, Z)


def L_model_forward_all_sigmoid(X, parameters):
    caches, A, L = [], X, len(parameters) // 2
    for l in range(1, L + 1):
        A, cache = ref.linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "sigmoid")
        caches.append(cache)
    return A, caches


def L_model_forward_forgets_last_layer(X, parameters):
    caches, A, L = [], X, len(parameters) // 2
    for l in range(1, L):
        A, cache = ref.linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
        caches.append(cache)
    return A, caches


def compute_cost_wrong_sign(AL, Y):
    m = Y.shape[1]
    return float((Y * np.log(AL) + (1 - Y) * np.log(1 - AL)).sum() / m)


def compute_cost_no_1_over_m(AL, Y):
    return float(-(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)).sum())


def compute_cost_half(AL, Y):
    return float(-(Y * np.log(AL)).sum() / Y.shape[1])


def linear_backward_no_1_over_m(dZ, cache):
    A_prev, W, b = cache
    return W.T @ dZ, dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True) / A_prev.shape[1]


def linear_backward_db_axis0(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=0, keepdims=True) / m


def linear_backward_db_no_keepdims(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1) / m


def linear_backward_transposed_W(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W @ dZ, dZ @ A_prev.T / m, dZ.sum(axis=1, keepdims=True) / m


def linear_backward_dW_transposed(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, A_prev @ dZ.T / m, dZ.sum(axis=1, keepdims=True) / m


def relu_backward_at_zero(dA, Z):
    return dA * (Z >= 0)


def relu_backward_in_place(dA, Z):
    dZ = dA  # not a copy: the next line writes into the caller's dA
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward_uses_Z(dA, Z):
    return dA * Z * (1 - Z)


def L_model_backward_sign(AL, Y, caches):
    grads = ref.L_model_backward(AL, Y, caches)
    return {k: -v for k, v in grads.items()}


def L_model_backward_mutates_cache(AL, Y, caches):
    for _, Z in caches:
        Z[Z < 0] = 0  # "clean" the cache while computing the mask
    return ref.L_model_backward(AL, Y, caches)


def L_model_backward_swapped(AL, Y, caches):
    grads, L = {}, len(caches)
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    for l in range(L, 0, -1):
        linear_cache, Z = caches[l - 1]
        dZ = ref.relu_backward(dA, Z) if l == L else ref.sigmoid_backward(dA, Z)
        dA, grads[f"dW{l}"], grads[f"db{l}"] = ref.linear_backward(dZ, linear_cache)
    return grads


def update_parameters_plus(parameters, grads, learning_rate):
    return {k: v + learning_rate * grads["d" + k] for k, v in parameters.items()}


def update_parameters_off_by_one(parameters, grads, learning_rate):
    out, L = dict(parameters), len(parameters) // 2
    for l in range(1, L):  # forgets layer L
        out[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
        out[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
    return out


def init_transposed(layer_dims, rng):
    p = {}
    for l in range(1, len(layer_dims)):
        p[f"W{l}"] = rng.standard_normal((layer_dims[l - 1], layer_dims[l])) * 0.01
        p[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return p


def init_global_random(layer_dims, rng):
    p = {}
    for l in range(1, len(layer_dims)):
        p[f"W{l}"] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01  # noqa: NPY002 (the mistake under test)
        p[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return p


def init_zeros(layer_dims, rng):
    return {
        k: np.zeros((layer_dims[l], layer_dims[l - 1] if k[0] == "W" else 1))
        for l in range(1, len(layer_dims))
        for k in (f"W{l}", f"b{l}")
    }


WRONG = [
    ("linear_forward", linear_forward_transposed, "W is transposed: Z = W @ A + b"),
    ("linear_forward", linear_forward_no_b, "b is missing"),
    (
        "linear_forward",
        linear_forward_cache_order,
        "the cache is in the wrong order: expected (A, W, b), got (W, A, b)",
    ),
    (
        "linear_activation_forward",
        linear_activation_forward_cache_order,
        "the cache is in the wrong order: expected (linear_cache, Z), got (Z, linear_cache)",
    ),
    ("linear_activation_forward", linear_activation_forward_always_relu, "yours swapped them"),
    ("L_model_forward", L_model_forward_all_sigmoid, "the hidden layers 1..L-1 use ReLU"),
    ("L_model_forward", L_model_forward_forgets_last_layer, "caches holds 2 entries, expected 3 (one per layer)"),
    ("compute_cost", compute_cost_wrong_sign, "the sign of the cost is wrong"),
    ("compute_cost", compute_cost_no_1_over_m, "the 1/m is missing"),
    ("compute_cost", compute_cost_half, "the (1 - Y) log(1 - AL) term is missing"),
    ("linear_backward", linear_backward_no_1_over_m, "dW lacks the 1/m"),
    ("linear_backward", linear_backward_db_axis0, "db is summed over the wrong axis"),
    ("linear_backward", linear_backward_db_no_keepdims, "db lost its column axis: np.sum(dZ, axis=1, keepdims=True)"),
    ("linear_backward", linear_backward_transposed_W, "W is transposed in dA_prev: dA_prev = W.T @ dZ"),
    ("linear_backward", linear_backward_dW_transposed, "dW is transposed"),
    ("relu_backward", relu_backward_at_zero, "dZ differs where Z is exactly 0"),
    ("relu_backward", relu_backward_in_place, "relu_backward changed its input dA in place"),
    ("sigmoid_backward", sigmoid_backward_uses_Z, "the cache holds Z, the pre-activation"),
    ("L_model_backward", L_model_backward_sign, "every gradient has the wrong sign"),
    ("L_model_backward", L_model_backward_mutates_cache, "L_model_backward changed its input caches[0][1] in place"),
    ("L_model_backward", L_model_backward_swapped, "the activations are swapped"),
    ("update_parameters", update_parameters_plus, "the step goes up the gradient"),
    ("update_parameters", update_parameters_off_by_one, "W3 was not updated"),
    ("initialize_parameters_deep", init_transposed, "W1 has shape (5, 4), expected (4, 5) = (n_1, n_0) (transposed"),
    ("initialize_parameters_deep", init_global_random, "the weights do not come from the rng argument"),
    ("initialize_parameters_deep", init_zeros, "W1 has all entries equal"),
]


@pytest.mark.parametrize("name, fn, hint", WRONG, ids=[w[1].__name__ for w in WRONG])
def test_wrong_solution_gets_its_specific_hint(name, fn, hint):
    result = exercises.check(name, fn)
    assert not result.passed
    assert result.kind == "hint", result.message
    assert hint in result.message, result.message
    assert "(case " in result.message or "layer_dims" in result.message  # names the case


def test_at_least_a_dozen_mistakes_are_known():
    assert len(WRONG) >= 12
    assert sum(len(v) for v in MISTAKES.values()) >= 12


def test_an_unknown_mistake_names_the_first_differing_entry():
    def odd(dZ, cache):
        dA_prev, dW, db = ref.linear_backward(dZ, cache)
        dW = dW.copy()
        dW[1, 2] += 0.5
        return dA_prev, dW, db

    result = exercises.check("linear_backward", odd)
    assert result.kind == "mismatch"
    assert "linear_backward: dW[1, 2] is " in result.message and "expected " in result.message
    assert "(1 of 9 entries differ)" in result.message and "(case 1 of 2: " in result.message


def test_a_wrong_shape_says_expected_and_got():
    result = exercises.check("sigmoid_backward", lambda dA, Z: (dA * 0.25).T)
    assert "dZ: expected shape (3, 4), got (4, 3) (the transpose of the expected shape)" in result.message


def test_a_crash_is_reported_with_the_case_not_raised():
    result = exercises.check("linear_forward", lambda A, W, b: (A @ W + b, (A, W, b)))
    assert result.kind == "error"
    assert result.message.startswith("linear_forward raised ValueError: ")
    assert (
        "(case 1 of 2: square W: A (3, 5), W (3, 3), b (3, 1)). The inputs: A (3, 5), W (3, 3), b (3, 1)."
        in result.message
    )
    assert "W has shape (n_l, n_{l-1})" in result.message


def test_returning_nothing_is_named():
    result = exercises.check("relu_backward", lambda dA, Z: None)
    assert "returned None: is the return statement missing?" in result.message


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown exercise 'linear_fwd'; expected one of"):
        exercises.check("linear_fwd", ref.linear_forward)
    with pytest.raises(TypeError, match="needs your function as fn; got int"):
        exercises.check("linear_forward", 3)
