"""The warnings that catch silent failures (npdnn.train.diagnostics): each one triggered by
the failure it names, through the function, through Network.fit and through
DNNClassifier, and silent on a healthy run."""

import contextlib
import warnings

import numpy as np
import pytest
import sklearn.exceptions
from sklearn.datasets import load_breast_cancer

import npdnn
from npdnn import DNNClassifier
from npdnn.train.diagnostics import (
    FitDiagnostics,
    check_convergence,
    check_one_class,
    check_output_width,
    last_improvement,
    still_falling,
)

from conftest import make_data


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X, y, (X - X.mean(axis=0)) / X.std(axis=0)


@contextlib.contextmanager
def no_warnings(category):
    """A context in which ``category`` raises: a healthy run must not emit it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", category)
        yield


# ------------------------------------------------------------------ the convergence test itself
def test_still_falling_follows_mlpclassifiers_rule():
    # an improvement counts when it beats the best so far by more than tol
    assert last_improvement([1.0, 0.5, 0.4999, 0.3], tol=1e-3) == (3, pytest.approx(0.1999))
    assert still_falling([1.0, 0.9], tol=1e-4, window=10)
    assert not still_falling([1.0, 1.0, 1.0], tol=1e-4, window=10)
    # a slow drift (each epoch below the best, none by tol) has converged, as MLPClassifier sees it
    drift = [1.0 - 1e-5 * i for i in range(100)]
    assert not still_falling(drift, tol=1e-4, window=10)
    # the last real improvement 11 epochs back is outside a window of 10, inside one of 11
    curve = [1.0, 0.5] + [0.5] * 10
    assert last_improvement(curve)[0] == 1
    assert not still_falling(curve, window=10) and still_falling(curve, window=11)
    # a rise is not an improvement
    assert not still_falling([0.5, 0.6, 0.7], window=10)


def test_check_convergence_only_when_the_epoch_limit_was_reached():
    falling = {"loss": [1.0, 0.8, 0.6]}
    with pytest.warns(npdnn.ConvergenceWarning, match=r"epoch limit while the training loss") as record:
        assert check_convergence(falling, epochs=3)
    # the run's numbers are attributes, not text (a text that changed per run would defeat the filters)
    (w,) = [r.message for r in record]
    assert (w.epochs, w.epoch, w.tol) == (3, 3, 1e-4) and w.drop == pytest.approx(0.2)
    with no_warnings(npdnn.ConvergenceWarning):
        assert not check_convergence(falling, epochs=10)  # early stopping ended it: converged by its rule
        assert not check_convergence({"loss": [1.0, 1.0, 1.0]}, epochs=3)
    # with validation, the validation loss is the one watched (it is what early stopping watches)
    with no_warnings(npdnn.ConvergenceWarning):
        assert not check_convergence({"loss": [1.0, 0.8, 0.6], "val_loss": [0.5, 0.5, 0.5]}, epochs=3)
    with pytest.warns(npdnn.ConvergenceWarning, match="validation loss"):
        check_convergence({"loss": [1.0, 1.0, 1.0], "val_loss": [0.9, 0.7, 0.5]}, epochs=3)


# ------------------------------------------------------------------ through Network.fit and the estimator
def test_short_run_warns_through_network_fit_and_estimator(cancer):
    _, y, Xs = cancer
    with pytest.warns(npdnn.ConvergenceWarning, match="epoch limit"):
        npdnn.Network([30, 8, 1], seed=0).fit(Xs, y, optimizer="adam", epochs=2)
    with pytest.warns(npdnn.ConvergenceWarning, match=r"epoch limit while the validation loss") as record:
        DNNClassifier(epochs=2, early_stopping=True, random_state=0).fit(Xs, y)  # 569 rows: "auto" is off
    assert [r.message.epochs for r in record] == [2]


def test_estimator_warning_is_sklearns_convergence_warning_too(cancer):
    _, y, Xs = cancer
    est = DNNClassifier(epochs=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(Xs, y)
    (w,) = [w for w in caught if issubclass(w.category, npdnn.ConvergenceWarning)]
    assert issubclass(w.category, sklearn.exceptions.ConvergenceWarning)
    # a scikit-learn user's filter silences it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=sklearn.exceptions.ConvergenceWarning)
        est.fit(Xs, y)


def test_converged_runs_do_not_warn(cancer):
    _, y, Xs = cancer
    # Healthy and converged: standardized features, an L2 penalty that gives the loss a floor
    # (without it the training loss keeps creeping down, and the warning is right to fire).
    with no_warnings(UserWarning):
        est = DNNClassifier(hidden_layer_sizes=(8,), learning_rate=0.01, l2=1.0, epochs=150, random_state=0)
        assert est.fit(Xs, y).score(Xs, y) > 0.97
        est = DNNClassifier(hidden_layer_sizes=(8,), early_stopping=True, epochs=500, random_state=0).fit(Xs, y)
        assert est.n_iter_ < 500
        npdnn.Network([30, 8, 1], seed=0).fit(Xs, y, optimizer="adam", learning_rate=0.01, l2=1.0, epochs=300)


@pytest.mark.filterwarnings("ignore::npdnn.ConvergenceWarning")
def test_gradient_descent_on_unscaled_features_warns_one_class(cancer):
    """The README's first run on raw features: every row gets the majority class."""
    X, y, _ = cancer
    net = npdnn.Network([30, 20, 7, 5, 1], seed=0)
    with pytest.warns(npdnn.TrainingWarning, match=r"predicts the same class for every training row.*standardize") as r:
        net.fit(X, y, learning_rate=0.0075, epochs=50)
    (w,) = [w.message for w in r if issubclass(w.category, npdnn.TrainingWarning)]
    assert (w.predicted_class, w.rows, round(w.share, 3)) == (1, 569, 0.627)
    assert np.unique(net.predict(X)).tolist() == [1]
    with pytest.warns(npdnn.TrainingWarning, match="predicts the same class"):
        DNNClassifier(  # the defaults before issue 25, but gradient descent
            hidden_layer_sizes=(64, 32), l2=0.0, optimizer="gd", learning_rate=0.0075, epochs=20,
            early_stopping=False, standardize=False, random_state=0,
        ).fit(X, y)  # fmt: skip


