"""The estimator's standardization (npdnn.sklearn.standardization): fitted in row chunks, the same
mean and scale as in one pass, weighted, and never dividing by zero."""

from __future__ import annotations

import numpy as np
import pytest

import npdnn.nn.chunking
from npdnn.sklearn.standardization import fit_robust_scaling, fit_standardization, standardized_for_training


def _reference(X, w):
    """Weighted mean and standard deviation per feature in float64, in one pass."""
    X = X.astype(np.float64)
    w = np.ones(X.shape[0]) if w is None else w
    mean = (w @ X) / w.sum()
    return mean, np.sqrt((w @ (X - mean) ** 2) / w.sum())


@pytest.mark.parametrize("weighted", [False, True])
def test_many_chunks_give_the_one_pass_mean_and_scale(monkeypatch, weighted):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20_000, 4)) * [1.0, 10.0, 0.1, 3.0] + [0.0, -5.0, 2.0, 100.0]
    w = rng.uniform(0.1, 2.0, 20_000) if weighted else None
    monkeypatch.setattr(npdnn.nn.chunking, "CHUNK_BYTES", 1 << 14)  # chunks of CHUNK_ALIGN = 4096 rows: 4 of them
    assert len(npdnn.nn.chunking.row_slices(20_000, npdnn.nn.chunking.chunk_rows([4], 8))) > 1
    mean, scale = fit_standardization(X, w)
    ref_mean, ref_scale = _reference(X, w)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scale, ref_scale, rtol=1e-12)


def test_a_feature_whose_spread_underflows_is_not_divided_by_zero():
    # the squared deviations (~2.5e-401) underflow to 0 though the values differ: scale 1, as a constant
    X = np.array([[1e-200, 1.0], [2e-200, 2.0], [1e-200, 3.0]])
    mean, scale = fit_standardization(X, None)
    assert scale[0] == 1.0 and scale[1] > 0
    Z = standardized_for_training(X, X, mean, scale)
    assert np.isfinite(Z).all()


def test_robust_scaling_falls_back_to_the_standard_deviation_then_to_one():
    """Median and IQR / 1.349 per feature; a feature whose IQR is 0 (one value on most rows)
    is scaled by its standard deviation, a constant one by 1; X's dtype is kept."""
    X = np.zeros((20, 3))
    X[:, 0] = np.arange(20.0) ** 2  # skewed: median and quartiles differ from mean and std
    X[-2:, 1] = [5.0, -3.0]  # IQR 0, standard deviation not
    X[:, 2] = 7.0  # constant
    center, scale = fit_robust_scaling(X.astype(np.float32))
    q25, q50, q75 = np.percentile(X[:, 0], [25, 50, 75])
    assert center.dtype == scale.dtype == np.float32
    np.testing.assert_array_equal(center, np.float32([q50, 0.0, 7.0]))
    np.testing.assert_array_equal(scale, np.float32([(q75 - q25) / 1.349, X[:, 1].std(), 1.0]))


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("picked", [0, 1, 2, 5, 12])
def test_fitting_some_features_gives_the_bits_of_fitting_all(monkeypatch, layout, weighted, picked):
    """A column plan's numbers are fitted without its 0/1 columns (``columns``): each feature's mean
    and scale must be the bits it gets among all of them, the others mean 0 and scale 1, in chunks
    sized by all the features (here 2 chunks; 1 if they were sized by the features fitted)."""
    rng = np.random.default_rng(picked)
    n = 12
    X = rng.standard_normal((20_000, n)) * rng.uniform(0.1, 1e3, n) + rng.uniform(-50, 50, n)
    X[:, ::3] = rng.random((20_000, 4)) < 0.3  # 0/1 columns among the numbers
    X = np.asarray(X, order=layout)
    w = rng.uniform(0.1, 2.0, 20_000) if weighted else None
    columns = np.zeros(n, dtype=bool)
    columns[rng.choice(n, picked, replace=False)] = True
    monkeypatch.setattr(npdnn.nn.chunking, "CHUNK_BYTES", 1 << 20)
    assert len(npdnn.nn.chunking.row_slices(20_000, npdnn.nn.chunking.chunk_rows([n], 8))) == 2
    for keep_indicators in (False, True):
        for dtype in (np.float64, np.float32):
            mean, scale = fit_standardization(X.astype(dtype), w, keep_indicators, columns)
            want_mean, want_scale = fit_standardization(X.astype(dtype), w, keep_indicators)
            want_mean[~columns], want_scale[~columns] = 0, 1
            assert mean.tobytes() == want_mean.tobytes() and scale.tobytes() == want_scale.tobytes()
    center, scale = fit_robust_scaling(X, columns)
    want_center, want_scale = fit_robust_scaling(X)
    want_center[~columns], want_scale[~columns] = 0, 1
    assert center.tobytes() == want_center.tobytes() and scale.tobytes() == want_scale.tobytes()
