"""The JAX (XLA) worker of benchmarks/bench.py: written for speed, as a JAX user would.

One jitted function per timed unit: a whole epoch is one XLA program, a ``lax.scan``
over the full batches (the shuffled gather inside it) plus the last partial batch,
which is kept, as npdnn, PyTorch and Keras keep it; parameters and the Adam state are
donated, so XLA updates them in place. Workload D (full-batch gradient descent) scans
over its iterations instead. Everything is compiled in ``__init__`` (one call on the
real shapes), so no timed unit compiles.

Same maths as npdnn: He-normal weights, zero biases, ReLU, sigmoid cross-entropy on
the logits, Adam with torch's epsilon placement (optax's ``adam`` is
``m_hat / (sqrt(v_hat) + eps)``, the same) or plain gradient descent.

Parameters are stored as ``W (n_in, n_out)`` (the transpose of npdnn's ``W{l}``), so
``X (m, n_x) @ W`` needs no transpose of the data.
"""

from __future__ import annotations

import os
import time

import numpy as np


def _jax(dtype):
    if np.dtype(dtype) == np.float64:
        os.environ.setdefault("JAX_ENABLE_X64", "1")
    import jax

    if np.dtype(dtype) == np.float64:
        jax.config.update("jax_enable_x64", True)
    return jax


def he_params(dims, dtype, seed=0):
    """``[(W (n_in, n_out), b (n_out,))]``: He-normal W, zero b, as npdnn's ``"he"``."""
    rng = np.random.default_rng(seed)
    return [
        (
            (rng.standard_normal((dims[l - 1], dims[l])) * np.sqrt(2.0 / dims[l - 1])).astype(dtype),
            np.zeros(dims[l], dtype=dtype),
        )
        for l in range(1, len(dims))
    ]


def make_loss(jax):
    import jax.numpy as jnp

    def logits(params, X):
        A = X
        for W, b in params[:-1]:
            A = jax.nn.relu(A @ W + b)
        W, b = params[-1]
        return (A @ W + b)[:, 0]

    def loss(params, X, y):
        z = logits(params, X)
        # softplus(z) - y z = -[y log s(z) + (1 - y) log(1 - s(z))], stable for any z
        return jnp.mean(jax.nn.softplus(z) - y * z)

    return loss


class JaxRunner:
    name = "jax"

    def __init__(self, w, X, y, dtype):
        jax = _jax(dtype)
        import jax.numpy as jnp
        import optax

        self.jax, self.w = jax, w
        loss = make_loss(jax)
        grad_fn = jax.value_and_grad(loss)
        opt = optax.adam(w.lr, b1=0.9, b2=0.999, eps=1e-8) if w.optimizer == "adam" else optax.sgd(w.lr)
        self.X = jax.device_put(X)
        self.y = jax.device_put(y.astype(dtype))
        self.params = jax.device_put(he_params(w.dims, dtype))
        self.opt_state = opt.init(self.params)

        def step(carry, Xb, yb):
            params, state = carry
            _, g = grad_fn(params, Xb, yb)
            updates, state = opt.update(g, state, params)
            return (optax.apply_updates(params, updates), state)

        m, b = w.m, w.batch
        if b is None:  # D: full-batch gradient descent, the unit's iterations in one program

            def unit(params, state, X, y, key):
                def body(carry, _):
                    return step(carry, X, y), None

                (params, state), _ = jax.lax.scan(body, (params, state), None, length=w.epochs)
                return params, state

        else:
            n_full, rest = divmod(m, b)

            def unit(params, state, X, y, key):
                for e in range(w.epochs):  # unrolled: the unit's 1-2 epochs in one program
                    perm = jax.random.permutation(jax.random.fold_in(key, e), m)

                    def body(carry, idx):
                        return step(carry, jnp.take(X, idx, axis=0), jnp.take(y, idx)), None

                    carry, _ = jax.lax.scan(body, (params, state), perm[: n_full * b].reshape(n_full, b))
                    if rest:  # the last partial batch is kept (a second, smaller shape)
                        idx = perm[n_full * b :]
                        carry = step(carry, jnp.take(X, idx, axis=0), jnp.take(y, idx))
                    params, state = carry
                return params, state

        self.unit = jax.jit(unit, donate_argnums=(0, 1))
        self.key = jax.random.PRNGKey(1)
        t0 = time.perf_counter()
        self._call()  # compile on the real shapes, outside every timed unit
        self.compile_s = time.perf_counter() - t0

    def _call(self):
        self.key, sub = self.jax.random.split(self.key)
        self.params, self.opt_state = self.unit(self.params, self.opt_state, self.X, self.y, sub)
        self.jax.block_until_ready(self.params)

    def run(self):
        self._call()


class JaxStepRunner(JaxRunner):
    """JAX as most users write it first: one jitted step (gather, gradient, Adam) per
    mini-batch, called from a Python loop over a NumPy permutation. Both batch shapes
    (full and the last partial one) are compiled in ``__init__``."""

    name = "jaxstep"

    def __init__(self, w, X, y, dtype):
        jax = _jax(dtype)
        import jax.numpy as jnp
        import optax

        self.jax, self.w = jax, w
        grad_fn = jax.value_and_grad(make_loss(jax))
        opt = optax.adam(w.lr, b1=0.9, b2=0.999, eps=1e-8) if w.optimizer == "adam" else optax.sgd(w.lr)
        self.X = jax.device_put(X)
        self.y = jax.device_put(y.astype(dtype))
        self.params = jax.device_put(he_params(w.dims, dtype))
        self.opt_state = opt.init(self.params)

        def step(params, state, X, y, idx):
            _, g = grad_fn(params, jnp.take(X, idx, axis=0), jnp.take(y, idx))
            updates, state = opt.update(g, state, params)
            return optax.apply_updates(params, updates), state

        self.step = jax.jit(step, donate_argnums=(0, 1))
        self.rng = np.random.default_rng(1)
        t0 = time.perf_counter()
        self.run()  # compiles both batch shapes
        self.compile_s = time.perf_counter() - t0

    def run(self):
        w = self.w
        m = w.m
        b = m if w.batch is None else w.batch
        for _ in range(w.epochs):
            perm = self.rng.permutation(m).astype(np.int32) if w.batch is not None else np.arange(m, dtype=np.int32)
            for start in range(0, m, b):
                self.params, self.opt_state = self.step(
                    self.params, self.opt_state, self.X, self.y, perm[start : start + b]
                )
        self.jax.block_until_ready(self.params)
