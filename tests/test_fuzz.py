"""Bounded fuzzing (hypothesis, derandomized so CI sees the same inputs): mutated
model files and arbitrary CSV bytes raise only the documented error types, and
each input is handled within a time bound (no hang)."""

import io
import struct
import time
import warnings
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import npdnn
from npdnn import ModelFileError, Network
from npdnn.cli.datasets import DataError, DataWarning, read_csv

TIME_BOUND_S = 5.0


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "m.npz"
    Network([3, 4, 1], seed=0).save(path)
    return path.read_bytes()


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=16)),
)


def _mutate(data, mutations):
    data = bytearray(data)
    for kind, at, arg in mutations:
        i = at % (len(data) + 1)
        if kind == "flip" and i < len(data):
            data[i] ^= arg
        elif kind == "truncate":
            del data[i:]
        elif kind == "insert":
            data[i:i] = arg
    return bytes(data)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(mutations=st.lists(mutation, min_size=1, max_size=4))
def test_model_loader_fuzz(model_bytes, mutations, tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "m.npz"
    path.write_bytes(_mutate(model_bytes, mutations))
    start = time.monotonic()
    try:
        net = npdnn.load(path)
    except ModelFileError:
        pass
    else:  # a mutation the format cannot notice (e.g. in zip padding) must still give a usable network
        assert np.isfinite(net.theta).all()
        assert net.predict_proba(np.zeros((2, net.n_features))).shape[0] == 2
    assert time.monotonic() - start < TIME_BOUND_S


csv_text = st.lists(
    st.lists(st.sampled_from(["1", "0", "2.5", "-3e4", "", "x", "nan", "inf", '"1,2"', "y", "a", " "]), max_size=5),
    max_size=8,
).map(lambda rows: "\n".join(",".join(r) for r in rows))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.one_of(csv_text.map(str.encode), st.binary(max_size=200)))
def test_csv_reader_fuzz(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("c") / "d.csv"
    path.write_bytes(data)
    start = time.monotonic()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # a first row of numbers: a warning, not an error
            X, y = read_csv(path, target="y")[:2]
    except DataError:
        pass
    else:
        assert X.ndim == 2 and X.shape[0] == y.shape[0] >= 1
        for name in X.columns:  # numbers (NaN only where missing, never infinite) or text
            column = X[name]
            if column.dtype == object:
                assert all(v is None or isinstance(v, str) for v in column)
            else:
                assert not np.isinf(column.to_numpy(dtype=np.float64, na_value=np.nan)).any()
    assert time.monotonic() - start < TIME_BOUND_S


# ---------------------------------------------------------------------- declared shapes and compression flags
@pytest.fixture(scope="module")
def classifier_file(tmp_path_factory):
    """A DNNClassifier file (members __meta__, theta, classes, mean, scale) and, per
    member, the byte offsets of its local and central zip headers and of its .npy
    header, and its size."""
    from sklearn.datasets import make_classification

    from npdnn import DNNClassifier

    X, y = make_classification(30, 4, random_state=0)
    path = tmp_path_factory.mktemp("fuzz") / "c.npz"
    DNNClassifier(hidden_layer_sizes=(3,), epochs=2, standardize=True, random_state=0).fit(
        X, np.where(y, "yes", "no")
    ).save(path)
    data = path.read_bytes()
    (cd_offset,) = struct.unpack_from("<L", data, len(data) - 6)
    members, at = [], cd_offset
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            assert struct.unpack_from("<4s", data, at)[0] == b"PK\x01\x02"
            n, m, k = struct.unpack_from("<3H", data, at + 28)
            local = info.header_offset
            start = local + 30 + sum(struct.unpack_from("<2H", data, local + 26))
            members.append({"central": at, "local": local, "npy": start, "size": info.file_size})
            at += 46 + n + m + k
    return data, members


def _npy_header(shape, descr, fortran, length):
    """A .npy header dict literal padded with spaces to ``length`` bytes when it fits."""
    text = repr({"descr": descr, "fortran_order": fortran, "shape": shape})
    return (text + " " * max(0, length - len(text) - 1) + "\n").encode("latin1")


header_mutation = st.one_of(
    st.tuples(st.just("shape"), st.integers(0, 4), st.lists(st.integers(-2, 2**62), max_size=4).map(tuple)),
    st.tuples(st.just("shape"), st.integers(0, 4), st.sampled_from([(2**40,), (2**31, 2**31), (0,), (1,) * 40])),
    st.tuples(
        st.just("descr"),
        st.integers(0, 4),
        st.sampled_from(["<f4", "<f8", ">f8", "|u1", "<i8", "<U10", "<U99999999", "|O", "|V8", "<c16", "<M8[s]"]),
    ),
    st.tuples(st.just("fortran"), st.integers(0, 4), st.booleans()),
    st.tuples(st.just("method"), st.integers(0, 4), st.sampled_from([1, 8, 9, 12, 14, 93, 99, 0xFFFF])),
    st.tuples(st.just("size"), st.integers(0, 4), st.sampled_from([0, 1, 2**31, 2**32 - 1, 10**9])),
    st.tuples(st.just("flags"), st.integers(0, 4), st.sampled_from([0x1, 0x8, 0x800])),
)


def _mutate_headers(data, members, mutations):
    data = bytearray(data)
    for kind, i, arg in mutations:
        m = members[i % len(members)]
        if kind in ("shape", "descr", "fortran"):
            (length,) = struct.unpack_from("<H", data, m["npy"] + 8)
            old = np.lib.format.read_array_header_1_0(io.BytesIO(bytes(data[m["npy"] + 8 :])), max_header_size=10**6)
            shape, fortran, dtype = old
            fields = {"shape": shape, "descr": np.lib.format.dtype_to_descr(dtype), "fortran": fortran, kind: arg}
            new = _npy_header(fields["shape"], fields["descr"], fields["fortran"], length)
            # a longer header moves what follows (the zip's sizes and offsets then disagree with it)
            data[m["npy"] + 10 : m["npy"] + 10 + length] = new
            struct.pack_into("<H", data, m["npy"] + 8, len(new))
            grow = len(new) - length
            members = [
                {k: v + grow * (v > m["npy"] if k != "size" else other is m) for k, v in other.items()}
                for other in members
            ]
            m = members[i % len(members)]
            # a valid CRC, as an attacker would write: the loader must judge the header itself
            crc = zlib.crc32(data[m["npy"] : m["npy"] + m["size"]])
            struct.pack_into("<L", data, m["local"] + 14, crc)
            struct.pack_into("<L", data, m["central"] + 16, crc)
        elif kind == "method":
            struct.pack_into("<H", data, m["local"] + 8, arg)
            struct.pack_into("<H", data, m["central"] + 10, arg)
        elif kind == "size":
            struct.pack_into("<L", data, m["central"] + 24, arg)
            struct.pack_into("<L", data, m["local"] + 22, arg)
        else:
            struct.pack_into("<H", data, m["central"] + 8, arg)
            struct.pack_into("<H", data, m["local"] + 6, arg)
    return bytes(data)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(mutations=st.lists(header_mutation, min_size=1, max_size=3))
def test_declared_shapes_and_compression_fuzz(classifier_file, mutations, tmp_path_factory):
    """Headers that declare other shapes, dtypes (pickles, huge strings), memory orders,
    compression methods, sizes or flags: refused with ModelFileError (never MemoryError,
    never a read of what is merely declared) or a working classifier."""
    data, members = classifier_file
    path = tmp_path_factory.mktemp("h") / "c.npz"
    path.write_bytes(_mutate_headers(data, members, mutations))
    start = time.monotonic()
    try:
        est = npdnn.load(path)
    except ModelFileError as e:
        assert str(path) in str(e)
    else:
        assert np.isfinite(est.network_.theta).all()
        assert est.predict_proba(np.zeros((2, est.n_features_in_))).shape == (2, 2)
    assert time.monotonic() - start < TIME_BOUND_S
