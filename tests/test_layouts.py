"""Training gives the same parameters, bit for bit, whatever memory layout X has (C or F
order, a DataFrame, a memory map, a strided view), below and above the whole-epoch
gather threshold, and it never copies X (validation split and weights included)."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest

import npdnn
from npdnn.train import batching

from conftest import make_data

pytestmark = pytest.mark.numerics  # BLAS-kernel dependent: CI reruns it with OPENBLAS_CORETYPE=Haswell


def _layouts(X, tmp_path):
    path, path_f = tmp_path / "X.npy", tmp_path / "XF.npy"
    np.save(path, X)
    np.save(path_f, np.asfortranarray(X))
    wide = np.zeros((X.shape[0], 2 * X.shape[1]), dtype=X.dtype)
    wide[:, ::2] = X
    return {
        "C": X,
        "F": np.asfortranarray(X),
        "DataFrame": pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]),
        "memmap": np.load(path, mmap_mode="r"),
        "memmap F": np.load(path_f, mmap_mode="r"),  # read-only, F-ordered: gathered in 64-byte blocks
        "strided": wide[:, ::2],
    }


CASES = {
    "shuffled mini-batches": dict(optimizer="adam", batch_size=16, dropout=0.1),
    "batches of 10": dict(optimizer="adam", batch_size=10),  # spans of 40, 40, 21 rows (spans of 40)
    "validation split, weights": dict(
        optimizer="adam", batch_size=16, validation_fraction=0.2, class_weight="balanced"
    ),
    "unshuffled": dict(optimizer="momentum", batch_size=32, shuffle=False),
    "full batch": dict(optimizer="gd"),
}


# (shuffle span, gather budget) in rows of X; None: the default, above these 101 rows. Budget:
# all the rows (gathered once per epoch, or once per fit in F order), 40 (windows of whole
# batches of 16: 32 rows, the last one shorter), 0 (one batch). A span of 40 rows: the epoch is
# shuffled 32 rows at a time in blocks of 16 float32 or 8 float64 rows (the last one short); F
# order then gathers a span's blocks (budget 40), or its rows one by one (budget 0).
BUDGET_ROWS = {
    "whole epoch": (None, None),
    "windows": (None, 40),
    "batch by batch": (None, 0),
    "spans": (40, 40),
    "spans, row by row": (40, 0),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("budget", sorted(BUDGET_ROWS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_layout_trains_bit_identically(tmp_path, monkeypatch, case, budget, dtype):
    row_bytes = 5 * np.dtype(dtype).itemsize
    span, gather = BUDGET_ROWS[budget]
    if span is not None:
        monkeypatch.setattr(batching, "SHUFFLE_SPAN_BYTES", span * row_bytes)
    if gather is not None:
        monkeypatch.setattr(batching, "WHOLE_EPOCH_GATHER_BYTES", gather * row_bytes)
    X, y = make_data(101, 5, dtype=dtype)
    results = {}
    for name, Xl in _layouts(X, tmp_path).items():
        net = npdnn.Network([5, 6, 4, 1], seed=0, dtype=dtype)
        history = net.fit(Xl, y, epochs=3, seed=1, **CASES[case])
        results[name] = (net.theta.copy(), history)
    theta, history = results["C"]
    for name, (theta_l, history_l) in results.items():
        np.testing.assert_array_equal(theta_l, theta, err_msg=name)
        assert history_l == history, name


def test_integer_input_to_a_float32_network_is_one_converted_copy():
    X, y = make_data(50, 3)
    Xi = np.round(X * 10).astype(np.int64)
    a, b = npdnn.Network([3, 4, 1], seed=0, dtype=np.float32), npdnn.Network([3, 4, 1], seed=0, dtype=np.float32)
    a.fit(Xi, y, epochs=3, batch_size=8, seed=0)
    b.fit(Xi.astype(np.float32), y, epochs=3, batch_size=8, seed=0)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.theta.dtype == np.float32


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("extra", [{}, {"early_stopping": True}, {"validation_fraction": 0.3, "sample_weight": True}])
def test_fit_does_not_copy_X(layout, extra, monkeypatch):
    # X of 24 MB above the whole-epoch threshold and the validation block (both lowered to 1 MB):
    # what fit allocates beyond X must stay a small fraction of it (batch buffers, Y, indices),
    # also with a validation split and weights.
    from npdnn.nn import chunking

    rng = np.random.default_rng(0)
    m, n = 100_000, 30
    X = rng.standard_normal((m, n))
    X = X if layout == "C" else np.asfortranarray(X)
    y = (X[:, 0] > 0).astype(np.int64)
    kw = dict(extra)
    if kw.pop("sample_weight", False):
        kw["sample_weight"] = rng.uniform(0.5, 1.5, m)
    net = npdnn.Network([n, 8, 1], seed=0)
    monkeypatch.setattr(batching, "WHOLE_EPOCH_GATHER_BYTES", 1 << 20)
    monkeypatch.setattr(chunking, "CHUNK_BYTES", 1 << 20)  # validation goes in prediction's chunks
    tracemalloc.start()
    try:
        net.fit(X, y, epochs=1, optimizer="adam", batch_size=256, seed=0, **kw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # O(m) arrays are allowed (labels, targets, permutations, row indices: 8 of 8 bytes per row),
    # O(m x n_x) ones are not: any copy of X (24 MB) would exceed the bound.
    bound = 0.1 * X.nbytes + 64 * m
    assert peak < bound, f"fit allocated {peak / 1e6:.1f} MB over a {X.nbytes / 1e6:.1f} MB X"


def test_an_f_ordered_x_above_the_budget_needs_one_budget_of_buffers(monkeypatch):
    # F order, 24 MB of X, an 8 MB budget: the window buffer (at most the budget), a cache-sized
    # scratch, one batch, and O(m) indices (permutation, a row mask, positions: ~36 bytes a row).
    # Gathering the window's columns whole into a second window-sized scratch costs another budget.
    rng = np.random.default_rng(0)
    m, n = 100_000, 30
    X = np.asfortranarray(rng.standard_normal((m, n)))
    y = (X[:, 0] > 0).astype(np.int64)
    budget = 8 << 20
    monkeypatch.setattr(batching, "WHOLE_EPOCH_GATHER_BYTES", budget)
    net = npdnn.Network([n, 8, 1], seed=0)
    tracemalloc.start()
    try:
        net.fit(X, y, epochs=1, optimizer="adam", batch_size=256, seed=0, diagnostics=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.25 * budget + 48 * m, f"fit allocated {peak / 1e6:.1f} MB with a {budget / 1e6:.1f} MB budget"


@pytest.mark.parametrize("standardize", ["auto", True])
def test_the_estimators_scaling_is_the_same_for_every_layout(tmp_path, standardize):
    """docs/large-data.md: any layout gives bit-identical parameters. The estimator scales by
    default: its column sums must not follow X's layout (an F-ordered chunk summed in another order
    moved the mean by 5e-12 and the model by 1e-15)."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(1e4, 3e3, 3000), (rng.random(3000) < 0.2).astype(float), rng.normal(size=3000)])
    y = (X[:, 0] / 3e3 + X[:, 1] + X[:, 2] + rng.normal(size=3000) > 4).astype(int)
    np.save(tmp_path / "x.npy", np.asfortranarray(X))
    kw = dict(hidden_layer_sizes=(8,), epochs=3, random_state=0, standardize=standardize)
    ref = npdnn.DNNClassifier(**kw).fit(X, y)
    for given in (np.asfortranarray(X), pd.DataFrame(X), np.load(tmp_path / "x.npy", mmap_mode="r")):
        other = npdnn.DNNClassifier(**kw).fit(given, y)
        np.testing.assert_array_equal(other.mean_, ref.mean_)
        np.testing.assert_array_equal(other.network_.theta, ref.network_.theta)