def test_one_class_function_directly():
    X, y = make_data(40, 3)
    net = npdnn.Network([3, 1], seed=0)
    net.params["W1"] = np.zeros((1, 3))
    net.params["b1"] = np.array([[5.0]])  # every row: class 1
    with pytest.warns(npdnn.TrainingWarning, match="predicts the same class for every training row") as record:
        assert check_one_class(net, X, y)
    assert (record[0].message.predicted_class, record[0].message.rows) == (1, 40)
    net.params["W1"] = np.array([[10.0, 0.0, 0.0]])  # y follows X[:, 0]: both classes predicted
    net.params["b1"] = np.zeros((1, 1))
    with no_warnings(npdnn.TrainingWarning):
        assert not check_one_class(net, X, y)
        assert not check_one_class(net, X, np.ones(40, dtype=int))  # one class in the labels: nothing to miss


@pytest.mark.filterwarnings("ignore::npdnn.ConvergenceWarning")
def test_softmax_too_wide_for_binary_labels(cancer):
    _, y, Xs = cancer
    with pytest.warns(
        npdnn.TrainingWarning, match=r"7 units .* only 2 distinct values \[0, 1\].*Network\(\[30, 20, 1\]\)"
    ):
        npdnn.Network([30, 20, 7], seed=0).fit(Xs, y, optimizer="adam", epochs=100)
    net = npdnn.Network([30, 20, 3], seed=0)
    with no_warnings(npdnn.TrainingWarning):
        assert not check_output_width(net, np.arange(30) % 3)
        assert not check_output_width(npdnn.Network([30, 1], seed=0), y)
        assert not check_output_width(npdnn.Network([30, 2], seed=0), y)
    with pytest.warns(npdnn.TrainingWarning, match="only 2 distinct values"):
        assert check_output_width(net, y)


def test_fit_diagnostics_gives_one_warning_per_run(cancer):
    X, y, _ = cancer
    # unfinished (loss still falling) and one class so far: told to train longer, and what it predicts
    check = FitDiagnostics(X, y, epochs=3)
    with pytest.warns(npdnn.ConvergenceWarning, match="so far it predicts one class for every training row") as record:
        npdnn.Network([30, 5, 1], seed=0).fit(X, y, epochs=3, callbacks=[check])
    assert check.warned == ["convergence"]
    assert not any(issubclass(r.category, npdnn.TrainingWarning) for r in record)
    assert check.X is None and check.labels is None  # the training data is not kept alive
    # finished at the prior: the one-class warning
    check = FitDiagnostics(X, y, epochs=200)
    with pytest.warns(npdnn.TrainingWarning, match="learned only the class prior"):
        npdnn.Network([30, 5, 1], seed=0).fit(X, y, epochs=200, callbacks=[check])
    assert check.warned == ["one_class"]
    # with class weights one class may be the right answer: no warning
    check = FitDiagnostics(X, y, epochs=200, weighted=True)
    with no_warnings(npdnn.TrainingWarning):
        npdnn.Network([30, 5, 1], seed=0).fit(X, y, epochs=200, class_weight={0: 1.0, 1: 1e-3}, callbacks=[check])
    assert check.warned == []


