"""Parity of every npdnn optimizer with torch.optim over 50 steps (float64)."""

import numpy as np
import pytest
import torch

import npdnn

from conftest import make_data

pytestmark = pytest.mark.numerics  # BLAS-kernel dependent: CI reruns it with OPENBLAS_CORETYPE=Haswell

RTOL, ATOL = 1e-9, 1e-12
LR = {"gd": 0.05, "momentum": 0.02, "nesterov": 0.02, "rmsprop": 0.002, "adam": 0.005}


def torch_optimizer(name, params, lr):
    if name == "gd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise AssertionError(name)


def torch_model(net):
    layers = []
    for l in range(1, net.L + 1):
        W = net.params[f"W{l}"]
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(np.array(W)))
            lin.bias.copy_(torch.tensor(np.array(net.params[f"b{l}"][:, 0])))
        layers.append(lin)
        if l < net.L:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers), [m for m in layers if isinstance(m, torch.nn.Linear)]


def torch_loss(model, linears, X, y, l2):
    logits = model(torch.tensor(X))[:, 0]
    J = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(y, dtype=torch.float64))
    if l2:
        J = J + l2 / (2 * X.shape[0]) * sum((lin.weight**2).sum() for lin in linears)
    return J


def torch_train(net, X, y, name, lr, l2, batch_size, epochs):
    model, linears = torch_model(net)
    opt = torch_optimizer(name, model.parameters(), lr)
    m = X.shape[0]
    b = m if batch_size is None else batch_size
    losses = []
    for _ in range(epochs):
        for start in range(0, m, b):
            opt.zero_grad()
            J = torch_loss(model, linears, X[start : start + b], y[start : start + b], l2)
            losses.append(J.item())
            J.backward()
            opt.step()
    final = {}
    for l, lin in enumerate(linears, start=1):
        final[f"W{l}"] = lin.weight.detach().numpy().copy()
        final[f"b{l}"] = lin.bias.detach().numpy()[:, None].copy()
    return final, losses


def assert_params_close(net, expected):
    for key, value in expected.items():
        np.testing.assert_allclose(net.params[key], value, rtol=RTOL, atol=ATOL, err_msg=key)


# Both paths of fit: the NumPy optimizers (compiled=False, what a default install without numba
# runs) and the automatic choice (the compiled step of npdnn[fast] where numba is installed, as in
# the test environment, which would otherwise leave the NumPy updates untested against torch).
PATHS = pytest.mark.parametrize("compiled", [False, None], ids=["numpy", "auto"])


@PATHS
@pytest.mark.parametrize("l2", [0.0, 0.7])
@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "rmsprop", "adam"])
def test_full_batch_matches_torch_for_50_steps(name, l2, compiled):
    X, y = make_data(48, 5, seed=11)
    net = npdnn.Network([5, 8, 6, 1], seed=11)
    expected, losses = torch_train(net, X, y, name, LR[name], l2, None, 50)
    history = net.fit(X, y, optimizer=name, learning_rate=LR[name], epochs=50, l2=l2, compiled=compiled)
    assert len(history["loss"]) == 50
    np.testing.assert_allclose(history["loss"], losses, rtol=RTOL, atol=ATOL)
    assert_params_close(net, expected)


@PATHS
@pytest.mark.parametrize("l2", [0.0, 0.7])
@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "rmsprop", "adam"])
def test_mini_batch_in_order_matches_torch(name, l2, compiled):
    # m = 53 with batches of 16: 16, 16, 16, 5 per epoch -> 52 steps over 13 epochs
    X, y = make_data(53, 5, seed=12)
    net = npdnn.Network([5, 8, 6, 1], seed=12)
    expected, losses = torch_train(net, X, y, name, LR[name], l2, 16, 13)
    assert len(losses) == 52
    history = net.fit(
        X, y, optimizer=name, learning_rate=LR[name], epochs=13, batch_size=16, shuffle=False, l2=l2, compiled=compiled
    )
    assert len(history["loss"]) == 13
    assert_params_close(net, expected)
    # the epoch loss is the batch costs weighted by each batch's share of the samples
    sizes = np.array([16, 16, 16, 5]) / 53
    per_epoch = np.asarray(losses).reshape(13, 4) @ sizes
    np.testing.assert_allclose(history["loss"], per_epoch, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ["gd", "adam"])
