"""Learning-rate schedules: the rate for each epoch from the base rate.

A schedule is told the base rate and the number of epochs by ``start``, gives the
rate for epoch ``e`` (0-based) by ``rate(e)``, and may look at the monitored loss
after each epoch through ``observe`` (only :class:`ReduceOnPlateau` does). State
that changes during training is returned by ``state_dict`` for checkpoints.

Owns: the learning-rate schedules. Imports: :mod:`npdnn.checks`, the options table and the monitor.
"""

from __future__ import annotations

import math

from ..checks import check_positive
from .monitor import Monitor
from .options import check_option


class Schedule:
    name = "constant"

    def start(self, base_rate, epochs):
        self.base_rate = float(base_rate)
        self.epochs = int(epochs)

    def rate(self, epoch):
        return self.base_rate

    def observe(self, epoch, loss):
        """Called after each epoch with the monitored loss (validation if any)."""

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        """Nothing to restore for a stateless schedule."""

    def __repr__(self):
        args = ", ".join(
            f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k not in ("base_rate", "epochs")
        )
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """``lr_e = lr``."""


class StepDecay(Schedule):
    """``lr_e = lr * gamma ** floor(e / step_size)``."""

    name = "step"

    def __init__(self, step_size=10, gamma=0.5):
        self.step_size = int(check_positive("step_size", step_size, integer=True))
        self.gamma = float(check_positive("gamma", gamma))

    def rate(self, epoch):
        return self.base_rate * self.gamma ** (epoch // self.step_size)


class ExponentialDecay(Schedule):
    """``lr_e = lr * gamma ** e``."""

    name = "exponential"

    def __init__(self, gamma=0.95):
        self.gamma = float(check_positive("gamma", gamma))

    def rate(self, epoch):
        return self.base_rate * self.gamma**epoch


class InverseTime(Schedule):
    """``lr_e = lr / (1 + decay * e)``."""

    name = "inverse_time"

    def __init__(self, decay=0.01):
        self.decay = float(check_positive("decay", decay, allow_zero=True))

    def rate(self, epoch):
        return self.base_rate / (1.0 + self.decay * epoch)


class Cosine(Schedule):
    """``lr_e = min_lr + (lr - min_lr) (1 + cos(pi e / T)) / 2``, T = the number of
    epochs unless given."""

    name = "cosine"

    def __init__(self, min_rate=0.0, period=None):
        self.min_rate = float(check_positive("min_rate", min_rate, allow_zero=True))
        self.period = None if period is None else int(check_positive("period", period, integer=True))

    def rate(self, epoch):
        T = self.period or max(self.epochs, 1)
        return self.min_rate + (self.base_rate - self.min_rate) * (1 + math.cos(math.pi * min(epoch, T) / T)) / 2


class ReduceOnPlateau(Schedule):
    """Multiply the rate by ``factor`` when the monitored loss has not improved by
    more than ``min_delta`` for ``patience`` epochs (never below ``min_rate``)."""

    name = "plateau"

    def __init__(self, factor=0.5, patience=5, min_delta=0.0, min_rate=0.0):
        self.factor = float(check_option("factor", factor))
        self.patience = int(check_option("patience", patience))
        self.min_delta = float(check_option("min_delta", min_delta))
        self.min_rate = float(check_option("min_rate", min_rate))

    def start(self, base_rate, epochs):
        super().start(base_rate, epochs)
        self._current, self._best, self._wait = float(base_rate), math.inf, 0

    def rate(self, epoch):
        return self._current

    def observe(self, epoch, loss):
        if Monitor.improved(loss, self._best, self.min_delta):
            self._best, self._wait = loss, 0
            return
        self._wait += 1
        if self._wait >= self.patience:
            self._current = max(self._current * self.factor, self.min_rate)
            self._wait = 0

    def state_dict(self):
        return {"current": self._current, "best": self._best, "wait": self._wait}

    def load_state_dict(self, state):
        self._current, self._best, self._wait = float(state["current"]), float(state["best"]), int(state["wait"])


SCHEDULES = {cls.name: cls for cls in (Constant, StepDecay, ExponentialDecay, InverseTime, Cosine, ReduceOnPlateau)}


def get_schedule(schedule):
    """A :class:`Schedule` from None (constant), an instance, or a name."""
    if schedule is None:
        return Constant()
    if isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, str) and schedule in SCHEDULES:
        return SCHEDULES[schedule]()
    raise ValueError(f"unknown lr_schedule {schedule!r}; expected a Schedule or one of {sorted(SCHEDULES)}")
