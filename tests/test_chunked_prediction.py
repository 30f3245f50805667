"""Prediction in row chunks (npdnn.nn.chunking): the same values as one pass over all of X,
for every way a caller holds X, and no copy of X (tracemalloc bounds).

The chunk threshold is lowered (``CHUNK_BYTES``) so that a few thousand rows take
several chunks. Chunked and one-pass prediction are not the same BLAS computation: a
column's offset in the product, the chunk's width and the thread split decide which
kernel computes it, and the kernels round differently (AVX2 "Haswell" and AVX-512
"SkylakeX" alike). So the logits agree to ``N_EPS`` machine epsilons of the largest
``|Z_L|``, the probabilities to ``N_EPS`` epsilons (they lie in [0, 1]), the cost to
``N_EPS`` epsilons relative, and the labels wherever the margin exceeds that. Measured
(one and two BLAS threads, Haswell kernels): at most 2.7 epsilons; the networks' own
errors are far above it (a wrong row or a dropped bias moves values by >= 1e-3).
Run in CI on this machine's kernels and with OPENBLAS_CORETYPE=Haswell, on one and two threads."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest

import npdnn.nn.chunking as chunking
from npdnn import DNNClassifier, Network

pytestmark = pytest.mark.numerics

N_EPS = 8  # BLAS rounding between kernels, in machine epsilons (see the module docstring)
SMALL = 1  # CHUNK_BYTES that makes every chunk the minimum (a multiple of CHUNK_ALIGN rows)


def assert_same_prediction(chunked, one_pass, dtype):
    """chunked == one_pass up to BLAS rounding: see the module docstring."""
    eps = float(np.finfo(dtype).eps)
    logits, proba = one_pass["logits"], one_pass["proba"]
    assert chunked["logits"].dtype == logits.dtype and chunked["proba"].dtype == proba.dtype
    np.testing.assert_allclose(chunked["logits"], logits, rtol=0, atol=N_EPS * eps * np.abs(logits).max())
    np.testing.assert_allclose(chunked["proba"], proba, rtol=0, atol=N_EPS * eps)
    assert chunked["cost"] == pytest.approx(one_pass["cost"], rel=N_EPS * eps, abs=0)
    # a label may flip only where the top two probabilities are within the tolerance
    p = proba if proba.ndim == 2 else np.stack([1 - proba, proba], axis=1)
    top2 = np.sort(p, axis=1)[:, -2:]
    decided = top2[:, 1] - top2[:, 0] > 2 * N_EPS * eps
    np.testing.assert_array_equal(chunked["labels"][decided], one_pass["labels"][decided])
    assert decided.mean() > 0.99


def layouts(X, tmp_path):
    """The same rows as a C array, an F array, a DataFrame, a memory-mapped .npy and a strided view."""
    np.save(tmp_path / "X.npy", X)
    wide = np.zeros((X.shape[0] * 2, X.shape[1] * 3), dtype=X.dtype)
    wide[::2, ::3] = X
    return {
        "C": np.ascontiguousarray(X),
        "F": np.asfortranarray(X),
        "DataFrame": pd.DataFrame(np.asfortranarray(X), columns=[f"x{j}" for j in range(X.shape[1])]),
        "memmap": np.load(tmp_path / "X.npy", mmap_mode="r"),
        "strided": wide[::2, ::3],
    }


def count_chunks(net, monkeypatch):
    calls = []
    forward = net.forward

    def spy(A0, *args, **kwargs):
        calls.append(A0.shape[1])
        return forward(A0, *args, **kwargs)

    monkeypatch.setattr(net, "forward", spy)
    return calls


NETWORKS = [
    ([784, 256, 128, 1], np.float32),
    ([50, 64, 32, 1], np.float64),
    ([50, 64, 32, 1], np.float32),
    ([20, 16, 3], np.float64),
]


@pytest.mark.parametrize("dims, dtype", NETWORKS, ids=lambda v: str(v))
@pytest.mark.parametrize("layout", ["C", "F", "DataFrame", "memmap", "strided"])
def test_chunked_equals_one_pass(dims, dtype, layout, tmp_path, monkeypatch):
    m = 9000 if dims[0] > 100 else 13001  # above the threshold: 3 or 4 chunks, the last one longer
    rng = np.random.default_rng(0)
    X = layouts(rng.standard_normal((m, dims[0])).astype(dtype), tmp_path)[layout]
    y = rng.integers(0, max(dims[-1], 2), m)
    net = Network(dims, seed=1, dtype=dtype)
    one_pass = {
        "proba": net.predict_proba(X),
        "logits": net.decision_function(X),
        "labels": net.predict(X),
        "cost": net.cost(X, y, l2=0.1),
    }
    # the reference as predict computed it before chunking: one forward pass over A0 = X.T
    A0 = chunking.as_rows(X).astype(dtype, copy=False).T  # the same memory layout as X's
    ZL = net.forward(A0)
    reference = {
        "logits": ZL[0] if dims[-1] == 1 else ZL.T,
        "proba": net.output.forward(ZL)[0] if dims[-1] == 1 else net.output.forward(ZL).T,
        "cost": net.objective(A0, net.targets(y), 1.0 / m, l2=0.1),
    }
    reference["labels"] = (
        (reference["proba"] >= 0.5).astype(np.int64) if dims[-1] == 1 else reference["proba"].argmax(1)
    )
    # below the threshold, prediction is one pass: the same computation, so the same bits
    for key in ("logits", "proba", "cost"):
        np.testing.assert_array_equal(one_pass[key], reference[key], err_msg=key)
    np.testing.assert_array_equal(one_pass["labels"], reference["labels"])

    monkeypatch.setattr(chunking, "CHUNK_BYTES", SMALL)
    calls = count_chunks(net, monkeypatch)
    chunked = {
        "proba": net.predict_proba(X),
        "logits": net.decision_function(X),
        "labels": net.predict(X),
        "cost": net.cost(X, y, l2=0.1),
    }
    assert len(calls) >= 4 * 2 and sum(calls) == 4 * m  # each method took several chunks
    assert chunked["labels"].dtype == one_pass["labels"].dtype
    assert_same_prediction(chunked, one_pass, dtype)


def test_weighted_cost_in_chunks(monkeypatch):
    rng = np.random.default_rng(1)
    X, y, w = rng.standard_normal((9000, 5)), rng.integers(0, 2, 9000), rng.random(9000)
    net = Network([5, 8, 1], seed=0)
    one_pass = net.cost(X, y, sample_weight=w)
    monkeypatch.setattr(chunking, "CHUNK_BYTES", SMALL)
    assert net.cost(X, y, sample_weight=w) == pytest.approx(one_pass, rel=N_EPS * np.finfo(np.float64).eps, abs=0)


def test_row_slices_cover_once_and_no_piece_is_short():
    for m in (1, 4095, 4096, 6000, 6143, 6144, 100_000):
        pieces = chunking.row_slices(m, 4096)
        assert [p.start for p in pieces] == list(range(0, 4096 * len(pieces), 4096))
        assert pieces[-1].stop == m
        if len(pieces) > 1:
            assert all(p.stop - p.start >= 2048 for p in pieces)


def test_errors_name_the_row_in_the_whole_X(monkeypatch):
    monkeypatch.setattr(chunking, "CHUNK_BYTES", SMALL)
    X = np.zeros((9000, 3))
    X[8500, 2] = np.nan
    net = Network([3, 4, 1], seed=0, dtype=np.float32)
    with pytest.raises(ValueError, match="first at row 8500, column 2"):
        net.predict_proba(X)
    X[8500, 2] = 1e300  # finite in float64, inf once converted chunk by chunk
    with pytest.raises(ValueError, match="value 1e\\+300 at row 8500, column 2 is too large for float32"):
        net.predict(X)


def _fitted_estimator(dtype=None):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 40)) * 5 + 3
    y = np.where(X[:, 0] + X[:, 1] > 6, "yes", "no")
    return DNNClassifier((16,), epochs=2, standardize=True, random_state=0, dtype=dtype).fit(X, y)


@pytest.mark.parametrize("layout", ["C", "F", "DataFrame", "memmap", "strided"])
def test_estimator_chunked_equals_one_pass(layout, tmp_path, monkeypatch):
    model = _fitted_estimator()
    rng = np.random.default_rng(2)
    X = layouts(rng.standard_normal((9000, 40)) * 5 + 3, tmp_path)[layout]
    if layout == "DataFrame":
        model.feature_names_in_ = np.array(X.columns, dtype=object)
    y = np.where(rng.random(9000) > 0.5, "yes", "no")
    one_pass = (model.predict_proba(X), model.predict(X), model.score(X, y))
    # before chunking: standardize all of X, then one forward pass
    A0 = ((chunking.as_rows(X) - model.mean_) / model.scale_).T
    np.testing.assert_array_equal(one_pass[0][:, 1], model.network_.output.forward(model.network_.forward(A0))[0])
    monkeypatch.setattr(chunking, "CHUNK_BYTES", SMALL)
    calls = count_chunks(model.network_, monkeypatch)
    chunked = (model.predict_proba(X), model.predict(X), model.score(X, y))
    assert len(calls) >= 3 * 2
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(chunked[0], one_pass[0], rtol=0, atol=N_EPS * eps)
    decided = np.abs(one_pass[0][:, 1] - 0.5) > N_EPS * eps
    np.testing.assert_array_equal(chunked[1][decided], one_pass[1][decided])
    assert abs(chunked[2] - one_pass[2]) <= (~decided).mean()  # accuracy: only undecided rows may differ


def test_standardization_matches_a_float64_computation():
    rng = np.random.default_rng(3)
    X = (rng.standard_normal((20000, 6)) * [1, 10, 1e3, 0, 1e-3, 5] + [0, 1, -1e4, 7, 0, 1e6]).astype(np.float32)
    w = rng.random(20000)
    model = DNNClassifier((4,), epochs=1, standardize=True, random_state=0)
    model.fit(X, rng.integers(0, 2, 20000), sample_weight=w)
    X64 = X.astype(np.float64)
    mean = np.average(X64, axis=0, weights=w)
    scale = np.sqrt(np.average((X64 - mean) ** 2, axis=0, weights=w))
    scale[3] = 1.0  # the constant column
    assert model.mean_.dtype == model.scale_.dtype == np.float32
    np.testing.assert_allclose(model.mean_, mean.astype(np.float32), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(model.scale_, scale.astype(np.float32), rtol=1e-6)


def _peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("layout", ["C", "F", "DataFrame", "memmap", "strided"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_prediction_does_not_copy_X(layout, dtype, tmp_path, monkeypatch):
    """X is 32 MB of float64; a chunk is 4096 rows. A whole-X copy (or conversion
    to float32), or activations of all rows, would show in the peak."""
    rng = np.random.default_rng(4)
    X = layouts(rng.standard_normal((40_000, 100)), tmp_path)[layout]
    net = Network([100, 64, 32, 1], seed=0, dtype=dtype)
    monkeypatch.setattr(chunking, "CHUNK_BYTES", SMALL)
    net.predict_proba(X[:10] if layout != "DataFrame" else X.iloc[:10])  # warm-up: caches, imports
    peak = _peak(lambda: net.predict_proba(X))
    assert peak < 32e6 / 3, f"{peak / 1e6:.1f} MB traced for a 32 MB X"


@pytest.mark.parametrize(
    "layout, dtype", [("C", None), ("F", None), ("DataFrame", None), ("memmap", None), ("F", "float32")]
)
def test_estimator_prediction_does_not_copy_X(layout, dtype, tmp_path, monkeypatch):
    """float64 X for a float32 model is converted a chunk at a time, too."""
    model = _fitted_estimator(dtype)
    rng = np.random.default_rng(5)
    X = layouts(rng.standard_normal((100_000, 40)), tmp_path)[layout]  # 32 MB
    if layout == "DataFrame":
        model.feature_names_in_ = np.array(X.columns, dtype=object)
    monkeypatch.setattr(chunking, "CHUNK_BYTES", SMALL)
    model.predict_proba(X.iloc[:10] if layout == "DataFrame" else X[:10])
    peak = _peak(lambda: model.predict_proba(X))
    assert peak < 32e6 / 3, f"{peak / 1e6:.1f} MB traced for a 32 MB X"


def test_standardization_does_not_copy_X(monkeypatch):
    from npdnn.sklearn.standardization import fit_standardization

    monkeypatch.setattr(chunking, "CHUNK_BYTES", SMALL)
    X = np.random.default_rng(6).standard_normal((200_000, 20)).astype(np.float32)  # 16 MB
    peak = _peak(lambda: fit_standardization(X, None))
    assert peak < X.nbytes / 2, f"{peak / 1e6:.1f} MB traced for a {X.nbytes / 1e6:.0f} MB X"
