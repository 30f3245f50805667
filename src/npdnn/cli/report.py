"""Evaluation reports for the command line: scikit-learn's metrics and the
small text tables ``npdnn train`` and ``npdnn evaluate`` print."""

from __future__ import annotations

import numpy as np


def metrics(y, proba, classes, pos=1, threshold=None):
    """Held-out metrics from scikit-learn: binary for two classes (positive =
    ``classes[pos]``), macro averages and one-vs-rest ROC AUC for more.

    ``threshold`` (binary only): predict the positive class when its probability is
    at least ``threshold``; None takes the more probable class."""
    from sklearn import metrics as skm

    classes = np.asarray(classes)
    proba = np.asarray(proba)
    if proba.dtype != np.float64:  # float32 rows sum to 1 only to ~1e-7; log_loss warns about that
        proba = proba.astype(np.float64)
        proba /= proba.sum(axis=1, keepdims=True)
    pred = predicted(proba, classes, pos, threshold)
    binary = classes.size == 2
    # Two classes: a metric with nothing to count (no positive row, no positive prediction) is nan, as ROC AUC
    # with one class present. More: scikit-learn's macro average over every class, an undefined one counting 0
    # (leaving those out would give a model that predicts one class that class's precision).
    avg = (
        {"pos_label": classes[pos], "average": "binary", "zero_division": np.nan}
        if binary
        else {"labels": classes, "average": "macro", "zero_division": 0}
    )
    present = np.unique(y).size
    if binary:
        auc = skm.roc_auc_score(y == classes[pos], proba[:, pos]) if present == 2 else float("nan")
    else:
        auc = (
            skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes) if present == classes.size else float("nan")
        )
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, **avg),
        "recall": skm.recall_score(y, pred, **avg),
        "f1": skm.f1_score(y, pred, **avg),
        "roc_auc": auc,
        "log_loss": skm.log_loss(y, proba, labels=classes),
    }, skm.confusion_matrix(y, pred, labels=classes)


def table(columns):
    """``{"train": metrics, "test": metrics}`` -> aligned text, one metric a row."""
    names = list(next(iter(columns.values())))
    lines = [f"{'metric':<10}" + "".join(f"{c:>10}" for c in columns)]
    for name in names:
        lines.append(f"{name:<10}" + "".join(f"{m[name]:>10.6f}" for m in columns.values()))
    return "\n".join(lines)


def confusion(cm, classes, title="confusion matrix"):
    labels = [str(c) for c in classes]
    w = max(10, *(len(s) + 2 for s in labels))
    lines = [
        f"{title} (rows: true class, columns: predicted class)",
        " " * w + "".join(f"{s:>{w}}" for s in labels),
    ]
    for s, row in zip(labels, cm, strict=True):
        lines.append(f"{s:<{w}}" + "".join(f"{v:>{w}d}" for v in row))
    return "\n".join(lines)


def predicted(proba, classes, pos=1, threshold=None):
    """Labels (m,) from ``proba`` (m, n_classes): the positive class ``classes[pos]``
    where its probability is ``>= threshold`` (two classes), else the argmax."""
    classes = np.asarray(classes)
    if threshold is None or classes.size != 2:
        return classes[proba.argmax(axis=1)]
    return np.where(proba[:, pos] >= threshold, classes[pos], classes[1 - pos])


def json_value(value):
    """Metrics and labels as JSON values: NumPy scalars as Python numbers, NaN as null."""
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_value(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def confusion_json(cm, classes):
    """``{"labels": [...], "matrix": [[...]]}``: rows are true classes, columns predicted."""
    return {"labels": json_value(list(classes)), "matrix": json_value(np.asarray(cm))}


def json_text(report):
    """``report`` (a dict of JSON values, see :func:`json_value`) as indented JSON text."""
    import json

    return json.dumps(report, indent=2, allow_nan=False) + "\n"


class warnings_as_lines:
    """A context that records the warnings raised inside it (npdnn.ConvergenceWarning,
    TrainingWarning, ...) and, on a normal exit, hands each to ``say`` as one line
    ``npdnn: warning: ...`` (a Python warning would print the file, line and source): ``say(text)``
    gets the message with its whitespace folded."""

    def __init__(self, say):
        import warnings

        self.say, self.catcher = say, warnings.catch_warnings(record=True)

    def __enter__(self):
        import warnings

        self.caught = self.catcher.__enter__()
        warnings.simplefilter("always", UserWarning)
        return self

    def __exit__(self, *exc):
        self.catcher.__exit__(*exc)
        if exc[0] is None:
            for w in self.caught:
                self.say(" ".join(str(w.message).split()))
        return False
