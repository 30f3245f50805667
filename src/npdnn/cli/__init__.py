"""The ``npdnn`` command: the parser and its options, what each command does, the data
readers (CSV, TSV, Parquet, ``.npy``/``.npz``), the held-out split, reports, plots and
output locks. The entry point is :func:`npdnn.cli.main.main`."""
