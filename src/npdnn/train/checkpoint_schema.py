"""What a checkpoint file may hold, checked field by field before any of it is used.

A checkpoint comes from disk, and a disk is shared: every field of its metadata is
checked here against a fixed schema (types, ranges, lengths), and every array
against the network being trained (names, count, dtype, shape, finiteness), before
:meth:`~npdnn.train.checkpoint.ModelCheckpoint.restore` touches the run. Nothing is
replaced or filled in: an optimizer whose moments are missing is refused, never
given zeros (which would resume a different run). No name read from the file is
looked up and called: the random generator's class comes from a fixed allow-list.

Owns: check_fields, check_arrays (raise ModelFileError). Imports: NumPy, files.archive.
"""

from __future__ import annotations

import math

import numpy as np

from ..files.archive import ModelFileError, short

MAX_EPOCHS = 2**31  # epochs and step counts: far beyond any run, far below an overflow
MAX_STEPS = 2**62
MAX_TEXT = 4096  # characters in any string of a checkpoint's metadata
MAX_DEPTH = 8  # nesting of JSON values a callback may store
MAX_RNG_INT = 2**256  # every bit generator's state words are below this (PCG64: 2**128)
RNG_CLASSES = {cls.__name__: cls for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.MT19937)}
TOP_KEYS = {
    "format", "version", "epoch", "stopped", "fingerprint", "network", "net_state", "rng",
    "optimizer", "schedule", "callbacks", "integrity",
}  # fmt: skip


def _complaint(path):
    def bad(what, value, expected):
        raise ModelFileError(f"{path} is not a usable checkpoint: {what} is {short(value)}; expected {expected}")

    return bad


def check_fields(path, meta, run):
    """Raise :class:`ModelFileError` naming ``path`` unless every metadata field of a
    checkpoint (``meta``, from :func:`~npdnn.files.archive.read_archive`) has the type,
    range and length ``run`` can resume from."""
    bad = _complaint(path)

    unknown = set(meta) - TOP_KEYS
    if unknown or TOP_KEYS - {"integrity"} - set(meta):
        bad("its set of fields", sorted(map(str, meta))[:12], f"{sorted(TOP_KEYS - {'integrity'})}")
    if not _int(meta["epoch"], 0, MAX_EPOCHS):
        bad("epoch", meta["epoch"], f"an integer from 0 to {MAX_EPOCHS}")
    if not isinstance(meta["stopped"], bool):
        bad("stopped", meta["stopped"], "true or false")
    for name in ("fingerprint", "network"):
        if not (meta[name] is None and name == "fingerprint") and not _json(meta[name], dict):
            bad(name, meta[name], "a JSON object of short values")
    net_state = meta["net_state"]
    if not isinstance(net_state, dict) or not set(net_state) <= {"rng", "dropout"}:
        bad("net_state", net_state, 'an object with "rng" and "dropout"')
    dropout = net_state.get("dropout", [])
    if not isinstance(dropout, list) or len(dropout) > 4096 or not all(_number(r, 0.0, 1.0) for r in dropout):
        bad("net_state.dropout", dropout, "a list of rates in [0, 1)")
    for where, state in (("rng", meta["rng"]), ("net_state.rng", net_state.get("rng"))):
        if state is not None or where == "rng":
            _check_rng(where, state, bad)
    _check_optimizer(meta["optimizer"], run, bad)
    schedule = meta["schedule"]
    if not isinstance(schedule, dict) or not isinstance(schedule.get("class"), str):
        bad("schedule", schedule, 'an object with a "class"')
    if not all(_number(v) or v is None for k, v in schedule.items() if k != "class"):
        bad("schedule state", schedule, "numbers")
    callbacks = meta["callbacks"]
    if not _json(callbacks, dict) or not all(isinstance(v, dict) for v in callbacks.values()):
        bad("callbacks", callbacks, "an object of callback states")


