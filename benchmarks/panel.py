"""The shared panel of tabular files (/work/shared/datasets) and scikit-learn's bundled
sets, read and split as ``npdnn train`` splits them, for defaults_search.py and tabular.py.

Until npdnn reads these files itself (issue 25, the data half), each set is preprocessed
here with scikit-learn, fitted on the training rows only: median imputation + standard
scaling for numbers, most-frequent imputation + one-hot for strings and booleans.
The baselines get exactly the same Pipeline (``preprocessor``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

DATASETS = Path(os.environ.get("NPDNN_PANEL", "/work/shared/datasets"))
ADULT = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip

# name -> (file, header?, target column, columns to drop)
PANEL = {
    "pima": ("pima-indians-diabetes.csv", False, "8", ()),
    "sonar": ("sonar.csv", False, "60", ()),
    "ionosphere": ("ionosphere.csv", False, "34", ()),
    "banknote": ("banknote_authentication.csv", False, "4", ()),
    "titanic": ("titanic.csv", True, "survived", ("alive",)),  # `alive` restates the label
    "penguins": ("penguins.csv", True, "species", ()),
    "adult": ("adult-train.csv", False, "income", ()),
}
BUNDLED = ("breast_cancer", "wine", "digits")


def load(name):
    """``(X DataFrame, y ndarray)`` of a panel file or a bundled scikit-learn set."""
    import pandas as pd

    if name in BUNDLED:
        from sklearn import datasets

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True, as_frame=True)
        return X, y.to_numpy()
    file, header, target, drop = PANEL[name]
    names = ADULT if name == "adult" else None
    df = pd.read_csv(
        DATASETS / file,
        header=0 if header else None,
        names=names,
        na_values=["?"],
        skipinitialspace=True,
    )
    df.columns = [str(c) for c in df.columns]  # no header: "0".."n-1", as the CLI's --no-header names them
    df = df.drop(columns=list(drop))
    y = df.pop(target).to_numpy()
    if y.dtype == object:
        y = y.astype(str)
    return df, y


def split(X, y, seed):
    """The CLI's split: ``train_test_split(stratify=y, test_size=0.2, random_state=seed)``."""
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, stratify=y, test_size=0.2, random_state=seed)


def preprocessor(X):
    """Imputation + one-hot + standard scaling (a ColumnTransformer, unfitted) for X's columns."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in X.columns if X[c].dtype.kind in "fiu"]
    other = [c for c in X.columns if c not in numeric]
    parts = [("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)]
    if other:
        onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False, min_frequency=5)
        parts.append(("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), onehot), other))
    return ColumnTransformer(parts)


def prepared(name, seed):
    """``(X_train, X_test, y_train, y_test)`` as float64 arrays, preprocessing fitted on the training rows."""
    X, y = load(name)
    X_train, X_test, y_train, y_test = split(X, y, seed)
    pre = preprocessor(X).fit(X_train.astype({c: str for c in X.columns if X[c].dtype == bool}))
    as_str = {c: str for c in X.columns if X[c].dtype == bool}
    return pre.transform(X_train.astype(as_str)), pre.transform(X_test.astype(as_str)), y_train, y_test


def score(y_true, proba, classes):
    """``(headline, log_loss)``: ROC AUC for two classes, accuracy for more."""
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    proba = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, 1 - 1e-15)
    proba = proba / proba.sum(axis=1, keepdims=True)
    if len(classes) == 2:
        head = roc_auc_score(y_true == classes[1], proba[:, 1])
    else:
        head = accuracy_score(y_true, np.asarray(classes)[proba.argmax(axis=1)])
    return float(head), float(log_loss(y_true, proba, labels=classes))


def run(results, sets, seeds, one):
    """``one(set, seed)``'s rows (dicts) for each set and seed of the comma-separated ``sets`` and
    ``seeds``, appended to the JSON-lines file ``results`` as they come (a run cut short keeps
    them), with a progress line on stderr; returns all the rows."""
    import json
    import sys

    rows = []
    results.parent.mkdir(exist_ok=True)
    with results.open("a") as out:
        for name in sets.split(","):
            for seed in map(int, seeds.split(",")):
                for row in one(name, seed):
                    out.write(json.dumps(row) + "\n")
                    rows.append(row)
                print(f"{name} seed {seed} done (load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
    return rows
