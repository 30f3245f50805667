"""The foundation's public contract: shapes, init, prediction, dtype, errors, determinism."""

import numpy as np
import pytest

import npdnn
from npdnn.nn.activations import HIDDEN


def test_params_shapes_follow_layer_dims():
    net = npdnn.Network([12, 20, 7, 5, 1], seed=0)
    expected = {
        "W1": (20, 12),
        "b1": (20, 1),
        "W2": (7, 20),
        "b2": (7, 1),
        "W3": (5, 7),
        "b3": (5, 1),
        "W4": (1, 5),
        "b4": (1, 1),
    }
    assert {k: v.shape for k, v in net.params.items()} == expected
    for l in range(1, 5):
        np.testing.assert_array_equal(net.params[f"b{l}"], 0)


@pytest.mark.parametrize(
    "init, std", [("he", np.sqrt(2 / 400)), ("scaled", np.sqrt(1 / 400)), ("small", 0.01), ("glorot", np.sqrt(2 / 700))]
)
def test_initializer_scales(init, std):
    W = npdnn.Network([400, 300, 1], init=init, seed=0).params["W1"]
    assert abs(W.std() / std - 1) < 0.02
    assert abs(W.mean()) < 0.1 * std


def test_replacing_a_param_takes_effect(data):
    X, y = data
    net = npdnn.Network([6, 4, 1], seed=0)
    net.params["W2"] = np.zeros((1, 4))
    net.params["b2"] = np.full((1, 1), 2.0)
    np.testing.assert_allclose(net.predict_proba(X), 1 / (1 + np.exp(-2.0)))


def test_wrong_param_shape_is_refused_with_the_rule():
    net = npdnn.Network([12, 20, 7, 1], seed=0)
    with pytest.raises(
        ValueError, match=r"params\['W2'\] must have shape \(7, 20\).*layer 1 \(20 units\).*got \(7, 19\)"
    ):
        net.params["W2"] = np.zeros((7, 19))


def test_predict_and_proba_shapes(data):
    X, y = data
    net = npdnn.Network([6, 5, 1], seed=0)
    p = net.predict_proba(X)
    assert p.shape == (40,) and ((p > 0) & (p < 1)).all()
    labels = net.predict(X)
    np.testing.assert_array_equal(labels, (p >= 0.5).astype(int))
    np.testing.assert_array_equal(net.predict(X, threshold=0.0), 1)


def test_cost_is_mean_cross_entropy_plus_l2(data):
    X, y = data
    net = npdnn.Network([6, 5, 1], seed=0)
    p = net.predict_proba(X)
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert isinstance(net.cost(X, y), float)
    np.testing.assert_allclose(net.cost(X, y), bce, rtol=1e-12)
    penalty = sum((net.params[f"W{l}"] ** 2).sum() for l in (1, 2))
    np.testing.assert_allclose(net.cost(X, y, l2=0.7), bce + 0.7 / (2 * 40) * penalty, rtol=1e-12)


def test_history_loss_is_cost_before_each_update(data):
    X, y = data
    net = npdnn.Network([6, 5, 1], seed=0)
    J0 = net.cost(X, y)
    history = net.fit(X, y, learning_rate=0.1, epochs=3)
    assert len(history["loss"]) == 3 and history["loss"][0] == J0
    assert history["loss"][2] < history["loss"][0]


def test_labels_accepted_as_bools_and_ints(data):
    X, y = data
    net = npdnn.Network([6, 3, 1], seed=0)
    assert net.cost(X, y.astype(bool)) == net.cost(X, y) == net.cost(X, y.astype(np.float32))


@pytest.mark.parametrize("activation", sorted(HIDDEN))
def test_float32_everywhere(activation, data):
    X, y = data
    net = npdnn.Network([6, 5, 3, 1], hidden_activation=activation, seed=0, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in net.params.values())
    assert net.predict_proba(X).dtype == np.float32
    assert net.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert all(g.dtype == np.float32 for g in net.gradients(X, y, l2=0.1).values())
    net.forward(X.T.astype(np.float32), training=False)
    assert all(layer.A.dtype == np.float32 for layer in net.dense)
    net.fit(X, y, epochs=2, l2=0.1, batch_size=16, optimizer="adam", dropout=0.2, seed=0)
    assert net.theta.dtype == np.float32 and net.grad.dtype == np.float32


