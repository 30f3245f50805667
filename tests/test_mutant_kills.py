"""Tests written for mutants that survived `make mutate` (docs/testing.md lists each
mutant and its test). Each pins a value through the public API."""

import numpy as np
import pytest
import torch

import npdnn
from npdnn import optimizers


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("K", [3, 4])
def test_weighted_softmax_cost_is_the_weighted_mean_of_torch_cross_entropies(K):
    # The per-sample sum runs over the classes (axis 0) before the weights: summing over
    # everything, or over the samples, gives the same number with weights 1/m but not here.
    rng = np.random.default_rng(K)
    X, y = rng.standard_normal((7, 3)), np.arange(7) % K
    w = np.array([4.0, 0.5, 1.0, 3.0, 0.25, 2.0, 1.0])
    net = npdnn.Network([3, 5, K], seed=K)
    logits = torch.tensor(net.decision_function(X))
    per_sample = torch.nn.functional.cross_entropy(logits, torch.tensor(y), reduction="none").numpy()
    expected = float(np.sum(w * per_sample) / w.sum())
    assert net.cost(X, y, sample_weight=w) == pytest.approx(expected, rel=1e-12)
    # the training step's fused cost: the epoch loss of one full batch at a learning rate of ~0
    history = net.fit(X, y, optimizer="gd", learning_rate=1e-300, epochs=1, sample_weight=w)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- optimizers
@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda v: optimizers.RMSProp(0.01, rho=v), "rho"),
        (lambda v: optimizers.Momentum(0.01, momentum=v), "momentum"),
    ],
)
def test_optimizer_coefficients_may_be_zero_but_not_negative(make, name):
    assert make(0.0) is not None  # zero is a valid coefficient: plain gradient scaling / no momentum
    with pytest.raises(ValueError, match=rf"^{name} must be a number >= 0; got -0\.1$"):
        make(-0.1)
