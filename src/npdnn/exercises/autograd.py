"""The backward exercises' expected answers computed a second way, by PyTorch autograd
(where torch is installed), so a learner's gradient is checked against both npdnn's
reference and an independent differentiation.

Each function takes a case's kwargs and returns the exercise's outputs (a dict of float64
arrays) from ``torch.autograd``; :func:`autograd_outputs` returns None for exercises
without a gradient, or when torch is not installed.

Owns: autograd_outputs. Imports: NumPy; torch lazily.
"""

from __future__ import annotations

import numpy as np


def _t(torch, a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _linear_backward(torch, k):
    A_prev, W, b = k["cache"]
    A_t, W_t, b_t = _t(torch, A_prev, True), _t(torch, W, True), _t(torch, b, True)
    m = A_prev.shape[1]
    Z = W_t @ A_t + b_t
    # dZ is the per-sample gradient dL_i/dZ; the cost is their mean, hence the 1/m on dW and db only
    (Z * _t(torch, k["dZ"])).sum().backward()
    return {"dA_prev": A_t.grad.numpy(), "dW": W_t.grad.numpy() / m, "db": b_t.grad.numpy() / m}


def _activation_backward(torch, k, g):
    Z = _t(torch, k["Z"], True)
    (g(Z) * _t(torch, k["dA"])).sum().backward()
    return {"dZ": Z.grad.numpy()}


def _compute_cost(torch, k):
    AL, Y = _t(torch, k["AL"]), _t(torch, k["Y"])
    return {"cost": float(torch.nn.functional.binary_cross_entropy(AL, Y))}


def _L_model_backward(torch, k):
    caches = k["caches"]
    A = _t(torch, caches[0][0][0])
    params = []
    for l, ((_, W, b), _) in enumerate(caches, start=1):
        W_t, b_t = _t(torch, W, True), _t(torch, b, True)
        Z = W_t @ A + b_t
        A = torch.sigmoid(Z) if l == len(caches) else torch.relu(Z)
        params.append((W_t, b_t))
    torch.nn.functional.binary_cross_entropy(A, _t(torch, k["Y"])).backward()
    grads = {}
    for l, (W_t, b_t) in enumerate(params, start=1):
        grads[f"dW{l}"], grads[f"db{l}"] = W_t.grad.numpy(), b_t.grad.numpy()
    return grads


_FUNCTIONS = {
    "linear_backward": _linear_backward,
    "relu_backward": lambda torch, k: _activation_backward(torch, k, torch.relu),
    "sigmoid_backward": lambda torch, k: _activation_backward(torch, k, torch.sigmoid),
    "compute_cost": _compute_cost,
    "L_model_backward": _L_model_backward,
}


def autograd_outputs(name, kwargs):
    """The outputs of exercise ``name`` on ``kwargs`` by torch autograd, or None."""
    if name not in _FUNCTIONS:
        return None
    try:
        import torch
    except ImportError:
        return None
    return _FUNCTIONS[name](torch, kwargs)
