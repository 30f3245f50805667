"""A fit reads each text column of a table once: the column plan's reading (ColumnPlan.fit's
``reads``) is reused for the training rows and the leaked-label check, and a pandas string column
is grouped by pandas without a Python string per row. Each shortcut must give the bits of a fresh,
row-by-row reading: the rows the fit trains on are those its plan gives the same table at predict,
the checks warn about the same columns, and a string column reads as its object twin."""

import warnings

import numpy as np
import pandas as pd
import pytest

import npdnn.sklearn.estimator as estimator
from npdnn import DNNClassifier
from npdnn.sklearn.column_checks import LeakedLabelWarning, leaked_label
from npdnn.sklearn.column_values import _factorized
from npdnn.sklearn.columns import ColumnPlan, DroppedColumnWarning

FAST = dict(hidden_layer_sizes=(8,), epochs=3, batch_size=32, random_state=0)


def texts_table(m=300, seed=0):
    """Text columns of other categories and dtypes side by side (a misplaced reading shows), with
    missing values, a yes/no column, numbers written as text, a category column, an id and numbers."""
    rng = np.random.default_rng(seed)
    color = rng.choice(["red", "green", "blue"], m).astype(object)
    color[rng.random(m) < 0.1] = None
    size = pd.Series(rng.choice(["S", "M", "L", "XL", " M"], m), dtype="string").mask(rng.random(m) < 0.1)
    X = pd.DataFrame(
        {
            "age": rng.normal(40, 10, m),
            "color": color,
            "size": size,
            "member": np.where(rng.random(m) < 0.5, "yes", "no"),
            "rooms": pd.Series(rng.integers(1, 6, m).astype(str), dtype="str"),
            "city": pd.Series(rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], m), dtype="category"),
            "name": [f"person {i}" for i in range(m)],
            "smoker": rng.random(m) < 0.4,
        }
    )
    y = np.where(rng.random(m) < 0.5, "a", "b")
    return X, y


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_fit_trains_on_the_rows_its_plan_gives_at_predict(monkeypatch, dtype):
    X, y = texts_table()
    seen, train = [], estimator.train

    def spy(net, X_in, *args, **kwargs):
        seen.append(X_in.copy())
        return train(net, X_in, *args, **kwargs)

    monkeypatch.setattr(estimator, "train", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedColumnWarning)
        model = DNNClassifier(**FAST, standardize=False, dtype=dtype).fit(X, y)
    plan = model.columns_
    assert [c["kind"] for c in plan.columns] == [
        "numeric", "categorical", "categorical", "boolean", "numeric", "categorical", "dropped", "boolean",
    ]  # fmt: skip
    np.testing.assert_array_equal(seen[0], plan.transform(X, dtype=np.dtype(dtype)))
    reads = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedColumnWarning)
        assert ColumnPlan.fit(X, reads=reads).columns == plan.columns
    assert sorted(reads) == [1, 2, 3, 4, 5]  # the text columns kept (not the id, not the numbers nor bools)
    np.testing.assert_array_equal(plan.transform(X, reads=reads), plan.transform(X))


def test_a_leaked_label_among_text_columns_is_named_with_or_without_the_reads():
    X, y = texts_table()
    X = X.drop(columns="name")
    X.insert(2, "alive", np.where(y == "a", "yes", "no"))  # between two text columns
    X.insert(5, "copy", pd.Series(np.where(y == "a", "p", "q"), dtype="category"))
    X["grade"] = np.array(list("ABCDEFGHIJ"))[np.arange(len(y)) % 10]  # 10 values: codes up to 9
    with pytest.warns(LeakedLabelWarning) as record:
        DNNClassifier(**FAST).fit(X, pd.Series(y, name="survived"))
    named = [str(w.message) for w in record if w.category is LeakedLabelWarning]
    assert named == [  # one warning for both
        "columns 'alive', 'copy' each alone predict 'survived' on 100% of training rows: copies of the label?"
    ]
    assert record[0].message.shares == {"alive": 1.0, "copy": 1.0}
    labels = (y == "b").astype(np.intp)
    reads = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedColumnWarning)
        ColumnPlan.fit(X, reads=reads)
    for given in (reads, None):
        with pytest.warns(LeakedLabelWarning) as record:
            leaked_label(X, labels, list(X.columns), reads=given)
        assert [str(w.message) for w in record] == [m.replace("'survived'", "the label") for m in named]
        # 13 classes by up to 10 values: a table index past a narrow code type's range
        with warnings.catch_warnings():
            warnings.simplefilter("error", LeakedLabelWarning)  # none predicts these
            leaked_label(X, np.arange(len(y)) % 13, list(X.columns), reads=given)


