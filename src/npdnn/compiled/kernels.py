"""The numba kernels of the compiled training step (see :mod:`npdnn.compiled`).

One function, :func:`train_step`, does a whole mini-batch step: forward, cost and dZ_L,
backward, optimizer update. Everything is sample-major, as the fast layer's training pass
is: ``A{l}`` is stored ``(b, n_l)`` C-ordered (the transpose of the article's ``(n_l, b)``),
so the GEMMs are those of :class:`npdnn.nn.fast.FastDense` (``Z.T = A_prev.T @ W.T``,
``dW = dZ @ A_prev.T``, ``dA_prev.T = dZ.T @ W``), called through ``np.dot``, which numba
hands to BLAS for contiguous float arrays. The element-wise work is fused into the loops
around them: bias add with the activation, the activation's derivative with nothing left
to fuse, the cost with dZ_L, and the optimizer in one pass over theta.

Every element-wise operation is the NumPy path's, in the same order and the same dtype
(scalars arrive already cast to the parameters' dtype, as NumPy casts a Python float
against a float32 array), and numba does not contract ``a * b + c`` into a fused
multiply-add without ``fastmath``: the updates round as NumPy's do. What differs: sums
(db, the cost) run in a plain loop where NumPy uses BLAS's gemv or a pairwise sum, and
``exp``/``log1p``/``tanh`` come from the C library instead of NumPy's SIMD loops. Hence
the pins of tests/test_compiled.py: 1e-12 in float64, 8 float32 eps of the largest parameter in float32.

Owns: train_step, and the per-element pieces :mod:`.passes` shares (activate,
activation_grad, update_range). Imports: NumPy, numba.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

RELU, LEAKY_RELU, TANH, SIGMOID = 0, 1, 2, 3
GD, MOMENTUM, NESTEROV, ADAM = 0, 1, 2, 3
LEAKY_SLOPE = 0.01  # npdnn.nn.activations.LEAKY_SLOPE


@njit(cache=True, inline="always")
def activate(z, hidden, consts):
    """The hidden activation of one pre-activation z (npdnn.nn.activations, same rounding)."""
    if hidden == RELU:
        return z if z != z else max(z, 0)  # NumPy's maximum(z, 0): z for z > 0, else 0 (NaN kept)
    if hidden == LEAKY_RELU:
        return max(z, z * consts[1])
    if hidden == TANH:
        return math.tanh(z)
    e = math.exp(-abs(z))
    return (consts[0] if z >= 0 else e) / (consts[0] + e)


@njit(cache=True, inline="always")
def activation_grad(dA, a, hidden, consts):
    """dZ = dA g'(Z), from the activation's output a = g(Z)."""
    if hidden == RELU:
        return dA * (1 if a > 0 else 0)
    if hidden == LEAKY_RELU:
        return dA if a > 0 else dA * consts[1]
    if hidden == TANH:
        return dA * (consts[0] - a * a)
    return dA * a * (consts[0] - a)


@njit(cache=True)
def _forward(Xb, theta, offs, dims, acts, hidden, consts):
    """Fill ``acts`` with A{1..L-1} and Z_L, each (m, n_l) C-ordered; return Z_L."""
    m = Xb.shape[0]
    L = dims.shape[0] - 1
    A_prev = Xb
    pos = 0
    for l in range(1, L + 1):
        n_in, n_out = dims[l - 1], dims[l]
        o = offs[l - 1]
        W = theta[o : o + n_out * n_in].reshape((n_out, n_in))
        b = theta[o + n_out * n_in : o + n_out * n_in + n_out]
        Z = acts[pos : pos + m * n_out].reshape((m, n_out))
        np.dot(A_prev, W.T, Z)  # (m, n_in) @ (n_in, n_out): Z.T = A_prev.T @ W.T
        if l < L:
            for i in range(m):
                for j in range(n_out):
                    Z[i, j] = activate(Z[i, j] + b[j], hidden, consts)
        else:
            for i in range(m):
                for j in range(n_out):
                    Z[i, j] = Z[i, j] + b[j]
        A_prev = Z
        pos += m * n_out
    return A_prev


@njit(cache=True)
def _cost_and_dZ(ZL, y, w, w_scalar, dZ, consts):
    """J of the binary cross-entropy from the logits ZL (m, 1), and dZ_L = w (sigmoid(Z) - y)
    into dZ (m, 1): npdnn.nn.losses.binary_cross_entropy_and_dZ, one pass."""
    m = ZL.shape[0]
    one = consts[0]
    J = 0.0
    for i in range(m):
        z = ZL[i, 0]
        yi = y[i]
        e = math.exp(-abs(z))
        per_sample = max(z, 0) + math.log1p(e) - z * yi  # softplus(z) - z y
        a = (one if z >= 0 else e) / (one + e)  # sigmoid, the two-branch stable form
        wi = w_scalar if w.shape[0] == 0 else w[i]
        J += per_sample if w.shape[0] == 0 else per_sample * wi
        dZ[i, 0] = (a - yi) * wi
    return J * w_scalar if w.shape[0] == 0 else J


@njit(cache=True)
def _backward(Xb, theta, grad, offs, dims, acts, deltas, hidden, l2_scale, consts):
    """Gradients into ``grad`` from dZ_L (in ``deltas``' last block): dW, db of every layer."""
    m = Xb.shape[0]
    L = dims.shape[0] - 1
    starts = np.zeros(L + 1, dtype=np.int64)  # starts[l]: where layer l's block begins in acts/deltas
    for l in range(2, L + 1):
        starts[l] = starts[l - 1] + m * dims[l - 1]
    for l in range(L, 0, -1):
        n_in, n_out = dims[l - 1], dims[l]
        o = offs[l - 1]
        W = theta[o : o + n_out * n_in].reshape((n_out, n_in))
        dW = grad[o : o + n_out * n_in].reshape((n_out, n_in))
        db = grad[o + n_out * n_in : o + n_out * n_in + n_out]
        dZ = deltas[starts[l] : starts[l] + m * n_out].reshape((m, n_out))
        if l > 1:
            A_prev = acts[starts[l - 1] : starts[l - 1] + m * n_in].reshape((m, n_in))
            np.dot(dZ.T, A_prev, dW)  # (n_out, m) @ (m, n_in)
        else:
            np.dot(dZ.T, Xb, dW)
        if l2_scale != 0:
            for k in range(n_out * n_in):
                dW.flat[k] = dW.flat[k] + l2_scale * W.flat[k]
        for j in range(n_out):
            db[j] = 0
        for i in range(m):
            for j in range(n_out):
                db[j] += dZ[i, j]
        if l == 1:
            break
        dA = deltas[starts[l - 1] : starts[l - 1] + m * n_in].reshape((m, n_in))
        np.dot(dZ, W, dA)  # dA_prev.T = dZ.T @ W: (m, n_out) @ (n_out, n_in)
        A = acts[starts[l - 1] : starts[l - 1] + m * n_in].reshape((m, n_in))
        for i in range(m):
            for j in range(n_in):
                dA[i, j] = activation_grad(dA[i, j], A[i, j], hidden, consts)


@njit(cache=True)
def update_range(theta, grad, s1, s2, lr, b1, b2, eps_k, step_scale, optimizer, first, mu, lo, hi):
    """One optimizer step over ``theta[lo:hi]``, element by element (npdnn.train.optimizers):
    one loop per rule, so that each is a plain loop LLVM vectorizes. Each element depends on
    its own values only, so any split of the range gives the same bits."""
    if optimizer == GD:
        for k in range(lo, hi):
            theta[k] = theta[k] - grad[k] * lr
    elif optimizer == ADAM:  # weighted sums m_sum, v_sum, as npdnn's Adam keeps them
        for k in range(lo, hi):
            g = grad[k]
            m_sum = s1[k] * b1 + g
            v_sum = s2[k] * b2 + g * g
            s1[k] = m_sum
            s2[k] = v_sum
            theta[k] = theta[k] - (m_sum / (math.sqrt(v_sum) + eps_k)) * step_scale
    elif first:
        for k in range(lo, hi):
            g = grad[k]
            s1[k] = g
            theta[k] = theta[k] - (g * mu + g if optimizer == NESTEROV else g) * lr
    else:
        for k in range(lo, hi):
            g = grad[k]
            v = s1[k] * mu + g
            s1[k] = v
            theta[k] = theta[k] - (v * mu + g if optimizer == NESTEROV else v) * lr


@njit(cache=True)
def train_step(
    Xb, y, w, w_scalar, theta, grad, offs, dims, acts, deltas, consts, hidden, l2_scale, l2_term,
    s1, s2, lr, b1, b2, eps_k, step_scale, optimizer, first, mu,
):  # fmt: skip
    """One mini-batch step; returns ``J`` (the cost plus ``l2_term``). When J is not finite,
    nothing is updated (the gradients are not computed either): the caller reports it.

    Xb (m, n_x) C-ordered; y (m,) targets; w (m,) normalized weights or an empty array with
    ``w_scalar`` = 1/m; theta, grad flat; offs[l-1] the offset of W{l} in theta; dims the
    layer sizes; acts, deltas scratch of at least m sum(n_l) values; consts = [1, LEAKY_SLOPE]
    of theta's dtype (so that constants round as NumPy rounds a Python float against the array).
    """
    m = Xb.shape[0]
    ZL = _forward(Xb, theta, offs, dims, acts, hidden, consts)
    n_before = 0
    for l in range(1, dims.shape[0] - 1):
        n_before += m * dims[l]
    dZL = deltas[n_before : n_before + m].reshape((m, 1))
    J = _cost_and_dZ(ZL, y, w, w_scalar, dZL, consts) + l2_term
    if not math.isfinite(J):
        return J
    _backward(Xb, theta, grad, offs, dims, acts, deltas, hidden, l2_scale, consts)
    update_range(theta, grad, s1, s2, lr, b1, b2, eps_k, step_scale, optimizer, first, mu, 0, theta.shape[0])
    return J
