"""The ``npdnn`` command's argparse pieces: a parser whose errors are one line, help
that shows defaults, and the option value types (each error names the value received
and what was expected)."""

from __future__ import annotations

import argparse

import numpy as np

from ..train.options import ESTIMATOR_DEFAULTS, OPTIONS


class Help(argparse.HelpFormatter):
    """Shows ``(default: X)`` for options whose default is a value (not None or False)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.option_strings and not any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", Help)
        kwargs.setdefault("allow_abbrev", False)  # else --drop is silently taken for --dropout
        super().__init__(**kwargs)

    def error(self, message):
        # argparse prints the usage too; one line is easier to read in a log.
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ---------------------------------------------------------------- option types
def _number(text, kind, ok, expected):
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not np.isfinite(value) or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {expected}; got {text!r}")
    return value


def option_type(name, auto=False):
    """The argparse type of training option ``name``: its constraint and its words come
    from the one table, :data:`npdnn.train.options.OPTIONS`; ``auto``: the word "auto"
    is accepted too (resolved at fit: npdnn.train.options.resolve_auto)."""
    rule = OPTIONS[name]
    expected = f"'auto' or {rule.expected}" if auto else rule.expected

    def parse(text):
        if auto and text == "auto":
            return text
        return _number(text, int if rule.integer else float, rule.accepts, expected)

    parse.__name__ = name  # argparse names the type in some messages
    return parse


def positive_int(text):
    return _number(text, int, lambda v: v > 0, "a positive integer")


def fraction(text):
    return _number(text, float, lambda v: 0 < v < 1, "a fraction in (0, 1)")


def int_list(text):
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers such as 64,32; got {text!r}")
    return sizes


def test_fraction(text):
    return _number(text, float, lambda v: 0 <= v < 1, "a fraction in [0, 1) (0: train on every row)")


def probability(text):
    return _number(text, float, lambda v: 0 <= v <= 1, "a probability in [0, 1]")


def class_weight(text):
    """``balanced`` or a JSON object ``{"label": weight}`` (labels as the CSV holds them)."""
    import json

    if text == "balanced":
        return text
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not value:
        raise argparse.ArgumentTypeError(
            f'expected balanced or a JSON object such as {{"yes": 2, "no": 1}}; got {text!r}'
        )
    for label, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not np.isfinite(weight) or weight < 0:
            raise argparse.ArgumentTypeError(f"expected a weight >= 0 for label {label!r}; got {weight!r}")
    return value


# ---------------------------------------------------------------- options for scripts (issue 16)
def add_threshold_options(parser):
    parser.add_argument(
        "--threshold",
        type=probability,
        metavar="T",
        help="two classes: predict the positive class when its probability is >= T (default: the more probable)",
    )
    parser.add_argument(
        "--pos-label", metavar="LABEL", help="two classes: the positive class (default: the second sorted label)"
    )


def add_scripting_options(parser):
    add_threshold_options(parser)
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="write the metrics as JSON to PATH; without PATH (or with -) to standard output, instead of the tables",
    )


def _shown(labels):
    from .labels import show_label

    return ", ".join(show_label(c) for c in labels)


def positive_index(pos_label, classes):
    """Index in ``classes`` of ``--pos-label`` (None: the second sorted class)."""
    if pos_label is None:
        return 1
    if len(classes) != 2:
        raise ValueError(f"--pos-label applies to two classes; there are {len(classes)} ({_shown(classes)})")
    hits = [k for k, c in enumerate(classes) if str(c) == pos_label]
    if not hits:
        raise ValueError(f"--pos-label {pos_label!r} is not one of the classes ({_shown(classes)})")
    return hits[0]


def check_threshold(threshold, classes):
    if threshold is not None and len(classes) != 2:
        raise ValueError(f"--threshold applies to two classes; there are {len(classes)} ({_shown(classes)})")


def class_weight_for(option, y, source, target):
    """``--class-weight`` for DNNClassifier: "balanced", or the JSON object's keys
    matched to the labels as the data holds them (a CSV's "1" is the label 1)."""
    if option is None or option == "balanced":
        return option
    labels = np.unique(y)
    by_text = {str(c): c for c in labels}
    weights = {}
    for key, weight in option.items():
        if key not in by_text:
            raise ValueError(
                f'--class-weight has label {key!r}, which is not in {source}, column "{target}" ({_shown(labels)})'
            )
        label = by_text[key]
        weights[label.item() if isinstance(label, np.generic) else label] = float(weight)
    return weights


def model_params(args):
    """The DNNClassifier hyperparameters every ``npdnn train`` sets from its options
    (local and distributed runs alike); features are standardized as the estimator's default
    does (``standardize="auto"``: every feature but the 0/1 ones).

    A file has no float type of its own to keep, so the command line chooses one: float32
    unless ``--dtype float64`` (on the panel, half the training time at the same scores:
    docs/defaults.md)."""
    return dict(
        hidden_layer_sizes=args.layers,
        activation=args.activation,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        batch_size=args.batch_size,
        l2=args.l2,
        early_stopping=args.early_stopping,
        validation_fraction=args.validation_fraction,
        patience=args.patience,
        lr_schedule=args.lr_schedule,
        standardize=ESTIMATOR_DEFAULTS["standardize"],
        random_state=args.seed,
        dtype=args.dtype,
    )


def add_cluster_options(parser):
    """``--scheduler`` / ``--workers``: train on a Dask cluster (needs npdnn[dask])."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--scheduler",
        metavar="tcp://HOST:8786",
        help="train on this Dask cluster; --data may then be a glob of Parquet or CSV parts ('parts/*.parquet')",
    )
    group.add_argument("--workers", type=positive_int, metavar="N", help="train on a local Dask cluster of N processes")
