"""What the ``npdnn`` commands read: a model file (a classifier, never a bare Network), and
the data file it is applied to, its feature columns found by name in the model's order, its
labels matched to the model's classes; every problem a :class:`~npdnn.cli.datasets.DataError`,
:class:`~npdnn.files.archive.ModelFileError` or :class:`~npdnn.cli.outputs.CLIError` naming the
file and the column.

Owns: load_model, read, read_for_model, align_labels, cut. Imports: NumPy and the cli's lower modules.
"""

from __future__ import annotations

import os

import numpy as np

from ..files.archive import ModelFileError
from .data_files import read_data
from .datasets import DataError, DataWarning
from .keys import read_key
from .labels import show_label
from .outputs import CLIError, warn_line


def load_model(path, args=None):
    from ..loading import load
    from ..network import Network

    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a directory; expected an npdnn model file")
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such file; expected an npdnn model file (from npdnn train --out)")
    model = load(path, key=read_key(args))
    if isinstance(model, Network):
        raise ModelFileError(
            f"{path} holds a bare Network (Network.save); this command needs a classifier saved by "
            "npdnn train --out or DNNClassifier.save"
        )
    return model


def read_for_model(model, model_path, data, target=None, args=None):
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
    X, y, ids = read(
        args,
        data,
        target=target,
        features=chosen,
        drop=drop,
        id_column=getattr(args, "id", None),
        needed_by=f"model {model_path}",
    )
    if getattr(model, "columns_", None) is None and hasattr(X, "isna"):
        gaps = X.isna().sum()
        if gaps.any():
            name = str(gaps.index[gaps.to_numpy() > 0][0])
            row = int(np.flatnonzero(X[name].isna().to_numpy())[0])
            raise DataError(
                f'{data}, column "{name}" has {int(gaps[name])} missing value(s) (the first in data row {row + 1}); '
                f"{model_path} was trained on complete numeric data and has no value to fill them with "
                "(fill them, or train on a file with missing values)"
            )
    if features is None and X.shape[1] != model.n_features_in_:
        raise DataError(
            f"{data} has {X.shape[1]} feature columns; {model_path} expects {model.n_features_in_} "
            "(it was trained without column names, so columns are taken in order)"
        )
    return X, y, ids


def align_labels(y, classes, data, target):
    """Labels read from a CSV compared with the model's classes: integers read
    from the file match a model trained on the same digits as strings."""
    if np.asarray(classes).dtype.kind in "OUS" and y.dtype.kind in "iu":
        y = y.astype(str).astype(object)
    unknown = ~np.isin(y, classes)
    if unknown.any():
        shown = ", ".join(show_label(c) for c in classes)
        label = y[unknown][0]
        near = [c for c in classes if _bare_label(c) == _bare_label(label)]
        hint = f" (written {show_label(near[0])} in the training data?)" if near else ""
        raise DataError(
            f'{data}, column "{target}": label {show_label(label)} is not one of the model\'s classes ({shown}){hint}'
        )
    return y


def _bare_label(label):
    """A label without case, spaces and the punctuation around it: UCI's adult.test writes ">50K." where
    adult.data has ">50K"."""
    return str(label).strip().strip(".,;:'\"").strip().casefold()


def read(args, data, target=None, **options):
    """:func:`read_data` with the command's --sep, --no-header, --na-values, --decimal, --thousands and
    --categorical;
    a warning about the file (a header row of numbers) is printed as one line."""
    import warnings

    text = list(getattr(args, "categorical", None) or [])
    csv_options = {
        "has_header": getattr(args, "header", True),
        "na_values": getattr(args, "na_values", None),
        "decimal": getattr(args, "decimal", "."),
        "thousands": getattr(args, "thousands", None),
        "encoding": getattr(args, "encoding", None),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        X, y, ids = read_data(
            data, target, sep=getattr(args, "sep", None), csv_options={**csv_options, "text": text}, **options
        )
    for w in caught:
        if issubclass(w.category, DataWarning):
            warn_line(args, w.message)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    unknown = [c for c in text if not hasattr(X, "columns") or c not in X.columns]
    if unknown:
        raise DataError(f"--categorical names {unknown}, which are not feature columns of {data}")
    return X, y, ids


def cut(line, limit=2000):
    """One printed line of at most ``limit`` characters: values come from the file."""
    return line if len(line) <= limit else f"{line[: limit - 40]}... ({len(line)} characters, cut)"