def _one_class_net():
    """A [3, 1] network that predicts class 1 for every row (no weights, a large bias)."""
    net = npdnn.Network([3, 1], seed=0)
    net.params["W1"] = np.zeros((1, 3))
    net.params["b1"] = np.array([[5.0]])
    return net


def test_one_class_is_left_alone_when_the_loss_beats_the_prior():
    X, y = make_data(40, 3)
    net = _one_class_net()
    prior = npdnn.train.diagnostics.prior_loss(y)
    p = y.mean()
    assert prior == pytest.approx(-(p * np.log(p) + (1 - p) * np.log(1 - p)))
    with no_warnings(npdnn.TrainingWarning):
        assert not check_one_class(net, X, y, loss=prior - 0.01)
    with pytest.warns(npdnn.TrainingWarning):
        assert check_one_class(net, X, y, loss=prior)


def test_transpose_hint_names_the_fix(cancer):
    X, y, _ = cancer
    net = npdnn.Network([30, 4, 1], seed=0)
    with pytest.raises(ValueError, match=r"X looks transposed: shape \(30, 569\).*pass X\.T"):
        net.fit(X.T, y)
    with pytest.raises(ValueError, match=r"X looks transposed"):
        net.predict(X[:5].T)
    # a wrong width that is not a transpose gets no such hint
    with pytest.raises(ValueError, match=r"has 29 features") as info:
        net.predict(X[:, :29])
    assert "transposed" not in str(info.value)


def test_the_scale_of_x_is_looked_at_only_for_a_warning(monkeypatch):
    """looks_scaled reads 4096 rows of X (70 ms in float64 on benchmark C's 1,024 columns, 5% of a
    one-epoch fit): a run that gives no advice must not pay for it, one that does must still look."""
    import npdnn.train.diagnostics as diagnostics

    looked = []
    real = diagnostics.looks_scaled
    monkeypatch.setattr(diagnostics, "looks_scaled", lambda X, *a, **k: looked.append(X.shape) or real(X, *a, **k))
    X, y = make_data(200, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning from a run that converges
        npdnn.Network([3, 4, 1], seed=0).fit(X, y, optimizer="adam", learning_rate=0.05, epochs=200, batch_size=32)
    assert looked == []
    with pytest.warns(npdnn.ConvergenceWarning, match="standardize the features"):
        npdnn.Network([3, 4, 1], seed=0).fit(X * 1e3 + 5e3, y, epochs=2)
    assert looked == [(200, 3)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_looks_scaled_in_the_features_own_float_type(dtype):
    from npdnn.train.diagnostics import looks_scaled

    X, _ = make_data(300, 4, dtype=dtype)
    assert looks_scaled(X)
    assert not looks_scaled(X * 50)  # std 50
    assert not looks_scaled(X + 20)  # mean 20
    huge = X.copy()
    huge[0, 1] = np.finfo(dtype).max / 4  # the float32 std overflows to inf: not scaled, no error
    assert not looks_scaled(huge)
    assert looks_scaled((X > 0).astype(np.int8))  # integers (one-hot codes) are read as float64
    assert not looks_scaled(np.arange(600, dtype=np.int64).reshape(300, 2))


def test_one_class_with_a_validation_loss_no_better_than_the_prior_says_the_features_may_not_predict():
    X, y = make_data(40, 3)
    net = _one_class_net()
    prior = npdnn.train.diagnostics.prior_loss(y)
    with pytest.warns(npdnn.TrainingWarning) as record:
        assert check_one_class(net, X, y, loss=prior, scaled=True, val_loss=prior)
    text = str(record[0].message)
    assert "the features may not predict the label" in text and "learning rate" not in text
    with pytest.warns(npdnn.TrainingWarning) as record:  # the held-out rows did better: train harder
        assert check_one_class(net, X, y, loss=prior, scaled=True, val_loss=prior - 0.05)
    assert "higher learning rate" in str(record[0].message)


def test_labels_the_features_do_not_predict_are_told_so():
    """Early stopping on labels drawn at random: the network ends at the prior, and the warning says the
    features may not predict the label, instead of advising a higher learning rate (the advice before)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5000, 3)), rng.random(5000) < 0.15
    with pytest.warns(npdnn.TrainingWarning) as record:
        DNNClassifier(random_state=0).fit(X, y)
    (text,) = [str(w.message) for w in record if issubclass(w.category, npdnn.TrainingWarning)]
    assert text.startswith("the trained network predicts the same class for every training row")
    assert "the features may not predict the label" in text and "learning rate" not in text
