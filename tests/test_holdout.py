"""npdnn train's train/test split (npdnn.cli.holdout): the rows scikit-learn's stratified
draw holds out, made by moving rows of X in place, so that the training and test sets
are views of X and no copy of X is made."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from npdnn.cli import holdout as holdout_module
from npdnn.cli.holdout import holdout


def _data(m=1000, n=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    X[:, 0] = np.arange(m)  # column 0 names the row, to follow where it went
    y = rng.choice(np.array(["a", "b", "c"], dtype=object), m, p=[0.6, 0.3, 0.1])
    return X, y


def _frame(X):
    return pd.DataFrame(np.asfortranarray(X), columns=[f"x{j}" for j in range(X.shape[1])], copy=False)


@pytest.mark.parametrize("kind", ["C", "F", "DataFrame", "read-only"])
@pytest.mark.parametrize("seed", [0, 7])
def test_the_split_holds_out_train_test_splits_rows(kind, seed):
    X0, y0 = _data()
    X = {"C": X0.copy(), "F": np.asfortranarray(X0), "DataFrame": _frame(X0), "read-only": X0.copy()}[kind]
    if kind == "read-only":
        X.flags.writeable = False
    X_train, X_test, y_train, y_test, X_all, y_all = holdout(X, y0, 0.25, seed)
    _, test = train_test_split(np.arange(len(y0)), test_size=0.25, random_state=seed, stratify=y0)
    got_train, got_test = (np.asarray(A)[:, 0].astype(int) for A in (X_train, X_test))
    assert sorted(got_test) == sorted(test)  # the same rows held out as scikit-learn's
    assert sorted(np.concatenate([got_train, got_test])) == list(range(len(y0)))
    for rows, A, labels in ((got_train, X_train, y_train), (got_test, X_test, y_test)):
        np.testing.assert_array_equal(np.asarray(A), X0[rows])  # whole rows moved, labels with them
        np.testing.assert_array_equal(labels, y0[rows])
    np.testing.assert_array_equal(y_all[np.asarray(X_all)[:, 0].astype(int)], y0)
    assert X_all is X


def test_a_seed_gives_one_order_and_another_seed_another():
    X0, y0 = _data()
    runs = [holdout(X0.copy(), y0, 0.25, seed) for seed in (3, 3, 4)]
    np.testing.assert_array_equal(runs[0].X_train, runs[1].X_train)
    assert not np.array_equal(runs[0].X_test[:, 0], runs[2].X_test[:, 0])


@pytest.mark.parametrize("kind", ["C", "F", "DataFrame"])
def test_the_split_does_not_copy_X(kind, monkeypatch):
    # 16 MB of X, 20% held out; swapped 0.4 MB at a time. train_test_split's copies would
    # allocate all 16 MB again (a copy of the test rows alone 3.2 MB); the split may allocate
    # O(m) indices and labels (scikit-learn's draw takes ~70 bytes a row) and two blocks.
    monkeypatch.setattr(holdout_module, "SWAP_BLOCK_BYTES", 400_000)
    m, n = 20_000, 100
    X0, y0 = _data(m, n)
    y0 = (X0[:, 1] > 0).astype(np.int64)
    X = {"C": X0.copy(), "F": np.asfortranarray(X0), "DataFrame": _frame(X0)}[kind]
    data = np.asarray(X) if kind != "DataFrame" else X.to_numpy()
    tracemalloc.start()
    try:
        X_train, X_test, *_ = holdout(X, y0, 0.2, 0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.shares_memory(np.asarray(X_train), data) and np.shares_memory(np.asarray(X_test), data)
    assert peak < 0.1 * X0.nbytes + 100 * m, f"the split allocated {peak / 1e6:.1f} MB over {X0.nbytes / 1e6:.0f} MB"


def test_npdnn_train_fits_on_a_view_of_the_data_it_read(tmp_path, monkeypatch):
    # In process: the frame read from the CSV, and the X that fit receives, must share memory
    # (train_test_split's X_train is a copy) and hold the 75% training rows.
    from npdnn import DNNClassifier
    from npdnn.cli import inputs as cli_inputs
    from npdnn.cli import main as cli

    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    lines = ["a,b,c,label"] + [f"{a},{b},{c},{'yes' if a + b > 0 else 'no'}" for a, b, c in X]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    seen = {}
    read, fit = cli_inputs.read_data, DNNClassifier.fit

    def read_data(*args, **kwargs):
        seen["read"] = out = read(*args, **kwargs)
        return out

    def spy_fit(self, X, y, *args, **kwargs):
        seen["fit"] = X
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(cli_inputs, "read_data", read_data)
    monkeypatch.setattr(DNNClassifier, "fit", spy_fit)
    argv = ["train", "--data", str(tmp_path / "d.csv"), "--target", "label", "--test-size", "0.25"]
    assert cli.main([*argv, "--epochs", "1", "--layers", "2", "--quiet"]) == 0
    assert len(seen["fit"]) == 60
    assert np.shares_memory(seen["fit"].to_numpy(), seen["read"][0].to_numpy())
