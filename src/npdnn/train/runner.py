"""The epoch runner every training loop shares: :func:`npdnn.train.loop.fit` and the Dask
driver (:func:`npdnn.distributed.fit`) set up their :class:`~npdnn.callbacks.Run` with
:func:`start_run` and run it with :func:`run_epochs`, each supplying only its own step
(how an epoch's gradients are computed: here, or summed over the workers). So the
callbacks' order, the checkpoint's fingerprint and resume, the divergence checks and
stopping (with the checkpoints told that the run stopped) are written once.

Owns: callback_list, run_fingerprint, start_run, run_epochs. Imports: NumPy and the
callbacks, checkpoint and monitor below it.
"""

from __future__ import annotations

import numpy as np

from .callbacks import EarlyStopping, History, Run, as_callback
from .checkpoint import ModelCheckpoint
from .monitor import LOSS

__all__ = ["callback_list", "run_fingerprint", "start_run", "run_epochs"]


def callback_list(
    callbacks, history, epochs, verbose=False, early_stopping=False, patience=10, min_delta=0.0, restore_best=True
):
    """The order hooks run in: early stopping (shorthand), the user's callbacks in their
    order, the progress bar, History (so it records what earlier hooks added to the
    logs into ``history``), and checkpoints last (so they store every other callback's
    state of the epoch)."""
    user = [as_callback(cb) for cb in callbacks]
    first = [EarlyStopping("val_loss", "min", patience, min_delta, restore_best)] if early_stopping else []
    first += [cb for cb in user if not isinstance(cb, ModelCheckpoint)]
    if verbose:
        from .progress import make_progress  # lazily: a bar needs tqdm, an optional dependency

        first.append(make_progress(verbose, epochs))
    return [*first, History(history), *(cb for cb in user if isinstance(cb, ModelCheckpoint))]


def run_fingerprint(opt, *, batch_size, shuffle, seed, l2, **options):
    """The options a run's result depends on, for the checkpoint's fingerprint
    (see :mod:`npdnn.train.checkpoint`); the caller adds what describes its data."""
    return {
        "optimizer": f"{type(opt).__name__} {opt.hyperparameters()}",
        "learning_rate": opt.learning_rate,
        "batch_size": batch_size,
        "shuffle": bool(shuffle),
        "seed": seed if isinstance(seed, (int, np.integer)) else None,
        "l2": float(l2),
        **options,
    }


def start_run(
    net,
    opt,
    schedule,
    rng,
    epochs,
    history,
    callbacks,
    *,
    guard,
    checkpoint,
    checkpoint_every,
    resume,
    fingerprint,
    data=None,
):
    """The :class:`~npdnn.callbacks.Run` every training loop shares (``fit`` and the Dask
    driver): the schedule started, the checkpoint shorthand appended, the fingerprint
    taken (``fingerprint()``, called only when some checkpoint is written), ``data`` (the
    loop's training data, for hooks that look at it, or None) kept, every hook told the
    run, and a checkpoint restored when ``resume``. Returns ``(run, stopped)``: stopped is
    True when the restored run had already stopped."""
    schedule.start(opt.learning_rate, epochs)
    run = Run(net, opt, schedule, rng, epochs, history=history, data=data)
    if checkpoint is not None:
        callbacks.append(ModelCheckpoint(checkpoint, every=checkpoint_every))
    run.callbacks, run.guard = callbacks, guard
    savers = [cb for cb in callbacks if isinstance(cb, ModelCheckpoint)]
    if savers:
        run.fingerprint = fingerprint()
    for cb in [guard, *callbacks]:
        cb.run = run
    stopped = False
    if resume and savers:
        run.start_epoch, stopped = savers[0].restore(force=resume == "force")
    return run, stopped


def run_epochs(run, epoch_loss, stopped=False, validation_logs=None):
    """The epochs from ``run.start_epoch``: the schedule's rate, ``epoch_loss(epoch)``
    (the caller's step: trains one epoch, returns its loss), the divergence checks, the
    epoch's logs and callbacks; a callback that returns True stops the run (and the
    checkpoints record that it stopped)."""
    net, opt, schedule, callbacks, guard = run.net, run.optimizer, run.schedule, run.callbacks, run.guard
    for cb in [guard, *callbacks]:
        cb.on_train_begin(net)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        last = run.start_epoch if stopped else run.epochs  # a run that had stopped trains no more
        for epoch in range(run.start_epoch, last):
            opt.learning_rate = schedule.rate(epoch)
            for cb in [guard, *callbacks]:
                cb.on_epoch_begin(epoch)
            loss = epoch_loss(epoch)
            guard.on_epoch_end(epoch, None)
            logs = {"loss": float(loss), "lr": opt.learning_rate}
            if validation_logs is not None:
                logs.update(validation_logs(net))
            schedule.observe(epoch, LOSS.value(logs))
            if any([bool(cb.on_epoch_end(epoch, logs)) for cb in callbacks]):  # a list: every hook runs
                for cb in callbacks:
                    if isinstance(cb, ModelCheckpoint):
                        cb.mark_stopped(epoch + 1)
                break
    for cb in callbacks:
        cb.on_train_end(net, run.history)
