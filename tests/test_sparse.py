"""scipy sparse X (issue 25): CSR and CSC, matrix and array classes, trained and predicted
a mini-batch (or chunk) of rows at a time, never densified whole, with the very bits of
the fit on ``X.toarray()``; the real files through scikit-learn's ColumnTransformer with
OneHotEncoder; checkpoints that know the sparse data; clear errors on bad sparse input."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import npdnn
from npdnn import DNNClassifier
from npdnn.compiled import wanted
from npdnn.nn.chunking import chunk_rows
from npdnn.nn.sparse_rows import SparseRows, sparse_rows
from npdnn.train import batching

DATASETS = "/work/shared/datasets"
FORMATS = [sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array]
COMPILED = [False, pytest.param(True, marks=pytest.mark.skipif(not wanted(None), reason="no numba"))]


def _sparse_problem(m=300, n_x=40, density=0.15, seed=0, dtype=np.float64):
    """A seeded sparse problem: X (m, n_x) with ~density nonzeros (some rows empty), y 0/1."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n_x)) * (rng.random((m, n_x)) < density)
    X[5] = 0  # an empty row
    y = (X[:, :4].sum(axis=1) + 0.3 * rng.standard_normal(m) > 0).astype(np.int64)
    return X.astype(dtype), y


def _dense(Xs):
    """``Xs.toarray()`` C-ordered (a CSC's toarray() is F-ordered: the fit does not care,
    but one-pass prediction on it would take other BLAS kernels)."""
    return np.ascontiguousarray(Xs.toarray())


# ---------------------------------------------------------------------- the rows themselves
def _messy_csr():
    """A CSR whose rows include empty ones, explicit zeros, duplicates and unsorted columns."""
    data = np.array([1.5, -2.0, 0.0, 3.0, 4.0, 0.25, 7.0, -1.0])
    indices = np.array([3, 0, 5, 3, 3, 1, 0, 2])  # row 1: columns 3, 3 (duplicate) and 1
    indptr = np.array([0, 3, 6, 6, 8])  # row 2 is empty
    return sp.csr_matrix((data, indices, indptr), shape=(4, 6))


def test_rows_are_the_rows_of_the_dense_form():
    X = _messy_csr()
    dense = X.toarray()  # sums the duplicate: row 1, column 3 is 3 + 4
    R = sparse_rows(X)
    assert not X.has_canonical_format  # the caller's matrix is left as it was (R holds a canonical copy)
    for idx in ([0, 1, 2, 3], [3, 1, 1, 0], [2], []):
        np.testing.assert_array_equal(R[np.array(idx, dtype=np.intp)], dense[idx])
    for key in (slice(None), slice(1, 3), slice(2, 3), slice(3, 1), slice(None, None, 2)):
        np.testing.assert_array_equal(R[key], dense[key])
    out = np.full((2, 6), 9.0)
    assert R.take(np.array([1, 3]), out=out) is out  # into a buffer that held other values
    np.testing.assert_array_equal(out, dense[[1, 3]])
    assert R.max_row_norm() == pytest.approx(np.linalg.norm(dense, axis=1).max(), rel=1e-12)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_large_random_rows_match_in_float32(index_dtype):
    Xd, _ = _sparse_problem(m=500, n_x=300, density=0.02, seed=4)
    X = sp.csr_array(Xd)
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    R = sparse_rows(X, dtype=np.float32)
    idx = np.random.default_rng(1).permutation(500)[:257]
    block = R[idx]
    assert block.dtype == np.float32 and block.flags.c_contiguous
    np.testing.assert_array_equal(block, Xd.astype(np.float32)[idx])


def test_sparse_rows_are_never_converted_whole():
    R = sparse_rows(sp.csr_matrix(np.eye(3)))
    with pytest.raises(TypeError, match=r"not made dense whole; take rows with X\[rows\]"):
        np.asarray(R)
    assert isinstance(R.astype(np.float32), SparseRows) and R.astype(np.float32).data is R.data


