"""Tests written for mutants that survived `make mutate` (docs/testing.md lists each
mutant and its test). Each pins a value through the public API."""

import numpy as np
import pytest
import torch

import npdnn
from npdnn.train import optimizers


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("K", [3, 4])
def test_weighted_softmax_cost_is_the_weighted_mean_of_torch_cross_entropies(K):
    # The per-sample sum runs over the classes (axis 0) before the weights: summing over
    # everything, or over the samples, gives the same number with weights 1/m but not here.
    rng = np.random.default_rng(K)
    X, y = rng.standard_normal((7, 3)), np.arange(7) % K
    w = np.array([4.0, 0.5, 1.0, 3.0, 0.25, 2.0, 1.0])
    net = npdnn.Network([3, 5, K], seed=K)
    logits = torch.tensor(net.decision_function(X))
    per_sample = torch.nn.functional.cross_entropy(logits, torch.tensor(y), reduction="none").numpy()
    expected = float(np.sum(w * per_sample) / w.sum())
    assert net.cost(X, y, sample_weight=w) == pytest.approx(expected, rel=1e-12)
    # the training step's fused cost: the epoch loss of one full batch at a learning rate of ~0
    history = net.fit(X, y, optimizer="gd", learning_rate=1e-300, epochs=1, sample_weight=w)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- optimizers
@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda v: optimizers.RMSProp(0.01, rho=v), "rho"),
        (lambda v: optimizers.Momentum(0.01, momentum=v), "momentum"),
    ],
)
def test_optimizer_coefficients_may_be_zero_but_not_negative(make, name):
    assert make(0.0) is not None  # zero is a valid coefficient: plain gradient scaling / no momentum
    with pytest.raises(ValueError, match=rf"^{name} must be a number >= 0; got -0\.1$"):
        make(-0.1)


# ---------------------------------------------------------------- batching
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


# ---------------------------------------------------------------- training
def test_validation_accuracy_is_the_share_of_correct_predictions():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((30, 3)), rng.integers(0, 2, 30)
    Xv, yv = rng.standard_normal((7, 3)), np.array([0, 1, 1, 0, 1, 0, 0])
    net = npdnn.Network([3, 4, 1], seed=1)
    history = net.fit(X, y, optimizer="adam", learning_rate=0.01, epochs=3, validation_data=(Xv, yv))
    assert history["val_accuracy"][-1] == np.mean(net.predict(Xv) == yv)
    assert history["val_loss"][-1] == pytest.approx(net.cost(Xv, yv), rel=1e-12)


def test_resume_with_other_validation_data_is_refused(tmp_path):
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((20, 3)), np.arange(20) % 2
    Xv, yv = rng.standard_normal((6, 3)), np.arange(6) % 2
    path = tmp_path / "run.npz"
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=2, checkpoint=path)
    npdnn.Network([3, 4, 1], seed=0).fit(X, y, validation_data=(Xv, yv), **kw)
    for other in ((Xv + 1e-9, yv), (Xv, 1 - yv)):
        with pytest.raises(npdnn.ModelFileError, match=r"belongs to a different run \(.*validation_data: checkpoint"):
            npdnn.Network([3, 4, 1], seed=0).fit(X, y, validation_data=other, resume=True, **{**kw, "epochs": 4})


def test_resume_with_other_validation_rows_is_refused(tmp_path):
    # seed=None: the split is drawn from the network's own generator, so another network seed
    # holds out other rows under the same options; the checkpoint must see that.
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)  # labels alone do not tell the rows apart
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=2, checkpoint=tmp_path / "run.npz", validation_fraction=0.25)
    npdnn.Network([3, 4, 1], seed=0).fit(X, y, **kw)
    with pytest.raises(
        npdnn.ModelFileError, match=r"belongs to a different run \(validation_rows: checkpoint '[0-9a-f]+'"
    ):
        npdnn.Network([3, 4, 1], seed=1).fit(X, y, resume=True, **{**kw, "epochs": 4})


# ---------------------------------------------------------------- issue 19, the whole-scope run
def test_textbook_dense_backward_adds_no_l2_term_unless_asked():
    rng = np.random.default_rng(6)
    dense = npdnn.Network([3, 2, 1], seed=0, fast=False).dense[0]
    A_prev, dA = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    dense.forward(A_prev)
    dense.backward(dA)
    dZ = dA * (dense.A > 0)  # ReLU
    np.testing.assert_allclose(dense.dW, dZ @ A_prev.T, rtol=1e-15)
    dense.backward(dA, 0.5)
    np.testing.assert_allclose(dense.dW, dZ @ A_prev.T + 0.5 * dense.W, rtol=1e-15)


def test_rmsprop_names_a_bad_epsilon():
    with pytest.raises(ValueError, match=r"^epsilon must be a number > 0; got 0\.0$"):
        optimizers.RMSProp(0.01, epsilon=0.0)


def test_optimizer_repr_names_the_class_and_rate():
    assert repr(optimizers.GD(0.5)) == "GD(learning_rate=0.5)"
    assert repr(optimizers.Adam(0.25)) == "Adam(learning_rate=0.25)"


