"""The article's network, one equation per file: activations, initializers, losses (output
layers with their costs), layers (``Z = W @ A_prev + b``, forward and backward through caches),
the fast layer pinned to the textbook one, prediction in row chunks, the gradient check and
the shape summary. NumPy and the standard library only."""

from . import activations, initializers, losses  # noqa: I001
from .chunking import CHUNK_BYTES
from .fast import FastDense
from .layers import Dense, Dropout

# What users may import from npdnn.nn (the rest is each module's own business). The gradient
# check and the summary are npdnn.gradcheck and Network.summary: importing their functions here
# would hide the modules npdnn.nn.gradcheck and npdnn.nn.summary behind them.
__all__ = [
    "activations",
    "initializers",
    "losses",
    "Dense",
    "Dropout",
    "FastDense",
    "CHUNK_BYTES",
]