# ---------------------------------------------------------------------- bit-identical to dense
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("compiled", COMPILED)
def test_network_fit_on_sparse_is_the_fit_on_its_dense_form(fmt, dtype, compiled):
    X, y = _sparse_problem(dtype=dtype)
    Xs = fmt(X)
    w = np.random.default_rng(7).random(X.shape[0])
    kw = dict(
        optimizer="adam",
        learning_rate=0.01,
        epochs=12,
        batch_size=32,
        seed=3,
        early_stopping=True,
        patience=3,
        validation_fraction=0.2,
        sample_weight=w,
        compiled=compiled,
        diagnostics=False,
    )
    a, b = npdnn.Network([40, 8, 1], seed=1, dtype=dtype), npdnn.Network([40, 8, 1], seed=1, dtype=dtype)
    ha, hb = a.fit(Xs, y, **kw), b.fit(_dense(Xs), y, **kw)
    assert ha == hb  # every loss and validation loss, the best epoch
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.theta.dtype == dtype
    np.testing.assert_array_equal(a.predict_proba(Xs), b.predict_proba(_dense(Xs)))
    assert a.cost(Xs, y) == b.cost(_dense(Xs), y)


@pytest.mark.parametrize(
    "kw",
    [
        dict(shuffle=False, validation_fraction=0.25),  # unshuffled, training rows a subset
        dict(shuffle=False),  # unshuffled, every row: consecutive spans of the CSR arrays
        dict(batch_size=None),  # the full batch, made dense once
        dict(validation_data="sparse"),  # a sparse validation set
        dict(spans=True, validation_fraction=0.2),  # shuffled in spans of blocks (X above the 64 MiB budget)
    ],
    ids=lambda kw: ",".join(kw),
)
def test_every_batching_mode_is_bit_identical(kw, monkeypatch):
    X, y = _sparse_problem(m=400, seed=2)
    Xs = sp.csr_matrix(X)
    kw = {"batch_size": 16, **kw}
    if kw.pop("spans", False):  # the budget made small, for both fits: spans of whole batches
        monkeypatch.setattr(batching, "SHUFFLE_SPAN_BYTES", 64 * 40 * 8)
        assert len(batching.shuffle_plan(320, 16, 40, np.float64)[0]) > 3
    dense_kw = dict(kw)
    if kw.get("validation_data") == "sparse":
        Xv, yv = _sparse_problem(m=120, seed=9)
        kw["validation_data"], dense_kw["validation_data"] = (sp.csc_array(Xv), yv), (Xv, yv)
    common = dict(optimizer="momentum", learning_rate=0.05, epochs=4, seed=5, compiled=False)
    a, b = npdnn.Network([40, 6, 1], seed=0), npdnn.Network([40, 6, 1], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert a.fit(Xs, y, **kw, **common) == b.fit(X, y, **dense_kw, **common)
    np.testing.assert_array_equal(a.theta, b.theta)


def test_softmax_and_dropout_on_sparse_are_bit_identical():
    X, y = _sparse_problem(m=240, seed=3)
    y3 = (y + (X[:, 5] > 0)).astype(np.int64)  # three classes
    kw = dict(optimizer="adam", epochs=3, batch_size=20, seed=1, dropout=0.2, diagnostics=False)
    a, b = npdnn.Network([40, 8, 3], seed=0), npdnn.Network([40, 8, 3], seed=0)
    a.fit(sp.csc_matrix(X), y3, **kw), b.fit(X, y3, **kw)
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.predict(sp.csr_array(X)), b.predict(X))


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_array], ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_estimator_on_sparse_is_the_estimator_on_dense(fmt, dtype):
    X, y = _sparse_problem(m=360, dtype=dtype)
    labels = np.where(y == 1, "yes", "no")
    w = np.random.default_rng(2).random(X.shape[0])
    Xs = fmt(X)
    kw = dict(
        hidden_layer_sizes=(12,), epochs=15, batch_size=32, early_stopping=True, random_state=0, class_weight="balanced"
    )
    kw["standardize"] = False  # "auto" scales the dense form only (test_standardize_auto.py)
    a = DNNClassifier(**kw).fit(Xs, labels, sample_weight=w)
    b = DNNClassifier(**kw).fit(_dense(Xs), labels, sample_weight=w)
    assert a.best_epoch_ is not None and a.best_epoch_ == b.best_epoch_
    assert a.validation_loss_curve_ == b.validation_loss_curve_
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)
    assert a.dtype_ == dtype and a.predict_proba(Xs).dtype == dtype
    for method in ("predict", "predict_proba", "decision_function"):
        np.testing.assert_array_equal(getattr(a, method)(Xs), getattr(b, method)(_dense(Xs)))
    assert a.score(Xs, labels) == b.score(_dense(Xs), labels)


