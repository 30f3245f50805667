"""Training checkpoints: everything needed to continue a run bit-identically, and a
fingerprint of the run so that a checkpoint is never resumed by a different one.

A checkpoint holds the network's state (parameters, random generator), the
optimizer's state arrays and step count, the schedule's state, the number of finished
epochs, whether the run had stopped, and every callback's state (the history, early
stopping's best parameters, ...). It is written atomically (see :mod:`npdnn.files.archive`),
so a process killed mid-write leaves the previous checkpoint whole.

The fingerprint records what the result depends on: the training data (shape, dtype
and a BLAKE2 digest of its bytes, labels and weights), the architecture, and every
option that changes the result. Resuming with a different fingerprint is refused
with a message naming what differs, unless ``resume="force"``.

Owns: ModelCheckpoint, data_digest, the checkpoint format (version 2; version 1 files
are refused with a clear message). Imports: NumPy, archive, callbacks.
"""

from __future__ import annotations

import hashlib
import math
import os

import numpy as np

from ..files.archive import ModelFileError, read_archive, short, write_archive
from .callbacks import Callback
from .checkpoint_schema import check_arrays, check_fields
from .monitor import Monitor
from .options import check_option

# Version 3 adds the ``__digest__`` member (issue 27), required from then on; version 2
# files, written before it, still resume.
KIND, VERSION, SEALED_SINCE = "checkpoint", 3, 3
_DIGEST_BLOCK = 1 << 16  # rows hashed at a time: each block is made C-ordered, so layout does not matter


def data_digest(*arrays):
    """A hex BLAKE2b digest of arrays' shapes, dtypes and values, in rows of C order
    whatever their memory layout (so C, F, memory-mapped and strided copies of the
    same data agree); None entries count as absent. A sparse X
    (:class:`~npdnn.nn.sparse_rows.SparseRows`) is digested as its CSR arrays (data,
    indices, indptr) and shape, never made dense."""
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        if hasattr(a, "digest_parts"):
            h.update(f"csr{a.shape}".encode())
            for part in a.digest_parts():  # 1-D arrays, contiguous as scipy keeps them
                h.update(f"{part.shape}{part.dtype.str}".encode())
                h.update(np.ascontiguousarray(part).data)
            continue
        h.update(f"{a.shape}{a.dtype.str}".encode())
        for i in range(0, a.shape[0], _DIGEST_BLOCK):
            h.update(np.ascontiguousarray(a[i : i + _DIGEST_BLOCK]).data)
    return h.hexdigest()


