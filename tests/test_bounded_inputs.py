"""Data inputs that never end, or end far away (issue 27): each is refused with one line,
in bounded memory (RLIMIT_AS in a child process: address space after its imports plus
a fixed allowance), never a hang."""

import gzip
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

CLI = [sys.executable, "-m", "npdnn"]
MiB = 2**20
ALLOWANCE = 400 * MiB  # the issue measured 0.7-3 GB for these files


def one_line_error(run):
    assert run.returncode != 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.stderr.count("\n") == 1 and len(run.stderr) < 1000, run.stderr[:1000]
    return run.stderr


def train(cwd, data, *extra, timeout=120):
    return subprocess.run(
        [*CLI, "train", "--data", str(data), "--target", "y", "--epochs", "1", *extra],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def read_under_limit(path, target="y"):
    """``read_data(path)`` in a child whose address space may grow by :data:`ALLOWANCE`
    after its imports; returns the child's one-line outcome."""
    code = textwrap.dedent(
        f"""
        import resource, sys
        from npdnn.cli.data_files import read_data
        from npdnn.cli.datasets import DataError
        import pandas, pyarrow  # imported before the limit: they do not count
        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize"))
        resource.setrlimit(resource.RLIMIT_AS, (vm + {ALLOWANCE}, vm + {ALLOWANCE}))
        try:
            read_data({str(path)!r}, target={target!r})
            print("READ")
        except DataError as e:
            print("DataError:", str(e)[:500])
        except MemoryError:
            print("MemoryError")
        """
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.strip()


def gz_of(path, head, n_bytes, byte=b"a"):
    """``head`` then ``n_bytes`` of ``byte``, gzip-compressed in 1 MiB pieces (never held whole)."""
    block = byte * MiB
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(head)
        for _ in range(n_bytes // MiB):
            f.write(block)
    return path


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_linked_as_csv_is_refused(tmp_path):
    os.symlink("/dev/zero", tmp_path / "zero.csv")
    err = one_line_error(train(tmp_path, "zero.csv"))
    assert "zero.csv is a device or socket, not a regular file" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_refused_not_hung(tmp_path):
    """The issue: a FIFO was opened twice (header, then rows) and the run hung forever."""
    os.mkfifo(tmp_path / "f.csv")
    err = one_line_error(train(tmp_path, "f.csv", timeout=60))
    assert "f.csv is a named pipe (FIFO), not a regular file" in err


def test_gz_header_inflating_to_a_gigabyte_is_refused_in_bounded_memory(tmp_path):
    """The issue: a 1 MB .csv.gz whose header inflates to 1 GB cost 1.95 GB."""
    path = gz_of(tmp_path / "h.csv.gz", b"y,", 1024 * MiB)
    assert path.stat().st_size < 6 * MiB
    out = read_under_limit(path)
    assert out.startswith("DataError:") and "longer than 16777216 bytes" in out, out


def test_one_line_of_25_million_fields_is_refused_in_bounded_memory(tmp_path):
    """The issue: a 50 MB file with one 25-million-field row cost 2.78 GB."""
    path = tmp_path / "wide.csv"
    with open(path, "wb") as f:
        f.write(b"a,y\n")
        for _ in range(50):
            f.write(b"," * MiB)
        f.write(b"\n")
    out = read_under_limit(path)
    assert out.startswith("DataError:") and "a line longer than" in out, out


def test_a_wide_header_is_refused_by_its_field_count(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b",".join(b"c%d" % i for i in range(150_000)) + b",y\n1\n")
    out = read_under_limit(path)
    assert out.startswith("DataError:") and "more than 100000 fields" in out, out


def test_gz_holding_a_300_mb_field_is_refused_in_bounded_memory(tmp_path):
    """The issue: a 300 KB .gz holding a 300 MB field cost 683 MB."""
    path = gz_of(tmp_path / "f.csv.gz", b"a,y\n1,", 300 * MiB)
    out = read_under_limit(path)
    assert out.startswith("DataError:") and "a line longer than" in out, out


def test_decompression_stops_at_the_stated_multiple(tmp_path, monkeypatch):
    """A bomb of short lines passes the line limit; the expansion limit stops it."""
    path = tmp_path / "b.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b"a,y\n")
        row = b"0,1\n" * (MiB // 4)
        for _ in range(300):
            f.write(row)
    ratio = 300 * MiB / path.stat().st_size
    assert ratio > 200, ratio
    out = read_under_limit(path)
    assert out.startswith("DataError:") and "decompresses to more than" in out and "NPDNN_MAX_EXPANSION" in out, out


def test_whitespace_only_lines_follow_one_rule(tmp_path):
    """The issue: a line of spaces was skipped or rejected depending on quotes elsewhere."""
    from npdnn.cli.data_files import read_data

    rows = ["a,b,y"] + [f"{i},{i % 3},{i % 2}" for i in range(12)]
    plain = "\n".join(rows[:5] + ["   \t "] + rows[5:]) + "\n"
    quoted = plain.replace("a,b,y", '"a",b,y')
    results = []
    for name, text in (("plain.csv", plain), ("quoted.csv", quoted)):
        (tmp_path / name).write_text(text)
        X, y, _ = read_data(tmp_path / name, target="y")
        results.append((np.asarray(X), y))
    assert results[0][0].shape == (12, 2)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_missing_target_in_a_wide_file_gives_a_short_line(tmp_path):
    """The issue: a missing --target in a file with 20,001 columns gave a 189 KB line."""
    path = tmp_path / "w.csv"
    path.write_text(",".join(f"col{i}" for i in range(20_001)) + "\n" + ",".join("1" * 20_001) + "\n")
    err = one_line_error(train(tmp_path, "w.csv"))
    assert "and 19,991 more" in err


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".parquet"])
def test_zero_row_files_give_one_line(tmp_path, suffix):
    path = tmp_path / f"z{suffix}"
    if suffix == ".npy":
        np.save(path, np.zeros((0, 3)))
        target = "-1"
    elif suffix == ".npz":
        np.savez(path, X=np.zeros((0, 3)), y=np.zeros(0))
        target = "y"
    else:
        pd = pytest.importorskip("pandas")
        pytest.importorskip("pyarrow")
        pd.DataFrame({"a": np.zeros(0), "y": np.zeros(0, dtype=int)}).to_parquet(path)
        target = "y"
    run = subprocess.run([*CLI, "train", "--data", str(path), "--target", target], capture_output=True, text=True)
    err = one_line_error(run)
    assert "no rows" in err or "at least one row" in err


def test_parquet_columns_are_read_by_their_declared_type(tmp_path):
    """A timestamp is not its nanoseconds: the column plan drops it and names it; a text column of
    digits is text that the plan reads as numbers, as a CSV file's; a nested column is refused by name."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    n = 20
    path = tmp_path / "t.parquet"
    frame = pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.arange(n) % 2})
    frame.assign(when=pd.date_range("2020-01-01", periods=n)).to_parquet(path)
    run = train(tmp_path, path.name, "--l2", "1")
    assert run.returncode == 0, run.stderr
    assert "npdnn: warning: not used as features: 'when' (dates (datetime64" in run.stderr
    frame.assign(code=[str(i % 4) for i in range(n)]).to_parquet(path)
    run = train(tmp_path, path.name, "--l2", "1", "--out", "m.npz")
    assert run.returncode == 0, run.stderr
    info = subprocess.run([*CLI, "info", "m.npz"], capture_output=True, text=True, cwd=tmp_path).stdout
    assert "  code: numeric" in info, info
    frame.assign(when=[[1, 2]] * n).to_parquet(path)
    err = one_line_error(train(tmp_path, path.name))
    assert 'column "when" holds list<element: int64>' in err


def test_limits_are_streaming_not_buffered():
    """The stream refuses a long line after at most one block past the limit: the
    limit is checked per block, never after collecting a line."""
    import io

    from npdnn.cli.bounded import BoundedStream, InputLimitError

    class Endless(io.RawIOBase):
        reads = 0

        def readinto(self, b):
            Endless.reads += 1
            b[:] = b"x" * len(b)
            return len(b)

        def readable(self):
            return True

    stream = BoundedStream(Endless(), "endless.csv")
    with pytest.raises(InputLimitError, match="a line longer than 16777216"):
        while stream.read(MiB):
            pass
    assert Endless.reads <= 17
