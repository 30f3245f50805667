"""Weight initializers: ``W{l}`` of shape ``(n_l, n_{l-1})``, biases zero.

Each initializer draws from the ``np.random.Generator`` it is given, in float64,
and the caller casts to the network's dtype, so one seed gives the same weights
(up to rounding) in float32 and float64.

Owns: the weight initializers. Imports: NumPy only.
"""

from __future__ import annotations

import numpy as np


def he(rng, n_l, n_prev):
    """He et al. (2015): ``randn * sqrt(2 / n_prev)``, keeps ReLU activations' variance."""
    return rng.standard_normal((n_l, n_prev)) * np.sqrt(2.0 / n_prev)


def glorot(rng, n_l, n_prev):
    """Glorot & Bengio (2010), uniform: ``U(-r, r)`` with ``r = sqrt(6 / (n_prev + n_l))``."""
    r = np.sqrt(6.0 / (n_prev + n_l))
    return rng.uniform(-r, r, size=(n_l, n_prev))


def scaled(rng, n_l, n_prev):
    """The article's deep-network init: ``randn / sqrt(n_prev)``."""
    return rng.standard_normal((n_l, n_prev)) / np.sqrt(n_prev)


def small(rng, n_l, n_prev):
    """The article's shallow-network init: ``randn * 0.01``."""
    return rng.standard_normal((n_l, n_prev)) * 0.01


INITIALIZERS = {"he": he, "glorot": glorot, "scaled": scaled, "small": small}


def get_initializer(name):
    """Look up an initializer by name, with an error listing the choices."""
    if callable(name):
        return name
    try:
        return INITIALIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown init {name!r}; expected one of {sorted(INITIALIZERS)}") from None
