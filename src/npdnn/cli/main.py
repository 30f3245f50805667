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

from .._version import __version__
from ..errors import DataError, DivergenceError, ModelFileError
from ..nn.activations import HIDDEN
from ..train.optimizers import OPTIMIZERS
from ..train.options import ESTIMATOR_DEFAULTS
from ..train.schedules import SCHEDULES
from .commands import (
    GRADCHECK_TOLERANCE,
    CLIError,
    cmd_evaluate,
    cmd_export,
    cmd_gradcheck,
    cmd_info,
    cmd_predict,
    cmd_train_locked,
)
from .data_files import SUPPORTED
from .datasets import THOUSANDS
from .options import (
    Parser,
    add_scripting_options,
    add_threshold_options,
    class_weight,
    fraction,
    int_list,
    option_type,
    positive_int,
    test_fraction,
)

# ---------------------------------------------------------------- parser
KEY_HELP_SAVE = "a file holding a secret key (at least 16 bytes) to sign the model file with (HMAC-SHA256)"
KEY_HELP_LOAD = "the key file the model was signed with: a file not signed with it is refused (docs/guarantees.md)"


def build_parser():
    p = Parser(prog="npdnn", description="A deep neural network for classification, from scratch in NumPy.")
    p.add_argument("--version", action="version", version=f"npdnn {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser(
        "train",
        help="train on a CSV file (or the bundled breast-cancer data)",
        description="Train a classifier (features standardized, stratified train/test split) and print the "
        "held-out metrics. Feature columns may hold numbers, booleans, categories and missing values (npdnn info "
        "lists how each was read); labels can be any values.",
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
    t.add_argument(
        "--learning-rate", type=option_type("learning_rate"), metavar="LR", help="step size (default: per optimizer)"
    )
    t.add_argument(
        "--epochs",
        type=option_type("epochs"),
        default=ESTIMATOR_DEFAULTS["epochs"],
        metavar="N",
        help="passes over the training rows",
    )
    t.add_argument(
        "--batch-size",
        type=option_type("batch_size", auto=True),
        default=ESTIMATOR_DEFAULTS["batch_size"],
        metavar="B",
        help="rows per mini-batch; auto: 64, or 256 from 10,000 rows",
    )
    t.add_argument(
        "--l2",
        type=option_type("l2", auto=True),
        default=ESTIMATOR_DEFAULTS["l2"],
        metavar="L",
        help="L2 penalty lambda; auto: 0.1 with early stopping, else 0.1 or 1.0 by 3-fold cross-validation",
    )
    t.add_argument(
        "--dropout",
        type=option_type("dropout"),
        default=ESTIMATOR_DEFAULTS["dropout"],
        metavar="P",
        help="drop rate after hidden layers",
    )
    t.add_argument(
        "--early-stopping",
        action=argparse.BooleanOptionalAction,
        default=ESTIMATOR_DEFAULTS["early_stopping"],
        help="hold out --validation-fraction of the training rows; stop when their loss stalls for --patience "
        "epochs and keep the best epoch's weights (default: on when that holds at least 100 rows)",
    )
    t.add_argument(
        "--validation-fraction",
        type=fraction,
        default=ESTIMATOR_DEFAULTS["validation_fraction"],
        metavar="F",
        help="share of the training rows held out for early stopping",
    )
    t.add_argument(
        "--patience",
        type=positive_int,
        default=ESTIMATOR_DEFAULTS["patience"],
        metavar="N",
        help="epochs without improvement before early stopping",
    )
    t.add_argument(
        "--lr-schedule",
        choices=sorted(SCHEDULES),
        default=ESTIMATOR_DEFAULTS["lr_schedule"],
        help="learning-rate schedule (default: constant)",
    )
    t.add_argument(
        "--test-size",
        type=test_fraction,
        default=0.2,
        metavar="F",
        help="held-out fraction (stratified); 0 trains on every row and reports training metrics only",
    )
    t.add_argument("--seed", type=int, default=0, metavar="S", help="seeds the split and the training")
    t.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        default="float32",
        help="the network's float type (default: float32, twice as fast at the same scores on the panel; float64 "
        "is the Python API's for float64 arrays)",
    )
    t.add_argument("--out", metavar="MODEL", help="write the model file here (.npz); without it the model is not saved")
    t.add_argument(
        "--plot",
        metavar="PNG",
        help="write a PNG: loss and accuracy per epoch (best epoch marked), ROC and calibration curves of the test "
        "rows for two classes, and a 2-feature decision boundary",
    )
    t.add_argument(
        "--diagnose",
        metavar="PNG",
        help="record per-layer statistics while training (norms, gradients, dead or saturated units), "
        "warn with the cause named, and plot them here (docs/diagnostics.md)",
    )
    t.add_argument("--checkpoint", metavar="PATH", help="write the training state here every --checkpoint-every")
    t.add_argument(
        "--checkpoint-every",
        type=option_type("checkpoint_every"),
        default=1,
        metavar="N",
        help="epochs between checkpoints",
    )
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
    from .options import add_cluster_options  # --scheduler / --workers (issue 14)

    add_cluster_options(t)
    _add_data_options(t)
    t.add_argument(
        "--key-file",
        metavar="KEY",
        help=KEY_HELP_SAVE,
    )
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
    pr.add_argument(
        "--key-file",
        metavar="KEY",
        help=KEY_HELP_LOAD,
    )
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
    e.add_argument(
        "--key-file",
        metavar="KEY",
        help=KEY_HELP_LOAD,
    )
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
    g.add_argument("--l2", type=option_type("l2"), default=0.0, metavar="L", help="L2 penalty lambda")
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
    x.add_argument(
        "--key-file",
        metavar="KEY",
        help=KEY_HELP_LOAD,
    )
    x.set_defaults(run=cmd_export)

    i = sub.add_parser(
        "info",
        help="describe a model file",
        description="Print a model's layers, classes, features, training options and state, and the npdnn version.",
    )
    i.add_argument("model", metavar="MODEL", help="a model file from npdnn train --out")
    i.add_argument(
        "--key-file",
        metavar="KEY",
        help=KEY_HELP_LOAD,
    )
    i.set_defaults(run=cmd_info)
    return p


