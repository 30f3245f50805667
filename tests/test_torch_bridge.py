"""Weights to and from PyTorch: npdnn -> torch -> npdnn is bit-exact, the torch module
computes what npdnn computes, torch-trained weights come back, and modules npdnn
cannot represent are refused with an error naming the module."""

import subprocess
import sys

import numpy as np
import pytest

from npdnn import Network

torch = pytest.importorskip("torch")
nn = torch.nn

ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid"]
TORCH_ACT = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.01), "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def random_network(seed, activation, n_L, dtype):
    rng = np.random.default_rng(seed)
    dims = [int(n) for n in rng.integers(1, 12, size=rng.integers(1, 5))] + [n_L]
    net = Network(dims, activation, seed=seed, dtype=dtype)
    net.theta[:] = rng.standard_normal(net.theta.size)  # nonzero biases too
    return net, rng


def torch_forward(module, X):
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_L", [1, 3])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_round_trip_is_bit_exact_and_forward_agrees(activation, n_L, dtype):
    net, rng = random_network(ACTIVATIONS.index(activation) + 10 * n_L, activation, n_L, dtype)
    module = net.to_torch()
    assert {p.dtype for p in module.parameters()} == {torch.float32 if dtype == np.float32 else torch.float64}
    back = Network.from_torch(module)
    assert back.layer_dims == net.layer_dims and back.dtype == net.dtype
    assert back.hidden_activation == (activation if net.L > 1 else "relu")
    assert back.theta.tobytes() == net.theta.tobytes()

    X = (3 * rng.standard_normal((40, net.n_features))).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    Z = torch_forward(module, X)  # logits (m, n_L)
    np.testing.assert_allclose(Z, net.decision_function(X).reshape(40, n_L), rtol=0, atol=tol * np.abs(Z).max())
    P = torch_forward(net.to_torch(probabilities=True), X)
    np.testing.assert_allclose(P.reshape(net.predict_proba(X).shape), net.predict_proba(X), rtol=0, atol=tol)
    assert Network.from_torch(net.to_torch(probabilities=True)).theta.tobytes() == net.theta.tobytes()


def test_torch_trained_weights_come_back():
    # A module built and trained in torch (not by to_torch), nested, with dropout and a bias-free layer.
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Sequential(nn.Linear(4, 6, dtype=torch.float64), nn.Tanh(), nn.Dropout(0.2)),
        nn.Linear(6, 5, bias=False, dtype=torch.float64),
        nn.Tanh(),
        nn.Linear(5, 3, dtype=torch.float64),
        nn.Softmax(dim=1),
    )
    X = torch.randn(64, 4, dtype=torch.float64)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    for _ in range(20):  # plain gradient descent (torch.optim's first use imports torch._dynamo: 7 s)
        module.zero_grad()
        nn.functional.nll_loss(torch.log(module(X)), y).backward()
        with torch.no_grad():
            for p in module.parameters():
                p -= 0.5 * p.grad
    module.eval()
    net = Network.from_torch(module)
    assert net.layer_dims == [4, 6, 5, 3] and net.hidden_activation == "tanh"
    assert not net.params["b2"].any()
    np.testing.assert_array_equal(net.params["W3"], module[3].weight.detach().numpy())
    np.testing.assert_allclose(net.predict_proba(X.numpy()), torch_forward(module, X.numpy()), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "module, match",
    [
        (lambda: nn.Linear(3, 1), r"expects a torch.nn.Sequential .*; got Linear"),
        (lambda: nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 1)), r"module 1 \(GELU.*\) is not supported"),
        (lambda: nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1)), r"negative_slope 0.01"),
        (lambda: nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1)), r"two Linear layers in a row"),
        (lambda: nn.Sequential(nn.ReLU(), nn.Linear(3, 1)), r"an activation must follow a Linear layer"),
        (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.ReLU()), r"ends in relu after"),
        (lambda: nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()), r"ends in sigmoid after its last Linear"),
        (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1)), r"one hidden"),
        (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 1)), r"layer 2 takes 5 inputs but layer 1"),
        (lambda: nn.Sequential(nn.Linear(3, 1).half()), r"must all be float32 or all float64; got \['torch.float16'\]"),
        (lambda: nn.Sequential(nn.Dropout()), r"found no Linear layer"),
        (lambda: nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=0)), r"Softmax\(dim=0\)\) is not supported"),
    ],
)
def test_unsupported_modules_raise_a_clear_error(module, match):
    with pytest.raises(ValueError, match=match):
        Network.from_torch(module())


def test_nonfinite_weights_are_refused():
    module = nn.Sequential(nn.Linear(2, 1))
    with torch.no_grad():
        module[0].weight[0, 1] = float("nan")
    with pytest.raises(ValueError, match=r"params\['W1'\] must hold finite real numbers"):
        Network.from_torch(module)


def test_torch_stays_optional():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import npdnn\n"
        "net = npdnn.Network([2, 3, 1], seed=0)\n"
        "net.predict([[1.0, 2.0]])\n"
        "try:\n    net.to_torch()\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "the PyTorch bridge needs torch; install it from https://pytorch.org"
