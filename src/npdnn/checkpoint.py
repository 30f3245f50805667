"""Training checkpoints: everything needed to continue a run bit-identically.

A checkpoint holds the parameters, the optimizer's state arrays and step count,
the schedule's state, the random generator's state (so shuffles and dropout
masks continue the same stream), the number of finished epochs, the history and
the early-stopping record. It is written atomically (see :mod:`npdnn.archive`),
so a process killed mid-write leaves the previous checkpoint whole.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .archive import ModelFileError, read_archive, write_archive

KIND, VERSION = "checkpoint", 1


class Checkpointer:
    """Saves and restores the training state at ``path``."""

    def __init__(self, path):
        self.path = os.fspath(path)

    def save(self, epoch, net, opt, schedule, rng, history, best):
        opt_state = opt.state_dict()
        arrays = {"theta": net.theta}
        arrays.update({f"opt_{k}": v for k, v in opt_state.items() if isinstance(v, np.ndarray)})
        if best["theta"] is not None:
            arrays["best_theta"] = best["theta"]
        meta = {
            "epoch": epoch,
            "layer_dims": net.layer_dims,
            "dtype": net.dtype.name,
            "optimizer": {
                "class": type(opt).__name__,
                **{k: v for k, v in opt_state.items() if not isinstance(v, np.ndarray)},
            },
            "schedule": {"class": type(schedule).__name__, **schedule.state_dict()},
            "rng": rng.bit_generator.state,
            "history": history,
            "best": {"loss": _finite_or_str(best["loss"]), "epoch": best["epoch"], "wait": best["wait"]},
        }
        write_archive(self.path, arrays, meta, KIND, VERSION)

    def restore(self, net, opt, schedule, rng, history, best):
        """Load the state into the given objects; returns the epoch to start at
        (0, leaving everything untouched, when no checkpoint exists yet)."""
        if not os.path.exists(self.path):
            return 0
        arrays, meta = read_archive(self.path, KIND, VERSION)
        if meta.get("layer_dims") != net.layer_dims or meta.get("dtype") != net.dtype.name:
            raise ModelFileError(
                f"{self.path} is a checkpoint of a network {meta.get('layer_dims')} ({meta.get('dtype')}); "
                f"this run trains {net.layer_dims} ({net.dtype.name})"
            )
        if meta["optimizer"]["class"] != type(opt).__name__:
            raise ModelFileError(
                f"{self.path} was written with optimizer {meta['optimizer']['class']}; this run uses "
                f"{type(opt).__name__}"
            )
        np.copyto(net.theta, arrays["theta"])
        opt_state = {k: v for k, v in meta["optimizer"].items() if k != "class"}
        opt_state.update({k[4:]: v for k, v in arrays.items() if k.startswith("opt_")})
        opt.load_state_dict(opt_state)
        schedule.load_state_dict({k: v for k, v in meta["schedule"].items() if k != "class"})
        rng.bit_generator.state = meta["rng"]
        history.clear()
        history.update(meta["history"])
        best.update(
            loss=float(meta["best"]["loss"]),
            epoch=meta["best"]["epoch"],
            wait=meta["best"]["wait"],
            theta=arrays.get("best_theta"),
        )
        return int(meta["epoch"])


def _finite_or_str(x):
    return x if math.isfinite(x) else repr(float(x))
