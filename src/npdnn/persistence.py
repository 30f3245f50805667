"""Model files: one ``.npz`` holding a network and what travels with it.

A model file stores the flat parameter vector ``theta``, the architecture
(``layer_dims``, hidden activation, init, dtype) and, for the estimator and the
command line, extra arrays (class labels, the standardization's mean and scale)
and JSON metadata (hyperparameters, feature names). Loading never runs code (see
:mod:`npdnn.archive`), and the round trip is bit-exact: ``theta`` is stored in its
own dtype and copied back unchanged.
"""

from __future__ import annotations

import numpy as np

from .archive import ModelFileError, read_archive, write_archive

KIND, VERSION = "model", 1


def save_network(path, net, arrays=None, meta=None):
    """Write ``net`` (and optional extra ``arrays`` / JSON ``meta``) to ``path`` atomically."""
    arrays = dict(arrays or {})
    if "theta" in arrays:
        raise ValueError("'theta' is reserved for the network's parameters")
    network_meta = {
        "layer_dims": net.layer_dims,
        "hidden_activation": net.hidden_activation,
        "init": net.init,
        "dtype": net.dtype.name,
    }
    write_archive(path, {"theta": net.theta, **arrays}, {"network": network_meta, **(meta or {})}, KIND, VERSION)


def read_model(path):
    """Return ``(net, arrays, meta)`` from a model file; ``arrays`` and ``meta`` are
    the extras passed to :func:`save_network`. Raises :class:`ModelFileError`."""
    from .network import Network

    arrays, meta = read_archive(path, KIND, VERSION)
    spec = meta.get("network")
    theta = arrays.pop("theta", None)
    try:
        net = Network(
            spec["layer_dims"], spec["hidden_activation"], init=spec["init"], seed=0, dtype=np.dtype(spec["dtype"])
        )
    except (TypeError, KeyError, ValueError) as e:
        raise ModelFileError(f"{path} has an invalid network description {spec!r} ({e})") from None
    if theta is None or theta.shape != net.theta.shape or theta.dtype != net.theta.dtype:
        found = None if theta is None else f"{theta.shape} {theta.dtype}"
        raise ModelFileError(
            f"{path} is corrupted: parameters {found} do not match the network "
            f"{net.layer_dims} ({net.theta.size} {net.dtype.name} values)"
        )
    if not np.isfinite(theta).all():
        raise ModelFileError(f"{path} is corrupted: its parameters hold NaN or infinity")
    np.copyto(net.theta, theta)
    del meta["network"]
    return net, arrays, meta


def load(path):
    """Load a model file written by ``Network.save`` or ``DNNClassifier.save``:
    returns a :class:`~npdnn.Network` or a fitted :class:`~npdnn.DNNClassifier`."""
    net, arrays, meta = read_model(path)
    if "estimator" in meta:
        from .estimator import DNNClassifier

        return DNNClassifier._from_file(path, net, arrays, meta)
    return net
