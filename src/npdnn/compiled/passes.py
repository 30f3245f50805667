"""The element-wise passes of the compiled step's split form (see :mod:`npdnn.compiled`):
compiled loops between GEMMs that NumPy runs.

On a large step the GEMMs are most of the time, and they run fastest where the NumPy path
runs them: NumPy's own BLAS, one pool of BLAS threads. Called from numba, ``np.dot`` goes
to SciPy's BLAS, a second library with its own threads: on 2 cores the two pools spin
against each other (a (209, 12288) GEMM took 13 ms instead of 1.8 right after the other
library's), and its dW GEMM of workload D ran 2.6 ms against NumPy's 1.8 on one thread
(benchmarks/compiled_split.py). So :class:`npdnn.compiled.step.CompiledStep` calls
``np.matmul`` from Python for those GEMMs and these kernels for what lies between them,
each one pass over its array:

- :func:`bias_activate`: ``A = g(Z + b)`` in place, (m, n_l);
- :func:`grad_and_db`: ``dZ = dA g'(A)`` in place and ``db`` = its column sums, one pass;
- :func:`column_sums`: ``db`` of the output layer; :func:`add_l2`: ``dW += (l2/m) W``;
- :func:`update` / :func:`update_parallel`: the optimizer over theta (threads: a fixed
  split into ``chunks`` ranges; each element depends on its own values only, so every
  split gives the same bits).

Every element-wise expression is :mod:`.kernels`' own (shared, inlined), and the sums run
in the same order as there (rows in turn, a running sum per column), so the split form and
the one-call form differ only in their GEMMs' library.

Owns: bias_activate, grad_and_db, column_sums, add_l2, update, update_parallel.
Imports: numba, :mod:`.kernels`.
"""

from __future__ import annotations

from numba import njit, prange

from .kernels import activate, activation_grad, update_range

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


@njit(cache=True, parallel=True)
def update_parallel(theta, grad, s1, s2, lr, b1, b2, eps_k, step_scale, optimizer, first, mu, chunks):
    """The optimizer step over theta cut into ``chunks`` equal ranges, run on numba's threads."""
    n = theta.shape[0]
    for c in prange(chunks):
        lo = (n * c) // chunks // 16 * 16  # range starts on 64-byte lines (float32): no line shared by two threads
        hi = n if c == chunks - 1 else (n * (c + 1)) // chunks // 16 * 16
        update_range(theta, grad, s1, s2, lr, b1, b2, eps_k, step_scale, optimizer, first, mu, lo, hi)
