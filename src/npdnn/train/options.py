"""Every training option's constraint and default, in one table (as scikit-learn's
``_parameter_constraints``): ``fit``, the Dask driver, the estimator, the callbacks and
schedules check their options through :func:`check_option`, and the command line builds
its argument types from the same entries (``npdnn.cli.options.option_type``), so a
value is refused with the same words everywhere.

The estimator's and the command line's defaults differ from ``fit``'s (as scikit-learn's
MLPClassifier's do) and are written once: :data:`ESTIMATOR_DEFAULTS`, read by the
estimator's signature and the CLI's train options.

Owns: OPTIONS, check_option, DEFAULT_RATES, ESTIMATOR_DEFAULTS, resolve_auto, default_learning_rate,
make_optimizer, check_fit_options, class_weights. Imports: NumPy, :mod:`npdnn.checks` and the optimizers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..checks import check_positive
from .optimizers import get_optimizer

# Learning rate per optimizer name when none is given (the article's 0.0075 for gradient descent).
DEFAULT_RATES = {"gd": 0.0075, "sgd": 0.0075, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 0.001, "adam": 0.001}


# DNNClassifier's defaults, read by its signature and by the command line's train options, so the
# two cannot drift apart. Chosen by 3-fold cross-validation over 10 tabular sets
# (benchmarks/defaults_search.py, docs/defaults.md): Adam, early stopping on a 10% validation split
# with the best epoch restored (the largest gain: log loss 0.35 -> 0.23), a wider network with a
# little L2 (the best log loss of the candidates), epochs only a cap. Three of them are "auto",
# resolved from the number of training rows by resolve_auto: see there.
ESTIMATOR_DEFAULTS = {
    "hidden_layer_sizes": (128, 64),
    "activation": "relu",
    "optimizer": "adam",
    "epochs": 200,
    "batch_size": "auto",
    "l2": "auto",
    "dropout": 0.0,
    "early_stopping": "auto",
    "validation_fraction": 0.1,
    "patience": 10,
    "lr_schedule": None,
    "standardize": "auto",
}

# resolve_auto's thresholds and values (docs/defaults.md has the evidence).
MIN_VALIDATION_ROWS = 100  # fewer held-out rows choose the epoch by noise: sonar's 21, pima's 77
LARGE_SET_ROWS = 10_000  # from here on, batches of 256: 4x fewer steps, the same AUC on adult
AUTO_BATCH = (64, 256)  # (below LARGE_SET_ROWS, from there on)
AUTO_L2 = (1.0, 0.1)  # (small set, trained every epoch; early-stopped or streamed)


@dataclass(frozen=True)
class Resolved:
    """The concrete values of the ``"auto"`` options for one fit."""

    batch_size: int | None
    l2: float
    early_stopping: bool


def resolve_auto(n, *, batch_size, l2, early_stopping, validation_fraction, stream=False):
    """The options of a fit on ``n`` rows with every ``"auto"`` replaced by its value.

    - ``early_stopping="auto"``: on when the validation split (``ceil(validation_fraction n)``
      rows) holds at least :data:`MIN_VALIDATION_ROWS` rows; on fewer, the best epoch is
      chosen by noise and a tenth of a small set is lost to training, so every epoch trains
      instead (the 3-fold search: sonar AUC .882 -> .899, pima .811 -> .835).
    - ``l2="auto"``: 1.0 on such a small set (all epochs need the stronger penalty), 0.1
      otherwise and in a stream (``stream=True``: ``partial_fit``, one epoch per call).
      ``DNNClassifier.fit`` then cross-validates the small set's value against 0.1
      (:mod:`npdnn.sklearn.l2_search`): 1.0 is what remains where that cannot run.
    - ``batch_size="auto"``: 64, or 256 from :data:`LARGE_SET_ROWS` rows (adult: the same
      AUC and log loss, a quarter of the steps).

    ``n`` None (unknown: a Dask DataFrame's length) counts as a large set. Values other than
    ``"auto"`` come back as given.
    """
    large = n is None or n >= LARGE_SET_ROWS
    small = not stream and n is not None and math.ceil(validation_fraction * n) < MIN_VALIDATION_ROWS
    if not (
        isinstance(early_stopping, (bool, np.bool_)) or (isinstance(early_stopping, str) and early_stopping == "auto")
    ):
        raise ValueError(f"early_stopping must be True, False or 'auto'; got {early_stopping!r}")
    return Resolved(
        batch_size=AUTO_BATCH[large] if _is_auto("batch_size", batch_size) else batch_size,
        l2=AUTO_L2[not small] if _is_auto("l2", l2) else l2,
        early_stopping=(not small and not stream)
        if _is_auto("early_stopping", early_stopping)
        else bool(early_stopping),
    )


def _is_auto(name, value):
    """Whether ``value`` is ``"auto"``; another string is refused here, since the option's own
    check (a number) would not mention that ``"auto"`` is allowed."""
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"{name} must be 'auto' or {OPTIONS[name].expected}; got {value!r}")
        return True
    return False


@dataclass(frozen=True)
class Interval:
    """A real (or integer) number between ``low`` and ``high``; ``expected`` words it."""

    integer: bool
    low: float
    high: float = math.inf
    low_open: bool = False
    high_open: bool = True
    none_ok: bool = False  # None is also accepted (e.g. batch_size=None: the full batch)

    @property
    def expected(self):
        if self.integer:
            return "a positive integer" if self.low == 1 else f"an integer >= {self.low:g}"
        if self.high == math.inf:
            return f"a number {'>' if self.low_open else '>='} {self.low:g}"
        return f"a number in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"

    def accepts(self, value):
        if self.integer:
            ok_type = isinstance(value, (int, np.integer))
        else:
            ok_type = isinstance(value, (int, float, np.number)) and np.isreal(value)
        if isinstance(value, bool) or not ok_type or not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


@dataclass(frozen=True)
class Choices:
    """One of a few values, compared with ``==`` (and of the same type)."""

    values: tuple

    @property
    def expected(self):
        return ", ".join(repr(v) for v in self.values[:-1]) + f" or {self.values[-1]!r}"

    def accepts(self, value):
        return any(type(value) is type(v) and value == v for v in self.values)


_POSITIVE_INT = Interval(integer=True, low=1)
_POSITIVE = Interval(integer=False, low=0, low_open=True)
_NON_NEGATIVE = Interval(integer=False, low=0)
_RATE = Interval(integer=False, low=0, high=1)  # [0, 1)

#: Every training option's constraint: name -> Interval or Choices.
OPTIONS = {
    "epochs": _POSITIVE_INT,
    "batch_size": Interval(integer=True, low=1, none_ok=True),
    "learning_rate": _POSITIVE,
    "l2": _NON_NEGATIVE,
    "dropout": _RATE,
    "validation_fraction": _RATE,
    "patience": _POSITIVE_INT,
    "min_delta": _NON_NEGATIVE,
    "tol": _NON_NEGATIVE,
    "checkpoint_every": _POSITIVE_INT,
    "sync_every": Interval(integer=True, low=1, none_ok=True),
    "max_recoveries": Interval(integer=True, low=0),
    "worker_timeout": _POSITIVE,
    "resume": Choices((False, True, "force")),
    "mode": Choices(("min", "max", "auto")),
    "transport": Choices(("socket", "dask")),
    "factor": Interval(integer=False, low=0, high=1, low_open=True),
    "min_rate": _NON_NEGATIVE,
}


def check_option(name, value, constraint=None):
    """``value`` if it meets the constraint of option ``name`` (or ``constraint``),
    else a ValueError: "``name`` must be <expected>; got <value>"."""
    rule = constraint if constraint is not None else OPTIONS[name]
    if value is None and getattr(rule, "none_ok", False):
        return value
    if not rule.accepts(value):
        raise ValueError(f"{name} must be {rule.expected}; got {value!r}")
    return value


def default_learning_rate(optimizer):
    """The rate used when ``learning_rate=None``: per optimizer name, else 0.01."""
    return DEFAULT_RATES.get(optimizer, 0.01) if isinstance(optimizer, str) else 0.01


def make_optimizer(optimizer, learning_rate=None):
    """The :class:`~npdnn.train.optimizers.Optimizer` for a name (or an instance, returned
    as is), with ``learning_rate`` or, when None, the optimizer's default: the one place
    the default rate is resolved (fit, the Dask driver, the estimator, the profiler)."""
    rate = default_learning_rate(optimizer) if learning_rate is None else check_option("learning_rate", learning_rate)
    return get_optimizer(optimizer, rate)


def check_fit_options(*, validation_fraction=0.0, validation_data=None, **options):
    """Raise a ValueError naming the first bad option (each checked by :data:`OPTIONS`);
    return the validation fraction to use."""
    for name, value in options.items():
        check_option(name, value)
    fraction = float(check_option("validation_fraction", validation_fraction))
    if validation_data is not None and fraction:
        raise ValueError("give either validation_data or validation_fraction, not both")
    if validation_data is not None and (not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2):
        raise ValueError("validation_data must be a pair (X_val, y_val)")
    return fraction


def class_weights(labels, class_weight, n_classes):
    """Per-sample weights (m,) from ``class_weight``: None, ``"balanced"``
    (``m / (n_classes * count_k)``, as scikit-learn), or a dict ``{label index: weight}``."""
    if class_weight is None:
        return None
    if isinstance(class_weight, str) and class_weight == "balanced":
        counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
        present = counts > 0
        per_class = np.zeros(n_classes)
        per_class[present] = labels.shape[0] / (present.sum() * counts[present])
        return per_class[labels]
    if isinstance(class_weight, dict):
        per_class = np.ones(n_classes)
        for k, w in class_weight.items():
            if not (isinstance(k, (int, np.integer, bool)) and 0 <= int(k) < n_classes):
                raise ValueError(f"class_weight has a key {k!r}; expected class labels in 0..{n_classes - 1}")
            per_class[int(k)] = check_positive(f"class_weight[{k!r}]", w, allow_zero=True)
        return per_class[labels]
    raise ValueError(f"class_weight must be None, 'balanced' or a dict {{label: weight}}; got {class_weight!r}")
