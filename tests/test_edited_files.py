"""Model and checkpoint files edited on purpose (issue 27): every member rewritten with a
valid zip CRC, and, where the test is about the schema rather than the digest, with
the digest recomputed too (what an adversary who read the format would do). Each
attack listed in the issue is one test here; each must end in ModelFileError with a
short message, in bounded memory."""

import json
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

import npdnn
from npdnn.files.archive import FIXED_DATE, MAX_MESSAGE_CHARS, META_KEY, ModelFileError
from npdnn.files.integrity import DIGEST_MEMBER, Digest, seal

from conftest import make_data

MiB = 2**20
KW = dict(optimizer="adam", learning_rate=0.01, batch_size=7, seed=5)


# ---------------------------------------------------------------------- editing a file
def members(path):
    """``{name: raw .npy bytes}`` in file order."""
    with zipfile.ZipFile(path) as z:
        return {info.filename[:-4]: z.read(info) for info in z.infolist()}


def npy_bytes(array):
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asanyarray(array), allow_pickle=False)
    return buf.getvalue()


def rewrite(path, parts, reseal=True, key=None):
    """Write ``parts`` ({name: .npy bytes}) as a stored zip (zipfile computes each CRC);
    with ``reseal``, the ``__digest__`` member is recomputed over the edited members."""
    parts = {k: v for k, v in parts.items() if k != DIGEST_MEMBER} if reseal else dict(parts)
    if reseal:
        digest = Digest()
        for name, data in parts.items():
            digest.begin(name)
            digest.update(data)
            digest.end()
        parts[DIGEST_MEMBER] = npy_bytes(np.frombuffer(seal(digest.hexdigest(), key), np.uint8))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in parts.items():
            z.writestr(zipfile.ZipInfo(name + ".npy", date_time=FIXED_DATE), data)
    return path


def meta_of(parts):
    return json.loads(np.lib.format.read_array(__import__("io").BytesIO(parts[META_KEY])).tobytes())


def with_meta(parts, meta):
    return {**parts, META_KEY: npy_bytes(np.frombuffer(json.dumps(meta).encode(), np.uint8))}


@pytest.fixture(scope="module")
def classifier_path(tmp_path_factory):
    from npdnn.sklearn.estimator import DNNClassifier

    X, y = make_data(40, 4)
    path = tmp_path_factory.mktemp("edited") / "c.npz"
    DNNClassifier(hidden_layer_sizes=(5,), epochs=3, standardize=True, random_state=0).fit(X, y).save(path)
    return path


def loaders():
    from npdnn.sklearn.estimator import DNNClassifier

    return [npdnn.load, DNNClassifier.load]


def assert_refused(path, match=None):
    for load in loaders():
        with pytest.raises(ModelFileError, match=match) as info:
            load(path)
        assert len(str(info.value)) <= MAX_MESSAGE_CHARS


# ---------------------------------------------------------------------- the model-file attacks
def test_structured_dtype_in_metadata_is_refused(classifier_path, tmp_path):
    """The issue: ``{"names": ..., "itemsize": 1e20}`` made np.dtype raise OverflowError."""
    parts = members(classifier_path)
    meta = meta_of(parts)
    meta["network"]["dtype"] = {"names": ["a"], "formats": ["f8"], "itemsize": 1e20}
    assert_refused(rewrite(tmp_path / "m.npz", with_meta(parts, meta)), r"dtype .*expected one of")


def test_unclosed_npy_header_is_refused(classifier_path, tmp_path):
    """The issue: an unclosed bracket escaped NumPy's header parser as tokenize.TokenError."""
    parts = members(classifier_path)
    header_end = parts["theta"].index(b"}")
    parts["theta"] = parts["theta"][:header_end].replace(b"(", b"((") + b" " + parts["theta"][header_end + 1 :]
    assert_refused(rewrite(tmp_path / "m.npz", parts), r"member 'theta.npy': its .npy header is not one npdnn writes")


