"""The ``npdnn`` command: the parser and its options, what each command does, the data
readers (CSV, TSV, Parquet, ``.npy``/``.npz``), the held-out split, reports, plots and
output locks. The entry point is :func:`npdnn.cli.main.main`."""

# What users may import from npdnn.cli, and the module that holds each.
_WHERE = {"build_parser": "main"}  # the entry point npdnn.cli.main:main is the module main's
__all__ = sorted(_WHERE)


def __getattr__(name):
    # Lazily: each module imports its library (pandas, matplotlib, scikit-learn) only when its name is asked for.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
