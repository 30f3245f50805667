"""Build notebooks/tutorial.ipynb from the cells below, execute it and save it with outputs.

Run from the repository root: ``.venv/bin/python notebooks/build_tutorial.py``.
Edit the cells here, not in the .ipynb, so the notebook stays reproducible.
"""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

CELLS = [
    (
        "md",
        r"""# npdnn, step by step: a deep network for classification in NumPy

This notebook walks through the pipeline of the article npdnn grew from, on real data, calling the
library's own functions at every step. Where a cell writes an equation out in raw NumPy for teaching,
the next cell checks it against the library with `np.testing.assert_allclose`, so the notebook cannot
drift from the code (the test suite re-executes it).

**Notation.** `layer_dims` $= [n_x, n_1, \dots, n_L]$. Layer $l$ has weights $W^{[l]}$ of shape
$(n_l, n_{l-1})$ and biases $b^{[l]}$ of shape $(n_l, 1)$. Samples are **columns**: the input is
$A^{[0]} = X^T$ of shape $(n_x, m)$, and every $Z^{[l]}$, $A^{[l]}$ has shape $(n_l, m)$.
See [docs/how-it-works.md](../docs/how-it-works.md) for the map from each equation to the code.""",
    ),
    (
        "code",
        """import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, make_moons
from sklearn.model_selection import train_test_split

import npdnn
from npdnn import Network
from npdnn.nn.activations import relu, sigmoid

t_start = time.perf_counter()
np.set_printoptions(precision=4, suppress=True)""",
    ),
    (
        "md",
        r"""## 1. Load and standardize

Breast-cancer data: 569 tumours, 30 features, label 1 = benign. We hold out a **test** set (30%), touched
once at the very end, and split a **validation** set (20% of the rest) off the training rows: every
comparison below (regularization, optimizers) is made on the validation set, so the test accuracy stays an
honest estimate.

Gradient descent needs every feature at mean 0 and standard deviation 1: on the raw features (areas in the
thousands) its first steps are so large that every first-layer ReLU dies and the network predicts the
majority class for every row (npdnn warns when that happens). We standardize with the **training**
statistics (the validation and test sets must not leak into them): $x \leftarrow (x - \mu) / \sigma$.""",
    ),
    (
        "code",
        """X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.2, random_state=0, stratify=y_train)
mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
X_train, X_val, X_test = (X_train - mu) / sigma, (X_val - mu) / sigma, (X_test - mu) / sigma
print("X_train", X_train.shape, " X_val", X_val.shape, " X_test", X_test.shape)
print("share of class 1 in the training rows:", y_train.mean().round(3))""",
    ),
    (
        "md",
        r"""## 2. Initialize

For ReLU hidden layers npdnn uses **He initialization**: $W^{[l]} \sim \mathcal{N}(0, 2 / n_{l-1})$, and
$b^{[l]} = 0$. Random weights break the symmetry between units (with all-zero weights every unit of a
layer would compute, and learn, the same thing); the $\sqrt{2/n_{l-1}}$ scale keeps the variance of the
activations roughly constant from layer to layer.""",
    ),
    (
        "code",
        """net = Network([30, 16, 8, 1], hidden_activation="relu", seed=0)
for name, value in net.params.items():
    print(f"{name}: shape {value.shape}, std {value.std():.3f}")
print("He scale for W1: sqrt(2 / 30) =", round(np.sqrt(2 / 30), 3))""",
    ),
    ("md", "`net.summary()` gives the same bookkeeping as a table, with $m$ standing for the batch size:"),
    ("code", "print(net.summary())\nprint(net)"),
    (
        "md",
        r"""## 3. One forward pass

For $l = 1, \dots, L$:

$$Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}(Z^{[l]})$$

with $g = \mathrm{ReLU}(z) = \max(0, z)$ in the hidden layers and
$g^{[L]} = \sigma(z) = 1 / (1 + e^{-z})$ at the output, so $A^{[L]} = \hat{Y}$ is the probability of class 1.
The bias $b^{[l]}$ of shape $(n_l, 1)$ is broadcast over the $m$ columns. Here is the loop in raw NumPy:""",
    ),
    (
        "code",
        """A0 = X_train.T  # (n_x, m): one column per sample
A = A0
cache = {"A0": A0}
for l in range(1, net.L + 1):
    W, b = net.params[f"W{l}"], net.params[f"b{l}"]
    Z = W @ A + b
    A = relu(Z) if l < net.L else sigmoid(Z)
    cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    print(f"layer {l}: W{l} {W.shape} @ A{l - 1} {cache[f'A{l - 1}'].shape} + b{l} {b.shape} -> Z{l}, A{l} {Z.shape}")
AL = A""",
    ),
    (
        "md",
        r"""Check: the library's forward pass (`Network.forward` returns the output logits $Z^{[L]}$; the output
layer's sigmoid lives with the cost) and `predict_proba` give the same numbers.""",
    ),
    (
        "code",
        """np.testing.assert_allclose(net.forward(A0), cache[f"Z{net.L}"], rtol=1e-12, atol=1e-12)
np.testing.assert_allclose(net.predict_proba(X_train), AL[0], rtol=1e-12, atol=1e-12)
for dense in net.dense:  # each layer cached its own output during the forward pass
    expected = cache[f"Z{dense.index}"] if dense.activation is None else cache[f"A{dense.index}"]
    np.testing.assert_allclose(dense.A, expected)
print("raw NumPy forward pass == npdnn forward pass")""",
    ),
    (
        "md",
        r"""Shapes are the most common bug in a hand-written network. npdnn's errors name the layer, the shape it
expected, the shape it got and the rule. Feeding layer 2 an activation with one unit too few:""",
    ),
    (
        "code",
        """try:
    net.dense[1].forward(np.zeros((15, 4)))
except ValueError as error:
    print("ValueError:", error)
try:
    net.params["W2"] = np.zeros((8, 15))
except ValueError as error:
    print("ValueError:", error)""",
    ),
    (
        "md",
        r"""## 4. The cost

Binary cross-entropy, averaged over the $m$ samples:

$$J = -\frac{1}{m} \sum_{i=1}^{m} \left[ y^{(i)} \log a^{[L](i)} + (1 - y^{(i)}) \log (1 - a^{[L](i)}) \right]$$

(npdnn computes it from the logits $z$ as $\max(z, 0) - z y + \log(1 + e^{-|z|})$, the same value without
ever taking $\log 0$.)""",
    ),
    (
        "code",
        """m = X_train.shape[0]
Y = y_train[None, :]  # (1, m)
J_numpy = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
J_npdnn = net.cost(X_train, y_train)
print(f"raw NumPy J = {J_numpy:.6f}   net.cost = {J_npdnn:.6f}")
np.testing.assert_allclose(J_npdnn, J_numpy, rtol=1e-10)""",
    ),
    (
        "md",
        r"""## 5. One backward pass

Backpropagation walks the caches from the output back. For sigmoid + cross-entropy the derivative of the
cost with respect to the output logits simplifies to

$$dZ^{[L]} = \frac{1}{m}(A^{[L]} - Y).$$

Then for $l = L, \dots, 1$:

$$dW^{[l]} = dZ^{[l]} A^{[l-1]T}, \qquad db^{[l]} = \sum_{\text{columns}} dZ^{[l]}, \qquad
dA^{[l-1]} = W^{[l]T} dZ^{[l]}, \qquad dZ^{[l-1]} = dA^{[l-1]} \odot g'(Z^{[l-1]})$$

with $\mathrm{ReLU}'(z) = 1$ for $z > 0$, else $0$. The article writes the $\frac{1}{m}$ in $dW$ and $db$;
npdnn puts it once into $dZ^{[L]}$ (it then flows through every layer), which gives the same gradients.""",
    ),
    (
        "code",
        """grads_numpy = {}
dZ = (AL - Y) / m
for l in range(net.L, 0, -1):
    grads_numpy[f"dW{l}"] = dZ @ cache[f"A{l - 1}"].T
    grads_numpy[f"db{l}"] = dZ.sum(axis=1, keepdims=True)
    if l > 1:
        dA_prev = net.params[f"W{l}"].T @ dZ
        dZ = dA_prev * (cache[f"Z{l - 1}"] > 0)  # ReLU backward
for name in sorted(grads_numpy):
    print(f"{name}: shape {grads_numpy[name].shape}")""",
    ),
    (
        "code",
        """grads_npdnn = net.gradients(X_train, y_train)
for name, value in grads_numpy.items():
    np.testing.assert_allclose(grads_npdnn[name], value, rtol=1e-10, atol=1e-14)
print("raw NumPy backward pass == net.gradients")""",
    ),
    (
        "md",
        r"""## 6. Gradient check

Is the backward pass right? Compare it with central differences on every parameter $\theta_i$:

$$g^{\text{num}}_i = \frac{J(\theta + \varepsilon e_i) - J(\theta - \varepsilon e_i)}{2\varepsilon},
\qquad \text{relative difference} =
\frac{\lVert g - g^{\text{num}} \rVert_2}{\lVert g \rVert_2 + \lVert g^{\text{num}} \rVert_2}.$$

Below about $10^{-7}$ (float64) the gradient is right; a wrong derivative gives $10^{-2}$ or more.
`npdnn.gradcheck` does this for every array (on a small batch and network, since it costs two forward
passes per parameter).

One caveat: ReLU has a kink at $z = 0$. If a sample sits exactly on it (for instance a sample for which every
unit of a narrow layer is inactive, so the next layer's $Z$ equals its bias, still 0 at initialization), the
two one-sided slopes differ and the check reports a large difference for that bias although the
backward pass is right. The network below is wide enough to avoid it; the next cells show it happen.""",
    ),
    (
        "code",
        """small = Network([30, 16, 8, 1], seed=0)
report = npdnn.gradcheck(small, X_train[:40], y_train[:40], l2=0.1)
for name, rel in report.items():
    print(f"{name:>5}: {rel:.2e}")
assert report["total"] < 1e-7""",
    ),
    (
        "md",
        r"""Now the kink. The command `npdnn gradcheck --layers 10,3,2,1 --samples 40 --seed 0` builds a narrow ReLU
network (biases 0) and 40 random samples; on two of them all three units of layer 1 are inactive, so
$Z^{[2]} = W^{[2]} \cdot 0 + b^{[2]} = 0$ exactly, on the kink. The check fails on `b2`, and the command
says why and what to try.""",
    ),
    (
        "code",
        """import subprocess
import sys

run = subprocess.run(
    [sys.executable, "-m", "npdnn", "gradcheck", "--layers", "10,3,2,1", "--samples", "40", "--seed", "0"],
    capture_output=True,
    text=True,
)
print(run.stdout)
assert run.returncode == 1 and "likely cause: a kink of relu at 0" in run.stdout""",
    ),
    (
        "md",
        r"""The same case in Python, then one of the suggested fixes: non-zero biases move $Z^{[2]}$ off 0 and the
same backward pass passes the check (`npdnn.nn.gradcheck.kinks` counts the pre-activations near 0).""",
    ),
    (
        "code",
        """from npdnn.nn.gradcheck import explain, kinks

rng = np.random.default_rng(0)  # as the command builds it
kinked = Network([10, 3, 2, 1], "relu", seed=rng)
X_rand, y_rand = rng.standard_normal((40, 10)), rng.integers(0, 2, size=40)
report = npdnn.gradcheck(kinked, X_rand, y_rand)
print(f"b2: {report['b2']:.2e}, total: {report['total']:.2e}; pre-activations on the kink: {kinks(kinked, X_rand)}")
print("\\n".join(explain(kinked, X_rand, report)))
for l in range(1, kinked.L + 1):
    kinked.params[f"b{l}"] = np.full(kinked.params[f"b{l}"].shape, 0.1)
report = npdnn.gradcheck(kinked, X_rand, y_rand)
print(f"with biases 0.1: total {report['total']:.2e}; on the kink: {kinks(kinked, X_rand)}")
assert report["total"] < 1e-7""",
    ),
    (
        "md",
        r"""## 7. Training and the learning curve

Gradient descent repeats forward, cost, backward and the update

$$W^{[l]} \leftarrow W^{[l]} - \alpha\, dW^{[l]}, \qquad b^{[l]} \leftarrow b^{[l]} - \alpha\, db^{[l]}.$$

`net.fit` runs that loop (full batch and plain gradient descent here) and returns a history with the
cost of every epoch.""",
    ),
    (
        "code",
        """net = Network([30, 16, 8, 1], seed=0)
history = net.fit(X_train, y_train, optimizer="gd", learning_rate=0.1, epochs=300, seed=0)
print(f"cost: {history['loss'][0]:.4f} -> {history['loss'][-1]:.4f}")
train_accuracy, val_accuracy = np.mean(net.predict(X_train) == y_train), np.mean(net.predict(X_val) == y_val)
print(f"train accuracy {train_accuracy:.3f}, validation accuracy {val_accuracy:.3f}")
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(history["loss"])
ax.set(xlabel="epoch", ylabel="cost J", title="learning curve (gradient descent, alpha = 0.1)")
ax.grid(alpha=0.3)
plt.show()
plt.close(fig)""",
    ),
    (
        "md",
        r"""## 8. Decision boundaries and depth

On 2-D data we can see what the network learns. A network with no hidden layer is logistic regression:
its boundary $w^T x + b = 0$ is a straight line. Each hidden ReLU layer lets the boundary bend more.""",
    ),
    (
        "code",
        """X2, y2 = make_moons(n_samples=300, noise=0.25, random_state=0)
g0, g1 = np.meshgrid(np.linspace(-2, 3, 150), np.linspace(-1.5, 2, 150))
grid = np.column_stack([g0.ravel(), g1.ravel()])
architectures = [[2, 1], [2, 4, 1], [2, 16, 16, 1], [2, 32, 32, 32, 1]]
fig, axes = plt.subplots(1, len(architectures), figsize=(16, 3.6), sharey=True)
for ax, dims in zip(axes, architectures, strict=True):
    moons_net = Network(dims, seed=0)
    with warnings.catch_warnings():
        # the deep networks keep fitting the noise as long as they run (npdnn.ConvergenceWarning says
        # so); 400 epochs are enough to show the boundaries
        warnings.simplefilter("ignore", npdnn.ConvergenceWarning)
        moons_net.fit(X2, y2, optimizer="adam", learning_rate=0.02, epochs=400, seed=0)
    P = moons_net.predict_proba(grid).reshape(g0.shape)
    ax.contourf(g0, g1, P, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(g0, g1, P, levels=[0.5], colors="k", linewidths=1)
    ax.scatter(X2[:, 0], X2[:, 1], c=y2, cmap="RdBu_r", s=8, edgecolors="k", linewidths=0.3)
    accuracy = np.mean(moons_net.predict(X2) == y2)
    ax.set_title(f"{' -> '.join(map(str, dims))}\\ntrain accuracy {accuracy:.2f}")
plt.tight_layout()
plt.show()
plt.close(fig)""",
    ),
    (
        "md",
        r"""## 9. Against overfitting: L2 and dropout

With few training samples and a large network, the training cost keeps falling while the validation cost
turns back up. Two remedies from the article:

* **L2 regularization** adds $\frac{\lambda}{2m} \sum_l \lVert W^{[l]} \rVert_F^2$ to the cost, so
  $dW^{[l]}$ gains $\frac{\lambda}{m} W^{[l]}$ (weight decay): `fit(..., l2=lam)`.
* **Inverted dropout** keeps each hidden unit with probability $p = 1 - \text{rate}$ during training:
  $A^{[l]} \leftarrow A^{[l]} \odot D^{[l]} / p$ with a random 0/1 mask $D^{[l]}$, and the same mask in
  the backward pass. Dividing by $p$ keeps the expected activation unchanged, so prediction uses the
  network as is: `fit(..., dropout=rate)`.

We train on 80 samples only and record, after every epoch, the cost on the training set without the
penalty and dropout (a callback) and on the validation data (`history["val_loss"]`).""",
    ),
    (
        "code",
        """class TrainCost:
    \"\"\"Callback: the plain training cost (no L2 term, no dropout) after each epoch.\"\"\"

    def __init__(self, net, X, y):
        self.net, self.X, self.y, self.values = net, X, y, []

    def on_epoch_end(self, epoch, logs):
        self.values.append(self.net.cost(self.X, self.y))
        return False


X_small, y_small = X_train[:80], y_train[:80]
settings = {"no regularization": {}, "L2, lambda = 2": {"l2": 2.0}, "dropout 0.5": {"dropout": 0.5}}
fig, axes = plt.subplots(1, 3, figsize=(15, 3.6), sharey=True)
for ax, (label, options) in zip(axes, settings.items(), strict=True):
    big = Network([30, 128, 128, 1], seed=0)
    train_cost = TrainCost(big, X_small, y_small)
    history = big.fit(
        X_small,
        y_small,
        optimizer="adam",
        learning_rate=0.003,
        epochs=150,
        seed=0,
        validation_data=(X_val, y_val),
        callbacks=[train_cost],
        **options,
    )
    ax.plot(train_cost.values, label="training")
    ax.plot(history["val_loss"], label="validation")
    accuracy = np.mean(big.predict(X_val) == y_val)
    ax.set(title=f"{label}\\nvalidation accuracy {accuracy:.3f}", xlabel="epoch", ylabel="cost J", ylim=(0, 0.5))
    ax.grid(alpha=0.3)
    ax.legend()
plt.tight_layout()
plt.show()
plt.close(fig)""",
    ),
    (
        "md",
        r"""Without regularization the training cost goes to 0 while the validation cost climbs back up after a few
epochs: the network memorizes the 80 samples. The L2 penalty keeps the weights small and holds the
validation cost near its minimum. Dropout slows the memorization down (a noisier training curve, a later
rise) but with this little data and this many epochs it does not stop it; combine it with
`early_stopping=True`, which keeps the parameters of the best validation epoch.""",
    ),
    (
        "md",
        r"""## 10. Optimizers

With mini-batches of size $b$ each step uses the gradient of the cost on $b$ samples (the same equations
with $m = b$). Beyond plain gradient descent, the article's optimizers keep running averages of the
gradients $g$:

* **momentum** (PyTorch's form, which npdnn uses): $v \leftarrow \mu v + g$, $\theta \leftarrow \theta - \alpha v$
  (the article's $v \leftarrow \beta v + (1 - \beta) g$ is the same with a learning rate scaled by $1 - \beta$)
* **RMSProp**: $s \leftarrow \rho s + (1 - \rho) g^2$, $\theta \leftarrow \theta - \alpha g / (\sqrt{s} + \varepsilon)$
* **Adam**: both, with bias correction: $\hat v = v / (1 - \beta_1^t)$, $\hat s = s / (1 - \beta_2^t)$,
  $\theta \leftarrow \theta - \alpha \hat v / (\sqrt{\hat s} + \varepsilon)$

(npdnn's code for each is in `src/npdnn/train/optimizers.py`; Adam folds the bias corrections into the step size.)""",
    ),
    (
        "code",
        """rates = {"gd": 0.05, "momentum": 0.05, "rmsprop": 0.002, "adam": 0.002}
fig, ax = plt.subplots(figsize=(6, 3.6))
for name, rate in rates.items():
    opt_net = Network([30, 16, 8, 1], seed=0)
    with warnings.catch_warnings():
        # 40 epochs on purpose: the curves compare speed, so the runs stop before converging
        warnings.simplefilter("ignore", npdnn.ConvergenceWarning)
        history = opt_net.fit(X_train, y_train, optimizer=name, learning_rate=rate, epochs=40, batch_size=64, seed=0)
    ax.plot(history["loss"], label=f"{name} (alpha = {rate})")
    accuracy = np.mean(opt_net.predict(X_val) == y_val)
    print(f"{name:>8}: final cost {history['loss'][-1]:.4f}, validation accuracy {accuracy:.3f}")
ax.set(xlabel="epoch", ylabel="mini-batch cost", yscale="log", title="optimizers, mini-batches of 64")
ax.grid(alpha=0.3)
ax.legend()
plt.show()
plt.close(fig)""",
    ),
    (
        "md",
        r"""At the same $\alpha$, momentum in this form takes steps up to $1 / (1 - \mu) = 10$ times those of plain
gradient descent once $v$ has built up, which is most of its head start here. RMSProp and Adam divide by
$\sqrt{s}$, so their steps have roughly the size $\alpha$ whatever the scale of the gradient: they need a
much smaller $\alpha$ and are much less sensitive to it. The rates here are chosen by hand for 40 epochs;
compare the curves with other values of `rates`.""",
    ),
    (
        "md",
        r"""## 11. The three-line version

Everything above, wrapped as a scikit-learn estimator (`npdnn.DNNClassifier`): it standardizes if asked,
builds the network from `hidden_layer_sizes`, trains it with Adam on mini-batches (here with early stopping
on a validation split of its own) and exposes
`fit` / `predict` / `predict_proba` / `score`, so it works with pipelines and cross-validation. With the
choices made on the validation set, the test set is used once, here.""",
    ),
    (
        "code",
        """X_raw, y_raw = load_breast_cancer(return_X_y=True)
Xr_train, Xr_test, yr_train, yr_test = train_test_split(X_raw, y_raw, test_size=0.3, random_state=0, stratify=y_raw)
clf = npdnn.DNNClassifier(hidden_layer_sizes=(16, 8), epochs=300, early_stopping=True, standardize=True, random_state=0)
clf.fit(Xr_train, yr_train)
print(f"stopped after {clf.n_iter_} epochs, best validation accuracy {clf.best_validation_score_:.3f}")
print(f"test accuracy: {clf.score(Xr_test, yr_test):.3f}")""",
    ),
    ("code", 'print(f"notebook ran in {time.perf_counter() - t_start:.1f} s")'),
]


def build():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src) for kind, src in CELLS
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


if __name__ == "__main__":
    notebook = build()
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(notebook, HERE / "tutorial.ipynb")
    print("wrote", HERE / "tutorial.ipynb")
