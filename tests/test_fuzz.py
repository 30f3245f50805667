"""Bounded fuzzing (hypothesis, derandomized so CI sees the same inputs): mutated
model files and arbitrary CSV bytes raise only the documented error types, and
each input is handled within a time bound (no hang)."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import npdnn
from npdnn import ModelFileError, Network
from npdnn.datasets import DataError, read_csv

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
        X, y = read_csv(path, target="y")[:2]
    except DataError:
        pass
    else:
        assert X.ndim == 2 and X.shape[0] == y.shape[0] >= 1
        assert np.isfinite(X).all()
    assert time.monotonic() - start < TIME_BOUND_S