@pytest.mark.parametrize("descr", ["|O", "|V8", "<c16", "<M8[s]", "b1," * 20, "<U99999", "[('a', '<f8')]"])
def test_npy_dtypes_other_than_numbers_and_text_are_refused(classifier_path, tmp_path, descr):
    parts = members(classifier_path)
    text = parts["theta"]
    start = text.index(b"'descr': '") + len(b"'descr': '")
    end = text.index(b"'", start)
    parts["theta"] = text[:start] + descr.encode() + text[end:]
    assert_refused(rewrite(tmp_path / "m.npz", parts))


def test_huge_dtype_text_is_refused_fast_small_and_short(classifier_path, tmp_path):
    """The issue: a 3.9 MB file whose dtype was ``"b1," * 1_300_000`` cost ~400 MB and
    8-19 s and made a 23 MB message. Bounded: < 100 MB traced here; the message short."""
    parts = members(classifier_path)
    meta = meta_of(parts)
    meta["network"]["dtype"] = "b1," * 1_300_000
    path = rewrite(tmp_path / "m.npz", with_meta(parts, meta))
    assert path.stat().st_size > 3.8e6
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=r"dtype 'b1,b1,.*\(3900000 characters\)") as info:
            npdnn.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * MiB, peak
    assert len(str(info.value)) < 400


def test_info_prints_short_lines_for_a_huge_field(classifier_path, tmp_path):
    parts = members(classifier_path)
    meta = meta_of(parts)
    meta["network"]["hidden_activation"] = "x" * 3_000_000
    path = rewrite(tmp_path / "m.npz", with_meta(parts, meta))
    run = subprocess.run([sys.executable, "-m", "npdnn", "info", str(path)], capture_output=True, text=True)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert len(run.stderr) < 2 * MAX_MESSAGE_CHARS and run.stderr.count("\n") == 1, run.stderr[:300]


def test_a_bit_flipped_in_theta_is_refused_even_with_its_crc_recomputed(classifier_path, tmp_path):
    """The issue: 118 of 120 such files loaded with different predictions."""
    parts = members(classifier_path)
    theta = bytearray(parts["theta"])
    theta[-3] ^= 0x10
    parts["theta"] = bytes(theta)
    assert_refused(rewrite(tmp_path / "m.npz", parts, reseal=False), r"do not match its digest")


def test_digest_printed_by_info_is_the_one_checked(classifier_path):
    run = subprocess.run([sys.executable, "-m", "npdnn", "info", str(classifier_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("digest: "))
    assert line.split()[1].startswith("sha256:") and len(line.split()[1]) == 7 + 64
    from npdnn.files.network_file import read_model

    assert line.split()[1] == read_model(classifier_path)[3]["integrity"]["digest"]


def test_removing_the_digest_member_is_refused(classifier_path, tmp_path):
    parts = members(classifier_path)
    del parts[DIGEST_MEMBER]
    assert_refused(rewrite(tmp_path / "m.npz", parts, reseal=False), r"carries no digest")


def test_files_from_before_the_digest_load_and_say_so(classifier_path, tmp_path):
    """Version-1 files (written before digests) load; ``info`` says the digest is absent."""
    parts = members(classifier_path)
    del parts[DIGEST_MEMBER]
    meta = meta_of(parts)
    meta["version"] = 1
    path = rewrite(tmp_path / "old.npz", with_meta(parts, meta), reseal=False)
    model = npdnn.load(path)
    np.testing.assert_array_equal(model.network_.theta, npdnn.load(classifier_path).network_.theta)
    run = subprocess.run([sys.executable, "-m", "npdnn", "info", str(path)], capture_output=True, text=True)
    assert run.returncode == 0 and "digest: none (written before" in run.stdout
    with pytest.raises(ModelFileError, match="carries no digest, so the key cannot check it"):
        npdnn.load(path, key=b"k" * 16)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"hidden_layer_sizes": list(range(20_000))}, "20000 entries"),
        ({"optimizer": "adam" * 1000}, "is not a number, a short name or null"),
        ({"epochs": 10**40}, "is not a number, a short name or null"),
        ({"class_weight": {"pairs": [[0, 1, 2]]}}, "is not a list of pairs"),
        ({"random_state": {"seed": 1}}, "is not one npdnn writes"),
    ],
)
def test_estimator_hyperparameters_are_checked_by_shape(classifier_path, tmp_path, params, match):
    parts = members(classifier_path)
    meta = meta_of(parts)
    meta["estimator"]["params"].update(params)
    path = rewrite(tmp_path / "m.npz", with_meta(parts, meta))
    with pytest.raises(ModelFileError, match=match):
        npdnn.load(path)


