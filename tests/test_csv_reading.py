"""The files people have, through the real ``npdnn`` command: no header, ``?`` and other
missing markers, spaces after separators, text, booleans and categories, an id column, a
leaked label, every bad column in one message; save -> predict / evaluate / info / export
round trips; every file of the shared panel trains with one command."""

import json
import pathlib

import numpy as np
import pandas as pd
import pytest

from npdnn.cli.datasets import DataError, read_csv_columns
from test_cli import npdnn_cmd

FAST = ["--layers", "8", "--epochs", "10", "--batch-size", "32", "--quiet"]
PANEL = pathlib.Path("/work/shared/datasets")


def mixed_file(path, m=160, seed=0, header=True):
    """Every column type, with "?" and empty cells, a space after each comma, an id column."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, m).round(1)
    color = rng.choice(["red", "green", "blue"], m)
    smoker = rng.choice(["True", "False"], m)
    grade = rng.integers(1, 4, m)
    y = np.where((age > 40) ^ (color == "red"), ">50K", "<=50K")
    lines = []
    for i in range(m):
        a = "?" if i % 9 == 0 else ("" if i % 13 == 0 else str(age[i]))
        c = "?" if i % 11 == 0 else color[i]
        lines.append(f"{a}, {c}, {smoker[i]}, {grade[i]}, person-{i}, {y[i]}")
    head = ["age, color, smoker, grade, name, income"] if header else []
    path.write_text("\n".join(head + lines) + "\n")
    return path


def test_no_header_names_columns_like_pandas_and_warns_about_a_numeric_header(tmp_path):
    path = tmp_path / "pima.csv"
    rng = np.random.default_rng(0)
    X = rng.integers(0, 100, (60, 3))
    rows = [",".join(map(str, [*r, int(r[0] > 50)])) for r in X]
    path.write_text("\n".join(rows) + "\n")
    X_read, y, _ = read_csv_columns(path, target="3", has_header=False)
    assert list(X_read.columns) == ["0", "1", "2"] and len(y) == 60  # the first row is data
    np.testing.assert_array_equal(X_read.to_numpy(), X)
    r = npdnn_cmd("train", "--data", path, "--target", "1", *FAST[:-1], cwd=tmp_path)
    assert "npdnn: warning: " in r.stderr and "the first row looks like data: pass --no-header" in r.stderr
    r = npdnn_cmd("train", "--data", path, "--target", "3", "--no-header", *FAST, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "looks like data" not in r.stderr


def test_duplicate_names_in_a_numeric_header_hint_at_no_header(tmp_path):
    path = tmp_path / "iono.csv"
    path.write_text("1,0,1,g\n1,0,0.7,b\n1,0,0.1,g\n")
    r = npdnn_cmd("train", "--data", path, "--target", "g", *FAST, cwd=tmp_path)
    assert r.returncode == 2
    assert 'column name "1" appears twice' in r.stderr and "pass --no-header" in r.stderr


def test_mixed_file_trains_predicts_evaluates_and_lists_its_columns(tmp_path):
    data = mixed_file(tmp_path / "people.csv")
    out = tmp_path / "m.npz"
    r = npdnn_cmd("train", "--data", data, "--target", "income", "--out", out, *FAST[:-1], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "'name' (128 distinct values in 128 rows: an id or a name?)" in r.stderr  # the training rows
    info = npdnn_cmd("info", out, cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    assert "age: numeric, missing -> median" in info.stdout and "+ indicator age=missing" in info.stdout
    assert "color: categorical, one-hot over 3 categories (blue, green, red)" in info.stdout
    assert "smoker: boolean" in info.stdout and "name: dropped" in info.stdout
    new = mixed_file(tmp_path / "new.csv", m=30, seed=1)
    text = new.read_text().replace("blue", "purple")  # a category never seen in training
    new.write_text(text)
    r = npdnn_cmd("predict", "--model", out, "--data", new, "--proba", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    from io import StringIO

    predicted = pd.read_csv(StringIO(r.stdout))
    import npdnn

    model = npdnn.load(out)
    X, _, _ = read_csv_columns(new, target="income")
    np.testing.assert_array_equal(predicted["prediction"], model.predict(X[list(model.feature_names_in_)]))
    np.testing.assert_allclose(predicted["proba_>50K"], model.predict_proba(X[list(model.feature_names_in_)])[:, 1])
    r = npdnn_cmd("evaluate", "--model", out, "--data", new, "--target", "income", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert 0 <= json.loads(r.stdout)["metrics"]["accuracy"] <= 1


def test_onnx_export_of_a_csv_model_matches_onnxruntime(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    data = mixed_file(tmp_path / "people.csv")
    out, onnx_path = tmp_path / "m.npz", tmp_path / "m.onnx"
    assert npdnn_cmd("train", "--data", data, "--target", "income", "--out", out, *FAST, cwd=tmp_path).returncode == 0
    r = npdnn_cmd("export", out, "--onnx", onnx_path, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    import npdnn
    from test_columns import onnx_feed

    model = npdnn.load(out)
    X, _, _ = read_csv_columns(data, target="income")
    session = ort.InferenceSession(str(onnx_path))
    label, proba = session.run(None, onnx_feed(model, X))
    np.testing.assert_array_equal(label, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5, rtol=0)


def test_every_bad_column_in_one_message(tmp_path):
    path = tmp_path / "bad.csv"
    rows = ["a,b,c,d,y"] + [f"{i},{i * 2},{i % 3},inf,{i % 2}" for i in range(30)]
    rows[5] = "oops,10,1,1,0"
    rows[7] = "6,typo,1,1,1"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError) as e:
        read_csv_columns(path, target="y")
    message = str(e.value)
    assert "3 columns cannot be read" in message
    assert 'line 6, column "a": "oops" is not a number' in message
    assert 'line 8, column "b": "typo" is not a number' in message
    assert 'line 2, column "d": "inf" is not finite' in message
    r = npdnn_cmd("train", "--data", path, "--target", "y", *FAST, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "3 columns cannot be read" in r.stderr


def test_na_values_and_categorical_codes(tmp_path):
    path = tmp_path / "codes.csv"
    rows = ["zip,x,y"] + [f"{[10, 20, 30][i % 3] if i % 7 else 'missing'},{i % 5},{i % 2}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError, match='"missing" is not a number'):
        read_csv_columns(path, target="y")
    X, _, _ = read_csv_columns(path, target="y", na_values=["missing"])
    assert X["zip"].isna().sum() == 9
    out = tmp_path / "m.npz"
    r = npdnn_cmd(
        "train", "--data", path, "--target", "y", "--na-values", "missing", "--categorical", "zip", "--out", out,
        *FAST, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    info = npdnn_cmd("info", out, cwd=tmp_path).stdout
    assert "zip: categorical, one-hot over 3 categories (10, 20, 30)" in info


def test_a_numeric_sentinel_named_by_na_values_is_missing(tmp_path):
    """-999 in a file of plain numbers: pandas' fast path reads it as a number, so --na-values
    once did nothing on such a file; the model must see missing values (an indicator input)."""
    rng = np.random.default_rng(0)
    rows = ["a,b,y"]
    for i in range(120):
        b = "-999" if i % 5 == 0 else f"{rng.normal():.4f}"
        rows.append(f"{rng.normal():.4f},{b},{i % 2}")
    (tmp_path / "s.csv").write_text("\n".join(rows) + "\n")
    common = ["train", "--data", "s.csv", "--target", "y", *FAST]
    assert npdnn_cmd(*common, "--na-values", "-999", "--out", "m.npz", cwd=tmp_path).returncode == 0
    info = npdnn_cmd("info", "m.npz", cwd=tmp_path).stdout
    assert "b: numeric, missing -> median" in info and "+ indicator b=missing" in info, info
    assert npdnn_cmd(*common, "--out", "plain.npz", cwd=tmp_path).returncode == 0
    assert "indicator" not in npdnn_cmd("info", "plain.npz", cwd=tmp_path).stdout  # without it: a number


PANEL_COMMANDS = {
    "pima-indians-diabetes.csv": ["--target", "8", "--no-header"],
    "sonar.csv": ["--target", "60", "--no-header"],
    "ionosphere.csv": ["--target", "34", "--no-header"],
    "banknote_authentication.csv": ["--target", "4", "--no-header"],
    "titanic.csv": ["--target", "survived"],
    "penguins.csv": ["--target", "species"],
    "adult-train.csv": ["--target", "14", "--no-header"],
}


@pytest.mark.slow
@pytest.mark.skipif(not PANEL.is_dir(), reason="the shared panel of data files is not on this machine")
@pytest.mark.parametrize("name", sorted(PANEL_COMMANDS))
def test_every_panel_file_trains_with_one_command(tmp_path, name):
    options = PANEL_COMMANDS[name]
    epochs = ["--epochs", "2"] if name.startswith("adult") else ["--epochs", "10"]
    r = npdnn_cmd("train", "--data", PANEL / name, *options, *epochs, "--json", "-", cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["metrics"]["test"]["accuracy"] > 0.6
    if name == "titanic.csv":
        assert "column 'alive' alone predicts 'survived' on 100% of training rows: a copy of the label?" in r.stderr


def test_spaces_after_separators_and_no_header_on_the_fast_path(tmp_path):
    import npdnn.cli.datasets as datasets

    path = tmp_path / "n.csv"
    path.write_text("1, 2, 0\n3, 4, 1\n")
    X, y, _ = datasets._read_fast(str(path), ["0", "1", "2"], ["0", "1"], "2", ",", None, has_header=False)
    assert X["1"].tolist() == [2.0, 4.0] and y.tolist() == [0, 1]


@pytest.mark.slow
@pytest.mark.skipif(not PANEL.is_dir(), reason="the shared panel of data files is not on this machine")
@pytest.mark.parametrize("name", ["titanic.csv", "penguins.csv", "adult-train.csv"])
def test_panel_models_with_a_column_plan_export_to_onnx(tmp_path, name):
    ort = pytest.importorskip("onnxruntime")
    options = PANEL_COMMANDS[name]
    out, onnx_path = tmp_path / "m.npz", tmp_path / "m.onnx"
    r = npdnn_cmd("train", "--data", PANEL / name, *options, "--epochs", "2", "--out", out, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    assert npdnn_cmd("export", out, "--onnx", onnx_path, cwd=tmp_path).returncode == 0
    import npdnn
    from test_columns import onnx_feed

    model = npdnn.load(out)
    assert model.columns_ is not None
    X, _, _ = read_csv_columns(PANEL / name, target=options[1], has_header="--no-header" not in options)
    X = X[list(model.feature_names_in_)]
    label, proba = ort.InferenceSession(str(onnx_path)).run(None, onnx_feed(model, X))
    np.testing.assert_array_equal(label, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5, rtol=0)


def euro_file(path, m=200, seed=0, gap=False):
    """Numbers with a decimal comma and ";" between fields, as spreadsheets in much of Europe
    save them; ``gap``: one empty cell (the reader's careful path instead of pandas')."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(10, 3, m), rng.normal(0, 1, m)
    y = np.where(x1 / 3 + x2 > 3.3, "A", "B")
    cells = [[f"{a:.4f}".replace(".", ","), f"{b:.4f}".replace(".", ","), c] for a, b, c in zip(x1, x2, y, strict=True)]
    if gap:
        cells[5][1] = ""
    path.write_text("x1;x2;y\n" + "".join(";".join(row) + "\n" for row in cells))
    return path, np.round(x1, 4), np.round(x2, 4)


