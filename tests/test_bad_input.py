"""Bad input: each case raises one specific error naming the problem, writes
nothing, and leaves the process able to make the next valid call.

Cases span the Python API (Network + fit), the estimator, the CSV reader and the
model loader. See docs/guarantees.md.
"""

import os
import pickle
import re

import numpy as np
import pytest

import npdnn
from npdnn import ModelFileError, Network
from npdnn.cli.datasets import DataError, read_csv

RNG = np.random.default_rng(0)
X_OK = RNG.standard_normal((20, 3))
Y_OK = (X_OK[:, 0] > 0).astype(int)


def _nan():
    X = X_OK.copy()
    X[3, 1] = np.nan
    return X


def _inf():
    X = X_OK.copy()
    X[5, 2] = -np.inf
    return X


# (id, X, y, error type, message regex)
FIT_CASES = [
    ("nan", _nan(), Y_OK, ValueError, r"X contains NaN or infinity \(first at row 3, column 1"),
    ("inf", _inf(), Y_OK, ValueError, r"X contains NaN or infinity \(first at row 5, column 2"),
    ("object-dtype", X_OK.astype(object), Y_OK, ValueError, r"X must hold real numbers .* got dtype object"),
    ("complex-dtype", X_OK.astype(complex), Y_OK, ValueError, r"X must hold real numbers .* got dtype complex128"),
    ("string-dtype", X_OK.astype(str), Y_OK, ValueError, r"X must hold real numbers .* got dtype <U"),
    ("1-d-X", X_OK[:, 0], Y_OK, ValueError, r"X must be a 2-D array .* shape \(20,\).*reshape"),
    ("3-d-X", X_OK[:, :, None], Y_OK, ValueError, r"X must be a 2-D array .* shape \(20, 3, 1\)"),
    ("empty-X", X_OK[:0], Y_OK[:0], ValueError, r"X has 0 samples \(shape \(0, 3\)\)"),
    ("wrong-n-features", X_OK[:, :2], Y_OK, ValueError, r"X has 2 features, the network was built for n_x = 3"),
    ("y-too-short", X_OK, Y_OK[:-1], ValueError, r"X has 20 rows but y has 19"),
    ("y-2-columns", X_OK, np.stack([Y_OK, Y_OK], 1), ValueError, r"y must be a 1-D array .* got shape \(20, 2\)"),
    ("label-2", X_OK, np.where(Y_OK == 1, 2, 0), ValueError, r"y must hold labels in .*got"),
    ("label-minus-1", X_OK, np.where(Y_OK == 1, 1, -1), ValueError, r"y must hold labels in .*got"),
    ("float-labels", X_OK, Y_OK + 0.5, ValueError, r"y must hold"),
    ("string-labels", X_OK, Y_OK.astype(str), ValueError, r"y must hold integer class labels"),
]


def _fresh():
    return Network([3, 4, 1], seed=0)


def _assert_next_call_works(net):
    net.fit(X_OK, Y_OK, epochs=2, seed=0)
    P = net.predict_proba(X_OK)
    assert P.shape[0] == 20 and np.isfinite(P).all()


@pytest.mark.parametrize(("X", "y", "err", "msg"), [c[1:] for c in FIT_CASES], ids=[c[0] for c in FIT_CASES])
def test_fit_rejects(X, y, err, msg, tmp_path):
    net = _fresh()
    before = net.params["W1"].copy()
    with pytest.raises(err, match=msg):
        net.fit(X, y, epochs=2, seed=0, checkpoint=tmp_path / "ck.npz")
    assert list(tmp_path.iterdir()) == []
    np.testing.assert_array_equal(net.params["W1"], before)  # nothing trained on bad data
    _assert_next_call_works(net)


PREDICT_CASES = [
    ("nan", _nan(), r"X contains NaN or infinity"),
    ("wrong-n-features", X_OK[:, :1], r"X has 1 features"),
    ("1-d", X_OK[0], r"reshape a single sample"),
    ("object", X_OK.astype(object), r"got dtype object"),
]


@pytest.mark.parametrize(("X", "msg"), [c[1:] for c in PREDICT_CASES], ids=[c[0] for c in PREDICT_CASES])
def test_predict_rejects(X, msg):
    net = _fresh()
    with pytest.raises(ValueError, match=msg):
        net.predict_proba(X)
    with pytest.raises(ValueError, match=msg):
        net.predict(X)
    _assert_next_call_works(net)


OPTION_CASES = [
    ("epochs-0", {"epochs": 0}, r"epochs"),
    ("batch-size-0", {"batch_size": 0}, r"batch_size"),
    ("negative-lr", {"learning_rate": -1.0}, r"learning_rate"),
    ("dropout-1", {"dropout": 1.0}, r"dropout"),
    ("negative-l2", {"l2": -0.1}, r"l2"),
    ("unknown-optimizer", {"optimizer": "sgdx"}, r"sgdx"),
    ("checkpoint-every-0", {"checkpoint_every": 0}, r"checkpoint_every"),
]