def test_same_seed_bit_identical(data):
    X, y = data
    runs = []
    for _ in range(2):
        net = npdnn.Network([6, 5, 4, 1], seed=42)
        history = net.fit(X, y, learning_rate=0.05, epochs=20)
        runs.append((net.theta.copy(), history["loss"]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    other = npdnn.Network([6, 5, 4, 1], seed=43)
    assert not np.array_equal(other.theta, npdnn.Network([6, 5, 4, 1], seed=42).theta)


def test_generator_can_be_passed_in():
    a = npdnn.Network([3, 2, 1], seed=np.random.default_rng(7))
    b = npdnn.Network([3, 2, 1], seed=7)
    np.testing.assert_array_equal(a.theta, b.theta)


def test_caches_are_overwritten_not_appended(data):
    X, _ = data
    net = npdnn.Network([6, 5, 1], seed=0)
    net.predict_proba(X)
    net.predict_proba(X[:3])
    assert net.dense[0].A.shape == (5, 3)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros(6), None, r"2-D array of shape \(n_samples, n_features\); got an array of shape \(6,\)"),
        (np.zeros((4, 5)), None, r"layer 1 expects A0 of shape \(6, m\) but got \(5, m\)"),
        (np.zeros((0, 6)), None, r"0 samples"),
        (np.array([[np.nan] * 6]), None, r"NaN or infinity \(first at row 0, column 0"),
        (np.array([["a"] * 6]), None, r"real numbers.*got dtype <U1"),
        (np.zeros((3, 6)), np.array([0, 1]), r"one label per sample: X has 3 rows but y has 2"),
        (np.zeros((3, 6)), np.array([0, 1, 2]), r"labels in \{0, 1\}; got values \[2\]"),
        (np.zeros((3, 6)), np.array([0, 1, 0.5]), r"labels in \{0, 1\}; got"),
        (np.zeros((3, 6)), np.zeros((3, 2)), r"1-D array of shape \(n_samples,\); got shape \(3, 2\)"),
    ],
)
def test_bad_input_names_what_was_received_and_expected(X, y, match):
    net = npdnn.Network([6, 4, 1], seed=0)
    with pytest.raises(ValueError, match=match):
        net.predict_proba(X) if y is None else net.cost(X, y)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"layer_dims": [3]}, "at least two positive integers"),
        ({"layer_dims": [3, 0, 1]}, "at least two positive integers"),
        ({"layer_dims": [3, 1], "hidden_activation": "gelu"}, r"unknown hidden_activation 'gelu'; expected one of"),
        ({"layer_dims": [3, 1], "init": "zeros"}, r"unknown init 'zeros'"),
        ({"layer_dims": [3, 1], "dtype": np.int32}, r"dtype must be float32 or float64"),
    ],
)
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        npdnn.Network(**kwargs)


