"""Model files: Network.save / npdnn.load and DNNClassifier.save / load round trip
bit-exact; every damaged, foreign, future or pickled file is refused with a clear
npdnn.ModelFileError (and runs nothing); writing is atomic."""

import io
import json
import os
import pickle

import numpy as np
import pandas as pd
import pytest

import npdnn
from npdnn import DNNClassifier
from npdnn.files.archive import write_archive
from npdnn.files.network_file import read_model, save_model

from conftest import make_data

DTYPES = [np.float32, np.float64]


def _touch(path):
    """What a malicious pickle would call on unpickling: leaves a marker file."""
    with open(path, "w") as f:
        f.write("unpickled")
    return 0


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return _touch, (self.marker,)


def fitted(dtype=np.float64, labels=("no", "yes"), standardize=True, frame=False, **kw):
    X, y01 = make_data(60, 4, seed=3, dtype=dtype)
    y = np.asarray(labels)[y01 if len(labels) == 2 else np.arange(60) % len(labels)]
    if frame:
        X = pd.DataFrame(X, columns=["age", "height", "weight", "score"])
    kw.setdefault("hidden_layer_sizes", (5, 3))
    est = DNNClassifier(epochs=4, standardize=standardize, random_state=1, **kw)
    return est.fit(X, y), X


def assert_same_estimator(a, b, X):
    assert a.network_.theta.tobytes() == b.network_.theta.tobytes()
    assert a.network_.theta.dtype == b.network_.theta.dtype == a.dtype_ == b.dtype_
    assert a.network_.layer_dims == b.network_.layer_dims
    assert a.classes_.dtype == b.classes_.dtype
    np.testing.assert_array_equal(a.classes_, b.classes_)
    for method in ("predict", "predict_proba", "decision_function"):
        pa, pb = getattr(a, method)(X), getattr(b, method)(X)
        assert pa.dtype == pb.dtype
        np.testing.assert_array_equal(pa, pb)
    assert a.get_params() == b.get_params()
    assert a.n_features_in_ == b.n_features_in_
    assert (a.loss_curve_, a.validation_loss_curve_, a.n_iter_, a.best_loss_) == (
        b.loss_curve_,
        b.validation_loss_curve_,
        b.n_iter_,
        b.best_loss_,
    )
    for name in ("mean_", "scale_"):
        va, vb = getattr(a, name), getattr(b, name)
        assert (va is None and vb is None) or (va.tobytes() == vb.tobytes() and va.dtype == vb.dtype)


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("dtype", DTYPES)
def test_network_round_trip_is_bit_exact(tmp_path, dtype):
    X, y = make_data(30, 4, dtype=dtype)
    net = npdnn.Network([4, 6, 3, 1], "tanh", seed=2, dtype=dtype)
    net.fit(X, y, epochs=5, optimizer="adam")
    net.save(tmp_path / "net.npz")
    back = npdnn.load(tmp_path / "net.npz")
    assert isinstance(back, npdnn.Network)
    assert back.theta.tobytes() == net.theta.tobytes() and back.dtype == net.dtype == np.dtype(dtype)
    assert (back.layer_dims, back.hidden_activation, back.init) == (net.layer_dims, "tanh", net.init)
    np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))
    assert back.predict_proba(X).dtype == dtype


def test_softmax_network_round_trip(tmp_path):
    X, _ = make_data(30, 4)
    net = npdnn.Network([4, 5, 3], seed=0)
    net.save(tmp_path / "soft.npz")
    np.testing.assert_array_equal(npdnn.load(tmp_path / "soft.npz").predict_proba(X), net.predict_proba(X))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "labels, standardize, frame",
    [
        (("no", "yes"), True, False),
        ((3, 7, 9), False, True),
        ((False, True), True, True),
        ((-1.0, 2.0), False, False),
    ],
)
def test_estimator_round_trip_is_bit_exact(tmp_path, dtype, labels, standardize, frame):
    est, X = fitted(dtype, labels, standardize, frame)
    path = tmp_path / "model.npz"
    est.save(path)
    for back in (npdnn.load(path), DNNClassifier.load(path)):
        assert isinstance(back, DNNClassifier)
        assert_same_estimator(est, back, X)
        if frame:
            np.testing.assert_array_equal(back.feature_names_in_, est.feature_names_in_)
            assert back.feature_names_in_.dtype == object
        else:
            assert not hasattr(back, "feature_names_in_")


