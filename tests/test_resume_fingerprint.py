"""A checkpoint knows its run: resuming with other data, layers or options is refused
with a message naming what differs; a finished or stopped run is not trained on."""

import numpy as np
import pytest

import npdnn

from conftest import make_data

pytestmark = pytest.mark.numerics  # BLAS-kernel dependent: CI reruns it with OPENBLAS_CORETYPE=Haswell

KW = dict(optimizer="adam", learning_rate=0.01, batch_size=8, seed=2)


@pytest.fixture
def ckpt(tmp_path):
    X, y = make_data(40, 3)
    path = tmp_path / "run.npz"
    npdnn.Network([3, 4, 1], seed=0).fit(X, y, epochs=5, checkpoint=path, **KW)
    return path, X, y


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda X, y, kw: (X + 1e-9, y, kw), r"data: checkpoint .*this run"),
        (lambda X, y, kw: (X, 1 - y, kw), r"data: checkpoint"),
        (lambda X, y, kw: (X[:-1], y[:-1], kw), r"data: checkpoint '\(40, 3\) float64 .*this run '\(39, 3\)"),
        (lambda X, y, kw: (X, y, {**kw, "learning_rate": 0.02}), r"learning_rate: checkpoint 0.01, this run 0.02"),
        (lambda X, y, kw: (X, y, {**kw, "batch_size": 9}), r"batch_size: checkpoint 8, this run 9"),
        (lambda X, y, kw: (X, y, {**kw, "seed": 3}), r"seed: checkpoint 2, this run 3"),
        (lambda X, y, kw: (X, y, {**kw, "l2": 0.1}), r"l2: checkpoint 0.0, this run 0.1"),
        (lambda X, y, kw: (X, y, {**kw, "sample_weight": np.ones(40)}), r"data: checkpoint"),
        (
            lambda X, y, kw: (X, y, {**kw, "optimizer": npdnn.optimizers.Adam(0.01, beta1=0.8)}),
            r"optimizer: checkpoint \"Adam \{'beta1': 0.9.*this run \"Adam \{'beta1': 0.8",
        ),
        (lambda X, y, kw: (X, y, {**kw, "lr_schedule": "cosine"}), r"lr_schedule: checkpoint"),
    ],
)
def test_a_different_run_is_refused(ckpt, change, match):
    path, X, y = ckpt
    X2, y2, kw = change(X, y, KW)
    with pytest.raises(npdnn.ModelFileError, match=r"belongs to a different run \(.*" + match):
        npdnn.Network([3, 4, 1], seed=0).fit(X2, y2, epochs=8, checkpoint=path, resume=True, **kw)


def test_same_data_in_another_layout_is_the_same_run(ckpt):
    path, X, y = ckpt
    npdnn.Network([3, 4, 1], seed=0).fit(np.asfortranarray(X), y, epochs=6, checkpoint=path, resume=True, **KW)


def test_other_layers_are_refused(ckpt):
    path, X, y = ckpt
    with pytest.raises(
        npdnn.ModelFileError, match=r"network \[3, 4, 1\] \(relu, float64\); this run trains \[3, 5, 1\]"
    ):
        npdnn.Network([3, 5, 1], seed=0).fit(X, y, epochs=8, checkpoint=path, resume=True, **KW)


def test_force_resumes_anyway(ckpt):
    path, X, y = ckpt
    h = npdnn.Network([3, 4, 1], seed=0).fit(X, y, epochs=7, checkpoint=path, resume="force", **{**KW, "l2": 0.1})
    assert len(h["loss"]) == 7


def test_a_checkpoint_further_along_than_asked_is_refused_honestly(ckpt):
    path, X, y = ckpt
    with pytest.raises(npdnn.ModelFileError, match=r"has already run 5 epochs, more than the 3 asked for"):
        npdnn.Network([3, 4, 1], seed=0).fit(X, y, epochs=3, checkpoint=path, resume=True, **KW)


