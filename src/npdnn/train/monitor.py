"""What "better" means for a logged metric, in one place (as Keras' ``MonitorCallback``).

:class:`EarlyStopping`, :class:`~npdnn.train.checkpoint.ModelCheckpoint` (with
``save_best_only``) and :class:`~npdnn.train.schedules.ReduceOnPlateau` all ask the
same two questions of an epoch's logs: which number to look at (``"val_loss"`` falls
back to ``"loss"`` when the run has no validation data) and whether it beat the best
so far (names holding "accuracy" or "auc" are maximized, everything else minimized).

Owns: Monitor, LOSS. Imports: :mod:`npdnn.train.options`.
"""

from __future__ import annotations

from .options import check_option

_MAXIMIZED = ("accuracy", "auc")


class Monitor:
    """A metric of the epoch logs and its direction.

    ``mode`` is "min", "max" or "auto" (max for names holding "accuracy" or "auc").
    :meth:`value` returns the metric signed so that lower is always better, so a
    caller keeps ``best = math.inf`` and compares with :meth:`improved`.
    """

    def __init__(self, name="val_loss", mode="auto"):
        mode = check_option("mode", mode)
        if mode == "auto":
            mode = "max" if any(s in name for s in _MAXIMIZED) else "min"
        self.name, self.mode = name, mode
        self.sign = 1.0 if mode == "min" else -1.0

    def value(self, logs, who="the monitor"):
        """The monitored number of ``logs``, signed so that lower is better;
        ``"val_loss"`` reads ``"loss"`` when the run has no validation data."""
        key = self.name
        if key not in logs and key == "val_loss":
            key = "loss"
        if key not in logs:
            raise ValueError(f"{who} monitors {self.name!r}, but the epoch logs hold {sorted(logs)}")
        return self.sign * float(logs[key])

    @staticmethod
    def improved(value, best, min_delta=0.0):
        """Whether the signed ``value`` beats ``best`` by more than ``min_delta``."""
        return value < best - min_delta

    def __repr__(self):
        return f"Monitor({self.name!r}, {self.mode!r})"


#: The loss the loop hands to a schedule's ``observe``: validation loss, else training loss.
LOSS = Monitor("val_loss", "min")
