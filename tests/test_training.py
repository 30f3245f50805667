"""Training behaviour: gradient checks, dropout, early stopping, divergence, dtypes,
schedules, callbacks, class weights, argument checks, and an end-to-end comparison."""

import math
import warnings

import numpy as np
import pytest

import npdnn
from npdnn.nn.layers import Dropout
from npdnn.train.schedules import Cosine, ExponentialDecay, InverseTime, ReduceOnPlateau, StepDecay

from conftest import make_data


# ---------------------------------------------------------------- gradient checks
def test_gradcheck_with_l2():
    X, y = make_data(20, 4, seed=1)
    net = npdnn.Network([4, 5, 3, 1], hidden_activation="tanh", seed=1)
    assert npdnn.gradcheck(net, X, y, l2=0.5)["total"] < 1e-7


def test_gradcheck_with_sample_weight():
    X, y = make_data(20, 4, seed=2)
    w = np.random.default_rng(2).uniform(0.1, 3.0, size=20)
    net = npdnn.Network([4, 5, 3, 1], hidden_activation="tanh", seed=2)
    result = npdnn.gradcheck(net, X, y, l2=0.2, sample_weight=w)
    assert result["total"] < 1e-7


def test_gradcheck_with_frozen_dropout_mask():
    X, y = make_data(20, 4, seed=3)
    net = npdnn.Network([4, 6, 5, 1], hidden_activation="tanh", seed=3)
    net.set_dropout(0.3)
    assert npdnn.gradcheck(net, X, y)["total"] < 1e-7


# ---------------------------------------------------------------- dropout
@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_inverted_dropout_keeps_expected_activation(rate):
    layer = Dropout(after=1, rate=rate, rng=np.random.default_rng(0))
    A = np.ones((200, 1000))
    out = layer.forward(A, training=True)
    assert abs(out.mean() - 1.0) < 0.01
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1.0 / (1.0 - rate))
    assert abs((out == 0).mean() - rate) < 0.01
    np.testing.assert_array_equal(layer.forward(A, training=False), A)


def test_no_unit_dropped_at_prediction():
    X, y = make_data(30, 4, seed=4)
    net = npdnn.Network([4, 8, 8, 1], seed=4)
    before = net.predict_proba(X)
    net.set_dropout(0.5)
    np.testing.assert_array_equal(net.predict_proba(X), before)


