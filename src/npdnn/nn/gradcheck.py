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


# A pre-activation this close to 0 can cross a kink when central differences move a
# parameter by epsilon (a weight moves Z by epsilon * |a|, a bias by epsilon).
KINK_REACH = 10.0
KINKED = ("relu", "leaky_relu")  # hidden activations whose derivative jumps at 0


def kinks(net, X, epsilon=1e-6):
    """``{l: count}`` of pre-activations ``Z{l}`` (hidden layers with a kink at 0:
    ReLU, leaky ReLU) within ``KINK_REACH * epsilon`` of 0 on ``X`` (m, n_x); layers
    without such points are left out.

    There the activation's derivative jumps, so ``(J(theta + eps) - J(theta - eps)) / 2eps``
    averages two one-sided slopes while backprop takes one of them: the check fails
    on a correct gradient. With zero biases it happens exactly: a sample whose
    previous layer is all zeros (dead ReLUs) gets ``Z{l} = b{l} = 0``.
    """
    A = np.asarray(X, dtype=net.dtype).T  # (n_x, m)
    found = {}
    for layer in net.dense[:-1]:
        Z = layer.W @ A + layer.b  # (n_l, m)
        if layer.activation.name in KINKED:
            near = int(np.count_nonzero(np.abs(Z) <= KINK_REACH * epsilon * (1.0 + np.abs(A).max(initial=0.0))))
            if near:
                found[layer.index] = near
        A = layer.activation.forward(Z)
    return found


def explain(net, X, result, tolerance=1e-7, epsilon=1e-6):
    """Lines that explain a failed check (``result["total"] >= tolerance``): when
    pre-activations of a ReLU-like layer sit on the kink at 0, the likely cause and
    what to try; an empty list when the check passed or no kink is near."""
    if result["total"] < tolerance:
        return []
    near = kinks(net, X, epsilon)
    if not near:
        return []
    where = ", ".join(f"{n} in Z{l}" for l, n in near.items())
    return [
        f"likely cause: a kink of {net.hidden_activation} at 0, not a wrong backprop. {sum(near.values())} "
        f"pre-activations lie within {KINK_REACH * epsilon:g} of 0 ({where}), where the derivative jumps: "
        "central differences average the two one-sided slopes, backprop takes one.",
        "try: a smooth activation (tanh), non-zero biases (with b = 0 a sample whose previous layer is all "
        "dead ReLUs gets Z = b = 0 exactly), or fewer samples (fewer chances to land on the kink).",
    ]
