"""Parity with PyTorch autograd and torch.optim.SGD on the same weights and data (float64)."""

import numpy as np
import pytest
import torch

import npdnn

from conftest import make_data

pytestmark = pytest.mark.numerics  # BLAS-kernel dependent: CI reruns it with OPENBLAS_CORETYPE=Haswell

TORCH_ACT = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
}


def torch_params(net):
    return {k: torch.tensor(np.array(v), dtype=torch.float64, requires_grad=True) for k, v in net.params.items()}


def torch_cost(P, X, y, L, activation, l2):
    A = torch.tensor(X.T)
    for l in range(1, L + 1):
        Z = P[f"W{l}"] @ A + P[f"b{l}"]
        A = TORCH_ACT[activation](Z) if l < L else Z
    Y = torch.tensor(y, dtype=torch.float64)[None, :]
    J = torch.nn.functional.binary_cross_entropy_with_logits(A, Y)
    if l2:
        J = J + l2 / (2 * X.shape[0]) * sum((P[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
    return J


@pytest.mark.parametrize("trial", range(8))
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_cost_and_gradients_match_autograd(trial, l2):
    rng = np.random.default_rng(100 + trial)
    depth = int(rng.integers(1, 6))
    dims = [int(rng.integers(1, 9))] + [int(n) for n in rng.integers(1, 12, size=depth - 1)] + [1]
    activation = sorted(TORCH_ACT)[trial % 4]
    X, y = make_data(int(rng.integers(2, 40)), dims[0], seed=trial)
    net = npdnn.Network(dims, hidden_activation=activation, seed=trial)
    P = torch_params(net)
    J_torch = torch_cost(P, X, y, net.L, activation, l2)
    J_torch.backward()
    np.testing.assert_allclose(net.cost(X, y, l2=l2), J_torch.item(), rtol=1e-10)
    grads = net.gradients(X, y, l2=l2)
    for name, p in P.items():
        np.testing.assert_allclose(grads["d" + name], p.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_fit_matches_torch_sgd_for_50_steps():
    X, y = make_data(64, 7, seed=3)
    net = npdnn.Network([7, 10, 5, 1], seed=3)
    P = torch_params(net)
    opt = torch.optim.SGD(list(P.values()), lr=0.05)
    torch_losses = []
    for _ in range(50):
        opt.zero_grad()
        J = torch_cost(P, X, y, net.L, "relu", 0.0)
        J.backward()
        torch_losses.append(J.item())
        opt.step()
    history = net.fit(X, y, learning_rate=0.05, epochs=50)
    np.testing.assert_allclose(history["loss"], torch_losses, rtol=1e-9)
    for name, p in P.items():
        np.testing.assert_allclose(net.params[name], p.detach().numpy(), rtol=1e-9, atol=1e-13)