def test_same_seed_gives_same_dropout_masks():
    A = np.ones((10, 50))
    a = Dropout(after=1, rate=0.4, rng=np.random.default_rng(7)).forward(A, training=True)
    b = Dropout(after=1, rate=0.4, rng=np.random.default_rng(7)).forward(A, training=True)
    c = Dropout(after=1, rate=0.4, rng=np.random.default_rng(8)).forward(A, training=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_training_with_dropout_is_reproducible_with_seed():
    X, y = make_data(40, 4, seed=5)
    thetas = []
    for seed in (1, 1, 2):
        net = npdnn.Network([4, 8, 1], seed=0)
        net.fit(X, y, optimizer="adam", learning_rate=0.01, epochs=5, batch_size=10, dropout=0.3, seed=seed)
        thetas.append(net.theta.copy())
    np.testing.assert_array_equal(thetas[0], thetas[1])
    assert not np.array_equal(thetas[0], thetas[2])


# ---------------------------------------------------------------- early stopping
def test_early_stopping_restores_best_parameters():
    X, y = make_data(30, 10, seed=6)
    X_val, y_val = make_data(200, 10, seed=60)
    net = npdnn.Network([10, 64, 64, 1], seed=6)
    history = net.fit(
        X,
        y,
        optimizer="adam",
        learning_rate=0.01,
        epochs=300,
        validation_data=(X_val, y_val),
        early_stopping=True,
        patience=15,
    )
    n = len(history["val_loss"])
    assert n < 300  # it overfits, so validation loss stops improving
    best = int(np.argmin(history["val_loss"]))
    assert history["best_epoch"] == best
    assert n == best + 1 + 15
    assert abs(net.cost(X_val, y_val) - min(history["val_loss"])) < 1e-12


# ---------------------------------------------------------------- divergence
def test_huge_learning_rate_raises_divergence_error():
    X, y = make_data(40, 4, seed=7)
    net = npdnn.Network([4, 8, 1], seed=7)
    with pytest.raises(npdnn.DivergenceError, match="diverged") as info:
        net.fit(X, y, optimizer="gd", learning_rate=1e6, epochs=50)
    assert "lower learning rate" in str(info.value)
    assert np.isfinite(net.theta).all()


# ---------------------------------------------------------------- dtypes
def test_float32_training_stays_float32():
    X, y = make_data(40, 4, seed=8)
    net = npdnn.Network([4, 8, 1], seed=8, dtype=np.float32)
    net.fit(X, y, optimizer="adam", learning_rate=0.01, epochs=5, batch_size=16, l2=0.1, dropout=0.2)
    assert net.theta.dtype == np.float32
    assert net.grad.dtype == np.float32
    assert all(v.dtype == np.float32 for v in net.params.values())
    assert net.predict_proba(X).dtype == np.float32


# ---------------------------------------------------------------- schedules
@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (StepDecay(step_size=3, gamma=0.5), lambda e, n: 0.1 * 0.5 ** (e // 3)),
        (ExponentialDecay(gamma=0.9), lambda e, n: 0.1 * 0.9**e),
        (InverseTime(decay=0.5), lambda e, n: 0.1 / (1 + 0.5 * e)),
        (Cosine(min_rate=0.01), lambda e, n: 0.01 + 0.09 * (1 + math.cos(math.pi * e / n)) / 2),
    ],
)
def test_schedules_give_expected_rates(schedule, expected):
    X, y = make_data(30, 4, seed=9)
    net = npdnn.Network([4, 5, 1], seed=9)
    history = net.fit(X, y, optimizer="gd", learning_rate=0.1, epochs=10, lr_schedule=schedule)
    np.testing.assert_allclose(history["lr"], [expected(e, 10) for e in range(10)], rtol=1e-12)


def test_reduce_on_plateau_halves_rate_after_patience():
    X, y = make_data(30, 4, seed=10)
    net = npdnn.Network([4, 5, 1], seed=10)
    # an absurd min_delta means no epoch ever counts as an improvement after the first
    schedule = ReduceOnPlateau(factor=0.5, patience=2, min_delta=1e9)
    history = net.fit(X, y, optimizer="gd", learning_rate=0.1, epochs=7, lr_schedule=schedule)
    # epoch 0 improves on inf; epochs 1, 2 wait -> halve; 3, 4 -> halve; 5, 6 -> halve (after the last)
    np.testing.assert_allclose(history["lr"], [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rtol=1e-12)


def test_schedule_by_name():
    X, y = make_data(30, 4, seed=10)
    net = npdnn.Network([4, 5, 1], seed=10)
    history = net.fit(X, y, optimizer="gd", learning_rate=0.1, epochs=12, lr_schedule="step")
    np.testing.assert_allclose(history["lr"], [0.1] * 10 + [0.05] * 2, rtol=1e-12)


# ---------------------------------------------------------------- callbacks
class StopAt:
    def __init__(self, epoch):
        self.epoch = epoch
        self.seen = []
        self.began = self.ended = False

    def on_train_begin(self, net):
        self.began = True

    def on_epoch_end(self, epoch, logs):
        self.seen.append((epoch, dict(logs)))
        return epoch == self.epoch

    def on_train_end(self, net, history):
        self.ended = True


def test_callback_returning_true_stops_training():
    X, y = make_data(30, 4, seed=11)
    net = npdnn.Network([4, 5, 1], seed=11)
    cb = StopAt(3)
    history = net.fit(X, y, optimizer="gd", learning_rate=0.1, epochs=20, callbacks=[cb])
    assert len(history["loss"]) == 4
    assert [e for e, _ in cb.seen] == [0, 1, 2, 3]
    assert cb.began and cb.ended
    assert [logs["loss"] for _, logs in cb.seen] == history["loss"]


# ---------------------------------------------------------------- class weights
def test_balanced_class_weight_equals_explicit_sample_weight():
    X, y = make_data(50, 4, seed=12)
    y[:35] = 0  # imbalanced
    y[0], y[1] = 0, 1
    counts = np.bincount(y, minlength=2)
    w = (len(y) / (2 * counts))[y]
    histories, thetas = [], []
    for kwargs in ({"class_weight": "balanced"}, {"sample_weight": w}):
        net = npdnn.Network([4, 6, 1], seed=12)
        histories.append(
            net.fit(X, y, optimizer="adam", learning_rate=0.01, epochs=10, batch_size=16, seed=3, **kwargs)
        )
        thetas.append(net.theta.copy())
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-12)
    np.testing.assert_allclose(thetas[0], thetas[1], rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "adamw"}, "unknown optimizer"),
        ({"optimizer": "gd", "learning_rate": -0.1}, "learning_rate must be"),
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\)"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"l2": -1.0}, "l2 must be a number >= 0"),
        ({"lr_schedule": "warmup"}, "unknown lr_schedule"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    X, y = make_data(20, 4, seed=13)
    net = npdnn.Network([4, 5, 1], seed=13)
    before = net.theta.copy()
    kwargs = dict(kwargs)  # the parametrized dict is shared: popping from it broke a second run
    with pytest.raises(ValueError, match=match):
        net.fit(X, y, epochs=kwargs.pop("epochs", 3), **kwargs)
    np.testing.assert_array_equal(net.theta, before)


# ---------------------------------------------------------------- end to end
@pytest.mark.slow
def test_breast_cancer_matches_sklearn_mlp():
    from sklearn.datasets import load_breast_cancer
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    net = npdnn.Network([30, 32, 16, 1], seed=0)
    net.fit(X_train, y_train, optimizer="adam", learning_rate=0.001, epochs=100, batch_size=32)
    ours = float(np.mean(net.predict(X_test) == y_test))

    mlp = MLPClassifier(
        hidden_layer_sizes=(32, 16),
        solver="adam",
        learning_rate_init=0.001,
        max_iter=100,
        batch_size=32,
        random_state=0,
        tol=0,
        n_iter_no_change=1000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_train, y_train)
    theirs = float(mlp.score(X_test, y_test))
    assert ours >= theirs - 0.01
    assert ours > 0.9


def test_parameters_whose_forward_pass_overflows_raise_divergence():
    # Each batch's cost was finite, yet the last update left weights (~1e16) whose forward pass on
    # the 1e6-scaled training data overflows float32: caught at the end of the epoch.
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 2)) * 1e6, rng.integers(0, 2, 6)
    net = npdnn.Network([2, 2, 1], seed=0, dtype=np.float32)
    with pytest.raises(npdnn.DivergenceError, match="overflows float32 on the training data"):
        net.fit(X, y, optimizer="gd", epochs=5, seed=0)
    assert np.isfinite(net.predict_proba(X)).all()  # kept parameters: no overflow warning (warnings are errors)


