"""The three divergence checks of the training loop, each triggered alone on a
logistic regression (Network([1, 1]): z = W x + b) and recognised by its own message:

- the batch cost is non-finite (the forward pass overflowed before any update);
- an update made a parameter non-finite;
- the parameters are finite but the forward pass overflows on the training data.

Switching one check off hands the case to another check (or to none), so each
``match=`` fails: the tests pin which check fired, not only that one did."""

import numpy as np
import pytest

import npdnn

COST = r"diverged at epoch 1 \(batch starting at sample 0\): the cost is (nan|inf)"
PARAMS = r"diverged at epoch 1: the parameters became non-finite"
OVERFLOW = r"diverged at epoch 1: the parameters grew so large that the forward pass overflows float64"


def _logistic(W):
    net = npdnn.Network([1, 1], seed=0)
    net.params["W1"] = [[W]]
    net.params["b1"] = [[0.0]]
    return net


def _fit_raises(net, X, learning_rate, match):
    y = np.array([0, 1])
    start = net.theta.copy()
    with pytest.raises(npdnn.DivergenceError, match=match) as info:
        net.fit(X, y, optimizer="gd", learning_rate=learning_rate, epochs=1)
    np.testing.assert_array_equal(net.theta, start)  # the parameters of the start of the epoch are kept
    message = str(info.value)
    assert f"try a lower learning rate than {learning_rate:g}" in message
    assert message.endswith("The network keeps the parameters from the start of epoch 1."), message
    return message


def test_non_finite_batch_cost():
    # W x = 1e200 * 1e200 overflows before the first update: the cost is inf or nan.
    message = _fit_raises(_logistic(1e200), np.array([[1e200], [-1e200]]), 0.1, COST)
    assert "parameters" not in message.split("try")[0]


def test_non_finite_parameters():
    # Finite cost (|z| = 1e150), gradient dW = 1e150, step 1e300 * 1e150 = inf.
    message = _fit_raises(_logistic(1.0), np.array([[1e150], [-1e150]]), 1e300, PARAMS)
    assert "overflows" not in message


def test_forward_overflow_with_finite_parameters():
    # Finite cost (|z| = 1e100), gradient dW = 1e100, step 1e150 * 1e100: W = -1e250 is finite,
    # but W x = 1e350 is not.
    net = _logistic(1.0)
    message = _fit_raises(net, np.array([[1e100], [-1e100]]), 1e150, OVERFLOW)
    assert "non-finite" not in message


def _relu_hiding_overflow(m):
    """A ReLU unit whose Z is -inf on the last row only (x = 1e100, weight -1e250): the
    training forward pass (overflow ignored) turns it into 0, so the cost stays finite;
    only the end-of-epoch forward pass with overflow raised can see it."""
    net = npdnn.Network([1, 2, 1], seed=0)
    net.params["W1"] = [[-1e250], [1.0]]
    net.params["b1"] = [[0.0], [0.0]]
    net.params["W2"] = [[1.0, 1.0]]
    net.params["b2"] = [[0.0]]
    X = np.ones((m, 1))
    X[-1] = 1e100
    return net, X, np.arange(m) % 2


@pytest.mark.parametrize("m", [2, 9000])  # 9000: past two 4096-row blocks of the check
def test_forward_overflow_hidden_by_relu_is_caught(m):
    net, X, y = _relu_hiding_overflow(m)
    start = net.theta.copy()
    with pytest.raises(npdnn.DivergenceError, match=OVERFLOW):
        net.fit(X, y, optimizer="gd", learning_rate=1e-300, epochs=1)
    np.testing.assert_array_equal(net.theta, start)


def test_large_but_finite_forward_pass_is_not_divergence():
    # |W x| = 1e200 * 1e103 = 1e303: the cheap norm bound cannot rule out overflow (it is within
    # a factor 1e6 of the float64 maximum), so the exact forward pass runs, finds every value
    # finite, and training goes on.
    net = _logistic(1e200)
    X, y = np.array([[1e103], [-1e103]]), np.array([1, 0])
    history = net.fit(X, y, optimizer="gd", learning_rate=1e-300, epochs=2)
    assert history["loss"] == [0.0, 0.0]
    assert net.params["W1"][0, 0] == 1e200


@pytest.mark.parametrize("budget_rows", [None, 2])
def test_divergence_names_the_batch_start_in_the_epoch(budget_rows, monkeypatch):
    # z = 1e200 x: rows 0-3 (x = +-1) give a finite cost, row 4 on (x = 1e200) overflows, so the
    # third batch of 2 fails, whether the epoch is gathered in one window or in windows of 2 rows.
    from npdnn.train import batching

    if budget_rows is not None:
        monkeypatch.setattr(batching, "WHOLE_EPOCH_GATHER_BYTES", budget_rows * 2 * 8)
    net = npdnn.Network([2, 1], seed=0)
    net.params["W1"], net.params["b1"] = [[1e200, 0.0]], [[0.0]]
    x = np.array([1.0, -1.0, 1.0, -1.0, 1e200, -1e200])
    X = np.asfortranarray(np.stack([x, np.zeros(6)], axis=1))  # F order, 2 columns: gathered, never viewed
    y = np.array([1, 0, 1, 0, 1, 0])
    with pytest.raises(npdnn.DivergenceError, match=r"epoch 1 \(batch starting at sample 4\): the cost is"):
        net.fit(X, y, optimizer="gd", learning_rate=1e-300, epochs=1, batch_size=2, shuffle=False)


def test_forward_overflow_in_the_first_row_alone_is_found():
    from npdnn.train.callbacks import forward_is_finite

    net = npdnn.Network([1, 1], seed=0)
    net.params["W1"], net.params["b1"] = [[1e200]], [[0.0]]
    X = np.array([[1e200], [1.0], [-1.0]])
    assert forward_is_finite(net, X[1:]) is True
    assert forward_is_finite(net, X) is False


def test_the_overflow_bound_counts_the_biases():
    from npdnn.train.callbacks import may_overflow

    # layer 1: W = 0, b = 1e300; layer 2: W = 1e10: Z2 = 1e310 overflows float64
    assert may_overflow([(0.0, 1e300, 1), (1e10, 0.0, 1)], 1.0, np.float64) is True
    assert may_overflow([(0.0, 1e3, 1), (1e10, 0.0, 1)], 1.0, np.float64) is False


def test_max_row_norm_finds_the_first_row_and_float32_squares_that_overflow_quietly():
    import warnings

    from npdnn.train.callbacks import max_row_norm

    X = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 1.0]])
    assert max_row_norm(X) == 5.0
    big = np.full((2, 2), 1e20, dtype=np.float32)  # squares overflow float32: redone in float64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert max_row_norm(big) == pytest.approx(np.sqrt(2) * 1e20, rel=1e-6)
