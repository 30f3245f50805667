"""Where a training step's time goes, for each implementation (``bench.py --bottlenecks``).

The parts of one step (seconds per step):

- ``gemm_fwd``: Z_l = A_{l-1} W_l for every layer;
- ``gemm_bwd``: dW_l = A_{l-1}^T dZ_l for every layer and dA_{l-1} = dZ_l W_l^T for l >= 2;
- ``elementwise``: bias adds, ReLU and its derivative (mask), the loss with dZ_L, db sums;
- ``optimizer``: one update of all parameters by the framework's own optimizer;
- ``gather``: one mini-batch of shuffled rows, X[idx] (nothing for full-batch D);
- ``rest``: the step's measured time minus all of the above: interpreter and framework
  overhead (autograd bookkeeping, op dispatch, tf.data, callbacks).

npdnn's split comes from its own timers (:func:`npdnn.train.profiling.profile`, around the
real ``fit``). The peers' parts are measured by difference: each part's kernels run
alone, on the step's shapes, in the framework's own execution mode, and ``rest`` is what
the real step (one timed unit of the benchmark, divided by its steps) takes beyond them:

- PyTorch: eager calls, as its training loop makes them (each part's per-op dispatch
  included in that part);
- JAX: each part jitted as a ``lax.fori_loop`` of ``reps`` iterations (as the epoch's
  scan runs it); a carried scalar makes every iteration depend on the last, so XLA
  cannot hoist the work out of the loop. When XLA fuses the parts of the real step
  into fewer passes than the parts take alone, ``rest`` comes out negative: that is
  the fusion's saving, reported as such (``fusion_saving``) and drawn as zero;
- Keras: each part in a ``tf.function`` looping ``reps`` times (graph mode, as
  ``model.fit``'s train function runs); ``rest`` then holds what ``fit`` adds per
  step (the train function's dispatch, the tf.data iterator, callbacks).

- scikit-learn: its NumPy kernels replayed eagerly, as its ``_backprop`` calls them.
"""

from __future__ import annotations

import json
import time

import numpy as np

from npdnn.train.profiling import PARTS  # noqa: F401 -- the parts as npdnn's profiler names them; bench.py reads it here