def test_a_finished_run_resumes_to_itself_and_more_epochs_extend_it(ckpt, tmp_path):
    path, X, y = ckpt
    done = npdnn.Network([3, 4, 1], seed=0)
    h = done.fit(X, y, epochs=5, checkpoint=path, resume=True, **KW)
    reference = npdnn.Network([3, 4, 1], seed=0)
    h_ref = reference.fit(X, y, epochs=5, **KW)
    assert h == h_ref
    np.testing.assert_array_equal(done.theta, reference.theta)
    longer = npdnn.Network([3, 4, 1], seed=0)
    assert len(longer.fit(X, y, epochs=9, checkpoint=path, resume=True, **KW)["loss"]) == 9


def test_a_run_that_stopped_early_does_not_train_on(tmp_path):
    X, y = make_data(60, 3)
    kw = dict(KW, early_stopping=True, patience=1, epochs=200)
    path = tmp_path / "es.npz"
    first = npdnn.Network([3, 4, 1], seed=0)
    h1 = first.fit(X, y, checkpoint=path, **kw)
    assert len(h1["loss"]) < 200
    again = npdnn.Network([3, 4, 1], seed=0)
    h2 = again.fit(X, y, checkpoint=path, resume=True, **kw)
    assert h2 == h1
    np.testing.assert_array_equal(again.theta, first.theta)


def test_an_old_format_checkpoint_is_refused_clearly(tmp_path):
    from npdnn.files.archive import write_archive

    path = tmp_path / "old.npz"
    write_archive(path, {"theta": np.zeros(21)}, {"epoch": 3}, "checkpoint", 1)
    X, y = make_data(20, 3)
    with pytest.raises(npdnn.ModelFileError, match=r"format version 1, written by an older npdnn.*delete it"):
        npdnn.Network([3, 4, 1], seed=0).fit(X, y, epochs=4, checkpoint=path, resume=True)


@pytest.mark.slow
def test_cli_resume_on_another_file_exits_2_with_one_line(tmp_path):
    # The reported case: a checkpoint of a 20-epoch run on one file, resumed with --epochs 12 on another.
    from test_cli import FAST, npdnn_cmd, write_csv

    write_csv(tmp_path / "a.csv", seed=0)
    write_csv(tmp_path / "b.csv", seed=1)
    common = [*FAST[:2], "--batch-size", "16", "--quiet", "--checkpoint", "st.npz"]
    first = npdnn_cmd("train", "--data", "a.csv", "--target", "label", "--epochs", "20", *common, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    r = npdnn_cmd("train", "--data", "b.csv", "--target", "label", "--epochs", "20", *common, "--resume", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "st.npz belongs to a different run (data: checkpoint" in r.stderr and "--resume-anyway" in r.stderr
    r = npdnn_cmd("train", "--data", "a.csv", "--target", "label", "--epochs", "12", *common, "--resume", cwd=tmp_path)
    assert r.returncode == 2 and "has already run 20 epochs, more than the 12 asked for" in r.stderr
    r = npdnn_cmd(
        "train", "--data", "b.csv", "--target", "label", "--epochs", "22", *common, "--resume-anyway", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr


def _noisy(seed=19, m=60):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, 5)), rng.integers(0, 2, m)


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


def test_a_stopped_run_records_the_epochs_it_ran(tmp_path):
    X, y = _noisy()
    kw = dict(optimizer="adam", learning_rate=0.05, early_stopping=True, patience=3, seed=0, checkpoint=tmp_path / "c")
    n = len(npdnn.Network([5, 16, 1], seed=0).fit(X, y, epochs=200, **kw)["loss"])
    assert n < 200
    again = npdnn.Network([5, 16, 1], seed=0).fit(X, y, epochs=n, resume=True, **kw)
    assert len(again["loss"]) == n
    with pytest.raises(npdnn.ModelFileError, match=rf"has already run {n} epochs, more than the {n - 1} asked for"):
        npdnn.Network([5, 16, 1], seed=0).fit(X, y, epochs=n - 1, resume=True, **kw)


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