DATA_HELP = f"{SUPPORTED}; arrays name their columns by index (see README)"


def _add_data_options(parser):
    """--sep, --features, --drop, --no-header, --na-values, --decimal, --thousands, --encoding, --categorical: shared by
    train, predict and evaluate."""
    parser.add_argument(
        "--sep",
        metavar="CHAR",
        help="field separator of a CSV file: one character, \\t, or whitespace for columns aligned by spaces and tabs "
        "(default: , and tab for .tsv; a .csv file whose first line has no comma: ; tab | or whitespace, as it splits)",
    )
    parser.add_argument("--features", nargs="+", metavar="COL", help="the feature columns, in this order")
    parser.add_argument("--drop", nargs="+", metavar="COL", help="columns that are not features (e.g. an id)")
    parser.add_argument(
        "--no-header",
        dest="header",
        action="store_false",
        help="the CSV file has no header row: its columns are named 0, 1, ... (e.g. --target 8)",
    )
    parser.add_argument(
        "--na-values",
        nargs="+",
        metavar="TEXT",
        help="more markers of a missing value (always: empty, NA, N/A, NaN, null, None, ?, ...)",
    )
    parser.add_argument(
        "--decimal",
        choices=(".", ","),
        default=".",
        help="the decimal mark of the CSV file's numbers (default: .; , for 10,37 as spreadsheets in much of Europe "
        "save them, with --sep ';')",
    )
    parser.add_argument(
        "--thousands",
        choices=THOUSANDS,
        help="the thousands separator of the CSV file's numbers (default: none; , for 1,234,567.5, "
        "with --decimal , often . for 1.234.567,5)",
    )
    parser.add_argument(
        "--encoding",
        metavar="NAME",
        help="the CSV file's text encoding (default: UTF-8; cp1252 for a CSV saved by Excel on Windows, latin-1)",
    )
    parser.add_argument(
        "--categorical",
        nargs="+",
        metavar="COL",
        help="columns of category codes (numbers) to one-hot encode; text columns are categorical anyway",
    )


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