def test_layer_diagnostics_and_training_accuracy_read_sparse_rows():
    X, y = _sparse_problem(m=300)
    kw = dict(hidden_layer_sizes=(8,), epochs=4, diagnostics=True, random_state=0, standardize=False)
    a = DNNClassifier(**kw).fit(sp.csr_matrix(X), y, callbacks=[npdnn.callbacks.TrainingAccuracy()])
    b = DNNClassifier(**kw).fit(X, y, callbacks=[npdnn.callbacks.TrainingAccuracy()])
    assert a.training_scores_ == b.training_scores_ and len(a.training_scores_) == 4
    assert a.diagnostics_["Z_mean"] == b.diagnostics_["Z_mean"]  # the probe's rows, made dense
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)


def test_partial_fit_and_warm_start_on_sparse():
    X, y = _sparse_problem(m=200)
    Xs = sp.csr_array(X)
    kw = dict(hidden_layer_sizes=(6,), batch_size=16, random_state=0, early_stopping=False, epochs=3, standardize=False)
    a, b = DNNClassifier(**kw), DNNClassifier(**kw)
    for part in (slice(0, 100), slice(100, 200)):
        a.partial_fit(Xs[part], y[part], classes=[0, 1])
        b.partial_fit(X[part], y[part], classes=[0, 1])
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)
    a.set_params(warm_start=True).fit(Xs, y)
    b.set_params(warm_start=True).fit(X, y)
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)


def test_integer_and_bool_sparse_are_cast_per_batch():
    X, y = _sparse_problem(m=200)
    counts = np.round(np.abs(X) * 3).astype(np.int64)
    kw = dict(optimizer="adam", epochs=3, batch_size=16, seed=0, diagnostics=False)
    for given in (counts, counts > 0):
        a, b = npdnn.Network([40, 5, 1], seed=0), npdnn.Network([40, 5, 1], seed=0)
        a.fit(sp.csr_matrix(given), y, **kw), b.fit(given.astype(np.float64), y, **kw)
        np.testing.assert_array_equal(a.theta, b.theta)
        np.testing.assert_array_equal(a.predict_proba(sp.csc_matrix(given)), b.predict_proba(given.astype(float)))


# ---------------------------------------------------------------------- checkpoints
def test_resume_on_sparse_is_bit_exact_and_other_sparse_data_is_refused(tmp_path):
    X, y = _sparse_problem(m=160)
    Xs = sp.csr_matrix(X)
    kw = dict(optimizer="adam", batch_size=16, seed=4, diagnostics=False)
    path = tmp_path / "run.npz"
    npdnn.Network([40, 5, 1], seed=0).fit(Xs, y, epochs=3, checkpoint=path, **kw)
    resumed = npdnn.Network([40, 5, 1], seed=0)
    resumed.fit(sp.csc_matrix(X), y, epochs=6, checkpoint=path, resume=True, **kw)  # CSC: the same CSR
    straight = npdnn.Network([40, 5, 1], seed=0)
    straight.fit(Xs, y, epochs=6, **kw)
    np.testing.assert_array_equal(resumed.theta, straight.theta)

    other = Xs.copy()
    other.data[7] += 1e-9  # one stored value
    moved = Xs.copy()  # one stored value moved to a column its row does not hold
    first = Xs.indptr[0]
    moved.indices[first] = next(c for c in range(40) if c not in Xs.indices[first : Xs.indptr[1]])
    for changed in (other, moved, sp.csr_matrix(np.vstack([X[:-1], X[:1]]))):
        with pytest.raises(npdnn.ModelFileError, match=r"belongs to a different run \(.*data: checkpoint"):
            npdnn.Network([40, 5, 1], seed=0).fit(changed, y, epochs=8, checkpoint=path, resume=True, **kw)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "bad, match",
    [
        (
            lambda X: _with(X, 2, 3, np.nan),
            r"X contains NaN or infinity \(first at row 2, column 3: nan\); expected finite",
        ),
        (lambda X: _with(X, 7, 0, -np.inf), r"X contains NaN or infinity \(first at row 7, column 0: -inf\)"),
        (lambda X: sp.csr_matrix(X[:, :39]), r"X has 39 features, the network was built for n_x = 40"),
        (lambda X: sp.csr_matrix((0, 40)), r"X has 0 samples \(shape \(0, 40\)\); expected at least 1"),
        (
            lambda X: sp.csr_matrix(X.astype(complex)),
            r"real numbers \(bool, int or float\); got a sparse matrix of dtype complex128",
        ),
        (lambda X: sp.coo_array(X[0]), r"2-D sparse matrix of shape \(n_samples, n_features\); got shape \(40,\)"),
    ],
    ids=["nan", "inf", "columns", "empty", "complex", "1-D"],
)
def test_bad_sparse_input_is_named(bad, match):
    X, y = _sparse_problem()
    Xb = bad(X)
    with pytest.raises(ValueError, match=match):
        npdnn.Network([40, 4, 1]).fit(Xb, y[: Xb.shape[0]])