class ModelCheckpoint(Callback):
    """Save the training state to ``path`` every ``every`` epochs (and at the last one).

    ``save_best_only=True`` saves only at epochs where ``monitor`` improved ("min"
    for losses, "max" for names holding "accuracy"). A run started with
    ``resume=True`` continues from the file (or starts afresh when there is none yet).
    """

    def __init__(self, path, every=1, save_best_only=False, monitor="val_loss"):
        self.path = os.fspath(path)
        self.every = int(check_option("checkpoint_every", every))
        self.save_best_only, self.monitor, self._monitor = bool(save_best_only), monitor, Monitor(monitor)
        self.best = math.inf
        self.stopped_at = None  # epochs done when a callback stopped the run

    # ------------------------------------------------------------------ saving
    def on_epoch_end(self, epoch, logs):
        run = self.run
        last = epoch + 1 == run.epochs
        if self.save_best_only:
            value = self._monitor.value(logs, "ModelCheckpoint")  # signed: lower is better
            if self._monitor.improved(value, self.best):
                self.best = value
                self.save(epoch + 1)
        elif (epoch + 1) % self.every == 0 or last:
            self.save(epoch + 1)
        return False

    def on_train_begin(self, net):
        self.stopped_at = None

    def on_train_end(self, net, history):
        # A run that stopped early records it, so a resume does not train on.
        if self.stopped_at is not None and not self.save_best_only:
            self.save(self.stopped_at, stopped=True)

    def mark_stopped(self, epochs_done):
        """The loop stopped after ``epochs_done`` epochs (a callback asked it to)."""
        self.stopped_at = epochs_done

    def save(self, epochs_done, stopped=False):
        run = self.run
        opt_state = run.optimizer.state_dict()
        net_state = run.net.state_dict()
        arrays = {"theta": net_state.pop("theta")}
        arrays.update({f"opt_{k}": v for k, v in opt_state.items() if isinstance(v, np.ndarray)})
        callbacks = {}
        for key, cb in _keyed(run.callbacks):
            state = dict(cb.state_dict())
            for k in [k for k, v in state.items() if isinstance(v, np.ndarray)]:
                arrays[f"cb_{key}_{k}"] = state.pop(k)
            callbacks[key] = state
        meta = {
            "epoch": epochs_done,
            "stopped": stopped,
            "fingerprint": run.fingerprint,
            "network": run.net.get_config(),
            "net_state": net_state,
            "rng": run.rng.bit_generator.state,  # the run's generator (not the network's when fit got a seed)
            "optimizer": {
                "class": type(run.optimizer).__name__,
                **{k: v for k, v in opt_state.items() if not isinstance(v, np.ndarray)},
            },
            "schedule": {"class": type(run.schedule).__name__, **run.schedule.state_dict()},
            "callbacks": callbacks,
        }
        write_archive(self.path, arrays, meta, KIND, VERSION)

    # ------------------------------------------------------------------ resuming
    def restore(self, force=False):
        """Load the state at ``path`` into the run; returns ``(epochs_done, stopped)``
        (``(0, False)``, touching nothing, when no checkpoint exists yet)."""
        if not os.path.exists(self.path):
            return 0, False
        arrays, meta = read_archive(self.path, KIND, VERSION, sealed_since=SEALED_SINCE)
        if meta.get("version") not in (2, VERSION):
            raise ModelFileError(
                f"{self.path} is a checkpoint of format version {meta.get('version')}, written by an older npdnn; "
                "it cannot be resumed by this version: delete it to start the run afresh"
            )
        run = self.run
        check_fields(self.path, meta, run)
        self._check_compatible(meta, force)  # a checkpoint of another network says so before its arrays are judged
        check_arrays(self.path, meta, arrays, run, list(_keyed(run.callbacks)))
        try:
            net_state = dict(meta["net_state"], theta=arrays["theta"])
            run.net.load_state_dict(net_state)
            run.rng.bit_generator.state = meta["rng"]  # in place: the dropout layers hold this generator
            opt_state = {k: v for k, v in meta["optimizer"].items() if k != "class"}
            opt_state.update({k[4:]: v for k, v in arrays.items() if k.startswith("opt_")})
            run.optimizer.load_state_dict(opt_state)
            run.schedule.load_state_dict({k: v for k, v in meta["schedule"].items() if k != "class"})
            saved = meta["callbacks"]
            # Matched by class and order among callbacks of that class; a callback the first run did not
            # have (a progress bar, a user's hook) starts fresh.
            for key, cb in _keyed(run.callbacks):
                if key in saved:
                    state = dict(saved[key])
                    prefix = f"cb_{key}_"
                    state.update({k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)})
                    cb.load_state_dict(state)
            epochs_done, stopped = int(meta["epoch"]), bool(meta["stopped"])
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, OverflowError) as e:
            raise ModelFileError(f"{self.path} is not a usable checkpoint ({type(e).__name__}: {e})") from None
        if epochs_done > run.epochs:
            raise ModelFileError(
                f"{self.path} has already run {epochs_done} epochs, more than the {run.epochs} asked for; "
                f"ask for {epochs_done} or more epochs to continue it, or delete it to start afresh"
            )
        return epochs_done, stopped

    def _check_compatible(self, meta, force):
        run = self.run
        config, stored = run.net.get_config(), meta.get("network") or {}
        if stored != config:
            raise ModelFileError(
                f"{self.path} is a checkpoint of a network {str(stored.get('layer_dims'))[:200]} "
                f"({str(stored.get('hidden_activation'))[:80]}, {str(stored.get('dtype'))[:80]}); this run trains "
                f"{config['layer_dims']} ({config['hidden_activation']}, {config['dtype']})"
            )
        if meta["optimizer"]["class"] != type(run.optimizer).__name__:
            raise ModelFileError(
                f"{self.path} was written with optimizer {meta['optimizer']['class']}; this run uses "
                f"{type(run.optimizer).__name__}"
            )
        if force:
            return
        stored, current = meta.get("fingerprint") or {}, run.fingerprint or {}
        differ = [k for k in sorted(set(stored) | set(current)) if stored.get(k) != current.get(k)]
        if differ:
            details = "; ".join(
                f"{str(k)[:80]}: checkpoint {short(stored.get(k))}, this run {short(current.get(k))}"
                for k in differ[:8]
            )
            raise ModelFileError(
                f"{self.path} belongs to a different run ({details}). Resume with the same data and options, "
                'delete the checkpoint to start afresh, or force it (resume="force", --resume-anyway)'
            )


def _keyed(callbacks):
    """``[("History0", cb), ("EarlyStopping0", cb), ...]``: class name and rank among that class."""
    seen = {}
    for cb in callbacks:
        name = type(cb).__name__
        seen[name] = seen.get(name, -1) + 1
        yield f"{name}{seen[name]}", cb
