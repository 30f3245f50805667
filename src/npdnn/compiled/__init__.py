"""The compiled training step: the optional extra ``npdnn[fast]`` (numba).

With numba installed, :func:`npdnn.train.loop.fit` trains the configurations below with
one compiled call per mini-batch (:func:`npdnn.compiled.kernels.train_step`: forward,
cost and dZ_L, backward and the optimizer update, its GEMMs on BLAS, the element-wise
work fused into single passes) instead of the ~60 NumPy calls of the NumPy path.

Supported (anything else trains on the NumPy path, silently, with the same results):

- binary networks (``n_L = 1``, sigmoid output); softmax outputs are not compiled;
- hidden activations relu, leaky_relu, tanh, sigmoid;
- optimizers gd/sgd, momentum, nesterov, adam (the built-in classes, not subclasses);
- l2 of any size, sample and class weights, any batch size, any input layout (batches
  reach the step C-ordered whatever X's layout: npdnn.train.batching);
- no dropout (a dropout rate > 0 on any layer takes the NumPy path: its masks are drawn
  from the run's generator and stay there).

How, by the step's size alone (:class:`npdnn.compiled.step.CompiledStep`; the same on every
run of a configuration, so a resumed run takes the same form):

- small steps (largest GEMM ``2 b n_{l-1} n_l`` below 16 MFLOP, where BLAS runs on one thread:
  npdnn.train.threads) make one compiled call per mini-batch, its GEMMs through numba's
  ``np.dot`` (SciPy's BLAS): there the NumPy path's per-call dispatch is the cost;
- larger steps run their GEMMs through NumPy's ``np.matmul``, as the NumPy path does, and
  only the element-wise passes and the optimizer compiled (one vectorized pass each). Two
  BLAS libraries' thread pools spin against each other on few cores, and SciPy's took 2.6 ms
  for a GEMM NumPy's does in 1.8 (workload D's dW): on such steps the one-call form lost to
  the NumPy path (D: 0.77x), the split form cannot lose its GEMMs and only drops passes.

Off: ``fit(..., compiled=False)``, or ``NPDNN_COMPILED=0`` in the environment (which also
reaches a DNNClassifier). ``compiled=True`` raises ImportError when numba is missing.

The kernels are compiled on the first fit of each dtype and cached on disk by numba
(``cache=True``: ``__pycache__`` beside kernels.py, or ``NUMBA_CACHE_DIR``), so a
machine compiles them once; benchmarks/compiled_cost.py measures both costs.

What is kept: each call runs the NumPy path's element-wise operations in the same order
and dtype, so results match it to 1e-12 in float64 and 8 float32 eps of the largest parameter
on the tested networks (tests/test_compiled.py). Float32 Adam on larger ones drifts further:
on [300, 128, 1] up to 174 eps of max|theta| on 4 of 38,657 parameters, where a gradient near
zero makes m / sqrt(v) magnify a sum's last bit (sums such as db's run in another order
between the two paths). The epoch loop, its callbacks, checkpoints, resume, the
divergence checks and the batches are the NumPy path's own.

Owns: wanted, make_step. Imports: the standard library; :mod:`.step` (NumPy, numba) lazily.
"""

from __future__ import annotations

import importlib.util
import os

ENV = "NPDNN_COMPILED"
_numba = None  # whether numba can be imported, looked up once


def wanted(option):
    """Whether a fit with ``compiled=option`` (None: automatic) uses the compiled step when
    its configuration allows: False when turned off, True when numba is there."""
    global _numba
    if option is not None and not isinstance(option, bool):
        raise ValueError(f"compiled must be True, False or None (automatic); got {option!r}")
    if option is False or os.environ.get(ENV, "").strip().lower() in ("0", "false", "off", "no"):
        return False
    if _numba is None:
        _numba = importlib.util.find_spec("numba") is not None
    if option and not _numba:
        raise ImportError("compiled=True needs numba: pip install 'npdnn[fast]'")
    return _numba


def make_step(net, optimizer, l2, batch_size):
    """A :class:`npdnn.compiled.step.CompiledStep` for this fit, or None when its
    configuration is not supported (see the module docstring)."""
    from .step import CompiledStep  # imports numba

    return CompiledStep.build(net, optimizer, l2, batch_size)