@pytest.mark.parametrize("kind", ["number", "text"])
def test_a_column_of_many_values_that_names_the_label_is_reported_when_each_value_has_20_rows(kind):
    """plotnine's txhousing: its `date` (187 values, ~37 rows each) names the `month`, and a zip code
    names the state: reported. With fewer than 20 rows per value on average any column of that many
    values could look pure (an id holds one row per value), so none is."""
    rng = np.random.default_rng(0)
    m = 2_000
    date = rng.permutation(np.repeat(np.arange(100), 20))  # 100 values of 20 rows: m / 20
    month = date % 12
    fewer = rng.permutation(np.repeat(np.arange(101), 20))[:m]  # 101 values: one more than m / 20
    noise = rng.permutation(np.repeat(np.arange(100), 20))  # as many values, not tied to the label
    X = pd.DataFrame({"date": 2000 + date / 12, "fewer": fewer * 0.5, "noise": noise * 1.0})
    if kind == "text":
        X = X.astype(str)
    names = list(X.columns)
    with pytest.warns(LeakedLabelWarning) as record:
        leaked_label(X, month, names, "month")
    assert [str(w.message) for w in record] == [
        "column 'date' alone predicts 'month' on 100% of training rows: a copy of the label?"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakedLabelWarning)
        leaked_label(X[["fewer", "noise"]], fewer % 12, ["fewer", "noise"])  # pure, but 101 values


