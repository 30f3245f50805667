"""CompiledStep: what the epoch loop calls instead of ``net.loss_and_gradients`` and
``optimizer.step`` when the compiled step is on (see :mod:`npdnn.compiled`).

It reads the network and the optimizer through their public attributes (``dense[l].W``
views into ``theta``, ``hidden_activation``, the optimizer's state arrays and numbers) and
casts every scalar to the parameters' dtype here, in Python, with the expressions the
NumPy optimizers use: the kernel then rounds as NumPy does. The optimizer object stays the
owner of its state (``t``, ``m_sum``, ``v_sum``, ``velocity``): a checkpoint saves and
restores it as on the NumPy path, so resuming is the same either way.

Two forms, chosen by the step's size alone (so a resumed run takes the same one):

- one call (:func:`npdnn.compiled.kernels.train_step`) when the largest GEMM is below
  :data:`SPLIT_FLOPS`: there the ~60 NumPy calls' dispatch is the cost, and BLAS runs on
  one thread (npdnn.train.threads), so SciPy's BLAS under numba's ``np.dot`` is as fast;
- split (:meth:`CompiledStep._split`) from there up: the GEMMs through ``np.matmul``
  (NumPy's BLAS and threads, as on the NumPy path: see :mod:`.kernels` for why), the
  element-wise passes and the optimizer compiled. Its ~15 calls cost tens of microseconds,
  ~1% of such a step.

Owns: CompiledStep, SPLIT_FLOPS. Imports: NumPy, SciPy, :mod:`.kernels` (numba).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg  # noqa: F401  numba's np.dot calls SciPy's BLAS: loaded now, before fit limits its threads

from ..nn.activations import HIDDEN as ACTIVATIONS
from . import kernels

HIDDEN = {"relu": kernels.RELU, "leaky_relu": kernels.LEAKY_RELU, "tanh": kernels.TANH, "sigmoid": kernels.SIGMOID}
OPTIMIZERS = {"GD": kernels.GD, "Momentum": kernels.MOMENTUM, "Adam": kernels.ADAM}
_OPTIMIZERS_MODULE = "npdnn.train.optimizers"  # the built-in classes only: a subclass may change the rule
# The split form from this largest GEMM (2 b n_{l-1} n_l FLOPs) up: npdnn.train.threads.SMALL_STEP_FLOPS,
# where BLAS starts running on all threads (tests/test_compiled_split.py holds the two equal).
SPLIT_FLOPS = 16e6


class CompiledStep:
    """``step(A0, Yb, weights, l2, training=True) -> J``: one mini-batch's forward, backward
    and optimizer update (the update only when J is finite), as the NumPy path's
    ``loss_and_gradients`` followed by ``optimizer.step``."""

    def __init__(self, net, optimizer, kind, batch_size):
        self.net, self.opt, self.kind = net, optimizer, kind
        dtype = net.theta.dtype
        self.dtype = dtype.type
        item = dtype.itemsize
        base = net.theta.ctypes.data
        self.offs = np.array([(d.W.ctypes.data - base) // item for d in net.dense], dtype=np.int64)
        self.dims = np.array(net.layer_dims, dtype=np.int64)
        self.hidden = HIDDEN[net.hidden_activation]
        width = int(sum(net.layer_dims[1:]))
        self.acts = np.empty(batch_size * width, dtype=dtype)
        self.deltas = np.empty(batch_size * width, dtype=dtype)
        self.consts = np.array([1.0, kernels.LEAKY_SLOPE], dtype=dtype)
        self.no_weights = np.empty(0, dtype=dtype)
        self.no_state = np.empty(0, dtype=dtype)
        dims = net.layer_dims
        self.split = 2.0 * batch_size * max(a * b for a, b in zip(dims[:-1], dims[1:], strict=True)) >= SPLIT_FLOPS
        self._views_m = None  # the batch size _views was made for, and its views
        self._views = None

    @classmethod
    def build(cls, net, optimizer, l2, batch_size):
        """A step for this fit, or None when the configuration is not supported."""
        kind = OPTIMIZERS.get(type(optimizer).__name__) if type(optimizer).__module__ == _OPTIMIZERS_MODULE else None
        if kind is None or net.layer_dims[-1] != 1 or net.hidden_activation not in HIDDEN:
            return None
        # the kernels compute the built-in activation of that name: a custom Activation object
        # (even one named "relu") trains on the NumPy path, which calls it
        if any(d.activation is not ACTIVATIONS[net.hidden_activation] for d in net.dense[:-1]):
            return None
        if any(layer.rate for layer in net.dropout):
            return None
        if kind == kernels.MOMENTUM and optimizer.nesterov:
            kind = kernels.NESTEROV
        # theta's layout: W{l} (n_l, n_{l-1}) row-major, then b{l}, layer after layer (npdnn.network)
        theta = net.theta
        if not theta.flags.c_contiguous or any(
            d.b.ctypes.data != d.W.ctypes.data + d.W.nbytes or not d.W.flags.c_contiguous for d in net.dense
        ):
            return None
        return cls(net, optimizer, kind, batch_size)

    def __call__(self, A0, Yb, weights, l2=0.0, training=True):
        net, opt, dt = self.net, self.opt, self.dtype
        Xb = A0.T  # (m, n_x): C-ordered as batching delivers it
        if not Xb.flags.c_contiguous:
            Xb = np.ascontiguousarray(Xb)
        m = Xb.shape[0]
        y = Yb[0] if Yb[0].flags.c_contiguous else np.ascontiguousarray(Yb[0])
        if isinstance(weights, float):
            w, w_scalar = self.no_weights, dt(weights)
        else:
            w, w_scalar = np.ascontiguousarray(weights[0]), dt(0.0)
        l2_scale, l2_term = dt(l2 / m), (l2 / (2 * m) * net.l2_penalty() if l2 else 0.0)
        theta = net.theta
        if opt._tmp is None or opt._tmp.shape != theta.shape:
            opt._allocate(theta)  # the optimizer's own state arrays, as its step() would
        t = opt.t + 1
        lr = opt.learning_rate
        s1 = s2 = self.no_state
        b1 = b2 = eps_k = step_scale = mu = dt(0.0)
        if self.kind == kernels.ADAM:
            s1, s2 = opt.m_sum, opt.v_sum
            b1_, b2_ = opt.beta1, opt.beta2
            k = math.sqrt((1.0 - b2_**t) / (1.0 - b2_))  # the same expressions as Adam._update
            b1, b2, eps_k = dt(b1_), dt(b2_), dt(opt.epsilon * k)
            step_scale = dt(lr * k * (1.0 - b1_) / (1.0 - b1_**t))
        elif self.kind != kernels.GD:
            s1, mu = opt.velocity, dt(opt.momentum)
        if self.split:
            scalars = (l2_scale, float(l2_term), s1, s2, dt(lr), b1, b2, eps_k, step_scale, t, mu)
            J = self._split(Xb, y, w, w_scalar, *scalars)
        else:
            J = kernels.train_step(
                Xb, y, w, w_scalar, theta, net.grad, self.offs, self.dims, self.acts, self.deltas, self.consts,
                self.hidden, l2_scale, float(l2_term), s1, s2, dt(lr), b1, b2, eps_k, step_scale, self.kind, t == 1, mu,
            )  # fmt: skip
        if math.isfinite(J):
            opt.t = t
        return J

    def _layer_views(self, m):
        """``[(W, b, dW, db, A, dA)]`` per layer for batches of m rows: A{l} and dA{l} (dZ{l})
        (m, n_l) C-ordered views into the scratch, as the one-call kernel lays them out."""
        if self._views_m != m:
            views, pos = [], 0
            for d in self.net.dense:
                n = d.W.shape[0]
                A = self.acts[pos : pos + m * n].reshape(m, n)
                dA = self.deltas[pos : pos + m * n].reshape(m, n)
                views.append((d.W, d.b.reshape(-1), d.dW, d.db.reshape(-1), A, dA))
                pos += m * n
            self._views_m, self._views = m, views
        return self._views

    def _split(self, Xb, y, w, w_scalar, l2_scale, l2_term, s1, s2, lr, b1, b2, eps_k, step_scale, t, mu):
        """The split form: forward, cost, backward and update with the GEMMs on NumPy's matmul."""
        m = Xb.shape[0]
        layers = self._layer_views(m)
        hidden, consts, L = self.hidden, self.consts, len(layers)
        A_prev = Xb
        for l, (W, b, _, _, A, _) in enumerate(layers, start=1):
            np.matmul(A_prev, W.T, out=A)  # Z{l}.T = A{l-1}.T W{l}.T: (m, n_{l-1}) @ (n_{l-1}, n_l)
            kernels.bias_activate(A, b, hidden if l < L else kernels.LINEAR, consts)
            A_prev = A
        dZ = layers[-1][5]
        J = kernels._cost_and_dZ(A_prev, y, w, w_scalar, dZ, consts) + l2_term
        if not math.isfinite(J):
            return J
        kernels.column_sums(dZ, layers[-1][3])
        for l in range(L, 0, -1):
            W, _, dW, _, _, dZ = layers[l - 1]
            A_prev = layers[l - 2][4] if l > 1 else Xb
            np.matmul(dZ.T, A_prev, out=dW)  # (n_l, m) @ (m, n_{l-1})
            if l2_scale != 0:
                kernels.add_l2(dW.reshape(-1), W.reshape(-1), l2_scale)
            if l > 1:
                _, _, _, db_prev, A_prev, dA_prev = layers[l - 2]
                if l == L:  # n_L = 1: dA{L-1} is an outer product, made in the pass that applies g'
                    kernels.outer_grad_and_db(dZ, W, A_prev, dA_prev, db_prev, hidden, consts)
                else:
                    np.matmul(dZ, W, out=dA_prev)  # dA{l-1}.T = dZ{l}.T W{l}: (m, n_l) @ (n_l, n_{l-1})
                    kernels.grad_and_db(dA_prev, A_prev, db_prev, hidden, consts)
        theta, grad = self.net.theta, self.net.grad
        kernels.update(theta, grad, s1, s2, lr, b1, b2, eps_k, step_scale, self.kind, t == 1, mu)
        return J
