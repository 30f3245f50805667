"""BLAS threads for the training step, chosen by the size of its GEMMs.

Why: OpenBLAS splits a GEMM over every core once ``M N K`` passes 262,144 (A's and T's
are just past it). Two threads then gain little on an idle 2-core machine, and on a
busy one (``GridSearchCV(n_jobs=2)``, two fits at once, a shared server) each thread
waits for a core the other process holds and the epoch collapses: benchmarks/busy.py
measured it (benchmarks/README.md, "Busy machine"). So a step whose largest GEMM is
below :data:`SMALL_STEP_FLOPS` runs its batches on one BLAS thread; larger steps keep the
library's own choice. With ``NPDNN_BLAS_THREADS=load``, every step also runs on one
thread while the machine is busy: a 1-minute load average above the cores this process
may use, read at each epoch's start. Not the default, because the thread count changes
the last bits of a GEMM (OpenBLAS, measured: 1e-15 after two epochs of [300, 128, 64, 1]),
so a choice that follows the load would make a resumed run differ from an uninterrupted
one in the last bits; the size rule is the same on every run of one machine. The table is in benchmarks/README.md
("Busy machine"); one sighting: at load ~16 on this 2-core machine an epoch of [784, 256,
128, 1] took 54 s on two BLAS threads.

How, with a NumPy-only core: through ``threadpoolctl`` (a dependency of scikit-learn,
so present wherever the estimator is), imported lazily here and only here, the first
time a fit asks. Without it the limit is skipped and nothing else changes. The limit
covers the epoch's batches only (validation's large blocks keep every thread), and
``NPDNN_BLAS_THREADS`` overrides the choice: ``auto`` (the default) as above, ``load``
as above, ``off`` never limits, a number ``n`` limits every training step to n threads.

Results with one thread or two agree to rounding (tests/test_threads.py: 1e-12).

Owns: step_threads, limit_blas. Imports: the standard library; threadpoolctl lazily.
"""

from __future__ import annotations

import contextlib
import os
import sys

# Largest GEMM (2 m n_in n_out FLOPs at the batch size) that runs on one BLAS thread. On 2
# cores, idle: [108, 64, 32, 1] batch 256 (3.5 MFLOP) and [20, 64, 32, 1] (1 MFLOP) train as
# fast or faster on one thread; [784, 256, 128, 1] batch 256 (103 MFLOP) gains ~1.5x from two.
SMALL_STEP_FLOPS = 16e6
ENV = "NPDNN_BLAS_THREADS"

# threadpoolctl.ThreadpoolController, and whether SciPy's linalg was loaded when it was made: scanning the
# loaded libraries costs 3 ms (30 under load), so it is redone only once SciPy has loaded its own OpenBLAS,
# a second library with its own threads (the compiled step's numba calls it; so does scikit-learn).
_controller = None
_modules_seen = None


def largest_gemm_flops(layer_dims, batch):
    """FLOPs of the step's largest GEMM: ``2 b max_l(n_{l-1} n_l)``."""
    return 2.0 * batch * max(a * b for a, b in zip(layer_dims[:-1], layer_dims[1:], strict=True))


def busy():
    """Whether the 1-minute load average exceeds the cores this process may use."""
    try:
        return os.getloadavg()[0] > len(os.sched_getaffinity(0)) + 0.5
    except (OSError, AttributeError):  # no load average (Windows) or no affinity (macOS)
        return False


def step_threads(layer_dims, batch, env=None):
    """The BLAS threads for a training step of ``layer_dims`` at batch size ``batch``:
    1 for a small step (or, with ``load``, on a busy machine), None (the library's choice)
    otherwise, or what ``NPDNN_BLAS_THREADS`` says (see the module docstring; a value that
    is none of those raises ValueError). Asked again at each epoch's start."""
    value = (os.environ.get(ENV, "auto") if env is None else env).strip().lower()
    if value in ("", "auto", "load"):
        small = largest_gemm_flops(layer_dims, batch) < SMALL_STEP_FLOPS
        return 1 if small or (value == "load" and busy()) else None
    if value == "off":
        return None
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise ValueError(f"{ENV} must be 'auto', 'load', 'off' or a positive number of threads; got {value!r}")


def limit_blas(threads):
    """A context manager holding BLAS to ``threads`` (None: no limit) while it is open;
    a no-op when threadpoolctl is not installed."""
    global _controller, _modules_seen
    if threads is None:
        return contextlib.nullcontext()
    scipy_blas = "scipy.linalg" in sys.modules
    if _controller is None or scipy_blas != _modules_seen:
        try:
            from threadpoolctl import ThreadpoolController  # optional: scikit-learn brings it
        except ImportError:
            return contextlib.nullcontext()
        _controller, _modules_seen = ThreadpoolController(), scipy_blas
    return _controller.limit(limits=threads, user_api="blas")
