"""The panel table of issue 25: npdnn (CLI and DNNClassifier) against scikit-learn's
MLPClassifier, LogisticRegression and HistGradientBoosting on the shared tabular files.

For each set and seed (0, 1, 2), the split is the CLI's own
(``train_test_split(stratify=y, test_size=0.2, random_state=seed)``), and every model is
scored on its test rows: ROC AUC for two classes (accuracy for penguins' three), log loss,
and fit time (the Pipeline's fit: preprocessing + model, all in this one process, side by
side, one thread for BLAS). "DNNClassifier (DataFrame)" is the estimator's defaults on the
raw DataFrame (its own column plan and scaling, no scikit-learn preprocessing), as a user
calls it from Python. The npdnn CLI runs as a subprocess (``npdnn train --json``);
until npdnn reads the raw files itself, it is given a preprocessed copy of the file (the
same preprocessing fitted on the same training rows, rows in the original order so that
its split is the same); ``--raw`` gives it the raw file instead (``--no-header``, ``?``
as missing), once npdnn reads such files. Its time is the subprocess's wall time
(start-up and CSV reading included).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/tabular.py [--sets adult,pima] [--seeds 0,1,2] [--raw]

Appends one JSON line per (set, seed, model) to benchmarks/results/tabular.jsonl and prints
the table of means over seeds of this run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from panel import DATASETS, PANEL, load, preprocessor, run, score, split  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "tabular.jsonl"
NPDNN = [sys.executable, "-m", "npdnn"]
# The target's name in the raw file where panel.py names the columns itself (adult has no header row).
RAW_TARGET = {"adult": "14"}
# The tables' columns, in this order.
ORDER = ["npdnn CLI", "npdnn CLI (raw file)", "DNNClassifier (DataFrame)", "DNNClassifier", "DNNClassifier float32"]
ORDER += ["MLPClassifier", "LogisticRegression", "HistGradientBoosting"]


def models(seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    from npdnn import DNNClassifier

    return {
        "DNNClassifier": DNNClassifier(random_state=seed),
        # what the CLI trains in: the pipeline's float64 rows converted a batch at a time
        "DNNClassifier float32": DNNClassifier(random_state=seed, dtype="float32"),
        "MLPClassifier": MLPClassifier(random_state=seed),
        "LogisticRegression": LogisticRegression(max_iter=2000),
    }


def hgb(X):
    """HistGradientBoosting with its native categorical and missing-value support."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=0, categorical_features="from_dtype")


def as_categories(X):
    return X.astype({c: "category" for c in X.columns if X[c].dtype.kind not in "fiu"})


