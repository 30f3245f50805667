"""Validation during training goes through prediction's chunks, sized by the activations
(issue 26): a wide layer does not multiply the memory of evaluating the held-out rows.

benchmarks/validation_memory.py measures the issue's case (2,000,000 x 100 float32, a
256-unit layer: 367 MB above X before, the bound 150 MB); this is the same measurement
scaled down so that it runs in a second."""

from __future__ import annotations

import tracemalloc

import numpy as np

import npdnn
from npdnn.nn.chunking import CHUNK_BYTES, chunk_rows

N_X, HIDDEN = 10, 1024


def _fit_peak(net, X, y, **kw):
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        history = net.fit(X, y, epochs=1, seed=0, **kw)
        return history, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_validation_memory_is_bounded_by_the_chunk_budget_not_by_the_rows():
    rng = np.random.default_rng(0)
    X_val = rng.standard_normal((48_000, N_X), dtype=np.float32)  # allocated before tracing: not counted
    y_val = (X_val[:, 0] > 0).astype(np.int64)
    X, y = X_val[:512], y_val[:512]
    net = npdnn.Network([N_X, HIDDEN, 1], seed=0, dtype=np.float32)
    # One pass over the 48,000 rows would hold the wide layer's activations: 48,000 x 1024 x 4 B = 188 MiB each.
    assert X_val.shape[0] > chunk_rows(net.layer_dims, 4)  # so the bound below is about chunking
    history, peak = _fit_peak(net, X, y, batch_size=256, validation_data=(X_val, y_val), early_stopping=True)
    assert peak < 1.25 * CHUNK_BYTES  # the chunk's arrays (64 MiB) plus the small training set's
    # and the values are those of the whole validation set
    reference = net
    ZL = reference.forward(X_val.T)
    cost = float(reference.output.cost(ZL, reference.targets(y_val), 1.0 / y_val.shape[0]))
    np.testing.assert_allclose(history["val_loss"][-1], cost, rtol=1e-5)
    P = reference.output.forward(ZL)
    assert history["val_accuracy"][-1] == np.mean((P[0] >= 0.5) == (y_val == 1))
