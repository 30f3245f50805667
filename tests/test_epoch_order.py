"""The epoch's order above the shuffle span (issue 13): a training set larger than
``SHUFFLE_SPAN_BYTES`` is shuffled a span at a time, in blocks of 64 bytes of rows, so that
an F-ordered X (a DataFrame's array) is read in whole cache lines. Pinned here: the draws
written out, every row once, blocks kept whole, each position a uniform draw over the rows,
the same order for every layout, and the F-ordered gather that reads blocks, not rows."""

import os
from itertools import pairwise

import numpy as np
import pytest

import npdnn
from npdnn.train import batching
from npdnn.train.batching import epoch_order, shuffle_plan

from conftest import make_data

pytestmark = pytest.mark.numerics  # BLAS-kernel dependent: CI reruns it with OPENBLAS_CORETYPE=Haswell


def _reference_order(m, span, block, rng, rows=None):
    """The order written out: X's rows grouped by ``row // block`` (training rows only),
    one permutation of the groups, then each run of ``span`` positions shuffled (``span``:
    an int, or the spans' bounds)."""
    bounds = list(range(0, m, span)) + [m] if isinstance(span, int) else list(span)
    rows = np.arange(m) if rows is None else rows
    groups = {}
    for local, row in enumerate(rows):
        groups.setdefault(row // block, []).append(local)
    keys = sorted(groups)
    order = np.array([local for g in rng.permutation(len(keys)) for local in groups[keys[g]]])
    for lo, hi in pairwise(bounds):
        part = order[lo:hi]
        rng.shuffle(part)
    return order


def _bounds(m, span):
    return (*range(0, m, span), m)


@pytest.mark.parametrize(("m", "span", "block"), [(64, 32, 16), (101, 32, 16), (101, 48, 8), (7, 4, 2)])
def test_the_order_is_the_written_out_draws(m, span, block):
    got = epoch_order(_bounds(m, span), block, np.random.default_rng(m))
    np.testing.assert_array_equal(got, _reference_order(m, span, block, np.random.default_rng(m)))


def test_with_held_out_rows_the_blocks_are_blocks_of_x():
    # Training rows 0, 2, 3, 5, ... of X: a block holds the training rows among X's rows
    # [k block, (k + 1) block), so fewer than `block` of them.
    m_all = 103
    rows = np.sort(np.random.default_rng(0).permutation(m_all)[:80])
    got = epoch_order(_bounds(80, 24), 8, np.random.default_rng(1), rows)
    np.testing.assert_array_equal(got, _reference_order(80, 24, 8, np.random.default_rng(1), rows))
    key = rows[got] // 8  # X's block of each position
    assert len(np.unique(key)) == len(np.unique(rows // 8))


def test_when_the_first_training_rows_are_in_a_later_block():
    # X's rows 0-9 held out: the first training rows (10-15) are in block 1 of 8 rows, not block 0.
    rows = np.arange(10, 90)
    got = epoch_order(_bounds(80, 24), 8, np.random.default_rng(2), rows)
    np.testing.assert_array_equal(got, _reference_order(80, 24, 8, np.random.default_rng(2), rows))


def test_the_order_above_the_span_is_int32():
    # Half the memory of rng.permutation's int64 (80 MB less at 10^7 rows).
    assert epoch_order((0, 32, 64, 100), 16, np.random.default_rng(0)).dtype == np.int32


def test_below_the_span_it_is_the_uniform_permutation():
    np.testing.assert_array_equal(
        epoch_order((0, 50), 16, np.random.default_rng(3)), np.random.default_rng(3).permutation(50)
    )


@pytest.mark.parametrize("rows", [None, "held out"])
def test_every_row_once_and_each_block_in_at_most_two_spans(rows):
    m_all, span, block = 1000, 96, 16
    idx = None if rows is None else np.sort(np.random.default_rng(2).permutation(m_all)[:900])
    m = m_all if idx is None else 900
    rng = np.random.default_rng(4)
    first = epoch_order(_bounds(m, span), block, rng, idx)
    second = epoch_order(_bounds(m, span), block, rng, idx)
    for order in (first, second):
        np.testing.assert_array_equal(np.sort(order), np.arange(m))
        x_rows = order if idx is None else idx[order]
        span_of = np.empty(m_all, dtype=np.int64)
        span_of[x_rows] = np.arange(m) // span
        spans_per_block = {}
        for row in x_rows:
            spans_per_block.setdefault(row // block, set()).add(span_of[row])
        cut = [k for k, s in spans_per_block.items() if len(s) > 1]
        assert all(len(s) <= 2 for s in spans_per_block.values())
        assert len(cut) <= -(-m // span) - 1  # only a block that a span boundary cuts
    assert not np.array_equal(first, second)  # a new order each epoch


def test_each_position_is_a_uniform_draw_over_the_rows():
    # m = 64 in spans of 32, blocks of 4: a row is in the first span with probability 1/2 and
    # then at a given position with probability 1/32, so P(order[p] = r) = 1/64 for every p, r.
    rng = np.random.default_rng(5)
    draws = 6400
    counts = np.zeros((2, 64), dtype=np.int64)
    for _ in range(draws):
        order = epoch_order((0, 32, 64), 4, rng)
        counts[0, order[0]] += 1
        counts[1, order[40]] += 1
    expected = draws / 64  # 100, sd ~10: every count within 6 sd
    assert counts.min() > expected - 60 and counts.max() < expected + 60, (counts.min(), counts.max())
    # Block-mates share a span: rows 0 and 1 are both in the first span or both in the second.
    orders = [epoch_order((0, 32, 64), 4, rng) for _ in range(200)]
    assert all((np.flatnonzero(o == 0)[0] < 32) == (np.flatnonzero(o == 1)[0] < 32) for o in orders)


def test_shuffle_plan_spreads_whole_batches_evenly_over_spans_of_at_most_64_mib():
    assert shuffle_plan(100_000, 64, 50, np.float32) == ((0, 100_000), 16)  # 20 MB: one span
    per_span = (1 << 26) // (784 * 4) // 64  # 334 batches of 64 rows of 784 float32 fit 64 MiB
    bounds, block = shuffle_plan(1_000_000, 64, 784, np.float32)
    assert block == 16 and shuffle_plan(1_000_000, 64, 784, np.float64)[1] == 8
    sizes = np.diff(bounds)
    assert bounds[0] == 0 and bounds[-1] == 1_000_000
    assert len(sizes) == -(-15_625 // per_span)  # 15,625 batches in 47 spans
    assert sizes.max() <= per_span * 64 and sizes.max() - sizes.min() <= 64  # no short last span
    assert all(size % 64 == 0 for size in sizes[:-1])  # whole batches (the last batch is whole here too)
    assert shuffle_plan(10**6, 10**6, 784, np.float32)[0] == (0, 10**6)  # one full batch: nothing to shuffle
    assert shuffle_plan(10**6, 50_000, 784, np.float32)[0] == tuple(range(0, 10**6 + 1, 50_000))  # spans of a batch


def test_the_spans_are_even_not_full_ones_and_a_short_rest(monkeypatch):
    # 200 rows in batches of 16 (13 batches, the last of 8 rows), at most 64 rows (4 batches) a span:
    # 4 spans of 4, 3, 3, 3 batches, not 64, 64, 64 and a last span of 8 rows.
    monkeypatch.setattr(batching, "SHUFFLE_SPAN_BYTES", 64 * 5 * 8)
    assert shuffle_plan(200, 16, 5, np.float64) == ((0, 64, 112, 160, 200), 8)
    assert shuffle_plan(101, 16, 5, np.float64)[0] == (0, 64, 101)  # 7 batches: 4, 3
    assert shuffle_plan(64, 16, 5, np.float64)[0] == (0, 64)  # fits: one span


def _spans(monkeypatch, span_rows, gather_rows, n_x, dtype):
    row_bytes = n_x * np.dtype(dtype).itemsize
    monkeypatch.setattr(batching, "SHUFFLE_SPAN_BYTES", span_rows * row_bytes)
    monkeypatch.setattr(batching, "WHOLE_EPOCH_GATHER_BYTES", gather_rows * row_bytes)


@pytest.mark.parametrize("validation_fraction", [0.0, 0.1])
@pytest.mark.parametrize("m", [1003, 300])
def test_f_order_gathers_a_spans_blocks_and_never_row_by_row(monkeypatch, validation_fraction, m):
    # Spans of at most 192 rows (6 batches of 32): 6 spans of 6, 6, 5, 5, 5, 5 batches (m = 1003),
    # or 2 of 5 batches (m = 300). Windows follow the spans; fixed windows of 192 rows would cut
    # spans and fall back to rows one by one. Two blocks per transposed group: several groups a span.
    X, y = make_data(m, 6, dtype=np.float32, seed=7)
    _spans(monkeypatch, 200, 200, 6, np.float32)
    monkeypatch.setattr(batching, "TRANSPOSE_BLOCK_BYTES", 2 * 6 * 64)
    row_by_row = []
    original = batching.Batches._sorted_rows
    monkeypatch.setattr(batching.Batches, "_sorted_rows", lambda self, idx: row_by_row.append(1) or original(self, idx))
    kw = dict(optimizer="adam", batch_size=32, epochs=2, seed=3, validation_fraction=validation_fraction)
    c, f = npdnn.Network([6, 5, 1], seed=0, dtype=np.float32), npdnn.Network([6, 5, 1], seed=0, dtype=np.float32)
    c.fit(X, y, **kw)
    f.fit(np.asfortranarray(X), y, **kw)
    assert row_by_row == []
    np.testing.assert_array_equal(f.theta, c.theta)
    # A buffer smaller than the span: the F path falls back to rows one by one, same bits.
    _spans(monkeypatch, 200, 100, 6, np.float32)
    g = npdnn.Network([6, 5, 1], seed=0, dtype=np.float32)
    g.fit(np.asfortranarray(X), y, **kw)
    assert row_by_row
    np.testing.assert_array_equal(g.theta, c.theta)


def test_the_span_changes_the_order_and_training_follows_it(monkeypatch):
    # Plain gradient descent written out with epoch_order's draws equals fit above the span
    # (and differs from the uniform permutation's training: the span is not a no-op).
    X, y = make_data(300, 4, seed=8)
    _spans(monkeypatch, 64, 64, 4, np.float64)
    kw = dict(optimizer="gd", learning_rate=0.2, batch_size=16, epochs=3, seed=9)
    net = npdnn.Network([4, 5, 1], seed=1)
    history = net.fit(X, y, **kw)
    ref = npdnn.Network([4, 5, 1], seed=1)
    rng, Y, losses = np.random.default_rng(9), ref.targets(y), []
    for _ in range(3):
        order, loss = _reference_order(300, 64, 8, rng), 0.0
        for start in range(0, 300, 16):
            idx = order[start : start + 16]
            J = ref.loss_and_gradients(np.ascontiguousarray(X[idx].T), Y[:, idx], 1.0 / idx.size, 0.0, training=True)
            ref.theta -= 0.2 * ref.grad
            loss += idx.size / 300 * J
        losses.append(loss)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-12)
    np.testing.assert_allclose(net.theta, ref.theta, rtol=1e-11, atol=1e-14)
    monkeypatch.setattr(batching, "SHUFFLE_SPAN_BYTES", 1 << 26)
    uniform = npdnn.Network([4, 5, 1], seed=1)
    uniform.fit(X, y, **kw)
    assert not np.allclose(uniform.theta, net.theta)


def _vm_flags(address):
    """The VmFlags of the mapping of this process that holds ``address`` (/proc/self/smaps)."""
    inside = False
    with open("/proc/self/smaps") as f:
        lines = f.read().splitlines()
    for line in lines:
        head = line.split()[0]
        if "-" in head and ":" not in head:
            lo, hi = (int(x, 16) for x in head.split("-"))
            inside = lo <= address < hi
        elif inside and head == "VmFlags:":
            return line.split()[1:]
    raise AssertionError(f"no mapping holds {address:#x}")


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="needs Linux's /proc/self/smaps")
@pytest.mark.parametrize("order", ["C", "F"])
def test_shuffled_epochs_of_a_memory_map_read_at_random_then_normally(tmp_path, order):
    # C order: rows read one by one in random order, so read-around of nearby pages is switched off
    # (MADV_RANDOM: "rr" in VmFlags) for the epoch and back on after it. F order reads column runs:
    # left alone. Unshuffled: left alone.
    X, y = make_data(600, 5, dtype=np.float32)
    np.save(tmp_path / "X.npy", X if order == "C" else np.asfortranarray(X))
    Xm = np.load(tmp_path / "X.npy", mmap_mode="r")
    Y = y[None, :].astype(np.float32)
    address = Xm.ctypes.data
    for shuffle, expected in ((True, order == "C"), (False, False)):
        batches = batching.Batches(Xm, Y, None, 32, shuffle=shuffle)
        epoch = batches.epoch(np.random.default_rng(0))
        next(epoch)
        assert ("rr" in _vm_flags(address)) == expected, (shuffle, _vm_flags(address))
        for _ in epoch:
            pass
        assert "rr" not in _vm_flags(address)
