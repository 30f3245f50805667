"""Model files: one ``.npz`` holding a network and what travels with it.

A model file stores the flat parameter vector ``theta``, the network's config
(``Network.get_config()``: layer_dims, hidden activation, init, dtype) and, for
whatever owns the network (the estimator, see :mod:`npdnn.sklearn.estimator_file`), extra
arrays and JSON sections. Loading never runs code (see :mod:`npdnn.files.archive`), and
the round trip is bit-exact: ``theta`` is stored in its own dtype and read back
unchanged.

Owns: the model-file format. Imports: archive only; it knows nothing of Network
(it takes and returns the config) nor of the estimator (its section is opaque here).
"""

from __future__ import annotations

import numpy as np

from .archive import ModelFileError, read_archive, write_archive
from .limits import check_model_members
from .limits import max_parameters as max_parameters_limit

# Version 2 (npdnn 0.x, issue 27) adds the ``__digest__`` member, required from then on;
# version 1 files, written before digests existed, still load (``meta["integrity"]`` is None).
KIND, VERSION, SEALED_SINCE = "model", 2, 2
__all__ = ["ModelFileError", "save_model", "read_model"]


def save_model(path, config, theta, arrays=None, meta=None, key=None):
    """Write a network (its ``config`` and parameters ``theta``) and optional extra
    ``arrays`` / JSON ``meta`` sections to ``path``, atomically, sealed with a digest
    (and signed with ``key``, see :mod:`npdnn.files.integrity`)."""
    arrays = dict(arrays or {})
    if "theta" in arrays or "network" in (meta or {}):
        raise ValueError("'theta' and 'network' are reserved for the network itself")
    write_archive(path, {"theta": theta, **arrays}, {"network": config, **(meta or {})}, KIND, VERSION, key=key)


def read_model(path, max_parameters=None, into=None, key=None):
    """Return ``(config, theta, arrays, meta)`` from a model file: the network's
    config, its parameters (checked against the config's size and for finiteness)
    and the extras passed to :func:`save_model`. Raises :class:`ModelFileError`.

    The config and every member's declared shape are checked (see
    :func:`npdnn.files.limits.check_model_members`; ``max_parameters`` bounds the
    architecture) before any array is read, so a file cannot make loading allocate
    more than the model it describes. ``into(config)``, called once they are, may
    return the array to read ``theta`` into (a new network's own ``theta``), so the
    parameters are never held twice. ``key``: the file must be signed with it.
    ``meta["integrity"]``: what :func:`npdnn.files.archive.read_archive` checked."""
    limit = max_parameters_limit(max_parameters)

    def plan(meta, headers):
        config = meta.get("network")
        check_model_members(path, config, headers, limit)
        return {"theta": into(config)} if into is not None else None

    arrays, meta = read_archive(path, KIND, VERSION, plan=plan, key=key, sealed_since=SEALED_SINCE)
    config = meta.pop("network")
    theta = arrays.pop("theta")
    if not np.isfinite(theta).all():
        raise ModelFileError(f"{path} is corrupted: its parameters hold NaN or infinity")
    return config, theta, arrays, meta
