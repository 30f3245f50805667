"""What a fit of the estimator builds from its hyperparameters before training: the network and
its optimizer, the seed, the ``"auto"`` options resolved for the rows at hand, the convergence
window, the per-layer statistics' probe, and what a ``warm_start`` fit continues from. Shared by
``fit``, ``partial_fit``, the l2 search's folds (:mod:`npdnn.sklearn.l2_search`) and the Dask fit
(:mod:`npdnn.sklearn.dask_fit`), so that each builds the same network from the same options.

Owns: _FitSetup (a mixin of :class:`~npdnn.DNNClassifier`).
Imports: NumPy, scikit-learn's random-state check, the network and the training options.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

from ..network import Network
from ..train.layer_stats import Diagnostics
from ..train.options import OPTIONS, check_option, make_optimizer, resolve_auto


class _FitSetup:
    """DNNClassifier's methods that turn hyperparameters into a fit's parts (a mixin: they read
    the estimator's parameters and, for a warm start, its fitted attributes)."""

    def _build_network(self, n_features, n_classes, dtype):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else sizes
        if isinstance(sizes, (str, bytes)) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1 for n in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a tuple of positive integers, e.g. (64, 32); "
                f"got {self.hidden_layer_sizes!r}"
            )
        n_L = 1 if n_classes == 2 else n_classes
        return Network([n_features, *sizes, n_L], self.activation, init=self.init, seed=self._seed(), dtype=dtype)

    def _seed(self):
        rs = self.random_state
        if rs is None or isinstance(rs, (numbers.Integral, np.random.Generator)):
            return rs
        return int(check_random_state(rs).randint(np.iinfo(np.int32).max))

    def _resolve(self, n, stream=False):
        """The ``"auto"`` options' values for a fit on ``n`` rows (npdnn.train.options.resolve_auto)."""
        return resolve_auto(
            n,
            batch_size=self.batch_size,
            l2=self.l2,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            stream=stream,
        )

    def _make_optimizer(self):
        return make_optimizer(self.optimizer, self.learning_rate)

    def _layer_stats(self, X):
        """The per-layer :class:`~npdnn.callbacks.Diagnostics` when ``diagnostics`` asks for it, on a
        probe of up to 256 rows spread evenly over X (no random draw: refits probe the same rows)."""
        every = self.diagnostics
        if every is False or every is None or every == 0:
            return None
        if every is True:
            every = 1
        rows = np.unique(np.linspace(0, X.shape[0] - 1, min(256, X.shape[0])).astype(np.intp))
        return Diagnostics(every=every, probe=X[rows])

    def _window(self):
        """Epochs without an improvement of ``tol`` that count as converged (early stopping's patience)."""
        check_option("tol", self.tol)  # the estimator's own options, by the table (OPTIONS) fit checks its own by
        if self.n_iter_no_change is None:
            return self.patience
        return check_option("n_iter_no_change", self.n_iter_no_change, OPTIONS["patience"])

    def _warm_state(self):
        """What a ``warm_start`` fit continues from, or None for a fresh start."""
        if not (self.warm_start and hasattr(self, "network_")):
            return None
        net = self.network_
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
        if net.layer_dims[1:-1] != sizes:
            raise ValueError(
                f"warm_start=True, but hidden_layer_sizes={self.hidden_layer_sizes!r} differ from the fitted "
                f"network {net.layer_dims}; set warm_start=False to train a new network"
            )
        return {
            "dtype": self.dtype_,
            "classes": self.classes_,
            "mean": self.mean_,
            "scale": self.scale_,
            "plan": getattr(self, "columns_", None),
            "network": net,
            "optimizer": getattr(self, "_optimizer", None) or self._make_optimizer(),
            "curves": [self.loss_curve_, self.validation_loss_curve_, self.validation_scores_],
            "t": self.t_ or 0,
            "l2": getattr(self, "l2_", None),
        }
