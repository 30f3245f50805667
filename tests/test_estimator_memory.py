"""The estimator's standardization for training holds at most one array of X's size, never
writes into the caller's X, and computes the very bits of ``(X - mean) / scale`` (issue 13)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from npdnn import DNNClassifier
from npdnn.sklearn.standardization import standardized_for_training as _standardized_for_training


def _data(dtype, order="C", m=20_000, n=30):
    rng = np.random.default_rng(0)
    X = np.asarray(rng.standard_normal((m, n)) * 3 + 5, dtype=dtype, order=order)
    mean = X.mean(axis=0).astype(dtype)
    scale = X.std(axis=0).astype(dtype)
    return X, mean, scale


# NumPy's ufunc iterator buffers (8192 elements per operand when layouts or strides differ): a
# constant, where a second copy of X would be X.nbytes more
ITERATOR_BUFFERS = 256 << 10


def _peak(fn):
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_the_callers_x_gets_one_new_c_ordered_array_with_the_bits_of_the_formula(dtype, order):
    X, mean, scale = _data(dtype, order)
    before = X.copy()
    out, peak = _peak(lambda: _standardized_for_training(X, X, mean, scale))
    np.testing.assert_array_equal(out, (X - mean) / scale)
    assert out.dtype == dtype and out.flags.c_contiguous
    assert not np.shares_memory(out, X)
    np.testing.assert_array_equal(X, before)  # the caller's array is not written
    assert peak <= X.nbytes + ITERATOR_BUFFERS, (
        f"{peak / 1e6:.1f} MB for a {X.nbytes / 1e6:.1f} MB X: more than one copy"
    )


def test_a_copy_made_by_the_fit_is_standardized_in_place():
    given, mean, scale = _data(np.float64, "F")
    X = given.astype(np.float32)  # what validate_data makes when the network is float32
    mean, scale = mean.astype(np.float32), scale.astype(np.float32)
    expected = (X - mean) / scale
    out, peak = _peak(lambda: _standardized_for_training(X, given, mean, scale))
    assert out is X
    np.testing.assert_array_equal(out, expected)
    assert peak <= ITERATOR_BUFFERS


def test_a_view_of_the_callers_data_is_never_written():
    given, mean, scale = _data(np.float32)
    frame = pd.DataFrame(given)
    view = frame.to_numpy()  # may be a view of the frame's block: not owned, so not written
    before = given.copy()
    out = _standardized_for_training(view, frame, mean, scale)
    assert not np.shares_memory(out, view)
    np.testing.assert_array_equal(given, before)
    np.testing.assert_array_equal(frame.to_numpy(), before)


@pytest.mark.parametrize("kind", ["C", "F", "DataFrame", "float64 into float32"])
def test_fit_leaves_the_callers_x_unchanged_and_trains_on_the_same_bits(kind):
    X32, _, _ = _data(np.float32, m=600, n=6)
    y = (X32[:, 0] + X32[:, 1] > 10).astype(int)
    X = {
        "C": X32,
        "F": np.asfortranarray(X32),
        "DataFrame": pd.DataFrame(X32),
        "float64 into float32": np.asfortranarray(X32.astype(np.float64)),
    }[kind]
    before = np.array(X, copy=True)
    params = dict(hidden_layer_sizes=(8,), epochs=3, batch_size=64, random_state=0, dtype="float32", standardize=True)
    model = DNNClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(np.asarray(X), before)
    reference = DNNClassifier(**params).fit(X32, y)  # C-ordered float32: the layout-free reference
    np.testing.assert_array_equal(model.network_.theta, reference.network_.theta)
