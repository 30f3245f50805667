"""What typical wrong solutions compute, and what to tell their authors.

For each exercise, :data:`MISTAKES` lists ``(hint, wrong)`` pairs: ``wrong(kwargs, expected)``
returns the outputs (a dict, some of the exercise's output names) that the mistake would
produce on that case, or None where the case cannot show it. The grader, on a mismatch,
tries them in order and gives the first hint whose outputs the learner's function
reproduced (to the grader's tolerance). Mistakes that show in the *form* of the answer
(a cache in the wrong order, an input changed in place, a wrong shape) are recognised
by the grader itself.

Owns: MISTAKES, CACHE_NAMES. Imports: NumPy and the reference.
"""

from __future__ import annotations

import numpy as np

from . import reference as ref


def _sig(Z):
    return ref.activations.sigmoid(Z)


def _square(W):
    return W.shape[0] == W.shape[1]


def _forward(X, parameters, hidden, output):
    """The L-layer forward pass with the given activations ("relu"/"sigmoid"/None)."""
    A, L = X, len(parameters) // 2
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        g = hidden if l < L else output
        A = Z if g is None else (_sig(Z) if g == "sigmoid" else np.maximum(Z, 0))
    return A


def _backward(AL, Y, caches, output_backward, hidden_backward, dAL_sign=1.0, scale=1.0):
    grads = {}
    dA = dAL_sign * -(Y / AL - (1 - Y) / (1 - AL))
    L = len(caches)
    for l in range(L, 0, -1):
        (A_prev, W, _), Z = caches[l - 1]
        dZ = output_backward(dA, Z) if l == L else hidden_backward(dA, Z)
        m = A_prev.shape[1]
        grads[f"dW{l}"] = scale * dZ @ A_prev.T / m
        grads[f"db{l}"] = scale * dZ.sum(axis=1, keepdims=True) / m
        dA = W.T @ dZ
    return grads


def _cost_terms(AL, Y):
    return Y * np.log(AL), (1 - Y) * np.log(1 - AL)


