"""Property tests (hypothesis) over architectures, batch sizes, dtypes and data
shapes: training raises DivergenceError or leaves every parameter finite,
probabilities lie in [0, 1] with the right shape and dtype, predictions are
valid labels, and save/load round trips exactly."""

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import npdnn
from npdnn import DivergenceError, Network

# Random labels and features at any scale: a network that predicts one class for every
# row is a legitimate outcome here, so npdnn's TrainingWarning about it is expected.
pytestmark = pytest.mark.filterwarnings("ignore::npdnn.TrainingWarning")

setup = st.fixed_dictionaries(
    {
        "hidden": st.lists(st.integers(1, 6), min_size=0, max_size=3),
        "activation": st.sampled_from(["relu", "tanh", "sigmoid"]),
        "dtype": st.sampled_from([np.float32, np.float64]),
        "m": st.integers(1, 40),
        "n": st.integers(1, 5),
        "batch_size": st.one_of(st.none(), st.integers(1, 50)),
        "optimizer": st.sampled_from(["gd", "momentum", "rmsprop", "adam"]),
        "learning_rate": st.sampled_from([None, 1e-3, 0.1, 10.0, 1e8]),
        "scale": st.sampled_from([1e-3, 1.0, 1e3, 1e6]),
        "seed": st.integers(0, 2**16),
    }
)


def _problem(s):
    rng = np.random.default_rng(s["seed"])
    X = rng.standard_normal((s["m"], s["n"])) * s["scale"]
    y = rng.integers(0, 2, s["m"])
    net = Network([s["n"], *s["hidden"], 1], hidden_activation=s["activation"], seed=s["seed"], dtype=s["dtype"])
    return net, X, y


def _train(net, X, y, s):
    try:
        net.fit(
            X, y, optimizer=s["optimizer"], learning_rate=s["learning_rate"], epochs=5,
            batch_size=s["batch_size"], seed=s["seed"],
        )  # fmt: skip
    except DivergenceError:
        event("diverged")
        return False
    event("trained")
    return True


@settings(max_examples=200, deadline=None, derandomize=True)
@given(s=setup)
def test_training_finite_or_divergence_error(s):
    net, X, y = _problem(s)
    if _train(net, X, y, s):
        assert np.isfinite(net.theta).all()
        assert net.theta.dtype == np.dtype(s["dtype"])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(s=setup)
def test_predictions_are_probabilities_and_labels(s):
    net, X, y = _problem(s)
    if not _train(net, X, y, s):
        return
    P = net.predict_proba(X)
    assert P.dtype == np.dtype(s["dtype"])
    assert P.shape[0] == s["m"]
    assert np.isfinite(P).all() and (P >= 0).all() and (P <= 1).all()
    labels = net.predict(X)
    assert labels.shape == (s["m"],)
    assert set(np.unique(labels)) <= {0, 1}


@settings(max_examples=100, deadline=None, derandomize=True)
@given(s=setup)
def test_save_load_round_trip_is_exact(s, tmp_path_factory):
    net, X, y = _problem(s)
    _train(net, X, y, s)
    path = tmp_path_factory.mktemp("rt") / "m.npz"
    net.save(path)
    back = npdnn.load(path)
    assert back.theta.dtype == net.theta.dtype
    np.testing.assert_array_equal(back.theta, net.theta)
    assert back.layer_dims == net.layer_dims
    assert back.hidden_activation == net.hidden_activation
    assert back.dtype == net.dtype
    # Also after a DivergenceError: the kept parameters passed the end-of-epoch overflow check,
    # so predicting on the training data raises no overflow warning (warnings are errors here).
    np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))
