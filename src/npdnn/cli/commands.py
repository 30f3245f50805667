"""What each ``npdnn`` command does: train, predict, evaluate, gradcheck, export, info.

:mod:`npdnn.cli.main` parses the command line and calls one of these with the parsed
arguments; each validates all of its input before writing anything, writes files
atomically, and raises :class:`CLIError`, :class:`~npdnn.cli.datasets.DataError`,
:class:`~npdnn.files.archive.ModelFileError` or ``ValueError`` for a problem with the input,
which :func:`npdnn.cli.main` turns into one line on stderr.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from .._version import __version__
from ..files.archive import ModelFileError, atomic_write
from .datasets import DEFAULT_NAME, DEFAULT_TARGET, DataError, load_default
from .inputs import align_labels, cut, load_model, read, read_for_model
from .keys import read_key
from .labels import check_classes, show_label
from .options import check_threshold, class_weight_for, model_params, positive_index
from .outputs import CLIError, check_output, make_parent, refuse_same_files, said_warnings, say, warn_line
from .report import confusion, confusion_json, json_text, json_value, metrics, predicted, table, warnings_as_lines

GRADCHECK_TOLERANCE = 1e-7


# ---------------------------------------------------------------- commands
def cmd_train(args):
    if args.scheduler is not None or args.workers is not None:  # on a Dask cluster (npdnn[dask])
        if args.diagnose is not None:
            raise CLIError("--diagnose works on one machine only; leave out --workers / --scheduler to use it")
        from ..sklearn.estimator import DNNClassifier
        from .train_cluster import train

        return train(args, lambda message: say(args, message), lambda: DNNClassifier(**model_params(args)))
    if (args.resume or args.resume_anyway) and args.checkpoint is None:
        raise CLIError("--resume needs --checkpoint PATH (the checkpoint file to continue from)")
    if (args.data is None) != (args.target is None):
        raise CLIError("--data FILE.csv and --target COLUMN go together (without both, the bundled data is used)")
    outputs = (
        (args.out, "--out"),
        (args.plot, "--plot"),
        (args.diagnose, "--diagnose"),
        (args.checkpoint, "--checkpoint"),
    )
    for path, option in outputs:
        check_output(path, option)
    refuse_same_files(
        [(args.out, "--out"), (args.checkpoint, "--checkpoint"), (args.plot, "--plot"), (args.json, "--json")],
        [(args.data, "--data")],
    )
    if args.data is None:
        (X, y), source, target = load_default(), DEFAULT_NAME, DEFAULT_TARGET
    else:
        X, y, _ = read(args, args.data, args.target, features=args.features, drop=args.drop or ())
        source, target = args.data, args.target
    check_classes(y, source, target, minimum=2 if args.test_size > 0 else 1)  # no split: one row is a class
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
    from ..sklearn.estimator import DNNClassifier  # imported once the input is known to be good
    from .holdout import holdout

    if args.test_size > 0:  # rows of X move in place (no copy): training rows first, then the test rows
        X_train, X_test, y_train, y_test, X, y = holdout(X, y, args.test_size, args.seed)
    else:  # --test-size 0: train on every row; only training metrics can be reported
        X_train, X_test, y_train, y_test = X, None, y, np.empty(0, dtype=y.dtype)
    model = DNNClassifier(
        **model_params(args),
        dropout=args.dropout,
        class_weight=weights,
        categorical_features=args.categorical,
        verbose=not args.quiet and sys.stderr.isatty(),
        diagnostics=args.diagnose is not None,
    )
    say(
        args,
        f"data: {source}: {len(y)} rows, {X.shape[1]} features, {n_classes} classes; "
        f"train {len(y_train)}, test {len(y_test)}",
    )
    if args.checkpoint is not None:
        make_parent(args.checkpoint)
    started = time.perf_counter()
    with warnings_as_lines(lambda text: warn_line(args, text)):
        model.fit(
            X_train,
            _named(y_train, target),
            checkpoint=args.checkpoint,
            checkpoint_every=args.checkpoint_every,
            resume="force" if args.resume_anyway else args.resume,
            callbacks=_plot_callbacks(args),
        )
    fit_seconds = time.perf_counter() - started
    used = {"batch_size": model.batch_size_, "l2": model.l2_, "early_stopping": model.early_stopping_}
    searched = model.l2_search_  # l2 "auto" on a small set: held-out log loss per value, or None
    told = {**used, "l2": f"{model.l2_} ({_searched_text(searched)})" if searched else model.l2_}
    say(args, "trained with " + ", ".join(f"{k} {v}" for k, v in told.items()) + f" in {fit_seconds:.1f} s")
    # the saved file must not depend on whether stderr was a terminal, nor on --diagnose
    model.set_params(verbose=False, diagnostics=False)
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
        make_parent(args.out)
        model.save(args.out, key=read_key(args))
        say(args, f"model written to {args.out}")
    else:
        say(args, "model not saved (pass --out FILE to keep it)")
    if args.plot is not None:
        final = {k: m["accuracy"] for k, m in columns.items()}
        _plot(args.plot, model, X, y, final, (X_test, y_test, pos))
        say(args, f"plot written to {args.plot}")
    if args.diagnose is not None:
        from .layer_plots import plot_diagnostics

        plot_diagnostics(model.diagnostics_, args.diagnose, title=f"npdnn train: {source}")
        say(args, f"diagnostics plot written to {args.diagnose}")
    if args.json is not None:
        report = {
            "command": "train",
            "data": source,
            "rows": {"train": len(y_train), "test": len(y_test)},
            "epochs_run": model.n_iter_,
            "epochs": args.epochs,
            "options_used": used,  # the "auto" options resolved (npdnn.train.options.resolve_auto)
            "l2_search": None if searched is None else {str(k): v for k, v in searched.items()},
            "fit_seconds": fit_seconds,
            "positive_class": json_value(model.classes_[pos]) if len(model.classes_) == 2 else None,
            "threshold": args.threshold,
            "metrics": json_value(columns),
            "confusion_matrix": {held_out: confusion_json(cm, model.classes_)},
            "model": args.out,
            "warnings": said_warnings(args),  # also with --quiet, which keeps them off stderr
        }
        _write_json(args, report)
    if args.json != "-":
        print(f"epochs run: {model.n_iter_} of {args.epochs}")
        print(table(columns))
        print(confusion(cm, model.classes_, f"{held_out} confusion matrix"))
    return 0


def _searched_text(losses):
    """``{0.1: 0.0218, 1.0: 0.0391}`` -> "chosen by 3-fold cross-validation: held-out log loss 0.0218 at
    l2 0.1, 0.0391 at l2 1.0"."""
    return "chosen by 3-fold cross-validation: held-out log loss " + ", ".join(
        f"{loss:.4f} at l2 {l2}" for l2, loss in losses.items()
    )


