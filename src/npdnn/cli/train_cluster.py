"""``npdnn train --scheduler tcp://HOST:8786`` (or ``--workers N``): the training command
on a Dask cluster. The data (``--data 'parts/*.parquet'`` or CSV files, a glob) is read
by the workers; the held-out split is Dask's random split; the model file is the same
kind as a local run's."""

from __future__ import annotations

import glob
import sys

import numpy as np


def local_cluster(workers, **kw):
    """``--workers N``'s cluster: N processes of one thread, reached on the loopback address only.
    ``dashboard_address=None`` alone still starts the scheduler's HTTP server on port 8787 of every
    interface (distributed 2026.11), where a stranger on the network could read it, and warns "Port
    8787 is already in use" beside another cluster; so it is bound to 127.0.0.1 on a free port."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers, threads_per_worker=1, dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"}, **kw,
    )  # fmt: skip


def _read(pattern, target):
    import dask.dataframe as dd

    from .csv_dialect import csv_separator
    from .csv_fields import WHITESPACE
    from .csv_header import ROW_NAMES, row_names_note
    from .datasets import DataError

    paths, sep_note = sorted(glob.glob(pattern)), None
    if not paths:
        raise DataError(f"--data {pattern!r} matches no file")
    if all(p.endswith(".parquet") for p in paths):
        df = dd.read_parquet(paths)
    elif all(p.endswith(".csv") for p in paths):
        sep, _, sep_note = csv_separator(paths[0])  # as the local reader: ; tab | when line 1 has no comma
        df = dd.read_csv(paths, sep=r"\s+" if sep == WHITESPACE else sep)
    else:
        raise DataError(f"--data {pattern!r} must match only .parquet or only .csv files; got {paths[:3]}")
    if target not in df.columns:
        raise DataError(f"--data {pattern!r}: no column {target!r}; the columns are {list(df.columns)}")
    notes = [sep_note] if sep_note else []
    if len(df.columns) > 2 and df.columns[0] == ROW_NAMES and target != ROW_NAMES:  # as the local reader
        df = df.drop(columns=ROW_NAMES)
        notes.append(row_names_note(pattern))
    return df.drop(columns=target), df[target], notes


def _named_proba(block, model, columns):
    """``model.predict_proba`` of a block of rows, given the column names it was fitted with (a bare
    array made scikit-learn warn "X does not have valid feature names" once per block)."""
    import pandas as pd

    return model.predict_proba(pd.DataFrame(block, columns=columns))


def _reading_options(args):
    """``(option, given)`` for each option of the local CSV reader."""
    return [
        ("--sep", getattr(args, "sep", None) is not None),
        ("--features", bool(getattr(args, "features", None))),
        ("--drop", bool(getattr(args, "drop", None))),
        ("--no-header", not getattr(args, "header", True)),
        ("--na-values", bool(getattr(args, "na_values", None))),
        ("--decimal", getattr(args, "decimal", ".") != "."),
        ("--thousands", getattr(args, "thousands", None) is not None),
        ("--encoding", getattr(args, "encoding", None) is not None),
        ("--categorical", bool(getattr(args, "categorical", None))),
    ]


def train(args, info, make_model):
    """Run ``npdnn train`` on the cluster; ``info(message)`` prints unless --quiet;
    ``make_model()`` returns the DNNClassifier to train, built from the options as a local
    run builds it (passed in: the estimator and the CLI sit above this package)."""
    from distributed import Client

    from .datasets import DataError
    from .outputs import warn_line
    from .report import confusion, metrics, table

    if args.data is None or args.target is None:
        raise DataError("--scheduler/--workers need --data 'PATTERN' and --target COLUMN")
    if args.dropout or args.plot or getattr(args, "class_weight", None) or args.lr_schedule:
        raise DataError(
            "--dropout, --class-weight, --lr-schedule and --plot are not supported with --scheduler/--workers"
        )
    # the cluster's report is the tables: these would be silently ignored there
    unreported = [o for o, a in (("--json", "json"), ("--threshold", "threshold"), ("--pos-label", "pos_label"))
                  if getattr(args, a, None) is not None]  # fmt: skip
    if unreported:
        raise DataError(
            f"{', '.join(unreported)} {'are' if len(unreported) > 1 else 'is'} not supported with "
            "--scheduler/--workers (the report is the tables)"
        )
    if not args.test_size:
        raise DataError("--test-size must be above 0 with --scheduler/--workers (the metrics are held-out ones)")
    # the workers read the parts with Dask's own reader: the local reader's options would be silently ignored
    ignored = [name for name, given in _reading_options(args) if given]
    if ignored:
        raise DataError(
            f"{', '.join(ignored)} {'are' if len(ignored) > 1 else 'is'} not supported with --scheduler/--workers "
            "(the workers read every column of the parts as numbers, with a header row); prepare the parts instead"
        )
    if args.scheduler is not None:
        cluster, client = None, Client(args.scheduler, timeout="20s")
    else:
        cluster = local_cluster(args.workers)
        client = Client(cluster)
    try:
        X, y, notes = _read(args.data, args.target)
        for note in notes:
            warn_line(args, note)
        df = X.astype("float64").assign(**{args.target: y})
        # one split of the whole frame, persisted on the workers: X and y then come from the same
        # partitions (split separately, or re-read under another plan, their rows could differ)
        parts = df.random_split([1 - args.test_size, args.test_size], random_state=args.seed)
        train_df, test_df = client.persist(parts)
        train_X, train_y = train_df.drop(columns=args.target), train_df[args.target]
        test_X, test_y = test_df.drop(columns=args.target), test_df[args.target]
        model = make_model()
        workers = len(client.scheduler_info(n_workers=-1)["workers"])
        info(f"data: {args.data} on {client.scheduler.address} ({workers} workers)")
        resume = "force" if getattr(args, "resume_anyway", False) else args.resume
        model.fit(train_X, train_y, checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every, resume=resume)
        evaluated = {}
        for name, Xs, ys in (("train", train_X, train_y), ("test", test_X, test_y)):
            Xa = Xs.to_dask_array(lengths=True)
            proba = Xa.map_blocks(
                _named_proba, model, list(Xs.columns), dtype=float, chunks=(Xa.chunks[0], (len(model.classes_),))
            )
            p, labels = client.compute([proba, ys.to_dask_array(lengths=True)], sync=True)
            evaluated[name] = metrics(np.asarray(labels), p, model.classes_)
        if args.out is not None:
            from .keys import read_key

            model.save(args.out, key=read_key(args))
            info(f"model written to {args.out}")
        print(f"epochs run: {model.n_iter_} of {args.epochs}")
        print(table({k: v[0] for k, v in evaluated.items()}))
        print(confusion(evaluated["test"][1], model.classes_, "test confusion matrix"))
        return 0
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        sys.stdout.flush()
