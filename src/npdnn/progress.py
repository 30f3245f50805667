"""A tqdm progress bar as a training callback (tqdm is imported only when used)."""

from __future__ import annotations

import sys

from .callbacks import Callback


class ProgressBar(Callback):
    """One bar tick per epoch, showing the running loss (and validation loss).

    ``disable=None`` lets tqdm hide the bar when the output is not a terminal.
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
        shown = {k: f"{v:.4g}" for k, v in logs.items() if k in ("loss", "val_loss", "val_accuracy")}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)
        return False

    def on_train_end(self, net, history):
        self.bar.close()
