"""Data-parallel training on a local Dask cluster (2 worker processes) equals one process.

One cluster for the module; every test keeps its data small. See docs/distributed.md.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from npdnn import Network

from conftest import DASK_MARKS, cluster_client

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

pytestmark = DASK_MARKS


@pytest.fixture(scope="module")
def client():
    with cluster_client() as c:
        yield c


def _data(m=390, n_x=6, K=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_x))
    logits = X @ rng.normal(size=(n_x, max(K, 2)))
    y = logits.argmax(axis=1) if K > 1 else (logits[:, 0] > logits[:, 1]).astype(int)
    w = rng.uniform(0.2, 3.0, size=m)
    return X, y, w


# uneven row chunks: the workers' shares of a batch differ, and the last batch is partial
CHUNKS = (130, 70, 190)


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("transport", ["socket", "dask"])
def test_twenty_steps_equal_single_process(client, optimizer, weighted, transport):
    """4 batches (100, 100, 100, 90) x 5 epochs = 20 steps, L2, shuffled: theta within 1e-10."""
    from npdnn.distributed import fit

    X, y, w = _data()
    kw = dict(optimizer=optimizer, learning_rate=0.05, epochs=5, batch_size=100, l2=0.3, seed=7)
    kw["sample_weight"] = w if weighted else None
    local = Network([6, 5, 4, 1], seed=1)
    start = local.theta.copy()
    h1 = local.fit(X, y, **kw)
    net = Network([6, 5, 4, 1], seed=1)
    if weighted:
        kw["sample_weight"] = da.from_array(w, chunks=(200,))  # chunked unlike X: realigned
    h2 = fit(
        net, da.from_array(X, chunks=(CHUNKS, 6)), da.from_array(y, chunks=(100,)), client, transport=transport, **kw
    )
    assert np.abs(local.theta - start).max() > 1e-2  # it did train
    np.testing.assert_allclose(net.theta, local.theta, rtol=0, atol=1e-10)
    np.testing.assert_allclose(h2["loss"], h1["loss"], rtol=1e-12)


def test_above_the_shuffle_span_the_workers_draw_the_same_order(client, monkeypatch):
    """A training set larger than the shuffle span (lowered to 150 rows) is shuffled in spans
    of 64-byte blocks (npdnn.train.batching.epoch_order); the driver sends the span and block, the
    shards draw the same order: theta within 1e-10 of one process."""
    from npdnn.distributed import fit
    from npdnn.train import batching

    X, y, _ = _data()
    kw = dict(optimizer="adam", learning_rate=0.05, epochs=3, batch_size=50, seed=4)
    uniform = Network([6, 5, 1], seed=1)
    uniform.fit(X, y, **kw)
    monkeypatch.setattr(batching, "SHUFFLE_SPAN_BYTES", 150 * 6 * 8)
    assert batching.shuffle_plan(390, 50, 6, np.float64) == ((0, 150, 300, 390), 8)
    local, net = Network([6, 5, 1], seed=1), Network([6, 5, 1], seed=1)
    local.fit(X, y, **kw)
    fit(net, da.from_array(X, chunks=(CHUNKS, 6)), da.from_array(y, chunks=(100,)), client, **kw)
    assert np.abs(local.theta - uniform.theta).max() > 1e-3  # the spans changed the batches
    np.testing.assert_allclose(net.theta, local.theta, rtol=0, atol=1e-10)


def test_softmax_full_batch_equal(client):
    from npdnn.distributed import fit

    X, y, _ = _data(K=3)
    local, net = Network([6, 8, 3], seed=2), Network([6, 8, 3], seed=2)
    local.fit(X, y, optimizer="adam", learning_rate=0.01, epochs=20, l2=0.1)
    fit(net, da.from_array(X, chunks=(CHUNKS, 6)), y, client, optimizer="adam", learning_rate=0.01, epochs=20, l2=0.1)
    np.testing.assert_allclose(net.theta, local.theta, rtol=0, atol=1e-10)


def test_float32_keeps_dtype(client):
    from npdnn.distributed import fit

    X, y, _ = _data()
    local, net = Network([6, 4, 1], seed=3, dtype=np.float32), Network([6, 4, 1], seed=3, dtype=np.float32)
    local.fit(X.astype(np.float32), y, optimizer="adam", epochs=3, batch_size=64, seed=0)
    fit(net, da.from_array(X, chunks=(CHUNKS, 6)), y, client, optimizer="adam", epochs=3, batch_size=64, seed=0)
    assert net.theta.dtype == np.float32
    np.testing.assert_allclose(net.theta, local.theta, rtol=0, atol=1e-5)


def test_local_sgd_trains_close_to_synchronous(client):
    """sync_every=k is a different algorithm: not equal, but it must learn the same problem."""
    from npdnn.distributed import fit

    X, y, _ = _data(m=2000)
    Xd = da.from_array(X, chunks=(1000, 6))
    sync, local = Network([6, 16, 1], seed=4), Network([6, 16, 1], seed=4)
    kw = dict(optimizer="adam", learning_rate=0.01, epochs=10, batch_size=100, seed=0)
    fit(sync, Xd, y, client, **kw)
    h = fit(local, Xd, y, client, sync_every=5, **kw)
    acc_sync = np.mean(sync.predict(X) == y)
    acc_local = np.mean(local.predict(X) == y)
    assert acc_sync > 0.9
    assert acc_local > acc_sync - 0.05, (acc_local, acc_sync)
    assert h["loss"][-1] < h["loss"][0]
    assert np.abs(sync.theta - local.theta).max() > 1e-6  # really the other algorithm


@pytest.mark.parametrize("standardize", [True, "auto"])
def test_estimator_on_dask_dataframe_equals_pandas(client, standardize):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from npdnn import DNNClassifier

    X, y, w = _data(m=300)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    df["flag"] = (X[:, 0] > 0.5).astype(float)  # a 0/1 feature: "auto" leaves it unscaled both ways
    labels = pd.Series(np.where(y == 1, "spam", "ham"))
    kw = dict(
        hidden_layer_sizes=(5,), epochs=4, batch_size=64, l2=0.1, early_stopping=False, random_state=0
    )  # the same training both ways: early stopping (on by default) is not supported on Dask input yet
    local = DNNClassifier(**kw, standardize=standardize).fit(df, labels, sample_weight=w)
    dist = DNNClassifier(**kw, standardize=standardize).fit(
        dd.from_pandas(df, npartitions=3), dd.from_pandas(labels, npartitions=3), w
    )
    assert list(dist.classes_) == ["ham", "spam"]
    flag_scaled = (local.mean_[-1], local.scale_[-1]) != (0.0, 1.0)
    assert flag_scaled == (standardize is True)
    np.testing.assert_allclose(dist.mean_, local.mean_, rtol=1e-12)
    np.testing.assert_allclose(dist.network_.theta, local.network_.theta, rtol=0, atol=1e-10)
    assert (dist.predict(df) == local.predict(df)).all()
    assert list(dist.feature_names_in_) == list(df.columns)


def test_gridsearch_under_joblib_dask_backend(client):
    import joblib
    from sklearn.model_selection import GridSearchCV

    from npdnn import DNNClassifier

    X, y, _ = _data(m=200)
    search = GridSearchCV(
        DNNClassifier(hidden_layer_sizes=(4,), learning_rate=0.02, epochs=30, random_state=0), {"l2": [0.0, 1.0]}, cv=2
    )
    with joblib.parallel_backend("dask"):
        search.set_params(n_jobs=-1).fit(X, y)
    ran_on = client.run(lambda dask_worker: len(dask_worker.data) >= 0 and dask_worker.state.executed_count)
    assert sum(ran_on.values()) >= 4  # the 2 x 2 fits ran as tasks on the workers
    assert search.best_params_["l2"] in (0.0, 1.0)
    assert search.best_score_ > 0.7


def test_no_client_is_a_clear_error():
    from npdnn.distributed.driver import _client

    code = (
        "from npdnn.distributed.driver import _client\ntry:\n    _client(None)\nexcept ValueError as e:\n    print(e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "no Dask client" in out.stdout
    assert callable(_client)


def test_import_npdnn_does_not_import_dask():
    code = "import sys, npdnn; print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def _write_parts(folder, write):
    """400 labelled rows ("yes"/"no") in 4 part files written by ``write(frame, path_stem)``; the frame."""
    pd = pytest.importorskip("pandas")
    X, y, _ = _data(m=400)
    folder.mkdir()
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]).assign(y=np.where(y == 1, "yes", "no"))
    for i in range(4):
        write(df.iloc[i * 100 : (i + 1) * 100], folder / f"part{i}")
    return df


def test_cli_trains_on_parquet_parts_via_scheduler(client, tmp_path):
    parts = tmp_path / "parts"
    df = _write_parts(parts, lambda part, stem: part.to_parquet(stem.with_suffix(".parquet")))
    model = tmp_path / "model.npz"
    cmd = [sys.executable, "-m", "npdnn", "train", "--data", str(parts / "*.parquet"), "--target", "y"]
    cmd += [
        "--scheduler",
        client.scheduler.address,
        "--epochs",
        "30",
        "--learning-rate",
        "0.02",
        "--layers",
        "8",
        "--out",
        str(model),
    ]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert "accuracy" in out.stdout
    from npdnn import DNNClassifier

    est = DNNClassifier.load(model)
    assert list(est.classes_) == ["no", "yes"]
    assert np.mean(est.predict(df.drop(columns="y")) == df["y"]) > 0.8


def test_cli_on_csv_parts_with_row_names_leaves_them_out(client, tmp_path):
    """CSV parts written with pandas' index (an unnamed first column of row numbers): the cluster run
    leaves it out, as a local run does, and says so."""
    parts = tmp_path / "parts"
    _write_parts(parts, lambda part, stem: part.to_csv(stem.with_suffix(".csv")))  # header ",f0,...": the index
    model = tmp_path / "model.npz"
    cmd = [sys.executable, "-m", "npdnn", "train", "--data", str(parts / "*.csv"), "--target", "y", "--scheduler",
           client.scheduler.address, "--epochs", "5", "--layers", "8", "--l2", "1", "--out", str(model)]  # fmt: skip
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONWARNINGS="ignore")
    )
    assert out.returncode == 0, out.stderr
    assert 'column 1 has no name ("Unnamed: 0" as pandas reads it): taken as row names' in out.stderr, out.stderr
    from npdnn import DNNClassifier

    assert list(DNNClassifier.load(model).feature_names_in_) == [f"f{i}" for i in range(6)]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda X, y, w: (X[:, :5], y, None), r"X has 5 features; the network expects 6"),
        (lambda X, y, w: (X, y + 1, None), r"labels must be class indices in 0\.\.1; a shard holds 2"),
        (lambda X, y, w: (X, y[:-1], None), r"y has 389 entries; X has 390 rows"),
        (lambda X, y, w: (X, y, -w), r"sample_weight must hold finite non-negative numbers"),
    ],
)
def test_bad_input_is_a_clear_error(client, change, message):
    from npdnn.distributed import fit

    X, y, w = _data()
    X, y, w = change(X, y, w)
    with pytest.raises(ValueError, match=message):
        fit(Network([6, 3, 1], seed=0), da.from_array(X, chunks=(CHUNKS, -1)), y, client, sample_weight=w, epochs=1)
