"""Mini-batches (npdnn.train.batching): what fit allocates for each layout and gather budget,
windows of whole batches that train bit-identically to one window, and batches whose
weights are zero (the epoch order itself is in test_epoch_order.py, layouts in test_layouts.py)."""

import numpy as np

import npdnn


def _fit_peak(net, X, y, **kw):
    """The peak of Python-traced allocations (NumPy's included) during ``net.fit(X, y, **kw)``."""
    import tracemalloc

    tracemalloc.start()
    try:
        net.fit(X, y, **kw)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_unshuffled_fit_on_a_c_ordered_x_reads_it_in_place():
    # No shuffle, no split, C order: the batches are views of X, so nothing of X's size is
    # allocated (a gather buffer or a gathered copy would be 24 MB).

    rng = np.random.default_rng(0)
    m, n = 100_000, 30
    X = rng.standard_normal((m, n))
    y = (X[:, 0] > 0).astype(np.int64)
    peak = _fit_peak(npdnn.Network([n, 4, 1], seed=0), X, y, epochs=1, optimizer="adam", batch_size=4096, shuffle=False)
    assert peak < 0.1 * X.nbytes + 64 * m, f"fit allocated {peak / 1e6:.1f} MB over a {X.nbytes / 1e6:.1f} MB X"


def test_a_small_shuffled_x_gets_a_buffer_of_its_size_not_the_gather_budget():

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((1000, 10)), rng.integers(0, 2, 1000)  # 80 kB; the budget is 64 MiB
    peak = _fit_peak(npdnn.Network([10, 4, 1], seed=0), X, y, epochs=1, optimizer="adam", batch_size=32, seed=0)
    assert peak < 1e6, f"fit allocated {peak / 1e6:.1f} MB over a {X.nbytes / 1e6:.2f} MB X"


def test_windows_of_whole_batches_train_like_one_window(monkeypatch):
    # A gather budget of 100 rows with batches of 4: windows of 100 rows (25 whole batches);
    # training must be bit-identical to one window holding the whole epoch.
    from npdnn.train import batching

    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((250, 3)), rng.integers(0, 2, 250)
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=2, batch_size=4, seed=3)
    one = npdnn.Network([3, 4, 1], seed=0)
    h1 = one.fit(X, y, **kw)
    monkeypatch.setattr(batching, "WHOLE_EPOCH_GATHER_BYTES", 100 * 3 * 8)
    windowed = npdnn.Network([3, 4, 1], seed=0)
    h2 = windowed.fit(X, y, **kw)
    np.testing.assert_array_equal(h1["loss"], h2["loss"])
    np.testing.assert_array_equal(one.theta, windowed.theta)


def test_a_batch_of_zero_weights_moves_nothing():
    # Rows 0-2 weigh 0: with plain gradient descent their batch's gradient is 0, so training is
    # bit-identical to training on the other rows alone.
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((9, 3)), np.array([0, 1, 0, 1, 0, 1, 1, 0, 1])
    w = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 1.0, 3.0, 1.0, 1.0])
    kw = dict(optimizer="gd", learning_rate=0.1, epochs=3, batch_size=3, shuffle=False)
    full, rest = npdnn.Network([3, 4, 1], seed=0), npdnn.Network([3, 4, 1], seed=0)
    h_full = full.fit(X, y, sample_weight=w, **kw)
    h_rest = rest.fit(X[3:], y[3:], sample_weight=w[3:], **kw)
    np.testing.assert_array_equal(full.theta, rest.theta)
    np.testing.assert_allclose(h_full["loss"], h_rest["loss"], rtol=1e-15)


def test_a_shuffled_x_over_the_gather_budget_is_gathered_a_batch_at_a_time(monkeypatch):
    # A C-ordered X of 4 MB over a budget lowered to 256 kB: each batch is gathered alone, so
    # fit allocates O(m) arrays (permutation, targets) but nothing of X's size.

    from npdnn.train import batching

    rng = np.random.default_rng(17)
    m, n = 20_000, 25
    X = rng.standard_normal((m, n))
    y = (X[:, 0] > 0).astype(np.int64)
    monkeypatch.setattr(batching, "WHOLE_EPOCH_GATHER_BYTES", 1 << 18)
    peak = _fit_peak(npdnn.Network([n, 4, 1], seed=0), X, y, epochs=1, optimizer="adam", batch_size=32, seed=0)
    assert peak < 0.1 * X.nbytes + 64 * m, f"fit allocated {peak / 1e6:.1f} MB over a {X.nbytes / 1e6:.1f} MB X"


def test_an_f_ordered_x_over_the_gather_budget_trains_like_one_window(monkeypatch):
    from npdnn.train import batching

    rng = np.random.default_rng(18)
    X, y = np.asfortranarray(rng.standard_normal((250, 3))), rng.integers(0, 2, 250)
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=2, batch_size=4, seed=3)
    one = npdnn.Network([3, 4, 1], seed=0)
    h1 = one.fit(X, y, **kw)
    monkeypatch.setattr(batching, "WHOLE_EPOCH_GATHER_BYTES", 100 * 3 * 8)  # windows of 100 rows
    windowed = npdnn.Network([3, 4, 1], seed=0)
    h2 = windowed.fit(X, y, **kw)
    np.testing.assert_array_equal(h1["loss"], h2["loss"])
    np.testing.assert_array_equal(one.theta, windowed.theta)
