"""The estimator's labels: ``y`` of any kind (strings, ints, bools) mapped to ``classes_`` and
to the network's indices ``0..K-1``, ``class_weight``'s labels mapped to those indices, and the
checks on the classes that a fit refuses (one class, a warm start's classes changed, one class
left with positive weight).

Owns: _Labels (the estimator's label methods), _check_warm_classes, _check_weighted_classes, _py.
Imports: NumPy and scikit-learn's target check; nothing else of npdnn.sklearn.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets


class _Labels:
    """DNNClassifier's label methods (a mixin: they read ``classes_`` and ``class_weight``)."""

    def _encode_labels(self, y):
        check_classification_targets(y)
        classes, labels = np.unique(y, return_inverse=True)
        if classes.dtype == object:  # strings from an object array: store as a unicode array (no pickle)
            classes = np.array(classes.tolist())
        if classes.shape[0] < 2:
            raise ValueError(
                f"y has only one class ({_py(classes[0])!r}); DNNClassifier needs at least two classes to train"
            )
        return classes, labels.reshape(-1)

    def _label_indices(self, y):
        check_classification_targets(y)
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = self.classes_[idx] != y
        if np.any(unknown):
            raise ValueError(
                f"y holds label {_py(np.asarray(y)[unknown][0])!r}, not among classes_ {self.classes_.tolist()}; "
                "pass every label with classes= on the first partial_fit call"
            )
        return idx

    def _class_weight_by_index(self, classes):
        cw = self.class_weight
        if not isinstance(cw, dict):  # None, "balanced", or a bad value that fit's check names
            return cw
        by_index = {}
        for label, weight in cw.items():
            hits = np.flatnonzero(classes == label)
            if hits.size != 1:
                raise ValueError(
                    f"class_weight has label {_py(label)!r}, which is not among the classes {classes.tolist()}"
                )
            by_index[int(hits[0])] = weight
        return by_index


def _check_warm_classes(old, new):
    if not np.array_equal(old, new):
        raise ValueError(
            f"warm_start=True needs y to hold the classes of the previous fit {old.tolist()}; got {new.tolist()} "
            "(set warm_start=False to train a new network)"
        )


def _check_weighted_classes(classes, labels, w):
    if w is None:
        return
    present = np.unique(labels[w > 0])
    if present.size < 2:
        raise ValueError(
            f"only one class ({_py(classes[present[0]])!r}) has a positive sample_weight; "
            "DNNClassifier needs at least two classes with positive weight to train"
        )


def _py(value):
    """A label as plain Python (``'spam'``, not ``np.str_('spam')``) for messages."""
    return value.item() if isinstance(value, np.generic) else value