def check_arrays(path, meta, arrays, run, keyed):
    """Raise :class:`ModelFileError` unless ``arrays`` are exactly the states ``run``
    needs (``keyed``: ``[(key, callback)]`` as the checkpoint names them): each one
    per parameter of the network, in its dtype, finite; none missing, none unknown."""
    bad = _complaint(path)
    if meta["schedule"]["class"] != type(run.schedule).__name__:
        bad("schedule", meta["schedule"]["class"], f"{type(run.schedule).__name__} (the run's schedule)")
    callbacks = meta["callbacks"]
    mine = {key for key, _ in keyed}
    allowed = {"theta"} | {f"opt_{n}" for n in run.optimizer._state_names}
    for name, a in arrays.items():
        if name.startswith("cb_") and any(name.startswith(f"cb_{k}_") for k in mine & set(callbacks)):
            if name.startswith("cb_EarlyStopping") and name.endswith("_best_theta"):
                _check_like_theta(name, a, run, bad)
            elif a.dtype.kind not in "biuf" or (a.dtype.kind == "f" and not np.isfinite(a).all()):
                bad(f"array {name!r}", f"{a.shape} {a.dtype}", "finite numbers (a callback's own state)")
        elif name not in allowed:
            bad("an array", name, f"theta, {sorted(allowed - {'theta'})} or a state of this run's callbacks")
    _check_like_theta("theta", arrays.get("theta"), run, bad)
    _check_optimizer_arrays(meta["optimizer"], arrays, run, bad)


def _check_optimizer(opt, run, bad):
    optimizer = run.optimizer
    if not isinstance(opt, dict) or opt.get("class") != type(optimizer).__name__:
        found = opt.get("class") if isinstance(opt, dict) else opt
        bad("optimizer", found, f"{type(optimizer).__name__} (the run's optimizer)")
    if set(opt) != {"class", "t", "learning_rate"}:
        bad("optimizer's fields", sorted(map(str, opt)), '["class", "learning_rate", "t"]')
    if not _int(opt["t"], 0, MAX_STEPS):
        bad("optimizer.t", opt["t"], f"an integer from 0 to {MAX_STEPS}")
    if not _number(opt["learning_rate"], 0.0, math.inf) or not 0 < opt["learning_rate"] < math.inf:
        bad("optimizer.learning_rate", opt["learning_rate"], "a finite positive number")


def _check_optimizer_arrays(opt, arrays, run, bad):
    optimizer = run.optimizer
    for name in optimizer._state_names:
        a = arrays.get(f"opt_{name}")
        if a is None and opt["t"] > 0:  # after a step the state exists; zeros would resume another run
            bad(f"optimizer state {name!r}", None, f"the {type(optimizer).__name__} state saved after step {opt['t']}")
        if a is not None:
            _check_like_theta(f"opt_{name}", a, run, bad)


def _check_like_theta(name, a, run, bad):
    theta = run.net.theta
    if a is None or a.shape != theta.shape or a.dtype != theta.dtype:
        found = None if a is None else f"{a.shape} {a.dtype}"
        bad(f"array {name!r}", found, f"{theta.shape} {theta.dtype} (one value per parameter of the network)")
    if not np.isfinite(a).all():
        bad(f"array {name!r}", "values with NaN or infinity", "finite values")


def _check_rng(where, state, bad):
    expected = f"a random generator state of one of {sorted(RNG_CLASSES)}"
    if not isinstance(state, dict) or state.get("bit_generator") not in RNG_CLASSES or not _json(state, dict):
        bad(where, state, expected)
    if not _ints_below(state.get("state"), MAX_RNG_INT):
        bad(f"{where}.state", state.get("state"), f"non-negative integers below 2**256 ({expected})")
    try:  # on a scratch generator of an allow-listed class: the file's text is never looked up
        RNG_CLASSES[state["bit_generator"]]().state = state
    except (TypeError, ValueError, KeyError, OverflowError) as e:
        bad(where, f"{state['bit_generator']} state ({type(e).__name__}: {e})", expected)


def _int(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _number(value, low=-math.inf, high=math.inf):
    """A JSON number in ``[low, high)`` (``high`` itself when it is infinity); never NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        if abs(value) >= 2**63:
            return False
        value = float(value)
    return not math.isnan(value) and low <= value and (value < high or value == high == math.inf)


def _ints_below(value, high, depth=0):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < high
    if isinstance(value, dict) and depth < 3:
        return all(_ints_below(v, high, depth + 1) for v in value.values())
    if isinstance(value, list) and depth < 3 and len(value) <= 1024:
        return all(_ints_below(v, high, depth + 1) for v in value)
    return False


def _json(value, kind=None, depth=0):
    """A JSON value of bounded shape: strings of at most :data:`MAX_TEXT` characters,
    integers below 2**256 in size, at most :data:`MAX_DEPTH` levels deep."""
    if kind is not None and not isinstance(value, kind):
        return False
    if value is None or isinstance(value, (bool, float)):
        return True
    if isinstance(value, int):
        return abs(value) < MAX_RNG_INT
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    if depth >= MAX_DEPTH:
        return False
    if isinstance(value, list):
        return all(_json(v, None, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(len(k) <= MAX_TEXT and _json(v, None, depth + 1) for k, v in value.items())
    return False