def _with(X, row, col, value):
    X = X.copy()
    X[row, col] = value
    return sp.csr_matrix(X)


def test_a_value_too_large_for_float32_and_bad_prediction_input_are_named():
    X, y = _sparse_problem()
    X[4, 9] = 1e300
    with pytest.raises(ValueError, match=r"X value 1e\+300 at row 4, column 9 is too large for float32"):
        npdnn.Network([40, 4, 1], dtype=np.float32).fit(sp.csr_matrix(X), y)
    net = npdnn.Network([40, 4, 1])
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(first at row 2, column 3: nan\)"):
        net.predict(_with(X, 2, 3, np.nan))
    with pytest.raises(ValueError, match=r"X has 41 features"):
        net.predict_proba(sp.csc_matrix(np.ones((3, 41))))
    with pytest.raises(ValueError, match=r"X is a sparse matrix \(format 'csr', shape \(300, 40\)\).*X.toarray\(\)"):
        net.gradients(sp.csr_matrix(X), y)


def test_estimator_errors_on_sparse_input():
    X, y = _sparse_problem()
    Xs = sp.csr_matrix(X)
    for standardize in (True, "robust"):
        with pytest.raises(
            ValueError, match=r"sparse X cannot be centered without densifying it: pass standardize=Fal"
        ):
            DNNClassifier(standardize=standardize).fit(Xs, y)
    with pytest.raises(ValueError, match=r"Input X contains NaN"):
        DNNClassifier(epochs=1).fit(_with(X, 1, 1, np.nan), y)
    est = DNNClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0).fit(Xs, y)
    with pytest.raises(ValueError, match=r"X has 39 features, but DNNClassifier is expecting 40"):
        est.predict(sp.csr_matrix(X[:, :39]))
    # A model standardized on dense X predicts sparse X (its chunks are made dense, then standardized) ...
    dense_model = DNNClassifier(hidden_layer_sizes=(4,), epochs=2, standardize=True, random_state=0).fit(X, y)
    np.testing.assert_array_equal(dense_model.predict_proba(Xs), dense_model.predict_proba(X))
    # ... but does not train on it: that would center it
    with pytest.raises(ValueError, match=r"sparse X cannot be centered"):
        dense_model.set_params(warm_start=True).fit(Xs, y)
    with pytest.raises(ValueError, match=r"sparse X cannot be centered"):
        dense_model.partial_fit(Xs, y)


# ---------------------------------------------------------------------- the files people have
def _titanic():
    df = pd.read_csv(f"{DATASETS}/titanic.csv").drop(columns=["alive"])
    y = df.pop("survived").to_numpy()
    cats = ["sex", "embarked", "class", "who", "adult_male", "deck", "embark_town", "alone"]
    df[cats] = df[cats].astype(str)  # booleans and NaN as categories
    return df, y, cats, ["pclass", "age", "sibsp", "parch", "fare"]


def _adult(rows=6000):
    df = pd.read_csv(f"{DATASETS}/adult-train.csv", header=None, na_values="?", skipinitialspace=True, nrows=rows)
    df.columns = [str(c) for c in df.columns]
    y = df.pop("14").to_numpy()
    cats = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    return df, y, cats, [c for c in df.columns if c not in cats]


def _pipeline(cats, nums, sparse, **kw):
    onehot = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", sparse_output=sparse)
    )
    scaled = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    columns = ColumnTransformer([("cat", onehot, cats), ("num", scaled, nums)], sparse_threshold=1.0 if sparse else 0)
    return make_pipeline(columns, DNNClassifier(random_state=0, **{"standardize": False, **kw}))


