"""The compiled step (npdnn.compiled, the npdnn[fast] extra) trains as the NumPy path does:
1e-12 in float64, a few float32 ulps of the parameters' scale in float32, for every
supported configuration and input layout; resume stays bit-identical on it; what it does
not support falls back to the NumPy path."""

import numpy as np
import pytest

import npdnn
from npdnn.callbacks import DivergenceError

pytest.importorskip("numba")
from npdnn.compiled import kernels, step  # noqa: E402

pytestmark = pytest.mark.numerics  # BLAS-kernel dependent: CI reruns it with OPENBLAS_CORETYPE=Haswell

ULPS32 = 8  # float32: |theta_compiled - theta_numpy| <= ULPS32 * eps32 * max|theta| after the run (seen: 1.06)


def _data(dtype, m=150, n=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n)).astype(dtype)
    y = (X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.standard_normal(m) > 0).astype(int)
    return X, y


def _pair(dims, activation, dtype, X, y, **kw):
    nets = [npdnn.Network(dims, activation, seed=3, dtype=dtype) for _ in range(2)]
    hist = [
        net.fit(X, y, seed=5, compiled=c, diagnostics=False, **kw) for net, c in zip(nets, (True, False), strict=True)
    ]
    return nets, hist


def _assert_close(a, b, dtype):
    if dtype == np.float64:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.abs(b).max())
    else:
        tol = ULPS32 * np.finfo(np.float32).eps * np.abs(b).max()
        np.testing.assert_allclose(a, b, rtol=0, atol=tol)


