"""Progress reports as training callbacks: a tqdm bar on a terminal, one log line per
epoch elsewhere (a file, a CI log, a notebook's captured stderr), as Keras's
``verbose=1`` / ``verbose=2``. tqdm and logging are imported only when used.
"""

from __future__ import annotations

import numbers
import sys
import time

from .callbacks import Callback

LOGGER_NAME = "npdnn"
# Shown in this order when present in an epoch's logs.
SHOWN = ("loss", "val_loss", "val_accuracy")


class ProgressBar(Callback):
    """One bar tick per epoch, showing the running loss (and validation loss).

    ``disable=None`` lets tqdm hide the bar when the output is not a terminal. A run
    resumed from a checkpoint starts the bar at its first epoch (``initial``, the run's
    ``start_epoch``, or the first epoch reported).
    """

    def __init__(self, epochs, initial=0, file=None, disable=None):
        self.epochs, self.initial = epochs, initial
        self.file = file if file is not None else sys.stderr
        self.disable = disable
        self.bar = None

    def on_train_begin(self, net):
        from tqdm.auto import tqdm

        initial = self.initial or (self.run.start_epoch if self.run is not None else 0)  # after a resume
        self.bar = tqdm(
            total=self.epochs, initial=initial, unit="epoch", file=self.file, disable=self.disable, leave=True
        )

    def on_epoch_end(self, epoch, logs):
        shown = {k: f"{v:.4g}" for k, v in logs.items() if k in SHOWN}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(max(1, epoch + 1 - self.bar.n))  # catches up to a resumed run's first epoch
        return False

    def on_train_end(self, net, history):
        self.bar.close()


class EpochLog(Callback):
    """One line per epoch, like Keras's ``verbose=2``::

        Epoch 3/200 - 0.012s - loss: 0.4123 - val_loss: 0.3990 - val_accuracy: 0.9130

    written to ``file`` (default: stderr at the time of writing), or with
    ``logger.info`` when a :class:`logging.Logger` is given.
    """

    def __init__(self, epochs, file=None, logger=None, clock=time.perf_counter):
        self.epochs, self.file, self.logger, self.clock = epochs, file, logger, clock
        self.started = None

    def on_train_begin(self, net):
        self.started = self.clock()

    def on_epoch_end(self, epoch, logs):
        now = self.clock()
        parts = [f"Epoch {epoch + 1}/{self.epochs}", f"{now - self.started:.3g}s"]
        parts += [f"{k}: {logs[k]:.4f}" for k in SHOWN if k in logs]
        self.started = now
        self.write(" - ".join(parts))
        return False

    def write(self, line):
        """One line to the logger, or to ``file`` (stderr when None)."""
        if self.logger is not None:
            self.logger.info(line)
        else:
            print(line, file=self.file if self.file is not None else sys.stderr, flush=True)

    def on_train_end(self, net, history):
        pass


def make_progress(verbose, epochs, file=None):
    """The progress callback for ``verbose``, or None.

    ``0``/False: None. ``1``/True: a :class:`ProgressBar` when ``file`` (default
    stderr) is a terminal, else an :class:`EpochLog` (so a log file or CI run still
    sees progress). ``2``: an :class:`EpochLog`. An EpochLog writes to the ``"npdnn"``
    logger when logging is configured for it (a handler, its own or the root's, and
    INFO enabled), else to ``file``. Anything else raises ValueError.
    """
    if verbose is None or (isinstance(verbose, numbers.Integral) and verbose == 0):
        return None
    if not isinstance(verbose, numbers.Integral) or verbose not in (1, 2):
        raise ValueError(f"verbose must be 0/False, 1/True (progress bar) or 2 (one line per epoch); got {verbose!r}")
    stream = file if file is not None else sys.stderr
    if verbose == 1 and _is_terminal(stream):
        return ProgressBar(epochs, file=stream)
    return _epoch_log(epochs, file)


def _epoch_log(epochs, file):
    """An :class:`EpochLog` to the ``"npdnn"`` logger when logging is configured for it, else to ``file``."""
    import logging

    logger = logging.getLogger(LOGGER_NAME)
    if logger.hasHandlers() and logger.isEnabledFor(logging.INFO):
        return EpochLog(epochs, logger=logger)
    return EpochLog(epochs, file=file)


def announce(verbose, line, file=None):
    """Write ``line`` where an :class:`EpochLog` writes its epochs (the ``"npdnn"`` logger when
    configured, else ``file`` or stderr), when ``verbose`` asks for progress: a step before
    the first epoch that takes time of its own (the l2 search) is not silence."""
    if make_progress(verbose, 1, file) is not None:
        _epoch_log(1, file).write(line)


def _is_terminal(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
