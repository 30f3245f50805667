"""Output layers paired with their cross-entropy costs, computed from the logits.

Shapes: logits ``Z`` and targets ``Y`` are ``(n_L, m)``; ``weights`` is either a
Python float (``1/m``, the plain mean) or an array ``(1, m)`` of per-sample weights
that sum to one (scikit-learn's weighted mean ``sum(w_i l_i) / sum(w_i)``).

Why from the logits: ``-[y log a + (1-y) log(1-a)]`` with ``a = sigmoid(z)``
rounds ``a`` to exactly 0 or 1 once ``|z|`` exceeds ~37 (float64) and then takes
``log(0)``. Written in ``z`` it is ``max(z, 0) - z y + log(1 + exp(-|z|))``, where
``exp`` only sees values in (0, 1]: finite and exact for any finite logit.

Why ``dZ_L = A_L - Y``: for sigmoid + binary cross-entropy (and softmax +
categorical cross-entropy) the derivative of the loss of one sample with respect to
its logit simplifies to ``a - y``; the cost J is a weighted mean, so
``dZ_L = w * (A_L - Y)`` with ``w = 1/m`` unweighted.

Owns: the output layers with their costs. Imports: NumPy and :mod:`npdnn.activations` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import sigmoid, softmax


def binary_cross_entropy(Z, Y, weights):
    """``J = sum_i w_i [max(z_i, 0) - z_i y_i + log1p(exp(-|z_i|))]``; Z, Y: (1, m)."""
    return _weighted_sum(binary_cross_entropy_per_sample(Z, Y), weights)


def binary_cross_entropy_per_sample(Z, Y):
    """Each sample's ``max(z, 0) - z y + log1p(exp(-|z|))`` (1, m); Z, Y: (1, m)."""
    return np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))


def categorical_cross_entropy(Z, Y, weights):
    """``J = -sum_i w_i sum_k y_ki log softmax(z_i)_k``; Z, Y: (K, m), Y one-hot.

    ``log softmax = (Z - max) - log(sum exp(Z - max))``: the shift keeps ``exp`` from
    overflowing and the log is never taken of a rounded-to-zero probability.
    """
    return -_weighted_sum(_log_likelihood(Z, Y), weights)


def categorical_cross_entropy_per_sample(Z, Y):
    """Each sample's ``-sum_k y_k log softmax(z)_k`` (1, m); Z, Y: (K, m)."""
    return -_log_likelihood(Z, Y)


def _log_likelihood(Z, Y):
    shifted = Z - Z.max(axis=0, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    return (Y * log_p).sum(axis=0, keepdims=True)  # (1, m)


def cross_entropy_backward(A, Y, weights):
    """``dZ_L = w * (A_L - Y)``, the gradient of J with respect to the logits (n_L, m)."""
    dZ = A - Y
    dZ *= weights
    return dZ


def binary_cross_entropy_and_dZ(Z, Y, weights):
    """``(J, dZ_L)`` of :func:`binary_cross_entropy` and :func:`cross_entropy_backward`
    with ``A_L = sigmoid(Z)`` in one pass: both need ``e = exp(-|Z|)``, computed once.

    The sigmoid is the two-branch stable form of :func:`npdnn.activations.sigmoid`.
    """
    # max(z, 0) + log1p(exp(-|z|)) is softplus(z) = logaddexp(0, z), which NumPy evaluates
    # with that very formula in one call
    per_sample = np.logaddexp(0, Z)
    per_sample -= Z * Y
    J = _weighted_sum(per_sample, weights)
    e = np.copysign(Z, -1.0)  # -|Z| in one call (abs then negative took two)
    np.exp(e, out=e)  # exp(-|Z|) in (0, 1]
    dZ = np.where(Z >= 0, e.dtype.type(1), e)
    e += 1.0
    dZ /= e  # A_L = sigmoid(Z)
    dZ -= Y
    dZ *= weights
    return J, dZ


def _cost_and_dZ(output_forward, cost):
    def cost_and_dZ(Z, Y, weights):
        return cost(Z, Y, weights), cross_entropy_backward(output_forward(Z), Y, weights)

    return cost_and_dZ


def normalized_weights(sample_weight, dtype):
    """Per-sample weights (m,) -> the ``weights`` argument of the costs: (1, m) of
    ``dtype``, summing to one."""
    return (sample_weight / sample_weight.sum()).astype(dtype)[None, :]


def _weighted_sum(per_sample, weights):
    if isinstance(weights, float):
        return per_sample.sum() * weights
    return (per_sample * weights).sum()


@dataclass(frozen=True)
class Output:
    """An output activation with its matching cost: ``dZ_L = w (A_L - Y)`` for both."""

    name: str
    forward: Callable
    cost: Callable
    cost_and_dZ: Callable  # (Z, Y, weights) -> (J, dZ_L), the training step's fused pair


OUTPUTS = {
    "sigmoid": Output("sigmoid", sigmoid, binary_cross_entropy, binary_cross_entropy_and_dZ),
    "softmax": Output("softmax", softmax, categorical_cross_entropy, _cost_and_dZ(softmax, categorical_cross_entropy)),
}


# Each output's per-sample cost (1, m), such that ``output.cost(Z, Y, w)`` equals
# ``weighted_sum(PER_SAMPLE[name](Z, Y), w)`` bit for bit (the chunked cost relies on it).
PER_SAMPLE = {"sigmoid": binary_cross_entropy_per_sample, "softmax": categorical_cross_entropy_per_sample}
weighted_sum = _weighted_sum
