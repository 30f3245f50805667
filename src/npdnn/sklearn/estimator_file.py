"""The estimator's section of a model file: a :class:`~npdnn.DNNClassifier` file is a
model file (:mod:`npdnn.files.network_file`) with arrays ``classes`` (numeric or unicode,
never object) and, with ``standardize``, ``mean`` and ``scale``, plus a JSON
``estimator`` section (with the column plan of a table, :mod:`npdnn.sklearn.columns`,
under ``columns``; files without it load as before). Everything in it is deterministic, so
equal models give equal bytes.

Owns: estimator_section, restore_estimator, estimator_from_file. Imported by the estimator
and by :func:`npdnn.load`.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..checks import check_dtype
from ..errors import ModelFileError
from ..nn.activations import get_hidden
from .columns import ColumnPlan

# "estimator" section. Everything in it is deterministic, so equal models give equal bytes.
ESTIMATOR_KEYS = (
    "params",
    "feature_names_in",
    "n_features_in",
    "loss_curve",
    "validation_loss_curve",
    "n_iter",
    "best_loss",
)


def estimator_section(est):
    """``(arrays, meta)`` to pass to :func:`save_network` for a fitted DNNClassifier."""
    arrays = {"classes": est.classes_}
    if est.mean_ is not None:
        arrays.update(mean=est.mean_, scale=est.scale_)
    names = getattr(est, "feature_names_in_", None)
    section = {
        "params": {k: _json_param(k, v) for k, v in est.get_params().items()},
        "feature_names_in": None if names is None else [str(n) for n in names],
        "n_features_in": int(est.n_features_in_),
        "loss_curve": _float_list(est.loss_curve_),
        "validation_loss_curve": _float_list(est.validation_loss_curve_),
        "validation_scores": _float_list(est.validation_scores_),
        "n_iter": int(est.n_iter_),
        "best_loss": None if est.best_loss_ is None else float(est.best_loss_),
        "t": None if getattr(est, "t_", None) is None else int(est.t_),
        "columns": None if getattr(est, "columns_", None) is None else est.columns_.to_json(),
        "npdnn_version": _version(),
    }
    return arrays, {"estimator": section}


def _float_list(values):
    return None if values is None else [float(v) for v in values]


def _json_param(name, value):
    """A hyperparameter as JSON: tuples as lists, NumPy scalars as Python numbers,
    dtypes by name, lists tagged ``{"list": [...]}``, a class_weight dict as [label, weight] pairs (JSON object keys
    would turn labels into strings); a random generator object becomes None."""
    if name == "dtype":
        return None if value is None else np.dtype(value).name
    if name == "random_state" and not (value is None or isinstance(value, numbers.Integral)):
        return None
    if name == "class_weight" and isinstance(value, dict):
        return {"pairs": [[_json_scalar(k), _json_scalar(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return [_json_scalar(v) for v in value]
    if isinstance(value, (list, np.ndarray)):  # tagged, so that a list comes back a list, a tuple a tuple
        return {"list": [_json_scalar(v) for v in value]}
    return _json_scalar(value)


def _param_from_json(name, value):
    """Inverse of :func:`_json_param`."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict) and set(value) == {"list"} and isinstance(value["list"], list):
        return list(value["list"])
    if name == "class_weight" and isinstance(value, dict):
        return {k: v for k, v in value["pairs"]}
    return value


def _json_scalar(value):
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store hyperparameter value {value!r} ({type(value).__name__}) in a model file")


def estimator_from_file(cls, path, net, arrays, meta):
    """A fitted ``cls`` (DNNClassifier) from what :func:`npdnn.network.network_from_file`
    read from ``path``; a bare network's file, or any inconsistency, raises
    :class:`~npdnn.ModelFileError` naming ``path``."""
    if "estimator" not in meta:
        raise ModelFileError(f"{path} holds a bare npdnn Network, not a DNNClassifier; load it with npdnn.load(path)")
    try:
        return restore_estimator(cls, net, dict(arrays), meta["estimator"])
    except (KeyError, TypeError, ValueError, OverflowError, RecursionError) as e:
        raise ModelFileError(f"{path} has an invalid estimator section ({type(e).__name__}: {e})") from None