def _named(y, name):
    """Labels as a pandas Series named after the target column (named in the leaked-label warning)."""
    import pandas as pd

    return pd.Series(y, name=str(name))


def cmd_train_locked(args):
    """:func:`cmd_train` holding a lock on ``--out`` and ``--checkpoint`` (see
    :mod:`npdnn.cli.locking`): a second npdnn writing either path refuses at once."""
    from .locking import exclusive

    for path, option in ((args.out, "--out"), (args.checkpoint, "--checkpoint")):
        check_output(path, option)  # a clear message before the lock file is created
    refuse_same_files([(args.out, "--out"), (args.checkpoint, "--checkpoint")], [(args.data, "--data")])
    with exclusive([(args.out, "--out"), (args.checkpoint, "--checkpoint")], "npdnn train"):
        return cmd_train(args)


def _write_json(args, report):
    """``report`` as JSON on stdout (``--json`` or ``--json -``) or atomically to the file ``--json PATH``."""
    text = json_text(report)
    if args.json == "-":
        sys.stdout.write(text)
    else:
        make_parent(args.json)
        atomic_write(args.json, lambda f: f.write(text.encode("utf-8")))
        say(args, f"metrics written to {args.json}")


def _plot_callbacks(args):
    """With --plot, the training accuracy per epoch (on up to 2048 training rows) for the accuracy panel."""
    if args.plot is None:
        return ()
    from ..callbacks import TrainingAccuracy

    return (TrainingAccuracy(),)


