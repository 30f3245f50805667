"""Every training option's constraint, in one place: ``fit`` checks its options here
once, before any work, and the estimator and the command line pass theirs through
the same ``fit`` (their own defaults differ, as scikit-learn's MLPClassifier's do,
and are written once each: the estimator's ``__init__``, the CLI reads them from it).

Owns: DEFAULT_RATES, ESTIMATOR_DEFAULTS, default_learning_rate, check_fit_options, class_weights.
Imports: NumPy and :mod:`npdnn.checks`.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_positive, check_rate

# Learning rate per optimizer name when none is given (the article's 0.0075 for gradient descent).
DEFAULT_RATES = {"gd": 0.0075, "sgd": 0.0075, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 0.001, "adam": 0.001}


# DNNClassifier's defaults, read by its signature and by the command line's train options, so the
# two cannot drift apart. Chosen by 3-fold cross-validation over 10 tabular sets
# (benchmarks/defaults_search.py, docs/defaults.md): Adam on mini-batches of 64, early stopping on
# a 10% validation split with the best epoch restored (the largest gain: log loss 0.35 -> 0.23),
# a wider network with a little L2 (the best log loss of the candidates), epochs only a cap.
ESTIMATOR_DEFAULTS = {
    "hidden_layer_sizes": (128, 64),
    "activation": "relu",
    "optimizer": "adam",
    "epochs": 200,
    "batch_size": 64,
    "l2": 0.1,
    "dropout": 0.0,
    "early_stopping": True,
    "validation_fraction": 0.1,
    "patience": 10,
    "lr_schedule": None,
}


def default_learning_rate(optimizer):
    """The rate used when ``learning_rate=None``: per optimizer name, else 0.01."""
    return DEFAULT_RATES.get(optimizer, 0.01) if isinstance(optimizer, str) else 0.01


def check_fit_options(
    *, epochs, batch_size, l2, validation_fraction, validation_data, patience, checkpoint_every, resume
):
    """Raise a ValueError naming the first bad option; return the validation fraction to use."""
    check_positive("epochs", epochs, integer=True)
    check_positive("l2", l2, allow_zero=True)
    if batch_size is not None:
        check_positive("batch_size", batch_size, integer=True)
    fraction = check_rate("validation_fraction", validation_fraction)
    check_positive("patience", patience, integer=True)
    check_positive("checkpoint_every", checkpoint_every, integer=True)
    if validation_data is not None and fraction:
        raise ValueError("give either validation_data or validation_fraction, not both")
    if validation_data is not None and (not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2):
        raise ValueError("validation_data must be a pair (X_val, y_val)")
    if resume not in (False, True, "force"):
        raise ValueError(f"resume must be False, True or 'force'; got {resume!r}")
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
