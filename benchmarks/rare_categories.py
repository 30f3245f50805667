"""Rare categories in the column plan: one-hot columns for categories seen on 1 training row or
more, against 5 or more (``npdnn.sklearn.columns.MIN_CATEGORY_ROWS``), with ``npdnn train``'s
settings (standardized, float32) on the CLI's splits (``train_test_split(stratify=y,
test_size=0.2, random_state=seed)``).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/rare_categories.py

Sets: adult as the CLI reads it, and the panel's titanic plus a synthetic Kaggle-style ticket
column (650 values over 891 rows: most tickets on one or two rows). Prints per set and minimum
the mean test AUC, log loss and number of network inputs over the seeds.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from panel import DATASETS, load  # noqa: E402


def sets():
    from npdnn.cli.datasets import read_csv_columns

    X, y, _ = read_csv_columns(DATASETS / "adult-train.csv", "14", has_header=False, na_values=("?",))
    yield "adult", X, y, range(3)
    X, y = load("titanic")
    X = X.astype({c: str for c in X.columns if X[c].dtype == bool})
    X["ticket"] = [f"T{v}" for v in np.random.default_rng(0).integers(0, 650, len(X))]
    yield "titanic + ticket", X, y, range(5)


def main():
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split

    import npdnn.sklearn.columns as columns
    from npdnn import DNNClassifier

    warnings.simplefilter("ignore")
    print(f"load {os.getloadavg()[0]:.1f}")
    print("| set | min rows | AUC | log loss | inputs | AUC per seed |\n|---|---|---|---|---|---|")
    for name, X, y, seeds in sets():
        for minimum in (1, columns.MIN_CATEGORY_ROWS):
            saved, columns.MIN_CATEGORY_ROWS = columns.MIN_CATEGORY_ROWS, minimum
            rows = []
            for seed in seeds:
                X_tr, X_te, y_tr, y_te = train_test_split(X, y, stratify=y, test_size=0.2, random_state=seed)
                m = DNNClassifier(standardize=True, dtype="float32", random_state=seed).fit(X_tr, y_tr)
                P = m.predict_proba(X_te)
                auc = roc_auc_score(y_te == m.classes_[1], P[:, 1])
                rows.append((auc, log_loss(y_te, P, labels=m.classes_), len(m.columns_.output_names)))
            columns.MIN_CATEGORY_ROWS = saved
            a = np.array(rows)
            each = " ".join(f"{v:.4f}" for v in a[:, 0])
            means = f"{a[:, 0].mean():.4f} | {a[:, 1].mean():.4f} | {a[:, 2].mean():.1f}"
            print(f"| {name} | {minimum} | {means} | {each} |")


if __name__ == "__main__":
    main()
