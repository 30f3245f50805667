"""Build notebooks/diagnostics.ipynb (the chapter "seeing inside training") from the cells
below, execute it and save it with outputs; the figures also go to docs/img/.

Run from the repository root: ``.venv/bin/python notebooks/build_diagnostics.py``.
Edit the cells here, not in the .ipynb. ``tests/test_notebook.py`` re-executes the notebook.
"""

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

CELLS = [
    (
        "md",
        r"""# Seeing inside training: dead ReLUs, vanishing and exploding gradients

A loss that stalls says *that* something is wrong, not *what*. This chapter produces four classic
failures on purpose, each next to a healthy run, and looks at them with
`npdnn.callbacks.Diagnostics`, which records per layer and per epoch:

- `||W||` and the gradient per weight (`rms of dW`, from the epoch's last step),
- the update/weight ratio `||ΔW|| / ||W||` over the epoch,
- the mean and std of `Z` and `A` on a *probe* batch,
- the share of ReLU units that are dead (never active on the probe) and of sigmoid/tanh units saturated.

`plot_diagnostics(history, path)` draws them; when something looks wrong, a `LayerWarning` names the
cause. See [docs/diagnostics.md](../docs/diagnostics.md) for the definitions and thresholds.""",
    ),
    (
        "code",
        """import os
import tempfile
import warnings
from pathlib import Path

from IPython.display import Image, display
from sklearn.datasets import load_breast_cancer

from npdnn import Network
from npdnn.callbacks import Diagnostics
from npdnn.cli.layer_plots import plot_diagnostics

X_raw, y = load_breast_cancer(return_X_y=True)
X = (X_raw - X_raw.mean(axis=0)) / X_raw.std(axis=0)  # standardized: every feature mean 0, std 1
OUT = Path(os.environ.get("NPDNN_DIAGNOSTICS_IMG") or tempfile.mkdtemp())
DEEP = [30, 20, 20, 20, 20, 20, 1]  # five hidden layers


def train(dims, X, activation="relu", init=None, **fit):
    \"\"\"Train a fresh network with Diagnostics; return the history and the layer warnings' texts.\"\"\"
    net = Network(dims, hidden_activation=activation, init=init, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = net.fit(X, y, seed=0, diagnostics=False, callbacks=[Diagnostics(probe=X[:256])], **fit)
    said = [str(w.message) for w in caught if w.category.__name__ == "LayerWarning"]
    print(f"final loss {history['loss'][-1]:.4f}")
    for message in said:
        print("LayerWarning:", message)
    return history, said


def show(history, name, title):
    path = OUT / f"diagnostics-{name}.png"
    plot_diagnostics(history, path, title=title)
    display(Image(filename=str(path)))""",
    ),
    (
        "md",
        r"""## 1. The article's `* 0.01` initialization in a deep network, against He

`W = np.random.randn(n_l, n_prev) * 0.01` works for two layers. Through five, each layer multiplies
the signal by about `0.01 * sqrt(20) / sqrt(2) ≈ 0.03`: `Z` shrinks layer after layer going forward,
and the gradient shrinks layer after layer going back. He initialization (`* sqrt(2 / n_prev)`) keeps
the std of `Z` near 1 in every layer.""",
    ),
    (
        "code",
        """small, said_small = train(DEEP, X, init="small", epochs=60, learning_rate=0.05)
assert any("vanishing" in m for m in said_small)
show(small, "small-init", "init * 0.01 in a 5-hidden-layer ReLU network")""",
    ),
    (
        "md",
        r"""Read it: *std of Z* falls by ~30x per layer (1e-2 in layer 1, ~1e-9 at the output); *rms of dW* sits
near 1e-9 for the first layers while the output layer's grows to 1e-4: the first layers receive
almost nothing, so they do not move (*update ratio* ~1e-8), and the loss stays at the prior's ~0.66.
The warning says it in words. Now He:""",
    ),
    (
        "code",
        """he, said_he = train(DEEP, X, init="he", epochs=60, learning_rate=0.05)
assert said_he == []
show(he, "he-init", "He initialization, same network")""",
    ),
    (
        "md",
        r"""Every layer's *std of Z* stays between 1 and 5, gradients are of one size in all layers, updates are
~1e-3 of the weights per epoch (the classic healthy value), and the loss falls to ~0.1.

## 2. Sigmoid hidden layers, against ReLU

Sigmoid's derivative is at most 1/4: each sigmoid layer the gradient goes back through divides it by 4
or more, and its outputs are centred at 0.5, not 0.""",
    ),
    (
        "code",
        """sig, said_sig = train(DEEP, X, activation="sigmoid", epochs=60, learning_rate=0.05)
assert any("vanishing" in m for m in said_sig)
show(sig, "sigmoid-hidden", "sigmoid hidden layers (He's ReLU run above for comparison)")""",
    ),
    (
        "md",
        r"""The gradient per weight falls ~4x per layer from the output back to layer 1 at the start, and the
loss barely moves in 60 epochs; the *mean of A* panel shows every hidden layer sitting near 0.5. The
ReLU network with He initialization (section 1) learned in the same budget.

## 3. A learning rate that kills ReLUs

One step that is too large can push a ReLU unit's bias and weights so that `Z <= 0` on every sample.
Its gradient is then exactly 0 forever: the unit is dead, and no learning rate brings it back.""",
    ),
    (
        "code",
        """killed, said_killed = train([30, 50, 50, 1], X, epochs=30, learning_rate=5.0)
assert any("ReLU units dead" in m for m in said_killed)
show(killed, "lr-kills-relu", "learning rate 5.0: the ReLUs die")""",
    ),
    (
        "code",
        """fine, said_fine = train([30, 50, 50, 1], X, epochs=30, learning_rate=0.05)
assert said_fine == []
show(fine, "lr-fine", "learning rate 0.05: the same network, healthy")""",
    ),
    (
        "md",
        r"""With 5.0, the first epochs move the weights by several times their own size (*update ratio* > 1), then
the *dead* panel jumps to 100% for layer 2 and every gradient is exactly 0 (the lines leave the log
axes). With 0.05 no unit dies.

## 4. Exploding activations and gradients without input normalization

The breast-cancer features range from ~0.001 to ~4000. Fed raw, layer 1's `Z` has a std in the hundreds,
the first gradients are huge, and the first steps throw the ReLUs into the dead zone.""",
    ),
    (
        "code",
        """raw, said_raw = train([30, 20, 20, 1], X_raw, epochs=30)
assert any("not standardized" in m for m in said_raw)
show(raw, "unnormalized", "raw features (not standardized)")""",
    ),
    (
        "code",
        """scaled, said_scaled = train([30, 20, 20, 1], X, epochs=30)
assert said_scaled == []
show(scaled, "normalized", "standardized features: the same network and learning rate")""",
    ),
    (
        "md",
        r"""Raw: *std of Z* in layer 1 is ~600 at the first epoch, the gradients are two orders of magnitude
above the standardized run's, and the dead share of both layers goes to 100%. Standardized: std near 1,
nothing dead.

**From the estimator and the command line.** `DNNClassifier(diagnostics=True)` records the same into
`diagnostics_` (on up to 256 training rows), and `npdnn train --diagnose report.png` writes this figure.""",
    ),
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
    os.environ["NPDNN_DIAGNOSTICS_IMG"] = str(HERE.parent / "docs" / "img")  # the kernel inherits it
    (HERE.parent / "docs" / "img").mkdir(exist_ok=True)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(notebook, HERE / "diagnostics.ipynb")
    print("wrote", HERE / "diagnostics.ipynb")
