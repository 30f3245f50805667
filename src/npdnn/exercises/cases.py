"""Seeded test cases for each exercise: the arguments a learner's function is called with.

Each case is ``(description, kwargs)``; the grader deep-copies the kwargs before each call
(so a function that writes into its input is caught) and calls the reference on its own
copy. The cases are chosen so that typical mistakes cannot hide:

- a square ``W`` (n_l = n_{l-1}) first, so a transposed W gives numbers, not a shape error,
  and the hint can say "transposed";
- m different from every layer width, so a sum over the wrong axis changes the shape;
- ``Z`` with exact zeros, so ReLU's derivative at 0 (``Z > 0`` vs ``Z >= 0``) shows;
- m > 1 everywhere, so a missing ``1/m`` shows.

Owns: CASES (name -> function returning the list of cases). Imports: NumPy and the reference.
"""

from __future__ import annotations

import numpy as np

from . import reference as ref

SEED = 2026


def _rng(k=0):
    return np.random.default_rng(SEED + k)


def _parameters(layer_dims, rng):
    return {
        key: value
        for l in range(1, len(layer_dims))
        for key, value in (
            (f"W{l}", rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * 0.5),
            (f"b{l}", rng.standard_normal((layer_dims[l], 1)) * 0.1),
        )
    }


def _labels(rng, m):
    Y = (rng.random((1, m)) < 0.5).astype(float)
    Y[0, :2] = [0.0, 1.0]  # both classes, always
    return Y


def _with_zeros(Z):
    Z = Z.copy()
    Z.flat[::3] = 0.0  # exact zeros: where ReLU's derivative is a convention (npdnn: 0)
    return Z


def initialize_parameters_deep():
    return [
        ("layer_dims [5, 4, 3, 1]", {"layer_dims": [5, 4, 3, 1], "rng": _rng(0)}),
        ("layer_dims [3, 7, 1]", {"layer_dims": [3, 7, 1], "rng": _rng(1)}),
    ]


def linear_forward():
    r = _rng(2)
    out = []
    for n_prev, n, m in ((3, 3, 5), (4, 2, 6)):  # the square W first
        args = {
            "A": r.standard_normal((n_prev, m)),
            "W": r.standard_normal((n, n_prev)),
            "b": r.standard_normal((n, 1)),
        }
        out.append((("square W: " if n == n_prev else "") + f"A ({n_prev}, {m}), W ({n}, {n_prev}), b ({n}, 1)", args))
    return out


def linear_activation_forward():
    r = _rng(3)
    out = []
    for activation in ("sigmoid", "relu"):
        for n_prev, n in ((3, 3), (4, 2)):
            args = {
                "A_prev": r.standard_normal((n_prev, 5)),
                "W": r.standard_normal((n, n_prev)),
                "b": r.standard_normal((n, 1)),
            }
            out.append(
                (
                    f'activation="{activation}", A_prev ({n_prev}, 5), W ({n}, {n_prev})',
                    {**args, "activation": activation},
                )
            )
    return out


def L_model_forward():
    out = []
    for k, dims in enumerate(([4, 3, 3, 1], [5, 4, 1])):
        r = _rng(4 + k)
        out.append(
            (
                f"layer_dims {dims}, X ({dims[0]}, 6)",
                {"X": r.standard_normal((dims[0], 6)), "parameters": _parameters(dims, r)},
            )
        )
    return out


def compute_cost():
    out = []
    for k, m in enumerate((5, 8)):
        r = _rng(6 + k)
        AL = r.uniform(0.05, 0.95, (1, m))
        out.append((f"AL (1, {m}), Y (1, {m})", {"AL": AL, "Y": _labels(r, m)}))
    return out


def linear_backward():
    out = []
    for k, (n_prev, n, m) in enumerate(((3, 3, 5), (4, 2, 6))):
        r = _rng(8 + k)
        cache = (r.standard_normal((n_prev, m)), r.standard_normal((n, n_prev)), r.standard_normal((n, 1)))
        out.append(
            (
                f"dZ ({n}, {m}), cache (A_prev ({n_prev}, {m}), W ({n}, {n_prev}), b ({n}, 1))",
                {"dZ": r.standard_normal((n, m)), "cache": cache},
            )
        )
    return out


def relu_backward():
    r = _rng(10)
    return [
        (
            "dA (3, 4), Z (3, 4) with exact zeros",
            {"dA": r.standard_normal((3, 4)), "Z": _with_zeros(r.standard_normal((3, 4)))},
        )
    ]


def sigmoid_backward():
    r = _rng(11)
    return [("dA (3, 4), Z (3, 4)", {"dA": r.standard_normal((3, 4)), "Z": r.standard_normal((3, 4)) * 2})]


def L_model_backward():
    out = []
    for k, dims in enumerate(([4, 3, 3, 1], [5, 4, 1])):
        r = _rng(12 + k)
        X, parameters = r.standard_normal((dims[0], 6)), _parameters(dims, r)
        AL, caches = ref.L_model_forward(X, parameters)
        out.append((f"layer_dims {dims}, m = 6", {"AL": AL, "Y": _labels(r, 6), "caches": caches}))
    return out


def update_parameters():
    r = _rng(14)
    dims = [4, 3, 2, 1]
    parameters = _parameters(dims, r)
    grads = {f"d{k}": r.standard_normal(v.shape) for k, v in parameters.items()}
    return [(f"layer_dims {dims}, learning_rate 0.1", {"parameters": parameters, "grads": grads, "learning_rate": 0.1})]


CASES = {name: globals()[name] for name in ref.EXERCISES}
