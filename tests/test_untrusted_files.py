"""Crafted model files cannot make loading allocate what they merely declare.

Each attack file is loaded in a child process whose address space is capped
(``resource.setrlimit(RLIMIT_AS)``) 512 MiB above what it has after its imports:
the file must be refused with ModelFileError naming it, and the child's peak
resident memory (its high-water mark ``VmHWM``, reset after the imports; the
child's ``ru_maxrss`` would carry the pytest parent's peak across fork) must stay
within a few MiB of where it started.
A legitimate model costs no more to load than to build, plus a constant.
"""

import json
import os
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest

import npdnn
from npdnn import ModelFileError, Network
from npdnn.files.archive import MAX_META_BYTES, META_KEY
from npdnn.files.limits import parameter_count

MiB = 2**20
HEADROOM = 512 * MiB  # the child's address-space cap above its size after imports
SPEC = {"layer_dims": [3, 4, 1], "hidden_activation": "relu", "init": "he", "dtype": "float64"}

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    import numpy as np
    import npdnn

    def status(key):  # kB
        return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key + ":"))

    mode, path, headroom = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "estimator":
        from npdnn import DNNClassifier  # imported before the baseline: scikit-learn is large
    vm = status("VmSize") * 1024
    resource.setrlimit(resource.RLIMIT_AS, (vm + headroom, vm + headroom))
    # The peak from here on: ru_maxrss keeps the parent's peak across fork and exec, so the
    # child resets its own high-water mark (VmHWM) and measures from its resident size now.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status("VmRSS")
    out = {"error": None, "message": ""}
    try:
        if mode == "build":  # what the legitimate model costs to create
            net = npdnn.Network(json.loads(path), seed=0)
        elif mode == "estimator":
            net = DNNClassifier.load(path).network_
        else:
            net = npdnn.load(path)
        net.grad[...] = 0  # the gradient is part of the model's cost, whether or not a page was touched
    except BaseException as e:
        out = {"error": type(e).__name__, "message": str(e)}
    out["peak_mib"] = (status("VmHWM") - before) / 1024
    print(json.dumps(out))
    """
)


def load_in_child(path, mode="load", headroom=HEADROOM):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("NPDNN_MAX_PARAMETERS", None)
    run = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(headroom)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


# ---------------------------------------------------------------------- crafting zip files by hand
def npy(shape, dtype):
    """A .npy header declaring ``shape`` / ``dtype`` (no data)."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    text = repr(header).encode("latin1")
    text += b" " * (-(len(text) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def meta_bytes(meta=None):
    meta = {"format": "npdnn-model", "version": 1, "network": SPEC} if meta is None else meta
    blob = json.dumps(meta).encode()
    return npy((len(blob),), np.uint8) + blob


def member(name, data, deflate=False, size=None, crc=None):
    """``(name, bytes in the file, method, crc, uncompressed size)``; ``data`` is the
    uncompressed content (or, with ``size``/``crc``, an already compressed stream)."""
    if size is not None:
        return (name, data, 8, crc, size)
    if deflate:
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        return (name, co.compress(data) + co.flush(), 8, zlib.crc32(data), len(data))
    return (name, data, 0, zlib.crc32(data), len(data))


def write_zip(path, members):
    """A zip file written field by field, so the fields can say anything."""
    out, central = bytearray(), bytearray()
    for name, data, method, crc, size in members:
        fname = name.encode()
        head = (20, 0, 0, method, 0, 33, crc, len(data), size, len(fname), 0)  # version .. extra length
        central += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, *head, 0, 0, 0, 0, len(out)) + fname
        out += struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", *head) + fname + data
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def zeros_bomb(prefix, n_bytes):
    """A raw deflate stream of ``prefix`` then ``n_bytes`` zero bytes, about n_bytes / 1000
    long: full flushes reset the compressor, so each MiB of zeros compresses to the same
    bytes, which are repeated. Returns ``(stream, crc, size)``."""
    zeros = bytes(MiB)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = co.compress(prefix) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    assert co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH) == block
    n = n_bytes // MiB
    crc = zlib.crc32(prefix)
    for _ in range(n):
        crc = zlib.crc32(zeros, crc)
    return head + block * n + co.flush(), crc, len(prefix) + n * MiB


@pytest.fixture(scope="module")
def theta():
    return Network(SPEC["layer_dims"], seed=0).theta


def stored_theta(theta):
    return member("theta.npy", npy(theta.shape, theta.dtype) + theta.tobytes())


# ---------------------------------------------------------------------- the attacks
def test_handmade_zip_of_a_valid_model_loads(tmp_path, theta):
    """The crafting helpers make files npdnn reads, so each refusal below is the attack's doing."""
    path = write_zip(tmp_path / "ok.npz", [member(f"{META_KEY}.npy", meta_bytes()), stored_theta(theta)])
    np.testing.assert_array_equal(npdnn.load(path).theta, theta)
    assert load_in_child(path)["error"] is None


