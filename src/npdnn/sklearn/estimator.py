"""``DNNClassifier``: the scikit-learn estimator around :class:`~npdnn.Network`.

Labels of any kind (strings, ints, bools) are mapped to ``classes_`` and, for the
network, to indices ``0..K-1``: two classes train a sigmoid output (``n_L = 1``),
K > 2 classes a softmax output (``n_L = K``). Input validation, feature names and
``n_features_in_`` follow scikit-learn (``validate_data``); the numerics are the
network's own. ``save`` / ``load`` write and read one model file (see
:mod:`npdnn.files.network_file`): parameters, architecture, class labels, the fitted
standardization and the hyperparameters, never a pickle.

scikit-learn is imported here at module level: this is an edge module, loaded
only when ``npdnn.DNNClassifier`` is first used.

Owns: DNNClassifier (its parameters, fit, partial_fit, prediction, files, summary),
_SklearnConvergenceWarning. Its parts, each in its module (the class mixes them in, and stays
defined here, the path a pickle records): the inputs (:mod:`npdnn.sklearn.estimator_inputs`),
the labels (:mod:`npdnn.sklearn.estimator_labels`), what a fit builds
(:mod:`npdnn.sklearn.estimator_setup`), MLPClassifier's attributes
(:mod:`npdnn.sklearn.estimator_attributes`), ``l2="auto"``'s search
(:mod:`npdnn.sklearn.l2_search`) and the model file's section (:mod:`npdnn.sklearn.estimator_file`).
Imports: scikit-learn, the network, the training loop, and the modules above.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from ..checks import check_sample_weight, is_dask, is_sparse
from ..errors import ConvergenceWarning
from ..files.network_file import save_model
from ..network import network_from_file
from ..nn.activations import sigmoid
from ..nn.chunking import map_rows
from ..train.diagnostics import DEFAULT_TOL, FitDiagnostics
from ..train.loop import fit as train
from ..train.options import ESTIMATOR_DEFAULTS
from ..train.progress import make_progress
from .column_checks import leaked_label, row_numbers, similar_labels
from .columns import needs_plan
from .estimator_attributes import MLPClassifierAttributes
from .estimator_file import estimator_from_file, estimator_section
from .estimator_inputs import _cannot_center, _Inputs
from .estimator_labels import _check_warm_classes, _check_weighted_classes, _Labels
from .estimator_setup import _FitSetup
from .l2_search import searched_l2
from .standardization import CLIP, scaling_of
from .standardization import standardized_for_training as _standardized_for_training


class _SklearnConvergenceWarning(ConvergenceWarning, SklearnConvergenceWarning):
    """npdnn's one :class:`~npdnn.ConvergenceWarning`, as the estimator emits it: also
    scikit-learn's, so that both ``npdnn.ConvergenceWarning`` and
    ``sklearn.exceptions.ConvergenceWarning`` filters catch it (a class cannot be
    made a subclass of scikit-learn's without importing scikit-learn, which the
    core does not; so this private subclass lives here, at the edge)."""


class DNNClassifier(_Inputs, _Labels, _FitSetup, MLPClassifierAttributes, ClassifierMixin, BaseEstimator):
    """A fully connected neural network classifier trained from scratch in NumPy.

    The defaults are ``npdnn.train.options.ESTIMATOR_DEFAULTS``, the table ``npdnn train``
    reads too, chosen by cross-validation on a panel of tabular data sets
    (docs/defaults.md): Adam on mini-batches, early stopping on a 10% validation split
    with the best epoch's weights restored, ``epochs`` as a cap. ``Network.fit`` keeps
    the article's full-batch gradient descent instead.

    Tables: a pandas DataFrame with a text, category or bool column, or a missing
    value, goes through a column plan learned on the training rows
    (:mod:`npdnn.sklearn.columns`: median imputation plus missing indicators, 1/0
    booleans, one-hot categories, an id-like text column dropped with a warning),
    stored in the model file and applied by every method; see ``docs/data.md``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (128, 64)
        Units of the hidden layers ``n_1, ..., n_{L-1}``; ``()`` gives logistic /
        softmax regression.
    activation : {"relu", "leaky_relu", "tanh", "sigmoid"}, default "relu"
        Hidden-layer activation.
    init : {"he", "glorot", "scaled", "small"} or None
        Weight initialization; None picks He for ReLU-like activations, else Glorot.
    optimizer : {"gd", "sgd", "momentum", "nesterov", "rmsprop", "adam"}, default "adam"
    learning_rate : float or None
        None uses the optimizer's default (``npdnn.train.options.DEFAULT_RATES``).
    epochs : int, default 200
        Passes over the training data (an upper bound with ``early_stopping``).
    batch_size : int, None or "auto", default "auto"
        Mini-batch size; None trains on the full batch. "auto": 64, or 256 from
        10,000 rows on (``batch_size_`` holds the value used).
    l2 : float or "auto", default "auto"
        L2 penalty ``l2 / (2b) sum ||W||^2`` per mini-batch of size b. "auto": 0.1 with
        early stopping; on a set too small for it (see there), 0.1 or 1.0, whichever has the
        lower held-out log loss in a stratified 3-fold cross-validation on the training rows
        (``l2_search_``; about 4x one fit's time, :mod:`npdnn.sklearn.l2_search`), or 1.0 when
        a class has under 3 rows. ``l2_`` holds the value used.
    dropout : float or sequence of float, default 0.0
        Dropout rate after each hidden layer (one number, or one per layer).
    early_stopping : bool or "auto", default "auto"
        Hold out ``validation_fraction`` of the training data, stop when its loss
        has not improved for ``patience`` epochs and keep the best parameters
        (``best_epoch_``). Only then is a validation set held out. "auto" (scikit-learn's
        MLPClassifier has it off): on when the validation split holds at least 100 rows
        (1,000 rows at 10%); on fewer, the held-out rows choose the epoch by noise, so a
        small set trains every epoch with the stronger ``l2`` instead (docs/defaults.md;
        ``early_stopping_`` holds the value used).
    validation_fraction : float in (0, 1), default 0.1
    patience : int, default 10
    class_weight : None, "balanced" or dict {label: weight}
    standardize : {"auto", False, True, "standard", "robust"}, default "auto"
        Fit a per-feature center and scale on the training X and apply
        ``(X - mean_) / scale_`` in every method; they travel in the model file.
        ``"auto"`` (as ``npdnn train``): mean and standard deviation of each feature that
        holds values other than 0 and 1, the 0/1 ones left as they are (a rare one-hot
        column scaled by 1/std would feed the network large values); sparse X is not scaled
        (``mean_`` None), since centering would make it dense. This is the preprocessing the
        defaults were chosen with (docs/defaults.md).
        True or ``"standard"``: mean and standard deviation. ``"robust"``: median and
        IQR / 1.349 (the standard deviation of normal data, unmoved by outliers),
        then clipped to [-5, 5] (as RealMLP-TD's robust scaling). A table's 0/1 columns
        (booleans, one-hot categories, missing indicators) are not scaled.
    random_state : int, RandomState instance or None
        Seeds initialization, shuffling, dropout masks and the validation split.
    dtype : {None, "float32", "float64"}
        None keeps float32 input in float32 (parameters and outputs) and uses
        float64 for anything else.
    verbose : bool or int, default False
        0/False: silent. 1/True: a tqdm progress bar when stderr is a terminal, else
        one line per epoch. 2: one line per epoch (loss, validation metrics, time)
        on stderr, or to the ``"npdnn"`` logger when logging is configured.
    tol : float, default 1e-4
        As MLPClassifier's: the loss must drop by more than ``tol`` to count as an
        improvement. It sets the :class:`ConvergenceWarning` test and, with
        ``early_stopping``, the validation loss's ``min_delta``.
    n_iter_no_change : int or None, default None
        MLPClassifier's name for ``patience``: when given it replaces ``patience``
        (early stopping) and is the window of the convergence test.
    lr_schedule : None or str, default None
        A learning-rate schedule by name (``npdnn.train.schedules.SCHEDULES``: "step",
        "exponential", "inverse_time", "cosine", "plateau"); None keeps the rate constant.
    diagnostics : bool or int, default False
        True records per-layer statistics every epoch (an int N: every N epochs) on a probe
        of up to 256 training rows, into ``diagnostics_``, and warns with the cause named when
        a layer dies, gradients vanish or explode, or updates are too large (see
        :class:`npdnn.callbacks.Diagnostics`, ``docs/diagnostics.md``; plot with
        :func:`npdnn.cli.layer_plots.plot_diagnostics`).
    warm_start : bool, default False
        ``fit`` continues from the current network and optimizer state (same
        classes, features and layers) instead of starting anew; the curves, ``n_iter_``
        and ``t_`` keep counting, and the standardization of the first fit is kept.
    categorical_features : list of str or None, default None
        Columns of a DataFrame to one-hot encode even when they hold numbers (codes);
        text, category and bool columns are categorical or boolean anyway.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str (n_features_in_,)
        Only when X had string column names (e.g. a pandas DataFrame).
    network_ : npdnn.Network
        Layer sizes ``[n_features_in_, *hidden_layer_sizes, n_L]``.
    loss_curve_ : list of float
        Training loss per epoch.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch when ``early_stopping``, else None.
    validation_scores_ : list of float or None
        Validation accuracy per epoch when ``early_stopping``, else None.
    n_iter_ : int
        Epochs run (over all ``fit`` / ``partial_fit`` calls since the last ``fit``).
    best_loss_ : float or None
        As MLPClassifier's: the lowest training loss, or None with ``early_stopping``
        (then see ``best_validation_score_`` and ``best_validation_loss_``).
    best_validation_score_ : float or None
        Highest validation accuracy with ``early_stopping``, else None (as MLPClassifier).
    best_validation_loss_ : float or None
        Lowest validation loss with ``early_stopping``, else None (npdnn only).
    best_epoch_ : int or None
        With ``early_stopping``: the epoch (0-based) whose weights were restored, else None.
    training_scores_ : list of float or None
        Training accuracy per epoch when ``fit`` was given a ``TrainingAccuracy`` callback.
    batch_size_, l2_, early_stopping_ : int or None, float, bool
        The values the last ``fit`` or ``partial_fit`` used (``"auto"`` resolved; set by
        training, not stored in the model file).
    l2_search_ : dict or None
        ``{l2: mean held-out log loss}`` of the cross-validation that chose ``l2_`` when
        ``l2="auto"`` on a set too small for early stopping; else None (and after partial_fit,
        a Dask fit, or a warm start, which keeps the last fit's ``l2_``).
    t_ : int
        Training samples seen by the optimizer: ``n_iter_`` times the training rows
        (those left after the validation split), as MLPClassifier's.
    coefs_ : list of ndarray, ``coefs_[l - 1]`` of shape (n_{l-1}, n_l)
        MLPClassifier's layout: ``W{l}.T``. Read-write *views* into
        ``network_.theta``, made on each access (writing into them changes the network).
    intercepts_ : list of ndarray, ``intercepts_[l - 1]`` of shape (n_l,)
        ``b{l}[:, 0]``, views like ``coefs_``.
    n_layers_ : int
        Layers including input and output: ``len(hidden_layer_sizes) + 2``.
    out_activation_ : {"logistic", "softmax"}
        MLPClassifier's name for the output activation.
    diagnostics_ : dict or None
        What :class:`npdnn.callbacks.Diagnostics` recorded in the last ``fit`` (None unless ``diagnostics``).
    n_outputs_ : int
        Output units ``n_L``: 1 for two classes, else the number of classes.
    mean_, scale_ : ndarray (n_x,) of ``dtype_``, or None
        The scaling of the network's n_x inputs (constant features, and 0/1 ones under
        ``"auto"``, get mean 0 and scale 1); None with ``standardize=False`` or an
        ``"auto"`` fit on sparse X.
    columns_ : ColumnPlan or None
        The column plan of a table (see above); None for numeric input. Then the
        network has one input per plan output (``columns_.output_names``).
    dtype_ : numpy.dtype
        The float dtype of the parameters and outputs.
    """

    def __init__(
        self,
        hidden_layer_sizes=ESTIMATOR_DEFAULTS["hidden_layer_sizes"],
        activation=ESTIMATOR_DEFAULTS["activation"],
        init=None,
        optimizer=ESTIMATOR_DEFAULTS["optimizer"],
        learning_rate=None,
        epochs=ESTIMATOR_DEFAULTS["epochs"],
        batch_size=ESTIMATOR_DEFAULTS["batch_size"],
        l2=ESTIMATOR_DEFAULTS["l2"],
        dropout=ESTIMATOR_DEFAULTS["dropout"],
        early_stopping=ESTIMATOR_DEFAULTS["early_stopping"],
        validation_fraction=ESTIMATOR_DEFAULTS["validation_fraction"],
        patience=ESTIMATOR_DEFAULTS["patience"],
        class_weight=None,
        standardize=ESTIMATOR_DEFAULTS["standardize"],
        random_state=None,
        dtype=None,
        verbose=False,
        tol=DEFAULT_TOL,
        n_iter_no_change=None,
        warm_start=False,
        lr_schedule=ESTIMATOR_DEFAULTS["lr_schedule"],
        categorical_features=None,
        diagnostics=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.l2 = l2
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.class_weight = class_weight
        self.standardize = standardize
        self.random_state = random_state
        self.dtype = dtype
        self.verbose = verbose
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.lr_schedule = lr_schedule
        self.categorical_features = categorical_features
        self.diagnostics = diagnostics

    # ------------------------------------------------------------------ training
    def fit(self, X, y, sample_weight=None, *, checkpoint=None, checkpoint_every=1, resume=False, callbacks=()):
        """Train a new network on ``X`` (m, n_features) and labels ``y`` (m,).

        ``callbacks``: more :mod:`npdnn.callbacks` for this fit (e.g. ``TrainingAccuracy()``,
        whose per-epoch values become ``training_scores_``).

        ``checkpoint`` / ``checkpoint_every`` / ``resume`` are passed to
        :func:`npdnn.train.loop.fit`: a resumed run ends bit-identical to an
        uninterrupted one with the same ``random_state``. Returns ``self``.
        """
        if is_dask(X):  # rows on a Dask cluster: trained there, step for step as here (npdnn[dask])
            from .dask_fit import fit_estimator

            return fit_estimator(
                self, X, y, sample_weight, checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume
            )
        warm = self._warm_state()
        target = getattr(y, "name", None)  # a pandas Series' name, for the leaked-label warning
        if warm is None:
            self.__dict__.pop("network_", None)  # a refit that fails leaves the estimator unfitted, not stale
        dtype = self._input_dtype() if warm is None else warm["dtype"]
        given = X
        reads = {}  # the plan's reading of each text column, reused below instead of a second and third reading
        plan = (
            (self._fit_plan(X, reads) if needs_plan(X) or self.categorical_features else None)
            if warm is None
            else warm["plan"]
        )
        X, y = self._validate_table(X, y, plan, dtype, reset=warm is None, reads=reads)  # warm: the same features
        auto = self._resolve(X.shape[0])
        classes, labels = self._encode_labels(y)
        if warm is None:
            similar_labels(classes)
        if warm is None and hasattr(given, "columns"):
            leaked_label(given, labels, list(given.columns), target, reads=reads)
            row_numbers(given, list(given.columns))
        reads.clear()  # a code per row and text column: not held through training
        if warm is not None:
            _check_warm_classes(warm["classes"], classes)  # refused before anything changes
            self.__dict__.pop("network_", None)
        w = check_sample_weight(sample_weight, X.shape[0])
        _check_weighted_classes(classes, labels, w)
        dtype = X.dtype
        if warm is None:
            mean, scale = self._fit_scaling(X, w, plan)
            net = self._build_network(X.shape[1], len(classes), dtype)
            opt = self._make_optimizer()
        else:
            mean, scale, net, opt = warm["mean"], warm["scale"], warm["network"], warm["optimizer"]
        if mean is not None and is_sparse(X):  # a warm start from a standardized dense fit
            raise _cannot_center(self.standardize)
        X_in = X if mean is None else _standardized_for_training(X, given, mean, scale)
        if mean is not None and scaling_of(self.standardize) == "robust":
            np.clip(X_in, -CLIP, CLIP, out=X_in)
        auto, self.l2_search_ = searched_l2(self, auto, warm, X_in, labels, classes, w)
        window = self._window()
        diagnostics = FitDiagnostics(
            X_in,
            labels,
            self.epochs,
            tol=self.tol,
            window=window,
            convergence_category=_SklearnConvergenceWarning,
            weighted=w is not None or self.class_weight is not None,
            scaled=True if mean is not None else None,  # None: FitDiagnostics looks at X
            small_set=self.early_stopping == "auto" and not auto.early_stopping,
        )
        history = train(
            net,
            X_in,
            labels,
            optimizer=opt,
            epochs=self.epochs,
            batch_size=auto.batch_size,
            l2=auto.l2,
            dropout=self.dropout,
            lr_schedule=self.lr_schedule,
            sample_weight=w,
            class_weight=self._class_weight_by_index(classes),
            validation_fraction=self.validation_fraction if auto.early_stopping else 0.0,
            early_stopping=auto.early_stopping,
            patience=window,
            min_delta=self.tol if auto.early_stopping else 0.0,
            callbacks=[
                *callbacks,
                *(
                    c
                    for c in (make_progress(self.verbose, self.epochs), diagnostics, self._layer_stats(X_in))
                    if c is not None
                ),
            ],
            diagnostics=False,  # the estimator's own FitDiagnostics above warns with scikit-learn's class
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            resume=resume,
        )
        self.classes_, self.dtype_, self.mean_, self.scale_ = classes, dtype, mean, scale
        self.columns_ = plan
        self.network_, self._optimizer = net, opt
        self.diagnostics_ = history.get("diagnostics")
        self.batch_size_, self.l2_, self.early_stopping_ = auto.batch_size, auto.l2, auto.early_stopping
        n_train = X.shape[0] - (math.ceil(self.validation_fraction * X.shape[0]) if auto.early_stopping else 0)
        curves = [history["loss"], history.get("val_loss"), history.get("val_accuracy")]
        if warm is not None:  # the curves keep counting, as MLPClassifier's with warm_start
            curves = [None if new is None else old + new for old, new in zip(warm["curves"], curves, strict=True)]
        t0 = 0 if warm is None else warm["t"]
        self._set_history(*curves, t=t0 + n_train * len(history["loss"]))
        self.training_scores_ = history.get("accuracy")  # per epoch, with a TrainingAccuracy callback
        self.best_epoch_ = history.get("best_epoch")
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current parameters and
        optimizer state (a new network on the first call).

        ``classes`` lists every label the stream will hold; on the first call it
        defaults to the labels in ``y`` (which must then hold at least two).
        The standardization, when asked for, is fitted on the first batch only;
        early stopping and the validation split apply to :meth:`fit` only.
        """
        first = not hasattr(self, "network_")
        plan = (
            (self._fit_plan(X) if needs_plan(X) or self.categorical_features else None)
            if first
            else getattr(self, "columns_", None)
        )
        X, y = self._validate_table(X, y, plan, self._input_dtype() if first else self.dtype_, reset=first)
        w = check_sample_weight(sample_weight, X.shape[0])
        if first:
            all_classes, _ = self._encode_labels(y if classes is None else np.asarray(classes))
            self.classes_, self.dtype_, self.columns_ = all_classes, X.dtype, plan
            self.mean_, self.scale_ = self._fit_scaling(X, w, plan)
            self.network_ = self._build_network(X.shape[1], len(all_classes), X.dtype)
            self._optimizer = self._make_optimizer()
            self._set_history([], None, None, t=0)
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()} differ from the classes of the first call "
                f"{self.classes_.tolist()}"
            )
        labels = self._label_indices(y)
        auto = self._resolve(X.shape[0], stream=True)
        self.batch_size_, self.l2_, self.early_stopping_ = auto.batch_size, auto.l2, False
        self.l2_search_ = None
        if not hasattr(self, "_optimizer"):  # after load(): the optimizer state is not in the file
            self._optimizer = self._make_optimizer()
        history = train(
            self.network_,
            self._standardized(X),
            labels,
            optimizer=self._optimizer,
            epochs=1,
            batch_size=auto.batch_size,
            l2=auto.l2,
            dropout=self.dropout,
            sample_weight=w,
            class_weight=self._class_weight_by_index(self.classes_),
            diagnostics=False,  # one epoch of a stream: nothing to conclude (MLPClassifier is silent too)
        )
        self._set_history(self.loss_curve_ + history["loss"], None, None, t=(self.t_ or 0) + X.shape[0])
        return self

    # ------------------------------------------------------------------ prediction
    def decision_function(self, X):
        """Logits ``Z_L``: (m,) for two classes (positive means ``classes_[1]``),
        (m, n_classes) otherwise.

        In row chunks (:mod:`npdnn.nn.chunking`): each chunk of X is converted to
        ``dtype_`` and standardized on its own, so X is never copied whole."""
        X = self._predict_rows(X)
        return map_rows(self.network_, X, lambda ZL: ZL[0] if ZL.shape[0] == 1 else ZL.T, self._standardized)

    def predict_proba(self, X):
        """Class probabilities (m, n_classes), columns in the order of ``classes_``
        (two columns for binary problems); dtype ``dtype_``."""
        Z = self.decision_function(X)
        if Z.ndim == 1:
            # Both columns from the stable sigmoid, so small probabilities keep their precision;
            # one call on [-Z, Z] (m, 2) gives the values of two calls and a column_stack (bit for bit)
            # at half the cost of a 1-row predict (benchmarks/serve.py).
            ZZ = np.empty((Z.shape[0], 2), dtype=Z.dtype)
            np.negative(Z, out=ZZ[:, 0])
            ZZ[:, 1] = Z
            return sigmoid(ZZ, out=ZZ)
        return self.network_.output.forward(Z.T).T.copy()

    def predict(self, X):
        """Labels (m,) taken from ``classes_``."""
        Z = self.decision_function(X)
        idx = (Z > 0).astype(np.intp) if Z.ndim == 1 else Z.argmax(axis=1)
        return self.classes_[idx]

    # ------------------------------------------------------------------ files
    def save(self, path, key=None):
        """Write the fitted estimator to ``path`` as one model file (atomic, no pickle,
        sealed with a SHA-256 digest; signed with ``key`` (bytes) when given)."""
        check_is_fitted(self)
        arrays, meta = estimator_section(self)
        save_model(path, self.network_.get_config(), self.network_.theta, arrays=arrays, meta=meta, key=key)

    @classmethod
    def load(cls, path, *, max_parameters=None, key=None):
        """Read a file written by :meth:`save`; a file holding a bare network (or
        anything else) raises :class:`~npdnn.ModelFileError`. ``max_parameters``: as
        for :func:`npdnn.load`."""
        return estimator_from_file(cls, path, *network_from_file(path, max_parameters=max_parameters, key=key))

    def to_onnx(self, opset=None):
        """An ``onnx.ModelProto`` computing ``label`` (N,) (values of ``classes_``) and
        ``probabilities`` (N, n_classes) from ``X`` (N, n_features_in_) of ``dtype_``,
        standardization included; see :mod:`npdnn.export.onnx` (``onnx`` extra). A model
        with a column plan takes one (N, 1) input per column instead (numbers as
        ``dtype_``, NaN where missing; categories as strings, "" where missing): see
        :mod:`npdnn.export.onnx_columns`."""
        from ..export.onnx import classifier_to_onnx

        check_is_fitted(self)
        robust = self.mean_ is not None and scaling_of(self.standardize) == "robust"
        return classifier_to_onnx(self, opset=opset, clip=CLIP if robust else None)

    # ------------------------------------------------------------------ description
    def summary(self):
        """The network's layer table plus the classes, features, standardization and
        training state (an object whose ``repr`` and ``str`` are the text)."""
        from ..nn.summary import estimator_summary

        check_is_fitted(self)
        return estimator_summary(self)

    # ------------------------------------------------------------------ scikit-learn's protocol
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR and CSC, made dense a mini-batch (or prediction chunk) at a time
        return tags

    def __sklearn_is_fitted__(self):
        # Fitted means trained: validate_data sets n_features_in_ before training
        # starts, so a fit that failed (e.g. diverged) must not count.
        return hasattr(self, "network_")