@pytest.mark.parametrize("K", [1, 3])
def test_whole_epoch_gather_is_bit_identical_to_per_batch_gather(K, monkeypatch):
    # Small X is shuffled once per epoch into a copy and cut into consecutive batches;
    # large X is gathered batch by batch. Same rows, same order, same memory layout:
    # parameters and history must agree bit for bit (weights, dropout, partial last batch).
    from npdnn.train import batching

    rng = np.random.default_rng(3)
    X = rng.standard_normal((101, 4)).astype(np.float32)
    y = rng.integers(0, max(K, 2), 101)
    w = rng.uniform(0.1, 2.0, 101)
    results = []
    for limit in (1 << 30, 0):
        monkeypatch.setattr(batching, "WHOLE_EPOCH_GATHER_BYTES", limit)
        net = npdnn.Network([4, 6, 5, K], seed=3, dtype=np.float32)
        history = net.fit(X, y, optimizer="adam", epochs=4, batch_size=16, seed=9, dropout=0.2, sample_weight=w, l2=0.1)
        results.append((net.theta.copy(), history["loss"]))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1] == results[1][1]


def _noisy(seed=19, m=60):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, 5)), rng.integers(0, 2, m)


def test_training_applies_dropout():
    X, y = _noisy()
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=2, seed=0)
    plain, dropped = npdnn.Network([5, 8, 1], seed=0), npdnn.Network([5, 8, 1], seed=0)
    plain.fit(X, y, **kw)
    dropped.fit(X, y, dropout=0.5, **kw)
    assert not np.array_equal(plain.theta, dropped.theta)


