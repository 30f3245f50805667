"""Callbacks: each built-in, plain functions, state through a checkpoint, custom metrics."""

import numpy as np
import pytest

import npdnn
from npdnn.callbacks import Callback, EarlyStopping, History, LambdaCallback, ModelCheckpoint
from npdnn.train.callbacks import as_callback

from conftest import make_data


class Killed(Exception):
    pass


def test_hooks_run_in_order_with_the_run_set():
    X, y = make_data(30, 3)
    calls = []

    class Spy(Callback):
        def on_train_begin(self, net):
            calls.append(("begin", self.run.net is net, self.run.epochs))

        def on_epoch_begin(self, epoch):
            calls.append(("epoch_begin", epoch))

        def on_epoch_end(self, epoch, logs):
            calls.append(("epoch_end", epoch, sorted(logs)))

        def on_train_end(self, net, history):
            calls.append(("end", len(history["loss"])))

    npdnn.Network([3, 2, 1], seed=0).fit(X, y, epochs=2, callbacks=[Spy()])
    assert calls == [
        ("begin", True, 2),
        ("epoch_begin", 0),
        ("epoch_end", 0, ["loss", "lr"]),
        ("epoch_begin", 1),
        ("epoch_end", 1, ["loss", "lr"]),
        ("end", 2),
    ]


def test_a_plain_function_is_a_callback_and_can_stop():
    X, y = make_data(30, 3)
    seen = []

    def stop_at_three(epoch, logs):
        seen.append(logs["loss"])
        return epoch == 2

    history = npdnn.Network([3, 2, 1], seed=0).fit(X, y, epochs=10, callbacks=[stop_at_three])
    assert len(history["loss"]) == 3 and seen == history["loss"]


def test_old_style_objects_and_junk():
    class OnlyEnd:
        def on_epoch_end(self, epoch, logs):
            return True

    assert isinstance(as_callback(OnlyEnd()), LambdaCallback)
    X, y = make_data(30, 3)
    assert len(npdnn.Network([3, 1], seed=0).fit(X, y, epochs=5, callbacks=[OnlyEnd()])["loss"]) == 1
    with pytest.raises(TypeError, match=r"callbacks must be npdnn.callbacks.Callback objects or functions.*int"):
        npdnn.Network([3, 1], seed=0).fit(X, y, epochs=1, callbacks=[3])


def test_history_callback_records_every_key():
    h = {}
    cb = History(h)
    cb.on_epoch_end(0, {"loss": 1.0, "x": 2})
    cb.on_epoch_end(1, {"loss": 0.5, "x": 3})
    assert h == {"loss": [1.0, 0.5], "x": [2, 3]}


def test_stop_on_a_custom_metric_computed_by_another_callback():
    # A user's callback adds "val_auc" to the logs; EarlyStopping after it monitors that metric (max).
    X, y = make_data(80, 4)
    Xv, yv = make_data(40, 4, seed=1)
    scores = iter([0.6, 0.7, 0.65, 0.69, 0.7, 0.9, 0.95])

    def add_auc(epoch, logs):
        logs["val_auc"] = next(scores)

    stop = EarlyStopping(monitor="val_auc", patience=3, restore_best=False)
    net = npdnn.Network([4, 3, 1], seed=0)
    h = net.fit(X, y, epochs=7, validation_data=(Xv, yv), callbacks=[add_auc, stop])
    # best 0.7 at epoch 1; 0.65, 0.69 and 0.7 (not better) -> stop after epoch 4
    assert len(h["loss"]) == 5 and h["val_auc"] == [0.6, 0.7, 0.65, 0.69, 0.7]
    assert h["best_epoch"] == 1 and stop.mode == "max"


def test_early_stopping_restores_the_best_parameters():
    X, y = make_data(60, 4)
    values = iter([3.0, 1.0, 2.0, 2.5])
    thetas = []

    def fake_loss(epoch, logs):
        logs["score"] = next(values)
        thetas.append(net.theta.copy())

    net = npdnn.Network([4, 3, 1], seed=0)
    net.fit(X, y, epochs=4, callbacks=[fake_loss, EarlyStopping("score", mode="min", patience=5)])
    np.testing.assert_array_equal(net.theta, thetas[1])


def test_early_stopping_errors_name_the_problem():
    X, y = make_data(30, 3)
    with pytest.raises(ValueError, match=r"EarlyStopping monitors 'val_f1', but the epoch logs hold \['loss', 'lr'\]"):
        npdnn.Network([3, 1], seed=0).fit(X, y, epochs=2, callbacks=[EarlyStopping("val_f1")])
    with pytest.raises(ValueError, match=r"mode must be 'min', 'max' or 'auto'; got 'up'"):
        EarlyStopping(mode="up")


