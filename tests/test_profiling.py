"""npdnn.train.profiling.profile: the step timer attributes the right calls to the right
parts, trains exactly as fit does, and leaves the library as it found it."""

import sys
import time

import numpy as np
import pytest

import npdnn
from npdnn import optimizers
from npdnn.train.profiling import PARTS, profile

from conftest import make_data


def gemm_flops(dims, m):
    """Per step: forward Z = W A (2 m n_in n_out a layer); backward dW (the same), db = dZ 1
    (2 m n_out), dA_prev = W^T dZ on layers 2..L-1 (the output layer's is an outer product
    by broadcast, not a GEMM; dA0 is never computed)."""
    pairs = list(zip(dims[:-1], dims[1:], strict=True))
    fwd = sum(2 * m * a * b for a, b in pairs)
    bwd = fwd + sum(2 * m * b for _, b in pairs) + sum(2 * m * a * b for a, b in pairs[1:-1])
    return fwd, bwd


@pytest.mark.parametrize("batch_size", [None, 16])
def test_gemm_flops_counted_in_their_pass(batch_size):
    dims = [6, 5, 4, 1]
    X, y = make_data(48, 6)
    net = npdnn.Network(dims, seed=0)
    p = profile(net, X, y, optimizer="adam", batch_size=batch_size, epochs=2)
    b = 48 if batch_size is None else batch_size
    assert p.steps == 2 * (48 // b)
    fwd, bwd = gemm_flops(dims, b)
    assert p.gemm_flops == {"gemm_fwd": fwd, "gemm_bwd": bwd}
    assert set(p.per_step) == set(PARTS)
    assert all(v >= 0 for v in p.per_step.values())
    assert p.step_s * p.steps == pytest.approx(p.total_s, rel=1e-9)


def test_trains_exactly_as_fit_and_puts_everything_back():
    X, y = make_data(50, 6)
    kwargs = dict(batch_size=16, epochs=3, seed=1)
    profiled = npdnn.Network([6, 5, 1], seed=0, dtype=np.float32)
    profile(profiled, X, y, optimizer="adam", learning_rate=0.01, **kwargs)
    plain = npdnn.Network([6, 5, 1], seed=0, dtype=np.float32)
    for _ in range(2):  # profile runs fit twice: plain, then timed
        plain.fit(X, y, optimizer="adam", learning_rate=0.01, **kwargs)
    np.testing.assert_array_equal(profiled.theta, plain.theta)
    for name, module in sys.modules.items():
        if name.startswith("npdnn") and hasattr(module, "np"):
            assert module.np is np, name
    assert not {"forward", "backward", "loss_and_gradients"} & set(vars(profiled))
    assert profiled.output is plain.output


def test_a_slow_optimizer_shows_up_as_the_optimizer_part():
    class SlowAdam(optimizers.Adam):
        def step(self, theta, grad):
            time.sleep(0.004)
            super().step(theta, grad)

    X, y = make_data(64, 6)
    p = profile(npdnn.Network([6, 4, 1], seed=0), X, y, optimizer=SlowAdam(0.01), batch_size=32, epochs=2)
    assert p.per_step["optimizer"] >= 0.004
    assert p.per_step["optimizer"] > 0.5 * p.step_s


def test_validation_passes_are_not_counted_as_steps():
    X, y = make_data(60, 6)
    net = npdnn.Network([6, 4, 1], seed=0)
    p = profile(net, X, y, optimizer="gd", epochs=3, validation_fraction=0.25)
    assert p.steps == 3
    m_train = 60 - 15
    assert p.gemm_flops["gemm_fwd"] == gemm_flops([6, 4, 1], m_train)[0]
    assert "us/step" in str(p)
