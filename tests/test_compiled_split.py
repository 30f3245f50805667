"""The compiled step's split form (large steps: GEMMs through NumPy, the passes between
them compiled; npdnn.compiled.step) trains as the NumPy path does, with every guarantee
of the one-call form: the pins, bit-identical layouts and resume, the divergence check
before the update. Its optimizer pass matches the NumPy optimizers element by element."""

import numpy as np
import pytest

import npdnn
from npdnn.train import optimizers, threads

pytest.importorskip("numba")
from npdnn.compiled import kernels, step  # noqa: E402

pytestmark = pytest.mark.numerics  # BLAS-kernel dependent: CI reruns it with OPENBLAS_CORETYPE=Haswell

# the pins of tests/test_compiled.py: 1e-12 in float64, ULPS32 float32 eps of max|theta| in float32
from test_compiled import _assert_close, _data, diverged_pair, full_and_resumed, layout_thetas  # noqa: E402


@pytest.fixture
def forms(monkeypatch):
    """Counts of batches per form: ``{"split": n, "one call": n}``."""
    n = {"split": 0, "one call": 0}
    real_update, real_step = kernels.update, kernels.train_step

    def update(*args):
        n["split"] += 1
        return real_update(*args)

    def train_step(*args):
        n["one call"] += 1
        return real_step(*args)

    monkeypatch.setattr(kernels, "update", update)
    monkeypatch.setattr(kernels, "train_step", train_step)
    return n


@pytest.fixture
def split_always(monkeypatch):
    monkeypatch.setattr(step, "SPLIT_FLOPS", 0.0)


def test_the_split_starts_where_blas_starts_using_every_thread():
    assert step.SPLIT_FLOPS == threads.SMALL_STEP_FLOPS
    net = npdnn.Network([300, 128, 1], seed=0)  # largest GEMM at batch 256: 2 * 256 * 300 * 128 = 19.7 MFLOP
    adam = optimizers.Adam(0.01)
    assert step.CompiledStep.build(net, adam, 0.0, 256).split
    assert not step.CompiledStep.build(net, adam, 0.0, 128).split  # 9.8 MFLOP: one call
    assert not step.CompiledStep.build(npdnn.Network([20, 64, 32, 1], seed=0), adam, 0.0, 256).split


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("optimizer", ["adam", "gd", "momentum", "nesterov"])
def test_split_form_equals_numpy_path(dtype, activation, optimizer, forms, split_always):
    X, y = _data(dtype)
    w = np.random.default_rng(1).uniform(0.2, 2.0, X.shape[0])
    lr = 0.05 if optimizer != "adam" else 0.01
    nets = [npdnn.Network([7, 9, 6, 1], activation, seed=3, dtype=dtype) for _ in range(2)]
    kw = dict(optimizer=optimizer, learning_rate=lr, epochs=4, batch_size=32, l2=0.3, sample_weight=w, seed=5)
    hist = [net.fit(X, y, compiled=c, diagnostics=False, **kw) for net, c in zip(nets, (True, False), strict=True)]
    assert forms == {"split": 4 * 5, "one call": 0}
    assert nets[0].theta.dtype == dtype
    _assert_close(nets[0].theta, nets[1].theta, dtype)
    np.testing.assert_allclose(hist[0]["loss"], hist[1]["loss"], rtol=1e-12 if dtype == np.float64 else 1e-5)


@pytest.mark.parametrize(("dtype", "optimizer"), [(np.float64, "adam"), (np.float32, "gd")])
def test_a_large_step_takes_the_split_form_by_itself(dtype, optimizer, forms):
    # Not float32 Adam here: on this network both compiled forms (the same bits) end 174 float32
    # eps of max|theta| from the NumPy path on 4 of 38,657 values (Adam's m / sqrt(v) magnifies
    # a sum's last bit where a gradient is nearly zero), beyond the 8-eps pin of small networks.
    X, y = _data(dtype, m=600, n=300)
    nets = [npdnn.Network([300, 128, 1], seed=0, dtype=dtype) for _ in range(2)]
    kw = dict(optimizer=optimizer, learning_rate=0.01, epochs=2, batch_size=256, seed=1, diagnostics=False)
    for net, c in zip(nets, (None, False), strict=True):
        net.fit(X, y, compiled=c, **kw)
    assert forms == {"split": 2 * 3, "one call": 0}
    _assert_close(nets[0].theta, nets[1].theta, dtype)


