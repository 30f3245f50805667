"""``check(name, fn)``: run a learner's function on seeded cases and say what is wrong.

The order of the checks, per case: the function runs (an exception is reported with the
case's shapes; ``NotImplementedError`` means "not implemented yet"); its inputs must be
unchanged (a function that writes into ``dA`` or a cache is named); its answer must have
the reference's form (tuple, dict, shapes); then its numbers must match npdnn's reference
(and PyTorch autograd for the gradients, where torch is installed). On a mismatch, the
typical mistakes of :mod:`npdnn.exercises.hints` are tried, and the first one the
function reproduces gives the hint; otherwise the answer names the first differing entry.

Owns: check, Result. Imports: NumPy and the exercises package.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from . import reference as ref
from .autograd import autograd_outputs
from .cases import CASES
from .hints import CACHE_NAMES, MISTAKES

RTOL, ATOL = 1e-6, 1e-9

OUTPUTS = {
    "linear_forward": ("Z", "cache"),
    "linear_activation_forward": ("A", "cache"),
    "L_model_forward": ("AL", "caches"),
    "compute_cost": ("cost",),
    "linear_backward": ("dA_prev", "dW", "db"),
    "relu_backward": ("dZ",),
    "sigmoid_backward": ("dZ",),
}


@dataclass
class Result:
    """The answer of :func:`check`: ``passed``, the ``message`` (shown as the result's repr),
    and ``kind``: "passed", "not implemented", "error", "hint" (a known mistake) or "mismatch"."""

    name: str
    passed: bool
    message: str
    kind: str

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return self.message

    __str__ = __repr__


def check(name, fn):
    """Check a learner's ``fn`` for exercise ``name`` (one of :data:`npdnn.exercises.EXERCISES`)."""
    if name not in CASES:
        raise ValueError(f"unknown exercise {name!r}; expected one of {list(ref.EXERCISES)}")
    if not callable(fn):
        raise TypeError(f"check({name!r}, fn) needs your function as fn; got {type(fn).__name__}")
    if name == "initialize_parameters_deep":
        return _check_initialization(fn)
    cases = CASES[name]()
    torch_used = False
    for i, (description, kwargs) in enumerate(cases, start=1):
        where = f"(case {i} of {len(cases)}: {description})"
        mine, untouched = copy.deepcopy(kwargs), copy.deepcopy(kwargs)
        try:
            got = fn(*mine.values())
        except NotImplementedError:
            return Result(
                name,
                False,
                f"{name}: not implemented yet (the function still raises NotImplementedError)",
                "not implemented",
            )
        except Exception as exc:  # the learner's bug, reported, never raised
            return Result(
                name, False, f"{name} raised {type(exc).__name__}: {exc} {where}{_shape_note(kwargs)}", "error"
            )
        changed = _changed(untouched, mine)
        if changed:
            return Result(
                name,
                False,
                f"{name} changed its input {changed} in place {where}: the caller's arrays (and the caches of the "
                "forward pass) must stay as they were; work on a copy, e.g. dZ = np.array(dA, "
                "copy=True), or build a new array",
                "hint",
            )
        expected = _outputs(name, ref.__dict__[name](*copy.deepcopy(kwargs).values()))
        auto = autograd_outputs(name, copy.deepcopy(kwargs))
        if auto is not None:
            torch_used = True
            problem = _compare(auto, {k: expected[k] for k in auto}, "")
            if problem:  # npdnn's reference and autograd disagree: a bug of npdnn, not the learner's
                raise AssertionError(f"npdnn's reference {name} disagrees with PyTorch autograd: {problem}")
        got = _outputs(name, got)
        if isinstance(got, str):
            return Result(name, False, f"{name} {got} {where}", "mismatch")
        problem = _form(name, expected, got) or _compare(expected, got, "")
        if problem is None:
            continue
        if isinstance(problem, tuple):  # a recognised form mistake: (hint,)
            return Result(name, False, f"{name}: {problem[0]} {where}", "hint")
        hint = _known_mistake(name, kwargs, expected, got)
        if hint:
            return Result(name, False, f"{name}: {hint} {where}", "hint")
        return Result(name, False, f"{name}: {problem} {where}", "mismatch")
    also = " and PyTorch autograd" if torch_used else ""
    return Result(
        name, True, f"{name}: passed ({len(cases)} seeded cases agree with npdnn's reference{also})", "passed"
    )


def _outputs(name, result):
    """The function's result as a dict of named outputs, or a string saying what is wrong with its form."""
    if result is None:
        return "returned None: is the return statement missing?"
    if name in ("L_model_backward", "update_parameters"):
        if not isinstance(result, dict):
            return f"should return a dict, got {type(result).__name__}"
        if name == "L_model_backward":  # dA{l} are intermediate: checked when present, not required
            return {k: v for k, v in result.items()}
        return dict(result)
    keys = OUTPUTS[name]
    if len(keys) == 1:
        return {keys[0]: result}
    if not isinstance(result, (tuple, list)) or len(result) != len(keys):
        return f"should return a tuple ({', '.join(keys)}); got {_kind(result)}"
    return dict(zip(keys, result, strict=False))


def _form(name, expected, got):
    """A (hint,) tuple for a mistake of form the grader recognises, or a str problem, or None."""
    if name == "update_parameters":
        return _not_updated(expected, got)
    for key, names in CACHE_NAMES.get(name, {}).items():
        order = _cache_order(expected[key], got[key], names)
        if order:
            return (order,)
    if name == "L_model_forward" and isinstance(got.get("caches"), (list, tuple)):
        n, k = len(expected["caches"]), len(got["caches"])
        if n != k:
            return (
                f"caches holds {k} entries, expected {n} (one per layer): with L = len(parameters) // 2, the loop "
                "covers layers 1..L-1 with ReLU and layer L follows it with sigmoid",
            )
    if name == "L_model_backward":
        missing = [k for k in expected if k.startswith(("dW", "db")) and k not in got]
        if missing:
            return f"is missing the gradients {missing} (grads holds {sorted(got)})"
        return None
    return None


def _not_updated(expected, got):
    missing = [k for k in expected if k not in got]
    if missing:
        return f"is missing {missing} in the returned parameters (it holds {sorted(got)})"
    return None


def _compare(expected, got, path):
    """None when ``got`` matches ``expected`` (nested tuples/lists/dicts of arrays and
    floats), else a sentence naming the first difference."""
    if isinstance(expected, dict):
        for key in expected:
            if key.startswith("dA") and key not in got:
                continue  # L_model_backward's dA{l}: optional
            if key not in got:
                return f"{path or 'the result'} has no key {key!r}"
            problem = _compare(expected[key], got[key], f"{path}[{key!r}]" if path else key)
            if problem:
                return problem
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{path} should be a tuple of {len(expected)} entries; got {_kind(got)}"
        for j, (e, g) in enumerate(zip(expected, got, strict=False)):
            problem = _compare(e, g, f"{path}[{j}]")
            if problem:
                return problem
        return None
    if isinstance(expected, float):
        try:
            g = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return f"{path} should be a number; got {_kind(got)}"
        if g.size != 1:
            return f"{path} should be a number (a float); got an array of shape {g.shape}"
        g = float(g.reshape(()))
        return None if np.isclose(g, expected, rtol=RTOL, atol=ATOL) else f"{path} is {g:.8g}, expected {expected:.8g}"
    e = np.asarray(expected)
    if not isinstance(got, np.ndarray):
        return f"{path} should be a NumPy array of shape {e.shape}; got {_kind(got)}"
    if got.shape != e.shape:
        note = " (the transpose of the expected shape)" if got.shape == e.T.shape and e.ndim == 2 else ""
        return f"{path}: expected shape {e.shape}, got {got.shape}{note}"
    close = np.isclose(got, e, rtol=RTOL, atol=ATOL)
    if close.all():
        return None
    idx = tuple(int(i) for i in np.argwhere(~close)[0])
    n_bad = int((~close).sum())
    where = f"{path}[{', '.join(map(str, idx))}]"
    return f"{where} is {got[idx]:.8g}, expected {e[idx]:.8g} ({n_bad} of {e.size} entries differ)"


def _known_mistake(name, kwargs, expected, got):
    if name == "update_parameters":
        for key in expected:
            if key in got and _same(kwargs["parameters"][key], got[key]):
                return (
                    f"{key} was not updated (it still equals parameters[{key!r}]): update every layer, "
                    "l = 1..L with L = len(parameters) // 2, i.e. range(1, L + 1)"
                )
    for hint, wrong in MISTAKES.get(name, []):
        try:
            outputs = wrong(copy.deepcopy(kwargs), expected)
        except (ValueError, IndexError, KeyError):
            outputs = None
        if not outputs:
            continue
        if all(key in got and _same(value, got[key]) for key, value in outputs.items()):
            return hint
    return None


def _same(a, b):
    if isinstance(a, float) or np.ndim(a) == 0:
        try:
            return np.size(b) == 1 and bool(
                np.isclose(float(np.asarray(b).reshape(())), float(a), rtol=RTOL, atol=ATOL)
            )
        except (TypeError, ValueError):
            return False
    return isinstance(b, np.ndarray) and b.shape == np.shape(a) and bool(np.allclose(b, a, rtol=RTOL, atol=ATOL))


def _cache_order(expected, got, names):
    """'the cache is in the wrong order ...' when ``got`` holds the entries of ``expected`` permuted."""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return None
    order = []
    for g in got:
        match = [n for n, e in zip(names, expected, strict=False) if _same_tree(e, g)]
        if len(match) != 1:
            return None
        order.append(match[0])
    if order == list(names):
        return None
    return f"the cache is in the wrong order: expected ({', '.join(names)}), got ({', '.join(order)})"


def _same_tree(a, b):
    if isinstance(a, (tuple, list)):
        if not isinstance(b, (tuple, list)) or len(a) != len(b):
            return False
        return all(_same_tree(x, y) for x, y in zip(a, b, strict=True))
    return _same(a, b)


def _changed(before, after, path="an argument"):
    """The name of the first input array the function wrote into, or None."""
    if isinstance(before, dict):
        for key in before:
            found = _changed(before[key], after[key], key if path == "an argument" else f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(before, (tuple, list)):
        for j, (b, a) in enumerate(zip(before, after, strict=False)):
            found = _changed(b, a, f"{path}[{j}]")
            if found:
                return found
        return None
    if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
        return path
    return None


def _kind(x):
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of {len(x)} entries"
    return f"a {type(x).__name__}"


def _shape_note(kwargs):
    shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in kwargs.items() if isinstance(v, np.ndarray))
    return f". The inputs: {shapes}. W has shape (n_l, n_{{l-1}}), A (n_{{l-1}}, m): Z = W @ A + b" if shapes else ""


def _check_initialization(fn):
    name = "initialize_parameters_deep"
    for description, kwargs in CASES[name]():
        dims = kwargs["layer_dims"]
        try:
            first = fn(list(dims), np.random.default_rng(7))
            # a function drawing from np.random's global generator gives another answer on the second call
            again = fn(list(dims), np.random.default_rng(7))
            other = fn(list(dims), np.random.default_rng(8))
        except NotImplementedError:
            return Result(
                name,
                False,
                f"{name}: not implemented yet (the function still raises NotImplementedError)",
                "not implemented",
            )
        except Exception as exc:
            return Result(name, False, f"{name} raised {type(exc).__name__}: {exc} ({description})", "error")
        if not isinstance(first, dict):
            return Result(
                name, False, f"{name} should return a dict {{'W1': ..., 'b1': ...}}; got {_kind(first)}", "mismatch"
            )
        problem = _initialization_problem(first, again, other, dims)
        if problem:
            return Result(name, False, f"{name}: {problem} ({description})", "hint")
    return Result(
        name, True, f"{name}: passed (shapes, zero biases, random weights drawn from the rng you are given)", "passed"
    )


def _initialization_problem(first, again, other, dims):
    L = len(dims) - 1
    keys = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    missing = [k for k in keys if k not in first]
    if missing or len(first) != len(keys):
        return f"expected the keys {keys} (one W and one b per layer after the input), got {sorted(first)}"
    for l in range(1, L + 1):
        W, b = np.asarray(first[f"W{l}"]), np.asarray(first[f"b{l}"])
        want = (dims[l], dims[l - 1])
        if W.shape != want:
            flipped = " (transposed: rows are the layer's units, columns its inputs)" if W.shape == want[::-1] else ""
            return f"W{l} has shape {W.shape}, expected {want} = (n_{l}, n_{l - 1}){flipped}"
        if b.shape != (dims[l], 1):
            return f"b{l} has shape {b.shape}, expected ({dims[l]}, 1): a column, so it broadcasts over the m samples"
        if np.any(b != 0):
            return f"b{l} should start at zeros (np.zeros((n_{l}, 1))); the random weights already break the symmetry"
        if np.all(W == W.flat[0]):
            return (
                f"W{l} has all entries equal: every unit would compute the same thing forever "
                f"(symmetry); draw them at random"
            )
        if not 1e-4 < float(W.std()) < 10:
            return (
                f"W{l} has standard deviation {float(W.std()):.3g}: scale the normal draws, e.g. * "
                f"np.sqrt(2 / n_{l - 1}) (He)"
            )
    for l in range(1, L + 1):
        if not np.array_equal(first[f"W{l}"], again[f"W{l}"]) or np.array_equal(first[f"W{l}"], other[f"W{l}"]):
            return (
                "the weights do not come from the rng argument: draw them with rng.standard_normal((n_l, n_prev)), "
                "not np.random.randn (a global generator the caller cannot seed per call)"
            )
    return None
