"""The CSV reader and the bundled data: values read right, and each bad file gives
a DataError naming the file, the line and the column."""

import re
import warnings

import numpy as np
import pytest

from npdnn.cli.datasets import DataError, DataWarning, load_default, read_csv, read_csv_columns
from npdnn.cli.labels import check_classes, parse_labels

from conftest import at_line_of


def write(tmp_path, text, name="data.csv", mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_reads_features_labels_and_names(tmp_path):
    path = write(tmp_path, "x1,x2,y\n1,2.5,cat\n\n-3e2, 4 ,dog\n")
    X, y = read_csv(path, "y")
    assert list(X.columns) == ["x1", "x2"]
    assert X.dtypes.tolist() == [np.float64, np.float64]
    np.testing.assert_array_equal(X.to_numpy(), [[1.0, 2.5], [-300.0, 4.0]])
    assert y.tolist() == ["cat", "dog"]


def test_integer_labels_stay_integers_and_target_may_be_anywhere(tmp_path):
    path = write(tmp_path, "label,a\n1,0.5\n0,0.25\n")
    X, y = read_csv(path, "label")
    assert y.dtype == np.int64 and y.tolist() == [1, 0]
    assert list(X.columns) == ["a"]


def test_selected_features_in_given_order_other_columns_not_read(tmp_path):
    path = write(tmp_path, "id,b,a\nrow-1,2,1\nrow-2,4,3\n")
    X, y = read_csv(path, features=["a", "b"])
    assert y is None
    assert list(X.columns) == ["a", "b"]
    np.testing.assert_array_equal(X.to_numpy(), [[1, 2], [3, 4]])


def test_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = write(tmp_path, "\ufeffa,y\n1,0\n2,1\n".encode(), mode="wb")
    X, _ = read_csv(path, "y")
    assert list(X.columns) == ["a"]


def test_fast_and_careful_readers_agree(tmp_path):
    """A plain file takes pandas' C parser; quotes send it to the csv module path.
    Both must give the same doubles (bit for bit) and labels."""
    rng = np.random.default_rng(0)
    values = rng.standard_normal((50, 3)) * 10.0 ** rng.integers(-30, 30, (50, 3))
    labels = np.where(values[:, 0] > 0, "up", "down")
    lines = [",".join(repr(float(v)) for v in row) + f",{lab}" for row, lab in zip(values, labels, strict=True)]
    plain = write(tmp_path, "a,b,c,y\n" + "\n".join(lines) + "\n", "plain.csv")
    quoted = write(tmp_path, 'a,b,c,"y"\r\n' + "\r\n".join(lines) + "\r\n", "quoted.csv")
    X1, y1 = read_csv(plain, "y")
    X2, y2 = read_csv(quoted, "y")
    np.testing.assert_array_equal(X1.to_numpy(), values)
    np.testing.assert_array_equal(X2.to_numpy(), values)
    assert y1.tolist() == y2.tolist() == labels.tolist()


def test_windows_line_endings_and_quoted_labels(tmp_path):
    path = write(tmp_path, 'a,y\r\n1,"big, red"\r\n2,small\r\n\r\n')
    X, y = read_csv(path, "y")
    assert X["a"].tolist() == [1.0, 2.0] and y.tolist() == ["big, red", "small"]


def test_parse_labels():
    assert parse_labels(["1", " 2", "-3"]).dtype == np.int64
    mixed = parse_labels(["1", "1.5", "x"])
    assert mixed.dtype == object and mixed.tolist() == ["1", "1.5", "x"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,y\n1,2,0\n3,abc,1\n", r'data\.csv, line 3, column "b": "abc" is not a number'),
        ("a,b,y\n1,2,0\n-inf,2,1\n", r'line 3, column "a": "-inf" is not finite.*\(a marker\? --na-values=-inf reads'),
        (
            "a,b,y\n1,2,0\n1,Inf,1\n",
            r'column "b": "Inf" is not finite .*number \(a marker\? --na-values Inf reads it as',
        ),
        (
            "a,b,y\n1e999,2,0\n",
            r'line 2, column "a": "1e999" is not finite \(infinity, or too large\); expected a finite number$',
        ),
        ("a,b,y\n1,2,0\n\n\n3,4\n", r"data\.csv, line 5: 2 fields; expected 3 as in the header"),
        ("a,b,y\n1,2,0,9\n", r"line 2: 4 fields; expected 3 as in the header \(a title or a note above the header\?"),
        ("a,b,y\n1,2,0\n1,2,0,9\n", r"line 3: 4 fields; expected 3 as in the header$"),  # not the first row: no hint
        ("a,a,y\n1,2,0\n", r'column name "a" appears twice \(columns 1 and 2\)'),
        ("a,,y\n0,1,0\n", r"line 1: column 2 has an empty name; expected a name for every column"),
        ("a,b,y\n", r"data\.csv has a header but no data rows"),
        ("", r"data\.csv is empty; expected a header row"),
        ("\n\n", r"data\.csv is empty"),
        ("a,b,label\n1,2,0\n", r'data\.csv has no target column "y"; its columns are "a", "b", "label"'),
        ("a;b;y\n1;2;0\n", r"separated by ';' instead of ','\? pass --sep ';'"),
        ("a,b,y\n1,2,\n", r'data\.csv, column "y" holds no label \(every cell is empty or a missing-value marker\)'),
        ("y\n0\n1\n", r'has only the target column "y"'),
        ('a,b,y\n1,"2\n', r"line 2: not valid CSV"),
    ],
)
def test_bad_files(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message):
        read_csv(path, "y")


