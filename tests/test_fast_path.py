"""The fast path (npdnn.nn.fast.FastDense) computes what the textbook layers compute."""

import copy

import numpy as np
import pytest

import npdnn
from npdnn.nn import fast as _fast
from npdnn.nn.activations import HIDDEN

pytestmark = pytest.mark.numerics  # BLAS-kernel dependent: CI reruns it with OPENBLAS_CORETYPE=Haswell


def _layouts(rng, n, m):
    A = rng.standard_normal((n, m))
    return {
        "C": np.ascontiguousarray(A),
        "F": np.asfortranarray(A),  # what a shuffled batch looks like: Xb.T with Xb C-ordered
        "strided": np.ascontiguousarray(np.repeat(A, 2, axis=1))[:, ::2],
    }


@pytest.mark.parametrize("activation", sorted(HIDDEN))
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
@pytest.mark.parametrize("K", [1, 3])
def test_fast_gradients_equal_textbook(activation, layout, K):
    rng = np.random.default_rng(0)
    fast = npdnn.Network([6, 8, 5, K], activation, seed=1)
    slow = npdnn.Network([6, 8, 5, K], activation, seed=1, fast=False)
    assert isinstance(fast.dense[0], _fast.FastDense) and type(slow.dense[0]) is npdnn.nn.layers.Dense
    A0 = _layouts(rng, 6, 11)[layout]
    Y = fast.targets(rng.integers(0, max(K, 2), 11))
    w = rng.uniform(0.1, 1, (1, 11))
    w /= w.sum()
    for weights in (1 / 11, w):
        J_fast = fast.loss_and_gradients(A0, Y, weights, l2=0.3, training=True)
        J_slow = slow.loss_and_gradients(A0, Y, weights, l2=0.3, training=True)
        assert J_fast == pytest.approx(J_slow, rel=1e-12, abs=0)
        np.testing.assert_allclose(fast.grad, slow.grad, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(fast.forward(A0), slow.forward(A0), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_training_tracks_textbook_training(dtype):
    # A few epochs of Adam with dropout and L2: the two paths stay together (to rounding).
    rng = np.random.default_rng(1)
    X = rng.standard_normal((90, 5)).astype(dtype)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    nets = [npdnn.Network([5, 7, 4, 1], seed=2, dtype=dtype, fast=f) for f in (True, False)]
    for net in nets:
        net.fit(X, y, optimizer="adam", learning_rate=0.01, epochs=5, batch_size=16, seed=3, dropout=0.2, l2=0.1)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(nets[0].theta, nets[1].theta, rtol=tol, atol=tol)
    assert nets[0].theta.dtype == nets[1].theta.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_relu_zero_vector_for_every_layout(dtype):
    # FastDense compares against a zero vector laid along Z's contiguous axis (faster than a
    # scalar); every layout, the vector's growth and its size cap must agree with max(Z, 0),
    # keep the dtype, and leave the cached vector read-only.
    rng = np.random.default_rng(0)
    net = npdnn.Network([3, 4, 1], seed=0, dtype=dtype)
    layer = net.dense[0]
    cases = [
        rng.standard_normal((5, 7)),  # C order, (1, m) zeros
        rng.standard_normal((7, 5)).T,  # F order, (n, 1) zeros
        rng.standard_normal((4, 9))[:, ::2],  # neither: scalar zero
        rng.standard_normal((2, 300)),  # grows the cached vector
        rng.standard_normal((2, _fast._ZEROS_MAX + 1)),  # above the cap: scalar zero
        np.array([[np.nan, -0.0, 0.0, -np.inf, np.inf]]),
    ]
    for Z in cases:
        Z = Z.astype(dtype)
        zeros = layer._zeros_along_contiguous_axis(Z)
        A = np.maximum(Z, zeros)
        assert A.dtype == dtype and A.shape == Z.shape
        np.testing.assert_array_equal(A, np.maximum(Z, 0))
    assert not layer._zeros.flags.writeable and not layer._zeros.any()


def test_copies_keep_the_path():
    slow = npdnn.Network([3, 2, 1], seed=0, fast=False)
    assert type(copy.deepcopy(slow).dense[0]) is npdnn.nn.layers.Dense


def _relu_cases(rng, dtype):
    """Z arrays in the layouts the training pass and prediction give relu: C, F (a shuffled
    batch, sample-major), a row (both C and F), strided, above the whole-array cap, and the
    same shape again in the other order (the kept array must follow the order, not just the shape)."""
    big = _fast._ZEROS_FULL_MAX // 4 + 1
    return [
        rng.standard_normal((5, 7)),
        rng.standard_normal((7, 5)).T,
        rng.standard_normal((5, 7)),  # back to C after F: same shape, other order
        rng.standard_normal((1, 9)),
        rng.standard_normal((4, 9))[:, ::2],
        rng.standard_normal((6, 3)),  # a last, shorter batch
        rng.standard_normal((big, 4)).T,  # above the cap: a zero column or the scalar
        np.array([[np.nan, -0.0, 0.0, -np.inf, np.inf]]),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_relu_whole_zero_array_for_every_layout(dtype):
    # relu compares Z with a zero array of Z's shape and memory order (one flat SIMD loop,
    # issue 29): every layout, shape change and the cap must give max(Z, 0) bit for bit,
    # keep the dtype, and leave the kept zeros read-only and zero.
    rng = np.random.default_rng(0)
    layer = npdnn.Network([3, 4, 1], seed=0, dtype=dtype).dense[0]
    for Z in _relu_cases(rng, dtype):
        Z = Z.astype(dtype)
        expected = np.maximum(Z, 0)
        zeros = layer._zeros_like(Z)
        A = np.maximum(Z, zeros)
        assert A.dtype == dtype and A.shape == Z.shape
        np.testing.assert_array_equal(A, expected)
        if Z.size <= _fast._ZEROS_FULL_MAX and (Z.flags.c_contiguous or Z.flags.f_contiguous):
            assert zeros.shape == Z.shape and np.shares_memory(zeros, layer._zeros)
            assert zeros.flags.f_contiguous == Z.flags.f_contiguous  # same order: one flat loop
    assert not layer._zeros.flags.writeable and not layer._zeros.any()


def test_fast_relu_backward_into_the_kept_mask():
    # The training pass (overwrite_dA=True) writes relu's A > 0 into a kept boolean buffer: the
    # gradients must equal the textbook layers' across a sequence of batches of changing size
    # and layout on one network (a last short batch, then full ones again), and the buffer is
    # reused while A's shape and order repeat.
    rng = np.random.default_rng(1)
    fast = npdnn.Network([6, 8, 5, 1], "relu", seed=1)
    slow = npdnn.Network([6, 8, 5, 1], "relu", seed=1, fast=False)
    batches = [(11, "F"), (11, "F"), (4, "F"), (11, "C"), (11, "F"), (9, "strided")]
    masks = []
    for m, layout in batches:
        A0 = _layouts(rng, 6, m)[layout]
        Y = fast.targets(rng.integers(0, 2, m))
        J_fast = fast.loss_and_gradients(A0, Y, 1 / m, training=True)
        J_slow = slow.loss_and_gradients(A0, Y, 1 / m, training=True)
        assert J_fast == pytest.approx(J_slow, rel=1e-12, abs=0)
        np.testing.assert_allclose(fast.grad, slow.grad, rtol=1e-12, atol=1e-15)
        masks.append(fast.dense[1]._mask[1])
    assert masks[1] is masks[0] and masks[2] is not masks[1]  # kept for a repeated batch, new for another


def test_prediction_keeps_no_whole_zero_array():
    # Only the training pass compares relu's Z with a whole zero array (as large as the Z buffer
    # it keeps anyway); prediction's chunks keep the zero vector, so what a layer holds after
    # predict stays O(n_l + m), not O(n_l m): prediction's memory is what chunk_rows sized.
    rng = np.random.default_rng(2)
    net = npdnn.Network([3, 40, 1], seed=0)
    X = rng.standard_normal((5000, 3))
    expected = npdnn.Network([3, 40, 1], seed=0, fast=False).predict_proba(X)
    np.testing.assert_allclose(net.predict_proba(X), expected, rtol=1e-12, atol=1e-15)
    layer = net.dense[0]
    assert layer._zeros is not None and layer._zeros.size <= 5000 and layer._zeros_view is None