class Counter(Callback):
    """A user callback with state: counts the epochs it saw, across a resume."""

    def __init__(self, kill_at=None):
        self.seen, self.kill_at = 0, kill_at

    def on_epoch_end(self, epoch, logs):
        self.seen += 1
        logs["seen"] = self.seen
        if self.kill_at is not None and epoch + 1 == self.kill_at:
            raise Killed

    def state_dict(self):
        return {"seen": self.seen, "weights": np.arange(3.0) * self.seen}

    def load_state_dict(self, state):
        self.seen = state["seen"]
        np.testing.assert_array_equal(state["weights"], np.arange(3.0) * self.seen)  # arrays travel too


def test_callback_state_round_trips_through_a_checkpoint(tmp_path):
    X, y = make_data(40, 3)
    kw = dict(optimizer="adam", epochs=8, batch_size=8, seed=1, early_stopping=True, patience=100)
    full = npdnn.Network([3, 4, 1], seed=0)
    h_full = full.fit(X, y, callbacks=[Counter()], **kw)
    path = tmp_path / "ck.npz"
    with pytest.raises(Killed):
        npdnn.Network([3, 4, 1], seed=0).fit(X, y, callbacks=[Counter(kill_at=5)], checkpoint=path, **kw)
    resumed = npdnn.Network([3, 4, 1], seed=0)
    counter = Counter()
    h_resumed = resumed.fit(X, y, callbacks=[counter], checkpoint=path, resume=True, **kw)
    assert counter.seen == 8 and h_resumed["seen"] == list(range(1, 9))
    assert h_resumed == h_full
    np.testing.assert_array_equal(resumed.theta, full.theta)


def test_early_stopping_state_survives_a_resume_after_the_best_epoch(tmp_path):
    # Interrupted after the best epoch: the resumed run must still restore that epoch's parameters.
    X, y = make_data(60, 4)
    scores = [5.0, 1.0, 2.0, 3.0, 4.0, 6.0]
    kw = dict(epochs=6, seed=0)

    def run(callbacks, **more):
        it = iter(scores[len(more.get("skip", [])) :])

        def score(epoch, logs):
            logs["score"] = scores[epoch] if "resume" in more else next(it)

        net = npdnn.Network([4, 3, 1], seed=0)
        more.pop("skip", None)
        net.fit(X, y, callbacks=[score, EarlyStopping("score", patience=10), *callbacks], **kw, **more)
        return net

    full = run([])
    path = tmp_path / "es.npz"

    def kill(epoch, logs):
        if epoch == 3:
            raise Killed

    with pytest.raises(Killed):
        run([kill], checkpoint=path)
    resumed = run([], checkpoint=path, resume=True)
    np.testing.assert_array_equal(resumed.theta, full.theta)


def test_model_checkpoint_save_best_only(tmp_path):
    X, y = make_data(40, 3)
    values = iter([3.0, 1.0, 2.0, 0.5, 0.7])
    saved = []

    def score(epoch, logs):
        logs["score"] = next(values)

    class Spy(ModelCheckpoint):
        def save(self, epochs_done, stopped=False):
            saved.append(epochs_done)
            super().save(epochs_done, stopped)

    cb = Spy(tmp_path / "best.npz", save_best_only=True, monitor="score")
    npdnn.Network([3, 2, 1], seed=0).fit(X, y, epochs=5, callbacks=[score, cb])
    assert saved == [1, 2, 4] and (tmp_path / "best.npz").exists()


def _noisy(seed=19, m=60):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, 5)), rng.integers(0, 2, m)


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


def test_early_stopping_state_stores_the_best_loss_as_a_number_and_infinity_as_a_string():
    es = npdnn.callbacks.EarlyStopping()
    assert es.state_dict() == {"best": "inf", "best_epoch": -1, "wait": 0}  # JSON has no infinity
    es.run = npdnn.callbacks.Run(npdnn.Network([2, 1], seed=0), None, None, None, 1)
    es.on_epoch_end(0, {"loss": 0.25})
    state = es.state_dict()
    assert state["best"] == 0.25 and type(state["best"]) is float


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


def test_early_stopping_without_restore_best_keeps_the_last_parameters():
    X, y = _noisy()
    kw = dict(optimizer="adam", learning_rate=0.05, epochs=200, early_stopping=True, patience=3, seed=0)
    last, best = npdnn.Network([5, 16, 1], seed=0), npdnn.Network([5, 16, 1], seed=0)
    history = last.fit(X, y, restore_best=False, **kw)
    best.fit(X, y, **kw)
    assert history["best_epoch"] < len(history["loss"]) - 1  # it stopped after its best epoch
    assert not np.array_equal(last.theta, best.theta)


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


def test_fit_early_stopping_waits_10_epochs_by_default():
    X, y = _noisy()
    history = npdnn.Network([5, 16, 1], seed=0).fit(
        X, y, optimizer="adam", learning_rate=0.05, epochs=500, early_stopping=True, seed=0
    )
    assert len(history["loss"]) - 1 - history["best_epoch"] == 10
