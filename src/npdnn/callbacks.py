"""Every training callback, in one public place (``from npdnn.callbacks import ModelCheckpoint``,
as in Keras). They live in :mod:`npdnn.train`; this module only gathers them.

Pass instances to ``fit(callbacks=[...])``, ``DNNClassifier(callbacks=[...])`` or the Dask fit.
"""

from .errors import DivergenceError
from .train.callbacks import Callback, EarlyStopping, History, LambdaCallback, Run, TrainingAccuracy
from .train.checkpoint import ModelCheckpoint
from .train.layer_stats import Diagnostics
from .train.progress import EpochLog, ProgressBar

__all__ = [
    "Callback",
    "Diagnostics",
    "DivergenceError",
    "EarlyStopping",
    "EpochLog",
    "History",
    "LambdaCallback",
    "ModelCheckpoint",
    "ProgressBar",
    "Run",
    "TrainingAccuracy",
]
