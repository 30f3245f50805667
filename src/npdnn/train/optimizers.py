"""Optimizers that update a flat parameter vector in place from its gradient.

Each optimizer owns its state (velocity, moments, step count), allocated on the
first step with the parameters' shape and dtype. The update rules are those of
``torch.optim`` (no weight decay, no dampening; L2 is part of the cost instead):

- ``GD``:       ``theta -= lr * g``
- ``Momentum``: ``v = mu v + g`` (``v = g`` on the first step), then
  ``theta -= lr * v``, or with Nesterov ``theta -= lr * (g + mu v)``
- ``RMSProp``:  ``s = rho s + (1 - rho) g^2``, ``theta -= lr * g / (sqrt(s) + eps)``
- ``Adam``:     ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
  ``theta -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``

Updates use preallocated buffers and ``out=`` so a step allocates nothing, and run
over cache-sized blocks of :data:`CACHE_BLOCK` elements (see there; not to be confused with
prediction's row chunks, :mod:`npdnn.nn.chunking`).

Owns: the optimizers (element-wise updates only, so the cache blocks stay exact).
Imports: NumPy and :mod:`npdnn.checks` only.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import check_positive

# Elements per cache block of an update. An update is several whole-array passes (10 for
# Adam); over 2.1M float32 parameters its five 8 MB arrays do not stay in cache, so
# each pass streams them from memory again. Chunks of 2 MB per array are reused from
# cache between passes: Adam step 4.2 -> 3.4 ms on benchmark workload C, measured
# right after a GEMM as in training. Element-wise, so the result is bit-identical.
CACHE_BLOCK = 1 << 19


class Optimizer:
    """Base class: ``step(theta, grad)`` updates ``theta`` in place."""

    name = "optimizer"
    _state_names: tuple = ()

    def __init__(self, learning_rate):
        self.learning_rate = float(check_positive("learning_rate", learning_rate))
        self.t = 0
        self._tmp = None
        self._state = ()  # the state arrays in _state_names order, gathered once by _allocate
        for name in self._state_names:
            setattr(self, name, None)

    def step(self, theta, grad):
        """One update of ``theta`` (flat, in place) from ``grad`` (same shape)."""
        if self._tmp is None or self._tmp.shape != theta.shape:
            self._allocate(theta)
        self.t += 1
        state = self._state
        n = theta.shape[0]
        if theta.ndim != 1 or n <= CACHE_BLOCK:
            self._update(theta, grad, self._tmp, *state)
            return
        for i in range(0, n, CACHE_BLOCK):
            c = slice(i, i + CACHE_BLOCK)
            self._update(theta[c], grad[c], self._tmp[c], *(a[c] for a in state))

    def _allocate(self, theta):
        self._tmp = np.empty_like(theta)  # scratch, so a step allocates nothing
        for name in self._state_names:
            state = getattr(self, name)
            if state is None or state.shape != theta.shape:
                setattr(self, name, np.zeros_like(theta))
        # Once here, not per step (a tuple of getattr per step was ~1 us of A's ~12 us Adam step);
        # load_state_dict resets _tmp, so replaced state arrays are gathered again.
        self._state = tuple(getattr(self, name) for name in self._state_names)

    def _update(self, theta, grad, tmp, *state):
        """Update ``theta`` in place from ``grad``, using the scratch ``tmp`` and the
        state arrays (in ``_state_names`` order), all of one chunk's length."""
        raise NotImplementedError

    def state_dict(self):
        """Everything needed to continue exactly: step count, rate, state arrays."""
        state = {"t": self.t, "learning_rate": self.learning_rate}
        for name in self._state_names:
            if getattr(self, name) is not None:
                state[name] = getattr(self, name).copy()
        return state

    def load_state_dict(self, state):
        unknown = sorted(set(state) - {"t", "learning_rate", *self._state_names})
        if unknown:
            raise ValueError(
                f"{type(self).__name__} state has unknown entries {unknown}; expected t, learning_rate and "
                f"{list(self._state_names)}"
            )
        self.t = int(state["t"])
        self.learning_rate = float(state["learning_rate"])
        self._tmp = None
        for name in self._state_names:
            setattr(self, name, np.array(state[name]) if name in state else None)

    def hyperparameters(self):
        """The constructor's numbers (momentum, betas, epsilon, ...) besides the learning rate."""
        skip = {"t", "learning_rate", "_tmp", "_state", *self._state_names}
        return {k: v for k, v in vars(self).items() if k not in skip and isinstance(v, (bool, int, float))}

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


class GD(Optimizer):
    """Plain (mini-batch) gradient descent: ``theta -= lr * g``."""

    name = "gd"

    def _update(self, theta, grad, tmp):
        np.multiply(grad, self.learning_rate, out=tmp)
        theta -= tmp


