"""Data handling around the model, each pinned by a value (docs/testing.md lists the
mutant each test kills): the weighted standardization of the estimator, the CSV
reader's line numbers after blank lines, and the CLI's --seed reaching both the
train/test split and the model."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from npdnn import DNNClassifier
from npdnn.cli.datasets import DataError, DataWarning, read_csv
from test_cli import npdnn_cmd


# ---------------------------------------------------------------- weighted standardization
def test_standardization_is_weighted_by_sample_weight():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]
    y = np.arange(12) % 2
    w = np.array([3, 1, 1, 2, 5, 1, 1, 1, 4, 1, 2, 1], dtype=float)
    model = DNNClassifier(hidden_layer_sizes=(2,), epochs=1, standardize=True, random_state=0)
    model.fit(X, y, sample_weight=w)
    mean = np.average(X, axis=0, weights=w)
    np.testing.assert_allclose(model.mean_, mean, rtol=1e-12)
    np.testing.assert_allclose(model.scale_, np.sqrt(np.average((X - mean) ** 2, axis=0, weights=w)), rtol=1e-12)
    # integer weights are repeated rows
    repeated = DNNClassifier(hidden_layer_sizes=(2,), epochs=1, standardize=True, random_state=0)
    repeated.fit(np.repeat(X, w.astype(int), axis=0), np.repeat(y, w.astype(int)))
    np.testing.assert_allclose(model.mean_, repeated.mean_, rtol=1e-12)
    np.testing.assert_allclose(model.scale_, repeated.scale_, rtol=1e-12)
    assert not np.allclose(model.mean_, X.mean(axis=0), rtol=1e-3)  # the weights matter here


# ---------------------------------------------------------------- CSV line numbers
@pytest.mark.parametrize(
    ("text", "msg"),
    [
        ("a,b,y\n\n1,2,0\n\n\n3,abc,1\n", r'data\.csv, line 6, column "b": "abc" is not a number'),
        ("\na,b,y\n1,2,0\n\n3,x,1\n", r'data\.csv, line 5, column "b": "x" is not a number'),
        ("a,b,y\n1,2,0\n\n\n\n3,inf,1\n", r'data\.csv, line 6, column "b": "inf" is not finite'),
        ("a,b,y\r\n\r\n1,2,0\r\n\r\n3,x,1\r\n", r'data\.csv, line 5, column "b": "x" is not a number'),
        ('a,b,y\n"1\n",2,0\n\n3,x,1\n', r'data\.csv, line 5, column "b": "x" is not a number'),
    ],
    ids=["not-a-number", "blank-before-header", "not-finite", "crlf", "quoted-newline"],
)
def test_csv_error_names_the_line_after_blank_lines(tmp_path, text, msg):
    path = tmp_path / "data.csv"
    path.write_bytes(text.encode())
    with pytest.raises(DataError, match=msg):
        read_csv(path, target="y")


# ---------------------------------------------------------------- CLI --seed
def _split(seed, y):
    train, _ = train_test_split(np.arange(y.size), test_size=0.5, random_state=seed, stratify=y)
    return train


@pytest.mark.slow
def test_cli_seed_reaches_the_split_and_the_model(tmp_path):
    # Four rows, two per class: a 50% stratified split has few outcomes, so some other seed
    # gives the same training rows in the same order as seed 1 (then only the model can
    # differ) and some other seed gives different training rows (then the standardization,
    # fitted on them, differs).
    X = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 0.0], [4.0, 7.0]])
    y = np.array([0, 1, 0, 1])
    lines = ["a,b,label"] + [f"{a},{b},{c}" for (a, b), c in zip(X, y, strict=True)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    same = next(s for s in range(2, 200) if np.array_equal(_split(s, y), _split(1, y)))
    other = next(s for s in range(2, 200) if set(_split(s, y)) != set(_split(1, y)))
    models = {}
    for seed in (1, same, other):
        r = npdnn_cmd(
            "train", "--data", "d.csv", "--target", "label", "--test-size", "0.5", "--layers", "3", "--epochs", "2",
            "--seed", seed, "--quiet", "--out", f"m{seed}.npz", cwd=tmp_path,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        models[seed] = DNNClassifier.load(tmp_path / f"m{seed}.npz")
    # same split: the same standardization, but the seed must still change the network
    np.testing.assert_array_equal(models[same].mean_, models[1].mean_)
    assert not np.array_equal(models[same].network_.theta, models[1].network_.theta), "--seed ignored by the model"
    # another split: the standardization (the training rows' mean) must change
    expected = X[_split(other, y)].mean(axis=0)
    np.testing.assert_allclose(models[other].mean_, expected, rtol=1e-12)
    assert not np.allclose(models[other].mean_, models[1].mean_), "--seed ignored by the train/test split"


def test_a_row_without_a_label_is_left_out_and_its_line_named_after_blank_lines(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b,y\n\n1,2,0\n\n3,4,\n5,6,1\n")
    with pytest.warns(
        DataWarning, match=r'data\.csv, line 5, column "y" has no label \(empty\): that row is left out$'
    ):
        X, y = read_csv(path, target="y")
    assert X.to_numpy().tolist() == [[1, 2], [5, 6]] and y.tolist() == [0, 1]