def run_cli(name, X, y, pre, seed, raw):
    """``npdnn train`` on the file (raw) or on a preprocessed copy; ``(score, log_loss, seconds, epochs,
    train_seconds)``: the process's wall time, and the training alone as the command reports it."""
    import pandas as pd

    file, header, target, drop = PANEL[name]
    with tempfile.TemporaryDirectory() as tmp:
        if raw:
            data = str(DATASETS / file)
            target = RAW_TARGET.get(name, target)
            args = ["--data", data, "--target", target, *(() if header else ("--no-header",)), "--na-values", "?"]
            args += [a for c in drop for a in ("--drop", c)]
        else:
            data = Path(tmp) / f"{name}.csv"
            Z = pd.DataFrame(pre.transform(X), columns=[f"x{i}" for i in range(pre.transform(X[:1]).shape[1])])
            Z["target"] = y
            Z.to_csv(data, index=False)
            args = ["--data", str(data), "--target", "target"]
        report = Path(tmp) / "report.json"
        t0 = time.perf_counter()
        r = subprocess.run(
            [*NPDNN, "train", *args, "--seed", str(seed), "--quiet", "--json", str(report)],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - t0
        if r.returncode != 0:
            raise RuntimeError(f"npdnn train failed on {name}: {r.stderr.strip()}")
        out = json.loads(report.read_text())
    test = out["metrics"]["test"]
    head = test["roc_auc"] if len(np.unique(y)) == 2 else test["accuracy"]
    return head, test["log_loss"], seconds, out["epochs_run"], out.get("fit_seconds")


def one(name, seed, raw):
    from sklearn.pipeline import make_pipeline

    from npdnn import DNNClassifier

    X, y = load(name)
    rows = []
    # the user's own DataFrame (bools, text, NaN) straight into the defaults: its column plan and scaling
    D_train, D_test, y_train, y_test = split(X, y, seed)
    model = DNNClassifier(random_state=seed)
    t0 = time.perf_counter()
    model.fit(D_train, y_train)
    seconds = time.perf_counter() - t0
    rows.append(("DNNClassifier (DataFrame)", *score(y_test, model.predict_proba(D_test), model.classes_), seconds))
    rows[-1] += (model.n_iter_, seconds)
    X = X.astype({c: str for c in X.columns if X[c].dtype == bool})
    X_train, X_test, y_train, y_test = split(X, y, seed)
    for label, model in models(seed).items():
        pipe = make_pipeline(preprocessor(X), model)
        t0 = time.perf_counter()
        pipe.fit(X_train, y_train)
        seconds = time.perf_counter() - t0
        head, loss = score(y_test, pipe.predict_proba(X_test), pipe.classes_)
        rows.append((label, head, loss, seconds, getattr(model, "n_iter_", None), seconds))
    Xc_train, Xc_test = as_categories(X_train), as_categories(X_test)
    model = hgb(X)
    t0 = time.perf_counter()
    model.fit(Xc_train, y_train)
    seconds = time.perf_counter() - t0
    proba = model.predict_proba(Xc_test)
    rows.append(("HistGradientBoosting", *score(y_test, proba, model.classes_), seconds, None, seconds))
    pre = preprocessor(X).fit(X_train)
    rows.append(("npdnn CLI" + (" (raw file)" if raw else ""), *run_cli(name, X, y, pre, seed, raw)))
    metric = "roc_auc" if len(np.unique(y)) == 2 else "accuracy"
    return [
        {
            "set": name, "seed": seed, "model": m, "score": float(h), "log_loss": float(ll), "fit_s": float(s),
            "train_s": None if ts is None else float(ts),
            "epochs": None if e is None else int(np.max(e)), "metric": metric, "load": os.getloadavg()[0],
        }
        for m, h, ll, s, e, ts in rows
    ]  # fmt: skip


def table(rows):
    """Markdown: per set, per model, mean score / log loss / fit seconds over the seeds."""
    names = [m for m in ORDER if any(r["model"] == m for r in rows)]
    sets = list(dict.fromkeys(r["set"] for r in rows))
    lines = ["| data | metric | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    means = {m: [] for m in names}
    for s in sets:
        cells = []
        for m in names:
            rs = [r for r in rows if r["set"] == s and r["model"] == m]
            sc, ll, t = (np.mean([r[k] for r in rs]) for k in ("score", "log_loss", "fit_s"))
            means[m].append((sc, ll, t))
            train = [r.get("train_s") for r in rs]
            if m.startswith("npdnn CLI") and None not in train:  # the training alone, then the process's wall time
                cells.append(f"{sc:.3f} / {ll:.3f} / {np.mean(train):.2f}s ({t:.1f}s)")
            else:
                cells.append(f"{sc:.3f} / {ll:.3f} / {t:.2f}s")
        metric = "AUC" if rows[[r["set"] for r in rows].index(s)]["metric"] == "roc_auc" else "acc"
        lines.append(f"| {s} | {metric} / log loss / fit | " + " | ".join(cells) + " |")
    cells = [f"{np.mean([v[0] for v in means[m]]):.3f} / {np.mean([v[1] for v in means[m]]):.3f}" for m in names]
    lines.append("| **mean** | score / log loss | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def paired(rows, baselines=("MLPClassifier", "LogisticRegression")):
    """Markdown: per set, each npdnn column minus each baseline on the same splits (score and log loss),
    the mean difference with its standard error over the seeds, and the seeds won / tied / lost on
    score. A difference within about two standard errors of 0 is the splits' noise, not a gap."""
    by = {(r["set"], r["seed"], r["model"]): r for r in rows}
    ours = [m for m in ORDER if m.startswith(("npdnn", "DNNClassifier")) and any(r["model"] == m for r in rows)]
    lines = ["| data | npdnn column | vs | seeds | score difference | log loss difference | won / tied / lost |"]
    lines.append("|---|---|---|---|---|---|---|")
    for s in dict.fromkeys(r["set"] for r in rows):
        for m in ours:
            for b in baselines:
                seeds = sorted(k for (t, k, n) in by if t == s and n == m and (s, k, b) in by)
                if len(seeds) < 2:
                    continue
                d = np.array([[by[s, k, m][c] - by[s, k, b][c] for c in ("score", "log_loss")] for k in seeds])
                se = d.std(axis=0, ddof=1) / np.sqrt(len(seeds))
                won, tied = int(np.sum(d[:, 0] > 0)), int(np.sum(d[:, 0] == 0))
                lines.append(
                    f"| {s} | {m} | {b} | {len(seeds)} | {d[:, 0].mean():+.4f} ± {se[0]:.4f} | "
                    f"{d[:, 1].mean():+.4f} ± {se[1]:.4f} | {won} / {tied} / {len(seeds) - won - tied} |"
                )
    return "\n".join(lines)


def latest(rows):
    """The last row of each (set, seed, model) among those that record ``train_s`` (the file
    keeps every run, earlier defaults included)."""
    last = {(r["set"], r["seed"], r["model"]): r for r in rows if "train_s" in r}
    return list(last.values())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", default=",".join(PANEL))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--raw", action="store_true", help="run the CLI on the raw files (needs npdnn's CSV reading)")
    p.add_argument(
        "--table", action="store_true", help="only print the tables of the results file's latest rows (of --sets)"
    )
    args = p.parse_args()
    if args.table:
        rows = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
        rows = [r for r in latest(rows) if r["set"] in args.sets.split(",")]
        print(table(rows) + "\n\n" + paired(rows))
        return
    rows = run(RESULTS, args.sets, args.seeds, lambda name, seed: one(name, seed, args.raw))
    print(table(rows) + "\n\n" + paired(rows))


if __name__ == "__main__":
    main()
