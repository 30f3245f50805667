"""Activation functions and their derivatives, as pure functions on arrays.

Every function takes ``Z`` of shape ``(n_l, m)`` and returns an array of the same
shape and dtype. The backward functions take the upstream gradient ``dA`` together
with what the forward pass cached, and return ``dZ = dA * g'(Z)``.

Registry: :data:`HIDDEN` maps the names accepted by ``hidden_activation=`` to an
:class:`Activation` record.

Owns: the hidden activations and sigmoid/softmax. Imports: NumPy only (the bottom of the house).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01


def sigmoid(Z, out=None):
    """Logistic function ``A = 1 / (1 + exp(-Z))``, stable for any finite Z.

    The textbook formula overflows in ``exp(-Z)`` for Z < -709 (float64) or -88
    (float32). Both branches below only ever evaluate ``exp(-|Z|)`` in (0, 1]:
    ``1 / (1 + e)`` for Z >= 0 and ``e / (1 + e)`` for Z < 0, which are the same
    function written two ways.
    """
    e = np.exp(-np.abs(Z))
    numerator = np.where(Z >= 0, np.ones((), dtype=e.dtype), e)
    return np.divide(numerator, 1.0 + e, out=out)


def sigmoid_backward(dA, A, out=None):
    """``dZ = dA * A * (1 - A)`` given the cached output ``A = sigmoid(Z)``."""
    return np.multiply(dA * A, 1.0 - A, out=out)


def relu(Z, out=None):
    """``A = max(Z, 0)``."""
    return np.maximum(Z, 0, out=out)


def relu_backward(dA, A, out=None):
    """``dZ = dA * 1[Z > 0]``; ``A > 0`` exactly when ``Z > 0``, so A suffices.

    Multiplying by a boolean mask keeps dA's dtype; ``.astype(int)`` would upcast
    float32 to float64. ``out=dA`` is allowed (the training pass uses it).
    """
    return np.multiply(dA, A > 0, out=out)


def leaky_relu(Z, out=None):
    """``A = Z`` where ``Z > 0``, else ``0.01 Z``."""
    # max(Z, 0.01 Z) equals the two-branch definition because 0 < slope < 1.
    return np.maximum(Z, Z * LEAKY_SLOPE, out=out)


def leaky_relu_backward(dA, A, out=None):
    """``dZ = dA`` where ``Z > 0``, else ``0.01 dA`` (sign of A equals sign of Z)."""
    dZ = np.where(A > 0, dA, dA * LEAKY_SLOPE)
    if out is None:
        return dZ
    np.copyto(out, dZ)
    return out


def tanh(Z, out=None):
    """``A = tanh(Z)``."""
    return np.tanh(Z, out=out)


def tanh_backward(dA, A, out=None):
    """``dZ = dA * (1 - A^2)`` given the cached output ``A = tanh(Z)``."""
    return np.multiply(dA, 1.0 - A * A, out=out)


def softmax(Z):
    """Column-wise softmax of ``Z`` (K, m); the column max is subtracted first so
    that ``exp`` never overflows (softmax is invariant to a shift per column)."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


@dataclass(frozen=True)
class Activation:
    """A named activation: ``forward(Z) -> A`` and ``backward(dA, A) -> dZ``.

    All registered derivatives are written in terms of the output ``A`` so a layer
    needs to cache only A, not Z.
    """

    name: str
    forward: Callable
    backward: Callable
    backward_out: bool = False  # backward accepts ``out=`` (may write dZ over dA)


HIDDEN = {
    "relu": Activation("relu", relu, relu_backward, True),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_backward, True),
    "tanh": Activation("tanh", tanh, tanh_backward, True),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_backward, True),
}


def get_hidden(name):
    """Look up a hidden activation by name, with an error listing the choices."""
    if isinstance(name, Activation):
        return name
    try:
        return HIDDEN[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown hidden_activation {name!r}; expected one of {sorted(HIDDEN)}") from None