def test_a_callback_that_overrides_nothing_never_stops_training():
    X, y = np.random.default_rng(7).standard_normal((12, 3)), np.arange(12) % 2
    history = npdnn.Network([3, 2, 1], seed=0).fit(X, y, epochs=3, callbacks=[npdnn.callbacks.Callback()])
    assert len(history["loss"]) == 3


def test_lambda_callback_hooks_get_their_arguments_and_one_without_epoch_end_never_stops():
    X, y = np.random.default_rng(7).standard_normal((12, 3)), np.arange(12) % 2
    seen = []
    cb = npdnn.callbacks.LambdaCallback(
        on_train_begin=lambda net: seen.append(("begin", net)),
        on_epoch_begin=lambda epoch: seen.append(("epoch", epoch)),
        on_train_end=lambda net, history: seen.append(("end", net, history)),
    )
    net = npdnn.Network([3, 2, 1], seed=0)
    history = net.fit(X, y, epochs=3, callbacks=[cb])
    assert seen == [("begin", net), ("epoch", 0), ("epoch", 1), ("epoch", 2), ("end", net, history)]
    assert len(history["loss"]) == 3


def test_forward_overflow_in_the_first_row_alone_is_found():
    from npdnn.train.callbacks import forward_is_finite

    net = npdnn.Network([1, 1], seed=0)
    net.params["W1"], net.params["b1"] = [[1e200]], [[0.0]]
    X = np.array([[1e200], [1.0], [-1.0]])
    assert forward_is_finite(net, X[1:]) is True
    assert forward_is_finite(net, X) is False


def test_params_cannot_be_deleted_and_show_their_shapes():
    net = npdnn.Network([3, 2, 1], seed=0)
    with pytest.raises(TypeError, match=r"^parameters cannot be deleted; the architecture is fixed at construction$"):
        del net.params["W1"]
    assert repr(net.params) == "Params(W1: (2, 3), b1: (2, 1), W2: (1, 2), b2: (1, 1))"


def test_network_load_reads_back_a_network_of_the_calling_class(tmp_path):
    class Sub(npdnn.Network):
        pass

    net = npdnn.Network([3, 2, 1], seed=0)
    net.save(tmp_path / "net.npz")
    back = Sub.load(tmp_path / "net.npz")
    assert type(back) is Sub
    np.testing.assert_array_equal(back.theta, net.theta)


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


def test_early_stopping_state_stores_the_best_loss_as_a_number_and_infinity_as_a_string():
    es = npdnn.callbacks.EarlyStopping()
    assert es.state_dict() == {"best": "inf", "best_epoch": -1, "wait": 0}  # JSON has no infinity
    es.run = npdnn.callbacks.Run(npdnn.Network([2, 1], seed=0), None, None, None, 1)
    es.on_epoch_end(0, {"loss": 0.25})
    state = es.state_dict()
    assert state["best"] == 0.25 and type(state["best"]) is float


def test_predict_gives_int64_labels_and_the_threshold_itself_counts_as_positive():
    X = np.random.default_rng(11).standard_normal((6, 3))
    net = npdnn.Network([3, 4, 1], seed=0)
    P = net.predict_proba(X)
    labels = net.predict(X, threshold=P[2])
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, (P >= P[2]).astype(np.int64))
    assert labels[2] == 1


def test_an_unpickled_textbook_network_stays_textbook():
    import pickle

    net = npdnn.Network([3, 4, 1], seed=0, fast=False)
    back = pickle.loads(pickle.dumps(net))
    assert back.fast is False
    assert type(back.dense[0]) is npdnn.nn.layers.Dense


def test_optimizer_state_refuses_unknown_entries_and_accepts_missing_arrays():
    adam = optimizers.Adam(0.01)
    with pytest.raises(
        ValueError,
        match=r"^Adam state has unknown entries \['velocity'\]; expected t, learning_rate and \['m_sum', 'v_sum'\]$",
    ):
        adam.load_state_dict({"t": 0, "learning_rate": 0.01, "velocity": np.zeros(3)})
    adam.load_state_dict(optimizers.Adam(0.5).state_dict())  # before any step: no arrays yet
    assert adam.learning_rate == 0.5 and adam.m_sum is None and adam.v_sum is None


def test_resume_with_other_validation_rows_of_the_same_labels_is_refused(tmp_path):
    # The checkpoint digests the held-out row indices, not their labels: find a network seed
    # whose split (drawn from the network's own generator, seed=None) holds out other rows
    # with the same label sequence as seed 0's.
    from npdnn.train.batching import split_indices

    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((20, 3)), np.array([1, 0] + [0] * 17 + [1])
    held_out = {s: split_indices(20, 0.25, npdnn.Network([3, 4, 1], seed=s).rng)[1] for s in range(40)}
    other = next(
        s
        for s in range(1, 40)
        if not np.array_equal(held_out[s], held_out[0]) and np.array_equal(y[held_out[s]], y[held_out[0]])
    )
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=2, checkpoint=tmp_path / "run.npz", validation_fraction=0.25)
    npdnn.Network([3, 4, 1], seed=0).fit(X, y, **kw)
    with pytest.raises(npdnn.ModelFileError, match=r"belongs to a different run \(validation_rows: checkpoint"):
        npdnn.Network([3, 4, 1], seed=other).fit(X, y, resume=True, **{**kw, "epochs": 4})


