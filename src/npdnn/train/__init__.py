"""Training: the epoch loop (:mod:`~npdnn.train.loop`, the one loop, also for Dask), mini-batches
and the epoch's order, optimizers, learning-rate schedules, callbacks (early stopping,
checkpoints, progress, diagnostics), the table of option constraints and the step profiler.
NumPy and the standard library only (tqdm is imported lazily, only when a bar is shown)."""

from . import optimizers, schedules  # noqa: I001
from .callbacks import Callback, EarlyStopping, History, LambdaCallback, Run
from .checkpoint import ModelCheckpoint
from .loop import fit
from .monitor import Monitor
from .options import DEFAULT_RATES, ESTIMATOR_DEFAULTS, OPTIONS, check_option
from .profiling import profile
from .progress import EpochLog, ProgressBar

# What users may import from npdnn.train.
__all__ = [
    "fit",
    "optimizers",
    "schedules",
    "Callback",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "ModelCheckpoint",
    "EpochLog",
    "ProgressBar",
    "Run",
    "Monitor",
    "OPTIONS",
    "DEFAULT_RATES",
    "ESTIMATOR_DEFAULTS",
    "check_option",
    "profile",
]
