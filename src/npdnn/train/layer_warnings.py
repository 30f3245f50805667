"""Warnings that name the cause of a failing layer, read from the records of
:class:`npdnn.train.layer_stats.Diagnostics` (``history["diagnostics"]``).

Each check is a plain function of the record dict that returns its message or None;
:func:`check_layers` runs them all and warns once per finding with :class:`LayerWarning`
(a :class:`~npdnn.train.diagnostics.TrainingWarning`), pointing at the user's call
(the first frame outside npdnn and scikit-learn). Messages start with the layer, keep
their wording stable and carry the numbers seen:

- dead ReLUs: ``layer 2: 87% of ReLU units dead since epoch 3; the learning rate may be
  too high or the biases pushed negative``
- vanishing: ``gradients in layer 1 are 1e-09 of layer 4's: vanishing; try He
  initialization or ReLU``
- exploding: ``layer 1: Z has std 3e+03 on the probe: the inputs are not standardized, so
  gradients explode; standardize the features ((X - mean) / std)``
- too large updates: ``layer 3's update/weight ratio is 0.9: the learning rate is too high``
- saturation: ``layer 2: 60% of sigmoid units saturated ...``

The thresholds are deliberately far from a healthy run's values (tests check both
sides): a healthy He/ReLU run has a few % dead units, a gradient ratio between layers
within 1e-2..1e2, an update ratio per epoch below ~0.1 and layer-1 ``Z`` std near 1.

Owns: LayerWarning, the checks, check_layers. Imports: NumPy and the standard library.
"""

from __future__ import annotations

import math
import warnings

from .diagnostics import TrainingWarning
from .user_warnings import user_stacklevel

DEAD_FRACTION = 0.6  # share of a layer's ReLU units dead on the probe at the end of training
SATURATED_FRACTION = 0.5
VANISHING_RATIO = 2e-2  # rms(dW1) / rms(dW_L), median over the first or the second half of the records
UPDATE_RATIO = 0.3  # ||W_end - W_start|| / ||W_start|| over one epoch, largest after the first epoch
EXPLODING_Z_STD = 100.0  # std of Z1 on the probe


class LayerWarning(TrainingWarning):
    """A layer that does not learn, with its cause named (see :mod:`npdnn.train.layer_warnings`)."""


def _column(record, key, layer):
    return [row[layer] for row in record.get(key, [])]


def dead_relus(record):
    """Messages for ReLU layers with >= ``DEAD_FRACTION`` units dead at the last record,
    naming the first epoch since which they stayed that dead."""
    out = []
    epochs = record.get("epoch", [])
    n_layers = len(record["dead"][0]) if record.get("dead") else 0
    for l in range(n_layers):
        dead = _column(record, "dead", l)
        if dead[-1] is None or dead[-1] < DEAD_FRACTION:
            continue
        since = len(dead) - 1
        while since > 0 and dead[since - 1] is not None and dead[since - 1] >= DEAD_FRACTION:
            since -= 1
        out.append(
            f"layer {l + 1}: {dead[-1]:.0%} of ReLU units dead since epoch {epochs[since] + 1}; "
            "the learning rate may be too high or the biases pushed negative"
        )
    return out


def saturated_units(record):
    """Messages for sigmoid/tanh layers with >= ``SATURATED_FRACTION`` units saturated at the end."""
    out = []
    last = record.get("saturated", [[]])[-1] if record.get("saturated") else []
    for l, value in enumerate(last):
        if value is not None and value >= SATURATED_FRACTION:
            out.append(
                f"layer {l + 1}: {value:.0%} of its sigmoid/tanh units saturated (A within 0.01 of an asymptote "
                "on every probe row), so their gradients vanish; standardize the inputs, use a smaller "
                "initialization, or ReLU"
            )
    return out


def _median(values):
    values = sorted(v for v in values if v is not None and math.isfinite(v))
    return values[len(values) // 2] if values else None


def vanishing_gradients(record):
    """A message when layer 1's gradient (rms per weight) is below ``VANISHING_RATIO`` of
    the output layer's, in the median over the first or over the second half of the
    records (sigmoid layers vanish early and recover a little; a ``* 0.01`` start vanishes
    more as the output layer learns). Healthy He/ReLU runs stay within 0.1..1."""
    rms = record.get("dW_rms", [])
    if not rms or len(rms[0]) < 3:  # needs two hidden layers for "deep"
        return []
    L = len(rms[0])
    ratios = [row[0] / row[-1] if row[-1] and row[0] else None for row in rms]
    half = max(1, len(ratios) // 2)
    medians = [m for m in (_median(ratios[:half]), _median(ratios[half:])) if m is not None]
    if not medians or min(medians) >= VANISHING_RATIO:
        return []
    return [f"gradients in layer 1 are {min(medians):.0e} of layer {L}'s: vanishing; try He initialization or ReLU"]


def large_updates(record):
    """A message for the layer with the largest update/weight ratio over an epoch after the
    first (a first epoch may rightly move small initial weights far), when above ``UPDATE_RATIO``."""
    ratios, epochs = record.get("update_ratio", []), record.get("epoch", [])
    later = [(e, row) for row, e in zip(ratios, epochs, strict=False) if e >= 1]
    found = [(value, l, e) for e, row in later for l, value in enumerate(row) if value is not None]
    if not found:
        return []
    value, l, e = max(found)
    if not value >= UPDATE_RATIO:
        return []
    return [f"layer {l + 1}'s update/weight ratio is {value:.2g} (epoch {e + 1}): the learning rate is too high"]


def exploding_inputs(record):
    """A message when layer 1's ``Z`` has a std above ``EXPLODING_Z_STD`` on the probe (first record)."""
    z_std = record.get("Z_std", [])
    if not z_std or z_std[0][0] is None or not z_std[0][0] > EXPLODING_Z_STD:
        return []
    return [
        f"layer 1: Z has std {z_std[0][0]:.0e} on the probe: the inputs are not standardized, so gradients "
        "explode; standardize the features ((X - mean) / std)"
    ]


CHECKS = (dead_relus, saturated_units, vanishing_gradients, exploding_inputs, large_updates)


def check_layers(record, category=LayerWarning):
    """Run every check on ``record`` and warn once per message; return the messages."""
    if not record or not record.get("epoch"):
        return []
    messages = [m for check in CHECKS for m in check(record)]
    for message in messages:
        warnings.warn(message, category, stacklevel=user_stacklevel())
    return messages
