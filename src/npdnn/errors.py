"""Every error and warning npdnn raises on purpose, in one place.

Users import them from where they meet them (``npdnn.ModelFileError``,
``npdnn.callbacks.DivergenceError``, ``npdnn.ConvergenceWarning``); they are defined
here once, below every other module, so that any layer can raise them.

Owns: ModelFileError, DivergenceError, DataError, DataWarning, ConvergenceWarning, TrainingWarning,
OverfittingWarning.
Imports: nothing.
"""

from __future__ import annotations

__all__ = [
    "ModelFileError",
    "DivergenceError",
    "DataError",
    "DataWarning",
    "ConvergenceWarning",
    "TrainingWarning",
    "OverfittingWarning",
]


MAX_MESSAGE_CHARS = 2000  # a message quotes the file; a crafted file must not make it megabytes long


class ModelFileError(ValueError):
    """A model or checkpoint file that cannot be loaded: says which file and why.

    The message is cut to :data:`MAX_MESSAGE_CHARS` characters (it may quote what the
    file holds, and a crafted file must not turn one error into megabytes of output)."""

    def __init__(self, message=""):
        message = str(message)
        if len(message) > MAX_MESSAGE_CHARS:
            message = f"{message[: MAX_MESSAGE_CHARS - 40]}... ({len(message)} characters, cut)"
        super().__init__(message)


class DivergenceError(FloatingPointError):
    """Training produced a non-finite cost or parameters; the network keeps the
    last finite parameters (those at the start of the failing epoch)."""


class DataError(ValueError):
    """Bad data: one line naming the file, line and column and what was expected."""


class DataWarning(UserWarning):
    """Data that reads but looks wrong (a header row of numbers)."""


class ConvergenceWarning(UserWarning):
    """Training stopped at the epoch limit while the loss was still falling.

    The estimator emits a subclass that is also scikit-learn's ConvergenceWarning
    (see :mod:`npdnn.sklearn.estimator`), so both filters catch it; this module
    cannot name scikit-learn's class itself (the core imports NumPy only)."""


class TrainingWarning(UserWarning):
    """A trained network (or its set-up) that is very likely not what was meant."""


class OverfittingWarning(TrainingWarning):
    """The validation loss rose for many epochs while training went on."""