GiB2 = 2 * 2**30


@pytest.fixture(scope="module")
def theta_bomb(tmp_path_factory):
    """2 MiB on disk: theta deflate-compressed, inflating to 2 GiB of declared float64 zeros."""
    stream, crc, size = zeros_bomb(npy((GiB2 // 8,), np.float64), GiB2)
    return [member(f"{META_KEY}.npy", meta_bytes()), member("theta.npy", stream, size=size, crc=crc)]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["load", "estimator"])
def test_compressed_theta_bomb_is_refused_unread(tmp_path, theta_bomb, mode):
    path = write_zip(tmp_path / "bomb.npz", theta_bomb)
    assert path.stat().st_size < 3 * MiB
    out = load_in_child(path, mode)
    assert out["error"] == "ModelFileError", out
    assert str(path) in out["message"] and "'theta.npy' is compressed" in out["message"]
    assert out["peak_mib"] < 16, out


@pytest.mark.slow
def test_compressed_metadata_bomb_is_refused_unread(tmp_path, theta):
    """``__meta__`` deflate-compressed: a declared 2 GiB of JSON (spaces) from 2 MiB."""
    stream, crc, size = zeros_bomb(npy((GiB2,), np.uint8) + b"{", GiB2)
    path = write_zip(
        tmp_path / "meta-bomb.npz", [member(f"{META_KEY}.npy", stream, size=size, crc=crc), stored_theta(theta)]
    )
    out = load_in_child(path)
    assert out["error"] == "ModelFileError", out
    assert str(path) in out["message"] and "is compressed" in out["message"]
    assert out["peak_mib"] < 16, out


def test_stored_metadata_past_the_cap_is_refused_unread(tmp_path, theta):
    blob = b"{" + b" " * MAX_META_BYTES + b"}"
    path = write_zip(
        tmp_path / "big-meta.npz", [member(f"{META_KEY}.npy", npy((len(blob),), np.uint8) + blob), stored_theta(theta)]
    )
    out = load_in_child(path)
    assert out["error"] == "ModelFileError", out
    assert f"metadata of {len(blob)} bytes, more than the limit of {MAX_META_BYTES}" in out["message"]
    assert out["peak_mib"] < 4, out


@pytest.mark.parametrize("name", ["theta", "classes", "extra"])
def test_stored_member_declaring_2_to_the_40_elements_is_refused(tmp_path, name):
    """Today's NumPy would allocate 2^40 float64 (8 TiB) and raise MemoryError."""
    path = write_zip(
        tmp_path / "huge.npz",
        [member(f"{META_KEY}.npy", meta_bytes()), member(f"{name}.npy", npy((2**40,), np.float64) + bytes(64))],
    )
    out = load_in_child(path)
    assert out["error"] == "ModelFileError", out
    assert f"member '{name}.npy' declares shape (1099511627776,) float64" in out["message"], out
    assert str(path) in out["message"] and out["peak_mib"] < 4, out


def test_absurd_declared_architecture_is_refused_before_allocating(tmp_path):
    dims = [10**6, 10**6, 1]
    n = parameter_count(dims)
    meta = {"format": "npdnn-model", "version": 1, "network": {**SPEC, "layer_dims": dims}}
    path = write_zip(
        tmp_path / "wide.npz", [member(f"{META_KEY}.npy", meta_bytes(meta)), member("theta.npy", npy((n,), np.float64))]
    )
    out = load_in_child(path)
    assert out["error"] == "ModelFileError", out
    # theta's header is checked against the bytes it holds first; the architecture limit
    # (tested with data present below) would refuse it next
    assert f"member 'theta.npy' declares shape ({n},) float64" in out["message"], out
    assert out["peak_mib"] < 4, out


def test_deep_declared_architecture_is_refused(tmp_path):
    dims = [1] * 100_001
    meta = {"format": "npdnn-model", "version": 1, "network": {**SPEC, "layer_dims": dims}}
    n = parameter_count(dims)
    path = write_zip(
        tmp_path / "deep.npz",
        [member(f"{META_KEY}.npy", meta_bytes(meta)), member("theta.npy", npy((n,), np.float64) + bytes(8 * n))],
    )
    with pytest.raises(ModelFileError, match=r"declares 100000 layers, more than npdnn.files.limits.MAX_LAYERS"):
        npdnn.load(path)


def test_parameter_limit_can_be_raised_by_argument_and_environment(tmp_path, monkeypatch):
    net = Network([20, 10, 1], seed=0)
    net.save(tmp_path / "m.npz")
    n = net.theta.size
    with pytest.raises(ModelFileError, match=rf"has {n} parameters, more than the limit {n - 1}; .*max_parameters={n}"):
        npdnn.load(tmp_path / "m.npz", max_parameters=n - 1)
    np.testing.assert_array_equal(npdnn.load(tmp_path / "m.npz", max_parameters=n).theta, net.theta)
    monkeypatch.setenv("NPDNN_MAX_PARAMETERS", str(n - 1))
    with pytest.raises(ModelFileError, match=rf"more than the limit {n - 1}; .*NPDNN_MAX_PARAMETERS={n}"):
        npdnn.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(npdnn.load(tmp_path / "m.npz", max_parameters=n).theta, net.theta)
    monkeypatch.setenv("NPDNN_MAX_PARAMETERS", "lots")
    with pytest.raises(ValueError, match=r"NPDNN_MAX_PARAMETERS='lots'; expected a positive integer"):
        npdnn.load(tmp_path / "m.npz")


def test_limit_reaches_the_cli(tmp_path):
    from sklearn.datasets import make_classification

    from npdnn import DNNClassifier

    X, y = make_classification(40, 4, random_state=0)
    DNNClassifier(hidden_layer_sizes=(3,), epochs=2, random_state=0).fit(X, y).save(tmp_path / "m.npz")
    np.savetxt(tmp_path / "d.csv", np.column_stack([X, y]), delimiter=",", header="a,b,c,d,y", comments="")
    env = {**os.environ, "NPDNN_MAX_PARAMETERS": "5"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "npdnn",
            "evaluate",
            "--model",
            str(tmp_path / "m.npz"),
            "--data",
            str(tmp_path / "d.csv"),
            "--target",
            "y",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "more than the limit 5" in run.stderr, run.stderr


def test_legitimate_model_costs_what_building_it_costs(tmp_path):
    """Loading reads theta straight into the network: peak memory is that of building
    the same network (theta, grad and the initializer's temporaries) plus a constant,
    and at most twice the loaded network's arrays."""
    dims = [2000, 2000, 1]  # 4 million parameters: 32 MB of theta
    net = Network(dims, seed=0)
    net.save(tmp_path / "big.npz")
    arrays_mib = (net.theta.nbytes + net.grad.nbytes) / MiB
    build = load_in_child(json.dumps(dims), "build")
    load = load_in_child(tmp_path / "big.npz")
    assert build["error"] is None and load["error"] is None, (build, load)
    # measured: build 68 MiB, load 72 MiB (before: 99 MiB, theta read apart then copied)
    assert load["peak_mib"] <= build["peak_mib"] + 16, (build, load)
    assert load["peak_mib"] <= 2 * arrays_mib + 16, (load, arrays_mib)


def _raw_meta(blob):
    return member(f"{META_KEY}.npy", npy((len(blob),), np.uint8) + blob)


@pytest.mark.parametrize(
    ("members", "match"),
    [
        (lambda t: [_raw_meta(b"[" * 100_000), t], r"corrupted .*maximum recursion depth"),
        (lambda t: [_raw_meta(b'{"format": "npdnn-model", "version": ' + b"9" * 5000 + b"}"), t], "is corrupted: "),
        (lambda t: [member(f"{META_KEY}.npy", meta_bytes(), deflate=True), t], r"'__meta__.npy' is compressed"),
        (lambda t: [member(f"{META_KEY}.npy", meta_bytes()), t, t], r"member 'theta.npy' appears twice"),
        (lambda t: [member(f"{META_KEY}.npy", meta_bytes()), t, member("notes.txt", b"hi")], "not a NumPy array"),
        (
            lambda t: (
                [member(f"{META_KEY}.npy", meta_bytes()), t]
                + [member(f"x{i}.npy", npy((0,), np.uint8)) for i in range(70)]
            ),
            r"72 members, more than 64",
        ),
        (
            lambda t: [member(f"{META_KEY}.npy", meta_bytes()), t, member("o.npy", npy((1,), "O") + bytes(8))],
            "holds a pickled object array",
        ),
        (
            lambda t: [member(f"{META_KEY}.npy", meta_bytes()), t, member("v.npy", npy((1,), "V8") + bytes(8))],
            r"has dtype \|V8; expected numbers or text labels",
        ),
        (
            lambda t: [member(f"{META_KEY}.npy", meta_bytes()), t, member("e.npy", npy((2**20,), "f8") + bytes(2**23))],
            r"members besides the model's own declare 8388608 bytes",
        ),
    ],
    ids=["deep-json", "huge-int", "meta-deflated", "duplicate", "not-npy", "many-members", "object", "void", "extra"],
)
def test_crafted_archives_are_refused(tmp_path, theta, members, match):
    path = write_zip(tmp_path / "x.npz", members(stored_theta(theta)))
    with pytest.raises(ModelFileError, match=match) as info:
        npdnn.load(path)
    assert str(path) in str(info.value)


def test_huge_central_directory_is_refused_before_zipfile_reads_it(tmp_path, theta):
    path = write_zip(tmp_path / "x.npz", [member(f"{META_KEY}.npy", meta_bytes()), stored_theta(theta)])
    data = bytearray(path.read_bytes())
    data[-10:-6] = struct.pack("<L", 2**31)  # the end record's "size of the central directory"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"zip directory declares 2147483648 bytes, more than 1048576"):
        npdnn.load(path)