def test_dropout_layer_is_the_identity_outside_training_and_at_rate_zero():
    from npdnn.nn.layers import Dropout

    A, dA = np.ones((2, 3)), np.full((2, 3), 2.0)
    off = Dropout(after=1, rate=0.5, rng=np.random.default_rng(0))
    assert off.forward(A) is A and off.D is None  # training defaults to False
    assert off.backward(dA) is dA
    zero = Dropout(after=1, rate=0.0, rng=np.random.default_rng(0))
    assert zero.forward(A, training=True) is A and zero.D is None
    with pytest.raises(ValueError, match=r"^Dropout needs a random generator: set layer.rng before training$"):
        Dropout(after=1, rate=0.5).forward(A, training=True)


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


def test_from_config_takes_the_seed_and_refuses_a_non_dict():
    net = npdnn.Network([3, 2, 1], seed=3)
    np.testing.assert_array_equal(npdnn.Network.from_config(net.get_config(), seed=3).theta, net.theta)
    with pytest.raises(ValueError, match=r"^a network config must be a dict; got list$"):
        npdnn.Network.from_config([3, 2, 1])


def test_copies_keep_the_dropout_rates_and_share_the_generator_object():
    import copy
    import pickle

    net = npdnn.Network([3, 4, 4, 1], seed=0)
    net.set_dropout([0.25, 0.5])
    for back in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        assert [layer.rate for layer in back.dropout] == [0.25, 0.5]
    # load_state_dict sets the generator's state in place (dropout layers may hold it) when
    # the bit generators match, and builds one of the state's kind when they do not
    target = npdnn.Network([3, 4, 4, 1], seed=1)
    rng = target.rng
    target.load_state_dict(net.state_dict())
    assert target.rng is rng and target.rng.random() == copy.deepcopy(net).rng.random()
    mt = npdnn.Network([3, 4, 4, 1], seed=np.random.Generator(np.random.MT19937(5)))
    target.load_state_dict(mt.state_dict())
    assert type(target.rng.bit_generator).__name__ == "MT19937"
    assert target.rng.random() == mt.rng.random()


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


def _early_stopping(**kw):
    es = npdnn.callbacks.EarlyStopping(**kw)
    es.run = npdnn.callbacks.Run(npdnn.Network([2, 1], seed=0), None, None, None, 1)
    return es


def test_early_stopping_defaults_monitor_the_validation_loss_with_a_patience_of_10():
    es = _early_stopping()
    assert es.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.25}) is False
    assert es.best == 0.25
    stops = [es.on_epoch_end(epoch, {"loss": 0.1, "val_loss": 0.3}) for epoch in range(1, 11)]
    assert stops == [False] * 9 + [True]  # the 10th epoch without improvement stops
    alone = _early_stopping()  # no validation data: the training loss is monitored
    alone.on_epoch_end(0, {"loss": 0.5})
    assert alone.best == 0.5 and alone.best_epoch == 0


def test_early_stopping_modes_and_min_delta():
    assert _early_stopping().mode == "min"
    acc = _early_stopping(monitor="val_accuracy")
    assert acc.mode == "max"
    acc.on_epoch_end(0, {"val_accuracy": 0.5})
    acc.on_epoch_end(1, {"val_accuracy": 0.75})
    assert acc.best_epoch == 1  # higher is better
    assert _early_stopping(monitor="val_accuracy", mode="max").mode == "max"
    delta = _early_stopping(min_delta=0.1)
    delta.on_epoch_end(0, {"loss": 1.0})
    delta.on_epoch_end(1, {"loss": 0.95})  # better, but by less than min_delta
    assert (delta.best_epoch, delta.wait) == (0, 1)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"patience": 0}, r"^patience must be a positive integer; got 0$"),
        ({"patience": True}, r"^patience must be a positive integer; got True$"),
        ({"patience": "3"}, r"^patience must be a positive integer; got '3'$"),
        ({"min_delta": -0.1}, r"^min_delta must be a number >= 0; got -0\.1$"),
        ({"min_delta": True}, r"^min_delta must be a number >= 0; got True$"),
    ],
)
def test_early_stopping_refuses_bad_patience_and_min_delta(kw, match):
    with pytest.raises(ValueError, match=match):
        npdnn.callbacks.EarlyStopping(**kw)


def test_early_stopping_without_a_best_epoch_leaves_the_parameters():
    es = _early_stopping()
    net = npdnn.Network([3, 2, 1], seed=0)
    before, history = net.theta.copy(), {}
    es.on_train_end(net, history)
    assert history == {"best_epoch": -1}
    np.testing.assert_array_equal(net.theta, before)


