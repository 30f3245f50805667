"""What the training loop promises, each pinned by a value (docs/testing.md lists the
mutant each test kills): a fresh permutation every epoch from the given Generator, a
validation split that partitions the rows, the weighted epoch loss, and early
stopping's best parameters surviving a checkpoint and resume."""

import math

import numpy as np
import pytest

import npdnn
from npdnn.train.batching import split_indices

from conftest import make_data


def _reference_sgd(net, X, y, *, epochs, batch_size, learning_rate, seed):
    """Plain mini-batch gradient descent written out: one ``rng.permutation(m)`` per
    epoch from ``default_rng(seed)``, batches of consecutive rows of that order, the
    batch's mean cost; returns the per-epoch losses (batch costs weighted by size)."""
    rng = np.random.default_rng(seed)
    m = X.shape[0]
    Y = net.targets(y)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(m)
        loss = 0.0
        for start in range(0, m, batch_size):
            idx = order[start : start + batch_size]
            J = net.loss_and_gradients(np.ascontiguousarray(X[idx].T), Y[:, idx], 1.0 / idx.size, 0.0, training=True)
            net.theta -= learning_rate * net.grad
            loss += idx.size / m * J
        losses.append(loss)
    return losses


@pytest.mark.parametrize("K", [1, 3])
def test_each_epoch_draws_a_new_permutation_from_the_generator(K):
    X, y = make_data(23, 3, seed=5)
    if K == 3:
        y = np.arange(23) % 3
    kw = dict(epochs=4, batch_size=5, learning_rate=0.3, seed=11)
    net = npdnn.Network([3, 4, K], hidden_activation="tanh", seed=2)
    ref = npdnn.Network([3, 4, K], hidden_activation="tanh", seed=2)
    history = net.fit(X, y, optimizer="gd", shuffle=True, **kw)
    ref_losses = _reference_sgd(ref, X, y, **kw)
    np.testing.assert_allclose(history["loss"], ref_losses, rtol=1e-12)
    np.testing.assert_allclose(net.theta, ref.theta, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize(("n", "fraction"), [(10, 0.1), (10, 0.25), (7, 0.5), (101, 0.3), (2, 0.5)])
def test_validation_split_partitions_the_rows(n, fraction):
    train, val = split_indices(n, fraction, np.random.default_rng(n))
    assert val.size == math.ceil(fraction * n)
    assert np.intersect1d(train, val).size == 0, f"rows in both sets: {np.intersect1d(train, val)}"
    np.testing.assert_array_equal(np.sort(np.concatenate([train, val])), np.arange(n))
    np.testing.assert_array_equal(train, np.sort(train))
    np.testing.assert_array_equal(val, np.sort(val))


@pytest.mark.parametrize(("n", "fraction"), [(2, 0.9), (5, 0.99), (1, 0.5)])
def test_validation_split_refuses_an_empty_training_set(n, fraction):
    msg = rf"^validation_fraction={fraction} of {n} samples leaves an empty training or validation set$"
    with pytest.raises(ValueError, match=msg):
        split_indices(n, fraction, np.random.default_rng(0))
    if n >= 2:  # a training set needs both classes
        X, y = make_data(n, 2)
        with pytest.raises(ValueError, match=msg):
            npdnn.Network([2, 1], seed=0).fit(X, y, validation_fraction=fraction)


def test_fit_trains_on_the_training_rows_and_validates_on_the_rest():
    # Full batch: epoch 1's loss is the cost of the initial parameters on the training rows,
    # and with a learning rate of ~0 the validation loss is their cost on the held-out rows.
    X, y = make_data(30, 4, seed=3)
    net = npdnn.Network([4, 5, 1], seed=3)
    before = npdnn.Network([4, 5, 1], seed=3)
    train, val = split_indices(30, 0.3, np.random.default_rng(9))
    history = net.fit(X, y, optimizer="gd", learning_rate=1e-300, epochs=1, validation_fraction=0.3, seed=9)
    assert history["loss"][0] == pytest.approx(before.cost(X[train], y[train]), rel=1e-12)
    assert history["val_loss"][0] == pytest.approx(before.cost(X[val], y[val]), rel=1e-12)
    assert history["loss"][0] != pytest.approx(before.cost(X, y), rel=1e-6)  # the split changes it


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
def test_weighted_epoch_loss_is_the_weighted_cost(shuffle, order):
    # Learning rate ~0: every batch sees the initial parameters, so the epoch loss (batch costs
    # weighted by each batch's share of the total weight) must equal the weighted cost over all
    # rows, in any batch order, whether the batches are views of X or gathered copies.
    X, y = make_data(10, 3, seed=4)
    X = np.asarray(X, order=order)
    w = np.array([5.0, 0.1, 0.1, 3.0, 0.2, 0.2, 4.0, 0.1, 1.0, 0.1])
    net = npdnn.Network([3, 4, 1], seed=4)
    expected = net.cost(X, y, sample_weight=w)
    unweighted = net.cost(X, y)
    kw = dict(optimizer="gd", learning_rate=1e-300, epochs=1, batch_size=3, shuffle=shuffle, seed=0)
    history = net.fit(X, y, sample_weight=w, **kw)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)
    assert expected != pytest.approx(unweighted, rel=1e-3)  # the weights matter in this problem


def test_a_batch_of_zero_weights_contributes_nothing():
    # The first batch (rows 0-2) has weight 0: it adds 0 to the epoch loss and moves nothing,
    # instead of dividing 0 by 0.
    X, y = make_data(9, 3, seed=6)
    w = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 1.0, 3.0, 1.0, 1.0])
    net = npdnn.Network([3, 4, 1], seed=6)
    expected = net.cost(X, y, sample_weight=w)
    history = net.fit(
        X, y, sample_weight=w, optimizer="gd", learning_rate=1e-300, epochs=1, batch_size=3, shuffle=False
    )
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)


class _Interrupt(Exception):
    pass


class _StopAt:
    """A callback that interrupts training at the end of one epoch (0-based), as a
    kill would, after that epoch's checkpoint of the previous epoch was written."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs):
        if epoch == self.epoch:
            raise _Interrupt
        return False


def test_early_stopping_best_parameters_survive_a_resume(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5))
    y = rng.integers(0, 2, 40)  # noise: the validation loss rises soon, so the best epoch is early
    kw = dict(
        optimizer="adam", learning_rate=0.05, epochs=60, early_stopping=True, patience=8, seed=1, batch_size=8
    )  # fmt: skip
    full = npdnn.Network([5, 16, 1], seed=1)
    ref = full.fit(X, y, checkpoint=tmp_path / "full.ckpt", **kw)
    best, stopped = ref["best_epoch"], len(ref["loss"])
    assert 1 <= best and best + 4 <= stopped < 60, (best, stopped)  # interrupt strictly between them

    path = tmp_path / "run.ckpt"
    first = npdnn.Network([5, 16, 1], seed=1)
    with pytest.raises(_Interrupt):
        first.fit(X, y, checkpoint=path, callbacks=[_StopAt(best + 3)], **kw)
    again = npdnn.Network([5, 16, 1], seed=1)
    history = again.fit(X, y, checkpoint=path, resume=True, **kw)
    assert history["best_epoch"] == best
    np.testing.assert_array_equal(history["val_loss"], ref["val_loss"])
    # restore_best puts the best epoch's parameters back: those must have come through the checkpoint
    np.testing.assert_array_equal(again.theta, full.theta)
