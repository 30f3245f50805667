"""Where a training step's time goes: npdnn's own step timer.

    from npdnn.train.profiling import profile
    p = profile(net, X, y, optimizer="adam", batch_size=256, epochs=1)
    print(p)                  # a table: ms per step and share of each part
    p.per_step["gemm_fwd"]    # seconds per step

:func:`profile` runs the real :meth:`Network.fit` and times it from the outside:
it wraps methods of this network's own objects (the network's ``forward``,
``backward`` and ``loss_and_gradients``, its output's ``cost_and_dZ``, the
optimizer's ``step``) as instance attributes, adds an epoch-end callback, and swaps
``np`` in npdnn's modules for a copy of NumPy whose ``matmul`` and ``dot`` are timed. Nothing in the
library changes; everything is put back afterwards, even on an error.

The parts (seconds per step, summing to the instrumented ``fit``'s time):

- ``gemm_fwd``, ``gemm_bwd``: ``matmul``/``dot`` calls inside the layers' forward and
  backward (Z = W A_prev; dW = dZ A_prev^T, db = dZ 1, dA_prev = W^T dZ);
- ``elementwise``: the rest of forward and backward (bias add, activations and their
  derivatives, dropout) and the loss with dZ_L;
- ``optimizer``: ``opt.step`` (Adam: ten passes over theta);
- ``gather``: the time between one step's update and the next step's forward pass,
  i.e. the mini-batch gather (``X.take`` of shuffled rows) and the loop around it, and
  at an epoch's start the shuffle (with a whole-epoch gather where fit does one);
- ``rest``: everything else: fit's input checks and set-up, the end-of-epoch checks
  and validation (timed by a callback), the Python in ``loss_and_gradients`` around
  the passes, and the timers themselves.

Each part includes the dispatch cost of its NumPy calls (~0.5-1 us each), which is
what dominates steps on small layers. The timers add ~0.2 us per wrapped call;
:attr:`StepProfile.plain_s` is the same ``fit`` without them, for comparison.

Both runs train ``net`` in place, as ``fit`` does: profile a copy you can spend.
"""

from __future__ import annotations

import sys
import time
import types

import numpy as np

PARTS = ("gemm_fwd", "gemm_bwd", "elementwise", "optimizer", "gather", "rest")
LABELS = {
    "gemm_fwd": "forward GEMMs",
    "gemm_bwd": "backward GEMMs",
    "elementwise": "element-wise (activations, loss, masks)",
    "optimizer": "optimizer update",
    "gather": "batch gathering (and the loop around it)",
    "rest": "rest (set-up, interpreter, timers)",
}


class StepProfile:
    """The result of :func:`profile`.

    Attributes
    ----------
    per_step : dict
        Seconds per training step of each part in :data:`PARTS`.
    steps : int
        Optimizer steps taken by the instrumented ``fit``.
    total_s, plain_s : float
        Wall time of the instrumented ``fit`` and of the same ``fit`` without timers.
    gemm_flops : dict
        FLOPs per step of the timed GEMMs, ``{"gemm_fwd": ..., "gemm_bwd": ...}``.
    """

    def __init__(self, per_step, steps, total_s, plain_s, gemm_flops):
        self.per_step, self.steps = per_step, steps
        self.total_s, self.plain_s, self.gemm_flops = total_s, plain_s, gemm_flops

    @property
    def step_s(self):
        """Seconds per step, all parts (instrumented)."""
        return sum(self.per_step.values())

    def gemm_gflops(self, part):
        """Achieved GFLOP/s of the GEMMs of ``part`` ("gemm_fwd" or "gemm_bwd")."""
        s = self.per_step[part]
        return self.gemm_flops[part] / s / 1e9 if s > 0 else float("nan")

    def as_dict(self):
        return {
            "per_step": dict(self.per_step),
            "steps": self.steps,
            "total_s": self.total_s,
            "plain_s": self.plain_s,
            "gemm_flops": dict(self.gemm_flops),
        }

    def __str__(self):
        step = self.step_s
        lines = [f"{'part':44} {'us/step':>10} {'share':>6}"]
        for part in PARTS:
            s = self.per_step[part]
            extra = f"  {self.gemm_gflops(part):.0f} GFLOP/s" if part.startswith("gemm") and s > 0 else ""
            lines.append(f"{LABELS[part]:44} {1e6 * s:10.1f} {100 * s / step:5.1f}%{extra}")
        lines.append(f"{'total':44} {1e6 * step:10.1f}  ({self.steps} steps)")
        lines.append(
            f"fit without timers: {1e6 * self.plain_s / self.steps:.1f} us/step "
            f"(timers add {100 * (self.total_s / self.plain_s - 1):+.0f}%)"
        )
        return "\n".join(lines)


class _Clock:
    """Accumulates seconds per part; ``phase`` says where a GEMM is counted."""

    def __init__(self):
        self.t = dict.fromkeys(PARTS, 0.0)
        self.t.update(forward=0.0, backward=0.0, loss=0.0, step_body=0.0, epoch_end=0.0)
        self.flops = {"gemm_fwd": 0.0, "gemm_bwd": 0.0}
        self.phase = None
        self.in_step = False  # inside loss_and_gradients (a validation forward pass is not a step)
        self.steps = 0
        self.last_update_end = None

    def timed_gemm(self, fn):
        def gemm(a, b, *args, **kwargs):
            t0 = time.perf_counter()
            out = fn(a, b, *args, **kwargs)
            dt = time.perf_counter() - t0
            if self.phase is not None and self.in_step:
                self.t[self.phase] += dt
                self.flops[self.phase] += _gemm_flops(a, b)
            return out

        return gemm

    def wrap(self, obj, name, part, phase=None, after=None):
        """Time ``obj.name`` into ``part``, as an instance attribute."""
        fn = getattr(obj, name)

        def timed(*args, **kwargs):
            outer, outer_in_step = self.phase, self.in_step
            if phase is not None:
                self.phase = phase
            if part == "step_body":
                self.in_step = True
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                t1 = time.perf_counter()
                if self.in_step or part in ("step_body", "optimizer"):
                    self.t[part] += t1 - t0
                self.phase, self.in_step = outer, outer_in_step
                if after is not None:
                    after(t0, t1)

        setattr(obj, name, timed)


