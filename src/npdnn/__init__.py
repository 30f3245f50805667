"""npdnn: a deep neural network for binary and multi-class classification, from scratch in NumPy.

``import npdnn`` loads only NumPy; the scikit-learn estimator, the command line,
plots and file formats import their libraries when first used.
"""

from . import activations, initializers, losses, optimizers, schedules
from .archive import ModelFileError
from .diagnostics import ConvergenceWarning, TrainingWarning
from .gradcheck import gradcheck
from .network import Network
from .persistence import load
from .training import DivergenceError

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
    "ModelFileError",
    "ConvergenceWarning",
    "TrainingWarning",
    "activations",
    "initializers",
    "losses",
    "optimizers",
    "schedules",
]
