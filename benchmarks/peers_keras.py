"""The Keras 3 (TensorFlow backend) worker of benchmarks/bench.py.

``model.fit`` as a Keras user trains: a ``Sequential`` of ``Dense`` layers (He-normal
weights, zero biases, ReLU), ``BinaryCrossentropy(from_logits=True)``, shuffling on,
the last partial batch kept (Keras's default). ``jit_compile`` is off by default:
measured on this machine it was the faster choice (see benchmarks/README.md;
``KERAS_JIT=1`` in the environment turns XLA on for the comparison).

Adam with torch's epsilon placement: Keras's own Adam adds epsilon to ``sqrt(v)``
(the paper's "epsilon hat"), torch and npdnn to ``sqrt(v_hat)``. :class:`TorchAdam`
is the same update with torch's placement, as the same number of tensor operations,
so the two cost the same and the maths match.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def torch_adam_class():
    import keras
    from keras import ops

    class TorchAdam(keras.optimizers.Adam):
        """``theta -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``, as torch.optim.Adam."""

        def update_step(self, gradient, variable, learning_rate):
            lr = ops.cast(learning_rate, variable.dtype)
            gradient = ops.cast(gradient, variable.dtype)
            t = ops.cast(self.iterations + 1, variable.dtype)
            # convert_to_tensor with the dtype: ops.cast(0.9, float64) goes through float32 first
            # (0.9 - 2.4e-8), which moved float64 parameters by 3e-11 after three steps
            b1 = ops.convert_to_tensor(self.beta_1, dtype=variable.dtype)
            b2 = ops.convert_to_tensor(self.beta_2, dtype=variable.dtype)
            bc1 = 1 - ops.power(b1, t)
            sqrt_bc2 = ops.sqrt(1 - ops.power(b2, t))
            m = self._momentums[self._get_variable_index(variable)]
            v = self._velocities[self._get_variable_index(variable)]
            self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - b1))
            self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - b2))
            # sqrt(v_hat) + eps = (sqrt(v) + eps sqrt(1 - b2^t)) / sqrt(1 - b2^t)
            denom = ops.add(ops.sqrt(v), self.epsilon * sqrt_bc2)
            self.assign_sub(variable, ops.divide(ops.multiply(m, lr * sqrt_bc2 / bc1), denom))

    return TorchAdam


def build_model(dims, dtype, params=None):
    """A Keras ``Sequential`` for ``dims``; ``params`` ``[(W (n_in, n_out), b)]`` sets the weights."""
    import keras

    keras.config.set_floatx(np.dtype(dtype).name)
    layers = [keras.Input((dims[0],), dtype=np.dtype(dtype).name)]
    for l in range(1, len(dims)):
        layers.append(
            keras.layers.Dense(
                dims[l],
                activation="relu" if l < len(dims) - 1 else None,
                kernel_initializer=keras.initializers.HeNormal(seed=l),
                bias_initializer="zeros",
                dtype=np.dtype(dtype).name,
            )
        )
    model = keras.Sequential(layers)
    if params is not None:
        model.set_weights([a for pair in params for a in pair])
    return model


class KerasRunner:
    name = "keras"

    def __init__(self, w, X, y, dtype):
        import keras

        keras.utils.set_random_seed(0)
        self.w, self.X, self.y = w, X, y.astype(dtype)
        self.model = build_model(w.dims, dtype)
        if w.optimizer == "adam":
            opt = torch_adam_class()(learning_rate=w.lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
        else:
            opt = keras.optimizers.SGD(learning_rate=w.lr)
        self.model.compile(
            optimizer=opt,
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
            jit_compile=os.environ.get("KERAS_JIT", "0") == "1",
        )

    def run(self):
        w = self.w
        self.model.fit(
            self.X,
            self.y,
            batch_size=w.m if w.batch is None else w.batch,
            epochs=w.epochs,
            shuffle=w.batch is not None,
            verbose=0,
        )