def test_a_numeric_column_that_one_threshold_turns_into_the_label_is_reported():
    """Wooldridge's labsup: worked = weeks > 0; its change columns, missing in the panel's first year,
    each name the year (13 warnings in lowbrth, now one). A rare class separated by chance is not one."""
    rng = np.random.default_rng(1)
    m = 3_000
    weeks = np.where(rng.random(m) < 0.4, 0.0, rng.integers(1, 53, m) + rng.random(m))
    worked = (weeks > 0).astype(np.intp)
    change = [np.where(worked == 1, rng.normal(size=m), np.nan) for _ in range(6)]  # missing where worked == 0
    income = rng.normal(size=m) + 2.5 * worked  # strong, but overlapping: its threshold misses >10% of a class
    X = pd.DataFrame({"income": income, "weeks": weeks} | {f"c{k}": c for k, c in enumerate(change)})
    with pytest.warns(LeakedLabelWarning) as record:
        leaked_label(X, worked, list(X.columns), "worked")
    assert [str(w.message) for w in record] == [
        "columns 'weeks', 'c0', 'c1', 'c2', 'c3' (and 2 more) each alone predict 'worked' on 100% of training rows: "
        "copies of the label?"
    ]
    assert sorted(record[0].message.shares) == ["c0", "c1", "c2", "c3", "c4", "c5", "weeks"]
    near = weeks.copy()
    near[np.flatnonzero(worked)[:12]] = -1.0  # 12 of ~1,800 worked rows on the wrong side: 99.6%
    with pytest.warns(LeakedLabelWarning, match=r"^column 'near' alone predicts 'worked' on 100% of"):
        leaked_label(pd.DataFrame({"near": near}), worked, ["near"], "worked")
    small = X[["income"]].iloc[:200]  # where 9 rows beat the majority's 95.5% by more than 1%
    rare = np.zeros(200, np.intp)
    rare[np.argsort(small["income"].to_numpy())[-9:]] = 1  # 9 rows above a threshold: under 10 of the rarer class
    three = np.minimum(2, (weeks // 18).astype(np.intp))  # three classes: no threshold check
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakedLabelWarning)
        leaked_label(X[["income"]], worked, ["income"], "worked")
        leaked_label(small, rare, ["income"], "rare")
        leaked_label(X[["weeks"]], three, ["weeks"], "three")
    rare[np.argsort(small["income"].to_numpy())[-10]] = 1  # 10: checked
    with pytest.warns(LeakedLabelWarning, match="column 'income' alone predicts 'rare' on 100%"):
        leaked_label(small, rare, ["income"], "rare")


STRINGS = ["a", " a", "b", "", "a" * 300, "a" * 250, "B", "3", "3.0", "yes", "é"]


@pytest.mark.parametrize("storage", ["python", "pyarrow"])
@pytest.mark.parametrize("na_value", [pd.NA, np.nan])
def test_a_string_column_reads_as_its_object_twin(storage, na_value):
    if storage == "pyarrow":
        pytest.importorskip("pyarrow")
    rng = np.random.default_rng(5)
    values = [STRINGS[i] if i < len(STRINGS) else None for i in rng.integers(0, len(STRINGS) + 2, 400)]
    column = pd.Series(values, dtype=pd.StringDtype(storage, na_value=na_value))
    twin = pd.Series(values, dtype=object)
    codes, texts = _factorized(column)
    want_codes, want_texts = _factorized(twin)
    assert texts.tolist() == want_texts.tolist()  # the same texts in the same order (of first appearance)
    np.testing.assert_array_equal(codes, want_codes)
    assert codes.dtype == want_codes.dtype == np.intp


@pytest.mark.parametrize(
    ("k", "nans", "expected"),
    [
        (0, 0, 1.0),  # x >= 55 is the label
        (5, 0, 105 / 110),  # 5 errors, a tenth of the rarer class's 50: still reported
        (6, 0, 0.0),  # 6 of 49: more than a tenth
        (0, 10, 117 / 120),  # 10 missing cells, 7 of them 1: their own side, predicting 1
    ],
)
def test_the_threshold_share_is_the_best_single_split_within_a_tenth_of_the_rarer_class(k, nans, expected):
    """x = 0 ... 109, the label 1 from x = 55 on, and 1 on the first k rows too (errors for any one
    threshold); ``nans`` more rows with x missing."""
    from npdnn.sklearn.column_checks import _threshold_share

    x = np.arange(110.0)
    y = (x >= 55).astype(np.intp)
    y[:k] = 1
    if nans:
        x = np.concatenate([x, np.full(nans, np.nan)])
        y = np.concatenate([y, [1] * 7 + [0] * 3]).astype(np.intp)
    rng = np.random.default_rng(0)
    order = rng.permutation(x.size)  # the rows' order does not matter
    assert _threshold_share(x[order], y[order]) == expected
    ties = np.repeat([1.0, 2.0, 3.0], 40)  # a split falls between values, never inside ties
    y = np.array([0] * 40 + [0] * 36 + [1] * 4 + [1] * 40, dtype=np.intp)
    assert _threshold_share(ties, y) == 116 / 120
    assert _threshold_share(np.full(5, np.nan), np.array([1, 1, 1, 1, 0], dtype=np.intp)) == 0.0  # no value at all


def test_leaked_label_edges_rows_columns_and_shares():
    """The rule's edges: 20 rows are checked, 19 not; a copy after a column it passes over is still
    found; a constant column is no better than the majority; a column of 10 values and missing
    cells is 11 values; several columns with shares 99% and 100% (then exactly five named)."""
    rng = np.random.default_rng(3)

    def warned(X, y, target="y"):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            leaked_label(X, np.asarray(y, dtype=np.intp), list(X.columns), target)
        return [w.message for w in record if w.category is LeakedLabelWarning]

    for m, count in ((20, 1), (19, 0)):
        y = np.arange(m) % 2
        assert len(warned(pd.DataFrame({"copy": y.astype(str)}), y)) == count
    m = 300
    y = (rng.random(m) < 0.5).astype(np.intp)
    ids = [f"person {i}" for i in range(m)]  # passed over (a value per row), then the copy
    (message,) = warned(pd.DataFrame({"name": ids, "copy": np.where(y == 1, "a", "b")}), y)
    assert str(message).startswith("column 'copy' alone predicts 'y' on 100%")
    rare = np.zeros(1000, np.intp)
    rare[:5] = 1  # majority 99.5%: a constant column predicts as much, and is no copy
    assert warned(pd.DataFrame({"constant": np.ones(1000)}), rare) == []
    eleven = pd.DataFrame({"v": np.where(np.arange(200) < 20, np.nan, np.arange(200) % 10)})
    y11 = np.where(eleven["v"].isna(), 1, eleven["v"].fillna(0) % 2).astype(np.intp)
    assert warned(eleven, y11) == []  # 10 values and missing: 11 > 10, and 200 rows / 20 = 10
    twelve = pd.concat([eleven] * 2, ignore_index=True)  # 400 rows: up to 20 values checked
    assert [str(w) for w in warned(twelve, np.tile(y11, 2))] == [
        "column 'v' alone predicts 'y' on 100% of training rows: a copy of the label?"
    ]
    # the missing cells a group of their own, not merged with the first value (code 0)
    first = pd.DataFrame({"x": pd.array([0.5] * 100 + [None] * 100 + [2.5] * 100, dtype="Float64")})
    y3 = np.array([0] * 100 + [1] * 100 + [1] * 100, dtype=np.intp)
    texts = pd.DataFrame({"t": ["p"] * 100 + [None] * 100 + ["q"] * 100})
    assert len(warned(first, y3)) == 1 and len(warned(texts, y3)) == 1
    y = (rng.random(m) < 0.5).astype(np.intp)
    near = np.where(y == 1, "a", "b").astype(object)
    near[:3] = np.where(y[:3] == 1, "b", "a")  # 3 of 300 wrong: 99%
    five = {f"c{k}": np.where(y == 1, f"a{k}", f"b{k}") for k in range(4)} | {"near": near}
    (message,) = warned(pd.DataFrame(five), y)
    assert str(message) == (
        "columns 'c0', 'c1', 'c2', 'c3', 'near' each alone predict 'y' on 99% to 100% of training rows: "
        "copies of the label?"
    )
    assert message.shares["near"] == 0.99 and message.shares["c0"] == 1.0
    (message,) = warned(pd.DataFrame({"near": near}), y)
    assert message.shares == {"near": 0.99}  # exactly LEAK_SHARE: reported


def test_leaked_label_on_more_rows_than_it_reads_and_on_arrays():
    """Past LEAK_ROWS rows, evenly spaced rows are read (the columns and the labels alike); a NumPy
    array's columns are checked as a table's; a nullable Float64 column with <NA> by its threshold."""
    from npdnn.sklearn import column_checks

    m = column_checks.LEAK_ROWS + 1_001
    rng = np.random.default_rng(4)
    x = rng.random(m)
    y = (x > 0.5).astype(np.intp)
    X = pd.DataFrame({"x": x, "copy": np.where(y == 1, "a", "b"), "noise": rng.random(m)})
    with pytest.warns(LeakedLabelWarning) as record:
        leaked_label(X, y, list(X.columns), "y")
    assert str(record[0].message).startswith("columns 'x', 'copy' each alone predict 'y' on 100%")
    A = np.column_stack([rng.random(500), np.arange(500) % 2])
    with pytest.warns(LeakedLabelWarning, match="^column '1' alone predicts the label on 100%"):
        leaked_label(A, (np.arange(500) % 2).astype(np.intp), [0, 1])
    weeks = pd.array(np.where(np.arange(600) % 3 == 0, 0.0, np.arange(600) % 50 + 1.5), dtype="Float64")
    weeks[::7] = pd.NA
    worked = np.where(pd.isna(weeks), 0, (weeks.to_numpy(dtype=float, na_value=0) > 0)).astype(np.intp)
    with pytest.warns(LeakedLabelWarning, match="column 'weeks' alone predicts 'worked' on 100%"):
        leaked_label(pd.DataFrame({"weeks": weeks}), worked, ["weeks"], "worked")
