"""Search DNNClassifier's defaults by cross-validation over the panel (issue 25).

Each candidate is the current table (``npdnn.train.options.ESTIMATOR_DEFAULTS``) with
a few entries changed. It is scored by stratified k-fold cross-validation on every data
set (preprocessing fitted on each fold's training rows, see panel.py): ROC AUC for two
classes, accuracy for more, and log loss, plus the fit time. The test rows of the CLI's
splits (tabular.py) are never looked at here.

    .venv/bin/python benchmarks/defaults_search.py [--folds 3] [--sets pima,sonar] [--candidates a,b]

Appends one JSON line per (candidate, set, fold) to benchmarks/results/defaults_search.jsonl
and prints the mean per candidate (the mean over sets of the per-set mean over folds) and
its rank by mean AUC/accuracy, then by log loss.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from panel import BUNDLED, PANEL, load, preprocessor, score  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "defaults_search.jsonl"

# The defaults before issue 25 (MLPClassifier-like: Adam, batches of 64, 200 epochs, no L2).
BASE = {"hidden_layer_sizes": (64, 32), "epochs": 200, "batch_size": 64, "l2": 0.0, "early_stopping": False}
# One factor at a time from "es" (the old defaults plus early stopping), then combinations.
CANDIDATES = {
    "old": {"early_stopping": False},  # the defaults before issue 25: 200 epochs, no early stopping
    "es": {"early_stopping": True},
    "es_p20": {"early_stopping": True, "patience": 20},
    "es_l2_0.01": {"early_stopping": True, "l2": 0.01},
    "es_l2_0.1": {"early_stopping": True, "l2": 0.1},
    "es_l2_1": {"early_stopping": True, "l2": 1.0},
    "es_b256": {"early_stopping": True, "batch_size": 256},
    "es_b256_lr3": {"early_stopping": True, "batch_size": 256, "learning_rate": 0.003},
    "es_128_64": {"early_stopping": True, "hidden_layer_sizes": (128, 64)},
    "es_256": {"early_stopping": True, "hidden_layer_sizes": (256,)},
    "es_plateau": {"early_stopping": True, "lr_schedule": "plateau"},
    "es_drop0.1": {"early_stopping": True, "dropout": 0.1},
    # stage 2: the leaders of stage 1 combined
    "es_128_64_l2_0.1": {"early_stopping": True, "hidden_layer_sizes": (128, 64), "l2": 0.1},
    "es_128_64_l2_1": {"early_stopping": True, "hidden_layer_sizes": (128, 64), "l2": 1.0},
    # stage 3: the chosen network without early stopping, for small sets (where a 10% validation split
    # is a few dozen rows: a noisy choice of epoch, and a tenth fewer rows to learn from)
    "noes_128_64_l2_0.1": {"early_stopping": False, "hidden_layer_sizes": (128, 64), "l2": 0.1},
    "noes_128_64_l2_1": {"early_stopping": False, "hidden_layer_sizes": (128, 64), "l2": 1.0},
    "noes_128_64_l2_3": {"early_stopping": False, "hidden_layer_sizes": (128, 64), "l2": 3.0},
    "noes_128_64_l2_0.3": {"early_stopping": False, "hidden_layer_sizes": (128, 64), "l2": 0.3},
    # the "auto" rule (npdnn.train.options.resolve_auto): no early stopping and l2 1 on sets whose
    # validation split has under 100 rows, else es + l2 0.1; batches of 256 from 10,000 rows
    "auto": {"hidden_layer_sizes": (128, 64), "early_stopping": "auto", "l2": "auto", "batch_size": "auto"},
    # and batches of 256 on the chosen network (4x fewer steps: the fit time on large sets)
    "es_128_64_l2_0.1_b256": {"early_stopping": True, "hidden_layer_sizes": (128, 64), "l2": 0.1, "batch_size": 256},
    # stage 4, the fit time on adult: float32 (what the CLI trains in), and a shorter patience (it only
    # acts on early-stopped sets: adult and digits here)
    "auto_f32": {
        "hidden_layer_sizes": (128, 64),
        "early_stopping": "auto",
        "l2": "auto",
        "batch_size": "auto",
        "dtype": "float32",
    },
    "auto_p5": {
        "hidden_layer_sizes": (128, 64),
        "early_stopping": "auto",
        "l2": "auto",
        "batch_size": "auto",
        "patience": 5,
    },
    # a larger rate for the batches of 256 (adult is the one set of the ten that gets them)
    **{
        f"auto_f32_lr{k}": {
            "hidden_layer_sizes": (128, 64),
            "early_stopping": "auto",
            "l2": "auto",
            "batch_size": "auto",
            "dtype": "float32",
            "learning_rate": k / 1000,
        }
        for k in (2, 3)
    },
    # stage 5, the fit time on adult once more: narrower networks, the rest "auto" in float32 (side by side
    # with the chosen (128, 64), rerun under its own name: the estimator now standardizes by default, "auto")
    **{
        f"s5_{'_'.join(map(str, sizes))}": {
            "hidden_layer_sizes": sizes,
            "early_stopping": "auto",
            "l2": "auto",
            "batch_size": "auto",
            "dtype": "float32",
        }
        for sizes in ((128, 64), (96, 48), (64, 32))
    },
    # stage 6, the scaling: the estimator on each set's raw DataFrame (its own column plan, "raw" below),
    # standard scaling of the non-0/1 inputs ("auto", the default) against RealMLP's robust scaling
    **{
        f"s6_raw_{scaling}": {
            "hidden_layer_sizes": (128, 64),
            "early_stopping": "auto",
            "l2": "auto",
            "batch_size": "auto",
            "dtype": "float32",
            "standardize": scaling,
            "raw": True,
        }
        for scaling in ("auto", "robust")
    },
    # stage 8, adult's fit time once more: batches of 512 on the large sets (half the steps of 256; adult is
    # the one large set of the ten), with Adam's rate 0.001 and 0.002
    **{
        f"s8_f32_b512_lr{k}": {
            "hidden_layer_sizes": (128, 64),
            "early_stopping": "auto",
            "l2": "auto",
            "batch_size": 512,
            "dtype": "float32",
            "learning_rate": k / 1000,
        }
        for k in (1, 2)
    },
    # the baselines of issue 25's targets, on the same folds and the same preprocessed rows (no npdnn option
    # applies to them): is a gap on the CLI's test splits (tabular.py, 42 test rows for sonar) also a gap here?
    "mlp": {"baseline": "MLPClassifier"},
    "logreg": {"baseline": "LogisticRegression"},
    # stage 7, the small sets' L2: l2 1 suits the noisy ones (pima, titanic, sonar's log loss) and is too strong
    # for the well-separated ones (penguins, banknote, wine), where MLPClassifier (alpha 1e-4) has the lower log
    # loss. Chosen per set by an inner 3-fold GridSearchCV on log loss (each outer fold's training rows only)
    **{
        f"s7_cv_l2_{'_'.join(map(str, grid))}": {
            "hidden_layer_sizes": (128, 64),
            "early_stopping": False,
            "l2": "cv",
            "grid": list(grid),
            "batch_size": "auto",
            "dtype": "float32",
        }
        for grid in ((0.1, 1.0), (0.1, 0.3, 1.0), (0.03, 0.1, 0.3, 1.0, 3.0))
    },
}


def baseline(kind, seed):
    """scikit-learn's estimator as benchmarks/tabular.py fits it."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    return {"MLPClassifier": MLPClassifier(random_state=seed), "LogisticRegression": LogisticRegression(max_iter=2000)}[
        kind
    ]