def test_adam_defaults_and_refused_coefficients():
    assert optimizers.Adam().learning_rate == 0.001
    assert optimizers.Adam(beta1=0.0, beta2=0.0).beta1 == 0.0  # no averaging is valid
    for name in ("beta1", "beta2"):
        for bad in (1.0, "0.5", True):
            with pytest.raises(ValueError, match=rf"^{name} must be a number in \[0, 1\); got {bad!r}$"):
                optimizers.Adam(**{name: bad})
    with pytest.raises(ValueError, match=r"^epsilon must be a number > 0; got 0$"):
        optimizers.Adam(epsilon=0)


def test_a_model_file_with_an_unknown_activation_names_the_description(tmp_path):
    from npdnn.files.archive import write_archive

    net = npdnn.Network([3, 2, 1], seed=0)
    spec = {"layer_dims": [3, 2, 1], "hidden_activation": "swish", "init": "he", "dtype": "float64"}
    write_archive(tmp_path / "a.npz", {"theta": net.theta}, {"network": spec}, "model", 1)
    with pytest.raises(npdnn.ModelFileError, match=r"a\.npz has an invalid network description \{.*'swish'.*\} \("):
        npdnn.load(tmp_path / "a.npz")


@pytest.mark.parametrize("K", [1, 3])
def test_validation_logs_over_several_blocks_equal_the_cost_and_accuracy(K, monkeypatch):
    from npdnn.train import loop as training

    rng = np.random.default_rng(15)
    X, y = rng.standard_normal((30, 4)), np.arange(30) % max(K, 2)
    Xv, yv = rng.standard_normal((11, 4)), np.arange(11) % max(K, 2)
    monkeypatch.setattr(training, "VALIDATION_BLOCK_BYTES", 3 * 4 * 8)  # blocks of 3 rows: 3, 3, 3, 2
    net = npdnn.Network([4, 5, K], seed=1)
    history = net.fit(X, y, optimizer="adam", learning_rate=0.05, epochs=2, validation_data=(Xv, yv))
    assert history["val_loss"][-1] == pytest.approx(net.cost(Xv, yv), rel=1e-12)
    assert history["val_accuracy"][-1] == np.mean(net.predict(Xv) == yv)
    assert 0 < history["val_accuracy"][-1] < 1  # some right, some wrong: a miscount shows


def test_validation_accuracy_counts_a_probability_of_one_half_as_class_1():
    # Training rows of zeros with balanced labels: every gradient is 0, so the parameters stay
    # 0 and every validation probability is exactly 0.5, predicted as class 1 (as predict does).
    X, y = np.zeros((2, 3)), np.array([0, 1])
    Xv, yv = np.random.default_rng(16).standard_normal((3, 3)), np.array([1, 1, 0])
    net = npdnn.Network([3, 1], seed=0)
    net.params["W1"] = np.zeros((1, 3))
    history = net.fit(X, y, epochs=1, validation_data=(Xv, yv), diagnostics=False)
    assert history["val_accuracy"] == [2 / 3]


def test_the_overflow_bound_counts_the_biases():
    from npdnn.train.callbacks import may_overflow

    # layer 1: W = 0, b = 1e300; layer 2: W = 1e10: Z2 = 1e310 overflows float64
    assert may_overflow([(0.0, 1e300, 1), (1e10, 0.0, 1)], 1.0, np.float64) is True
    assert may_overflow([(0.0, 1e3, 1), (1e10, 0.0, 1)], 1.0, np.float64) is False


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


def _noisy(seed=19, m=60):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, 5)), rng.integers(0, 2, m)


def test_early_stopping_without_restore_best_keeps_the_last_parameters():
    X, y = _noisy()
    kw = dict(optimizer="adam", learning_rate=0.05, epochs=200, early_stopping=True, patience=3, seed=0)
    last, best = npdnn.Network([5, 16, 1], seed=0), npdnn.Network([5, 16, 1], seed=0)
    history = last.fit(X, y, restore_best=False, **kw)
    best.fit(X, y, **kw)
    assert history["best_epoch"] < len(history["loss"]) - 1  # it stopped after its best epoch
    assert not np.array_equal(last.theta, best.theta)


def test_training_applies_dropout():
    X, y = _noisy()
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=2, seed=0)
    plain, dropped = npdnn.Network([5, 8, 1], seed=0), npdnn.Network([5, 8, 1], seed=0)
    plain.fit(X, y, **kw)
    dropped.fit(X, y, dropout=0.5, **kw)
    assert not np.array_equal(plain.theta, dropped.theta)


@pytest.mark.filterwarnings("ignore::npdnn.train.diagnostics.OverfittingWarning")  # rightly: noise labels
def test_the_plateau_schedule_watches_the_validation_loss():
    # The training loss falls every epoch while the validation loss of noise labels rises: a
    # plateau on val_loss halves the rate, one on the training loss would not.
    X, y = _noisy(m=80)
    Xv, yv = _noisy(seed=20, m=40)
    net = npdnn.Network([5, 32, 1], seed=0)
    history = net.fit(
        X, y, optimizer="adam", learning_rate=0.05, epochs=12, seed=0, validation_data=(Xv, yv), lr_schedule="plateau"
    )
    assert np.all(np.diff(history["loss"][2:]) < 0)  # the training loss keeps falling
    assert history["lr"][-1] < 0.05


