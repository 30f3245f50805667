"""DNNClassifier's MLPClassifier-style attributes, compared with MLPClassifier fitted on
the same data and layers: shapes and meanings (coefs_, intercepts_, n_layers_,
out_activation_, best_loss_, best_validation_score_, t_), warm_start, tol /
n_iter_no_change, summary(), and their survival through save/load and pickle."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

import npdnn
from npdnn import DNNClassifier


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def pair(X, y, **kw):
    """DNNClassifier and MLPClassifier on the same data, layers and epoch budget."""
    common = {"hidden_layer_sizes": (6, 4), "random_state": 0, **kw}
    ours = DNNClassifier(epochs=30, batch_size=32, learning_rate=0.001, **common).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = MLPClassifier(max_iter=30, batch_size=32, learning_rate_init=0.001, **common).fit(X, y)
    return ours, theirs


@pytest.mark.parametrize("data", ["cancer", "iris"])
def test_shapes_and_names_match_mlpclassifier(data, request):
    X, y = request.getfixturevalue(data)
    ours, theirs = pair(X, y)
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert ours.n_layers_ == theirs.n_layers_ == 4
    assert ours.n_outputs_ == theirs.n_outputs_
    assert ours.out_activation_ == theirs.out_activation_ == ("logistic" if data == "cancer" else "softmax")
    assert ours.n_iter_ == theirs.n_iter_ == 30
    # t_: training samples seen, epochs x rows
    assert ours.t_ == theirs.t_ == 30 * X.shape[0]
    # best_loss_: the training loss's minimum; no validation score without early stopping
    assert ours.best_loss_ == min(ours.loss_curve_)
    assert theirs.best_loss_ == pytest.approx(min(theirs.loss_curve_))
    assert ours.best_validation_score_ is None and theirs.best_validation_score_ is None


def test_coefs_are_views_with_the_forward_pass_of_mlpclassifier(cancer):
    """coefs_[l] = W{l}.T: X @ coefs_ + intercepts_ is the same forward pass that
    MLPClassifier computes with its own coefs_ (the network copied into it)."""
    X, y = cancer
    ours, theirs = pair(X, y)
    for l, (W, b) in enumerate(zip(ours.coefs_, ours.intercepts_, strict=True), start=1):
        assert np.shares_memory(W, ours.network_.theta) and np.shares_memory(b, ours.network_.theta)
        np.testing.assert_array_equal(W, ours.network_.params[f"W{l}"].T)
        np.testing.assert_array_equal(b, ours.network_.params[f"b{l}"][:, 0])
    theirs.coefs_ = [W.copy() for W in ours.coefs_]
    theirs.intercepts_ = [b.copy() for b in ours.intercepts_]
    np.testing.assert_allclose(theirs.predict_proba(X), ours.predict_proba(X), rtol=1e-12, atol=1e-14)
    # a write into a view is a write into the network
    ours.intercepts_[-1][0] += 100.0
    assert (ours.predict(X) == ours.classes_[1]).all()


def test_early_stopping_attributes_have_mlpclassifiers_meaning(cancer):
    X, y = cancer
    ours, theirs = pair(X, y, early_stopping=True, validation_fraction=0.2)
    assert theirs.best_loss_ is None and ours.best_loss_ is None
    assert theirs.best_validation_score_ == max(theirs.validation_scores_)
    assert ours.best_validation_score_ == max(ours.validation_scores_)
    assert ours.best_validation_loss_ == min(ours.validation_loss_curve_)
    n_train = X.shape[0] - int(np.ceil(0.2 * X.shape[0]))
    assert ours.t_ == ours.n_iter_ * n_train
    assert theirs.t_ == theirs.n_iter_ * n_train


def test_n_iter_no_change_is_patience_and_tol_is_min_delta(cancer):
    X, y = cancer
    a = DNNClassifier(hidden_layer_sizes=(6,), early_stopping=True, patience=3, epochs=400, random_state=0).fit(X, y)
    b = DNNClassifier(
        hidden_layer_sizes=(6,), early_stopping=True, patience=50, n_iter_no_change=3, epochs=400, random_state=0
    ).fit(X, y)
    assert a.n_iter_ == b.n_iter_ < 400
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)
    # a larger tol ends the run sooner: fewer epochs count as an improvement
    c = DNNClassifier(
        hidden_layer_sizes=(6,), early_stopping=True, patience=3, tol=0.05, epochs=400, random_state=0
    ).fit(X, y)
    assert c.n_iter_ < a.n_iter_


def test_warm_start_continues_like_one_longer_run(cancer):
    X, y = cancer
    kw = {"hidden_layer_sizes": (6,), "batch_size": None, "optimizer": "gd", "learning_rate": 0.05, "random_state": 0}
    once = DNNClassifier(epochs=20, **kw).fit(X, y)
    warm = DNNClassifier(epochs=10, warm_start=True, **kw).fit(X, y)
    first = warm.network_
    warm.fit(X, y)
    assert warm.network_ is first
    np.testing.assert_allclose(warm.network_.theta, once.network_.theta, rtol=1e-12)
    assert warm.loss_curve_ == pytest.approx(once.loss_curve_, rel=1e-12)
    assert warm.n_iter_ == 20 and warm.t_ == once.t_ == 20 * X.shape[0]
    # without warm_start, a second fit starts anew
    cold = DNNClassifier(epochs=10, **kw).fit(X, y)
    before = cold.network_
    cold.fit(X, y)
    assert cold.network_ is not before and cold.n_iter_ == 10


def test_warm_start_refuses_other_classes_or_layers(cancer, iris):
    X, y = cancer
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=2, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"warm_start=True needs y to hold the classes of the previous fit \[0, 1\]"):
        est.fit(X, np.where(y == 1, 2, 0))
    assert est.n_iter_ == 2 and est.predict(X).shape == y.shape  # refused: the fitted model is kept
    with pytest.raises(ValueError, match="X has 29 features, but DNNClassifier is expecting 30"):
        est.fit(X[:, :29], y)
    est.set_params(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(5,\) differ from the fitted network \[30, 4, 1\]"):
        est.fit(X, y)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_new_attributes_survive_save_load_and_pickle(cancer, tmp_path, early_stopping):
    X, y = cancer
    est = DNNClassifier(
        hidden_layer_sizes=(5,), epochs=15, early_stopping=early_stopping, tol=1e-3, n_iter_no_change=4, random_state=0
    ).fit(X, y)
    est.save(tmp_path / "m.npz")
    for back in (
        DNNClassifier.load(tmp_path / "m.npz"),
        npdnn.load(tmp_path / "m.npz"),
        pickle.loads(pickle.dumps(est)),
    ):
        for name in ("t_", "best_loss_", "best_validation_score_", "best_validation_loss_", "n_layers_"):
            assert getattr(back, name) == getattr(est, name), name
        assert back.out_activation_ == est.out_activation_
        assert back.get_params() == est.get_params()
        for a, b in zip(back.coefs_ + back.intercepts_, est.coefs_ + est.intercepts_, strict=True):
            np.testing.assert_array_equal(a, b)


def test_summary_describes_the_fitted_estimator(cancer):
    X, y = cancer
    est = DNNClassifier(hidden_layer_sizes=(5,), epochs=3, random_state=0).fit(X, y)
    text = est.summary()
    assert repr(text) == str(text) == text
    lines = text.splitlines()
    assert lines[0] == "Network: 30 -> 5 -> 1, hidden relu, output sigmoid, float64"
    assert "classes  (2): 0, 1" in lines
    assert "features 30" in lines
    assert f"trained: 3 epochs, best training loss {est.best_loss_:.6g}" in lines
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        DNNClassifier().summary()