def run(candidate, params, name, folds, out):
    from sklearn.model_selection import StratifiedKFold

    from npdnn import DNNClassifier

    X, y = load(name)
    raw = params.get("raw", False)  # the raw DataFrame into the estimator (its column plan), no pipeline
    params = {k: v for k, v in params.items() if k != "raw"}
    if not raw:
        X = X.astype({c: str for c in X.columns if X[c].dtype == bool})
    for fold, (tr, te) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y)):
        if raw:
            X_tr, X_te = X.iloc[tr], X.iloc[te]
        else:
            pre = preprocessor(X).fit(X.iloc[tr])
            X_tr, X_te = pre.transform(X.iloc[tr]), pre.transform(X.iloc[te])
        if "baseline" in params:
            model = baseline(params["baseline"], fold)
        elif params.get("l2") == "cv":
            from sklearn.model_selection import GridSearchCV

            inner = {k: v for k, v in params.items() if k not in ("l2", "grid")}
            model = GridSearchCV(
                DNNClassifier(**inner, random_state=fold), {"l2": params["grid"]}, scoring="neg_log_loss", cv=3
            )
        else:
            model = DNNClassifier(**params, random_state=fold)
        t0 = time.perf_counter()
        model.fit(X_tr, y[tr])
        seconds = time.perf_counter() - t0
        head, loss = score(y[te], model.predict_proba(X_te), model.classes_)
        row = {
            "candidate": candidate,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
            "set": name,
            "fold": fold,
            "score": head,
            "log_loss": loss,
            "fit_s": seconds,
            "epochs_run": int(np.max(getattr(getattr(model, "best_estimator_", model), "n_iter_", 0))),
            **({"l2_chosen": model.best_params_["l2"]} if hasattr(model, "best_params_") else {}),
            "load": os.getloadavg()[0],
        }
        out.write(json.dumps(row) + "\n")
        out.flush()
        print(f"{candidate:14s} {name:14s} fold {fold}: {head:.4f} {loss:.4f} {seconds:6.2f}s {row['epochs_run']} ep")


