import numpy as np
import pytest


def make_data(m, n_x, seed=0, dtype=np.float64):
    """A seeded random problem: X (m, n_x), y (m,) 0/1 with both classes present."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n_x)).astype(dtype)
    y = (X[:, 0] + 0.5 * rng.standard_normal(m) > 0).astype(np.int64)
    y[0], y[1] = 0, 1
    return X, y


@pytest.fixture
def data():
    return make_data(40, 6)
