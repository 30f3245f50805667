"""Paths that point elsewhere (issue 27): planted lock-file links, symlinked outputs, and
an output that is the same file as an input, through the real CLI where users meet them."""

import os
import subprocess
import sys

import pytest

from npdnn.cli.locking import PathInUseError, exclusive, lock_path

pytestmark = pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="needs O_NOFOLLOW (POSIX)")
CLI = [sys.executable, "-m", "npdnn"]


def npdnn(*args, cwd):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def one_line_error(run):
    assert run.returncode != 0 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    return run.stderr


def test_planted_lock_symlink_is_refused_and_its_target_untouched(tmp_path):
    """The issue: ``.M.npz.lock -> victim`` made ``npdnn train --out M.npz`` truncate the victim."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    os.symlink(victim, tmp_path / ".M.npz.lock")
    err = one_line_error(npdnn("train", "--epochs", "1", "--out", "M.npz", cwd=tmp_path))
    assert "is a symbolic link, which npdnn never follows" in err
    assert victim.read_text() == "precious\n" and not (tmp_path / "M.npz").exists()


def test_planted_hard_link_lock_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    os.link(victim, tmp_path / ".M.npz.lock")
    with pytest.raises(PathInUseError, match="a file with 2 hard links"), exclusive([tmp_path / "M.npz"]):
        pass
    assert victim.read_text() == "precious\n"


def test_fifo_lock_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / ".M.npz.lock")
    with pytest.raises(PathInUseError, match="not a regular file"), exclusive([tmp_path / "M.npz"]):
        pass


def test_lock_is_taken_on_the_resolved_target(tmp_path):
    """Two names for one file share one lock: the second run refuses."""
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real" / "M.npz", tmp_path / "link.npz")
    assert lock_path(tmp_path / "link.npz") == str(tmp_path / "real" / ".M.npz.lock")
    with exclusive([tmp_path / "real" / "M.npz"]):
        with pytest.raises(PathInUseError, match="being written by another"), exclusive([tmp_path / "link.npz"]):
            pass


def test_symlinked_out_writes_its_target_and_stays_a_link(tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "run3.npz"
    target.write_bytes(b"old")
    os.symlink(target, tmp_path / "latest.npz")
    run = npdnn("train", "--epochs", "1", "--out", "latest.npz", "--quiet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "latest.npz").is_symlink() and target.read_bytes()[:4] == b"PK\x03\x04"
    assert sorted(os.listdir(tmp_path / "runs")) == ["run3.npz"]  # no temporary or lock file left


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "d.csv"
    rows = ["a,b,y"] + [f"{i % 7},{(i * 3) % 5},{i % 2}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_train_out_same_as_data_is_refused(tmp_path, data):
    before = data.read_bytes()
    err = one_line_error(npdnn("train", "--data", "d.csv", "--target", "y", "--out", "./d.csv", cwd=tmp_path))
    assert "--out ./d.csv and --data d.csv are the same file" in err
    os.symlink(data, tmp_path / "alias.csv")
    err = one_line_error(npdnn("train", "--data", "alias.csv", "--target", "y", "--checkpoint", "d.csv", cwd=tmp_path))
    assert "--checkpoint d.csv and --data alias.csv are the same file" in err
    assert data.read_bytes() == before


def test_out_same_as_checkpoint_is_refused(tmp_path, data):
    err = one_line_error(
        npdnn("train", "--data", "d.csv", "--target", "y", "--out", "P.npz", "--checkpoint", "P.npz", cwd=tmp_path)
    )
    assert "--out P.npz and --checkpoint P.npz are the same file" in err and not (tmp_path / "P.npz").exists()


def test_predict_out_same_as_model_is_refused(tmp_path, data):
    assert (
        npdnn("train", "--data", "d.csv", "--target", "y", "--out", "M.npz", "--epochs", "2", cwd=tmp_path).returncode
        == 0
    )
    before = (tmp_path / "M.npz").read_bytes()
    err = one_line_error(npdnn("predict", "--model", "M.npz", "--data", "d.csv", "--out", "M.npz", cwd=tmp_path))
    assert "--out M.npz and --model M.npz are the same file" in err
    err = one_line_error(npdnn("predict", "--model", "M.npz", "--data", "d.csv", "--out", "d.csv", cwd=tmp_path))
    assert "--out d.csv and --data d.csv are the same file" in err
    assert (tmp_path / "M.npz").read_bytes() == before
