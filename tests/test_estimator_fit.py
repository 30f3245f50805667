"""DNNClassifier.fit and partial_fit: what they hand the network (hidden sizes, init,
checkpoint, weights, diagnostics), standardization, the ONNX opset, load limits and the
messages about classes (scikit-learn conformance is test_estimator.py)."""

import numpy as np
import pytest

import npdnn


def _noisy(seed=19, m=60):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, 5)), rng.integers(0, 2, m)


def _fitted(**kw):
    from npdnn import DNNClassifier

    X, y = _noisy(m=30)
    kw = {"early_stopping": False, "l2": 0.0, **kw}  # the defaults before issue 25: 2 epochs on all 30 rows
    return DNNClassifier(hidden_layer_sizes=(3,), epochs=2, random_state=0, **kw).fit(X, y), X, y


def test_estimator_onnx_export_takes_the_opset():
    from npdnn.export.onnx import classifier_to_onnx

    est, _, _ = _fitted()
    onx = est.to_onnx(opset=15)
    assert onx.SerializeToString() == classifier_to_onnx(est, opset=15).SerializeToString()
    assert onx.SerializeToString() != est.to_onnx().SerializeToString()


def test_estimator_load_applies_max_parameters(tmp_path):
    from npdnn import DNNClassifier

    est, _, _ = _fitted()
    est.save(tmp_path / "e.npz")
    n = est.network_.theta.size
    with pytest.raises(npdnn.ModelFileError, match=rf"has {n} parameters, more than the limit {n - 1}"):
        DNNClassifier.load(tmp_path / "e.npz", max_parameters=n - 1)


def test_estimator_predicts_the_first_class_at_a_decision_value_of_zero():
    # scikit-learn's rule for binary classifiers: classes_[decision > 0]
    est, X, _ = _fitted()
    est.network_.theta[...] = 0.0
    assert (est.decision_function(X) == 0).all()
    assert (est.predict(X) == est.classes_[0]).all()


def test_estimator_network_takes_hidden_sizes_of_one_and_the_init():
    est, _, _ = _fitted(init="glorot")
    assert est.network_.layer_dims == [5, 3, 1] and est.network_.init == "glorot"
    from npdnn import DNNClassifier

    X, y = _noisy(m=30)
    assert DNNClassifier(hidden_layer_sizes=(1,), epochs=1, random_state=0).fit(X, y).network_.layer_dims == [5, 1, 1]
    with pytest.raises(
        ValueError, match=r"^hidden_layer_sizes must be a tuple of positive integers, e\.g\. \(64, 32\); got \(0,\)$"
    ):
        DNNClassifier(hidden_layer_sizes=(0,), epochs=1).fit(X, y)


@pytest.mark.filterwarnings("ignore::npdnn.TrainingWarning")  # one epoch: a one-class network is expected
def test_estimator_messages_for_classes():
    from npdnn import DNNClassifier

    X, y = _noisy(m=30)
    est = DNNClassifier(hidden_layer_sizes=(3,), epochs=1, random_state=0, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"\(set warm_start=False to train a new network\)$"):
        est.fit(X, np.where(y == 1, 2, 0))
    w = np.where(y == 1, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"; DNNClassifier needs at least two classes with positive weight to train$"):
        DNNClassifier(epochs=1).fit(X, y, sample_weight=w)
    stream = DNNClassifier(hidden_layer_sizes=(3,), random_state=0).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"; pass every label with classes= on the first partial_fit call$"):
        stream.partial_fit(X, np.where(y == 1, 2, 0))


def test_estimator_fit_passes_the_checkpoint_and_starts_afresh_by_default(tmp_path):
    from npdnn import DNNClassifier

    X, y = _noisy(m=30)
    path = tmp_path / "e.npz"
    DNNClassifier(hidden_layer_sizes=(3,), epochs=2, early_stopping=False, l2=0.0, random_state=0).fit(
        X, y, checkpoint=path
    )
    assert path.exists()
    again = DNNClassifier(hidden_layer_sizes=(3,), epochs=3, random_state=0).fit(X + 1.0, y, checkpoint=path)
    assert len(again.loss_curve_) == 3  # another run's checkpoint is overwritten, not resumed


def test_estimator_standardization_gives_a_constant_feature_scale_1():
    from npdnn import DNNClassifier

    X, y = _noisy(m=10)
    X[:, 2] = 0.1  # ten 0.1s: their float mean is not exactly 0.1, so the computed spread is not 0
    est = DNNClassifier(hidden_layer_sizes=(3,), epochs=1, random_state=0, standardize=True).fit(X, y)
    assert est.scale_[2] == 1.0


@pytest.mark.filterwarnings("ignore::npdnn.TrainingWarning")
def test_estimator_fit_hands_its_diagnostics_the_window_and_the_weighting(monkeypatch):
    from npdnn import DNNClassifier
    from npdnn.sklearn import estimator

    seen = []

    class Spy(estimator.FitDiagnostics):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            seen.append((self.window, self.tol, self.weighted, self.convergence_category))

    monkeypatch.setattr(estimator, "FitDiagnostics", Spy)
    X, y = _noisy(m=30)
    DNNClassifier(hidden_layer_sizes=(3,), epochs=1, n_iter_no_change=3, tol=1e-3).fit(X, y)
    DNNClassifier(hidden_layer_sizes=(3,), epochs=1, n_iter_no_change=4).fit(X, y, sample_weight=np.ones(30))
    DNNClassifier(hidden_layer_sizes=(3,), epochs=1, class_weight="balanced").fit(X, y)
    category = estimator._SklearnConvergenceWarning
    assert seen == [(3, 1e-3, False, category), (4, 1e-4, True, category), (10, 1e-4, True, category)]