def test_estimator_round_trip_keeps_all_hyperparameters(tmp_path):
    est, X = fitted(
        labels=("a", "b", "c"),
        activation="leaky_relu",
        optimizer="momentum",
        learning_rate=0.05,
        l2=0.01,
        dropout=(0.1, 0.2),
        early_stopping=True,
        validation_fraction=0.2,
        patience=3,
        class_weight={"a": 2.0, "c": 0.5},
        dtype="float32",
    )
    est.save(tmp_path / "m.npz")
    back = DNNClassifier.load(tmp_path / "m.npz")
    assert_same_estimator(est, back, X)
    assert back.validation_loss_curve_ is not None and back.validation_scores_ == est.validation_scores_
    assert back.get_params()["class_weight"] == {"a": 2.0, "c": 0.5}
    assert back.get_params()["hidden_layer_sizes"] == (5, 3) and back.get_params()["dropout"] == (0.1, 0.2)


def test_list_hyperparameters_come_back_as_lists(tmp_path):
    est, X = fitted(hidden_layer_sizes=[5, 3], dropout=[0.0, 0.1])
    est.save(tmp_path / "m.npz")
    back = DNNClassifier.load(tmp_path / "m.npz")
    assert back.get_params()["hidden_layer_sizes"] == [5, 3] and back.get_params()["dropout"] == [0.0, 0.1]
    assert_same_estimator(est, back, X)


def test_saving_twice_gives_the_same_bytes(tmp_path):
    est, _ = fitted()
    est.save(tmp_path / "a.npz")
    est.save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_loaded_estimator_keeps_training(tmp_path):
    est, X = fitted()
    est.save(tmp_path / "m.npz")
    back = DNNClassifier.load(tmp_path / "m.npz")
    y = est.predict(X)
    back.partial_fit(X, y)
    assert back.n_iter_ == est.n_iter_ + 1
    assert back.network_.theta.tobytes() != est.network_.theta.tobytes()


