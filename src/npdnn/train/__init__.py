"""Training: the epoch loop (:mod:`~npdnn.train.loop`, the one loop, also for Dask), mini-batches
and the epoch's order, optimizers, learning-rate schedules, callbacks (early stopping,
checkpoints, progress, diagnostics), the table of option constraints and the step profiler.
NumPy and the standard library only (tqdm is imported lazily, only when a bar is shown)."""
