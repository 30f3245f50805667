"""The command line for scripts, through the real ``npdnn`` command in a subprocess:
--json, evaluate --quiet, --threshold, --pos-label, --class-weight, --test-size 0,
``npdnn info``, gradcheck --hidden (and --layers), training warnings as one line."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from test_cli import npdnn_cmd, write_csv


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model on a home-made CSV with string labels, and a labelled test CSV."""
    folder = tmp_path_factory.mktemp("scripting")
    write_csv(folder / "train.csv", n=160, seed=0)
    write_csv(folder / "test.csv", n=60, seed=1)
    r = npdnn_cmd(
        "train", "--data", "train.csv", "--target", "label", "--layers", "6", "--epochs", "40",
        "--out", "m.npz", "--quiet", cwd=folder,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return folder


def read_proba(folder, *extra):
    r = npdnn_cmd("predict", "--model", "m.npz", "--data", "test.csv", "--proba", *extra, cwd=folder)
    assert r.returncode == 0, r.stderr
    rows = [line.split(",") for line in r.stdout.splitlines()]
    header, body = rows[0], rows[1:]
    assert header == ["prediction", "proba_no", "proba_yes"]
    return np.array([b[0] for b in body]), np.array([[float(v) for v in b[1:]] for b in body])


def true_labels(folder):
    lines = (folder / "test.csv").read_text().splitlines()
    col = lines[0].split(",").index("label")
    return np.array([line.split(",")[col] for line in lines[1:]])


def test_evaluate_json_to_stdout_matches_sklearn(trained):
    r = npdnn_cmd("evaluate", "--model", "m.npz", "--data", "test.csv", "--target", "label", "--json", cwd=trained)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)  # stdout is the JSON document only
    y = true_labels(trained)
    pred, proba = read_proba(trained)
    assert report["rows"] == len(y) and report["positive_class"] == "yes" and report["threshold"] is None
    m = report["metrics"]
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["recall"] == pytest.approx(skm.recall_score(y, pred, pos_label="yes"))
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "yes", proba[:, 1]))
    cm = report["confusion_matrix"]
    assert cm["labels"] == ["no", "yes"]
    assert cm["matrix"] == skm.confusion_matrix(y, pred, labels=["no", "yes"]).tolist()


def test_metrics_without_a_positive_row_or_prediction_are_undefined_not_zero():
    """New data of the negative class only, all predicted negative (R's koch data, split in
    file order): recall (0 of 0 positives found) and precision (0 of 0 predictions right)
    are undefined, as ROC AUC is; they were reported as 0.0, a model that misses every positive."""
    from npdnn.cli.report import metrics

    y = np.array(["no"] * 5)
    proba = np.tile([0.9, 0.1], (5, 1))
    m, _ = metrics(y, proba, ["no", "yes"])
    assert m["accuracy"] == 1.0 and all(np.isnan(m[k]) for k in ("precision", "recall", "f1", "roc_auc"))
    m, _ = metrics(np.array(["no", "yes", "no"]), np.tile([0.9, 0.1], (3, 1)), ["no", "yes"])
    assert m["recall"] == 0.0 and np.isnan(m["precision"])  # a positive row missed; no positive predicted
    y3 = np.array(["a", "a", "b", "b"])  # more classes: scikit-learn's macro average, an undefined class as 0
    m, _ = metrics(y3, np.tile([0.6, 0.3, 0.1], (4, 1)), ["a", "b", "c"])  # only "a" predicted; "c" nowhere
    assert m["precision"] == pytest.approx(0.5 / 3) and m["recall"] == pytest.approx(1 / 3)


def test_evaluate_reports_undefined_metrics_as_null(trained):
    lines = (trained / "test.csv").read_text().splitlines()
    col = lines[0].split(",").index("label")
    (trained / "only_no.csv").write_text("\n".join([lines[0]] + [s for s in lines[1:] if s.split(",")[col] == "no"]))
    r = npdnn_cmd("evaluate", "--model", "m.npz", "--data", "only_no.csv", "--target", "label", "--json", cwd=trained)
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)["metrics"]
    assert m["recall"] is None and m["roc_auc"] is None  # no positive row: undefined
    assert m["precision"] == 0.0 < m["accuracy"]  # some rows predicted positive, all wrongly: defined