def _plot(path, model, X, y, final_accuracy, held_out):
    from .plots import plot_training

    curves = {
        "loss": model.loss_curve_,
        "val_loss": model.validation_loss_curve_,
        "accuracy": model.training_scores_,
        "val_accuracy": model.validation_scores_,
    }
    X_test, y_test, pos = held_out
    test = None
    if X_test is not None and len(model.classes_) == 2:
        test = {
            "y": np.asarray(y_test) == model.classes_[pos],
            "proba": np.asarray(model.predict_proba(X_test))[:, pos],
            "label": str(model.classes_[pos]),
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
    make_parent(path)
    plot_training(path, curves, boundary, final_accuracy, best_epoch=model.best_epoch_, test=test)


def cmd_predict(args):
    check_output(args.out, "--out")
    refuse_same_files([(args.out, "--out")], [(args.data, "--data"), (args.model, "--model")])
    model = load_model(args.model, args)
    X, _, ids = read_for_model(model, args.model, args.data, args=args)
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
        make_parent(args.out)
        atomic_write(args.out, lambda f: f.write(text.encode("utf-8")))
        say(args, f"{len(out)} predictions written to {args.out}")
    return 0


def cmd_evaluate(args):
    refuse_same_files([(args.json, "--json")], [(args.data, "--data"), (args.model, "--model")])
    model = load_model(args.model, args)
    X, y, _ = read_for_model(model, args.model, args.data, target=args.target, args=args)
    y = align_labels(y, model.classes_, args.data, args.target)
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
            "warnings": said_warnings(args),
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
    from ..network import Network
    from ..nn.gradcheck import explain, gradcheck

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
    from ..loading import load

    check_output(args.onnx, "--onnx")
    refuse_same_files([(args.onnx, "--onnx")], [(args.model, "--model")])
    if os.path.isdir(args.model) or not os.path.exists(args.model):
        raise ModelFileError(f"{args.model}: no such file; expected an npdnn model file (from npdnn train --out)")
    model = load(args.model, key=read_key(args))  # a DNNClassifier or a bare Network: both export
    try:
        proto = model.to_onnx(opset=args.opset)
    except ImportError as e:
        raise CLIError(str(e)) from None
    make_parent(args.onnx)
    atomic_write(args.onnx, lambda f: f.write(proto.SerializeToString()))
    say(args, f"ONNX model (opset {proto.opset_import[0].version}, IR {proto.ir_version}) written to {args.onnx}")
    return 0


def cmd_info(args):
    import json

    key = read_key(args)
    model = load_model(args.model, args)
    params = {k: json_value(v) for k, v in model.get_params().items()}
    print(model.summary())
    plan = getattr(model, "columns_", None)
    if plan is not None:
        print("columns (learned on the training rows):")
        for line in plan.describe():
            print(f"  {line}")
    print(cut(f"training options: {json.dumps(params, sort_keys=True)}"))
    from ..network import network_from_file
    from ..sklearn.estimator_file import written_by

    meta = network_from_file(args.model, key=key)[2]
    writer = written_by(meta.get("estimator"))
    print(cut(f"file: {args.model}, written by npdnn {writer or '(not recorded)'}, read by npdnn {__version__}"))
    integrity = meta.get("integrity")
    if integrity is None:
        print("digest: none (written before npdnn sealed model files; its contents cannot be checked)")
    else:
        signed = ", signature verified with --key-file" if integrity["signed"] else ""
        print(f"digest: {integrity['digest']} (checked{signed})")
    return 0