def test_deep_full_batch_gd_as_workload_d(forms, split_always):
    X, y = _data(np.float64, m=60, n=40)
    nets = [npdnn.Network([40, 20, 7, 5, 1], seed=0) for _ in range(2)]
    for net, c in zip(nets, (True, False), strict=True):
        net.fit(X, y, optimizer="gd", learning_rate=0.0075, epochs=30, compiled=c, diagnostics=False)
    assert forms["split"] == 30
    _assert_close(nets[0].theta, nets[1].theta, np.float64)


def test_every_layout_gives_the_same_bits_on_the_split_form(tmp_path, forms, split_always):
    thetas = layout_thetas(tmp_path)
    assert forms["split"] == len(thetas) * 3 * 5
    for name, theta in thetas.items():
        np.testing.assert_array_equal(theta, thetas["C"], err_msg=name)


def test_resume_is_bit_identical_on_the_split_form(tmp_path, forms, split_always):
    full, h_full, resumed, h = full_and_resumed(tmp_path)
    assert forms["split"] > (8 + 3) * 5 and forms["one call"] == 0  # every run on the split form
    np.testing.assert_array_equal(resumed.theta, full.theta)
    assert h["loss"] == h_full["loss"]


def test_divergence_is_reported_before_the_update_on_the_split_form(forms, split_always):
    nets, errors = diverged_pair()
    assert forms["split"] == 1  # the second batch's cost was not finite: no update
    assert "batch starting at sample 30" in errors[0] and errors[0] == errors[1]
    _assert_close(nets[0].theta, nets[1].theta, np.float64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["adam", "gd", "momentum", "nesterov"])
def test_the_optimizer_pass_matches_the_numpy_optimizers(dtype, name):
    """Two steps (the momentum rules' first step differs) over 1,001 values (a vector loop's
    tail included) with gradients from 1e-6 to 10, against npdnn.train.optimizers."""
    rng = np.random.default_rng(0)
    net = npdnn.Network([1000, 1], seed=0, dtype=dtype)
    opt_np, opt_c = optimizers.get_optimizer(name, 0.01), optimizers.get_optimizer(name, 0.01)
    s = step.CompiledStep.build(net, opt_c, 0.0, 4)
    ref = net.theta.copy()
    for t in range(2):
        g = rng.standard_normal(net.theta.shape[0]).astype(dtype) * (10.0 ** rng.integers(-6, 2, net.theta.shape[0]))
        opt_np.step(ref, g.astype(dtype))
        net.grad[:] = g
        _update_as_the_step_does(s, opt_c)
        tol = 2 * np.finfo(dtype).eps * np.abs(ref)
        assert np.all(np.abs(net.theta - ref) <= tol), f"step {t + 1}: {np.abs(net.theta - ref).max()}"


def _update_as_the_step_does(s, opt):
    """The optimizer half of CompiledStep._split, with the scalars CompiledStep.__call__ makes."""
    s.split = True
    calls = []
    real = kernels.update

    def capture(*args):
        calls.append(args)

    kernels.update = capture
    try:
        X = np.zeros((4, 1000), dtype=s.net.theta.dtype)
        theta_before = s.net.theta.copy()
        grad = s.net.grad.copy()
        s(X.T, np.zeros((1, 4), dtype=X.dtype), 0.25, 0.0)
        s.net.theta[:] = theta_before
        s.net.grad[:] = grad
        real(*calls[0])
    finally:
        kernels.update = real