def restore_estimator(cls, net, arrays, section):
    """The fitted ``cls`` (DNNClassifier) described by a model file's ``estimator``
    ``section`` and extra ``arrays``, around ``net``; raises KeyError / TypeError /
    ValueError on anything missing or inconsistent."""
    if not isinstance(section, dict):
        raise TypeError(f"expected a JSON object, got {type(section).__name__}")
    missing = [k for k in ESTIMATOR_KEYS if k not in section]
    if missing:
        raise KeyError(f"missing {missing}")
    params = section["params"]
    if not isinstance(params, dict):
        raise TypeError(f"params must be a JSON object, got {type(params).__name__}")
    unknown = sorted(set(params) - set(cls().get_params()))
    if unknown:
        raise ValueError(f"unknown hyperparameters {[str(k)[:40] for k in unknown[:10]]}")
    for name, value in params.items():
        _check_param_json(name, value)
    est = cls(**{k: _param_from_json(k, v) for k, v in params.items()})

    dims = net.layer_dims
    classes = arrays.pop("classes")
    if classes.ndim != 1 or classes.shape[0] < 2 or not np.array_equal(np.unique(classes), classes):
        raise ValueError(f"classes must be at least two sorted distinct labels; got {classes!r}")
    if dims[-1] != (1 if classes.shape[0] == 2 else classes.shape[0]):
        raise ValueError(f"{classes.shape[0]} classes do not fit a network with {dims[-1]} output units")
    sizes = est.hidden_layer_sizes
    sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
    if dims[1:-1] != sizes:
        raise ValueError(f"hidden_layer_sizes={est.hidden_layer_sizes!r} does not match the network {dims}")
    if get_hidden(est.activation).name != net.hidden_activation or est.init not in (None, net.init):
        raise ValueError(
            f"activation={est.activation!r}, init={est.init!r} do not match the network's "
            f"{net.hidden_activation!r}, {net.init!r}"
        )
    if est.dtype is not None and check_dtype(est.dtype) != net.dtype:
        raise ValueError(f"dtype={est.dtype!r} does not match the network's {net.dtype.name}")
    n_features = section["n_features_in"]
    plan = None if section.get("columns") is None else ColumnPlan.from_json(section["columns"])  # absent: older files
    n_x = n_features if plan is None else len(plan.output_names)
    if plan is not None and n_features != len(plan.columns):
        raise ValueError(f"n_features_in={n_features!r} does not match the {len(plan.columns)} columns of the plan")
    if not isinstance(n_features, int) or n_x != dims[0]:
        raise ValueError(f"n_features_in={n_features!r} does not match the network's {dims[0]} inputs")
    names = section["feature_names_in"]
    if names is not None and (
        not isinstance(names, list) or len(names) != n_features or not all(isinstance(n, str) for n in names)
    ):
        raise ValueError(f"feature_names_in must be None or {n_features} strings; got {names!r}")
    if plan is not None and names != plan.names:
        raise ValueError("feature_names_in do not match the column plan's columns")

    mean, scale = arrays.pop("mean", None), arrays.pop("scale", None)
    # "auto" scales dense X only: a model fitted on sparse X holds neither array
    if est.standardize and not (est.standardize == "auto" and mean is None and scale is None):
        for name, a in (("mean", mean), ("scale", scale)):
            if a is None or a.shape != (n_x,) or a.dtype != net.dtype or not np.isfinite(a).all():
                found = None if a is None else f"{a.shape} {a.dtype}"
                raise ValueError(f"{name} must be {n_x} finite {net.dtype.name} values; got {found}")
        if not (scale > 0).all():
            raise ValueError("scale must be positive")
    elif mean is not None or scale is not None:
        raise ValueError("holds a standardization but standardize is False")
    if arrays:
        raise ValueError(f"unexpected arrays {sorted(arrays)}")

    loss = _number_list(section, "loss_curve")
    val_loss = _number_list(section, "validation_loss_curve", optional=True)
    val_scores = _number_list(section, "validation_scores", optional=True)
    if section["n_iter"] != len(loss):
        raise ValueError(f"n_iter={section['n_iter']!r} but the loss curve has {len(loss)} epochs")
    est.classes_, est.dtype_, est.mean_, est.scale_ = classes, net.dtype, mean, scale
    est.columns_ = plan
    est.n_features_in_ = n_features
    if names is not None:
        est.feature_names_in_ = np.asarray(names, dtype=object)
    est.network_ = net
    t = section.get("t")  # absent in files written before t_ existed
    if t is not None and (not isinstance(t, int) or isinstance(t, bool) or t < 0):
        raise ValueError(f"t must be a non-negative integer or null; got {t!r}")
    est._set_history(loss, val_loss, val_scores, t=t)
    # Files written before best_loss_ took MLPClassifier's meaning hold the validation minimum.
    allowed = (est.best_loss_,) if est.best_validation_loss_ is None else (None, est.best_validation_loss_)
    if section["best_loss"] not in allowed:
        raise ValueError(f"best_loss={section['best_loss']!r} does not match the loss curves")
    return est