@pytest.mark.parametrize("first", ["", '""', "Unnamed: 0"])
def test_a_first_column_without_a_name_is_row_names_not_a_feature(tmp_path, first):
    # R's write.csv writes "" and pandas' to_csv an empty cell; a file pandas saved again names it "Unnamed: 0"
    path = write(tmp_path, f'{first},a,b,y\n"1",0.5,x,0\n"2",1.5,z,1\n"3",2.5,x,1\n')
    with pytest.warns(
        DataWarning, match=r'column 1 has no name \("Unnamed: 0" as pandas reads it\): taken as row names'
    ):
        X, y = read_csv(path, "y")
    assert X.columns.tolist() == ["a", "b"] and X["a"].tolist() == [0.5, 1.5, 2.5] and y.tolist() == [0, 1, 1]


def test_row_names_are_read_when_asked_for(tmp_path):
    path = write(tmp_path, ",a,y\n7,0.5,0\n8,1.5,1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named: no note
        X, y = read_csv(path, "y", features=["Unnamed: 0", "a"])
        assert X["Unnamed: 0"].tolist() == [7.0, 8.0]
        X, y = read_csv(path, "Unnamed: 0")
    assert X.columns.tolist() == ["a", "y"] and y.tolist() == [7, 8]


def test_unnamed_column_elsewhere_is_a_feature(tmp_path):
    # only the first column holds row names; a later "Unnamed: 0" is a name like any other
    path = write(tmp_path, "a,Unnamed: 0,y\n1,2,0\n3,4,1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, _ = read_csv(path, "y")
    assert X.columns.tolist() == ["a", "Unnamed: 0"]


def test_every_bad_column_in_one_message(tmp_path):
    path = write(tmp_path, "a,b,y\n1,x,0\nz,2,1\n3,4,0\n")
    with pytest.raises(
        DataError, match=r'2 columns cannot be read: line 3, column "a": "z".*; line 2, column "b": "x"'
    ):
        read_csv(path, "y")


@pytest.mark.parametrize("marker", ["", "  ", "nan", "NaN", "NA", "?", "null", "N/A"])
def test_missing_markers_are_missing_values(tmp_path, marker):
    path = write(tmp_path, f"a,b,y\n1,2,0\n3,{marker},1\n")
    X, y = read_csv(path, "y")
    assert X["b"].isna().tolist() == [False, True] and X["b"][0] == 2.0


def test_missing_feature_columns_name_who_needs_them(tmp_path):
    path = write(tmp_path, "a,c\n1,2\n")
    with pytest.raises(
        DataError, match=r'has no columns "b", "d" \(needed by model m\.npz\); its columns are "a", "c"'
    ):
        read_csv(path, features=["a", "b", "d"], needed_by="model m.npz")


def test_not_utf8(tmp_path):
    path = write(tmp_path, b"a,y\n\xff\xfe,1\n", mode="wb")
    with pytest.raises(DataError, match=r"data\.csv is not UTF-8 text \(byte 0xff"):
        read_csv(path, "y")


def test_nul_byte(tmp_path):
    path = write(tmp_path, b"a,y\n1,0\n2,0\n1\x00,1\n", mode="wb")
    with pytest.raises(DataError, match=r"line 4, column \"a\": '1\\x00' is not a number"):
        read_csv(path, "y")


def test_long_cell_is_cut_in_the_message(tmp_path):
    path = write(tmp_path, "a,y\n1,0\n2,0\n" + "z" * 100 + ",1\n")
    with pytest.raises(DataError, match=r'"z{40}"\.\.\. is not a number'):
        read_csv(path, "y")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / 'nope.csv'}: no such file; expected a CSV file")):
        read_csv(tmp_path / "nope.csv", "y")
    with pytest.raises(DataError, match=re.escape(f"{tmp_path} is a directory; expected a CSV file")):
        read_csv(tmp_path, "y")


def test_check_classes():
    with pytest.raises(DataError, match=r'f\.csv, column "y" has a single class \("a"\) in all 3 rows'):
        check_classes(np.array(["a", "a", "a"], dtype=object), "f.csv", "y")
    with pytest.raises(DataError, match=r"class 1 has only 1 row\(s\); expected at least 2"):
        check_classes(np.array([0, 0, 1]), "f.csv", "y")
    check_classes(np.array([0, 1, 0, 1]), "f.csv", "y")


@pytest.mark.parametrize("as_text", [False, True])
def test_check_classes_refuses_a_quantity(as_text):
    y = np.round(np.random.default_rng(0).normal(50, 10, 300), 2)  # a price: nearly every value distinct
    y = y.astype(str).astype(object) if as_text else y
    with pytest.raises(
        DataError, match=r'^f\.csv, column "price" holds \d+ distinct numbers with fractions in 300 rows'
    ):
        check_classes(y, "f.csv", "price")
    # what stays classes: whole numbers however many, few fractional levels (ratings), text
    check_classes(np.repeat(np.arange(40), 3), "f.csv", "y")
    check_classes(np.repeat(np.arange(1, 5.5, 0.5), 4), "f.csv", "y")
    check_classes(np.repeat(np.array([f"c{i}.5" for i in range(30)], dtype=object), 2), "f.csv", "y")
    # the examples: three values, a third of the way apart (40 values: 0.5, 13.5, 26.5 and not 39.5)
    with pytest.raises(DataError, match=r"\(e\.g\. 0\.5, 13\.5, 26\.5\): a quantity"):
        check_classes(np.repeat(np.arange(40) + 0.5, 2), "f.csv", "price")


@pytest.mark.parametrize("as_text", [False, True])
def test_many_rare_whole_numbers_read_as_a_quantity(as_text):
    y = np.random.default_rng(0).integers(-900, 900, 150)  # us-employment's nonfarm_change
    y = y.astype(str).astype(object) if as_text else y
    quantity = r'^f\.csv, column "n" holds \d+ distinct whole numbers in 150 rows, \d+ of them on fewer than 2 rows '
    with pytest.raises(DataError, match=quantity + r"\(e\.g\. \"?-?\d+\"?, .*\): a count or a quantity to predict"):
        check_classes(y, "f.csv", "n")
    check_classes(y, "f.csv", "n", minimum=1)  # --test-size 0: the user's call
    # the examples: three of the rare values, a third of the way apart (100 values of one row: 0, 33, 66)
    with pytest.raises(DataError, match=r"on fewer than 2 rows \(e\.g\. 0, 33, 66\): a count"):
        check_classes(np.arange(100), "f.csv", "n")
    # the rare class's own error where rare classes are not most of them, or there are 20 values at most
    for common, rare in ((30, 10), (18, 12), (20, 20), (0, 20)):  # a quarter, 40%, half rare; 20 values
        y = np.concatenate([np.repeat(np.arange(common), 4), np.arange(common, common + rare)])
        with pytest.raises(DataError, match=rf"class {common} has only 1 row\(s\)"):
            check_classes(y, "f.csv", "y")


def test_check_classes_messages_in_full():
    """The whole of each message (a script may show it as it is), and the quantity rule's edge: 20
    distinct numbers with fractions are still classes, 21 are a quantity."""
    levels = np.arange(20) + 0.5
    check_classes(np.repeat(levels, 2), "f.csv", "y")
    y = np.repeat(np.append(levels, 99.25), 2)
    with pytest.raises(DataError) as e:
        check_classes(y, "f.csv", "y")
    assert str(e.value) == (
        'f.csv, column "y" holds 21 distinct numbers with fractions in 42 rows (e.g. 0.5, 7.5, 14.5): a quantity '
        "to predict rather than classes? npdnn classifies; expected class labels (text or whole numbers): bin the "
        "values first, e.g. above or below their median"
    )
    with pytest.raises(DataError) as e:
        check_classes(np.array(["a", "a"], dtype=object), "f.csv", "y")
    assert str(e.value) == 'f.csv, column "y" has a single class ("a") in all 2 rows; expected at least 2 classes'
    with pytest.raises(DataError) as e:
        check_classes(np.array([0, 0, 1]), "f.csv", "y")
    assert str(e.value) == (
        'f.csv, column "y": class 1 has only 1 row(s); expected at least 2 of each class for a train/test split '
        "(drop the class's rows, or pass --test-size 0 to train on every row)"
    )
    check_classes(np.array([0, 0, 1]), "f.csv", "y", minimum=1)  # no split: one row is a class


def test_default_data():
    X, y = load_default()
    assert X.shape == (569, 30) and X.dtypes.unique().tolist() == [np.float64]
    assert X.columns[0] == "mean radius"
    assert sorted(set(y)) == ["benign", "malignant"] and (y == "malignant").sum() == 212


def test_row_names_are_not_a_feature_when_other_columns_are_dropped(tmp_path):
    from npdnn.cli.data_files import read_data

    path = write(tmp_path, ",a,b,y\n1,0.5,3,0\n2,1.5,4,1\n")
    with pytest.warns(DataWarning, match=r"taken as row names"):
        X, y, ids = read_data(path, "y", drop=["b"])
    assert X.columns.tolist() == ["a"] and ids is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # --drop names them: nothing to say
        X, _, _ = read_data(path, "y", drop=["Unnamed: 0"])
        assert X.columns.tolist() == ["a", "b"]
        X, _, ids = read_data(path, "y", id_column="Unnamed: 0")
    assert X.columns.tolist() == ["a", "b"] and ids.tolist() == ["1", "2"]


@pytest.mark.parametrize("quoted", [False, True])  # pandas' fast path, and the csv module's
@pytest.mark.parametrize("marker", ["", "NA", "?", "-1"])
def test_rows_without_a_label_are_left_out(tmp_path, marker, quoted):
    """An empty label or a missing-value marker ("NA" was a class of its own on the fast path, and
    ``--na-values -1`` applied to the features only): the row is left out with one warning naming
    the first line and the count; the other rows keep their order and their integer labels."""
    q = '"' if quoted else ""
    rows = [f"{q}{i / 2}{q},{(marker if i in (1, 4) else str(i % 2))}" for i in range(7)]
    path = write(tmp_path, "a,y\n" + "\n".join(rows) + "\n")
    shown = re.escape("empty" if marker == "" else f'"{marker}"')
    with pytest.warns(
        DataWarning, match=rf'line 3, column "y" has no label \({shown}\): the 2 rows without one are left out'
    ) as record:
        X, y, ids = read_csv_columns(path, "y", id_column="a", na_values=["-1"])
    assert record[0].filename == at_line_of(__file__)  # at the reader's caller
    assert X["a"].tolist() == [0.0, 1.0, 1.5, 2.5, 3.0] and ids.tolist() == ["0.0", "1.0", "1.5", "2.5", "3.0"]
    assert y.dtype == np.int64 and y.tolist() == [0, 0, 1, 1, 0]


@pytest.mark.parametrize("quoted", [False, True])
def test_none_is_a_class_in_the_target_and_a_missing_value_in_a_feature(tmp_path, quoted):
    """Arthritis' Improved: None, Some, Marked. As the target "None" is a class (its 27 rows were left
    out as unlabeled), "NA" still marks a missing label; in a feature "None" stays a missing value."""
    q = '"' if quoted else ""
    rows = [f"{q}{['None', 'Some', 'x'][i % 3]}{q},{i},{q}{['None', 'Some', 'Marked'][i % 3]}{q}" for i in range(12)]
    path = write(tmp_path, "f,a,y\n" + "\n".join(rows) + "\n" + f"{q}Some{q},99,NA\n")
    with pytest.warns(DataWarning, match=r'line 14, column "y" has no label \("NA"\): that row is left out'):
        X, y, _ = read_csv_columns(path, "y")
    assert sorted(set(y.tolist())) == ["Marked", "None", "Some"] and len(y) == 12
    assert X["f"].isna().tolist() == [i % 3 == 0 for i in range(12)]