def test_a_stopped_run_records_the_epochs_it_ran(tmp_path):
    X, y = _noisy()
    kw = dict(optimizer="adam", learning_rate=0.05, early_stopping=True, patience=3, seed=0, checkpoint=tmp_path / "c")
    n = len(npdnn.Network([5, 16, 1], seed=0).fit(X, y, epochs=200, **kw)["loss"])
    assert n < 200
    again = npdnn.Network([5, 16, 1], seed=0).fit(X, y, epochs=n, resume=True, **kw)
    assert len(again["loss"]) == n
    with pytest.raises(npdnn.ModelFileError, match=rf"has already run {n} epochs, more than the {n - 1} asked for"):
        npdnn.Network([5, 16, 1], seed=0).fit(X, y, epochs=n - 1, resume=True, **kw)


def test_sample_weights_apply_to_the_training_rows_of_a_validation_split():
    from npdnn.train.batching import split_indices

    X, y = _noisy(m=20)
    w = np.linspace(0.1, 2.0, 20)
    train, _ = split_indices(20, 0.25, np.random.default_rng(4))
    net = npdnn.Network([5, 3, 1], seed=0)
    expected = net.cost(X[train], y[train], sample_weight=w[train])
    history = net.fit(X, y, sample_weight=w, validation_fraction=0.25, seed=4, learning_rate=1e-300, epochs=1)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_validation_data_is_checked_as_x_val_in_the_networks_dtype():
    X, y = _noisy(m=8)
    net = npdnn.Network([5, 2, 1], seed=0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"but got \(4, m\): X_val has 4 features, the network was built for n_x = 5$"):
        net.fit(X, y, epochs=1, validation_data=(np.zeros((4, 4)), np.arange(4) % 2))
    with pytest.raises(ValueError, match=r"^X_val value 1e\+39 at row 0, column 0 is too large for float32"):
        net.fit(X, y, epochs=1, validation_data=(np.full((4, 5), 1e39), np.arange(4) % 2))


def test_history_holds_exactly_the_logged_keys():
    X, y = _noisy(m=12)
    assert list(npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1)) == ["loss", "lr"]
    with_val = npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, validation_fraction=0.25)
    assert list(with_val) == ["loss", "lr", "val_loss", "val_accuracy"]


def test_the_epoch_log_counts_against_the_epochs_asked_for(capsys):
    X, y = _noisy(m=12)
    npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=2, verbose=2)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err


def test_fit_defaults_train_100_epochs_quietly_and_warn_when_still_improving(capsys):
    X, y = _noisy(m=12)
    with pytest.warns(npdnn.train.diagnostics.ConvergenceWarning):
        history = npdnn.Network([5, 2, 1], seed=0).fit(X, y, learning_rate=0.05)
    assert len(history["loss"]) == 100
    assert capsys.readouterr().err == ""


def test_validation_data_and_a_fraction_together_are_refused():
    X, y = _noisy(m=12)
    with pytest.raises(ValueError, match=r"^give either validation_data or validation_fraction, not both$"):
        npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, validation_data=(X, y), validation_fraction=0.25)
    with pytest.raises(ValueError, match=r"^validation_data must be a pair \(X_val, y_val\)$"):
        npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, validation_data=(X, y, y))


def test_a_checkpoint_path_of_another_run_is_overwritten_unless_resuming(tmp_path):
    X, y = _noisy(m=12)
    path = tmp_path / "c.npz"
    npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=2, checkpoint=path)
    assert path.exists()  # written after the first epoch (checkpoint_every=1)
    history = npdnn.Network([5, 2, 1], seed=0).fit(X + 1.0, y, epochs=3, checkpoint=path)
    assert len(history["loss"]) == 3


@pytest.mark.parametrize(
    "change",
    [
        {"shuffle": False},
        {"dropout": 0.25},
        {"early_stopping": True},
        {"patience": 4},
        {"restore_best": False},
        {"seed": 5},
    ],
)
def test_resume_with_other_options_is_refused(tmp_path, change):
    X, y = _noisy(m=20)
    kw = dict(optimizer="adam", epochs=2, batch_size=5, seed=1, validation_fraction=0.25, early_stopping=True)
    kw["checkpoint"] = tmp_path / "c.npz"
    npdnn.Network([5, 3, 1], seed=0).fit(X, y, **kw)
    if change == {"early_stopping": True}:
        change = {"early_stopping": False}
    option = next(iter(change))
    option = "early_stopping" if option in ("patience", "restore_best") else option
    with pytest.raises(
        npdnn.ModelFileError,
        match=rf"belongs to a different run \({option}: checkpoint",
    ):
        npdnn.Network([5, 3, 1], seed=0).fit(X, y, resume=True, **{**kw, "epochs": 3, **change})


