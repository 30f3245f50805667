"""Central-difference gradient check.

For every parameter theta_i: ``g_num_i = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)``
(error O(eps^2)), compared with back-propagation's ``g`` by the relative difference
``||g - g_num|| / (||g|| + ||g_num||)``: below ~1e-7 in float64 means the gradient is
right; a wrong derivative gives values near 1e-2 or more.
"""

from __future__ import annotations

import numpy as np


def relative_difference(g, g_num):
    """``||g - g_num||_2 / (||g||_2 + ||g_num||_2)``, 0 when both are zero."""
    denom = np.linalg.norm(g) + np.linalg.norm(g_num)
    return 0.0 if denom == 0 else float(np.linalg.norm(g - g_num) / denom)


def gradcheck(net, X, y, *, l2=0.0, sample_weight=None, epsilon=1e-6, rng=None):
    """Compare back-propagation with central differences on every parameter.

    Run it on a float64 network (float32 rounding swamps the O(eps^2) error).
    When the network has dropout rates set, the masks are drawn once from ``rng``
    (default: a generator seeded with 0) and frozen, so both methods differentiate
    the same function.

    Returns
    -------
    dict
        ``{"W1": rel, "b1": rel, ..., "total": rel}``: relative differences per
        parameter array and over all parameters.
    """
    A0, Y, weights = net._check(X, y, sample_weight)
    training = any(layer.rate > 0 for layer in net.dropout)
    saved = [(layer.rng, layer.frozen) for layer in net.dropout]
    try:
        if training:
            generator = rng if rng is not None else np.random.default_rng(0)
            for layer in net.dropout:
                layer.rng, layer.frozen, layer.D = generator, True, None
        net.loss_and_gradients(A0, Y, weights, l2, training)
        g = net.grad.copy()
        theta = net.theta
        g_num = np.empty_like(g)
        for i in range(theta.size):
            original = theta[i]
            theta[i] = original + epsilon
            J_plus = net.objective(A0, Y, weights, l2, training)
            theta[i] = original - epsilon
            J_minus = net.objective(A0, Y, weights, l2, training)
            theta[i] = original
            g_num[i] = (J_plus - J_minus) / (2 * epsilon)
        net.loss_and_gradients(A0, Y, weights, l2, training)  # leave grads at theta
    finally:
        for layer, (layer_rng, frozen) in zip(net.dropout, saved, strict=True):
            layer.rng, layer.frozen = layer_rng, frozen
    result, offset = {}, 0
    for name, value in net.params.items():
        n = value.size
        result[name] = relative_difference(g[offset : offset + n], g_num[offset : offset + n])
        offset += n
    result["total"] = relative_difference(g, g_num)
    return result
