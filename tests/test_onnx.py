"""ONNX export run in onnxruntime: the same labels and probabilities as npdnn, for the
estimator (standardization included), bare networks, whole scikit-learn pipelines
through skl2onnx, and the ``npdnn export`` command."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import npdnn
from npdnn import DNNClassifier, Network

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid"]
TOL = {np.float32: 1e-6, np.float64: 1e-12}

# The models here train for a few epochs only: whatever they learned, the export must compute
# the same thing, so fit's diagnostics (one predicted class, a loss still falling) are beside the point.
pytestmark = [
    pytest.mark.filterwarnings("ignore::npdnn.train.diagnostics.TrainingWarning"),
    pytest.mark.filterwarnings("ignore::npdnn.ConvergenceWarning"),
]


def session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def run(model, X):
    label, proba = session(model).run(["label", "probabilities"], {"X": X})
    return label, proba


def problem(seed, n_classes, labels, dtype, m=80, n_x=None):
    """Random X (m, n_x) with features on different scales and offsets (so that the
    standardization matters), labels from a noisy rule over them."""
    rng = np.random.default_rng(seed)
    n_x = n_x or int(rng.integers(2, 9))
    X = (rng.standard_normal((m, n_x)) * rng.uniform(0.5, 20, n_x) + rng.uniform(-10, 10, n_x)).astype(dtype)
    score = (X - X.mean(0)) / X.std(0) @ rng.standard_normal(n_x)
    k = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    values = np.array(["cat", "dog", "emu", "fox"])[:n_classes] if labels == "str" else np.array([-3, 7, 40, 2])
    return X, values[:n_classes][k]


@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnxruntime_equals_estimator(activation, n_classes, dtype, labels):
    seed = ACTIVATIONS.index(activation) * 100 + n_classes * 10 + (dtype == np.float32) * 2 + (labels == "str")
    rng = np.random.default_rng(seed)
    X, y = problem(seed, n_classes, labels, dtype)
    hidden = tuple(int(n) for n in rng.integers(1, 12, size=rng.integers(0, 4)))  # () is logistic regression
    model = DNNClassifier(hidden, activation, epochs=3, batch_size=16, standardize=bool(seed % 2), random_state=seed)
    model.fit(X, y)
    onx = model.to_onnx()
    onnx.checker.check_model(onx, full_check=True)
    X_new = np.concatenate([X, 50 * rng.standard_normal((20, X.shape[1])).astype(dtype)])  # saturating rows too
    label, proba = run(onx, X_new)
    expected = model.predict_proba(X_new)
    assert proba.dtype == dtype and proba.shape == expected.shape == (X_new.shape[0], n_classes)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=TOL[dtype])
    np.testing.assert_array_equal(label, model.predict(X_new))
    assert label.dtype == (object if labels == "str" else np.int64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_L", [1, 4])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnxruntime_equals_network(activation, n_L, dtype):
    rng = np.random.default_rng(n_L)
    dims = [int(n) for n in rng.integers(1, 10, size=rng.integers(2, 6))] + [n_L]
    net = Network(dims, activation, seed=1, dtype=dtype)
    net.params["b1"] = rng.standard_normal((dims[1], 1))
    X = (3 * rng.standard_normal((64, dims[0]))).astype(dtype)
    label, proba = run(net.to_onnx(), X)
    P = net.predict_proba(X)
    expected = np.column_stack([1 - P, P]) if n_L == 1 else P
    np.testing.assert_allclose(proba, expected, rtol=0, atol=TOL[dtype])
    np.testing.assert_array_equal(label, net.predict(X))


def test_binary_ties_follow_each_predict():
    # All-zero parameters give Z = 0 exactly, proba 0.5: Network.predict says 1 (proba >= 0.5),
    # DNNClassifier.predict says classes_[0] (Z > 0 is false). Each export must keep its own rule.
    net = Network([3, 4, 1], seed=0)
    net.theta[:] = 0
    X = np.ones((5, 3))
    assert run(net.to_onnx(), X)[0].tolist() == net.predict(X).tolist() == [1] * 5
    model = DNNClassifier((4,), epochs=1, random_state=0).fit(np.eye(3).repeat(2, 0), ["a", "b"] * 3)
    model.network_.theta[:] = 0
    assert run(model.to_onnx(), X)[0].tolist() == model.predict(X).tolist() == ["a"] * 5


def test_graph_contract():
    model = DNNClassifier((5, 3), epochs=2, standardize=True, random_state=0)
    X, y = problem(0, 3, "str", np.float32, n_x=4)
    model.fit(X, y)
    onx = model.to_onnx()
    assert onx.opset_import[0].version == 17 and onx.ir_version == 8
    (inp,) = onx.graph.input
    assert inp.name == "X"
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == ["N", 4]
    assert [o.name for o in onx.graph.output] == ["label", "probabilities"]
    ops = [n.op_type for n in onx.graph.node]
    assert ops[:2] == ["Sub", "Div"] and ops.count("Gemm") == 3 and "Softmax" in ops
    # the batch dimension is dynamic: 1 row, and more rows than at export
    for m in (1, 257):
        X_m = np.random.default_rng(m).standard_normal((m, 4)).astype(np.float32)
        label, proba = run(onx, X_m)
        assert label.shape == (m,) and proba.shape == (m, 3)
    # a newer opset, and a column-major X, give the same results
    newest = onnx.defs.onnx_opset_version()
    a = run(model.to_onnx(opset=min(newest, 21)), np.asfortranarray(X))
    np.testing.assert_array_equal(a[0], model.predict(X))
    np.testing.assert_allclose(a[1], model.predict_proba(X), rtol=0, atol=1e-6)


def test_export_errors():
    with pytest.raises(ValueError, match=r"opset must be an integer from 13 to \d+ .*got 12"):
        Network([2, 1], seed=0).to_onnx(opset=12)
    with pytest.raises(ValueError, match=r"classes must hold 3 values, one per output class; got shape \(2,\)"):
        Network([2, 3], seed=0).to_onnx(classes=["a", "b"])
    with pytest.raises(ValueError, match=r"ONNX labels must be integers or strings; got classes \[0.5, 1.5\]"):
        Network([2, 1], seed=0).to_onnx(classes=[0.5, 1.5])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        DNNClassifier().to_onnx()


def test_float_and_bool_labels_that_are_whole_numbers_export_as_int64():
    net = Network([2, 1], seed=0)
    assert run(net.to_onnx(classes=np.array([0.0, 2.0])), np.ones((1, 2)))[0].dtype == np.int64
    assert run(net.to_onnx(classes=np.array([False, True])), np.ones((1, 2)))[0].dtype == np.int64


# ---------------------------------------------------------------- scikit-learn pipelines (skl2onnx)
@pytest.mark.parametrize(
    "dtype, n_classes, model_dtype",
    [(np.float64, 2, None), (np.float64, 3, None), (np.float32, 3, None), (np.float32, 2, "float64")],
)
def test_pipeline_converts_through_skl2onnx(dtype, n_classes, model_dtype):
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from npdnn.sklearn.skl2onnx import register

    register()
    X, y = problem(n_classes, n_classes, "str", dtype, m=120)
    dnn = DNNClassifier((9, 4), "tanh", epochs=4, batch_size=16, random_state=0, dtype=model_dtype)
    pipe = Pipeline([("scale", StandardScaler()), ("dnn", dnn)]).fit(X, y)
    onx = skl2onnx.to_onnx(pipe, X[:1], options={DNNClassifier: {"zipmap": False}})
    sess = session(onx)
    label, proba = sess.run(None, {sess.get_inputs()[0].name: X})
    np.testing.assert_array_equal(label, pipe.predict(X))
    # float32 rows: skl2onnx's Scaler multiplies by 1/scale where scikit-learn divides (1 ulp of input)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=1e-5 if dtype == np.float32 else 1e-12)
    assert proba.dtype == dtype


def test_pipeline_default_zipmap_output():
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from npdnn.sklearn.skl2onnx import register

    register()
    X, y = problem(5, 2, "int", np.float32, m=60)
    pipe = Pipeline([("scale", StandardScaler()), ("dnn", DNNClassifier((6,), epochs=2, random_state=0))]).fit(X, y)
    sess = session(skl2onnx.to_onnx(pipe, X[:1]))
    label, dicts = sess.run(None, {sess.get_inputs()[0].name: X})
    np.testing.assert_array_equal(label, pipe.predict(X))
    assert sorted(dicts[0]) == sorted(pipe.classes_.tolist())
    np.testing.assert_allclose([d[pipe.classes_[1]] for d in dicts], pipe.predict_proba(X)[:, 1], atol=1e-5)


# ---------------------------------------------------------------- npdnn export (the real command)
def npdnn_bin():
    path = pathlib.Path(sys.executable).parent / "npdnn"
    if not path.exists():
        pytest.skip("the npdnn console script is not installed beside this Python")
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cli_export_runs_in_onnxruntime(tmp_path, dtype):
    env = {k: v for k, v in os.environ.items() if k != "NPDNN_DEBUG"}
    cmd = npdnn_bin()
    train = [cmd, "train", "--layers", "6", "--epochs", "3", "--quiet", "--out", "model.npz"]
    train += [] if dtype == np.float32 else ["--dtype", "float64"]  # float32 is the command line's default
    subprocess.run(train, cwd=tmp_path, check=True, capture_output=True, env=env, timeout=120)
    done = subprocess.run(
        [cmd, "export", "model.npz", "--onnx", "deploy/model.onnx"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "opset 17, IR 8" in done.stderr
    model = npdnn.load(tmp_path / "model.npz")
    assert model.dtype_ == dtype
    import pandas as pd

    X = (np.random.default_rng(0).standard_normal((30, model.n_features_in_)) * 10 + 5).astype(dtype)
    frame = pd.DataFrame(X, columns=model.feature_names_in_)  # the model was trained on named columns
    onx = onnx.load(str(tmp_path / "deploy/model.onnx"))
    label, proba = run(onx, X)
    np.testing.assert_array_equal(label, model.predict(frame))
    np.testing.assert_allclose(proba, model.predict_proba(frame), rtol=0, atol=TOL[dtype])


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.npz", "--onnx", "m.onnx"], "missing.npz: no such file; expected an npdnn model file"),
        (["model.npz", "--onnx", "m.onnx", "--opset", "9"], "opset must be an integer from 13 to"),
        (["model.npz", "--onnx", "."], "--onnx . is a directory; expected a file path"),
        (["model.npz"], "the following arguments are required: --onnx"),
    ],
)
def test_cli_export_bad_input_exits_2(tmp_path, args, message):
    Network([3, 2, 1], seed=0).save(tmp_path / "model.npz")
    done = subprocess.run([npdnn_bin(), "export", *args], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "m.onnx").exists()


def test_cli_export_of_a_bare_network(tmp_path):
    net = Network([3, 5, 2], "tanh", seed=0)
    net.save(tmp_path / "net.npz")
    done = subprocess.run(
        [npdnn_bin(), "export", "net.npz", "--onnx", "net.onnx", "--quiet"], cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0 and done.stderr == b""
    X = np.random.default_rng(1).standard_normal((9, 3))
    label, proba = run(onnx.load(str(tmp_path / "net.onnx")), X)
    np.testing.assert_array_equal(label, net.predict(X))
    np.testing.assert_allclose(proba, net.predict_proba(X), rtol=0, atol=1e-12)


def test_import_npdnn_stays_without_onnx_and_says_how_to_get_it():
    # onnx blocked: npdnn imports and trains; the export names the extra to install.
    code = (
        "import sys; sys.modules['onnx'] = None\n"
        "import npdnn\n"
        "net = npdnn.Network([2, 1], seed=0)\n"
        "try:\n    net.to_onnx()\nexcept ImportError as e:\n    print(e)\n"
        "heavy = ('onnx', 'onnxruntime', 'skl2onnx', 'torch', 'sklearn')\n"
        "print(sorted(m for m, v in sys.modules.items() if v is not None and m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["ONNX export needs the onnx package; install it with: pip install 'npdnn[onnx]'", "[]"]


# ---------------------------------------------------------------- the 1-row serving fast path
# predict on a few plain finite rows skips the general input checks (validation.is_ready);
# it must give the same numbers as the general path and leave every check's error in place.
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_path_gives_the_general_paths_results(dtype, n_classes):
    X, y = problem(3, n_classes, "str", dtype, m=60)
    model = DNNClassifier((7,), epochs=2, standardize=True, random_state=0).fit(X, y)
    net = model.network_
    for rows in (X[:1], X[:5], np.asfortranarray(X[:5])):
        general = rows.tolist()  # a list goes through validate_data / check_X in full
        np.testing.assert_array_equal(model.predict_proba(rows), model.predict_proba(general))
        np.testing.assert_array_equal(model.predict(rows), model.predict(general))
        np.testing.assert_array_equal(net.predict_proba(rows), net.predict_proba(general))
    P = model.predict_proba(X[:3])
    assert P.dtype == dtype and P.shape == (3, n_classes) and P.flags.c_contiguous


def test_fast_path_keeps_every_check():
    from sklearn.exceptions import NotFittedError

    from npdnn.checks import is_ready

    X, y = problem(4, 2, "int", np.float64, m=40, n_x=3)
    model = DNNClassifier((4,), epochs=1, random_state=0).fit(X, y)
    bad = X[:1].copy()
    bad[0, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.predict_proba(bad)
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(first at row 0, column 1"):
        model.network_.predict_proba(bad)
    with pytest.raises(ValueError, match="X has 2 features, but DNNClassifier is expecting 3 features"):
        model.predict_proba(X[:1, :2])
    with pytest.raises(NotFittedError):
        DNNClassifier().predict_proba(X[:1])
    # float32 rows into a float64 model are converted, not refused
    np.testing.assert_allclose(model.predict_proba(X[:2].astype(np.float32)), model.predict_proba(X[:2]), atol=1e-6)
    assert not is_ready(X[:1].astype(np.float32), 3, np.float64) and not is_ready(np.empty((0, 3)), 3, np.float64)
    assert not is_ready(np.memmap, 3, np.float64) and is_ready(X[:2], 3, np.float64)
    # a model fitted on named columns still warns about a bare array (the check the fast path must not skip)
    pd = pytest.importorskip("pandas")
    named = DNNClassifier((4,), epochs=1, random_state=0).fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        named.predict_proba(X[:1])


def test_skl2onnx_converts_the_estimator_alone_on_integer_rows():
    # Integer rows (an Int64 input): the converter casts them to the network's dtype, and the
    # probabilities keep that dtype.
    skl2onnx = pytest.importorskip("skl2onnx")
    from skl2onnx.common.data_types import Int64TensorType

    from npdnn.sklearn.skl2onnx import register

    register()
    X, y = problem(6, 3, "int", np.float64, m=60, n_x=3)
    X = np.round(X).astype(np.int64)
    model = DNNClassifier((5,), epochs=2, standardize=True, random_state=0).fit(X, y)
    onx = skl2onnx.to_onnx(
        model, initial_types=[("X", Int64TensorType([None, 3]))], options={DNNClassifier: {"zipmap": False}}
    )
    label, proba = session(onx).run(None, {"X": X})
    assert proba.dtype == np.float64
    np.testing.assert_array_equal(label, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-12)