def steps_per_unit(w):
    if w.batch is None:
        return w.epochs
    return w.epochs * -(-w.m // w.batch)


def shapes(w):
    """``(b, [(n_in, n_out), ...])``: the step's batch size and layer shapes."""
    b = w.m if w.batch is None else w.batch
    return b, list(zip(w.dims[:-1], w.dims[1:], strict=True))


def random_arrays(w, dtype, seed=0):
    """NumPy arrays of one step's shapes (values do not matter for timing, only shapes)."""
    rng = np.random.default_rng(seed)
    b, layers = shapes(w)

    def r(*shape):
        return (0.1 * rng.standard_normal(shape)).astype(dtype)

    return {
        "A": [r(b, n_in) for n_in, _ in layers],  # A_{l-1}, (b, n_in)
        "W": [r(n_in, n_out) for n_in, n_out in layers],  # (n_in, n_out)
        "bias": [r(n_out) for _, n_out in layers],
        "Z": [r(b, n_out) for _, n_out in layers],  # (b, n_out)
        "y": (rng.random(b) < 0.5).astype(dtype),
    }


def finish(parts, step_s, steps):
    """Add ``rest`` (never below zero; a negative difference is a fusion saving)."""
    measured = sum(parts.values())
    out = dict(parts)
    out["rest"] = max(step_s - measured, 0.0)
    return {"per_step": out, "step_s": step_s, "steps": steps, "fusion_saving": max(measured - step_s, 0.0)}


def _best_of(fn, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


# ---------------------------------------------------------------------- npdnn
def split_npdnn(runner):
    from npdnn.train.profiling import profile

    w = runner.w
    p = profile(
        runner.net,
        runner.X,
        runner.y,
        optimizer=w.optimizer,
        learning_rate=w.lr,
        batch_size=w.batch,
        epochs=w.epochs,
        seed=runner.rng,
    )
    # step_s: the plain fit's time per step (the instrumented one is a few % slower)
    out = {"per_step": p.per_step, "step_s": p.plain_s / p.steps, "steps": p.steps, "fusion_saving": 0.0}
    out["timed_step_s"] = p.step_s
    return out


# ---------------------------------------------------------------------- PyTorch (eager)
def split_torch(runner, step_s, reps=50):
    torch, w = runner.torch, runner.w
    arr = {
        k: ([torch.from_numpy(a) for a in v] if isinstance(v, list) else torch.from_numpy(v))
        for k, v in random_arrays(w, runner.X.numpy().dtype).items()
    }
    A, W, Z, bias = arr["A"], arr["W"], arr["Z"], arr["bias"]
    L = len(W)
    y = arr["y"][:, None]

    def gemm_fwd():
        for l in range(L):
            torch.mm(A[l], W[l])

    def gemm_bwd():
        for l in range(L):
            torch.mm(A[l].T, Z[l])  # dW
            if l > 0:
                torch.mm(Z[l], W[l].T)  # dA_prev

    def elementwise():
        for l in range(L - 1):
            Zb = Z[l] + bias[l]
            torch.relu(Zb)
            torch.ops.aten.threshold_backward(Z[l], Zb, 0.0)  # ReLU's derivative, as autograd runs it
            Z[l].sum(0)  # db
        zL = Z[L - 1] + bias[L - 1]
        torch.nn.functional.binary_cross_entropy_with_logits(zL, y)
        (torch.sigmoid(zL) - y) / zL.shape[0]  # dZ_L
        Z[L - 1].sum(0)

    params = [p for p in runner.model.parameters()]
    for p in params:
        p.grad = torch.zeros_like(p)

    def optimizer():
        runner.opt.step()

    parts = {}
    with torch.no_grad():
        for name, fn in (("gemm_fwd", gemm_fwd), ("gemm_bwd", gemm_bwd), ("elementwise", elementwise)):
            fn()
            parts[name] = _best_of(lambda fn=fn: [fn() for _ in range(reps)]) / reps
        runner.opt.step()
        parts["optimizer"] = _best_of(lambda: [optimizer() for _ in range(reps)]) / reps
        if w.batch is None:
            parts["gather"] = 0.0
        else:
            perm = torch.randperm(w.m)
            idx = [perm[i * w.batch : (i + 1) * w.batch] for i in range(reps)]
            parts["gather"] = _best_of(lambda: [(runner.X[i], runner.y[i]) for i in idx]) / reps
    return finish(parts, step_s, steps_per_unit(w))


# ---------------------------------------------------------------------- JAX (XLA)
def split_jax(runner, step_s, reps=50):
    jax, w = runner.jax, runner.w
    import jax.numpy as jnp
    import optax

    dtype = np.asarray(runner.X).dtype
    arr = jax.device_put(random_arrays(w, dtype))
    L = len(arr["W"])

    def looped(part):
        """``part(arr, c) -> scalar``, run reps times in one XLA program, each
        iteration fed the last one's scalar (so nothing is loop-invariant)."""

        @jax.jit
        def run(arr):
            def body(i, c):
                return part(arr, c * 1e-30)

            return jax.lax.fori_loop(0, reps, body, jnp.zeros((), dtype))

        def call():
            jax.block_until_ready(run(arr))

        call()  # compile
        return _best_of(call) / reps

    def gemm_fwd(a, c):
        return sum(jnp.sum((a["A"][l] + c) @ a["W"][l]) * 1e-30 for l in range(L))

    def gemm_bwd(a, c):
        s = 0.0
        for l in range(L):
            s += jnp.sum((a["A"][l] + c).T @ a["Z"][l]) * 1e-30
            if l > 0:
                s += jnp.sum((a["Z"][l] + c) @ a["W"][l].T) * 1e-30
        return s

    def elementwise(a, c):
        s = 0.0
        for l in range(L - 1):
            Zb = a["Z"][l] + a["bias"][l] + c
            s += jnp.sum(jax.nn.relu(Zb)) * 1e-30
            s += jnp.sum(jnp.where(Zb > 0, a["Z"][l], 0.0)) * 1e-30  # dZ = dA * (Z > 0)
            s += jnp.sum(jnp.sum(a["Z"][l], 0)) * 1e-30  # db
        z = (a["Z"][L - 1] + a["bias"][L - 1] + c)[:, 0]
        y = a["y"]
        s += jnp.mean(jax.nn.softplus(z) - y * z) * 1e-30
        s += jnp.sum((jax.nn.sigmoid(z) - y) / z.shape[0]) * 1e-30
        return s

    parts = {
        name: looped(fn) for name, fn in (("gemm_fwd", gemm_fwd), ("gemm_bwd", gemm_bwd), ("elementwise", elementwise))
    }

    opt = optax.adam(w.lr, eps=1e-8) if w.optimizer == "adam" else optax.sgd(w.lr)
    params = [(Wl, bl) for Wl, bl in zip(arr["W"], arr["bias"], strict=True)]
    grads = jax.tree_util.tree_map(lambda x: x * 1e-3, params)

    @jax.jit
    def opt_loop(params, state):
        def body(i, carry):
            p, s = carry
            u, s = opt.update(grads, s, p)
            return optax.apply_updates(p, u), s

        return jax.lax.fori_loop(0, reps, body, (params, opt.init(params)))

    jax.block_until_ready(opt_loop(params, None))
    parts["optimizer"] = _best_of(lambda: jax.block_until_ready(opt_loop(params, None))) / reps

    if w.batch is None:
        parts["gather"] = 0.0
    else:
        X, b = runner.X, w.batch
        perm = jax.random.permutation(jax.random.PRNGKey(0), w.m)

        @jax.jit
        def gather_loop(X, perm):
            def body(i, c):
                idx = jax.lax.dynamic_slice(perm, (i * b,), (b,))
                # summed whole: a slice of it would let XLA gather that slice only (the sum's
                # pass over the batch, hot in cache, is counted here too)
                return c + jnp.sum(jnp.take(X, idx, axis=0)) * 1e-30

            return jax.lax.fori_loop(0, reps, body, jnp.zeros((), X.dtype))

        jax.block_until_ready(gather_loop(X, perm))
        parts["gather"] = _best_of(lambda: jax.block_until_ready(gather_loop(X, perm))) / reps
    return finish(parts, step_s, steps_per_unit(w))


# ---------------------------------------------------------------------- Keras (TF graph)
def split_keras(runner, step_s, reps=50):
    import tensorflow as tf

    w = runner.w
    dtype = runner.X.dtype
    arr = random_arrays(w, dtype)
    A = [tf.constant(a) for a in arr["A"]]
    W = [tf.constant(a) for a in arr["W"]]
    Z = [tf.constant(a) for a in arr["Z"]]
    bias = [tf.constant(a) for a in arr["bias"]]
    y = tf.constant(arr["y"][:, None])
    L = len(W)

    def looped(part):
        @tf.function
        def run():
            c = tf.zeros((), dtype)
            for _ in tf.range(reps):
                c = part(c * 1e-30)
            return c

        run()  # trace
        return _best_of(lambda: run().numpy()) / reps

    def gemm_fwd(c):
        return tf.add_n([tf.reduce_sum(tf.matmul(A[l] + c, W[l])) * 1e-30 for l in range(L)])

    def gemm_bwd(c):
        s = [tf.reduce_sum(tf.matmul(A[l] + c, Z[l], transpose_a=True)) * 1e-30 for l in range(L)]
        s += [tf.reduce_sum(tf.matmul(Z[l] + c, W[l], transpose_b=True)) * 1e-30 for l in range(1, L)]
        return tf.add_n(s)

    def elementwise(c):
        s = []
        for l in range(L - 1):
            Zb = Z[l] + bias[l] + c
            s.append(tf.reduce_sum(tf.nn.relu(Zb)) * 1e-30)
            s.append(tf.reduce_sum(tf.where(Zb > 0, Z[l], 0.0)) * 1e-30)
            s.append(tf.reduce_sum(tf.reduce_sum(Z[l], 0)) * 1e-30)
        z = Z[L - 1] + bias[L - 1] + c
        s.append(tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(y, z)) * 1e-30)
        s.append(tf.reduce_sum((tf.sigmoid(z) - y) / z.shape[0]) * 1e-30)
        return tf.add_n(s)

    parts = {
        name: looped(fn) for name, fn in (("gemm_fwd", gemm_fwd), ("gemm_bwd", gemm_bwd), ("elementwise", elementwise))
    }

    model, opt = runner.model, runner.model.optimizer
    grads = [tf.zeros_like(v) + 1e-3 for v in model.trainable_variables]

    @tf.function
    def opt_loop():
        for _ in tf.range(reps):
            opt.apply_gradients(zip(grads, model.trainable_variables, strict=True))

    opt_loop()
    parts["optimizer"] = _best_of(lambda: opt_loop()) / reps

    if w.batch is None:
        parts["gather"] = 0.0
    else:
        X, b = tf.constant(runner.X), w.batch
        perm = tf.random.shuffle(tf.range(w.m))

        @tf.function
        def gather_loop():
            c = tf.zeros((), dtype)
            for i in tf.range(reps):
                c += tf.reduce_sum(tf.gather(X, perm[i * b : (i + 1) * b])) * 1e-30
            return c

        gather_loop()
        parts["gather"] = _best_of(lambda: gather_loop().numpy()) / reps
    return finish(parts, step_s, steps_per_unit(w))


# ---------------------------------------------------------------------- scikit-learn (NumPy)
def split_sklearn(runner, step_s, reps=50):
    """MLPClassifier's step is NumPy calls like npdnn's; its kernels replayed eagerly:
    ``safe_sparse_dot`` GEMMs, bias + ReLU, ``delta[Z == 0] = 0``, the clipped log-loss,
    ``_safe_indexing`` of the shuffled rows, and its own ``AdamOptimizer.update_params``."""
    from sklearn.utils import _safe_indexing

    w, model = runner.w, runner.model
    arr = random_arrays(w, runner.X.dtype)
    A, W, Z, bias, y = arr["A"], arr["W"], arr["Z"], arr["bias"], arr["y"][:, None]
    L = len(W)

    def gemm_fwd():
        for l in range(L):
            A[l] @ W[l]

    def gemm_bwd():
        for l in range(L):
            A[l].T @ Z[l]
            if l > 0:
                Z[l] @ W[l].T

    def elementwise():
        for l in range(L - 1):
            Zb = Z[l] + bias[l]
            np.maximum(Zb, 0, out=Zb)
            d = Z[l].copy()
            d[Zb == 0] = 0
            d.mean(0)
        z = Z[L - 1] + bias[L - 1]
        p = 1 / (1 + np.exp(-z))
        eps = np.finfo(p.dtype).eps
        pc = np.clip(p, eps, 1 - eps)
        -(y * np.log(pc) + (1 - y) * np.log(1 - pc)).sum() / len(y)
        p - y

    parts = {}
    for name, fn in (("gemm_fwd", gemm_fwd), ("gemm_bwd", gemm_bwd), ("elementwise", elementwise)):
        fn()
        parts[name] = _best_of(lambda fn=fn: [fn() for _ in range(reps)]) / reps
    params = model.coefs_ + model.intercepts_
    grads = [np.full_like(p, 1e-3) for p in params]
    opt = model._optimizer  # the fitted model's own optimizer (Adam or SGD)
    parts["optimizer"] = _best_of(lambda: [opt.update_params(params, grads) for _ in range(reps)]) / reps
    # shuffle=True gathers every batch, the full one of D too (all of X, every iteration)
    b = w.m if w.batch is None else w.batch
    rng = np.random.default_rng(0)
    idx = [rng.permutation(w.m)[:b] for _ in range(reps)]
    parts["gather"] = _best_of(lambda: [(_safe_indexing(runner.X, i), runner.y[i]) for i in idx]) / reps
    return finish(parts, step_s, steps_per_unit(w))


SPLITTERS = {"torch": split_torch, "jax": split_jax, "keras": split_keras, "sklearn": split_sklearn}


def split(impl, runner, unit_s):
    """The JSON-able split of ``impl``'s step; ``unit_s``: a timed unit's seconds."""
    if impl == "npdnn":
        return split_npdnn(runner)
    if impl not in SPLITTERS:
        return None
    return SPLITTERS[impl](runner, unit_s / steps_per_unit(runner.w))


def measure(bench, w, dtype, impls, repeats=3, quick=False):
    """``{impl: split}`` for workload ``w``: each implementation alone in its worker
    (one after the other), a warm-up unit, ``repeats`` timed units (their median is the
    step time), then the split."""
    out = {}
    for impl in impls:
        if impl != "npdnn" and impl not in SPLITTERS:
            continue
        proc = bench._start_worker(impl, w.name, np.dtype(dtype).name, quick)
        try:
            bench._ask(proc, "ready?")
            bench._ask(proc, "run")
            times = []
            for _ in range(repeats):
                time.sleep(bench.IDLE_GAP_S)
                times.append(float(bench._ask(proc, "run")))
            unit_s = float(np.median(times))
            result = json.loads(bench._ask(proc, f"split {unit_s}"))
            result["unit_s"] = unit_s
            out[impl] = result
        finally:
            proc.stdin.close()
            proc.wait()
    return out
