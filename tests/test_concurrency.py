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
import time

import numpy as np
import pytest
from sklearn.datasets import make_classification

import npdnn
from npdnn import DNNClassifier, Network

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


# ---------------------------------------------------------------------- processes on one path
TRAIN = ["train", "--layers", "8", "--epochs", "60", "--batch-size", "16", "--quiet", "--seed", "0"]


def _npdnn(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "NPDNN_DEBUG"}
    cmd = [sys.executable, "-m", "npdnn", *map(str, args)]
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _finish(proc):
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


@pytest.mark.slow
def test_two_train_processes_started_at_once_on_one_path(tmp_path):
    """Same --out and --checkpoint: one run wins, the other refuses in one line; the
    model is exactly what a run alone writes (never a mix of the two)."""
    alone = tmp_path / "alone"
    alone.mkdir()
    args = [*TRAIN, "--out", "m.npz", "--checkpoint", "ck.npz"]
    assert _finish(_npdnn(*args, cwd=alone))[0] == 0
    shared = tmp_path / "shared"
    shared.mkdir()
    procs = [_npdnn(*args, cwd=shared), _npdnn(*args, cwd=shared)]
    results = [_finish(p) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], results
    loser = next(r for r in results if r[0] == 2)
    lines = loser[2].splitlines()
    assert len(lines) == 1 and lines[0].startswith("npdnn: error: --out m.npz is being written by another npdnn"), loser
    assert loser[1] == ""  # the loser trained nothing and printed no results
    assert (shared / "m.npz").read_bytes() == (alone / "m.npz").read_bytes()
    assert (shared / "ck.npz").read_bytes() == (alone / "ck.npz").read_bytes()
    assert sorted(os.listdir(shared)) == ["ck.npz", "m.npz"]  # no lock or temporary file left


@pytest.mark.slow
def test_second_run_on_a_checkpoint_in_use_refuses(tmp_path):
    first = _npdnn(*TRAIN, "--epochs", "200", "--out", "a.npz", "--checkpoint", "run/ck.npz", cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "run" / "ck.npz").exists() and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        assert (tmp_path / "run" / ".ck.npz.lock").exists()  # training is under way, holding the lock
        code, out, err = _finish(
            _npdnn(*TRAIN, "--out", "b.npz", "--checkpoint", "run/ck.npz", "--resume", cwd=tmp_path)
        )
        assert code == 2 and out == "", err
        assert err.splitlines() == [
            f"npdnn: error: --checkpoint run/ck.npz is being written by another npdnn train process "
            f"(pid {first.pid}, lock file {tmp_path / 'run' / '.ck.npz.lock'}); wait for it to finish or choose "
            "another path"
        ]
        assert not (tmp_path / "b.npz").exists()
        assert _finish(first)[0] == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    npdnn.load(tmp_path / "a.npz")
    assert sorted(os.listdir(tmp_path / "run")) == ["ck.npz"]


LOCK_HOLDER = """
import sys, time
from npdnn.cli.locking import exclusive
with exclusive([sys.argv[1]]):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_lock_of_a_killed_process_does_not_block(tmp_path):
    from npdnn.cli.locking import PathInUseError, exclusive, lock_path

    target = tmp_path / "m.npz"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(
            PathInUseError, match=rf"m.npz is being written by another npdnn process \(pid {holder.pid}"
        ):
            with exclusive([target]):
                pass
    finally:
        holder.kill()
        holder.communicate()
    assert os.path.exists(lock_path(target))  # SIGKILL left the file behind, but not the lock
    with exclusive([target]):
        with pytest.raises(PathInUseError):  # held, also against another open file in this process
            with exclusive([target]):
                pass
    assert os.listdir(tmp_path) == []


def test_lock_folders_made_for_nothing_are_removed(tmp_path):
    from npdnn.cli.locking import exclusive

    with exclusive([tmp_path / "a" / "b" / "m.npz", tmp_path / "c" / "ck.npz"]):
        assert (tmp_path / "a" / "b" / ".m.npz.lock").exists()
        (tmp_path / "c" / "ck.npz").write_bytes(b"written")
    assert sorted(os.listdir(tmp_path)) == ["c"] and os.listdir(tmp_path / "c") == ["ck.npz"]


def test_cli_bad_data_leaves_no_folder_behind(tmp_path):
    (tmp_path / "d.csv").write_text("x,y\n1,a\n2,a\n")
    code, _, err = _finish(_npdnn("train", "--data", "d.csv", "--target", "y", "--out", "new/m.npz", cwd=tmp_path))
    assert code == 2 and "single class" in err
    assert sorted(os.listdir(tmp_path)) == ["d.csv"]
