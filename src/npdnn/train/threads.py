"""BLAS threads for the training step, chosen by the size of its GEMMs.

Why: OpenBLAS splits a GEMM over every core once ``M N K`` passes 262,144 (A's and T's
are just past it). Two threads then gain little on an idle 2-core machine, and on a
busy one (``GridSearchCV(n_jobs=2)``, two fits at once, a shared server) each thread
waits for a core the other process holds and the epoch collapses: benchmarks/busy.py
measured it (benchmarks/README.md, "Busy machine"). So a step whose largest GEMM is
below :data:`SMALL_STEP_FLOPS` runs its batches on one BLAS thread; larger steps keep
the library's own choice.

How, with a NumPy-only core: through ``threadpoolctl`` (a dependency of scikit-learn,
so present wherever the estimator is), imported lazily here and only here, the first
time a fit asks. Without it the limit is skipped and nothing else changes. The limit
covers the epoch's batches only (validation's large blocks keep every thread), and
``NPDNN_BLAS_THREADS`` overrides the choice: ``0`` or ``auto`` (the default) as above,
``off`` never limits, a number ``n`` limits every training step to n threads.

The thread count changes only how a GEMM's work is split; OpenBLAS's kernels sum each
element in the same order whatever the threads (tests/test_threads.py checks the
parameters bit for bit on this machine), but DESIGN.md's rule holds: results are
promised to a tolerance across machines, not bits.

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

# threadpoolctl.ThreadpoolController and len(sys.modules) when it was made: scanning the loaded libraries
# costs 1-3 ms, so it is redone only after new modules were imported (they may have loaded another BLAS:
# the compiled step's numba calls SciPy's OpenBLAS, a second library, with its own threads).
_controller = None
_modules_seen = -1


def largest_gemm_flops(layer_dims, batch):
    """FLOPs of the step's largest GEMM: ``2 b max_l(n_{l-1} n_l)``."""
    return 2.0 * batch * max(a * b for a, b in zip(layer_dims[:-1], layer_dims[1:], strict=True))


def step_threads(layer_dims, batch, env=None):
    """The BLAS threads for a training step of ``layer_dims`` at batch size ``batch``:
    1 for a small step, None (the library's choice) otherwise, or what ``NPDNN_BLAS_THREADS``
    says (see the module docstring; a value that is none of those raises ValueError)."""
    value = (os.environ.get(ENV, "auto") if env is None else env).strip().lower()
    if value in ("", "0", "auto"):
        return 1 if largest_gemm_flops(layer_dims, batch) < SMALL_STEP_FLOPS else None
    if value == "off":
        return None
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise ValueError(f"{ENV} must be 'auto', 'off' or a positive number of threads; got {value!r}")


def limit_blas(threads):
    """A context manager holding BLAS to ``threads`` (None: no limit) while it is open;
    a no-op when threadpoolctl is not installed."""
    global _controller, _modules_seen
    if threads is None:
        return contextlib.nullcontext()
    if _controller is None or len(sys.modules) != _modules_seen:
        try:
            from threadpoolctl import ThreadpoolController  # optional: scikit-learn brings it
        except ImportError:
            return contextlib.nullcontext()
        _controller, _modules_seen = ThreadpoolController(), len(sys.modules)
    return _controller.limit(limits=threads, user_api="blas")