def _gemm_flops(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return 0.0
    k = a.shape[-1]
    n = b.shape[-1] if b.ndim > 1 else 1
    return 2.0 * (a.size // k) * k * n


def _timed_numpy(clock):
    """A copy of the ``numpy`` module whose matmul and dot are timed (module-attribute
    lookups stay plain dict lookups, so nothing else gets slower)."""
    mod = types.ModuleType("numpy")
    mod.__dict__.update(np.__dict__)
    mod.matmul = clock.timed_gemm(np.matmul)
    mod.dot = clock.timed_gemm(np.dot)
    return mod


def profile(net, X, y, optimizer="adam", learning_rate=None, batch_size=None, epochs=1, seed=0, **fit_kwargs):
    """Train ``net`` with :meth:`Network.fit` under timers; return a :class:`StepProfile`.

    Parameters
    ----------
    net : Network
        Trained in place, twice (once plain, once timed).
    X : (m, n_x) array;  y : (m,) labels
    optimizer : name or :class:`npdnn.optimizers.Optimizer` (a fresh one per run when a name)
    learning_rate, batch_size, epochs, seed, **fit_kwargs : as for :func:`npdnn.train.loop.fit`

    Returns
    -------
    StepProfile
        Seconds per step of each part (see the module docstring).
    """
    from .options import make_optimizer

    def make_opt():
        return optimizer if not isinstance(optimizer, str) else make_optimizer(optimizer, learning_rate)

    callbacks = list(fit_kwargs.pop("callbacks", ()))
    kwargs = dict(batch_size=batch_size, epochs=epochs, seed=seed, **fit_kwargs)
    t0 = time.perf_counter()
    net.fit(X, y, optimizer=make_opt(), callbacks=callbacks, **kwargs)
    plain_s = time.perf_counter() - t0

    clock = _Clock()
    opt = make_opt()
    patched = _instrument(net, opt, clock)
    try:
        t0 = time.perf_counter()
        net.fit(X, y, optimizer=opt, callbacks=[*callbacks, _EpochEnd(clock)], **kwargs)
        total_s = time.perf_counter() - t0
    finally:
        _restore(patched)
    return _split(clock, total_s, plain_s)


def _instrument(net, opt, clock):
    """Wrap this network's and optimizer's methods; return what to put back."""
    timed_np = _timed_numpy(clock)
    modules = [
        m
        for name, m in list(sys.modules.items())
        if (name == "npdnn" or name.startswith("npdnn.")) and name != __name__ and getattr(m, "np", None) is np
    ]  # not this module: _restore needs its own np to be the real one
    for m in modules:
        m.np = timed_np

    def step_started(t0, t1):
        if clock.last_update_end is not None:
            clock.t["gather"] += t0 - clock.last_update_end  # gap since the last update: the gather
        clock.steps += 1

    def update_done(t0, t1):
        clock.last_update_end = t1

    objects = [net, opt]
    output = net.output
    net.output = types.SimpleNamespace(**{k: getattr(output, k) for k in dir(output) if not k.startswith("__")})
    clock.wrap(net.output, "cost_and_dZ", "loss")
    clock.wrap(net, "forward", "forward", phase="gemm_fwd")
    clock.wrap(net, "backward", "backward", phase="gemm_bwd")
    clock.wrap(net, "loss_and_gradients", "step_body", after=step_started)
    clock.wrap(opt, "step", "optimizer", after=update_done)
    return {"modules": modules, "objects": objects, "net": net, "output": output}


class _EpochEnd:
    """A fit callback: the time from an epoch's last update to its end (the end-of-epoch
    checks, validation) is "rest", so the next gap holds only the shuffle and the gather."""

    def __init__(self, clock):
        self.clock = clock

    def on_epoch_end(self, epoch, logs):
        clock = self.clock
        now = time.perf_counter()
        if clock.last_update_end is not None:
            clock.t["epoch_end"] += now - clock.last_update_end
        clock.last_update_end = now
        return False


def _restore(patched):
    for m in patched["modules"]:
        m.np = np
    for obj in patched["objects"]:
        for name in ("forward", "backward", "loss_and_gradients", "step"):
            obj.__dict__.pop(name, None)  # the class's method shows through again
    patched["net"].output = patched["output"]


def _split(clock, total_s, plain_s):
    t = clock.t
    n = max(clock.steps, 1)
    parts = {
        "gemm_fwd": t["gemm_fwd"],
        "gemm_bwd": t["gemm_bwd"],
        "elementwise": (t["forward"] - t["gemm_fwd"]) + (t["backward"] - t["gemm_bwd"]) + t["loss"],
        "optimizer": t["optimizer"],
        "gather": t["gather"],
    }
    parts["rest"] = max(total_s - sum(parts.values()), 0.0)
    per_step = {k: v / n for k, v in parts.items()}
    flops = {k: v / n for k, v in clock.flops.items()}
    return StepProfile(per_step, clock.steps, total_s, plain_s, flops)