@pytest.mark.parametrize("gap", [False, True], ids=["pandas' parser", "careful path"])
def test_decimal_commas_are_read_as_numbers_with_decimal_comma(tmp_path, gap):
    path, x1, x2 = euro_file(tmp_path / "euro.csv", gap=gap)
    X, y, _ = read_csv_columns(path, "y", sep=";", decimal=",")
    np.testing.assert_array_equal(X["x1"].to_numpy(dtype=float), x1)
    if not gap:
        np.testing.assert_array_equal(X["x2"].to_numpy(dtype=float), x2)
    else:
        assert X["x2"].isna().sum() == 1 and X["x2"].dtype.kind == "f"
    assert set(y) == {"A", "B"}


def test_decimal_commas_without_the_option_are_named_in_a_warning(tmp_path):
    path, _, _ = euro_file(tmp_path / "euro.csv")
    r = npdnn_cmd("train", "--data", "euro.csv", "--sep", ";", "--target", "y", "--layers", "4", "--epochs", "2",
                  cwd=tmp_path)  # fmt: skip
    # both columns are then text with a value per row (ids): nothing is left to learn from, and the hint says why
    assert r.returncode == 2 and "npdnn: error: no column is left to learn from" in r.stderr, r.stderr
    hint = [line for line in r.stderr.splitlines() if "decimal comma" in line]
    assert hint == [
        'npdnn: warning: euro.csv: columns "x1", "x2" hold numbers written with a decimal comma ("'
        + (tmp_path / "euro.csv").read_text().splitlines()[1].split(";")[0]
        + '"), read as text: pass --decimal , to read them as numbers'
    ]
    r = npdnn_cmd("train", "--data", "euro.csv", "--sep", ";", "--decimal", ",", "--target", "y", "--out", "m.npz",
                  "--quiet", cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0 and "decimal comma" not in r.stderr, r.stderr
    r = npdnn_cmd("info", "m.npz", cwd=tmp_path)
    assert "features 2: x1, x2" in r.stdout and "column" not in r.stdout, r.stdout  # numbers: no column plan
    r = npdnn_cmd("evaluate", "--model", "m.npz", "--data", "euro.csv", "--sep", ";", "--decimal", ",", "--target",
                  "y", "--json", cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0 and json.loads(r.stdout)["metrics"]["roc_auc"] > 0.9, r.stdout + r.stderr


def test_decimal_comma_errors(tmp_path):
    path, _, _ = euro_file(tmp_path / "euro.csv")
    r = npdnn_cmd("train", "--data", "euro.csv", "--decimal", ",", "--target", "y", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # no comma in the first line: read as ;-separated without --sep
    r = npdnn_cmd("train", "--data", "euro.csv", "--sep", ",", "--decimal", ",", "--target", "y", cwd=tmp_path)
    assert r.returncode != 0 and r.stderr.strip().splitlines() == [
        "npdnn: error: --decimal , and the field separator are the same character; pass --sep ';'"
    ]
    (tmp_path / "mixed.csv").write_text("x;y\n1,5;A\n2.5;B\n" + "".join(f"{i},0;{'AB'[i % 2]}\n" for i in range(20)))
    r = npdnn_cmd("train", "--data", "mixed.csv", "--sep", ";", "--decimal", ",", "--target", "y", cwd=tmp_path)
    assert r.returncode != 0 and '"2.5" is not a number' in r.stderr, r.stderr
    r = npdnn_cmd("train", "--data", "euro.csv", "--decimal", ";", "--target", "y", cwd=tmp_path)
    assert r.returncode == 2 and "argument --decimal: invalid choice: ';'" in r.stderr


def test_thousands_separators_through_the_command(tmp_path):
    """A US spreadsheet export: "1,234.50" quoted in a comma-separated file, read with --thousands ,
    by train and evaluate alike; without it the column is named with the fix."""
    rng = np.random.default_rng(0)
    income = np.round(rng.lognormal(10, 1, 300), 2)
    y = np.where(np.log(income) + rng.normal(0, 0.3, 300) > 10, "high", "low")
    rows = "".join(f'"{v:,.2f}",{i % 7},{label}\n' for i, (v, label) in enumerate(zip(income, y, strict=True)))
    (tmp_path / "us.csv").write_text("income,weekday,y\n" + rows)
    r = npdnn_cmd("train", "--data", "us.csv", "--target", "y", "--epochs", "2", cwd=tmp_path)
    assert 'column "income" holds numbers with thousands separators' in r.stderr, r.stderr
    assert "pass --thousands , to read them as numbers" in r.stderr
    r = npdnn_cmd("train", "--data", "us.csv", "--target", "y", "--thousands", ",", "--out", "m.npz", "--quiet",
                  cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "features 2: income, weekday" in npdnn_cmd("info", "m.npz", cwd=tmp_path).stdout  # numbers, no plan
    r = npdnn_cmd("evaluate", "--model", "m.npz", "--data", "us.csv", "--target", "y", "--thousands", ",", "--json",
                  cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0 and json.loads(r.stdout)["metrics"]["roc_auc"] > 0.9, r.stdout + r.stderr
    np.save(tmp_path / "x.npy", np.zeros((4, 2)))
    r = npdnn_cmd("predict", "--model", "m.npz", "--data", "x.npy", "--thousands", ",", cwd=tmp_path)
    assert r.returncode != 0 and "--thousands apply to CSV and TSV files" in r.stderr, r.stderr


def test_reader_options_are_refused_on_a_cluster_not_ignored(tmp_path):
    """The workers read the parts with Dask's reader: --decimal and the like would do nothing there."""
    pytest.importorskip("distributed")
    (tmp_path / "p.csv").write_text("a;y\n1,5;0\n2,5;1\n")
    r = npdnn_cmd("train", "--workers", "1", "--data", "p.csv", "--target", "y", "--sep", ";", "--decimal", ",",
                  "--thousands", ".", cwd=tmp_path)  # fmt: skip
    assert r.returncode != 0 and r.stderr.strip().splitlines() == [
        "npdnn: error: --sep, --decimal, --thousands are not supported with --scheduler/--workers (the workers read "
        "every column of the parts as numbers, with a header row); prepare the parts instead"
    ], r.stderr
    r = npdnn_cmd("train", "--workers", "1", "--data", "p.csv", "--target", "y", "--no-header", cwd=tmp_path)
    assert "npdnn: error: --no-header is not supported with --scheduler/--workers" in r.stderr, r.stderr


@pytest.mark.slow
@pytest.mark.parametrize("sep, name", [(";", "';'"), ("   ", "whitespace")])
def test_a_semicolon_separated_part_is_read_on_a_cluster_as_locally(sep, name, tmp_path):
    """The cluster's reader finds the separator by the local reader's rule (line 1 without a comma):
    ';', or runs of spaces (read by Dask as pandas' sep=r"\\s+")."""
    pytest.importorskip("distributed")
    rng = np.random.default_rng(0)
    for k in (1, 2):
        x = rng.standard_normal((60, 2))
        rows = "".join(f"{a:.4f}{sep}{b:.4f}{sep}{int(a + b > 0)}\n" for a, b in x)
        (tmp_path / f"p{k}.csv").write_text(sep.join("aby") + "\n" + rows)
    r = npdnn_cmd("train", "--workers", "1", "--data", "p*.csv", "--target", "y", "--epochs", "3", "--out", "m.npz",
                  cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    # the note, then the command's own lines only: no "X does not have valid feature names" from each block
    assert r.stderr.startswith(f"npdnn: warning: p1.csv: read as {name}-separated (its first line has no comma, and 2")
    assert "feature names" not in r.stderr and "Warning" not in r.stderr, r.stderr
    assert "test confusion matrix" in r.stdout
    r = npdnn_cmd("info", "m.npz", cwd=tmp_path)
    assert "features 2: a, b" in r.stdout, r.stdout
    r = npdnn_cmd("train", "--workers", "1", "--data", "p*.csv", "--target", "y", "--json", "--pos-label", "1",
                  cwd=tmp_path)  # fmt: skip
    assert r.returncode != 0 and r.stderr.strip().splitlines() == [
        "npdnn: error: --json, --pos-label are not supported with --scheduler/--workers (the report is the tables)"
    ], r.stderr