# ---------------------------------------------------------------------- keys
def test_key_signs_and_checks(classifier_path, tmp_path):
    model = npdnn.load(classifier_path)
    path = tmp_path / "signed.npz"
    model.save(path, key=b"secret key of 16+")
    assert npdnn.load(path, key=b"secret key of 16+").classes_.tolist() == model.classes_.tolist()
    npdnn.load(path)  # the digest alone still checks
    with pytest.raises(ModelFileError, match="signature does not match the key"):
        npdnn.load(path, key=b"another key, 16+ bytes")
    with pytest.raises(ModelFileError, match="it is not signed, and a key was given"):
        npdnn.load(classifier_path, key=b"secret key of 16+")
    # An adversary without the key re-seals an edited file: the digest matches, the signature cannot.
    parts = members(path)
    theta = bytearray(parts["theta"])
    theta[-3] ^= 0x10
    parts["theta"] = bytes(theta)
    forged = rewrite(tmp_path / "forged.npz", parts, reseal=True, key=b"guessed key 16 bytes")
    npdnn.load(forged)  # unkeyed: a consistent file (this is what a key is for)
    with pytest.raises(ModelFileError, match="signature does not match"):
        npdnn.load(forged, key=b"secret key of 16+")


def test_cli_key_file(tmp_path):
    key, other = tmp_path / "key", tmp_path / "other"
    key.write_text("0123456789abcdef0123\n")
    other.write_text("fedcba9876543210fedc\n")
    model = tmp_path / "m.npz"
    cli = [sys.executable, "-m", "npdnn"]
    train = subprocess.run(
        [*cli, "train", "--epochs", "2", "--out", str(model), "--key-file", str(key)], capture_output=True, text=True
    )
    assert train.returncode == 0, train.stderr
    ok = subprocess.run([*cli, "info", str(model), "--key-file", str(key)], capture_output=True, text=True)
    assert ok.returncode == 0 and "signature verified" in ok.stdout, ok.stderr
    bad = subprocess.run([*cli, "info", str(model), "--key-file", str(other)], capture_output=True, text=True)
    assert bad.returncode != 0 and "signature does not match" in bad.stderr and bad.stderr.count("\n") == 1


# ---------------------------------------------------------------------- the fuzzer
def test_fuzz_edited_members(classifier_path, tmp_path):
    """Fixed seed, 300 files: random bytes of random members changed, CRCs recomputed.
    Unsealed edits are always refused (the digest); re-sealed edits are refused with
    ModelFileError or load (a consistent file), never another exception."""
    rng = np.random.default_rng(27)
    base = members(classifier_path)
    names = [n for n in base if n != DIGEST_MEMBER]
    outcomes = {"refused": 0, "loaded": 0}
    for i in range(300):
        parts = dict(base)
        name = names[rng.integers(len(names))]
        data = bytearray(parts[name])
        for _ in range(rng.integers(1, 4)):
            at = rng.integers(len(data))
            data[at] = rng.integers(256) if rng.random() < 0.5 else data[at] ^ (1 << rng.integers(8))
        parts[name] = bytes(data)
        reseal = bool(i % 2)
        path = rewrite(tmp_path / f"f{i}.npz", parts, reseal=reseal)
        try:
            npdnn.load(path)
            outcomes["loaded"] += 1
            assert reseal or bytes(data) == base[name], f"an unsealed edit of {name} loaded"
        except ModelFileError as e:
            outcomes["refused"] += 1
            assert len(str(e)) <= MAX_MESSAGE_CHARS
    assert outcomes["refused"] > 150, outcomes


