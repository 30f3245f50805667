"""``bench.py --check``: the Keras and JAX columns compute npdnn's maths.

On each workload's layer sizes, in float64, with the same weights and the same data
(64 samples), this compares with npdnn's own ``net.gradients``:

- the gradients of ``tf.GradientTape`` through the benchmark's Keras model and of
  ``jax.grad`` through the benchmark's JAX loss (within ``TOL`` = 1e-10, max abs);
- the parameters after three steps of each framework's optimizer as the benchmark
  configures it (Keras: ``peers_keras.torch_adam_class()``, or SGD; JAX: optax) against
  npdnn's optimizer, all fed npdnn's gradients of each step, so the update rule (epsilon
  placement included) is compared on its own. Fed their own gradients instead, Adam's
  ``lr / eps`` = 1e5 sensitivity near g ~ eps turns a 1e-15 gradient difference into 1e-10.
  Held to ``STEP_TOL`` = 1e-13: a beta of 0.9 rounded through float32 (0.9 - 2.4e-8), which
  Keras's ``ops.cast(0.9, "float64")`` does, moves the parameters by 3e-11 and fails it.

Prints one JSON line per (framework, workload, what) and exits 1 if any is above its bound.
Each framework runs in its own process (``--check-one``), as in the timing runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

TOL = 1e-10  # gradients (the bound)
STEP_TOL = 1e-13  # parameters after the steps, fed the same gradients: rounding only (seen: <= 6e-17)
M = 64
STEPS = 3


def problem(w, seed=0):
    """``(net, X, y)``: an npdnn float64 network for ``w.dims`` (He init) and 64 samples."""
    import npdnn

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((M, w.dims[0]))
    y = (X[:, 0] + 0.5 * rng.standard_normal(M) > 0).astype(np.int64)
    net = npdnn.Network(list(w.dims), "relu", seed=seed, dtype=np.float64)
    for d in net.dense:  # nonzero biases, so db and the bias paths are exercised
        d.b[...] = 0.1 * rng.standard_normal(d.b.shape)
    return net, X, y


def peer_params(net):
    """npdnn's ``W{l} (n_l, n_{l-1}), b{l} (n_l, 1)`` as the peers store them: ``W (n_in, n_out), b (n_out,)``."""
    return [(d.W.T.copy(), d.b[:, 0].copy()) for d in net.dense]


def npdnn_reference(net, X, y, w):
    """``(gradients of each step, parameters after STEPS steps)``, flat peer-layout lists."""
    import npdnn

    opt = npdnn.optimizers.get_optimizer(w.optimizer, w.lr)
    steps = []
    for _ in range(STEPS):
        g = net.gradients(X, y)
        steps.append(flat([(g[f"dW{l}"].T.copy(), g[f"db{l}"][:, 0].copy()) for l in range(1, net.L + 1)]))
        opt.step(net.theta, net.grad)
    return steps, flat(peer_params(net))


def max_diff(ours, theirs):
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in zip(ours, theirs, strict=True))


def flat(pairs):
    return [a for pair in pairs for a in pair]


def unflat(arrays):
    return [(arrays[i], arrays[i + 1]) for i in range(0, len(arrays), 2)]


def jax_side(w, params, X, y, step_grads):
    """``(jax.grad at params, params after optax steps on step_grads)`` as flat lists."""
    import peers_jax

    jax = peers_jax._jax(np.float64)
    import optax

    loss = peers_jax.make_loss(jax)
    params = jax.device_put(params)
    g0 = jax.grad(loss)(params, X, y.astype(np.float64))
    opt = optax.adam(w.lr, b1=0.9, b2=0.999, eps=1e-8) if w.optimizer == "adam" else optax.sgd(w.lr)
    state = opt.init(params)
    for g in step_grads:
        updates, state = opt.update(jax.device_put(unflat(g)), state, params)
        params = optax.apply_updates(params, updates)
    return [np.asarray(a) for a in flat(g0)], [np.asarray(a) for a in flat(params)]


def keras_side(w, params, X, y, step_grads):
    """The same through the benchmark's Keras model, tf.GradientTape and its optimizer."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # before keras is imported
    import keras
    import peers_keras
    import tensorflow as tf

    model = peers_keras.build_model(w.dims, np.float64, params)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    if w.optimizer == "adam":
        opt = peers_keras.torch_adam_class()(learning_rate=w.lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    else:
        opt = keras.optimizers.SGD(learning_rate=w.lr)
    Xt, yt = tf.constant(X), tf.constant(y.astype(np.float64)[:, None])

    with tf.GradientTape() as tape:
        J = loss_fn(yt, model(Xt, training=True))
    g0 = [g.numpy() for g in tape.gradient(J, model.trainable_variables)]
    for g in step_grads:
        opt.apply_gradients(zip([tf.constant(a) for a in g], model.trainable_variables, strict=True))
    return g0, [v.numpy() for v in model.trainable_variables]


SIDES = {"jax": jax_side, "keras": keras_side}


def check_one(framework, workloads):
    """Run one framework's comparison on each workload; print and return the rows."""
    rows = []
    for w in workloads:
        net, X, y = problem(w)
        params = peer_params(net)
        step_grads, p_ref = npdnn_reference(net, X, y, w)
        g, p = SIDES[framework](w, params, X, y, step_grads)
        for what, ours, theirs, tol in (
            ("gradients", step_grads[0], g, TOL),
            (f"params after {STEPS} steps", p_ref, p, STEP_TOL),
        ):
            d = max_diff(ours, theirs)
            row = {"framework": framework, "workload": w.name, "what": what, "max_abs_diff": d, "tol": tol}
            row["ok"] = d <= tol
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def check(bench_file, names, frameworks=("keras", "jax")):
    """Each framework in its own process (``bench.py --check-one``); returns the exit code."""
    failed = False
    for fw in frameworks:
        cmd = [sys.executable, bench_file, "--check-one", fw, "--workloads", ",".join(names)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        for r in rows:
            verdict = "ok" if r["ok"] else f"ABOVE {r['tol']:g}"
            print(f"{r['framework']:6} {r['workload']}  {r['what']:22} max |diff| {r['max_abs_diff']:.2e}  {verdict}")
        if proc.returncode or len(rows) != 2 * len(names):
            print(proc.stderr[-3000:], file=sys.stderr)
            print(f"{fw}: the check did not complete (exit {proc.returncode})")
            failed = True
        failed = failed or not all(r["ok"] for r in rows)
    print("check:", "FAILED" if failed else f"all within bounds (gradients {TOL:g}, steps {STEP_TOL:g})")
    return 1 if failed else 0