MISTAKES = {
    "linear_forward": [
        (
            "W is transposed: Z = W @ A + b, with W of shape (n_l, n_{l-1}) (one row per unit of the layer)",
            lambda k, e: {"Z": k["W"].T @ k["A"] + k["b"]} if _square(k["W"]) else None,
        ),
        ("b is missing: Z = W @ A + b", lambda k, e: {"Z": k["W"] @ k["A"]}),
    ],
    "linear_activation_forward": [
        (
            "the activation was not applied: A = g(Z), with g sigmoid or ReLU as `activation` says",
            lambda k, e: {"A": e["cache"][1]},
        ),
        (
            'activation="sigmoid" must give sigmoid(Z) and activation="relu" max(Z, 0); yours '
            "swapped them (check the if)",
            lambda k, e: {"A": np.maximum(e["cache"][1], 0) if k["activation"] == "sigmoid" else _sig(e["cache"][1])},
        ),
    ],
    "L_model_forward": [
        (
            "the hidden layers 1..L-1 use ReLU; only the output layer L uses sigmoid",
            lambda k, e: {"AL": _forward(k["X"], k["parameters"], "sigmoid", "sigmoid")},
        ),
        (
            "the output layer L uses sigmoid (its AL is a probability in (0, 1)); ReLU is for layers 1..L-1",
            lambda k, e: {"AL": _forward(k["X"], k["parameters"], "relu", "relu")},
        ),
        (
            "the output layer L uses sigmoid: AL = sigmoid(ZL), not ZL",
            lambda k, e: {"AL": _forward(k["X"], k["parameters"], "relu", None)},
        ),
    ],
    "compute_cost": [
        (
            "the sign of the cost is wrong: J = -(1/m) sum(Y log AL + (1 - Y) log(1 - AL)) is positive",
            lambda k, e: {"cost": -e["cost"]},
        ),
        (
            "the 1/m is missing: the cost is the mean over the m samples (m = Y.shape[1])",
            lambda k, e: {"cost": e["cost"] * k["Y"].shape[1]},
        ),
        (
            "the (1 - Y) log(1 - AL) term is missing: the samples with label 0 count too",
            lambda k, e: {"cost": float(-_cost_terms(k["AL"], k["Y"])[0].sum() / k["Y"].shape[1])},
        ),
        (
            "the Y log(AL) term is missing: the samples with label 1 count too",
            lambda k, e: {"cost": float(-_cost_terms(k["AL"], k["Y"])[1].sum() / k["Y"].shape[1])},
        ),
    ],
    "linear_backward": [
        (
            "dW lacks the 1/m: dW = (1/m) dZ @ A_prev.T (m = A_prev.shape[1])",
            lambda k, e: {"dW": e["dW"] * k["dZ"].shape[1]},
        ),
        ("db lacks the 1/m: db = (1/m) sum of dZ over the samples", lambda k, e: {"db": e["db"] * k["dZ"].shape[1]}),
        (
            "db is summed over the wrong axis: the samples are the columns, so sum with axis=1 "
            "and keepdims=True (db has b's shape (n_l, 1))",
            lambda k, e: {"db": k["dZ"].sum(axis=0, keepdims=True) / k["dZ"].shape[1]},
        ),
        (
            "db is summed over the wrong axis: the samples are the columns, so sum with axis=1 "
            "and keepdims=True (db has b's shape (n_l, 1))",
            lambda k, e: {"db": k["dZ"].sum(axis=0) / k["dZ"].shape[1]},
        ),
        (
            "db lost its column axis: np.sum(dZ, axis=1, keepdims=True) keeps the shape (n_l, 1) of b",
            lambda k, e: {"db": e["db"].ravel()},
        ),
        (
            "db is summed over every entry: sum over the samples only (axis=1, keepdims=True)",
            lambda k, e: {"db": np.sum(k["dZ"]) / k["dZ"].shape[1]},
        ),
        (
            "dW is transposed: dW = (1/m) dZ @ A_prev.T has W's shape (n_l, n_{l-1})",
            lambda k, e: {"dW": e["dW"].T} if _square(e["dW"]) else None,
        ),
        (
            "W is transposed in dA_prev: dA_prev = W.T @ dZ",
            lambda k, e: {"dA_prev": k["cache"][1] @ k["dZ"]} if _square(k["cache"][1]) else None,
        ),
        (
            "dA_prev has an extra 1/m: only dW and db are averaged over the samples",
            lambda k, e: {"dA_prev": e["dA_prev"] / k["dZ"].shape[1]},
        ),
    ],
    "relu_backward": [
        (
            "dZ differs where Z is exactly 0: ReLU's derivative there is taken as 0 (dZ = dA * (Z "
            "> 0)); yours uses Z >= 0",
            lambda k, e: {"dZ": k["dA"] * (k["Z"] >= 0)},
        ),
        ("dZ = dA * g'(Z): multiply the mask (Z > 0) by dA", lambda k, e: {"dZ": (k["Z"] > 0).astype(float)}),
        (
            "ReLU's derivative is the step 1[Z > 0], not max(Z, 0): dZ = dA * (Z > 0)",
            lambda k, e: {"dZ": k["dA"] * np.maximum(k["Z"], 0)},
        ),
    ],
    "sigmoid_backward": [
        (
            "the cache holds Z, the pre-activation: compute s = sigmoid(Z) = 1 / (1 + np.exp(-Z)) "
            "first, then dZ = dA * s * (1 - s)",
            lambda k, e: {"dZ": k["dA"] * k["Z"] * (1 - k["Z"])},
        ),
        (
            "sigmoid's derivative is s (1 - s): dZ = dA * s * (1 - s); a factor is missing",
            lambda k, e: {"dZ": k["dA"] * _sig(k["Z"])},
        ),
        ("dZ = dA * s * (1 - s): multiply by dA", lambda k, e: {"dZ": _sig(k["Z"]) * (1 - _sig(k["Z"]))}),
    ],
    "L_model_backward": [
        (
            "every gradient has the wrong sign: dAL = -(Y / AL - (1 - Y) / (1 - AL)), the "
            "derivative of the cost (with its minus)",
            lambda k, e: _backward(
                k["AL"], k["Y"], k["caches"], ref.sigmoid_backward, ref.relu_backward, dAL_sign=-1.0
            ),
        ),
        (
            "every dW and db is m times too large: the 1/m of the cost belongs in each layer's dW and db",
            lambda k, e: _backward(
                k["AL"], k["Y"], k["caches"], ref.sigmoid_backward, ref.relu_backward, scale=k["AL"].shape[1]
            ),
        ),
        (
            "the activations are swapped: layer L (the output) goes back through "
            "sigmoid_backward, layers L-1..1 through relu_backward",
            lambda k, e: _backward(k["AL"], k["Y"], k["caches"], ref.relu_backward, ref.sigmoid_backward),
        ),
        (
            "every layer went back through relu_backward: layer L (the output) uses sigmoid_backward",
            lambda k, e: _backward(k["AL"], k["Y"], k["caches"], ref.relu_backward, ref.relu_backward),
        ),
    ],
    "update_parameters": [
        (
            "the step goes up the gradient: W = W - learning_rate * dW (minus: gradient *descent*)",
            lambda k, e: {key: 2 * k["parameters"][key] - v for key, v in e.items()},
        ),
        (
            "the learning rate is missing: W = W - learning_rate * dW",
            lambda k, e: {key: k["parameters"][key] - k["grads"]["d" + key] for key in e},
        ),
    ],
}

# Names of a cache's entries, for "the cache is in the wrong order" (by output name)
CACHE_NAMES = {
    "linear_forward": {"cache": ("A", "W", "b")},
    "linear_activation_forward": {"cache": ("linear_cache", "Z")},
}
