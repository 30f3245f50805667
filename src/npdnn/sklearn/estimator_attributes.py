"""The fitted attributes the estimator shares with scikit-learn's ``MLPClassifier``, with its
meanings: the history of a fit (``loss_curve_``, ``n_iter_``, ``best_loss_``, ...), set by
every way of fitting (``fit``, ``partial_fit``, a Dask fit, a model file read back), and the
read-only views of the network in MLPClassifier's layout (``coefs_``, ``intercepts_``,
``n_layers_``, ``n_outputs_``, ``out_activation_``), computed from ``network_`` on each access
so that they never go stale and take no room in a model file.

Owns: MLPClassifierAttributes (a mixin of :class:`~npdnn.DNNClassifier`).
Imports: nothing (it reads the estimator's ``network_``).
"""

from __future__ import annotations


class MLPClassifierAttributes:
    """MLPClassifier's attributes of a fitted :class:`~npdnn.DNNClassifier` (see its docstring)."""

    def _set_history(self, loss, val_loss, val_accuracy, t=None):
        self.loss_curve_ = list(loss)
        self.validation_loss_curve_ = None if val_loss is None else list(val_loss)
        self.validation_scores_ = None if val_accuracy is None else list(val_accuracy)
        self.n_iter_ = len(self.loss_curve_)
        # MLPClassifier's meanings: best_loss_ is the training loss's minimum, None when validating
        validating = bool(self.validation_loss_curve_)
        self.best_loss_ = None if validating or not self.loss_curve_ else min(self.loss_curve_)
        self.best_validation_loss_ = min(self.validation_loss_curve_) if validating else None
        self.best_validation_score_ = max(self.validation_scores_) if self.validation_scores_ else None
        self.t_ = t

    @property
    def coefs_(self):
        """``[W1.T, W2.T, ...]``: views (n_{l-1}, n_l) into the network's parameters."""
        return [d.W.T for d in self.network_.dense]

    @property
    def intercepts_(self):
        """``[b1[:, 0], b2[:, 0], ...]``: views (n_l,) into the network's parameters."""
        return [d.b[:, 0] for d in self.network_.dense]

    @property
    def n_layers_(self):
        return len(self.network_.layer_dims)

    @property
    def n_outputs_(self):
        return self.network_.layer_dims[-1]

    @property
    def out_activation_(self):
        return "logistic" if self.network_.layer_dims[-1] == 1 else "softmax"
