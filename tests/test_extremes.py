"""Numerical extremes: huge and tiny feature scales, perfectly separable data
(logits grow without bound), constant features, 1 and 10,000 features. Results
stay finite and NumPy emits no warning (pytest turns warnings into errors), for
float32 and float64."""

import numpy as np
import pytest

import npdnn
from npdnn import Network

DTYPES = [pytest.param(np.float32, id="float32"), pytest.param(np.float64, id="float64")]


def _data(m=80, n=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    y = (X[:, 0] > 0).astype(int)
    return X, y


def _check(net, X, y, dtype):
    assert np.isfinite(net.theta).all()
    P = net.predict_proba(X)
    assert P.dtype == np.dtype(dtype)
    assert np.isfinite(P).all() and (P >= 0).all() and (P <= 1).all()
    assert np.isfinite(net.cost(X, y))
    return P


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [1e6, 1e-6], ids=["x1e6", "x1e-6"])
def test_feature_scale(scale, dtype):
    X, y = _data()
    X = X * scale
    net = Network([4, 8, 1], seed=0, dtype=dtype)
    net.fit(X, y, optimizer="adam", epochs=20, batch_size=16, seed=0)
    _check(net, X, y, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_perfectly_separable_logits_grow(dtype):
    X, y = _data()
    X[:, 0] += np.where(y == 1, 5.0, -5.0)
    net = Network([4, 8, 1], seed=0, dtype=dtype)
    net.fit(X, y, optimizer="adam", learning_rate=0.1, epochs=300, batch_size=None, seed=0)
    _check(net, X, y, dtype)
    assert (net.predict(X) == y).all()
    assert np.abs(net.decision_function(X)).max() > 20  # saturated: sigmoid(20) rounds to 1 in float32


@pytest.mark.parametrize("dtype", DTYPES)
def test_constant_features(dtype):
    X, y = _data()
    X[:, 1] = 7.0
    X[:, 2] = 0.0
    net = Network([4, 8, 1], seed=0, dtype=dtype)
    net.fit(X, y, optimizer="adam", epochs=20, batch_size=16, seed=0)
    _check(net, X, y, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 10_000])
def test_feature_count(n, dtype):
    X, y = _data(m=60, n=n)
    net = Network([n, 4, 1], seed=0, dtype=dtype)
    net.fit(X, y, optimizer="adam", epochs=5, batch_size=20, seed=0)
    _check(net, X, y, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_estimator_standardize_large_scale(dtype):
    X, y = _data()
    X = X * 1e6
    est = npdnn.DNNClassifier(hidden_layer_sizes=(8,), epochs=200, standardize=True, random_state=0, dtype=dtype)
    est.fit(X, y)
    P = est.predict_proba(X)
    assert np.isfinite(P).all()
    assert (est.predict(X) == y).mean() >= 0.85  # learns as on unscaled data (0.9 there)