class Momentum(Optimizer):
    """SGD with (optionally Nesterov) momentum, as ``torch.optim.SGD`` defines it."""

    name = "momentum"
    _state_names = ("velocity",)

    def __init__(self, learning_rate, momentum=0.9, nesterov=False):
        super().__init__(learning_rate)
        self.momentum = float(check_positive("momentum", momentum, allow_zero=True))
        self.nesterov = bool(nesterov)

    def _update(self, theta, grad, tmp, v):
        if self.t == 1:
            np.copyto(v, grad)
        else:
            v *= self.momentum
            v += grad
        if self.nesterov:
            np.multiply(v, self.momentum, out=tmp)
            tmp += grad
            tmp *= self.learning_rate
        else:
            np.multiply(v, self.learning_rate, out=tmp)  # one pass; copy-then-scale took two
        theta -= tmp

    def __repr__(self):
        return f"Momentum(learning_rate={self.learning_rate}, momentum={self.momentum}, nesterov={self.nesterov})"


class RMSProp(Optimizer):
    """RMSProp, as ``torch.optim.RMSprop`` (no centering, no momentum)."""

    name = "rmsprop"
    _state_names = ("square_avg",)

    def __init__(self, learning_rate, rho=0.99, epsilon=1e-8):
        super().__init__(learning_rate)
        self.rho = float(check_positive("rho", rho, allow_zero=True))
        self.epsilon = float(check_positive("epsilon", epsilon))

    def _update(self, theta, grad, tmp, s):
        s *= self.rho
        np.square(grad, out=tmp)  # a unary loop: faster than multiply(g, g)
        tmp *= 1.0 - self.rho
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += self.epsilon
        np.divide(grad, tmp, out=tmp)
        tmp *= self.learning_rate
        theta -= tmp


class Adam(Optimizer):
    """Adam with bias correction, as ``torch.optim.Adam`` (amsgrad off).

    torch keeps the moments as weighted averages, ``m = b1 m + (1 - b1) g`` and
    ``v = b2 v + (1 - b2) g^2``. This class keeps the weighted sums instead,
    ``m_sum = m / (1 - b1) = b1 m_sum + g`` and ``v_sum = v / (1 - b2) = b2 v_sum + g^2``
    (state names ``"m_sum"``, ``"v_sum"``): the factors ``1 - b`` move into the step's
    two scalars, and a step makes 10 whole-array passes instead of 12 (Adam step
    0.35 -> 0.30 ms at 235k float32 parameters). The update is the same, up to rounding:
    the parity tests hold it to torch's within 1e-9.
    """

    name = "adam"
    _state_names = ("m_sum", "v_sum")

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        for name, b in (("beta1", beta1), ("beta2", beta2)):
            if isinstance(b, bool) or not isinstance(b, (int, float, np.number)) or not 0 <= b < 1:
                raise ValueError(f"{name} must be a number in [0, 1); got {b!r}")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.epsilon = float(check_positive("epsilon", epsilon))

    def _update(self, theta, grad, tmp, m_sum, v_sum):
        b1, b2 = self.beta1, self.beta2
        m_sum *= b1
        m_sum += grad
        v_sum *= b2
        np.square(grad, out=tmp)  # a unary loop: faster than multiply(g, g)
        v_sum += tmp
        # theta -= lr m_hat / (sqrt(v_hat) + eps) with m_hat = (1 - b1) m_sum / (1 - b1^t) and
        # v_hat = (1 - b2) v_sum / (1 - b2^t); with k = sqrt((1 - b2^t) / (1 - b2)) this is
        # theta -= (lr k (1 - b1) / (1 - b1^t)) m_sum / (sqrt(v_sum) + eps k): two scalars
        k = math.sqrt((1.0 - b2**self.t) / (1.0 - b2))
        np.sqrt(v_sum, out=tmp)
        tmp += self.epsilon * k
        np.divide(m_sum, tmp, out=tmp)
        tmp *= self.learning_rate * k * (1.0 - b1) / (1.0 - b1**self.t)
        theta -= tmp


OPTIMIZERS = {
    "gd": GD,
    "sgd": GD,
    "momentum": Momentum,
    "nesterov": lambda lr: Momentum(lr, nesterov=True),
    "rmsprop": RMSProp,
    "adam": Adam,
}


def get_optimizer(optimizer, learning_rate):
    """An :class:`Optimizer` instance from an instance or a name (``learning_rate``
    then sets its rate)."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer in OPTIMIZERS:
        return OPTIMIZERS[optimizer](learning_rate)
    raise ValueError(
        f"unknown optimizer {optimizer!r}; expected an npdnn.optimizers.Optimizer or one of {sorted(OPTIMIZERS)}"
    )