def test_partial_fit_standardizes_keeps_the_dtype_and_counts_samples():
    from npdnn import DNNClassifier

    X, y = _noisy(m=20)
    w = np.linspace(0.5, 2.0, 20)
    est = DNNClassifier(hidden_layer_sizes=(3,), random_state=0, standardize=True)
    est.partial_fit(X.astype(np.float32), y, classes=[0, 1], sample_weight=w)
    np.testing.assert_allclose(est.mean_, np.average(X, axis=0, weights=w), rtol=1e-5)
    assert est.network_.dtype == np.float32 and est.t_ == 20
    est.partial_fit(X[:7].astype(np.float32), y[:7])
    assert est.t_ == 27 and len(est.loss_curve_) == 2
    raw = DNNClassifier(hidden_layer_sizes=(3,), random_state=0, standardize=False).partial_fit(X, y, classes=[0, 1])
    assert raw.mean_ is None and raw.scale_ is None


def test_partial_fit_uses_the_sample_and_class_weights():
    from npdnn import DNNClassifier

    X, y = _noisy(m=20)
    kw = dict(
        hidden_layer_sizes=(3,),
        random_state=0,
        optimizer="gd",
        learning_rate=1e-300,
        early_stopping=False,
        l2=0.0,
        standardize=False,  # the network's cost is of the rows as given
    )
    w = np.linspace(0.5, 2.0, 20)
    weighted = DNNClassifier(**kw).partial_fit(X, y, classes=[0, 1], sample_weight=w)
    plain = DNNClassifier(**kw).partial_fit(X, y, classes=[0, 1])
    expected = plain.network_.cost(X, y, sample_weight=w)  # the same parameters: lr ~ 0
    assert weighted.loss_curve_[0] == pytest.approx(expected, rel=1e-12)
    balanced = DNNClassifier(class_weight={0: 3.0, 1: 1.0}, **kw).partial_fit(X, y, classes=[0, 1])
    assert balanced.loss_curve_[0] == pytest.approx(
        plain.network_.cost(X, y, sample_weight=np.where(y == 0, 3.0, 1.0)), rel=1e-12
    )


def test_partial_fit_on_a_table_learns_its_column_plan_once():
    """A stream of DataFrames with a text column: the first call learns the column plan, later
    calls apply it (an unseen category is all zeros), and the model predicts the table."""
    import pandas as pd

    from npdnn import DNNClassifier

    rng = np.random.default_rng(4)
    m = 120
    frame = pd.DataFrame({"x": rng.standard_normal(m), "color": rng.choice(["red", "green", "blue"], m)})
    y = ((frame["x"] > 0) ^ (frame["color"] == "red")).astype(int).to_numpy()
    est = DNNClassifier(hidden_layer_sizes=(8,), batch_size=16, random_state=0)
    est.partial_fit(frame[:60], y[:60], classes=[0, 1])
    plan = est.columns_
    assert plan is not None and est.network_.layer_dims[0] == 4  # x and one column per color
    # a stream's options: l2 0.1 whatever a call's size (a small fit would take 1.0), no early stopping
    assert (est.batch_size_, est.l2_, est.early_stopping_) == (16, 0.1, False)
    later = frame[60:].copy()
    later["color"] = later["color"].replace("blue", "green")  # a plan learned here would have 3 inputs
    later.loc[later.index[0], "color"] = "purple"  # not in the first call
    est.partial_fit(later, y[60:])
    assert est.columns_ is plan and est.network_.layer_dims[0] == 4
    assert len(est.loss_curve_) == 2 and est.t_ == m
    proba = est.predict_proba(frame)
    assert proba.shape == (m, 2) and np.isfinite(proba).all()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_training_accuracy_is_the_models_accuracy_on_its_rows(n_classes):
    """TrainingAccuracy's last value is the fitted model's accuracy on the evenly spaced
    training rows it reads (all rows here: no validation split), and on those rows only."""
    from npdnn import DNNClassifier
    from npdnn.callbacks import TrainingAccuracy

    rng = np.random.default_rng(7)
    X = rng.standard_normal((90, 4))
    y = np.digitize(X[:, 0] + 0.8 * rng.standard_normal(90), [-0.5, 0.5][: n_classes - 1])
    kw = dict(hidden_layer_sizes=(5,), epochs=30, learning_rate=0.05, l2=0.0, early_stopping=False, random_state=0)
    every = DNNClassifier(**kw).fit(X, y, callbacks=[TrainingAccuracy()])
    assert len(every.training_scores_) == 30
    assert every.training_scores_[-1] == np.mean(every.predict(X) == y)
    assert 1 / n_classes < every.training_scores_[-1] < 1  # neither chance nor a trivial perfect score
    some = DNNClassifier(**kw).fit(X, y, callbacks=[TrainingAccuracy(rows=11)])
    rows = np.linspace(0, 89, 11).astype(np.intp)
    assert some.training_scores_[-1] == np.mean(some.predict(X[rows]) == y[rows])