def test_a_generator_seed_is_not_fingerprinted_as_a_number(tmp_path):
    X, y = _noisy(m=20)
    kw = dict(epochs=2, batch_size=5, checkpoint=tmp_path / "c.npz")
    npdnn.Network([5, 3, 1], seed=0).fit(X, y, seed=np.random.default_rng(1), **kw)
    history = npdnn.Network([5, 3, 1], seed=0).fit(X, y, seed=np.random.default_rng(1), resume=True, **kw)
    assert len(history["loss"]) == 2


def test_class_weight_multiplies_the_sample_weight():
    X, y = _noisy(m=10)
    w = np.linspace(0.5, 1.5, 10)
    cw = {0: 2.0, 1: 0.5}
    net = npdnn.Network([5, 3, 1], seed=0)
    expected = net.cost(X, y, sample_weight=w * np.where(y == 0, 2.0, 0.5))
    history = net.fit(X, y, sample_weight=w, class_weight=cw, learning_rate=1e-300, epochs=1, diagnostics=False)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_weights_that_sum_to_zero_are_refused_and_small_ones_are_not():
    X, y = np.random.default_rng(21).standard_normal((4, 3)), np.array([0, 0, 1, 1])
    net = npdnn.Network([3, 1], seed=0)
    with pytest.raises(ValueError, match=r"^class_weight and sample_weight together give every sample weight zero$"):
        net.fit(X, y, sample_weight=[0.0, 0.0, 1.0, 1.0], class_weight={0: 1.0, 1: 0.0}, epochs=1)
    net.fit(X, y, sample_weight=[0.1, 0.1, 0.1, 0.1], class_weight={0: 1.0, 1: 1.0}, epochs=1, diagnostics=False)
    X8, y8 = np.random.default_rng(22).standard_normal((8, 3)), np.arange(8) % 2
    val_only = np.zeros(8)
    val_only[np.sort(np.random.default_rng(4).permutation(8)[:2])] = 1.0  # the two rows the split holds out
    with pytest.raises(ValueError, match=r"^every training sample has weight zero$"):
        net.fit(X8, y8, sample_weight=val_only, validation_fraction=0.25, seed=4, epochs=1)
    net.fit(X8, y8, sample_weight=np.full(8, 0.05), validation_fraction=0.25, seed=4, epochs=1, diagnostics=False)


def test_y_val_is_checked_against_the_networks_classes():
    X, y = _noisy(m=8)
    with pytest.raises(ValueError, match=r"^y_val must hold labels in \{0, 1\}; got values \[2\]$"):
        npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, validation_data=(X[:3], np.array([0, 1, 2])))
    y3 = np.arange(8) % 3
    history = npdnn.Network([5, 2, 3], seed=0).fit(X, y3, epochs=1, validation_data=(X[:3], np.array([0, 1, 2])))
    assert len(history["val_loss"]) == 1  # three classes: label 2 is valid


def test_max_row_norm_finds_the_first_row_and_float32_squares_that_overflow_quietly():
    import warnings

    from npdnn.train.callbacks import max_row_norm

    X = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 1.0]])
    assert max_row_norm(X) == 5.0
    big = np.full((2, 2), 1e20, dtype=np.float32)  # squares overflow float32: redone in float64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert max_row_norm(big) == pytest.approx(np.sqrt(2) * 1e20, rel=1e-6)


def test_set_dropout_names_the_count_expected():
    with pytest.raises(ValueError, match=r"^dropout needs one rate per hidden layer: this network has 1; got 2 rates$"):
        npdnn.Network([3, 4, 1], seed=0).set_dropout([0.1, 0.2])


def test_one_optimizer_steps_parameters_of_another_size():
    opt = optimizers.GD(0.5)
    a, b = np.zeros(5), np.zeros(7)
    opt.step(a, np.ones(5))
    opt.step(b, np.ones(7))
    np.testing.assert_array_equal(b, np.full(7, -0.5))


def test_checkpoints_are_written_every_epoch_by_default(tmp_path):
    X, y = _noisy(m=12)

    def interrupt(epoch):
        if epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        npdnn.Network([5, 2, 1], seed=0).fit(
            X,
            y,
            epochs=3,
            checkpoint=tmp_path / "c.npz",
            callbacks=[npdnn.callbacks.LambdaCallback(on_epoch_begin=interrupt)],
        )
    assert (tmp_path / "c.npz").exists()  # saved after the first epoch
    with pytest.raises(KeyboardInterrupt):
        npdnn.Network([5, 2, 1], seed=0).fit(
            X,
            y,
            epochs=3,
            checkpoint=tmp_path / "d.npz",
            checkpoint_every=2,
            callbacks=[npdnn.callbacks.LambdaCallback(on_epoch_begin=interrupt)],
        )
    assert not (tmp_path / "d.npz").exists()  # the first save comes after the second epoch


def test_forward_results_outside_training_are_not_overwritten_by_the_next_call():
    rng = np.random.default_rng(23)
    net = npdnn.Network([3, 4, 2, 1], seed=0)
    A1, A2 = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    Z1 = net.forward(A1)
    kept = Z1.copy()
    net.forward(A2)
    np.testing.assert_array_equal(Z1, kept)
    layer = net.dense[0]
    out1 = layer.forward(A1)
    kept = out1.copy()
    layer.forward(A2)
    np.testing.assert_array_equal(out1, kept)