def test_evaluate_quiet_with_json_file(trained):
    r = npdnn_cmd(
        "evaluate", "--model", "m.npz", "--data", "test.csv", "--target", "label", "--quiet",
        "--json", "out/metrics.json", cwd=trained,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    report = json.loads((trained / "out" / "metrics.json").read_text())
    assert set(report["metrics"]) == {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"}
    r = npdnn_cmd("evaluate", "--model", "m.npz", "--data", "test.csv", "--target", "label", "--quiet", cwd=trained)
    assert r.returncode == 0 and r.stdout == ""


def test_threshold_and_pos_label(trained):
    y = true_labels(trained)
    _, proba = read_proba(trained)
    pred, _ = read_proba(trained, "--threshold", "0.9")
    np.testing.assert_array_equal(pred, np.where(proba[:, 1] >= 0.9, "yes", "no"))
    pred, _ = read_proba(trained, "--threshold", "0.9", "--pos-label", "no")
    np.testing.assert_array_equal(pred, np.where(proba[:, 0] >= 0.9, "no", "yes"))
    r = npdnn_cmd(
        "evaluate", "--model", "m.npz", "--data", "test.csv", "--target", "label", "--json",
        "--threshold", "0.9", "--pos-label", "no", cwd=trained,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    expected = np.where(proba[:, 0] >= 0.9, "no", "yes")
    assert report["positive_class"] == "no" and report["threshold"] == 0.9
    precision = skm.precision_score(y, expected, pos_label="no", zero_division=np.nan)
    assert (
        (report["metrics"]["precision"] is None)
        if np.isnan(precision)
        else report["metrics"]["precision"] == (pytest.approx(precision))
    )
    assert report["metrics"]["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "no", proba[:, 0]))
    r = npdnn_cmd("evaluate", "--model", "m.npz", "--data", "test.csv", "--target", "label", cwd=trained)
    assert 'positive class "yes"' in r.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--pos-label", "maybe"], '--pos-label \'maybe\' is not one of the classes ("no", "yes")'),
        (["--threshold", "1.5"], "argument --threshold: expected a probability in [0, 1]; got '1.5'"),
    ],
)
def test_bad_threshold_or_label_is_one_line(trained, args, fragment):
    r = npdnn_cmd("evaluate", "--model", "m.npz", "--data", "test.csv", "--target", "label", *args, cwd=trained)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and fragment in r.stderr, r.stderr


def test_train_json_test_size_zero_and_class_weight(tmp_path):
    write_csv(tmp_path / "d.csv", n=120, seed=2)
    common = ["train", "--data", "d.csv", "--target", "label", "--layers", "4", "--epochs", "30", "--quiet"]
    r = npdnn_cmd(*common, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["rows"] == {"train": 96, "test": 24}
    # 96 training rows: too few for a validation split of 100, so "auto" trains every epoch, with the l2 of
    # 0.1 and 1.0 that a 3-fold cross-validation prefers (npdnn.sklearn.l2_search)
    searched = report["l2_search"]
    best = min(searched, key=searched.get)
    assert set(searched) == {"0.1", "1.0"}
    assert report["options_used"] == {"batch_size": 64, "l2": float(best), "early_stopping": False}
    assert report["epochs_run"] == 30 and report["fit_seconds"] > 0
    r = npdnn_cmd(*common, "--early-stopping", "--batch-size", "16", "--l2", "0.5", "--json", cwd=tmp_path)
    assert json.loads(r.stdout)["options_used"] == {"batch_size": 16, "l2": 0.5, "early_stopping": True}
    assert json.loads(r.stdout)["l2_search"] is None  # a value given: nothing searched
    assert set(report["metrics"]) == {"train", "test"} and list(report["confusion_matrix"]) == ["test"]
    # --test-size 0: every row trains, only training metrics
    r = npdnn_cmd(*common, "--test-size", "0", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    all_rows = json.loads(r.stdout)
    assert all_rows["rows"] == {"train": 120, "test": 0}
    assert list(all_rows["metrics"]) == ["train"] and list(all_rows["confusion_matrix"]) == ["train"]
    assert sum(map(sum, all_rows["confusion_matrix"]["train"]["matrix"])) == 120
    r = npdnn_cmd(*common, "--test-size", "0", cwd=tmp_path)
    assert "train confusion matrix" in r.stdout and "test" not in r.stdout.split("metric")[1].splitlines()[0]
    # --class-weight: a heavy weight on a class raises its recall
    recall = {}
    for heavy in ("yes", "no"):
        weights = json.dumps({heavy: 20, "yes" if heavy == "no" else "no": 1})
        r = npdnn_cmd(
            *common, "--test-size", "0", "--json", "--learning-rate", "0.01", "--class-weight", weights, cwd=tmp_path
        )
        assert r.returncode == 0, r.stderr
        recall[heavy] = json.loads(r.stdout)["metrics"]["train"]["recall"]  # of the positive class, "yes"
    assert recall["yes"] > 0.9 > 0.1 > recall["no"]
    balanced = npdnn_cmd(*common, "--test-size", "0", "--json", "--class-weight", "balanced", cwd=tmp_path)
    assert balanced.returncode == 0, balanced.stderr
    for bad, fragment in [
        ('{"maybe": 2}', "--class-weight has label 'maybe', which is not in d.csv"),
        ("heavy", "expected balanced or a JSON object"),
        ('{"yes": -1}', "expected a weight >= 0 for label 'yes'"),
    ]:
        r = npdnn_cmd(*common, "--class-weight", bad, cwd=tmp_path)
        assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and fragment in r.stderr, r.stderr


def test_train_warnings_are_one_line_each(tmp_path):
    write_csv(tmp_path / "d.csv", n=60, seed=3)
    args = ["train", "--data", "d.csv", "--target", "label", "--layers", "4", "--epochs", "2"]
    r = npdnn_cmd(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    warned = [line for line in r.stderr.splitlines() if "warning" in line]
    assert len(warned) == 1 and warned[0].startswith("npdnn: warning: training stopped at the epoch limit while")
    assert "Traceback" not in r.stderr and "ConvergenceWarning" not in r.stderr
    r = npdnn_cmd(*args, "--quiet", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == ""
    # --quiet keeps warnings off stderr, not out of the JSON report a script reads
    r = npdnn_cmd(*args, "--quiet", "--json", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == ""
    assert json.loads(r.stdout)["warnings"] == [warned[0].removeprefix("npdnn: warning: ")]


def test_warnings_about_the_file_reach_the_json_reports(tmp_path):
    """A header row of numbers (a headerless file read with a header) warns at train and at evaluate;
    both reports carry the warning, with --quiet too, and a clean run reports an empty list."""
    rows = ["1.5,2.5,0"] + [f"{i % 7 / 3:.3f},{i % 5 / 2:.3f},{i % 2}" for i in range(80)]
    (tmp_path / "h.csv").write_text("\n".join(rows) + "\n")
    train = ["train", "--data", "h.csv", "--target", "0", "--layers", "4", "--epochs", "2", "--quiet", "--json"]
    r = npdnn_cmd(*train, "--out", "m.npz", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    said = json.loads(r.stdout)["warnings"]
    assert any("the first row looks like data: pass --no-header" in w for w in said), said
    r = npdnn_cmd("evaluate", "--model", "m.npz", "--data", "h.csv", "--target", "0", "--quiet", "--json", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert [w for w in json.loads(r.stdout)["warnings"] if "looks like data" in w], r.stdout
    write_csv(tmp_path / "d.csv", n=1500, seed=3)  # early stopping ends it: nothing to warn about
    clean = ["train", "--data", "d.csv", "--target", "label", "--layers", "16,8", "--quiet", "--json"]
    r = npdnn_cmd(*clean, cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["warnings"] == [], r.stdout


def test_info_describes_the_model(trained):
    r = npdnn_cmd("info", "m.npz", cwd=trained)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("Network: 3 -> 6 -> 1, hidden relu, output sigmoid, float32")  # the CLI's default
    assert "classes  (2): 'no', 'yes'" in out
    assert "features 3: x1, x2, x3" in out
    assert "standardized: yes" in out and "trained: 40 epochs" in out
    options = json.loads(out.split("training options: ")[1].splitlines()[0])
    assert options["hidden_layer_sizes"] == [6] and options["epochs"] == 40
    import npdnn

    assert f"file: m.npz, written by npdnn {npdnn.__version__}, read by npdnn {npdnn.__version__}" in out
    r = npdnn_cmd("info", "missing.npz", cwd=trained)
    assert r.returncode == 2 and "missing.npz: no such file" in r.stderr


def test_gradcheck_hidden_means_what_it_means_in_train(tmp_path):
    by_hidden = npdnn_cmd("gradcheck", "--hidden", "5,3", "--features", "4", "--activation", "tanh", cwd=tmp_path)
    by_layers = npdnn_cmd("gradcheck", "--layers", "4,5,3,1", "--activation", "tanh", cwd=tmp_path)
    assert by_hidden.returncode == by_layers.returncode == 0, by_hidden.stderr
    assert by_hidden.stdout == by_layers.stdout
    assert "layer_dims=[4, 5, 3, 1]" in by_hidden.stdout
    default = npdnn_cmd("gradcheck", cwd=tmp_path)
    assert "layer_dims=[5, 4, 3, 1]" in default.stdout
    both = npdnn_cmd("gradcheck", "--hidden", "3", "--layers", "4,3,1", cwd=tmp_path)
    assert both.returncode == 2 and "not both" in both.stderr
    # and train takes --hidden too, as another name for its --layers
    train = ["train", "--epochs", "2", "--quiet", "--json"]
    by_hidden = npdnn_cmd(*train, "--hidden", "3", cwd=tmp_path)
    by_layers = npdnn_cmd(*train, "--layers", "3", cwd=tmp_path)
    assert by_hidden.returncode == 0 == by_layers.returncode, by_hidden.stderr

    def report(r):  # everything but the training's wall time
        return {k: v for k, v in json.loads(r.stdout).items() if k != "fit_seconds"}

    assert report(by_hidden) == report(by_layers)


def test_gradcheck_through_a_relu_kink_explains_itself(tmp_path):
    r = npdnn_cmd("gradcheck", "--layers", "10,3,2,1", "--samples", "40", "--seed", "0", cwd=tmp_path)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert "FAILED" in lines[-3]
    assert lines[-2].startswith("likely cause: a kink of relu at 0, not a wrong backprop")
    assert "in Z2" in lines[-2]
    assert lines[-1].startswith("try: a smooth activation (tanh), non-zero biases") and "fewer samples" in lines[-1]
    # what it suggests works: tanh passes on the same case
    r = npdnn_cmd(
        "gradcheck", "--layers", "10,3,2,1", "--samples", "40", "--seed", "0", "--activation", "tanh", cwd=tmp_path
    )
    assert r.returncode == 0 and "likely cause" not in r.stdout


def test_a_file_with_row_names_trains_and_predicts_without_them(tmp_path):
    """A file saved by R's write.csv or pandas' to_csv (index=True) starts with an unnamed column of
    row numbers. Sorted by class, as exports often are, those numbers alone give the label away: a
    model that used them would score near 1 on its test rows. It is named in one warning line, and
    predict reads the same file."""
    frame = write_csv(tmp_path / "plain.csv", n=300, seed=5).sort_values("label", kind="stable")
    frame.index = np.arange(1, len(frame) + 1)
    frame.to_csv(tmp_path / "r.csv")  # header ",x1,x2,x3,label"
    assert (tmp_path / "r.csv").read_text().startswith(",x1,")
    train = ["train", "--data", "r.csv", "--target", "label", "--layers", "8", "--epochs", "30", "--seed", "1"]
    r = npdnn_cmd(*train, "--out", "m.npz", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    said = [line for line in r.stderr.splitlines() if line.startswith("npdnn: warning:") and "row names" in line]
    assert said == [
        'npdnn: warning: r.csv: column 1 has no name ("Unnamed: 0" as pandas reads it): taken as row names, '
        "as R's write.csv and pandas' to_csv write them, and not used as a feature (name it to use it)"
    ], r.stderr
    assert json.loads(r.stdout)["metrics"]["test"]["roc_auc"] < 0.9  # .76; with the row numbers as a feature, .95
    r = npdnn_cmd("info", "m.npz", cwd=tmp_path)
    assert "features 3: x1, x2, x3" in r.stdout, r.stdout
    r = npdnn_cmd(
        "predict", "--model", "m.npz", "--data", "r.csv", "--out", "p.csv", "--id", "Unnamed: 0", cwd=tmp_path
    )
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    p = pd.read_csv(tmp_path / "p.csv")
    assert p["Unnamed: 0"].tolist() == list(range(1, 301))
    # the same rows without the row names: the same probabilities
    frame.to_csv(tmp_path / "plain.csv", index=False)
    r = npdnn_cmd("predict", "--model", "m.npz", "--data", "plain.csv", "--out", "q.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    q = pd.read_csv(tmp_path / "q.csv")
    np.testing.assert_array_equal(q.filter(like="proba").to_numpy(), p.filter(like="proba").to_numpy())


def test_a_closed_stderr_does_not_lose_the_model(tmp_path):
    """`npdnn train ... 2>&1 | head -1`: the reader goes away after the first line, and the warnings
    and progress lines written after it hit a closed pipe. The model is written all the same (before,
    the first such line ended the run with status 1 and no file)."""
    import subprocess
    import sys

    write_csv(tmp_path / "d.csv", n=60, seed=3)
    args = ["train", "--data", "d.csv", "--target", "label", "--layers", "4", "--epochs", "300", "--l2", "1"]
    p = subprocess.Popen([sys.executable, "-m", "npdnn", *args, "--out", "m.npz"], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    assert p.stdout.readline().startswith(b"data: d.csv")
    p.stdout.close()  # before training ends: its warning and the lines after it meet a closed pipe
    p.wait(timeout=120)
    assert (tmp_path / "m.npz").exists()
    r = npdnn_cmd("info", "m.npz", cwd=tmp_path)
    assert r.returncode == 0 and "trained: 300 epochs" in r.stdout, r.stdout


def test_encoding_for_train_predict_and_evaluate(tmp_path):
    """A cp1252 file (Excel on Windows) trains, predicts and evaluates with --encoding cp1252, with the
    probabilities of its UTF-8 copy; without the option, one line names the byte and the option."""
    rng = np.random.default_rng(0)
    city = rng.choice(["Café", "Zürich", "Genève"], 200)
    x = rng.standard_normal(200)
    frame = pd.DataFrame({"city": city, "x": x, "y": np.where(x + (city == "Café") > 0.3, "oui", "non")})
    frame.to_csv(tmp_path / "u.csv", index=False)
    frame.to_csv(tmp_path / "e.csv", index=False, encoding="cp1252")
    train = ["train", "--target", "y", "--layers", "4", "--epochs", "20", "--l2", "1", "--test-size", "0"]
    r = npdnn_cmd(*train, "--data", "e.csv", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip().endswith("(a file saved by Excel on Windows? pass --encoding cp1252)")
    r = npdnn_cmd(*train, "--data", "e.csv", "--encoding", "cp1252", "--out", "m.npz", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for name, extra in (("e.csv", ["--encoding", "cp1252"]), ("u.csv", [])):
        r = npdnn_cmd(
            "predict", "--model", "m.npz", "--data", name, *extra, "--proba", "--out", f"{name}.p", cwd=tmp_path
        )
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "e.csv.p").read_text() == (tmp_path / "u.csv.p").read_text()
    r = npdnn_cmd(
        "evaluate", "--model", "m.npz", "--data", "e.csv", "--target", "y", "--encoding", "cp1252", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    frame.to_parquet(tmp_path / "t.parquet")
    r = npdnn_cmd(*train, "--data", "t.parquet", "--encoding", "cp1252", cwd=tmp_path)
    assert r.returncode == 2 and "--encoding apply to CSV and TSV files" in r.stderr, r.stderr


def test_a_class_of_one_row_trains_with_test_size_0(tmp_path):
    """A stratified split needs two rows of each class; without a split one is enough (it was refused
    either way), and the error with a split names that way out."""
    write_csv(tmp_path / "d.csv", n=60, seed=3)
    with open(tmp_path / "d.csv", "a") as f:
        f.write("0.1,0.2,0.3,rare\n")
    train = ["train", "--data", "d.csv", "--target", "label", "--layers", "4", "--epochs", "5", "--l2", "1"]
    r = npdnn_cmd(*train, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip().endswith(
        'class "rare" has only 1 row(s); expected at least 2 of each class for a train/test split (drop the '
        "class's rows, or pass --test-size 0 to train on every row)"
    ), r.stderr
    r = npdnn_cmd(*train, "--test-size", "0", "--out", "m.npz", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "classes  (3): 'no', 'rare', 'yes'" in npdnn_cmd("info", "m.npz", cwd=tmp_path).stdout
