"""The ``npdnn`` command: train, predict, evaluate and gradcheck from the shell.

Every problem with the input (a missing or malformed file, a bad option value, a
model that does not fit the data) ends the command with one line on stderr,
``npdnn: error: ...``, and exit status 2; nothing is written before all input is
validated, and every file is written atomically. Ctrl-C exits with status 130.
Set ``NPDNN_DEBUG=1`` to get the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from . import __version__
from .activations import HIDDEN
from .archive import ModelFileError, atomic_write
from .cli_options import (
    Parser,
    add_scripting_options,
    add_threshold_options,
    check_threshold,
    class_weight,
    class_weight_for,
    dropout_rate,
    int_list,
    model_params,
    nonnegative_float,
    positive_float,
    positive_index,
    positive_int,
    test_fraction,
)
from .data_files import SUPPORTED, read_data
from .datasets import DEFAULT_NAME, DEFAULT_TARGET, DataError, check_classes, load_default, show_label
from .optimizers import OPTIMIZERS
from .options import ESTIMATOR_DEFAULTS
from .report import confusion, confusion_json, json_text, json_value, metrics, predicted, table, warnings_as_lines
from .training import DivergenceError

GRADCHECK_TOLERANCE = 1e-7


class CLIError(Exception):
    """A usage problem found after parsing (e.g. --resume without --checkpoint)."""


# ---------------------------------------------------------------- helpers
def _info(args, message):
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


def _check_output(path, option):
    """Fail before any work when ``path`` cannot be an output file."""
    if path is None:
        return
    if os.path.isdir(path):
        raise CLIError(f"{option} {path} is a directory; expected a file path")
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        raise CLIError(f"{option} {path}: {folder} is a file, not a folder; expected a path to a new or existing file")
    if not os.access(folder, os.W_OK):
        raise CLIError(f"{option} {path}: folder {folder} is not writable")


def _make_parent(path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _load_model(path):
    from .loading import load
    from .network import Network

    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a directory; expected an npdnn model file")
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such file; expected an npdnn model file (from npdnn train --out)")
    model = load(path)
    if isinstance(model, Network):
        raise ModelFileError(
            f"{path} holds a bare Network (Network.save); this command needs a classifier saved by "
            "npdnn train --out or DNNClassifier.save"
        )
    return model


def _read_for_model(model, model_path, data, target=None, args=None):
    """Read the model's feature columns (by name, in the model's order) from ``data``;
    returns ``(X, y, ids)``."""
    names = getattr(model, "feature_names_in_", None)
    features = None if names is None else [str(c) for c in names]
    chosen, drop = getattr(args, "features", None), list(getattr(args, "drop", None) or [])
    if features is not None:
        for name in features:
            if name in drop or (chosen is not None and name not in chosen):
                raise CLIError(
                    f'{model_path} needs feature column "{name}", which --features/--drop leave out '
                    "(a model with column names finds its features by name)"
                )
        chosen, drop = features, []
    X, y, ids = read_data(
        data,
        target=target,
        features=chosen,
        drop=drop,
        sep=getattr(args, "sep", None),
        id_column=getattr(args, "id", None),
        needed_by=f"model {model_path}",
    )
    if features is None and X.shape[1] != model.n_features_in_:
        raise DataError(
            f"{data} has {X.shape[1]} feature columns; {model_path} expects {model.n_features_in_} "
            "(it was trained without column names, so columns are taken in order)"
        )
    return X, y, ids


def _align_labels(y, classes, data, target):
    """Labels read from a CSV compared with the model's classes: integers read
    from the file match a model trained on the same digits as strings."""
    if np.asarray(classes).dtype.kind in "OUS" and y.dtype.kind in "iu":
        y = y.astype(str).astype(object)
    unknown = ~np.isin(y, classes)
    if unknown.any():
        shown = ", ".join(show_label(c) for c in classes)
        raise DataError(
            f'{data}, column "{target}": label {show_label(y[unknown][0])} is not one of the model\'s classes ({shown})'
        )
    return y


# ---------------------------------------------------------------- commands
def cmd_train(args):
    if args.scheduler is not None or args.workers is not None:  # on a Dask cluster (npdnn[dask])
        from .distributed.command import train
        from .estimator import DNNClassifier

        return train(args, lambda message: _info(args, message), lambda: DNNClassifier(**model_params(args)))
    if (args.resume or args.resume_anyway) and args.checkpoint is None:
        raise CLIError("--resume needs --checkpoint PATH (the checkpoint file to continue from)")
    if (args.data is None) != (args.target is None):
        raise CLIError("--data FILE.csv and --target COLUMN go together (without both, the bundled data is used)")
    for path, option in ((args.out, "--out"), (args.plot, "--plot"), (args.checkpoint, "--checkpoint")):
        _check_output(path, option)
    if args.data is None:
        (X, y), source, target = load_default(), DEFAULT_NAME, DEFAULT_TARGET
    else:
        X, y, _ = read_data(args.data, args.target, features=args.features, drop=args.drop or (), sep=args.sep)
        source, target = args.data, args.target
    check_classes(y, source, target)
    n_test = int(np.ceil(args.test_size * len(y)))
    n_classes = np.unique(y).size
    pos = positive_index(args.pos_label, np.unique(y))
    check_threshold(args.threshold, np.unique(y))
    weights = class_weight_for(args.class_weight, y, source, target)
    if args.test_size > 0 and (n_test < n_classes or len(y) - n_test < n_classes):
        raise DataError(
            f"{source}: --test-size {args.test_size} of {len(y)} rows gives {n_test} test and {len(y) - n_test} "
            f"training rows; expected at least one row per class ({n_classes}) in each"
        )
    from .estimator import DNNClassifier  # imported once the input is known to be good
    from .holdout import holdout

    if args.test_size > 0:  # rows of X move in place (no copy): training rows first, then the test rows
        X_train, X_test, y_train, y_test, X, y = holdout(X, y, args.test_size, args.seed)
    else:  # --test-size 0: train on every row; only training metrics can be reported
        X_train, X_test, y_train, y_test = X, None, y, np.empty(0, dtype=y.dtype)
    model = DNNClassifier(
        **model_params(args),
        dropout=args.dropout,
        early_stopping=args.early_stopping,
        class_weight=weights,
        verbose=not args.quiet and sys.stderr.isatty(),
    )
    _info(
        args,
        f"data: {source}: {len(y)} rows, {X.shape[1]} features, {n_classes} classes; "
        f"train {len(y_train)}, test {len(y_test)}",
    )
    if args.checkpoint is not None:
        _make_parent(args.checkpoint)
    with warnings_as_lines(lambda line: _info(args, line)):
        model.fit(
            X_train,
            y_train,
            checkpoint=args.checkpoint,
            checkpoint_every=args.checkpoint_every,
            resume="force" if args.resume_anyway else args.resume,
        )
    model.set_params(verbose=False)  # the saved file must not depend on whether stderr was a terminal
    scored = (
        {"train": (y_train, X_train)} if X_test is None else {"train": (y_train, X_train), "test": (y_test, X_test)}
    )
    results = {
        k: metrics(yk, model.predict_proba(Xk), model.classes_, pos, args.threshold) for k, (yk, Xk) in scored.items()
    }
    columns = {k: r[0] for k, r in results.items()}
    held_out = "test" if "test" in results else "train"
    cm = results[held_out][1]
    # Files first: a closed stdout (`npdnn train | head`) must not lose the trained model.
    if args.out is not None:
        _make_parent(args.out)
        model.save(args.out)
        _info(args, f"model written to {args.out}")
    else:
        _info(args, "model not saved (pass --out FILE to keep it)")
    if args.plot is not None:
        final = {k: m["accuracy"] for k, m in columns.items()}
        _plot(args.plot, model, X, y, final)
        _info(args, f"plot written to {args.plot}")
    if args.json is not None:
        report = {
            "command": "train",
            "data": source,
            "rows": {"train": len(y_train), "test": len(y_test)},
            "epochs_run": model.n_iter_,
            "epochs": args.epochs,
            "positive_class": json_value(model.classes_[pos]) if len(model.classes_) == 2 else None,
            "threshold": args.threshold,
            "metrics": json_value(columns),
            "confusion_matrix": {held_out: confusion_json(cm, model.classes_)},
            "model": args.out,
        }
        _write_json(args, report)
    if args.json != "-":
        print(f"epochs run: {model.n_iter_} of {args.epochs}")
        print(table(columns))
        print(confusion(cm, model.classes_, f"{held_out} confusion matrix"))
    return 0


def cmd_train_locked(args):
    """:func:`cmd_train` holding a lock on ``--out`` and ``--checkpoint`` (see
    :mod:`npdnn.locking`): a second npdnn writing either path refuses at once."""
    from .locking import exclusive

    for path, option in ((args.out, "--out"), (args.checkpoint, "--checkpoint")):
        _check_output(path, option)  # a clear message before the lock file is created
    with exclusive([(args.out, "--out"), (args.checkpoint, "--checkpoint")], "npdnn train"):
        return cmd_train(args)


def _write_json(args, report):
    """``report`` as JSON on stdout (``--json`` or ``--json -``) or atomically to the file ``--json PATH``."""
    text = json_text(report)
    if args.json == "-":
        sys.stdout.write(text)
    else:
        _make_parent(args.json)
        atomic_write(args.json, lambda f: f.write(text.encode("utf-8")))
        _info(args, f"metrics written to {args.json}")


def _plot(path, model, X, y, final_accuracy):
    from .plotting import plot_training

    # Per-epoch accuracy exists only on the validation split (with --early-stopping).
    curves = {
        "loss": model.loss_curve_,
        "val_loss": model.validation_loss_curve_,
        "val_accuracy": model.validation_scores_,
    }
    boundary = None
    if X.shape[1] == 2:
        named = hasattr(X, "columns")  # arrays (.npy, .npz) have no column names
        columns = list(X.columns) if named else ["0", "1"]

        def predict_proba(grid):
            import pandas as pd

            return model.predict_proba(pd.DataFrame(grid, columns=columns) if named else grid)

        boundary = {
            "predict_proba": predict_proba,
            "X": np.asarray(X),
            "y": y,
            "classes": model.classes_,
            "feature_names": columns,
        }
    _make_parent(path)
    plot_training(path, curves, boundary, final_accuracy)


def cmd_predict(args):
    _check_output(args.out, "--out")
    model = _load_model(args.model)
    X, _, ids = _read_for_model(model, args.model, args.data, args=args)
    pos = positive_index(args.pos_label, model.classes_)
    check_threshold(args.threshold, model.classes_)
    proba = model.predict_proba(X)
    import pandas as pd

    out = pd.DataFrame({"prediction": predicted(proba, model.classes_, pos, args.threshold)})
    if ids is not None:
        out.insert(0, args.id, ids)
    if args.proba:
        for k, c in enumerate(model.classes_):
            out[f"proba_{c}"] = proba[:, k]
    text = out.to_csv(index=False, lineterminator="\n")
    if args.out is None:
        sys.stdout.write(text)
    else:
        _make_parent(args.out)
        atomic_write(args.out, lambda f: f.write(text.encode("utf-8")))
        _info(args, f"{len(out)} predictions written to {args.out}")
    return 0


def cmd_evaluate(args):
    model = _load_model(args.model)
    X, y, _ = _read_for_model(model, args.model, args.data, target=args.target, args=args)
    y = _align_labels(y, model.classes_, args.data, args.target)
    pos = positive_index(args.pos_label, model.classes_)
    check_threshold(args.threshold, model.classes_)
    scores, cm = metrics(y, model.predict_proba(X), model.classes_, pos, args.threshold)
    if args.json is not None:
        report = {
            "command": "evaluate",
            "model": args.model,
            "data": args.data,
            "rows": len(y),
            "positive_class": json_value(model.classes_[pos]) if len(model.classes_) == 2 else None,
            "threshold": args.threshold,
            "metrics": json_value(scores),
            "confusion_matrix": confusion_json(cm, model.classes_),
        }
        _write_json(args, report)
    if args.quiet or args.json == "-":
        return 0
    kind = f"binary, positive class {show_label(model.classes_[pos])}" if len(model.classes_) == 2 else "macro averages"
    if args.threshold is not None:
        kind += f", threshold {args.threshold:g}"
    print(f"{args.data}: {len(y)} rows ({kind})")
    for name, value in scores.items():
        print(f"{name:<10}{value:>10.6f}")
    print(confusion(cm, model.classes_))
    return 0


def cmd_gradcheck(args):
    from .gradcheck import explain, gradcheck
    from .network import Network

    if args.layers is not None:
        if args.hidden is not None:
            raise CLIError("give --hidden (with --features, --outputs) or --layers (every size), not both")
        dims = list(args.layers)
    else:
        hidden = (4, 3) if args.hidden is None else args.hidden
        dims = [args.features, *hidden, args.outputs]
    if len(dims) < 2:
        raise CLIError(f"--layers needs at least two sizes, n_x,...,n_L (input to output); got {args.layers}")
    rng = np.random.default_rng(args.seed)
    net = Network(dims, args.activation, seed=rng, dtype=np.float64)
    X = rng.standard_normal((args.samples, dims[0]))
    y = rng.integers(0, max(dims[-1], 2), size=args.samples)
    result = gradcheck(net, X, y, l2=args.l2)
    print(f"gradient check of {net!r} on {args.samples} random samples (float64, central differences)")
    print(f"{'parameter':<10}{'shape':>12}{'relative difference':>22}")
    for name, value in net.params.items():
        print(f"{name:<10}{str(value.shape):>12}{result[name]:>22.3e}")
    total = result["total"]
    ok = total < GRADCHECK_TOLERANCE
    print(f"{'total':<10}{'':>12}{total:>22.3e}  {'ok' if ok else 'FAILED'} (tolerance {GRADCHECK_TOLERANCE:g})")
    for line in explain(net, X, result, GRADCHECK_TOLERANCE):
        print(line)
    return 0 if ok else 1


def cmd_export(args):
    from .loading import load

    _check_output(args.onnx, "--onnx")
    if os.path.isdir(args.model) or not os.path.exists(args.model):
        raise ModelFileError(f"{args.model}: no such file; expected an npdnn model file (from npdnn train --out)")
    model = load(args.model)  # a DNNClassifier or a bare Network: both export
    try:
        proto = model.to_onnx(opset=args.opset)
    except ImportError as e:
        raise CLIError(str(e)) from None
    _make_parent(args.onnx)
    atomic_write(args.onnx, lambda f: f.write(proto.SerializeToString()))
    _info(args, f"ONNX model (opset {proto.opset_import[0].version}, IR {proto.ir_version}) written to {args.onnx}")
    return 0


def cmd_info(args):
    import json

    model = _load_model(args.model)
    params = {k: json_value(v) for k, v in model.get_params().items()}
    print(model.summary())
    print(f"training options: {json.dumps(params, sort_keys=True)}")
    from .estimator_file import written_by
    from .network import network_from_file

    writer = written_by(network_from_file(args.model)[2].get("estimator"))
    print(f"file: {args.model}, written by npdnn {writer or '(not recorded)'}, read by npdnn {__version__}")
    return 0


# ---------------------------------------------------------------- parser
def build_parser():
    p = Parser(prog="npdnn", description="A deep neural network for classification, from scratch in NumPy.")
    p.add_argument("--version", action="version", version=f"npdnn {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser(
        "train",
        help="train on a CSV file (or the bundled breast-cancer data)",
        description="Train a classifier (features standardized, stratified train/test split) and print the "
        "held-out metrics. Feature columns must hold finite numbers; labels can be any values.",
    )
    t.add_argument("--data", metavar="FILE", help="data file (default: the bundled breast-cancer data); " + DATA_HELP)
    t.add_argument("--target", metavar="COLUMN", help="the column holding the class labels (with --data)")
    t.add_argument(
        "--layers",
        type=int_list,
        default=",".join(map(str, ESTIMATOR_DEFAULTS["hidden_layer_sizes"])),
        metavar="64,32",
        help="hidden layer sizes",
    )
    t.add_argument(
        "--hidden",
        type=int_list,
        dest="layers",
        default=argparse.SUPPRESS,
        metavar="64,32",
        help="the same as --layers",
    )
    t.add_argument(
        "--activation", choices=sorted(HIDDEN), default=ESTIMATOR_DEFAULTS["activation"], help="hidden-layer activation"
    )
    t.add_argument(
        "--optimizer", choices=sorted(OPTIMIZERS), default=ESTIMATOR_DEFAULTS["optimizer"], help="update rule"
    )
    t.add_argument("--learning-rate", type=positive_float, metavar="LR", help="step size (default: per optimizer)")
    t.add_argument(
        "--epochs",
        type=positive_int,
        default=ESTIMATOR_DEFAULTS["epochs"],
        metavar="N",
        help="passes over the training rows",
    )
    t.add_argument(
        "--batch-size",
        type=positive_int,
        default=ESTIMATOR_DEFAULTS["batch_size"],
        metavar="B",
        help="rows per mini-batch",
    )
    t.add_argument(
        "--l2", type=nonnegative_float, default=ESTIMATOR_DEFAULTS["l2"], metavar="L", help="L2 penalty lambda"
    )
    t.add_argument(
        "--dropout",
        type=dropout_rate,
        default=ESTIMATOR_DEFAULTS["dropout"],
        metavar="P",
        help="drop rate after hidden layers",
    )
    t.add_argument(
        "--early-stopping", action="store_true", help="hold out 10%% of the training rows; stop when their loss stalls"
    )
    t.add_argument(
        "--test-size",
        type=test_fraction,
        default=0.2,
        metavar="F",
        help="held-out fraction (stratified); 0 trains on every row and reports training metrics only",
    )
    t.add_argument("--seed", type=int, default=0, metavar="S", help="seeds the split and the training")
    t.add_argument("--out", metavar="MODEL", help="write the model file here (.npz); without it the model is not saved")
    t.add_argument("--plot", metavar="PNG", help="write learning curves (and a 2-feature decision boundary)")
    t.add_argument("--checkpoint", metavar="PATH", help="write the training state here every --checkpoint-every")
    t.add_argument("--checkpoint-every", type=positive_int, default=1, metavar="N", help="epochs between checkpoints")
    t.add_argument("--resume", action="store_true", help="continue from --checkpoint (from scratch if absent)")
    t.add_argument(
        "--resume-anyway",
        action="store_true",
        help="like --resume, even when the checkpoint was written by a run on other data or options",
    )
    t.add_argument("--quiet", action="store_true", help="no progress bar or messages; results only")
    t.add_argument(
        "--class-weight",
        type=class_weight,
        metavar="balanced|JSON",
        help='weight classes: balanced (n / (k * count)) or a JSON object such as {"yes": 3, "no": 1}',
    )
    add_scripting_options(t)
    from .cli_options import add_cluster_options  # --scheduler / --workers (issue 14)

    add_cluster_options(t)
    _add_data_options(t)
    t.set_defaults(run=cmd_train_locked)

    pr = sub.add_parser(
        "predict",
        help="predict the class of each row of a CSV file",
        description="Write one prediction per row (CSV with a 'prediction' column, labels as in training). "
        "Feature columns are found by name; other columns (an id, the target) are ignored.",
    )
    pr.add_argument("--model", required=True, metavar="MODEL", help="a model file from npdnn train --out")
    pr.add_argument("--data", required=True, metavar="FILE", help="the model's feature columns; " + DATA_HELP)
    pr.add_argument("--out", metavar="PREDICTIONS.csv", help="output file (default: standard output)")
    pr.add_argument("--proba", action="store_true", help="add a proba_<class> column per class")
    pr.add_argument("--quiet", action="store_true", help="no message on stderr")
    _add_data_options(pr)
    pr.add_argument("--id", metavar="COLUMN", help="copy this column (e.g. a row id) into the predictions file")
    add_threshold_options(pr)
    pr.set_defaults(run=cmd_predict)

    e = sub.add_parser(
        "evaluate",
        help="metrics of a model on a labelled CSV file",
        description="Accuracy, precision, recall, F1, ROC AUC, log loss and the confusion matrix (scikit-learn). "
        "Binary: the positive class is the second of the model's sorted classes; more classes: macro "
        "averages and one-vs-rest ROC AUC.",
    )
    e.add_argument("--model", required=True, metavar="MODEL", help="a model file from npdnn train --out")
    e.add_argument("--data", required=True, metavar="FILE", help="feature columns and labels; " + DATA_HELP)
    e.add_argument("--target", required=True, metavar="COLUMN", help="the column holding the true labels")
    e.add_argument("--quiet", action="store_true", help="print no report (use with --json FILE, or the exit status)")
    add_scripting_options(e)
    _add_data_options(e)
    e.set_defaults(run=cmd_evaluate)

    g = sub.add_parser(
        "gradcheck",
        help="check backpropagation against finite differences",
        description="Build a random float64 network and data, compare backpropagation with central "
        f"differences per parameter; exit 0 when the total relative difference is below {GRADCHECK_TOLERANCE:g}.",
    )
    g.add_argument("--hidden", type=int_list, metavar="4,3", help="hidden layer sizes, as in train (default: 4,3)")
    g.add_argument("--features", type=positive_int, default=5, metavar="N", help="input size n_x (with --hidden)")
    g.add_argument("--outputs", type=positive_int, default=1, metavar="K", help="output units n_L (with --hidden)")
    g.add_argument(
        "--layers",
        type=int_list,
        metavar="5,4,3,1",
        help="every size n_x,...,n_L at once (unlike train's --layers, which gives the hidden sizes only); "
        "--layers 5,4,3,1 is --features 5 --hidden 4,3 --outputs 1",
    )
    g.add_argument("--activation", choices=sorted(HIDDEN), default="relu", help="hidden-layer activation")
    g.add_argument("--samples", type=positive_int, default=8, metavar="M", help="random samples")
    g.add_argument("--l2", type=nonnegative_float, default=0.0, metavar="L", help="L2 penalty lambda")
    g.add_argument("--seed", type=int, default=0, metavar="S", help="seeds the network and the data")
    g.set_defaults(run=cmd_gradcheck)

    x = sub.add_parser(
        "export",
        help="write a model as ONNX (for onnxruntime and other runtimes)",
        description="Write the model as an ONNX graph with input X (N, n_features) and outputs label (N,) and "
        "probabilities (N, n_classes), standardization included; see docs/deploy.md. Needs the onnx package "
        "(pip install 'npdnn[onnx]').",
    )
    x.add_argument("model", metavar="MODEL", help="a model file from npdnn train --out (or Network.save)")
    x.add_argument("--onnx", required=True, metavar="OUT.onnx", help="the ONNX file to write")
    x.add_argument("--opset", type=positive_int, metavar="N", help="ONNX opset (default: 17)")
    x.add_argument("--quiet", action="store_true", help="no message on stderr")
    x.set_defaults(run=cmd_export)

    i = sub.add_parser(
        "info",
        help="describe a model file",
        description="Print a model's layers, classes, features, training options and state, and the npdnn version.",
    )
    i.add_argument("model", metavar="MODEL", help="a model file from npdnn train --out")
    i.set_defaults(run=cmd_info)
    return p


DATA_HELP = f"{SUPPORTED}; arrays name their columns by index (see README)"


def _add_data_options(parser):
    """--sep, --features and --drop, shared by train, predict and evaluate."""
    parser.add_argument("--sep", metavar="CHAR", help="field separator of a CSV file (default: , and tab for .tsv)")
    parser.add_argument("--features", nargs="+", metavar="COL", help="the feature columns, in this order")
    parser.add_argument("--drop", nargs="+", metavar="COL", help="columns that are not features (e.g. an id)")


def _fail(message, status):
    print(f"npdnn: error: {' '.join(str(message).split())}", file=sys.stderr)
    return status


def main(argv=None):
    """Entry point of the ``npdnn`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("npdnn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `npdnn predict ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as e:
        if os.environ.get("NPDNN_DEBUG"):
            raise
        if isinstance(e, DivergenceError):
            return _fail(e, 1)
        if isinstance(e, (DataError, ModelFileError, CLIError, ValueError, OSError)):
            return _fail(e, 2)
        raise