@pytest.fixture
def calls(monkeypatch):
    """How many batches the compiled kernel ran."""
    n = [0]
    real = kernels.train_step

    def counted(*args):
        n[0] += 1
        return real(*args)

    monkeypatch.setattr(kernels, "train_step", counted)
    return n


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("optimizer", ["adam", "gd", "momentum", "nesterov"])
def test_compiled_equals_numpy_path(dtype, activation, optimizer, calls):
    X, y = _data(dtype)
    w = np.random.default_rng(1).uniform(0.2, 2.0, X.shape[0])
    lr = 0.05 if optimizer != "adam" else 0.01
    nets, hist = _pair(
        [7, 9, 6, 1], activation, dtype, X, y, optimizer=optimizer, learning_rate=lr, epochs=4, batch_size=32,
        l2=0.3, sample_weight=w,
    )  # fmt: skip
    assert calls[0] == 4 * 5  # every batch went through the kernel (150 rows: 4 of 32 and one of 22)
    assert nets[0].theta.dtype == dtype
    _assert_close(nets[0].theta, nets[1].theta, dtype)
    np.testing.assert_allclose(hist[0]["loss"], hist[1]["loss"], rtol=1e-12 if dtype == np.float64 else 1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_full_batch_unweighted_deep(dtype, calls):
    X, y = _data(dtype, m=60, n=40)
    nets, _ = _pair([40, 20, 7, 5, 1], "relu", dtype, X, y, optimizer="gd", learning_rate=0.0075, epochs=30)
    assert calls[0] == 30
    _assert_close(nets[0].theta, nets[1].theta, dtype)


def layout_thetas(tmp_path):
    """``{layout: theta}`` after the same Adam fit (3 epochs of 5 batches) on one X held as C-
    and F-ordered arrays, a DataFrame, a memory map and a strided view."""
    pd = pytest.importorskip("pandas")
    X, y = _data(np.float64, m=300, n=6)
    np.save(tmp_path / "X.npy", X)
    layouts = {
        "C": X,
        "F": np.asfortranarray(X),
        "frame": pd.DataFrame(X),
        "memmap": np.load(tmp_path / "X.npy", mmap_mode="r"),
        "strided": np.repeat(X, 2, axis=1)[:, ::2],
    }
    thetas = {}
    for name, data in layouts.items():
        net = npdnn.Network([6, 8, 1], seed=0)
        net.fit(data, y, optimizer="adam", epochs=3, batch_size=50, seed=1, validation_fraction=0.2)
        thetas[name] = net.theta
    return thetas


def test_every_layout_gives_the_same_bits_on_the_compiled_path(tmp_path, calls):
    thetas = layout_thetas(tmp_path)
    assert calls[0] == len(thetas) * 3 * 5
    for name, theta in thetas.items():
        np.testing.assert_array_equal(theta, thetas["C"], err_msg=name)
    X, y = _data(np.float64, m=300, n=6)  # layout_thetas' data
    ref = npdnn.Network([6, 8, 1], seed=0)
    ref.fit(X, y, optimizer="adam", epochs=3, batch_size=50, seed=1, validation_fraction=0.2, compiled=False)
    _assert_close(thetas["C"], ref.theta, np.float64)


def full_and_resumed(tmp_path, on_kill=lambda: None):
    """An 8-epoch Adam fit with L2 in one go, and the same fit killed after its third epoch
    and resumed from its checkpoint: ``(full, h_full, resumed, h)`` (networks, histories).
    ``on_kill`` runs between the kill and the resume."""
    X, y = _data(np.float64)
    kw = dict(optimizer="adam", batch_size=32, seed=2, l2=0.1, checkpoint=tmp_path / "run.ckpt")
    full = npdnn.Network([7, 6, 1], seed=1)
    h_full = full.fit(X, y, epochs=8, **{**kw, "checkpoint": tmp_path / "full.ckpt"})

    class Killed(Exception):
        pass

    def kill_after_3(epoch, logs):  # a kill, not a stop (a stop asked by a callback is final)
        if epoch == 2:
            raise Killed

    with pytest.raises(Killed):
        npdnn.Network([7, 6, 1], seed=1).fit(X, y, epochs=8, callbacks=[kill_after_3], **kw)
    on_kill()
    resumed = npdnn.Network([7, 6, 1], seed=1)
    h = resumed.fit(X, y, epochs=8, resume=True, **kw)
    return full, h_full, resumed, h


def test_resume_is_bit_identical_on_the_compiled_path(tmp_path, calls):
    before = []
    full, h_full, resumed, h = full_and_resumed(tmp_path, on_kill=lambda: before.append(calls[0]))
    assert before == [(8 + 3) * 5] and calls[0] > before[0]  # every run on the compiled path
    np.testing.assert_array_equal(resumed.theta, full.theta)
    assert h["loss"] == h_full["loss"]


def diverged_pair():
    """The same gradient-descent fit whose first update makes the second batch's cost
    overflow, compiled and on the NumPy path: ``(nets, error messages)``."""
    X, y = _data(np.float64)
    nets = [npdnn.Network([7, 5, 1], seed=0) for _ in range(2)]
    errors = []
    for net, c in zip(nets, (True, False), strict=True):
        with pytest.raises(DivergenceError) as info:
            net.fit(X, y, optimizer="gd", learning_rate=1e200, epochs=2, batch_size=30, shuffle=False, compiled=c)
        errors.append(str(info.value))
    return nets, errors


def test_divergence_is_reported_before_the_update(calls):
    nets, errors = diverged_pair()
    assert calls[0] == 2
    assert "batch starting at sample 30" in errors[0] and errors[0] == errors[1]
    _assert_close(nets[0].theta, nets[1].theta, np.float64)  # one update, not two


@pytest.mark.parametrize(
    "change",
    [
        {"dropout": 0.2},
        {"optimizer": "rmsprop"},
        {"compiled": False},
        {"env": "0"},
    ],
)
def test_what_it_does_not_support_takes_the_numpy_path(change, calls, monkeypatch):
    X, y = _data(np.float64)
    change = dict(change)
    if "env" in change:
        monkeypatch.setenv("NPDNN_COMPILED", change.pop("env"))
    kw = {"optimizer": "adam", "epochs": 2, "batch_size": 50, "seed": 0, **change}
    npdnn.Network([7, 4, 1], seed=0).fit(X, y, **kw)
    assert calls[0] == 0
    npdnn.Network([7, 4, 3], seed=0).fit(X, np.digitize(X[:, 0], [-0.5, 0.5]), epochs=1)  # softmax: not compiled
    assert calls[0] == 0


def test_compiled_true_without_numba_is_a_clear_error(monkeypatch):
    import npdnn.compiled as compiled

    monkeypatch.setattr(compiled, "_numba", False)
    with pytest.raises(ImportError, match=r"compiled=True needs numba: pip install 'npdnn\[fast\]'"):
        npdnn.Network([3, 1], seed=0).fit(np.zeros((4, 3)), [0, 1, 0, 1], compiled=True)
    with pytest.raises(ValueError, match="compiled must be True, False or None"):
        npdnn.Network([3, 1], seed=0).fit(np.zeros((4, 3)), [0, 1, 0, 1], compiled="yes")


def test_build_refuses_a_subclassed_optimizer():
    class MyAdam(npdnn.optimizers.Adam):
        pass

    net = npdnn.Network([3, 2, 1], seed=0)
    assert step.CompiledStep.build(net, MyAdam(0.01), 0.0, 8) is None
    assert step.CompiledStep.build(net, npdnn.optimizers.Adam(0.01), 0.0, 8) is not None


def test_a_custom_activation_object_trains_on_the_numpy_path(calls):
    """The kernels compute the built-in activation of a name: a layer given another Activation
    object, even one named "relu", must not be compiled as relu (it would train the wrong model)."""
    from npdnn.nn import activations

    X, y = _data(np.float64)
    leaky_named_relu = activations.Activation(
        "relu", lambda Z, out=None: activations.leaky_relu(Z), activations.leaky_relu_backward
    )
    nets = [npdnn.Network([7, 5, 1], seed=3) for _ in range(2)]
    nets[0].dense[0].activation = nets[1].dense[0].activation = leaky_named_relu
    nets[0].fit(X, y, epochs=2, batch_size=32, seed=5, diagnostics=False)  # automatic: numba is here
    assert calls[0] == 0
    nets[1].fit(X, y, epochs=2, batch_size=32, seed=5, diagnostics=False, compiled=False)
    np.testing.assert_array_equal(nets[0].theta, nets[1].theta)
    builtin = npdnn.Network([7, 5, 1], "leaky_relu", seed=3)
    builtin.fit(X, y, epochs=2, batch_size=32, seed=5, diagnostics=False)
    assert calls[0] > 0  # the same activation by its own name is compiled
