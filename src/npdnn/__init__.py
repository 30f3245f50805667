"""npdnn: a deep neural network for binary classification, from scratch in NumPy.

``import npdnn`` loads only NumPy; the scikit-learn estimator, the command line,
plots and file formats import their libraries when first used.
"""

from . import activations, initializers, losses, optimizers, schedules
from .archive import ModelFileError
from .gradcheck import gradcheck
from .network import Network
from .training import DivergenceError

__version__ = "0.1.0"

__all__ = [
    "Network",
    "gradcheck",
    "DivergenceError",
    "ModelFileError",
    "activations",
    "initializers",
    "losses",
    "optimizers",
    "schedules",
]
