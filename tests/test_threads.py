"""BLAS threads per step (npdnn.train.threads): one thread for small steps (and, asked, on a
busy machine), the library's choice otherwise; the limit holds during the batches and is
lifted after; the thread count changes the parameters by rounding only."""

import numpy as np
import pytest

import npdnn
from npdnn.train import threads

threadpoolctl = pytest.importorskip("threadpoolctl")


def test_choice(monkeypatch):
    monkeypatch.setattr(threads, "busy", lambda: False)
    assert threads.step_threads([20, 64, 32, 1], 256) == 1  # 1 MFLOP: small
    assert threads.step_threads([108, 64, 32, 1], 256) == 1
    assert threads.step_threads([784, 256, 128, 1], 256) is None  # 103 MFLOP: two threads pay
    monkeypatch.setattr(threads, "busy", lambda: True)
    assert threads.step_threads([784, 256, 128, 1], 256) is None  # the default follows sizes only
    assert threads.step_threads([784, 256, 128, 1], 256, env="load") == 1
    assert threads.step_threads([784, 256, 128, 1], 256, env="off") is None
    assert threads.step_threads([20, 1], 8, env="3") == 3
    with pytest.raises(
        ValueError, match=r"NPDNN_BLAS_THREADS must be 'auto', 'load', 'off' or a positive number.*'-2'"
    ):
        threads.step_threads([20, 1], 8, env="-2")


def _blas_threads():
    return max(lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas")


class Recording(npdnn.optimizers.GD):
    """Records the BLAS threads at each step (a subclass: the compiled step leaves it alone)."""

    seen = []

    def step(self, theta, grad):
        self.seen.append(_blas_threads())
        super().step(theta, grad)


def test_the_limit_holds_during_the_batches_only(monkeypatch):
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        monkeypatch.setattr(threads, "busy", lambda: True)
        monkeypatch.setenv("NPDNN_BLAS_THREADS", "load")
        X = np.random.default_rng(0).standard_normal((64, 5))
        Recording.seen = []
        npdnn.Network([5, 3, 1], seed=0).fit(X, X[:, 0] > 0, optimizer=Recording(0.1), epochs=2, batch_size=16)
        assert Recording.seen == [1] * 8
        assert _blas_threads() == 2  # given back
        monkeypatch.setenv("NPDNN_BLAS_THREADS", "off")
        Recording.seen = []
        npdnn.Network([5, 3, 1], seed=0).fit(X, X[:, 0] > 0, optimizer=Recording(0.1), epochs=1, batch_size=16)
        assert Recording.seen == [2] * 4


@pytest.mark.numerics  # BLAS-kernel dependent
def test_one_or_two_threads_agree_to_rounding(monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((600, 300))
    y = X[:, 0] > 0
    thetas = []
    for n in ("1", "2"):
        monkeypatch.setenv("NPDNN_BLAS_THREADS", n)
        net = npdnn.Network([300, 128, 64, 1], seed=0)
        net.fit(X, y, optimizer="adam", epochs=2, batch_size=200, seed=0)
        thetas.append(net.theta)
    np.testing.assert_allclose(thetas[0], thetas[1], rtol=1e-12, atol=1e-12)