def test_history_holds_exactly_the_logged_keys():
    X, y = _noisy(m=12)
    assert list(npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1)) == ["loss", "lr"]
    with_val = npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, validation_fraction=0.25)
    assert list(with_val) == ["loss", "lr", "val_loss", "val_accuracy"]


def test_the_epoch_log_counts_against_the_epochs_asked_for(capsys):
    X, y = _noisy(m=12)
    npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=2, verbose=2)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err


def test_fit_defaults_train_100_epochs_quietly_and_warn_when_still_improving(capsys):
    X, y = _noisy(m=12)
    with pytest.warns(npdnn.ConvergenceWarning):
        history = npdnn.Network([5, 2, 1], seed=0).fit(X, y, learning_rate=0.05)
    assert len(history["loss"]) == 100
    assert capsys.readouterr().err == ""


def test_class_weight_multiplies_the_sample_weight():
    X, y = _noisy(m=10)
    w = np.linspace(0.5, 1.5, 10)
    cw = {0: 2.0, 1: 0.5}
    net = npdnn.Network([5, 3, 1], seed=0)
    expected = net.cost(X, y, sample_weight=w * np.where(y == 0, 2.0, 0.5))
    history = net.fit(X, y, sample_weight=w, class_weight=cw, learning_rate=1e-300, epochs=1, diagnostics=False)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_weights_that_sum_to_zero_are_refused_and_small_ones_are_not():
    X, y = np.random.default_rng(21).standard_normal((4, 3)), np.array([0, 0, 1, 1])
    net = npdnn.Network([3, 1], seed=0)
    with pytest.raises(ValueError, match=r"^class_weight and sample_weight together give every sample weight zero$"):
        net.fit(X, y, sample_weight=[0.0, 0.0, 1.0, 1.0], class_weight={0: 1.0, 1: 0.0}, epochs=1)
    net.fit(X, y, sample_weight=[0.1, 0.1, 0.1, 0.1], class_weight={0: 1.0, 1: 1.0}, epochs=1, diagnostics=False)
    X8, y8 = np.random.default_rng(22).standard_normal((8, 3)), np.arange(8) % 2
    val_only = np.zeros(8)
    val_only[np.sort(np.random.default_rng(4).permutation(8)[:2])] = 1.0  # the two rows the split holds out
    with pytest.raises(ValueError, match=r"^every training sample has weight zero$"):
        net.fit(X8, y8, sample_weight=val_only, validation_fraction=0.25, seed=4, epochs=1)
    net.fit(X8, y8, sample_weight=np.full(8, 0.05), validation_fraction=0.25, seed=4, epochs=1, diagnostics=False)


@pytest.mark.filterwarnings("ignore::npdnn.TrainingWarning")  # one epoch: whatever the diagnostics conclude
def test_fit_hands_the_diagnostics_the_patience_and_the_weighting(monkeypatch):
    from npdnn.train import loop as training

    seen = []

    class Spy(training.FitDiagnostics):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            seen.append((self.window, self.weighted))

    monkeypatch.setattr(training, "FitDiagnostics", Spy)
    X, y = _noisy(m=12)
    npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, patience=3)
    npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, patience=4, sample_weight=np.ones(12))
    assert seen == [(3, False), (4, True)]
