"""Checkpoints: an interrupted fit resumed from its checkpoint ends bit-identical to an
uninterrupted one; files are refused clearly when foreign, corrupt or pickled."""

import io
import pickle

import numpy as np
import pytest

import npdnn

from conftest import make_data

KW = dict(optimizer="adam", learning_rate=0.01, batch_size=7, dropout=0.2, seed=5, lr_schedule="plateau")


class Killed(Exception):
    pass


class KillAfter:
    """Interrupts the run after epoch n, like a kill (a stop asked by a callback would be final)."""

    def __init__(self, n):
        self.n = n

    def on_epoch_end(self, epoch, logs):
        if epoch + 1 >= self.n:
            raise Killed


@pytest.mark.parametrize("validation", [False, True])
def test_resume_is_bit_identical(tmp_path, validation):
    X, y = make_data(30, 4)
    extra = {"early_stopping": True, "patience": 50} if validation else {}
    full = npdnn.Network([4, 6, 5, 1], seed=1)
    h_full = full.fit(X, y, epochs=12, **KW, **extra)

    path = tmp_path / "run.ckpt"
    first = npdnn.Network([4, 6, 5, 1], seed=1)
    with pytest.raises(Killed):
        first.fit(X, y, epochs=12, checkpoint=path, callbacks=[KillAfter(5)], **KW, **extra)  # "killed" at 5
    resumed = npdnn.Network([4, 6, 5, 1], seed=1)
    h_resumed = resumed.fit(X, y, epochs=12, checkpoint=path, resume=True, **KW, **extra)
    np.testing.assert_array_equal(resumed.theta, full.theta)
    assert h_resumed == h_full


def test_resume_without_checkpoint_starts_fresh(tmp_path):
    X, y = make_data(20, 3)
    a, b = npdnn.Network([3, 4, 1], seed=0), npdnn.Network([3, 4, 1], seed=0)
    ha = a.fit(X, y, epochs=4, seed=0, checkpoint=tmp_path / "none.ckpt", resume=True)
    hb = b.fit(X, y, epochs=4, seed=0)
    assert ha == hb and (tmp_path / "none.ckpt").exists()


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", r"is empty \(0 bytes\)"),
        (pickle.dumps({"a": 1}), r"is a Python pickle, which npdnn never loads"),
        (b"hello world", r"is not an npdnn checkpoint file \(unknown format"),
    ],
)
def test_bad_checkpoint_files(tmp_path, content, match):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(content)
    X, y = make_data(10, 3)
    with pytest.raises(npdnn.ModelFileError, match=match):
        npdnn.Network([3, 1], seed=0).fit(X, y, epochs=2, checkpoint=path, resume=True)


def test_truncated_and_pickled_archives_are_refused(tmp_path):
    X, y = make_data(10, 3)
    path = tmp_path / "ok.ckpt"
    npdnn.Network([3, 1], seed=0).fit(X, y, epochs=2, checkpoint=path)
    data = path.read_bytes()
    (tmp_path / "cut.ckpt").write_bytes(data[: len(data) // 2])
    with pytest.raises(npdnn.ModelFileError, match="truncated or corrupted"):
        npdnn.Network([3, 1], seed=0).fit(X, y, epochs=2, checkpoint=tmp_path / "cut.ckpt", resume=True)
    buf = io.BytesIO()
    np.savez(buf, __meta__=np.frombuffer(b"{}", np.uint8), theta=np.array([object()], dtype=object))
    (tmp_path / "obj.ckpt").write_bytes(buf.getvalue())
    with pytest.raises(npdnn.ModelFileError, match="pickled object array"):
        npdnn.Network([3, 1], seed=0).fit(X, y, epochs=2, checkpoint=tmp_path / "obj.ckpt", resume=True)


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    X, y = make_data(10, 3)
    path = tmp_path / "a.ckpt"
    npdnn.Network([3, 2, 1], seed=0).fit(X, y, epochs=1, checkpoint=path)
    with pytest.raises(npdnn.ModelFileError, match=r"network \[3, 2, 1\].*this run trains \[3, 4, 1\]"):
        npdnn.Network([3, 4, 1], seed=0).fit(X, y, epochs=2, checkpoint=path, resume=True)


def test_verbose_shows_a_progress_bar(capsys):
    X, y = make_data(10, 3)
    npdnn.Network([3, 2, 1], seed=0).fit(X, y, epochs=3, verbose=True)
    # tqdm hides itself off a terminal (disable=None), so drive it explicitly:
    from npdnn.callbacks import ProgressBar

    out = io.StringIO()
    npdnn.Network([3, 2, 1], seed=0).fit(X, y, epochs=3, callbacks=[ProgressBar(3, file=out, disable=False)])
    assert "3/3" in out.getvalue() and "loss=" in out.getvalue()


def _noisy(seed=19, m=60):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, 5)), rng.integers(0, 2, m)


def test_a_checkpoint_path_of_another_run_is_overwritten_unless_resuming(tmp_path):
    X, y = _noisy(m=12)
    path = tmp_path / "c.npz"
    npdnn.Network([5, 2, 1], seed=0).fit(X, y, epochs=2, checkpoint=path)
    assert path.exists()  # written after the first epoch (checkpoint_every=1)
    history = npdnn.Network([5, 2, 1], seed=0).fit(X + 1.0, y, epochs=3, checkpoint=path)
    assert len(history["loss"]) == 3


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
