"""The softmax output (K >= 2 classes): gradient check and parity with torch's CrossEntropyLoss."""

import numpy as np
import pytest
import torch

import npdnn


def make_multiclass(m, n_x, K, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n_x))
    y = rng.integers(0, K, size=m)
    y[:K] = np.arange(K)
    return X, y


@pytest.mark.parametrize("K", [2, 3, 5])
@pytest.mark.parametrize("l2", [0.0, 0.4])
def test_softmax_gradcheck(K, l2):
    X, y = make_multiclass(15, 4, K, seed=K)
    net = npdnn.Network([4, 6, K], hidden_activation="tanh", seed=K)
    assert npdnn.gradcheck(net, X, y, l2=l2)["total"] < 1e-7


@pytest.mark.parametrize("K", [2, 4])
def test_softmax_matches_torch_cross_entropy(K):
    X, y = make_multiclass(30, 5, K, seed=10 + K)
    net = npdnn.Network([5, 7, 3, K], seed=K)
    P = {k: torch.tensor(np.array(v), requires_grad=True) for k, v in net.params.items()}
    A = torch.tensor(X.T)
    for l in (1, 2, 3):
        Z = P[f"W{l}"] @ A + P[f"b{l}"]
        A = torch.relu(Z) if l < 3 else Z
    J = torch.nn.functional.cross_entropy(A.T, torch.tensor(y))
    J.backward()
    np.testing.assert_allclose(net.cost(X, y), J.item(), rtol=1e-10)
    grads = net.gradients(X, y)
    for name, p in P.items():
        np.testing.assert_allclose(grads["d" + name], p.grad.numpy(), rtol=1e-10, atol=1e-14)
    proba = net.predict_proba(X)
    assert proba.shape == (30, K)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(net.predict(X), proba.argmax(axis=1))


def test_softmax_rejects_labels_out_of_range():
    X, _ = make_multiclass(4, 3, 3, seed=0)
    net = npdnn.Network([3, 3], seed=0)
    with pytest.raises(ValueError, match=r"labels in 0..2; got values \[3\]"):
        net.cost(X, np.array([0, 1, 2, 3]))


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