# ---------------------------------------------------------------------- checkpoints
@pytest.fixture
def checkpoint(tmp_path):
    X, y = make_data(30, 4)
    path = tmp_path / "run.ckpt"
    npdnn.Network([4, 5, 1], seed=1).fit(X, y, epochs=3, checkpoint=path, **KW)
    return path, X, y


def resume(path, X, y, epochs=6):
    return npdnn.Network([4, 5, 1], seed=1).fit(X, y, epochs=epochs, checkpoint=path, resume=True, **KW)


def edit_checkpoint(path, change_meta=None, change_arrays=None):
    parts = members(path)
    if change_meta is not None:
        meta = meta_of(parts)
        change_meta(meta)
        parts = with_meta(parts, meta)
    if change_arrays is not None:
        change_arrays(parts)
    return rewrite(path, parts)


def _set(*keys, value):
    def change(meta):
        target = meta
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value

    return change


@pytest.mark.parametrize(
    "change, match",
    [
        (_set("network", value=[1, 2]), "network is"),
        (_set("fingerprint", value=[1, 2]), "fingerprint is"),
        (_set("schedule", value=[1, 2]), "schedule is"),
        (_set("epoch", value=float("inf")), "epoch is inf"),
        (_set("epoch", value=-1), "epoch is -1; expected an integer from 0"),
        (_set("optimizer", "t", value=float("inf")), r"optimizer.t is inf"),
        (_set("rng", "state", "state", value=10**200), r"rng is \{.bit_generator.: .PCG64., .state.: \{.state.: 1000"),
        (_set("net_state", "rng", "bit_generator", value="seed"), r"net_state.rng is"),
        (_set("rng", "bit_generator", value="seed"), r"rng is"),
        (_set("optimizer", "learning_rate", value=-1.0), r"optimizer.learning_rate is -1.0"),
        (_set("callbacks", value={"History0": {"history": {"loss": ["x" * 5000]}}}), r"callbacks is"),
    ],
)
def test_edited_checkpoint_metadata_is_refused(checkpoint, change, match):
    path, X, y = checkpoint
    edit_checkpoint(path, change_meta=change)
    before = np.random.get_state()[1].copy()  # noqa: NPY002 (the global state must not change)
    with pytest.raises(ModelFileError, match=match) as info:
        resume(path, X, y)
    assert len(str(info.value)) <= MAX_MESSAGE_CHARS
    after = np.random.get_state()[1]  # noqa: NPY002
    np.testing.assert_array_equal(after, before)  # "seed" never reseeded NumPy


def _array(name, value):
    def change(parts):
        if value is None:
            del parts[name]
        else:
            parts[name] = npy_bytes(value(np.lib.format.read_array(__import__("io").BytesIO(parts[name]))))

    return change


@pytest.mark.parametrize(
    "change, match",
    [
        (_array("opt_m_sum", None), r"optimizer state 'm_sum' is None"),
        (_array("opt_m_sum", lambda a: a[:-1]), r"array 'opt_m_sum' is .*\(31,\) float64"),
        (_array("opt_v_sum", lambda a: a.astype(str)), r"array 'opt_v_sum' is"),
        (_array("opt_v_sum", lambda a: a.astype(np.float32)), r"array 'opt_v_sum' is"),
        (_array("opt_m_sum", lambda a: np.full_like(a, np.nan)), r"NaN or infinity"),
        (_array("theta", lambda a: a.astype(np.float32)), r"array 'theta' is"),
    ],
)
def test_edited_checkpoint_arrays_are_refused_never_replaced(checkpoint, change, match):
    """The issue: Adam's moment missing or of the wrong length was replaced by zeros."""
    path, X, y = checkpoint
    edit_checkpoint(path, change_arrays=change)
    with pytest.raises(ModelFileError, match=match):
        resume(path, X, y)