MAX_PARAM_ITEMS = 10_000  # entries of a list-valued hyperparameter (hidden sizes, class weights)
MAX_PARAM_TEXT = 256  # characters of a text hyperparameter (an optimizer's or activation's name)


def _check_param_json(name, value):
    """A stored hyperparameter's shape, before the constructor sees it: JSON scalars
    (integers of at most 64 bits, text of at most :data:`MAX_PARAM_TEXT` characters),
    lists of them (plain, tagged ``{"list": ...}``, or ``class_weight``'s pairs) of at
    most :data:`MAX_PARAM_ITEMS` entries. Whether the value is valid is ``fit``'s to say."""

    def scalar(v):
        if isinstance(v, str):
            return len(v) <= MAX_PARAM_TEXT
        if isinstance(v, int) and not isinstance(v, bool):
            return abs(v) < 2**63
        return v is None or isinstance(v, (bool, float))

    items = value
    if isinstance(value, dict):
        items = value.get("pairs") if name == "class_weight" and set(value) == {"pairs"} else value.get("list")
        if set(value) not in ({"list"}, {"pairs"}) or not isinstance(items, list):
            raise ValueError(f"hyperparameter {name}={str(value)[:80]} is not one npdnn writes")
        if name == "class_weight" and set(value) == {"pairs"}:
            if not all(isinstance(p, list) and len(p) == 2 for p in items):
                raise ValueError(f"hyperparameter class_weight={str(value)[:80]} is not a list of pairs")
            items = [v for p in items for v in p]
    if isinstance(items, list):
        if len(items) > MAX_PARAM_ITEMS or not all(scalar(v) for v in items):
            raise ValueError(
                f"hyperparameter {name} holds {len(items)} entries of {str(items)[:80]}; expected numbers or names"
            )
    elif not scalar(items):
        raise ValueError(f"hyperparameter {name}={str(items)[:80]} is not a number, a short name or null")


def _number_list(section, key, optional=False):
    values = section.get(key)
    if values is None and optional:
        return None
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{key} must be a list of numbers; got {values!r}")
    return [float(v) for v in values]


def _version():
    from .._version import __version__  # here, not at import time: npdnn/__init__ may still be running

    return __version__


def written_by(section):
    """The npdnn version that wrote an estimator section, or None for files from before it was recorded."""
    version = section.get("npdnn_version") if isinstance(section, dict) else None
    return version if isinstance(version, str) else None
