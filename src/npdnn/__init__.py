"""npdnn: a deep neural network for binary and multi-class classification, from scratch in NumPy.

``import npdnn`` loads only NumPy; the scikit-learn estimator, the command line,
plots and file formats import their libraries when first used.
"""

from . import activations, callbacks, initializers, losses, optimizers, schedules
from .archive import ModelFileError
from .callbacks import Callback, DivergenceError, EarlyStopping, LambdaCallback
from .checkpoint import ModelCheckpoint
from .diagnostics import ConvergenceWarning, TrainingWarning
from .gradcheck import gradcheck
from .loading import load
from .network import Network

__version__ = "0.1.0"


def __getattr__(name):
    # The estimator imports scikit-learn; load it only when asked for.
    if name == "DNNClassifier":
        from .estimator import DNNClassifier

        return DNNClassifier
    raise AttributeError(f"module 'npdnn' has no attribute {name!r}")


__all__ = [
    "Network",
    "DNNClassifier",
    "load",
    "gradcheck",
    "DivergenceError",
    "Callback",
    "EarlyStopping",
    "LambdaCallback",
    "ModelCheckpoint",
    "callbacks",
    "ModelFileError",
    "ConvergenceWarning",
    "TrainingWarning",
    "activations",
    "initializers",
    "losses",
    "optimizers",
    "schedules",
]