def test_unknown_checkpoint_array_is_refused(checkpoint):
    path, X, y = checkpoint
    edit_checkpoint(path, change_arrays=lambda parts: parts.update(opt_extra=npy_bytes(np.zeros(3))))
    with pytest.raises(ModelFileError, match=r"an array is 'opt_extra'"):
        resume(path, X, y)


def test_resealed_unchanged_checkpoint_still_resumes(checkpoint):
    """The helper itself: a re-sealed file with no edit resumes (so the refusals above come from the edits)."""
    path, X, y = checkpoint
    edit_checkpoint(path, change_meta=lambda meta: None)
    resume(path, X, y)


def test_checkpoint_bit_flip_is_refused(checkpoint):
    path, X, y = checkpoint
    parts = members(path)
    theta = bytearray(parts["opt_m_sum"])
    theta[-1] ^= 1
    parts["opt_m_sum"] = bytes(theta)
    rewrite(path, parts, reseal=False)
    with pytest.raises(ModelFileError, match="do not match its digest"):
        resume(path, X, y)


# ---------------------------------------------------------------------- rejecting any file up to the metadata cap
def _meta_texts():
    """JSON texts of about 4 MiB (the cap, MAX_META_BYTES) shaped to cost the most to parse or check."""
    n = 4 * MiB - 512
    head = '{"format": "npdnn-model", "version": 2, '
    net = '"network": {"layer_dims": [4, 5, 1], "hidden_activation": "relu", "init": "he", "dtype": "float64"}'
    return {
        "deep": "[" * n,
        "ints": "[" + "7," * (n // 2 - 1) + "7]",
        "floats": "[" + "1e308," * (n // 6 - 1) + "1]",
        "keys": head + ", ".join(f'"k{i}": 0' for i in range(n // 14)) + "}",
        "text": head + '"network": "' + "a" * (n - 80) + '"}',
        "layer_dims": head + '"network": {"layer_dims": [' + "1," * (n // 2 - 80) + '1], "dtype": "float64"}}',
        "feature names": head + net + ', "estimator": {"feature_names_in": [' + '"ab",' * (n // 5 - 60) + '"a"]}}',
        "dtype": head + '"network": {"layer_dims": [4, 5, 1], "dtype": "' + "b1," * (n // 3 - 80) + '"}}',
    }


@pytest.mark.parametrize("shape", sorted(_meta_texts()))
def test_rejecting_metadata_up_to_the_cap_stays_small(classifier_path, tmp_path, shape):
    """Every file up to the 4 MiB metadata cap is rejected in < 100 MB (traced; the time,
    < 1 s each on an idle machine, is in benchmarks/reject_metadata.py)."""
    from npdnn.sklearn.estimator import DNNClassifier

    text = _meta_texts()[shape].encode()
    parts = {**members(classifier_path), META_KEY: npy_bytes(np.frombuffer(text, np.uint8))}
    path = rewrite(tmp_path / "m.npz", parts)
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError) as info:
            DNNClassifier.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * MiB, (shape, peak)
    assert len(str(info.value)) <= MAX_MESSAGE_CHARS


def test_early_stopping_best_theta_is_checked_against_the_network(tmp_path):
    X, y = make_data(30, 4)
    path = tmp_path / "es.ckpt"
    kw = dict(KW, early_stopping=True, patience=50)
    npdnn.Network([4, 5, 1], seed=1).fit(X, y, epochs=3, checkpoint=path, **kw)
    assert "cb_EarlyStopping0_best_theta" in members(path)
    edit_checkpoint(path, change_arrays=_array("cb_EarlyStopping0_best_theta", lambda a: a[:5]))
    with pytest.raises(ModelFileError, match=r"array 'cb_EarlyStopping0_best_theta' is '\(5,\) float64'"):
        npdnn.Network([4, 5, 1], seed=1).fit(X, y, epochs=6, checkpoint=path, resume=True, **kw)