def test_unfitted_estimator_cannot_be_saved(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        DNNClassifier().save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


# ---------------------------------------------------------------------- refused files
@pytest.fixture
def model_bytes(tmp_path):
    est, _ = fitted(labels=("no", "yes"), standardize=True)
    est.save(tmp_path / "good.npz")
    return (tmp_path / "good.npz").read_bytes()


def _refused(path, match):
    for loader in (npdnn.load, DNNClassifier.load):
        with pytest.raises(npdnn.ModelFileError, match=match) as info:
            loader(path)
        assert str(path) in str(info.value)
        # no chained traceback from inside NumPy or zipfile
        assert info.value.__cause__ is None and (info.value.__context__ is None or info.value.__suppress_context__)


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    _refused(tmp_path / "empty.npz", r"is empty \(0 bytes\)")


@pytest.mark.parametrize("fraction", [0.001, 0.01, 0.1, 0.5, 0.9, 0.99])
def test_truncated_file(tmp_path, model_bytes, fraction):
    n = max(4, int(len(model_bytes) * fraction))
    (tmp_path / "cut.npz").write_bytes(model_bytes[:n])
    _refused(tmp_path / "cut.npz", "truncated or corrupted")


def test_every_truncation_and_byte_flip_is_refused_or_harmless(tmp_path, model_bytes):
    """Cut the file at every length, and flip every byte (all bits, and the lowest
    bit): each damaged file is either refused with ModelFileError or, when the
    damage hit a field zipfile ignores, loads the very same model."""
    good = npdnn.load(tmp_path / "good.npz")
    X, _ = make_data(10, 4)
    path = tmp_path / "bad.npz"
    refused = 0
    for n in range(len(model_bytes)):
        path.write_bytes(model_bytes[:n])
        with pytest.raises(npdnn.ModelFileError):
            npdnn.load(path)
    for mask in (0xFF, 0x01):
        for i in range(len(model_bytes)):
            damaged = bytearray(model_bytes)
            damaged[i] ^= mask
            path.write_bytes(bytes(damaged))
            try:
                back = npdnn.load(path)
            except npdnn.ModelFileError:
                refused += 1
            else:
                assert back.network_.theta.tobytes() == good.network_.theta.tobytes()
                np.testing.assert_array_equal(back.classes_, good.classes_)
                np.testing.assert_array_equal(back.predict_proba(X), good.predict_proba(X))
    assert refused > len(model_bytes)  # most bytes are data guarded by the CRC


def test_flipped_parameter_byte_fails_the_checksum(tmp_path, model_bytes):
    theta = npdnn.load(tmp_path / "good.npz").network_.theta.tobytes()
    at = model_bytes.find(theta)
    assert at > 0
    damaged = bytearray(model_bytes)
    damaged[at + len(theta) // 2] ^= 0x10
    (tmp_path / "flip.npz").write_bytes(bytes(damaged))
    _refused(tmp_path / "flip.npz", "truncated or corrupted .*CRC")


@pytest.mark.parametrize("prefix", [b"", b"PK\x03\x04"])
def test_random_bytes(tmp_path, prefix):
    data = prefix + np.random.default_rng(0).bytes(3000)
    (tmp_path / "noise.npz").write_bytes(data)
    _refused(tmp_path / "noise.npz", "not an npdnn model file" if not prefix else "truncated or corrupted")


def test_foreign_npz_without_metadata(tmp_path):
    np.savez(tmp_path / "foreign.npz", a=np.arange(3), theta=np.zeros(4))
    _refused(tmp_path / "foreign.npz", r"is a NumPy archive but not an npdnn model file \(no metadata\)")


def test_a_checkpoint_is_not_a_model(tmp_path):
    X, y = make_data(20, 3)
    npdnn.Network([3, 2, 1], seed=0).fit(X, y, epochs=2, checkpoint=tmp_path / "run.ckpt")
    _refused(tmp_path / "run.ckpt", r"is not an npdnn model file \(format 'npdnn-checkpoint'\)")


def test_future_format_version(tmp_path):
    net = npdnn.Network([3, 1], seed=0)
    meta = {"network": {"layer_dims": [3, 1], "hidden_activation": "relu", "init": "he", "dtype": "float64"}}
    from npdnn.files.network_file import VERSION

    write_archive(tmp_path / "future.npz", {"theta": net.theta}, meta, "model", VERSION + 1)
    _refused(
        tmp_path / "future.npz", rf"has format version {VERSION + 1}, newer than this npdnn reads \(up to {VERSION}\)"
    )


def test_raw_pickle_file(tmp_path):
    marker = tmp_path / "marker"
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(Evil(str(marker))))
    _refused(tmp_path / "model.pkl", "is a Python pickle, which npdnn never loads")
    assert not marker.exists()


@pytest.mark.parametrize("member", ["theta", "classes", "mean"])
def test_crafted_pickled_object_array_runs_nothing(tmp_path, model_bytes, member):
    """A well-formed model file whose ``member`` was replaced by a pickled object
    array that would call ``_touch(marker)`` when unpickled."""
    marker = tmp_path / "marker"
    with np.load(io.BytesIO(model_bytes)) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[member] = np.array([Evil(str(marker)), 1], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # np.savez pickles the object array
    (tmp_path / "evil.npz").write_bytes(buf.getvalue())

    _refused(tmp_path / "evil.npz", "holds a pickled object array, which npdnn never loads")
    assert not marker.exists()

    # The crafted file really is dangerous: NumPy with pickles allowed runs the payload.
    with np.load(tmp_path / "evil.npz", allow_pickle=True) as z:
        z[member]
    assert marker.read_text() == "unpickled"


def test_member_that_is_not_an_array(tmp_path, model_bytes):
    import zipfile

    path = tmp_path / "notes.npz"
    path.write_bytes(model_bytes)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("notes.txt", "hello")
    _refused(path, "is corrupted: member 'notes.txt' is not a NumPy array")


def test_directory_and_missing_paths(tmp_path):
    (tmp_path / "folder.npz").mkdir()
    _refused(tmp_path / "folder.npz", "is a directory; expected an npdnn model file")
    for loader in (npdnn.load, DNNClassifier.load):
        with pytest.raises(FileNotFoundError):
            loader(tmp_path / "missing.npz")


def test_bare_network_is_not_an_estimator(tmp_path):
    npdnn.Network([3, 2, 1], seed=0).save(tmp_path / "net.npz")
    with pytest.raises(npdnn.ModelFileError, match="holds a bare npdnn Network, not a DNNClassifier"):
        DNNClassifier.load(tmp_path / "net.npz")


def test_invalid_network_description_and_parameters(tmp_path):
    net = npdnn.Network([3, 2, 1], seed=0)
    spec = {"layer_dims": [3, 2, 1], "hidden_activation": "relu", "init": "he", "dtype": "float64"}
    write_archive(tmp_path / "a.npz", {"theta": net.theta}, {"network": {**spec, "layer_dims": [3]}}, "model", 1)
    _refused_network(tmp_path / "a.npz", "has an invalid network description")
    write_archive(tmp_path / "b.npz", {"theta": net.theta[:-1]}, {"network": spec}, "model", 1)
    _refused_network(tmp_path / "b.npz", r"is corrupted: parameters \(10,\) float64 do not match the network")
    bad = net.theta.copy()
    bad[0] = np.nan
    write_archive(tmp_path / "c.npz", {"theta": bad}, {"network": spec}, "model", 1)
    _refused_network(tmp_path / "c.npz", "its parameters hold NaN or infinity")


def _refused_network(path, match):
    with pytest.raises(npdnn.ModelFileError, match=match):
        npdnn.load(path)


def _section(est, monkeypatch):
    """The network, arrays and metadata ``save`` would write, for tampering."""
    import npdnn.sklearn.estimator

    captured = {}
    monkeypatch.setattr(
        npdnn.sklearn.estimator,
        "save_model",
        lambda p, config, theta, arrays, meta, key=None: captured.update(locals()),
    )
    est.save("never-written.npz")
    monkeypatch.undo()
    return (captured["config"], captured["theta"]), dict(captured["arrays"]), json.loads(json.dumps(captured["meta"]))


@pytest.mark.parametrize(
    "tamper, match",
    [
        (lambda a, m: m.update(estimator="oops"), "expected a JSON object"),
        (lambda a, m: m["estimator"].pop("n_iter"), r"missing \['n_iter'\]"),
        (lambda a, m: m["estimator"]["params"].update(colour="red"), r"unknown hyperparameters \['colour'\]"),
        (lambda a, m: m["estimator"].update(n_features_in=7), "n_features_in=7 does not match"),
        (lambda a, m: m["estimator"].update(feature_names_in=["x"]), "feature_names_in must be None or 4 strings"),
        (lambda a, m: m["estimator"].update(n_iter=99), "n_iter=99 but the loss curve has"),
        (lambda a, m: m["estimator"].update(loss_curve="low"), "loss_curve must be a list of numbers"),
        (lambda a, m: m["estimator"].update(best_loss=-1.0), "best_loss=-1.0 does not match"),
        (lambda a, m: m["estimator"]["params"].update(hidden_layer_sizes=[9]), "does not match the network"),
        (lambda a, m: m["estimator"]["params"].update(activation="tanh"), "activation='tanh', init=None do not match"),
        (lambda a, m: m["estimator"]["params"].update(activation="swish"), "swish"),
        (lambda a, m: m["estimator"]["params"].update(init="glorot"), "init='glorot' do not match"),
        (lambda a, m: m["estimator"]["params"].update(dtype="float32"), "dtype='float32' does not match"),
        (lambda a, m: m["estimator"]["params"].update(class_weight={"x": 1}), "is not one npdnn writes"),
        (lambda a, m: a.update(classes=np.array(["a", "b", "c"])), "3 classes do not fit a network with 1 output"),
        (lambda a, m: a.update(classes=np.array(["b", "a"])), "classes must be at least two sorted distinct"),
        (lambda a, m: a.pop("classes"), "KeyError"),
        (lambda a, m: a.pop("mean"), "mean must be 4 finite float64 values; got None"),
        (lambda a, m: a.update(scale=-a["scale"]), "scale must be positive"),
        (lambda a, m: a.update(extra=np.zeros(2)), r"unexpected arrays \['extra'\]"),
        (lambda a, m: m["estimator"]["params"].update(standardize=False), "holds a standardization but standardize"),
    ],
)
def test_invalid_estimator_section(tmp_path, monkeypatch, tamper, match):
    est, _ = fitted(labels=("no", "yes"), standardize=True)
    net, arrays, meta = _section(est, monkeypatch)
    tamper(arrays, meta)
    path = tmp_path / "tampered.npz"
    save_model(path, *net, arrays=arrays, meta=meta)
    read_model(path)  # still a readable model file: only the estimator section is wrong
    _refused(path, "has an invalid estimator section .*" + match)


# ---------------------------------------------------------------------- atomic writes
def _fail_on_second_array(monkeypatch, exc=None):
    exc = OSError("disk full") if exc is None else exc
    original = np.lib.format.write_array
    calls = []

    def write_array(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise exc
        return original(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_array)
    return calls


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_save_leaves_previous_file_and_no_temp_file(tmp_path, monkeypatch, exc):
    est, X = fitted()
    path = tmp_path / "model.npz"
    est.save(path)
    before = path.read_bytes()

    other, _ = fitted(labels=("a", "b", "c"))
    calls = _fail_on_second_array(monkeypatch, exc)
    with pytest.raises(type(exc)):
        other.save(path)
    assert len(calls) == 2  # it failed midway, after writing a member
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]
    monkeypatch.undo()
    assert_same_estimator(est, DNNClassifier.load(path), X)


def test_failed_network_save_leaves_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    npdnn.Network([3, 2, 1], seed=0).save(path)
    before = path.read_bytes()
    _fail_on_second_array(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        npdnn.Network([3, 4, 1], seed=1).save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["net.npz"]


def test_save_onto_a_directory_is_refused(tmp_path):
    est, _ = fitted()
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        est.save(tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []


def test_saved_file_gets_the_usual_permissions_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "net.npz"
        npdnn.Network([3, 2, 1], seed=0).save(path)
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o640)  # an existing file keeps its mode
        npdnn.Network([3, 2, 1], seed=1).save(path)
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_interrupt_whose_handler_runs_inside_the_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    # A Ctrl-C that reached the process just before a save is handled by Python at the
    # next bytecode, which can fall inside tempfile.mkstemp after the file exists. Here
    # the SIGINT handler in force is called at exactly that point: the write must finish,
    # no temporary file may stay, and the KeyboardInterrupt must come right after.
    import signal
    import tempfile

    from npdnn.files import archive

    real_mkstemp = tempfile.mkstemp

    def mkstemp_then_signal(*args, **kwargs):
        result = real_mkstemp(*args, **kwargs)
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
        return result

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_signal)
    target = tmp_path / "model.bin"
    # Python's own Ctrl-C handler in force, whatever an earlier test in this worker process left
    # (seen under load, when xdist ran another order: an ignored SIGINT, so nothing was raised).
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            archive.atomic_write(target, lambda f: f.write(b"complete"))
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back after the write
    finally:
        signal.signal(signal.SIGINT, outer)
    assert target.read_bytes() == b"complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


def test_network_load_reads_back_a_network_of_the_calling_class(tmp_path):
    class Sub(npdnn.Network):
        pass

    net = npdnn.Network([3, 2, 1], seed=0)
    net.save(tmp_path / "net.npz")
    back = Sub.load(tmp_path / "net.npz")
    assert type(back) is Sub
    np.testing.assert_array_equal(back.theta, net.theta)


def test_a_model_file_with_an_unknown_activation_names_the_description(tmp_path):
    from npdnn.files.archive import write_archive

    net = npdnn.Network([3, 2, 1], seed=0)
    spec = {"layer_dims": [3, 2, 1], "hidden_activation": "swish", "init": "he", "dtype": "float64"}
    write_archive(tmp_path / "a.npz", {"theta": net.theta}, {"network": spec}, "model", 1)
    with pytest.raises(npdnn.ModelFileError, match=r"a\.npz has an invalid network description \{.*'swish'.*\} \("):
        npdnn.load(tmp_path / "a.npz")


def test_a_bare_network_is_signed_and_checked_with_its_key(tmp_path):
    """Network.save(key=...) signs, and Network.load / npdnn.load check the signature (the
    estimator's keyed files are tested in test_edited_files.py)."""
    key, other = b"the network's key, 16+", b"another key of 16 bytes"
    net = npdnn.Network([4, 3, 1], seed=2)
    net.save(tmp_path / "signed.npz", key=key)
    net.save(tmp_path / "plain.npz")
    for load in (npdnn.Network.load, npdnn.load):
        np.testing.assert_array_equal(load(tmp_path / "signed.npz", key=key).theta, net.theta)
        with pytest.raises(npdnn.ModelFileError, match="signature does not match the key"):
            load(tmp_path / "signed.npz", key=other)
        with pytest.raises(npdnn.ModelFileError, match="it is not signed, and a key was given"):
            load(tmp_path / "plain.npz", key=key)