@pytest.mark.parametrize(
    "load, floor, kw",
    [
        (_titanic, 0.76, dict(hidden_layer_sizes=(32,), epochs=60)),  # majority share 0.62
        (_adult, 0.81, dict(hidden_layer_sizes=(32,), epochs=15, batch_size=128)),  # majority share 0.76
    ],
    ids=["titanic", "adult"],
)
def test_one_hot_pipeline_on_real_files_scores_as_the_dense_one(load, floor, kw):
    X, y, cats, nums = load()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    sparse_model = _pipeline(cats, nums, sparse=True, **kw).fit(X_train, y_train)
    dense_model = _pipeline(cats, nums, sparse=False, **kw).fit(X_train, y_train)
    assert sp.issparse(sparse_model[0].transform(X_test)) and not sp.issparse(dense_model[0].transform(X_test))
    score = sparse_model.score(X_test, y_test)
    assert score >= floor
    assert score == dense_model.score(X_test, y_test)
    np.testing.assert_array_equal(sparse_model[-1].network_.theta, dense_model[-1].network_.theta)


def test_adults_default_column_transformer_output_is_sparse():
    X, y, cats, nums = _adult(rows=2000)
    columns = ColumnTransformer(
        [
            (
                "cat",
                make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
                cats,
            ),
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), nums),
        ]
    )  # scikit-learn's defaults: sparse_threshold=0.3
    model = make_pipeline(columns, DNNClassifier(hidden_layer_sizes=(8,), epochs=3, random_state=0)).fit(X, y)
    assert sp.issparse(columns.transform(X[:5]))
    assert set(model.predict(X[:50])) <= set(y)


# ---------------------------------------------------------------------- memory
@pytest.mark.parametrize(
    "m, n_x, density",
    [(60_000, 2_000, 0.002), pytest.param(200_000, 5_000, 0.001, marks=pytest.mark.slow)],
    ids=["480MB-dense", "4GB-dense"],
)
def test_fit_and_predict_never_hold_the_dense_x(m, n_x, density):
    rng = np.random.default_rng(0)
    X = sp.random(m, n_x, density=density, format="csr", dtype=np.float32, random_state=rng)
    y = (np.asarray(X[:, :20].sum(axis=1)).ravel() > 0) ^ (rng.random(m) < 0.3)
    dense_bytes = m * n_x * 4
    est = DNNClassifier(hidden_layer_sizes=(8,), epochs=1, batch_size=256, random_state=0)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        fit_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        P = est.predict_proba(X)
        predict_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert P.shape == (m, 2) and P.dtype == np.float32
    # The constant: a chunk of prediction made dense (npdnn.nn.chunking.chunk_rows rows, at least twice
    # the widest layer) plus the convergence check's sample of 4096 rows in float64; never X's dense bytes.
    chunk = chunk_rows(est.network_.layer_dims, 4, dense_input=False)
    constant = 1.5 * chunk * n_x * 4 + 4096 * n_x * 12 + (64 << 20)
    assert fit_peak < constant and predict_peak < constant, (fit_peak / 1e6, predict_peak / 1e6, constant / 1e6)
    assert max(fit_peak, predict_peak) < dense_bytes / 2.5


def test_a_wide_sparse_x_is_predicted_in_chunks_within_the_budget():
    # 20,000 columns: the dense rule's floor (twice the widest layer, n_x included) would make one
    # chunk of all 12,000 rows dense, 960 MB in float32; the sparse rule keeps a chunk near CHUNK_BYTES.
    from npdnn.nn.chunking import CHUNK_BYTES

    m, n_x = 12_000, 20_000
    rng = np.random.default_rng(0)
    X = sp.random(m, n_x, density=1e-4, format="csr", dtype=np.float32, random_state=rng)
    net = npdnn.Network([n_x, 8, 1], seed=0, dtype=np.float32)
    assert chunk_rows(net.layer_dims, 4) >= m  # the dense rule: one chunk of every row
    assert chunk_rows(net.layer_dims, 4, dense_input=False) * n_x * 4 <= CHUNK_BYTES
    tracemalloc.start()
    try:
        P = net.predict_proba(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * CHUNK_BYTES, peak / 1e6
    # the same values as a dense pass over some of the rows, to the chunking tolerance
    rows = np.sort(rng.choice(m, 300, replace=False))
    dense = net.predict_proba(X[rows].toarray())
    np.testing.assert_allclose(P[rows], dense, rtol=0, atol=8 * np.finfo(np.float32).eps)