@pytest.mark.parametrize("kwargs, msg", [c[1:] for c in OPTION_CASES], ids=[c[0] for c in OPTION_CASES])
def test_fit_rejects_options(kwargs, msg, tmp_path):
    net = _fresh()
    with pytest.raises(ValueError, match=msg):
        net.fit(X_OK, Y_OK, seed=0, checkpoint=tmp_path / "ck.npz", **{"epochs": 2, **kwargs})
    assert list(tmp_path.iterdir()) == []
    _assert_next_call_works(net)


def test_float32_network_rejects_values_past_float32_range(tmp_path):
    net = Network([3, 4, 1], seed=0, dtype=np.float32)
    X = X_OK.copy()
    X[2, 1] = 1e300  # finite in float64, inf once cast
    msg = r"X value 1e\+300 at row 2, column 1 is too large for float32 \(max 3.403e\+38\)"
    with pytest.raises(ValueError, match=msg):
        net.fit(X, Y_OK, epochs=2, seed=0, checkpoint=tmp_path / "ck.npz")
    assert list(tmp_path.iterdir()) == []
    _assert_next_call_works(net)


def test_network_rejects_bad_dtype():
    with pytest.raises(ValueError, match=r"dtype must be float32 or float64; got .*float16"):
        Network([3, 1], dtype=np.float16)
    _assert_next_call_works(_fresh())


# --- estimator ---------------------------------------------------------------

EST_CASES = [
    ("nan", _nan(), Y_OK, r"NaN|infinity"),
    ("one-class", X_OK, np.zeros(20, dtype=int), r"class"),
    ("y-too-short", X_OK, Y_OK[:-1], r"19|20"),
    ("complex", X_OK.astype(complex), Y_OK, r"Complex data not supported: X has dtype complex128; expected real"),
]


@pytest.mark.parametrize(("X", "y", "msg"), [c[1:] for c in EST_CASES], ids=[c[0] for c in EST_CASES])
def test_estimator_rejects(X, y, msg, tmp_path):
    est = npdnn.DNNClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0)
    with pytest.raises(ValueError, match=msg):
        est.fit(X, y, checkpoint=tmp_path / "ck.npz")
    assert list(tmp_path.iterdir()) == []
    est.fit(X_OK, Y_OK)
    assert set(est.predict(X_OK)) <= {0, 1}


def _numeric_table():
    import pandas as pd

    return pd.DataFrame({"a": X_OK[:, 0], "b": X_OK[:, 1]})


@pytest.mark.parametrize(
    ("column", "msg"),
    [
        (X_OK[:, 0] + 1j, r"^column 'a' \(dtype complex128\): complex data not supported; expected real numbers"),
        (
            [b"1.5"] * 19 + [b"yes"],
            r"^column 'a' \(dtype object\) holds b'yes', not a number; this model was fitted on numeric",
        ),
        (["2.5"] * 10 + ["?"] * 10, r"^column 'a' \(dtype (object|str)\) holds '\?', not a number"),
    ],
    ids=["complex", "bytes", "text"],
)
def test_a_model_of_numeric_columns_names_the_column_it_cannot_read(column, msg):
    # fitted on a numeric table (no column plan): at predict, scikit-learn's own errors printed the whole
    # table (complex) or named the value without its column (text)
    table = _numeric_table()
    est = npdnn.DNNClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0).fit(table, Y_OK)
    with pytest.raises(ValueError, match=msg) as raised:
        est.predict(table.assign(a=column))
    assert len(str(raised.value)) < 300
    strings = table.assign(a=[str(v) for v in table["a"]])  # numbers written as text still read as numbers
    np.testing.assert_array_equal(est.predict(strings), est.predict(table))


# --- CSV reader --------------------------------------------------------------

CSV_CASES = [
    ("non-numeric-cell", b"a,b,y\n1,2,0\n3,oops,1\n", r"line 3.*oops.* is not a number"),
    ("ragged-row", b"a,b,y\n1,2,0\n3,4\n", r"line 3: 2 fields; expected 3"),
    ("latin-1", "a,b,y\n1,2,0\ncaf\u00e9,4,1\n".encode("latin-1"), r"not UTF-8 text \(byte 0xe9"),
    ("utf-16", "a,b,y\n1,2,0\n3,4,1\n".encode("utf-16"), r"not UTF-8 text \(byte 0xff"),
    ("header-only", b"a,b,y\n", r"has a header but no data rows"),
    ("zero-bytes", b"", r"is empty; expected a header row"),
    ("missing-target", b"a,b,c\n1,2,0\n3,4,1\n", r'has no target column "y"'),
    ("semicolons", b"a;b;y\n1;2;0\n3;4;1\n", r"separated by ';' instead of ','\? pass --sep ';'"),
    ("duplicate-column", b"a,a,y\n1,2,0\n3,4,1\n", r'"a"'),
    ("infinite-cell", b"a,b,y\n1,inf,0\n3,4,1\n", r'line 2, column "b": "inf" is not finite'),
    (
        "no-label",
        b"a,b,y\n1,2,\n3,4,NA\n",
        r'column "y" holds no label \(every cell is empty or a missing-value marker\)',
    ),
]


