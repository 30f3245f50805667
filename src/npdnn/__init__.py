"""npdnn: a deep neural network for binary and multi-class classification, from scratch in NumPy.

``import npdnn`` loads only NumPy; the scikit-learn estimator, the command line,
plots and file formats import their libraries when first used.
"""

from . import callbacks  # noqa: I001  (the public facade over train/'s callbacks; after train is loaded)
from ._version import __version__  # noqa: F401  (npdnn.__version__)
from .errors import ConvergenceWarning, DivergenceError, ModelFileError, TrainingWarning
from .loading import load
from .network import Network
from .nn import activations, initializers, losses
from .nn.gradcheck import gradcheck
from .train import optimizers, schedules
from .train.callbacks import Callback, EarlyStopping, LambdaCallback
from .train.checkpoint import ModelCheckpoint


def __getattr__(name):
    # The estimator imports scikit-learn; load it only when asked for.
    if name == "DNNClassifier":
        from .sklearn.estimator import DNNClassifier

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
