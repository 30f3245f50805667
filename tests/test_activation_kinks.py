"""Hidden activations at their kink, Z = 0 exactly: the gradient must follow PyTorch's
convention (ReLU: 0, leaky ReLU: the slope 0.01), which gradient checks by finite
differences cannot see (the derivative does not exist there)."""

import numpy as np
import pytest
import torch

import npdnn


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_gradient_at_z_equal_zero_matches_torch(activation):
    net = npdnn.Network([1, 2, 1], hidden_activation=activation, seed=0)
    net.params["W1"] = [[1.0], [-2.0]]
    net.params["b1"] = [[0.0], [0.0]]  # x = 0 gives Z1 = 0 in both units
    net.params["W2"] = [[0.5, -1.5]]
    net.params["b2"] = [[0.25]]
    X, y = np.array([[0.0], [1.0], [0.0]]), np.array([1, 0, 0])
    grads = net.gradients(X, y)

    P = {k: torch.tensor(np.array(v), requires_grad=True) for k, v in net.params.items()}
    Z1 = P["W1"] @ torch.tensor(X.T) + P["b1"]
    A1 = torch.relu(Z1) if activation == "relu" else torch.nn.functional.leaky_relu(Z1, 0.01)
    Z2 = P["W2"] @ A1 + P["b2"]
    J = torch.nn.functional.binary_cross_entropy_with_logits(Z2[0], torch.tensor(y, dtype=torch.float64))
    J.backward()
    for name, p in P.items():
        np.testing.assert_allclose(grads["d" + name], p.grad.numpy(), rtol=1e-12, atol=1e-15, err_msg=name)