def test_shuffled_mini_batches_are_reproducible(name):
    X, y = make_data(53, 5, seed=13)
    runs = []
    for seed in (5, 5, 6):
        net = npdnn.Network([5, 8, 1], seed=0)
        history = net.fit(X, y, optimizer=name, learning_rate=0.01, epochs=5, batch_size=16, seed=seed)
        runs.append((net.theta.copy(), history["loss"]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    assert not np.array_equal(runs[0][0], runs[2][0])
    assert runs[0][1] != runs[2][1]


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "rmsprop", "adam"])
def test_chunked_updates_match_torch(name, monkeypatch):
    # Large parameter vectors are updated in chunks (optimizers.CACHE_BLOCK); a chunk of 13
    # elements here cuts through every W and b of this 111-parameter network.
    monkeypatch.setattr(npdnn.optimizers, "CACHE_BLOCK", 13)
    X, y = make_data(48, 5, seed=14)
    net = npdnn.Network([5, 8, 6, 1], seed=14)
    expected, _ = torch_train(net, X, y, name, LR[name], 0.0, None, 20)
    net.fit(X, y, optimizer=name, learning_rate=LR[name], epochs=20)
    assert_params_close(net, expected)


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "rmsprop", "adam"])
def test_chunked_updates_are_bit_identical(name, monkeypatch):
    rng = np.random.default_rng(15)
    theta0 = rng.standard_normal(1000).astype(np.float32)
    grads = rng.standard_normal((6, 1000)).astype(np.float32)
    results = []
    for chunk in (1 << 19, 97, 1000, 999):
        monkeypatch.setattr(npdnn.optimizers, "CACHE_BLOCK", chunk)
        opt = npdnn.optimizers.get_optimizer(name, 0.01)
        theta = theta0.copy()
        for g in grads:
            opt.step(theta, g)
        assert theta.dtype == np.float32
        state = opt.state_dict()
        results.append((theta, [state[k] for k in opt._state_names]))
    for theta, state in results[1:]:
        np.testing.assert_array_equal(theta, results[0][0])
        for a, b in zip(state, results[0][1], strict=True):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(results[0][0], theta0)


def test_adam_continues_from_torch_state():
    # Adam keeps the weighted sums m / (1 - b1) and v / (1 - b2) of torch's averages: torch's own
    # state after 7 steps, converted so, must continue exactly as torch does.
    rng = np.random.default_rng(16)
    grads = rng.standard_normal((15, 40))
    p = torch.tensor(rng.standard_normal(40), requires_grad=True)
    opt_t = torch.optim.Adam([p], lr=0.01, betas=(0.8, 0.99))
    for g in grads[:7]:
        p.grad = torch.tensor(g)
        opt_t.step()
    st = opt_t.state[p]
    ours = npdnn.optimizers.Adam(0.01, beta1=0.8, beta2=0.99)
    m_sum, v_sum = st["exp_avg"].numpy() / (1 - 0.8), st["exp_avg_sq"].numpy() / (1 - 0.99)
    ours.load_state_dict({"t": 7, "learning_rate": 0.01, "m_sum": m_sum, "v_sum": v_sum})
    theta = p.detach().numpy().copy()
    for g in grads[7:]:
        p.grad = torch.tensor(g)
        opt_t.step()
        ours.step(theta, g)
    np.testing.assert_allclose(theta, p.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert set(ours.state_dict()) == {"t", "learning_rate", "m_sum", "v_sum"}
