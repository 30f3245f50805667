"""Callbacks: each built-in, plain functions, state through a checkpoint, custom metrics."""

import numpy as np
import pytest

import npdnn
from npdnn.train.callbacks import Callback, EarlyStopping, History, LambdaCallback, as_callback
from npdnn.train.checkpoint import ModelCheckpoint

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