def test_fast_dense_backward_defaults_keep_da_and_add_no_l2():
    rng = np.random.default_rng(24)
    fast = npdnn.Network([3, 4, 2, 1], seed=0).dense[1]  # a hidden ReLU layer
    slow = npdnn.Network([3, 4, 2, 1], seed=0, fast=False).dense[1]
    A_prev, dA = rng.standard_normal((4, 5)), rng.standard_normal((2, 5))
    fast.forward(A_prev)
    slow.forward(A_prev)
    kept = dA.copy()
    np.testing.assert_allclose(fast.backward(dA), slow.backward(kept.copy()), rtol=1e-12)
    np.testing.assert_array_equal(dA, kept)  # dA is the caller's: not overwritten by default
    np.testing.assert_allclose(fast.dW, slow.dW, rtol=1e-12)


def test_fast_layer_names_a_wrong_input_size_whatever_m():
    net = npdnn.Network([3, 4, 1], seed=0)
    with pytest.raises(ValueError, match=r"^layer 1 expects A0 of shape \(3, m\) but got \(4, m\)"):
        net.forward(np.zeros((4, 3)))  # m = 3 = n_x: only the rows tell


@pytest.mark.parametrize("order", ["C", "F"])
def test_fast_gradients_of_a_two_unit_output_match_the_textbook(order):
    rng = np.random.default_rng(25)
    X, y = rng.standard_normal((6, 3)), np.arange(6) % 2
    X = np.asfortranarray(X) if order == "F" else X
    fast, slow = npdnn.Network([3, 4, 2], seed=0), npdnn.Network([3, 4, 2], seed=0, fast=False)
    got, expected = fast.gradients(X, y), slow.gradients(X, y)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-12, atol=1e-15, err_msg=key)


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


def test_fit_early_stopping_waits_10_epochs_by_default():
    X, y = _noisy()
    history = npdnn.Network([5, 16, 1], seed=0).fit(
        X, y, optimizer="adam", learning_rate=0.05, epochs=500, early_stopping=True, seed=0
    )
    assert len(history["loss"]) - 1 - history["best_epoch"] == 10


# ---------------------------------------------------------------- estimator (whole-scope run)
def _fitted(**kw):
    from npdnn import DNNClassifier

    X, y = _noisy(m=30)
    kw = {"early_stopping": False, "l2": 0.0, **kw}  # the defaults before issue 25: 2 epochs on all 30 rows
    return DNNClassifier(hidden_layer_sizes=(3,), epochs=2, random_state=0, **kw).fit(X, y), X, y


def test_estimator_onnx_export_takes_the_opset():
    from npdnn.export.onnx import classifier_to_onnx

    est, _, _ = _fitted()
    onx = est.to_onnx(opset=15)
    assert onx.SerializeToString() == classifier_to_onnx(est, opset=15).SerializeToString()
    assert onx.SerializeToString() != est.to_onnx().SerializeToString()


def test_estimator_load_applies_max_parameters(tmp_path):
    from npdnn import DNNClassifier

    est, _, _ = _fitted()
    est.save(tmp_path / "e.npz")
    n = est.network_.theta.size
    with pytest.raises(npdnn.ModelFileError, match=rf"has {n} parameters, more than the limit {n - 1}"):
        DNNClassifier.load(tmp_path / "e.npz", max_parameters=n - 1)


def test_estimator_predicts_the_first_class_at_a_decision_value_of_zero():
    # scikit-learn's rule for binary classifiers: classes_[decision > 0]
    est, X, _ = _fitted()
    est.network_.theta[...] = 0.0
    assert (est.decision_function(X) == 0).all()
    assert (est.predict(X) == est.classes_[0]).all()


def test_estimator_network_takes_hidden_sizes_of_one_and_the_init():
    est, _, _ = _fitted(init="glorot")
    assert est.network_.layer_dims == [5, 3, 1] and est.network_.init == "glorot"
    from npdnn import DNNClassifier

    X, y = _noisy(m=30)
    assert DNNClassifier(hidden_layer_sizes=(1,), epochs=1, random_state=0).fit(X, y).network_.layer_dims == [5, 1, 1]
    with pytest.raises(
        ValueError, match=r"^hidden_layer_sizes must be a tuple of positive integers, e\.g\. \(64, 32\); got \(0,\)$"
    ):
        DNNClassifier(hidden_layer_sizes=(0,), epochs=1).fit(X, y)


@pytest.mark.filterwarnings("ignore::npdnn.TrainingWarning")  # one epoch: a one-class network is expected
def test_estimator_messages_for_classes():
    from npdnn import DNNClassifier

    X, y = _noisy(m=30)
    est = DNNClassifier(hidden_layer_sizes=(3,), epochs=1, random_state=0, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"\(set warm_start=False to train a new network\)$"):
        est.fit(X, np.where(y == 1, 2, 0))
    w = np.where(y == 1, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"; DNNClassifier needs at least two classes with positive weight to train$"):
        DNNClassifier(epochs=1).fit(X, y, sample_weight=w)
    stream = DNNClassifier(hidden_layer_sizes=(3,), random_state=0).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"; pass every label with classes= on the first partial_fit call$"):
        stream.partial_fit(X, np.where(y == 1, 2, 0))


