"""Model files: one ``.npz`` holding a network and what travels with it.

A model file stores the flat parameter vector ``theta``, the network's config
(``Network.get_config()``: layer_dims, hidden activation, init, dtype) and, for
whatever owns the network (the estimator, see :mod:`npdnn.estimator_file`), extra
arrays and JSON sections. Loading never runs code (see :mod:`npdnn.archive`), and
the round trip is bit-exact: ``theta`` is stored in its own dtype and read back
unchanged.

Owns: the model-file format. Imports: archive only; it knows nothing of Network
(it takes and returns the config) nor of the estimator (its section is opaque here).
"""

from __future__ import annotations

import numpy as np

from .archive import ModelFileError, read_archive, write_archive

KIND, VERSION = "model", 1
__all__ = ["ModelFileError", "save_model", "read_model", "param_count"]


def param_count(layer_dims):
    """Number of parameters ``sum_l n_l (n_{l-1} + 1)`` of a network ``layer_dims``."""
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(layer_dims[:-1], layer_dims[1:], strict=False))


def save_model(path, config, theta, arrays=None, meta=None):
    """Write a network (its ``config`` and parameters ``theta``) and optional extra
    ``arrays`` / JSON ``meta`` sections to ``path``, atomically."""
    arrays = dict(arrays or {})
    if "theta" in arrays or "network" in (meta or {}):
        raise ValueError("'theta' and 'network' are reserved for the network itself")
    write_archive(path, {"theta": theta, **arrays}, {"network": config, **(meta or {})}, KIND, VERSION)


def read_model(path):
    """Return ``(config, theta, arrays, meta)`` from a model file: the network's
    config, its parameters (checked against the config's size and for finiteness)
    and the extras passed to :func:`save_model`. Raises :class:`ModelFileError`."""
    arrays, meta = read_archive(path, KIND, VERSION)
    config = meta.pop("network", None)
    theta = arrays.pop("theta", None)
    dims = config.get("layer_dims") if isinstance(config, dict) else None
    if not (
        isinstance(dims, list)
        and len(dims) >= 2
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in dims)
    ):
        raise ModelFileError(f"{path} has an invalid network description {config!r}")
    size = param_count(dims)
    if theta is None or theta.shape != (size,) or theta.dtype.name != config.get("dtype"):
        found = None if theta is None else f"{theta.shape} {theta.dtype}"
        raise ModelFileError(
            f"{path} is corrupted: parameters {found} do not match the network "
            f"{dims} ({size} {config.get('dtype')} values)"
        )
    if not np.isfinite(theta).all():
        raise ModelFileError(f"{path} is corrupted: its parameters hold NaN or infinity")
    return config, theta, arrays, meta
