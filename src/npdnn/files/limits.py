"""What an untrusted model file may declare, checked before its arrays are read.

A model file's metadata names an architecture (``layer_dims``) and its members
declare shapes; both are checked here against each other and against limits, so
that a crafted file cannot make :func:`npdnn.load` allocate more than the model it
legitimately describes (see :func:`npdnn.files.archive.read_archive`'s ``plan``).

Limits
------
:data:`MAX_PARAMETERS`
    Parameters a loaded network may have (100 million: 800 MB of float64). Raise it
    per call with ``npdnn.load(path, max_parameters=N)`` /
    ``DNNClassifier.load(path, max_parameters=N)``, or for every load in a process
    (the command line included) with the environment variable
    ``NPDNN_MAX_PARAMETERS=N``.
:data:`MAX_LAYERS`
    Layers with parameters (each one is a few Python objects, so depth costs memory
    even with few parameters).
:data:`MAX_LABEL_BYTES`
    Bytes per class label (text labels are stored as fixed-width unicode).

Owns: MAX_PARAMETERS, MAX_LAYERS, MAX_LABEL_BYTES, max_parameters,
check_model_members. Imports: NumPy and :mod:`npdnn.files.archive` only.
"""

from __future__ import annotations

import os

import numpy as np

from .archive import ModelFileError

MAX_PARAMETERS = 100_000_000
MAX_LAYERS = 1_000
MAX_LABEL_BYTES = 4096
ENV_MAX_PARAMETERS = "NPDNN_MAX_PARAMETERS"
EXTRA_BYTES = 2**20  # members npdnn does not know may add this much beyond theta's size


def max_parameters(value=None):
    """The parameter limit in force: ``value`` if given, else ``$NPDNN_MAX_PARAMETERS``,
    else :data:`MAX_PARAMETERS`."""
    source = "max_parameters"
    if value is None:
        value, source = os.environ.get(ENV_MAX_PARAMETERS), ENV_MAX_PARAMETERS
        if value is None:
            return MAX_PARAMETERS
        try:
            value = int(value)
        except ValueError:
            raise ValueError(f"{ENV_MAX_PARAMETERS}={value!r}; expected a positive integer") from None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{source}={value!r}; expected a positive integer")
    return int(value)


def parameter_count(layer_dims):
    """``sum_l n_l (n_{l-1} + 1)``: weights and biases of every layer (exact Python ints)."""
    return sum(n * (n_prev + 1) for n_prev, n in zip(layer_dims[:-1], layer_dims[1:], strict=True))


def check_model_members(path, spec, headers, limit):
    """Check a model file's ``network`` metadata ``spec`` and the declared ``headers``
    (``{name: Header}``) before any array is read; raise :class:`ModelFileError`.

    ``theta`` must hold exactly the architecture's parameters in its dtype; a
    classifier's ``mean`` / ``scale`` one value per feature and ``classes`` fit in
    one label of :data:`MAX_LABEL_BYTES` per class; anything else fits in theta's
    size plus :data:`EXTRA_BYTES`. Returns the parameter count.
    """
    dims = spec.get("layer_dims") if isinstance(spec, dict) else None
    if isinstance(dims, list) and len(dims) - 1 > MAX_LAYERS:  # before a loop over a crafted million entries
        raise ModelFileError(
            f"{path} is refused: it declares {len(dims) - 1} layers, "
            f"more than npdnn.files.limits.MAX_LAYERS={MAX_LAYERS}"
        )
    if (
        not isinstance(dims, list)
        or len(dims) < 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in dims)
    ):
        raise ModelFileError(f"{path} has an invalid network description: layer_dims {_short(dims)}")
    if len(dims) - 1 > MAX_LAYERS:
        raise ModelFileError(
            f"{path} is refused: it declares {len(dims) - 1} layers, "
            f"more than npdnn.files.limits.MAX_LAYERS={MAX_LAYERS}"
        )
    count = parameter_count(dims)
    if count > limit:
        raise ModelFileError(
            f"{path} is refused: its network {_short(dims)} has {count} parameters, more than the limit "
            f"{limit}; if you trust the file, pass max_parameters={count} or set {ENV_MAX_PARAMETERS}={count}"
        )
    dtype = _check_config_fields(path, spec)
    theta = headers.get("theta")
    if theta is None or theta.shape != (count,) or theta.dtype != dtype:
        raise ModelFileError(
            f"{path} is corrupted: parameters {theta} do not match the network {_short(dims)} ({count} {dtype} values)"
        )
    for name in ("mean", "scale"):  # whether they must be there is the estimator's business
        h = headers.get(name)
        if h is not None and (h.shape != (dims[0],) or h.dtype != dtype):
            raise ModelFileError(f"{path} is corrupted: {name} is declared {h}; expected ({dims[0]},) {dtype}")
    classes = headers.get("classes")
    n = max(2, dims[-1])
    if classes is not None and (len(classes.shape) != 1 or classes.nbytes > n * MAX_LABEL_BYTES):
        raise ModelFileError(
            f"{path} is corrupted: classes are declared {classes}; the network {_short(dims)} has {n} classes "
            f"(labels of at most {MAX_LABEL_BYTES} bytes each)"
        )
    extra = sum(h.nbytes for name, h in headers.items() if name not in ("theta", "classes", "mean", "scale"))
    if extra > headers["theta"].nbytes + EXTRA_BYTES:
        raise ModelFileError(
            f"{path} is refused: members besides the model's own declare {extra} bytes, more than its "
            f"parameters ({headers['theta'].nbytes} bytes) plus {EXTRA_BYTES}"
        )
    return count


CONFIG_KEYS = ("layer_dims", "hidden_activation", "init", "dtype")
DTYPES = ("float32", "float64")  # by name only: a file's text never reaches np.dtype
MAX_NAME_CHARS = 64  # an activation's or initializer's name


def _check_config_fields(path, spec):
    """The network config's fields besides ``layer_dims``, by a fixed schema: exactly
    :data:`CONFIG_KEYS`; ``dtype`` one of :data:`DTYPES`; names short strings (the
    registries in :mod:`npdnn.nn` then say whether they exist). Returns the dtype."""
    if sorted(spec) != sorted(CONFIG_KEYS):
        raise ModelFileError(
            f"{path} has an invalid network description: keys {_short(sorted(map(str, spec))[:8])}; "
            f"expected {list(CONFIG_KEYS)}"
        )
    if spec["dtype"] not in DTYPES:
        raise ModelFileError(
            f"{path} has an invalid network description: dtype {_short(spec['dtype'])}; expected one of {DTYPES}"
        )
    for name in ("hidden_activation", "init"):
        value = spec[name]
        if not (value is None and name == "init") and not (isinstance(value, str) and 0 < len(value) <= MAX_NAME_CHARS):
            raise ModelFileError(
                f"{path} has an invalid network description: {name} {_short(value)}; expected a name "
                f"of at most {MAX_NAME_CHARS} characters"
            )
    return np.dtype(spec["dtype"])


def _short(value, limit=80):
    if isinstance(value, str) and len(value) > limit:
        return f"{value[: limit - 30]!r}...({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 20]}...({len(text)} characters)"


__all__ = ["MAX_PARAMETERS", "MAX_LAYERS", "MAX_LABEL_BYTES", "max_parameters", "check_model_members"]
