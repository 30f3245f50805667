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

The split form of a large step (:meth:`npdnn.compiled.step.CompiledStep._split`) runs its
GEMMs through NumPy and the passes at the end of this file between them. Why: called from
numba, ``np.dot`` goes to SciPy's BLAS, a second library with its own threads; on 2 cores
the two pools spin against each other (a (209, 12288) GEMM took 13 ms instead of 1.8 right
after the other library's), and the dW GEMM of workload D ran 2.6 ms against NumPy's 1.8 on
one thread (benchmarks/compiled_split.py). Each pass is one sweep over its array:

- :func:`bias_activate`: ``A = g(Z + b)`` in place, (m, n_l);
- :func:`grad_and_db`: ``dZ = dA g'(A)`` in place and ``db`` its column sums, one pass;
  :func:`outer_grad_and_db` the same for the layer under the output, its ``dA = dZ_L W_L``
  (a product of one term: what BLAS returns) computed in the same pass;
- :func:`column_sums`: ``db`` of the output layer; :func:`add_l2`: ``dW += (l2/m) W``;
- :func:`update`: the optimizer over theta, one vectorized pass (see :func:`update_range`).
  Not on numba's threads: one pass takes 0.09 ms for B's 235k parameters and ~1 ms for
  C's 2.1M (memory-bound), and on a busy 2-core machine (load 6.6) the same pass on 2
  threads took 12-16 ms (benchmarks/README.md, "Issue 29: the compiled step on B, C, D").

They share the one-call form's per-element functions, and their sums run in its order
(rows in turn, a running sum per column): the two forms differ only in the GEMMs' library.
All of it lives in this one file on purpose: numba's disk cache of a function is keyed on
its own file's time stamp, so a kernel calling another file's kernel could keep running
that kernel's old code from the cache after an upgrade changed only the other file.

Owns: train_step, the split form's passes, and the per-element functions both share
(sqrt, activate, activation_grad, update_range). Imports: NumPy, numba.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numba.extending import intrinsic

RELU, LEAKY_RELU, TANH, SIGMOID = 0, 1, 2, 3
GD, MOMENTUM, NESTEROV, ADAM = 0, 1, 2, 3
LEAKY_SLOPE = 0.01  # npdnn.nn.activations.LEAKY_SLOPE


@intrinsic
def sqrt(typingctx, x):
    """IEEE square root of a float (LLVM's ``llvm.sqrt``): correctly rounded, as NumPy's
    ``np.sqrt`` and the CPU's sqrtps are. numba's ``math.sqrt`` calls libm's ``sqrtf`` (kept
    for errno), a call LLVM does not vectorize: the optimizer pass ran 4x slower with it."""

    def codegen(context, builder, signature, args):
        return builder.call(builder.module.declare_intrinsic("llvm.sqrt", [args[0].type]), args)

    return x(x), codegen


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


@njit(cache=True, error_model="numpy")
def update_range(theta, grad, s1, s2, lr, b1, b2, eps_k, step_scale, optimizer, first, mu, lo, hi):
    """One optimizer step over ``theta[lo:hi]``, element by element (npdnn.train.optimizers).

    Each element depends on its own values only, so any split of the range gives the same
    bits. Written so that LLVM vectorizes the loops (the Adam pass ran ~4x faster): one loop
    per rule over views indexed from 0 (an index that may be negative keeps a wrap-around
    test in each access), NumPy's error model (no zero-division test on each division: the
    denominators are positive), :func:`sqrt` (no libm call). No ``fastmath``: a fused
    multiply-add would round differently from NumPy's separate passes."""
    th, gr = theta[lo:hi], grad[lo:hi]
    n = th.shape[0]
    if optimizer == GD:
        for k in range(n):
            th[k] = th[k] - gr[k] * lr
    elif optimizer == ADAM:  # weighted sums m_sum, v_sum, as npdnn's Adam keeps them
        m1, m2 = s1[lo:hi], s2[lo:hi]
        for k in range(n):
            g = gr[k]
            m_sum = m1[k] * b1 + g
            v_sum = m2[k] * b2 + g * g
            m1[k] = m_sum
            m2[k] = v_sum
            th[k] = th[k] - (m_sum / (sqrt(v_sum) + eps_k)) * step_scale
    elif first:
        vel = s1[lo:hi]
        for k in range(n):
            g = gr[k]
            vel[k] = g
            th[k] = th[k] - (g * mu + g if optimizer == NESTEROV else g) * lr
    else:
        vel = s1[lo:hi]
        for k in range(n):
            g = gr[k]
            v = vel[k] * mu + g
            vel[k] = v
            th[k] = th[k] - (v * mu + g if optimizer == NESTEROV else v) * lr


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


# ---- the split form's passes: between GEMMs that NumPy runs (see CompiledStep._split) ----
LINEAR = -1  # bias_activate's output layer: the bias only (the cost takes the logits)


@njit(cache=True)
def bias_activate(Z, b, hidden, consts):
    """``Z[i, j] = g(Z[i, j] + b[j])`` for Z (m, n) C-ordered, b (n,); ``hidden = LINEAR``: no g."""
    m, n = Z.shape
    for i in range(m):
        if hidden == LINEAR:
            for j in range(n):
                Z[i, j] = Z[i, j] + b[j]
        else:
            for j in range(n):
                Z[i, j] = activate(Z[i, j] + b[j], hidden, consts)


@njit(cache=True)
def grad_and_db(dA, A, db, hidden, consts):
    """``dA[i, j] *= g'`` (from A = g(Z)) in place, now dZ (m, n), and ``db[j] = sum_i dZ[i, j]``."""
    m, n = dA.shape
    for j in range(n):
        db[j] = 0
    for i in range(m):
        for j in range(n):
            d = activation_grad(dA[i, j], A[i, j], hidden, consts)
            dA[i, j] = d
            db[j] += d


@njit(cache=True)
def outer_grad_and_db(dZL, W_L, A, dA, db, hidden, consts):
    """For the layer under a one-unit output: ``dA = dZ_L W_L`` (m, 1) @ (1, n), then as
    :func:`grad_and_db`, in one pass (``np.matmul`` took 0.09 ms for B's (256, 1) @ (1, 128))."""
    m, n = dA.shape
    for j in range(n):
        db[j] = 0
    for i in range(m):
        dz = dZL[i, 0]
        for j in range(n):
            d = activation_grad(dz * W_L[0, j], A[i, j], hidden, consts)
            dA[i, j] = d
            db[j] += d


@njit(cache=True)
def column_sums(dZ, db):
    """``db[j] = sum_i dZ[i, j]`` for dZ (m, n), rows in turn."""
    m, n = dZ.shape
    for j in range(n):
        db[j] = 0
    for i in range(m):
        for j in range(n):
            db[j] += dZ[i, j]


@njit(cache=True)
def add_l2(dW, W, l2_scale):
    """``dW += l2_scale W`` over the flat (n,) views, as the fused kernel adds it."""
    for k in range(dW.shape[0]):
        dW[k] = dW[k] + l2_scale * W[k]


@njit(cache=True)
def update(theta, grad, s1, s2, lr, b1, b2, eps_k, step_scale, optimizer, first, mu):
    """The optimizer step over all of theta, on this thread."""
    update_range(theta, grad, s1, s2, lr, b1, b2, eps_k, step_scale, optimizer, first, mu, 0, theta.shape[0])