@pytest.mark.parametrize(("data", "msg"), [c[1:] for c in CSV_CASES], ids=[c[0] for c in CSV_CASES])
def test_csv_rejects(data, msg, tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(data)
    with pytest.raises(DataError, match=msg):
        read_csv(path, target="y")
    assert os.listdir(tmp_path) == ["d.csv"]
    path.write_bytes(b"a,b,y\n1,2,0\n3,4,1\n")
    X, y = read_csv(path, target="y")[:2]
    assert X.shape == (2, 2)


def test_csv_rejects_directory_and_missing(tmp_path):
    with pytest.raises(DataError, match=r"is a directory; expected a CSV file"):
        read_csv(tmp_path, target="y")
    with pytest.raises(DataError, match=r"no such file"):
        read_csv(tmp_path / "nope.csv", target="y")


# Files the kernel refuses to read even to root: write-only sysctls (mode 0200).
ROOT_UNREADABLE = ("/proc/sys/vm/drop_caches", "/proc/sys/vm/compact_memory")


def _unreadable_file(tmp_path):
    """A path that exists, is not a directory, and whose open() for reading raises
    PermissionError for this process: a chmod 000 file, or as root (CI runs as root,
    and root reads files whatever their mode) a write-only sysctl."""
    if os.geteuid() != 0:
        path = tmp_path / "d.csv"
        path.write_bytes(b"a,y\n1,0\n2,1\n")
        path.chmod(0)
        return path
    for path in ROOT_UNREADABLE:
        try:
            open(path).close()
        except PermissionError:
            return path
        except OSError:
            continue
    pytest.fail(f"running as root and none of {ROOT_UNREADABLE} refuses reads; add a path that does")


def test_csv_rejects_unreadable(tmp_path):
    path = _unreadable_file(tmp_path)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}: permission denied; expected a readable CSV file$"):
        read_csv(path, target="y")


# --- model loader ------------------------------------------------------------


def _valid_model(tmp_path):
    path = tmp_path / "good.npz"
    net = _fresh()
    net.save(path)
    return path


def _model_bytes(kind, good):
    data = good.read_bytes()
    return {
        "zero-bytes": b"",
        "truncated": data[: len(data) // 2],
        "random-bytes": np.random.default_rng(1).bytes(300),
        "pickle": pickle.dumps({"theta": np.zeros(3)}),
        "text": b"hello, world\n",
    }[kind]


MODEL_CASES = [
    ("zero-bytes", r"is empty \(0 bytes\)"),
    ("truncated", r"truncated or corrupted|corrupted"),
    ("random-bytes", r"is not an npdnn .* file \(unknown format"),
    ("pickle", r"is a Python pickle, which npdnn never loads"),
    ("text", r"unknown format, starts with b'hell'"),
]


@pytest.mark.parametrize(("kind", "msg"), MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_load_rejects(kind, msg, tmp_path):
    good = _valid_model(tmp_path)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(_model_bytes(kind, good))
    with pytest.raises(ModelFileError, match=msg):
        npdnn.load(bad)
    assert sorted(os.listdir(tmp_path)) == ["bad.npz", "good.npz"]
    assert isinstance(npdnn.load(good), Network)


def test_load_rejects_directory_and_missing(tmp_path):
    with pytest.raises(ModelFileError, match=r"is a directory; expected an npdnn"):
        npdnn.load(tmp_path)
    with pytest.raises(FileNotFoundError):
        npdnn.load(tmp_path / "nope.npz")
    assert os.listdir(tmp_path) == []


def test_load_rejects_newer_version(tmp_path):
    from npdnn.files.archive import write_archive
    from npdnn.files.network_file import VERSION as V

    path = tmp_path / "new.npz"
    write_archive(path, {"theta": np.zeros(3)}, {}, "model", V + 1)
    with pytest.raises(ModelFileError, match=rf"format version {V + 1}, newer than this npdnn reads"):
        npdnn.load(path)


def test_save_to_directory_writes_nothing(tmp_path):
    net = _fresh()
    with pytest.raises(IsADirectoryError, match=r"is a directory; expected a file path"):
        net.save(tmp_path)
    assert os.listdir(tmp_path) == []
    net.save(tmp_path / "m.npz")
    assert os.listdir(tmp_path) == ["m.npz"]