def summary(rows):
    """Mean over sets of the per-set mean over folds, per candidate."""
    by = {}
    for r in rows:
        by.setdefault(r["candidate"], {}).setdefault(r["set"], []).append(r)
    lines = []
    for cand, sets in by.items():
        per_set = {
            s: (np.mean([r["score"] for r in rs]), np.mean([r["log_loss"] for r in rs])) for s, rs in sets.items()
        }
        fit = np.mean([np.mean([r["fit_s"] for r in rs]) for rs in sets.values()])
        lines.append(
            (cand, np.mean([v[0] for v in per_set.values()]), np.mean([v[1] for v in per_set.values()]), fit, per_set)
        )
    lines.sort(key=lambda t: (-round(t[1], 4), t[2]))
    names = sorted({s for _, _, _, _, p in lines for s in p})
    print(
        f"{'candidate':14s} {'score':>7s} {'logloss':>8s} {'fit s':>7s}  " + " ".join(f"{n[:10]:>10s}" for n in names)
    )
    for cand, sc, ll, fit, per_set in lines:
        cells = " ".join(f"{per_set[n][0]:10.4f}" if n in per_set else " " * 10 for n in names)
        print(f"{cand:14s} {sc:7.4f} {ll:8.4f} {fit:7.2f}  {cells}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--sets", default=",".join(sorted([*PANEL, *BUNDLED], key=lambda n: n == "adult")))
    p.add_argument("--candidates", default=",".join(CANDIDATES))
    p.add_argument("--summary", action="store_true", help="only print the table of the results file")
    args = p.parse_args()
    if not args.summary:
        RESULTS.parent.mkdir(exist_ok=True)
        with RESULTS.open("a") as out:
            for name in args.sets.split(","):
                for cand in args.candidates.split(","):
                    params = CANDIDATES[cand] if "baseline" in CANDIDATES[cand] else {**BASE, **CANDIDATES[cand]}
                    run(cand, params, name, args.folds, out)
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
    summary(rows)


if __name__ == "__main__":
    main()