@pytest.mark.filterwarnings("ignore::npdnn.TrainingWarning")  # one epoch: whatever the diagnostics conclude
def test_fit_hands_the_diagnostics_the_patience_and_the_weighting(monkeypatch):
    from npdnn.train import loop as training

    seen = []

    class Spy(training.FitDiagnostics):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            seen.append((self.window, self.weighted))

    monkeypatch.setattr(training, "FitDiagnostics", Spy)
    X, y = _noisy(m=12)
    npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, patience=3)
    npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=1, patience=4, sample_weight=np.ones(12))
    assert seen == [(3, False), (4, True)]


def test_estimator_fit_passes_the_checkpoint_and_starts_afresh_by_default(tmp_path):
    from npdnn import DNNClassifier

    X, y = _noisy(m=30)
    path = tmp_path / "e.npz"
    DNNClassifier(hidden_layer_sizes=(3,), epochs=2, early_stopping=False, l2=0.0, random_state=0).fit(
        X, y, checkpoint=path
    )
    assert path.exists()
    again = DNNClassifier(hidden_layer_sizes=(3,), epochs=3, random_state=0).fit(X + 1.0, y, checkpoint=path)
    assert len(again.loss_curve_) == 3  # another run's checkpoint is overwritten, not resumed


def test_estimator_standardization_gives_a_constant_feature_scale_1():
    from npdnn import DNNClassifier

    X, y = _noisy(m=10)
    X[:, 2] = 0.1  # ten 0.1s: their float mean is not exactly 0.1, so the computed spread is not 0
    est = DNNClassifier(hidden_layer_sizes=(3,), epochs=1, random_state=0, standardize=True).fit(X, y)
    assert est.scale_[2] == 1.0


@pytest.mark.filterwarnings("ignore::npdnn.TrainingWarning")
def test_estimator_fit_hands_its_diagnostics_the_window_and_the_weighting(monkeypatch):
    from npdnn import DNNClassifier
    from npdnn.sklearn import estimator

    seen = []

    class Spy(estimator.FitDiagnostics):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            seen.append((self.window, self.tol, self.weighted, self.convergence_category))

    monkeypatch.setattr(estimator, "FitDiagnostics", Spy)
    X, y = _noisy(m=30)
    DNNClassifier(hidden_layer_sizes=(3,), epochs=1, n_iter_no_change=3, tol=1e-3).fit(X, y)
    DNNClassifier(hidden_layer_sizes=(3,), epochs=1, n_iter_no_change=4).fit(X, y, sample_weight=np.ones(30))
    DNNClassifier(hidden_layer_sizes=(3,), epochs=1, class_weight="balanced").fit(X, y)
    category = estimator.ConvergenceWarning
    assert seen == [(3, 1e-3, False, category), (4, 1e-4, True, category), (10, 1e-4, True, category)]


def test_partial_fit_standardizes_keeps_the_dtype_and_counts_samples():
    from npdnn import DNNClassifier

    X, y = _noisy(m=20)
    w = np.linspace(0.5, 2.0, 20)
    est = DNNClassifier(hidden_layer_sizes=(3,), random_state=0, standardize=True)
    est.partial_fit(X.astype(np.float32), y, classes=[0, 1], sample_weight=w)
    np.testing.assert_allclose(est.mean_, np.average(X, axis=0, weights=w), rtol=1e-5)
    assert est.network_.dtype == np.float32 and est.t_ == 20
    est.partial_fit(X[:7].astype(np.float32), y[:7])
    assert est.t_ == 27 and len(est.loss_curve_) == 2
    raw = DNNClassifier(hidden_layer_sizes=(3,), random_state=0, standardize=False).partial_fit(X, y, classes=[0, 1])
    assert raw.mean_ is None and raw.scale_ is None


def test_partial_fit_uses_the_sample_and_class_weights():
    from npdnn import DNNClassifier

    X, y = _noisy(m=20)
    kw = dict(
        hidden_layer_sizes=(3,), random_state=0, optimizer="gd", learning_rate=1e-300, early_stopping=False, l2=0.0
    )
    w = np.linspace(0.5, 2.0, 20)
    weighted = DNNClassifier(**kw).partial_fit(X, y, classes=[0, 1], sample_weight=w)
    plain = DNNClassifier(**kw).partial_fit(X, y, classes=[0, 1])
    expected = plain.network_.cost(X, y, sample_weight=w)  # the same parameters: lr ~ 0
    assert weighted.loss_curve_[0] == pytest.approx(expected, rel=1e-12)
    balanced = DNNClassifier(class_weight={0: 3.0, 1: 1.0}, **kw).partial_fit(X, y, classes=[0, 1])
    assert balanced.loss_curve_[0] == pytest.approx(
        plain.network_.cost(X, y, sample_weight=np.where(y == 0, 3.0, 1.0)), rel=1e-12
    )
