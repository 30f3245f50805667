"""A non-linear 2-D problem learned well above a linear model's accuracy."""

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.linear_model import LogisticRegression

import npdnn


@pytest.mark.slow
def test_learns_moons_beyond_a_linear_model():
    X, y = make_moons(n_samples=600, noise=0.15, random_state=0)
    X_test, y_test = make_moons(n_samples=400, noise=0.15, random_state=1)
    linear = LogisticRegression().fit(X, y).score(X_test, y_test)
    net = npdnn.Network([2, 32, 16, 1], seed=0)
    history = net.fit(X, y, learning_rate=0.3, epochs=1500)
    accuracy = np.mean(net.predict(X_test) == y_test)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert accuracy >= 0.96 and accuracy >= linear + 0.08, (accuracy, linear)
