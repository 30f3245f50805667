"""The reference solutions of the exercises, in the article's functional style: a
``parameters`` dict ``{"W1", "b1", ..., "WL", "bL"}``, caches as tuples, samples as columns.

Shapes: ``W{l}`` (n_l, n_{l-1}), ``b{l}`` (n_l, 1), ``A{l}``, ``Z{l}`` (n_l, m), ``X`` (n_x, m),
``Y`` (1, m). Caches: ``linear_cache = (A_prev, W, b)``, ``activation_cache = Z``,
``cache = (linear_cache, activation_cache)``. The activations are npdnn's own
(:mod:`npdnn.nn.activations`), and ``tests/test_exercises.py`` pins these functions to
:class:`npdnn.Network`'s forward pass and gradients.

Owns: the nine reference functions (and ``sigmoid_backward``/``relu_backward``). Imports: NumPy, npdnn.nn.
"""

from __future__ import annotations

import numpy as np

from ..nn import activations


def initialize_parameters_deep(layer_dims, rng):
    """``W{l} ~ N(0, 2 / n_{l-1})`` (He), ``b{l} = 0``, drawn from ``rng`` (a ``np.random.Generator``)."""
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * np.sqrt(2.0 / layer_dims[l - 1])
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return parameters


def linear_forward(A, W, b):
    """``Z = W @ A + b`` (n_l, m); cache ``(A, W, b)``."""
    Z = W @ A + b  # (n_l, n_{l-1}) @ (n_{l-1}, m) + (n_l, 1) broadcast over the m columns
    return Z, (A, W, b)


def linear_activation_forward(A_prev, W, b, activation):
    """``A = g(W @ A_prev + b)`` with g "sigmoid" or "relu"; cache ``(linear_cache, Z)``."""
    Z, linear_cache = linear_forward(A_prev, W, b)
    A = activations.sigmoid(Z) if activation == "sigmoid" else activations.relu(Z)
    return A, (linear_cache, Z)


def L_model_forward(X, parameters):
    """ReLU on layers 1..L-1, sigmoid on L; returns ``AL`` (1, m) and the list of L caches."""
    caches, A = [], X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    """``J = -(1/m) sum(Y log AL + (1 - Y) log(1 - AL))``, a float."""
    m = Y.shape[1]
    return float(-(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)).sum() / m)


def linear_backward(dZ, cache):
    """``dW = (1/m) dZ @ A_prev.T``, ``db = (1/m) sum_columns(dZ)`` (n_l, 1), ``dA_prev = W.T @ dZ``.

    (The article's functional form keeps the 1/m here, where dZ is the per-sample gradient;
    npdnn's layers fold it into ``dZ_L`` instead: the same numbers.)"""
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T / m  # (n_l, m) @ (m, n_{l-1})
    db = dZ.sum(axis=1, keepdims=True) / m  # (n_l, 1): a sum over the samples (columns)
    dA_prev = W.T @ dZ  # (n_{l-1}, n_l) @ (n_l, m)
    return dA_prev, dW, db


def relu_backward(dA, Z):
    """``dZ = dA * 1[Z > 0]`` (ReLU's derivative at 0 is taken as 0); never writes into dA."""
    return dA * (Z > 0)


def sigmoid_backward(dA, Z):
    """``dZ = dA * s (1 - s)`` with ``s = sigmoid(Z)``."""
    s = activations.sigmoid(Z)
    return dA * s * (1 - s)


def L_model_backward(AL, Y, caches):
    """Gradients ``{"dA{l-1}", "dW{l}", "db{l}"}`` for l = L..1.

    ``dAL = -(Y / AL - (1 - Y) / (1 - AL))``, then sigmoid's backward on layer L and
    ReLU's on the others, each followed by :func:`linear_backward`."""
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dA = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    for l in range(L, 0, -1):
        linear_cache, Z = caches[l - 1]
        dZ = sigmoid_backward(dA, Z) if l == L else relu_backward(dA, Z)
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_backward(dZ, linear_cache)
        grads[f"dA{l - 1}"] = dA
    return grads


def update_parameters(parameters, grads, learning_rate):
    """``W{l} -= learning_rate * dW{l}``, ``b{l} -= learning_rate * db{l}`` for every layer; returns a new dict."""
    L = len(parameters) // 2
    out = {}
    for l in range(1, L + 1):
        out[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
        out[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
    return out


EXERCISES = (
    "initialize_parameters_deep",
    "linear_forward",
    "linear_activation_forward",
    "L_model_forward",
    "compute_cost",
    "linear_backward",
    "relu_backward",
    "sigmoid_backward",
    "L_model_backward",
    "update_parameters",
)