def test_non_finite_value_past_the_first_check_block_is_located_exactly():
    # check_X scans X in row blocks of 4096; the reported row must be the global one.
    X = np.zeros((5000, 3))
    X[4500, 2] = np.nan
    with pytest.raises(ValueError, match=r"first at row 4500, column 2"):
        npdnn.Network([3, 2, 1], seed=0).predict(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finiteness_check_is_exact_when_block_sums_overflow_or_cancel(dtype):
    # check_X proves a block finite by its sum and looks closer only when the sum is not
    # finite: finite values whose sum overflows must pass, +inf and -inf in one block
    # (sum NaN) and a lone NaN among huge values must be located.
    big = float(np.finfo(dtype).max) / 2
    net = npdnn.Network([3, 2, 1], seed=0, dtype=dtype)
    X = np.full((5000, 3), big, dtype=dtype)
    X[::2] *= -1
    X[1::4] = big
    assert net.predict(X).shape == (5000,)
    for bad in ([(4500, 1, np.inf), (4600, 2, -np.inf)], [(4097, 0, np.nan)], [(10, 2, -np.inf)]):
        Xb = X.copy()
        for row, col, value in bad:
            Xb[row, col] = value
        row, col, _ = bad[0]
        with pytest.raises(ValueError, match=rf"first at row {row}, column {col}"):
            net.predict(Xb)


def test_max_row_norm_handles_squares_beyond_the_dtype():
    from npdnn.train.callbacks import max_row_norm as _max_row_norm

    X = np.ones((5000, 4), dtype=np.float32)
    X[4321] = [3e19, -3e19, 0, 1]  # squares overflow float32: that block is redone in float64
    assert _max_row_norm(X) == pytest.approx(np.sqrt(2) * 3e19, rel=1e-6)
    assert _max_row_norm(np.full((3, 2), 1e200)) == np.inf  # overflows float64 too: "may overflow"
    assert _max_row_norm(np.arange(12.0).reshape(4, 3)) == pytest.approx(np.sqrt(81 + 100 + 121))


def test_max_row_norm_is_infinite_for_non_finite_input():
    from npdnn.train.callbacks import max_row_norm as _max_row_norm

    for bad in (np.nan, np.inf, -np.inf):
        X = np.ones((9000, 3), dtype=np.float32)
        X[8500, 1] = bad
        assert _max_row_norm(X) == np.inf


def test_params_cannot_be_deleted_and_show_their_shapes():
    net = npdnn.Network([3, 2, 1], seed=0)
    with pytest.raises(TypeError, match=r"^parameters cannot be deleted; the architecture is fixed at construction$"):
        del net.params["W1"]
    assert repr(net.params) == "Params(W1: (2, 3), b1: (2, 1), W2: (1, 2), b2: (1, 1))"


@pytest.mark.parametrize("K", [1, 2, 3])
def test_decision_function_shape_and_values(K):
    X = np.random.default_rng(8).standard_normal((5, 3))
    net = npdnn.Network([3, 4, K], seed=0)
    ZL = net.forward(X.T)
    expected = ZL[0] if K == 1 else ZL.T  # (m,) for binary, (m, K) for softmax
    np.testing.assert_array_equal(net.decision_function(X), expected)
    assert net.decision_function(X[:1]).shape == expected[:1].shape


def test_gradients_use_the_sample_weights():
    rng = np.random.default_rng(9)
    X, y = rng.standard_normal((6, 3)), np.array([0, 1, 0, 1, 1, 0])
    net = npdnn.Network([3, 4, 1], seed=0)
    weighted = net.gradients(X, y, sample_weight=[1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    first_half = net.gradients(X[:3], y[:3])
    for key, value in first_half.items():
        np.testing.assert_allclose(weighted[key], value, rtol=1e-12, atol=1e-15, err_msg=key)


def test_torch_and_onnx_exports_through_the_network_methods():
    import torch

    from npdnn.export import onnx as onnx_export

    X = np.random.default_rng(10).standard_normal((5, 3))
    net = npdnn.Network([3, 4, 1], seed=0)
    logits = net.to_torch()(torch.tensor(X)).detach().numpy()[:, 0]
    proba = net.to_torch(probabilities=True)(torch.tensor(X)).detach().numpy()[:, 0]
    np.testing.assert_allclose(logits, net.decision_function(X), rtol=1e-12)
    np.testing.assert_allclose(proba, net.predict_proba(X), rtol=1e-12)

    class Sub(npdnn.Network):
        pass

    back = Sub.from_torch(net.to_torch())
    assert type(back) is Sub
    np.testing.assert_array_equal(back.theta, net.theta)
    onx = net.to_onnx(classes=["no", "yes"], opset=15)
    assert onx.SerializeToString() == onnx_export.to_onnx(net, classes=["no", "yes"], opset=15).SerializeToString()
    assert onx.SerializeToString() != net.to_onnx().SerializeToString()


def test_predict_gives_int64_labels_and_the_threshold_itself_counts_as_positive():
    X = np.random.default_rng(11).standard_normal((6, 3))
    net = npdnn.Network([3, 4, 1], seed=0)
    P = net.predict_proba(X)
    labels = net.predict(X, threshold=P[2])
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, (P >= P[2]).astype(np.int64))
    assert labels[2] == 1


def test_gradients_after_a_dropout_fit_use_no_mask():
    X, y = np.random.default_rng(12).standard_normal((10, 3)), np.arange(10) % 2
    net = npdnn.Network([3, 5, 1], seed=0)
    net.fit(X, y, epochs=2, dropout=0.5, seed=0)
    net.predict(X)  # a forward pass outside training after the masks of training
    plain = npdnn.Network([3, 5, 1], seed=0)
    plain.theta[...] = net.theta
    for key, value in plain.gradients(X, y).items():
        np.testing.assert_array_equal(net.gradients(X, y)[key], value, err_msg=key)


def test_params_assignment_errors_name_the_parameter():
    net = npdnn.Network([3, 2, 1], seed=0)
    bias = r"^params\['b1'\] must have shape \(2, 1\) to hold one bias per unit of layer 1 \(2 units\); got \(3,\)$"
    with pytest.raises(ValueError, match=bias):
        net.params["b1"] = np.zeros(3)
    finite = r"^params\['W1'\] must hold finite real numbers; got dtype float64 with non-finite or non-numeric values$"
    with pytest.raises(ValueError, match=finite):
        net.params["W1"] = np.full((2, 3), np.nan)


def test_objective_defaults_to_no_l2_and_no_dropout():
    X, y = np.random.default_rng(13).standard_normal((8, 3)), np.arange(8) % 2
    net = npdnn.Network([3, 5, 1], seed=0)
    net.set_dropout(0.5)
    net.dropout[0].rng = np.random.default_rng(0)
    assert net.objective(X.T, net.targets(y), 1.0 / 8) == pytest.approx(net.cost(X, y), rel=1e-14)


def test_gradients_of_a_float32_network_are_computed_in_float32():
    X, y = np.random.default_rng(14).standard_normal((8, 3)), np.arange(8) % 2
    net = npdnn.Network([3, 5, 1], seed=0, dtype=np.float32)
    from_64 = net.gradients(X, y)
    from_32 = net.gradients(X.astype(np.float32), y)
    for key, value in from_32.items():
        np.testing.assert_array_equal(from_64[key], value, err_msg=key)


def test_set_dropout_names_the_count_expected():
    with pytest.raises(ValueError, match=r"^dropout needs one rate per hidden layer: this network has 1; got 2 rates$"):
        npdnn.Network([3, 4, 1], seed=0).set_dropout([0.1, 0.2])


def test_leaky_relu_networks_default_to_he_initialization():
    assert npdnn.Network([3, 4, 1], hidden_activation="leaky_relu").init == "he"
    assert npdnn.Network([3, 4, 1], hidden_activation="tanh").init == "glorot"


def test_network_passes_default_to_no_l2_and_no_dropout():
    rng = np.random.default_rng(26)
    X, y = rng.standard_normal((6, 3)), np.arange(6) % 2
    net = npdnn.Network([3, 4, 1], seed=0)
    net.set_dropout(0.5)
    net.dropout[0].rng = np.random.default_rng(0)
    A0, Y = X.T, net.targets(y)
    J = net.loss_and_gradients(A0, Y, 1.0 / 6)
    assert J == pytest.approx(net.cost(X, y), rel=1e-14)
    one = npdnn.Network([3, 1], seed=0)
    dZ = rng.standard_normal((1, 6))
    one.forward(A0)
    one.backward(dZ)
    np.testing.assert_allclose(one.grads["dW1"], dZ @ A0.T, rtol=1e-14)


def test_targets_keep_the_networks_dtype():
    labels = np.array([0, 1, 1])
    assert npdnn.Network([3, 1], dtype=np.float32).targets(labels).dtype == np.float32
    assert npdnn.Network([3, 3], dtype=np.float32).targets(labels).dtype == np.float32


def test_hidden_activation_is_a_name_or_the_builtin_it_names():
    """A model file, the compiled step and the exports know an activation by name: a custom
    Activation object given to the constructor (it was silently replaced by the built-in of its
    name) is refused, naming what is accepted."""
    from npdnn.nn import activations

    assert npdnn.Network([3, 2, 1], activations.HIDDEN["tanh"]).hidden_activation == "tanh"
    custom = activations.Activation("relu", activations.leaky_relu, activations.leaky_relu_backward)
    for given in (custom, activations.Activation("swish", activations.tanh, activations.tanh_backward)):
        with pytest.raises(ValueError, match=r"hidden_activation must be one of \['leaky_relu', 'relu', 'sigmoid', "):
            npdnn.Network([3, 2, 1], given)
    with pytest.raises(ValueError, match="unknown hidden_activation 'swish'"):
        npdnn.Network([3, 2, 1], "swish")
