"""Weights to and from PyTorch: the same network as a ``torch.nn.Sequential``.

npdnn's ``W{l}`` (n_l, n_{l-1}) has the layout of ``nn.Linear.weight`` and ``b{l}``
(n_l, 1) holds ``nn.Linear.bias`` (n_l,) as a column, so the values move as they are,
bit for bit, in the network's dtype. The torch module takes rows, ``X`` (m, n_x), and
returns the logits ``Z_L.T`` (m, n_L), what ``BCEWithLogitsLoss`` / ``CrossEntropyLoss``
expect; ``probabilities=True`` appends the output ``Sigmoid`` or ``Softmax(dim=1)``.

torch is imported only inside these functions: it is not a dependency of npdnn.
"""

from __future__ import annotations

import numpy as np

from ..nn.activations import LEAKY_SLOPE


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("the PyTorch bridge needs torch; install it from https://pytorch.org") from None
    return torch


def _hidden_modules(nn):
    """hidden_activation -> a factory for the torch module, and back by class."""
    return {
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(LEAKY_SLOPE),
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
    }


def to_torch(net, probabilities=False):
    """``nn.Sequential(Linear, act, ..., Linear[, Sigmoid | Softmax(dim=1)])`` holding
    copies of ``net``'s parameters in its dtype (float32 -> torch.float32, ...).

    Parameters
    ----------
    net : npdnn.Network
    probabilities : bool
        Append the output activation, so the module returns probabilities (m, n_L)
        instead of logits.
    """
    torch = _torch()
    nn = torch.nn
    make_hidden = _hidden_modules(nn)[net.hidden_activation]
    dtype = torch.float32 if net.dtype == np.float32 else torch.float64
    modules = []
    L = len(net.dense)
    for l, dense in enumerate(net.dense, start=1):
        n_out, n_in = dense.W.shape
        linear = nn.Linear(n_in, n_out, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.array(dense.W)))  # (n_l, n_{l-1}), the same layout
            linear.bias.copy_(torch.from_numpy(np.array(dense.b[:, 0])))  # (n_l, 1) -> (n_l,)
        modules.append(linear)
        if l < L:
            modules.append(make_hidden())
    if probabilities:
        modules.append(nn.Sigmoid() if net.layer_dims[-1] == 1 else nn.Softmax(dim=1))
    return nn.Sequential(*modules)


def _flatten(module, nn):
    """The leaf modules of nested Sequentials, in order."""
    if isinstance(module, nn.Sequential):
        return [leaf for child in module for leaf in _flatten(child, nn)]
    return [module]


def _activation_name(module, nn, where):
    if isinstance(module, nn.LeakyReLU):
        if module.negative_slope != LEAKY_SLOPE:
            raise ValueError(f"{where} is not supported; npdnn's leaky_relu has negative_slope {LEAKY_SLOPE}")
        return "leaky_relu"
    for name, cls in (("relu", nn.ReLU), ("tanh", nn.Tanh), ("sigmoid", nn.Sigmoid)):
        if type(module) is cls:
            return name
    return None


def from_torch(module, cls):
    """A network of class ``cls`` (:meth:`npdnn.Network.from_torch` passes its own, so
    this module imports nothing above the activations) with the weights of ``module``,
    copied bit for bit.

    ``module`` is an ``nn.Sequential`` (nested ones are flattened) of ``Linear``
    layers with the same hidden activation between each two (``ReLU``,
    ``LeakyReLU(0.01)``, ``Tanh`` or ``Sigmoid``), optionally ending in the output
    ``Sigmoid`` (one output unit) or ``Softmax(dim=1)``; ``Dropout`` and ``Identity``
    are skipped (they are the identity at inference). Parameters must be float32 or
    float64. Anything else raises ValueError naming the module and its position.
    """
    torch = _torch()
    nn = torch.nn
    if not isinstance(module, nn.Sequential):
        raise ValueError(
            f"from_torch expects a torch.nn.Sequential of Linear layers and activations; got {type(module).__name__}"
        )
    leaves = [m for m in _flatten(module, nn) if not isinstance(m, (nn.Dropout, nn.Identity))]
    linears, activations = [], []
    for i, leaf in enumerate(leaves):
        where = f"module {i} ({leaf!r})"
        if isinstance(leaf, nn.Linear):
            if linears and len(activations) != len(linears):
                raise ValueError(f"{where}: two Linear layers in a row; npdnn needs an activation between them")
            linears.append(leaf)
            continue
        last = i == len(leaves) - 1
        if last and linears and len(activations) == len(linears) - 1 and _is_output(leaf, nn, linears[-1]):
            break  # the output activation: npdnn applies it in predict_proba
        name = _activation_name(leaf, nn, where)
        if name is None:
            raise ValueError(
                f"{where} is not supported; from_torch reads Linear layers with ReLU, LeakyReLU(0.01), Tanh or "
                "Sigmoid between them (and an optional output Sigmoid or Softmax(dim=1))"
            )
        if not linears or len(activations) == len(linears):
            raise ValueError(f"{where}: an activation must follow a Linear layer")
        activations.append(name)
    if not linears:
        raise ValueError("from_torch found no Linear layer in the module")
    if len(activations) == len(linears):
        raise ValueError(
            f"the module ends in {activations[-1]} after its last Linear layer; npdnn's output layer is linear "
            "(logits), optionally followed by Sigmoid (one unit) or Softmax(dim=1)"
        )
    if len(set(activations)) > 1:
        raise ValueError(f"npdnn uses one hidden activation for all layers; the module has {activations}")
    dims = [linears[0].in_features]
    for l, linear in enumerate(linears, start=1):
        if linear.in_features != dims[-1]:
            raise ValueError(
                f"Linear layer {l} takes {linear.in_features} inputs but layer {l - 1} gives {dims[-1]} outputs"
            )
        dims.append(linear.out_features)
    dtypes = {p.dtype for p in module.parameters()}
    if not dtypes <= {torch.float32, torch.float64} or len(dtypes) != 1:
        raise ValueError(f"parameters must all be float32 or all float64; got {sorted(str(d) for d in dtypes)}")
    dtype = np.float32 if dtypes == {torch.float32} else np.float64
    net = cls(dims, activations[0] if activations else "relu", seed=0, dtype=dtype)
    for l, linear in enumerate(linears, start=1):
        W = linear.weight.detach().cpu().numpy()
        b = np.zeros(W.shape[0], dtype) if linear.bias is None else linear.bias.detach().cpu().numpy()
        net.params[f"W{l}"] = W
        net.params[f"b{l}"] = b[:, None]  # (n_l,) -> (n_l, 1)
    return net


def _is_output(leaf, nn, last_linear):
    if type(leaf) is nn.Sigmoid:
        return last_linear.out_features == 1
    if isinstance(leaf, nn.Softmax):
        return leaf.dim in (1, -1) and last_linear.out_features >= 2
    return False
