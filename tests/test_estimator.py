"""DNNClassifier: scikit-learn's own estimator checks, and the estimator in use
(pipelines, grid search, cross-validation, DataFrames, dtypes, labels, softmax,
partial_fit, sample weights, standardization, checkpoints, errors)."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import npdnn
from npdnn import DNNClassifier
from npdnn.train.options import ESTIMATOR_DEFAULTS

from conftest import make_data

# Small and quick, but trained enough (100 epochs, rate 0.01) to pass the checks that
# demand accuracy, e.g. check_classifiers_train (> 0.83) and check_class_weight_classifiers.
# Without early stopping (on by default since issue 25): its random validation split holds out
# other rows when a row is repeated than when it is weighted, so check_sample_weight_equivalence
# cannot hold with it (as for MLPClassifier(early_stopping=True)).
# And without L2: its term l2 / (2b) per mini-batch of b rows sums over more batches when rows are
# repeated than when they are weighted, so that check cannot hold with it either.
CHECKED = DNNClassifier(
    hidden_layer_sizes=(8,), epochs=100, learning_rate=0.01, early_stopping=False, l2=0.0, random_state=0
)


@parametrize_with_checks([CHECKED])
def test_sklearn_estimator_checks(estimator, check, monkeypatch):
    # check_array_api_input skips itself unless SCIPY_ARRAY_API is set; set it so
    # that check runs too (it compares results with array-API dispatch on and off).
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


def test_npdnn_exposes_the_estimator():
    assert npdnn.DNNClassifier is DNNClassifier


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


# ---------------------------------------------------------------------- quality
def test_binary_breast_cancer_with_standardize(cancer):
    X_train, X_test, y_train, y_test = cancer
    # the default architecture and optimizer, as the command line trains it
    est = DNNClassifier(epochs=50, standardize=True, random_state=0).fit(X_train, y_train)
    assert est.network_.layer_dims == [30, *ESTIMATOR_DEFAULTS["hidden_layer_sizes"], 1]  # binary: one sigmoid unit
    assert est.score(X_test, y_test) >= 0.95
    P = est.predict_proba(X_test)
    assert P.shape == (len(X_test), 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(est.predict(X_test), est.classes_[(est.decision_function(X_test) > 0).astype(int)])


def test_multiclass_iris_uses_softmax(iris):
    X_train, X_test, y_train, y_test = iris
    est = DNNClassifier(
        hidden_layer_sizes=(16,), epochs=60, learning_rate=0.01, standardize=True, early_stopping=False, random_state=0
    )
    est.fit(X_train, y_train)
    assert est.network_.layer_dims == [4, 16, 3] and est.network_.output.name == "softmax"
    assert est.score(X_test, y_test) >= 0.9
    P, Z = est.predict_proba(X_test), est.decision_function(X_test)
    assert P.shape == Z.shape == (len(X_test), 3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(P, np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True), rtol=1e-12)


def test_without_standardize_unscaled_cancer_is_worse_than_with(cancer):
    X_train, X_test, y_train, y_test = cancer
    kw = dict(hidden_layer_sizes=(16,), epochs=30, learning_rate=0.01, random_state=0)
    raw = DNNClassifier(standardize=False, **kw).fit(X_train, y_train)
    scaled = DNNClassifier(standardize=True, **kw).fit(X_train, y_train)
    assert scaled.score(X_test, y_test) > raw.score(X_test, y_test)


# ---------------------------------------------------------------------- scikit-learn tools
def test_pipeline_with_standard_scaler(cancer):
    X_train, X_test, y_train, y_test = cancer
    pipe = Pipeline([("scale", StandardScaler()), ("dnn", DNNClassifier(epochs=50))])
    pipe.set_params(dnn__random_state=0).fit(X_train, y_train)
    assert pipe.score(X_test, y_test) >= 0.95
    assert pipe.predict_proba(X_test).shape == (len(X_test), 2)


def test_standardize_matches_a_standard_scaler_pipeline(cancer):
    X_train, X_test, y_train, _ = cancer
    kw = dict(hidden_layer_sizes=(8,), epochs=5, random_state=3)
    own = DNNClassifier(standardize=True, **kw).fit(X_train, y_train)
    pipe = Pipeline([("scale", StandardScaler()), ("dnn", DNNClassifier(**kw))]).fit(X_train, y_train)
    scaler = pipe.named_steps["scale"]
    np.testing.assert_allclose(own.mean_, scaler.mean_, rtol=1e-12)
    np.testing.assert_allclose(own.scale_, scaler.scale_, rtol=1e-12)
    np.testing.assert_allclose(own.predict_proba(X_test), pipe.predict_proba(X_test), rtol=1e-6, atol=1e-9)


def test_grid_search(iris):
    X_train, X_test, y_train, y_test = iris
    grid = GridSearchCV(
        DNNClassifier(epochs=60, learning_rate=0.01, standardize=True, random_state=0),
        {"hidden_layer_sizes": [(4,), (16,)], "l2": [0.0, 0.1]},
        cv=3,
        n_jobs=1,
    ).fit(X_train, y_train)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_params_["hidden_layer_sizes"] in [(4,), (16,)] and grid.best_params_["l2"] in [0.0, 0.1]
    best = grid.best_estimator_
    assert best.hidden_layer_sizes == grid.best_params_["hidden_layer_sizes"]
    assert best.network_.layer_dims == [4, *grid.best_params_["hidden_layer_sizes"], 3]
    assert grid.score(X_test, y_test) >= 0.9


def test_cross_val_score(iris):
    X_train, _, y_train, _ = iris
    est = DNNClassifier(
        hidden_layer_sizes=(16,), epochs=60, learning_rate=0.01, standardize=True, early_stopping=False, random_state=0
    )
    scores = cross_val_score(est, X_train, y_train, cv=3)
    assert scores.shape == (3,) and scores.mean() >= 0.85


def test_clone_gives_an_unfitted_copy(iris):
    X_train, _, y_train, _ = iris
    est = DNNClassifier(hidden_layer_sizes=(3,), epochs=2, random_state=0).fit(X_train, y_train)
    copy = clone(est)
    assert copy.get_params() == est.get_params() and not hasattr(copy, "network_")


# ---------------------------------------------------------------------- DataFrames
@pytest.fixture
def frame():
    X, y = make_data(50, 3, seed=4)
    return pd.DataFrame(X, columns=["height", "weight", "age"]), y


def test_dataframe_records_feature_names(frame):
    X, y = frame
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0).fit(X, y)
    assert list(est.feature_names_in_) == ["height", "weight", "age"] and est.n_features_in_ == 3
    np.testing.assert_array_equal(est.predict_proba(X), est.predict_proba(X[["height", "weight", "age"]]))


def test_dataframe_with_wrong_column_names_follows_sklearn(frame):
    X, y = frame
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="The feature names should match those that were passed during fit"):
        est.predict(X.rename(columns={"age": "years"}))
    with pytest.raises(ValueError, match="The feature names should match"):
        est.predict(X[["weight", "height", "age"]])
    with pytest.warns(UserWarning, match="X does not have valid feature names, but DNNClassifier was fitted with"):
        est.predict(X.to_numpy())


def test_array_fit_then_dataframe_predict_warns(frame):
    X, y = frame
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0).fit(X.to_numpy(), y)
    assert not hasattr(est, "feature_names_in_")
    with pytest.warns(UserWarning, match="X has feature names, but DNNClassifier was fitted without feature names"):
        est.predict(X)


def test_integer_column_names_are_not_recorded(frame):
    X, y = frame
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0).fit(X.set_axis([0, 1, 2], axis=1), y)
    assert not hasattr(est, "feature_names_in_") and est.n_features_in_ == 3


# ---------------------------------------------------------------------- dtypes
@pytest.mark.parametrize(
    "X_dtype, dtype, expected",
    [
        (np.float32, None, np.float32),
        (np.float64, None, np.float64),
        (np.int64, None, np.float64),
        (np.float16, None, np.float64),
        (np.float64, "float32", np.float32),
        (np.float32, np.float64, np.float64),
    ],
)
def test_dtype_is_kept(X_dtype, dtype, expected):
    X, y = make_data(40, 3, seed=1)
    X = (X * 10).astype(X_dtype)
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=2, standardize=True, dtype=dtype, random_state=0).fit(X, y)
    assert est.dtype_ == expected and est.network_.theta.dtype == expected
    assert est.mean_.dtype == est.scale_.dtype == expected
    assert est.predict_proba(X).dtype == expected and est.decision_function(X).dtype == expected
    # predicting on other input dtypes gives the model's dtype
    assert est.predict_proba(X.astype(np.float64)).dtype == expected


def test_float32_softmax_stays_float32(iris):
    X_train, _, y_train, _ = iris
    est = DNNClassifier(hidden_layer_sizes=(5,), epochs=2, random_state=0).fit(X_train.astype(np.float32), y_train)
    assert est.predict_proba(X_train).dtype == np.float32 and est.decision_function(X_train).dtype == np.float32


def test_bad_dtype_is_refused():
    X, y = make_data(20, 2)
    with pytest.raises(ValueError, match="dtype must be float32 or float64; got 'int8'"):
        DNNClassifier(dtype="int8").fit(X, y)


# ---------------------------------------------------------------------- labels
@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog"]),
        np.array(["cat", "dog"], dtype=object),
        np.array([-1, 1]),
        np.array([3, 7, 9]),
        np.array([False, True]),
        np.array([0.0, 2.0]),
        np.array(["b", "a", "c", "d"]),
    ],
)
def test_any_labels_map_to_classes(labels):
    rng = np.random.default_rng(0)
    m, K = 80, len(labels)
    idx = np.arange(m) % K
    angle = 2 * np.pi * idx / K
    X = rng.standard_normal((m, 2)) + 3.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    y = labels[idx]
    est = DNNClassifier(hidden_layer_sizes=(8,), epochs=80, learning_rate=0.01, random_state=0).fit(X, y)
    np.testing.assert_array_equal(est.classes_, np.unique(y))
    assert est.classes_.dtype != object  # stored in model files without pickle
    assert est.network_.layer_dims[-1] == (1 if K == 2 else K)
    pred = est.predict(X)
    assert set(pred.tolist()) <= set(labels.tolist()) and pred.dtype.kind == np.asarray(labels.tolist()).dtype.kind
    assert np.mean(pred == y) >= 0.9
    np.testing.assert_array_equal(pred, est.classes_[est.predict_proba(X).argmax(axis=1)])


def test_pandas_series_labels(frame):
    X, y = frame
    labels = pd.Series(np.where(y == 1, "yes", "no"), name="answer")
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0).fit(X, labels)
    assert list(est.classes_) == ["no", "yes"]


# ---------------------------------------------------------------------- weights
def test_sample_weight_changes_the_fit():
    X, y = make_data(40, 3, seed=2)
    w = np.where(y == 1, 5.0, 1.0)
    kw = dict(hidden_layer_sizes=(4,), epochs=20, learning_rate=0.01, early_stopping=False, random_state=0)
    p_plain = DNNClassifier(**kw).fit(X, y).predict_proba(X)[:, 1]
    p_weighted = DNNClassifier(**kw).fit(X, y, sample_weight=w).predict_proba(X)[:, 1]
    # up-weighting class 1 pushes its probabilities up and predicts it more often
    assert p_weighted.mean() > p_plain.mean() + 0.05
    assert (p_weighted > 0.5).sum() > (p_plain > 0.5).sum()


def test_zero_sample_weight_equals_removing_the_samples():
    X, y = make_data(40, 3, seed=2)
    w = np.ones(40)
    w[::3] = 0.0
    # without early stopping: its random validation split would hold out other rows in the two fits;
    kw = dict(
        hidden_layer_sizes=(4,), epochs=20, batch_size=None, learning_rate=0.01, early_stopping=False, random_state=0
    )
    kw["l2"] = 0.0  # l2 / (2m) counts the rows, weighted zero or not
    weighted = DNNClassifier(**kw).fit(X, y, sample_weight=w)
    removed = DNNClassifier(**kw).fit(X[w > 0], y[w > 0])
    np.testing.assert_allclose(weighted.predict_proba(X), removed.predict_proba(X), rtol=1e-10)


def test_class_weight_by_label():
    X, y01 = make_data(40, 3, seed=2)
    y = np.where(y01 == 1, "spam", "ham")
    # unscaled: the scaling is fitted with the sample weights, while class weights act on the loss only
    kw = dict(
        hidden_layer_sizes=(4,), epochs=20, learning_rate=0.01, early_stopping=False, random_state=0, standardize=False
    )
    p_plain = DNNClassifier(**kw).fit(X, y).predict_proba(X)[:, 1]
    p_spam_heavy = DNNClassifier(class_weight={"spam": 5.0}, **kw).fit(X, y).predict_proba(X)[:, 1]
    assert p_spam_heavy.mean() > p_plain.mean() + 0.05
    # a class weight of 5 is the same as a sample weight of 5 on that class
    p_sample = DNNClassifier(**kw).fit(X, y, sample_weight=np.where(y == "spam", 5.0, 1.0)).predict_proba(X)[:, 1]
    np.testing.assert_allclose(p_spam_heavy, p_sample, rtol=1e-12)
    balanced = DNNClassifier(class_weight="balanced", **kw).fit(X, y)
    assert balanced.n_iter_ == 20
    with pytest.raises(ValueError, match=r"class_weight has label 'eggs', which is not among the classes \['ham', "):
        DNNClassifier(class_weight={"eggs": 2.0}, **kw).fit(X, y)


# ---------------------------------------------------------------------- partial_fit
def test_partial_fit_reduces_the_loss():
    X, y = make_data(60, 3, seed=5)
    est = DNNClassifier(hidden_layer_sizes=(8,), batch_size=20, learning_rate=0.01, random_state=0)
    for _ in range(15):
        est.partial_fit(X, y, classes=[0, 1])
    assert est.n_iter_ == len(est.loss_curve_) == 15
    assert est.loss_curve_[-1] < 0.8 * est.loss_curve_[0]


def test_partial_fit_streams_batches_missing_a_class():
    X, y = make_data(60, 3, seed=5)
    labels = np.array(["a", "b", "c"])[np.arange(60) % 3]
    est = DNNClassifier(hidden_layer_sizes=(4,), random_state=0)
    est.partial_fit(X[labels != "c"], labels[labels != "c"], classes=["a", "b", "c"])
    est.partial_fit(X[labels == "c"], labels[labels == "c"])
    assert list(est.classes_) == ["a", "b", "c"] and est.predict_proba(X).shape == (60, 3)
    with pytest.raises(ValueError, match=r"y holds label 'z', not among classes_ \['a', 'b', 'c'\]"):
        est.partial_fit(X[:2], np.array(["a", "z"]))
    with pytest.raises(ValueError, match=r"classes=\['a', 'b'\] differ from the classes of the first call"):
        est.partial_fit(X, labels, classes=["a", "b"])


def test_partial_fit_continues_the_same_stream_as_after_pickling():
    X, y = make_data(60, 3, seed=5)
    a = DNNClassifier(hidden_layer_sizes=(4,), random_state=0).partial_fit(X, y, classes=[0, 1])
    b = pickle.loads(pickle.dumps(a))
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    assert a.network_.theta.tobytes() == b.network_.theta.tobytes()
    # the unpickled network's W/b are still views into its flat theta
    assert np.shares_memory(b.network_.params["W1"], b.network_.theta)


def test_fit_after_partial_fit_starts_over():
    X, y = make_data(60, 3, seed=5)
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0)
    est.partial_fit(X, y)
    est.fit(X, y)
    fresh = DNNClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0).fit(X, y)
    assert est.n_iter_ == 3 and est.network_.theta.tobytes() == fresh.network_.theta.tobytes()


# ---------------------------------------------------------------------- training options
def test_early_stopping_records_validation_curves():
    X, y = make_data(120, 3, seed=6)
    est = DNNClassifier(
        hidden_layer_sizes=(8,), epochs=300, learning_rate=0.05, early_stopping=True, patience=3, random_state=0
    ).fit(X, y)
    assert est.n_iter_ < 300
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == est.n_iter_
    # MLPClassifier's meanings: best_loss_ is None when validating; the validation minima have their own names
    assert est.best_loss_ is None and est.best_validation_loss_ == min(est.validation_loss_curve_)
    assert est.best_validation_score_ == max(est.validation_scores_)
    plain = DNNClassifier(hidden_layer_sizes=(8,), epochs=5, early_stopping=False, random_state=0).fit(X, y)
    assert plain.validation_loss_curve_ is None and plain.best_loss_ == min(plain.loss_curve_)


def test_same_random_state_same_model_and_different_otherwise():
    X, y = make_data(60, 3, seed=5)
    kw = dict(hidden_layer_sizes=(4,), epochs=3, dropout=0.2)
    a = DNNClassifier(random_state=7, **kw).fit(X, y)
    b = DNNClassifier(random_state=7, **kw).fit(X, y)
    c = DNNClassifier(random_state=8, **kw).fit(X, y)
    d = DNNClassifier(random_state=np.random.RandomState(7), **kw).fit(X, y)
    assert a.network_.theta.tobytes() == b.network_.theta.tobytes() != c.network_.theta.tobytes()
    assert np.isfinite(d.network_.theta).all()


def test_constant_feature_gets_scale_one():
    X, y = make_data(40, 3, seed=2)
    X[:, 1] = 1e6  # constant: a scale of 0 would divide by zero
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=3, standardize=True, random_state=0).fit(X, y)
    assert est.scale_[1] == 1.0 and est.mean_[1] == 1e6
    assert np.isfinite(est.predict_proba(X)).all()


def test_no_hidden_layers_is_logistic_regression():
    X, y = make_data(60, 3, seed=5)
    est = DNNClassifier(hidden_layer_sizes=(), epochs=50, learning_rate=0.05, random_state=0).fit(X, y)
    assert est.network_.layer_dims == [3, 1] and est.score(X, y) >= 0.8


def test_resumed_fit_gives_the_same_model_file(tmp_path):
    X, y = make_data(60, 3, seed=5)
    kw = dict(hidden_layer_sizes=(6,), batch_size=16, dropout=0.1, random_state=3, standardize=True)
    DNNClassifier(epochs=12, **kw).fit(X, y).save(tmp_path / "full.npz")
    ckpt = tmp_path / "run.ckpt"
    DNNClassifier(epochs=5, **kw).fit(X, y, checkpoint=ckpt)  # "interrupted" after 5 epochs
    resumed = DNNClassifier(epochs=12, **kw).fit(X, y, checkpoint=ckpt, checkpoint_every=2, resume=True)
    assert resumed.n_iter_ == 12
    resumed.save(tmp_path / "resumed.npz")
    assert (tmp_path / "resumed.npz").read_bytes() == (tmp_path / "full.npz").read_bytes()


# ---------------------------------------------------------------------- errors
def test_single_class_is_refused():
    X, _ = make_data(10, 2)
    with pytest.raises(ValueError, match=r"y has only one class \('spam'\); DNNClassifier needs at least two classes"):
        DNNClassifier().fit(X, np.array(["spam"] * 10))
    with pytest.raises(ValueError, match=r"only one class \(1\) has a positive sample_weight"):
        DNNClassifier().fit(X, np.arange(10) % 2, sample_weight=np.arange(10) % 2)


def test_nan_and_wrong_feature_count_are_refused():
    X, y = make_data(20, 3)
    bad = X.copy()
    bad[4, 2] = np.nan
    hint = r"Input X contains NaN: an array's missing values are not filled in; pass X as a pandas DataFrame \("
    with pytest.raises(ValueError, match=hint):
        DNNClassifier().fit(bad, y)
    DNNClassifier(hidden_layer_sizes=(4,), epochs=2).fit(pd.DataFrame(bad), y)  # as the message says
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.predict(bad)
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(ValueError, match="X has 2 features, but DNNClassifier is expecting 3 features as input"):
            getattr(est, method)(X[:, :2])


def test_unfitted_estimator_raises_not_fitted():
    with pytest.raises(NotFittedError):
        DNNClassifier().predict(np.zeros((2, 3)))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"hidden_layer_sizes": (4, 0)}, r"hidden_layer_sizes must be a tuple of positive integers.*got \(4, 0\)"),
        ({"hidden_layer_sizes": "64,32"}, "hidden_layer_sizes must be a tuple of positive integers"),
        ({"activation": "swish"}, "swish"),
        ({"optimizer": "lbfgs"}, r"unknown optimizer 'lbfgs'"),
        ({"epochs": 0}, "epochs must be a positive integer; got 0"),
        ({"learning_rate": -1.0}, "learning_rate must be a number > 0; got -1.0"),
        ({"dropout": 1.5}, r"dropout must be a number in \[0, 1\); got 1.5"),
        ({"class_weight": "heavy"}, "class_weight must be None, 'balanced' or a dict"),
    ],
)
def test_bad_hyperparameters_are_named(params, match):
    X, y = make_data(20, 3)
    est = DNNClassifier(**params)  # scikit-learn convention: no validation in __init__
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


def test_progress_bar_does_not_change_the_model(capsys):
    X, y = make_data(60, 3, seed=5)
    kw = dict(hidden_layer_sizes=(4,), epochs=3, random_state=0)
    quiet = DNNClassifier(**kw).fit(X, y)
    shown = DNNClassifier(verbose=True, **kw).fit(X, y)
    assert shown.network_.theta.tobytes() == quiet.network_.theta.tobytes()
    assert capsys.readouterr().out == ""  # the bar goes to stderr, never to stdout


def test_an_int_hidden_layer_size_means_one_layer():
    X, y = make_data(60, 3, seed=5)
    est = DNNClassifier(hidden_layer_sizes=7, epochs=2, random_state=0).fit(X, y)
    assert est.network_.layer_dims == [3, 7, 1]


def test_a_failed_refit_leaves_the_estimator_unfitted():
    X, y = make_data(40, 3, seed=2)
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0).fit(X, y)
    est.set_params(optimizer="gd", learning_rate=1e6, epochs=50, early_stopping=False)
    with pytest.raises(npdnn.DivergenceError, match="training diverged"):
        est.fit(X * 1e3, y)
    with pytest.raises(NotFittedError):
        est.predict(X)
