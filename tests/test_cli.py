"""The ``npdnn`` command run for real, in a subprocess: train / predict / evaluate
round trips, plots, checkpoints, and every bad input ending in one line on stderr,
exit status 2 and no file written."""

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import npdnn

FAST = ["--layers", "8", "--epochs", "20", "--batch-size", "16", "--quiet"]
METRIC = re.compile(r"^(accuracy|precision|recall|f1|roc_auc|log_loss)\s+(\S+)$", re.MULTILINE)


def npdnn_cmd(*args, cwd, timeout=120):
    env = {k: v for k, v in os.environ.items() if k != "NPDNN_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "npdnn", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def write_csv(path, n=120, n_features=3, classes=("no", "yes"), seed=0):
    """Labels from a noisy linear rule over the features, as strings or ints."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features))
    score = X @ np.linspace(1, -1, n_features) + 0.3 * rng.standard_normal(n)
    k = np.digitize(score, np.quantile(score, np.linspace(0, 1, len(classes) + 1)[1:-1]))
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(1, n_features + 1)])
    frame["label"] = np.asarray(classes)[k]
    frame.to_csv(path, index=False)
    return frame


def parse_metrics(stdout):
    return {name: float(value) for name, value in METRIC.findall(stdout)}


def sklearn_metrics(y, proba, classes, pred):
    classes = np.asarray(classes)
    if classes.size == 2:
        avg = {"pos_label": classes[1], "average": "binary", "zero_division": np.nan}
        auc = skm.roc_auc_score(y == classes[1], proba[:, 1])
    else:
        avg = {"labels": classes, "average": "macro", "zero_division": 0}
        auc = skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes)
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, **avg),
        "recall": skm.recall_score(y, pred, **avg),
        "f1": skm.f1_score(y, pred, **avg),
        "roc_auc": auc,
        "log_loss": skm.log_loss(y, proba, labels=classes),
    }


@pytest.mark.slow
def test_train_predict_evaluate_round_trip(tmp_path):
    classes = ("no", "yes")
    frame = write_csv(tmp_path / "data.csv", classes=classes)
    r = npdnn_cmd("train", "--data", "data.csv", "--target", "label", *FAST, "--out", "model.npz", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # --quiet: no progress bar, no messages
    table = r.stdout.splitlines()
    assert table[1].split() == ["metric", "train", "test"]
    assert "test confusion matrix" in r.stdout

    r = npdnn_cmd("predict", "--model", "model.npz", "--data", "data.csv", "--out", "pred.csv", "--proba", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pred = pd.read_csv(tmp_path / "pred.csv")
    assert list(pred.columns) == ["prediction"] + [f"proba_{c}" for c in classes]
    assert len(pred) == len(frame)
    assert set(pred["prediction"]) <= set(classes) and len(set(pred["prediction"])) > 1
    P = pred.iloc[:, 1:].to_numpy()
    model = npdnn.load(tmp_path / "model.npz")
    assert model.dtype_ == np.float32  # the command line's default
    assert ((P >= 0) & (P <= 1)).all()
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=np.finfo(np.float32).eps)  # p and 1 - p in float32
    np.testing.assert_array_equal(pred["prediction"], np.asarray(classes, dtype=object)[P.argmax(axis=1)])
    # The file holds exactly what the model computes in-process (float32's shortest texts, read back exactly).
    np.testing.assert_array_equal(P.astype(np.float32), model.predict_proba(frame.drop(columns="label")))

    # Columns are found by name: reordered, with an id column, predictions are the same (on stdout here).
    shuffled = frame[["label", "x3", "x1", "x2"]].assign(id=[f"r{i}" for i in range(len(frame))])
    shuffled.to_csv(tmp_path / "other.csv", index=False)
    r = npdnn_cmd("predict", "--model", "model.npz", "--data", "other.csv", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.splitlines() == ["prediction"] + [str(v) for v in pred["prediction"]]

    r = npdnn_cmd("evaluate", "--model", "model.npz", "--data", "other.csv", "--target", "label", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    printed = parse_metrics(r.stdout)
    expected = sklearn_metrics(frame["label"].to_numpy(), P.astype(np.float32), classes, pred["prediction"].to_numpy())
    assert printed.keys() == expected.keys()
    for name, value in expected.items():
        assert printed[name] == pytest.approx(value, abs=6e-7), name
    cm = skm.confusion_matrix(frame["label"], pred["prediction"], labels=list(classes))
    rows = r.stdout.splitlines()[-len(classes) :]
    assert [[int(v) for v in row.split()[1:]] for row in rows] == cm.tolist()


@pytest.mark.slow
def test_default_data_reaches_good_test_accuracy(tmp_path):
    r = npdnn_cmd("train", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    test_accuracy = float(re.search(r"^accuracy\s+\S+\s+(\S+)$", r.stdout, re.MULTILINE).group(1))
    assert test_accuracy >= 0.95
    assert "benign" in r.stdout and "malignant" in r.stdout


@pytest.mark.slow
def test_multiclass_train_and_evaluate(tmp_path):
    classes = (3, 5, 7)
    frame = write_csv(tmp_path / "data.csv", classes=classes)
    r = npdnn_cmd("train", "--data", "data.csv", "--target", "label", *FAST, "--out", "model.npz", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = npdnn_cmd("evaluate", "--model", "model.npz", "--data", "data.csv", "--target", "label", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "(macro averages)" in r.stdout
    model = npdnn.load(tmp_path / "model.npz")
    assert model.classes_.tolist() == list(classes)
    P = model.predict_proba(frame.drop(columns="label"))
    expected = sklearn_metrics(frame["label"].to_numpy(), P, classes, model.predict(frame.drop(columns="label")))
    printed = parse_metrics(r.stdout)
    assert printed.keys() == expected.keys()
    for name, value in expected.items():
        assert printed[name] == pytest.approx(value, abs=6e-7), name


def png_image(path):
    import matplotlib.image

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return matplotlib.image.imread(path)


@pytest.mark.slow
def test_plot_with_decision_boundary_for_two_features(tmp_path):
    write_csv(tmp_path / "data.csv", n_features=2)
    args = ["train", "--data", "data.csv", "--target", "label", "--layers", "8", "--epochs", "20", "--early-stopping"]
    r = npdnn_cmd(*args, "--plot", "b.png", cwd=tmp_path)  # not --quiet: messages on stderr
    assert r.returncode == 0, r.stderr
    assert "data.csv: 120 rows, 2 features, 2 classes; train 96, test 24" in r.stderr
    assert "model not saved" in r.stderr and "plot written to b.png" in r.stderr
    assert "epoch/s" not in r.stderr and "it/s" not in r.stderr  # no progress bar: stderr is not a terminal
    image = png_image(tmp_path / "b.png")
    # five panels in 2 rows of 3: loss, accuracy, ROC, calibration (two classes), decision boundary
    assert image.shape[:2] == (840, 1560)


@pytest.mark.slow
def test_training_is_deterministic_and_resume_without_checkpoint_starts_fresh(tmp_path):
    write_csv(tmp_path / "data.csv", n_features=4)
    common = ["train", "--data", "data.csv", "--target", "label", *FAST, "--seed", "3"]
    r = npdnn_cmd(*common, "--out", "a.npz", "--plot", "plots/lc.png", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    image = png_image(tmp_path / "plots" / "lc.png")
    assert image.shape[:2] == (840, 1040)  # 2 x 2 panels: loss, accuracy, ROC, calibration
    assert image[..., :3].std() > 0.05  # something drawn, not a blank canvas
    r = npdnn_cmd(*common, "--out", "b.npz", "--checkpoint", "ck/state.npz", "--resume", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "ck" / "state.npz").exists()
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    # Resuming from the finished run's checkpoint trains no further and gives the same model.
    r = npdnn_cmd(*common, "--out", "c.npz", "--checkpoint", "ck/state.npz", "--resume", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "c.npz").read_bytes()


def test_gradcheck_command(tmp_path):
    r = npdnn_cmd("gradcheck", "--layers", "4,5,3", "--activation", "tanh", "--seed", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = dict(re.findall(r"^(W\d|b\d|total)\s.*?(\S+e[-+]\d+)", r.stdout, re.MULTILINE))
    assert set(rows) == {"W1", "b1", "W2", "b2", "total"}
    assert all(float(v) < 1e-7 for v in rows.values())
    assert "ok" in r.stdout.splitlines()[-1]


@pytest.mark.slow
def test_keyboard_interrupt_exits_130_and_writes_no_model(tmp_path):
    # --l2 given: the bundled set is small, and l2="auto" would first cross-validate with 100,000 epochs a fit
    args = ["train", "--epochs", "100000", "--layers", "4", "--l2", "1", "--quiet", "--out", "m.npz"]
    args += ["--checkpoint", "ck.npz"]
    # Ctrl-C as a terminal delivers it: a runner started in the background by a shell (`make test-slow &`)
    # ignores SIGINT, the child inherits SIG_IGN across exec, and Python then leaves Ctrl-C ignored (this
    # test hung in two such CI runs). A Python handler in this process becomes SIG_DFL in the child.
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "npdnn", *args],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, outer)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "ck.npz").exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert (tmp_path / "ck.npz").exists()  # training is under way
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert stderr.splitlines() == ["npdnn: interrupted"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"]


# ------------------------------------------------------------------ bad input
GOOD = "x1,x2,label\n" + "".join(f"{i % 7},{(3 * i) % 5},{'ab'[i % 2]}\n" for i in range(20))
TRAIN = ["train", "--target", "label", "--layers", "4", "--epochs", "2", "--out", "out.npz", "--plot", "out.png"]

BAD_DATA = {
    "missing-file": (None, "data.csv: no such file"),
    "non-numeric": (GOOD + "3,abc,a\n", 'data.csv, line 22, column "x2": "abc" is not a number'),
    "infinity": (GOOD + "1,inf,b\n", 'data.csv, line 22, column "x2": "inf" is not finite'),
    "single-class": ("x1,x2,label\n1,2,a\n3,4,a\n5,6,a\n", 'data.csv, column "label" has a single class ("a")'),
    "quantity-target": (
        "x1,x2,label\n" + "".join(f"{i},{i % 3},{i * 1.37:.2f}\n" for i in range(40)),
        'data.csv, column "label" holds 40 distinct numbers with fractions in 40 rows',
    ),
    "header-only": ("x1,x2,label\n", "data.csv has a header but no data rows"),
    "empty-file": ("", "data.csv is empty; expected a header row"),
    "ragged": (GOOD + "1,2\n", "data.csv, line 22: 2 fields; expected 3 as in the header"),
    "duplicate-columns": ("x1,x1,label\n1,2,a\n3,4,b\n", 'data.csv, line 1: column name "x1" appears twice'),
    "missing-target": (
        "x1,x2,y\n1,2,a\n3,4,b\n",
        'data.csv has no target column "label"; its columns are "x1", "x2", "y"',
    ),
    "not-utf8": (b"x1,x2,label\n1,\xe9,a\n", "data.csv is not UTF-8 text"),
    # a download saved compressed under its plain name: "pass --encoding cp1252" was the advice
    "gzip-named-csv": (gzip.compress(GOOD.encode()), "data.csv is not text: its first bytes (1f 8b) start gzip-comp"),
    "directory": ("DIR", "data.csv is a directory; expected a CSV file"),
}


def assert_one_line_error(r, fragment):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert lines[0].startswith("npdnn")
    assert fragment in lines[0], lines[0]


def make_input(tmp_path, content, name="data.csv"):
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_bad_training_data(tmp_path, case):
    content, fragment = BAD_DATA[case]
    make_input(tmp_path, content)
    before = sorted(p.name for p in tmp_path.iterdir())
    r = npdnn_cmd(*TRAIN, "--data", "data.csv", cwd=tmp_path)
    assert_one_line_error(r, fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no model, plot or temporary file


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    (folder / "data.csv").write_text(GOOD)
    r = npdnn_cmd("train", "--data", "data.csv", "--target", "label", "--layers", "4", "--epochs", "3", "--quiet",
                  "--out", "model.npz", cwd=folder)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return folder / "model.npz"


BAD_PREDICT = {
    "missing-column": (GOOD.replace("x2", "x9"), None, 'data.csv has no column "x2" (needed by model MODEL)'),
    "bad-cell": (GOOD + "1,abc,a\n", None, 'data.csv, line 22, column "x2": "abc" is not a number'),
    "missing-cell": (GOOD + "1,?,a\n", None, 'data.csv, column "x2" has 1 missing value(s) (the first in data row 21)'),
    "missing-data": (None, None, "data.csv: no such file"),
    "corrupt-model": (GOOD, b"PK\x03\x04" + b"\x00" * 60, "bad.npz is truncated or corrupted"),
    "foreign-model": (GOOD, b"hello, world", "bad.npz is not an npdnn model file"),
    "empty-model": (GOOD, b"", "bad.npz is empty (0 bytes)"),
    "pickle-model": (GOOD, b"\x80\x04\x95\x00", "bad.npz is a Python pickle, which npdnn never loads"),
    "directory-model": (GOOD, "DIR", "bad.npz is a directory"),
    "missing-model": (GOOD, None, "nope.npz: no such file"),
}


@pytest.mark.parametrize("case", list(BAD_PREDICT))
def test_bad_prediction_input(tmp_path, trained, case):
    data, model_bytes, fragment = BAD_PREDICT[case]
    make_input(tmp_path, data)
    model = trained
    if model_bytes is not None:
        make_input(tmp_path, model_bytes, "bad.npz")
        model = "bad.npz"
    elif case == "missing-model":
        model = "nope.npz"
    before = sorted(p.name for p in tmp_path.iterdir())
    r = npdnn_cmd("predict", "--model", model, "--data", "data.csv", "--out", "pred.csv", cwd=tmp_path)
    assert_one_line_error(r, fragment.replace("MODEL", str(trained)))
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_truncated_model(tmp_path, trained):
    (tmp_path / "data.csv").write_text(GOOD)
    (tmp_path / "cut.npz").write_bytes(trained.read_bytes()[:500])
    r = npdnn_cmd("predict", "--model", "cut.npz", "--data", "data.csv", "--out", "pred.csv", cwd=tmp_path)
    assert_one_line_error(r, "cut.npz is truncated or corrupted")
    assert not (tmp_path / "pred.csv").exists()


def test_bare_network_file_is_refused_clearly(tmp_path):
    npdnn.Network([2, 3, 1], seed=0).save(tmp_path / "net.npz")
    (tmp_path / "data.csv").write_text(GOOD)
    r = npdnn_cmd("predict", "--model", "net.npz", "--data", "data.csv", "--out", "pred.csv", cwd=tmp_path)
    assert_one_line_error(r, "net.npz holds a bare Network (Network.save); this command needs a classifier")
    assert not (tmp_path / "pred.csv").exists()


def test_version(tmp_path):
    r = npdnn_cmd("--version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"npdnn {npdnn.__version__}"


def test_feature_count_mismatch_for_a_model_without_names(tmp_path):
    from npdnn import DNNClassifier

    X = np.random.default_rng(0).standard_normal((20, 3))
    DNNClassifier(hidden_layer_sizes=(3,), epochs=2, random_state=0).fit(X, np.arange(20) % 2).save(tmp_path / "m.npz")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n3,4\n")
    r = npdnn_cmd("predict", "--model", "m.npz", "--data", "data.csv", cwd=tmp_path)
    assert_one_line_error(r, "data.csv has 2 feature columns; m.npz expects 3")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (GOOD + "1,2,c\n", 'data.csv, column "label": label "c" is not one of the model\'s classes ("a", "b")'),
        (GOOD + "1,2,B.\n", 'label "B." is not one of the model\'s classes ("a", "b") (written "b" in the training'),
        (GOOD.replace("label", "target"), 'data.csv has no target column "label"'),
        ("x1,x2,label\n1,2,\n3,4,NA\n", 'data.csv, column "label" holds no label (every cell is empty or a missing'),
    ],
    ids=["unknown-label", "near-label", "missing-target", "no-label"],
)
def test_bad_evaluation_input(tmp_path, trained, content, fragment):
    (tmp_path / "data.csv").write_text(content)
    r = npdnn_cmd("evaluate", "--model", trained, "--data", "data.csv", "--target", "label", cwd=tmp_path)
    assert_one_line_error(r, fragment)
    assert r.stdout == ""


def test_evaluate_leaves_out_rows_without_a_label(tmp_path, trained):
    """Two unlabeled rows (empty, NA) among labeled ones: the same metrics as on the labeled rows alone,
    and one warning line naming the first and the count."""
    evaluate = ["evaluate", "--model", trained, "--target", "label", "--json"]
    (tmp_path / "good.csv").write_text(GOOD)
    (tmp_path / "data.csv").write_text(
        GOOD[: GOOD.index("\n") + 1] + "1,2,\n" + GOOD[GOOD.index("\n") + 1 :] + "3,4,NA\n"
    )
    clean = npdnn_cmd(*evaluate, "--data", "good.csv", cwd=tmp_path)
    r = npdnn_cmd(*evaluate, "--data", "data.csv", cwd=tmp_path)
    assert clean.returncode == 0 and r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [
        'npdnn: warning: data.csv, line 2, column "label" has no label (empty): the 2 rows without one are left out'
    ]
    report, expected = json.loads(r.stdout), json.loads(clean.stdout)
    assert report["metrics"] == expected["metrics"] and report["rows"] == expected["rows"] == 20


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--epochs", "-1"], "argument --epochs: expected a positive integer; got '-1'"),
        (["--epochs", "2.5"], "argument --epochs: expected a positive integer; got '2.5'"),
        (["--dropout", "1.5"], "argument --dropout: expected a number in [0, 1); got '1.5'"),
        (["--optimizer", "adamw"], "argument --optimizer: invalid choice: 'adamw'"),
        (["--dtype", "float16"], "argument --dtype: invalid choice: 'float16' (choose from 'float32', 'float64')"),
        (["--layers", "64,,32"], "argument --layers: expected comma-separated positive integers"),
        (["--layers", "0"], "argument --layers: expected comma-separated positive integers"),
        (["--learning-rate", "nan"], "argument --learning-rate: expected a number > 0; got 'nan'"),
        (["--l2", "-0.1"], "argument --l2: expected 'auto' or a number >= 0; got '-0.1'"),
        (["--l2", "Auto"], "argument --l2: expected 'auto' or a number >= 0; got 'Auto'"),
        (["--batch-size", "0"], "argument --batch-size: expected 'auto' or a positive integer; got '0'"),
        (["--test-size", "1"], "argument --test-size: expected a fraction in [0, 1) (0: train on every row)"),
        (["--resume"], "--resume needs --checkpoint PATH"),
        (["--target", "y"], "--data FILE.csv and --target COLUMN go together"),
        (["--out", "."], "--out . is a directory; expected a file path"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_invalid_options(tmp_path, args, fragment):
    r = npdnn_cmd("train", *args, cwd=tmp_path)
    assert_one_line_error(r, fragment)
    assert list(tmp_path.iterdir()) == []


def test_test_split_too_small(tmp_path):
    (tmp_path / "data.csv").write_text("x,label\n1,a\n2,a\n3,b\n4,b\n")
    r = npdnn_cmd("train", "--data", "data.csv", "--target", "label", "--test-size", "0.1", cwd=tmp_path)
    assert_one_line_error(r, "--test-size 0.1 of 4 rows gives 1 test and 3 training rows")


def test_plot_training_multiclass_boundary_in_process(tmp_path):
    from npdnn.cli.plots import plot_training

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    y = np.array(["r", "g", "b"], dtype=object)[np.arange(60) % 3]

    def predict_proba(grid):  # (k, 2) -> (k, 3): a fixed softmax, enough to draw regions
        Z = grid @ np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]])
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)

    curves = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.4], "val_accuracy": [0.5, 0.7, 0.8]}
    boundary = {"predict_proba": predict_proba, "X": X, "y": y, "classes": ["b", "g", "r"], "feature_names": ["p", "q"]}
    plot_training(tmp_path / "p.png", curves, boundary, {"train": 0.9, "test": 0.85})
    assert png_image(tmp_path / "p.png").shape[:2] == (420, 1560)  # loss, accuracy, boundary
    plot_training(tmp_path / "q.png", {"loss": [0.5, 0.4]})
    assert png_image(tmp_path / "q.png").shape[:2] == (420, 520)  # loss only: one panel
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png", "q.png"]  # no temporary file left
