"""Build notebooks/exercises.ipynb: the article's functions as graded exercises, blanks left
(each one raises NotImplementedError until the learner fills it in), executed and saved
with outputs.

Run from the repository root: ``.venv/bin/python notebooks/build_exercises.py``.
``build(solutions=True)`` fills every blank with a solution (tests/test_notebook.py runs
both versions: every check passes with the solutions; with the blanks each says "not
implemented yet" and nothing crashes). Edit the cells here, not in the .ipynb.
"""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

# (name, signature line + docstring, solution body) in the article's order
EXERCISES = [
    (
        "initialize_parameters_deep",
        '''def initialize_parameters_deep(layer_dims, rng):
    """W{l} of shape (n_l, n_{l-1}) drawn from rng (a np.random.Generator), scaled by sqrt(2 / n_{l-1});
    b{l} zeros of shape (n_l, 1). Returns {"W1": ..., "b1": ..., ..., "WL": ..., "bL": ...}."""''',
        """    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * np.sqrt(2 / layer_dims[l - 1])
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return parameters""",
    ),
    (
        "linear_forward",
        '''def linear_forward(A, W, b):
    """Z = W A + b. A (n_{l-1}, m), W (n_l, n_{l-1}), b (n_l, 1). Returns Z (n_l, m) and cache = (A, W, b)."""''',
        """    Z = W @ A + b
    return Z, (A, W, b)""",
    ),
    (
        "linear_activation_forward",
        '''def linear_activation_forward(A_prev, W, b, activation):
    """A = g(W A_prev + b), g = sigmoid or relu as activation says ("sigmoid" / "relu").
    Returns A and cache = (linear_cache, Z)."""''',
        """    Z, linear_cache = linear_forward(A_prev, W, b)
    A = sigmoid(Z) if activation == "sigmoid" else relu(Z)
    return A, (linear_cache, Z)""",
    ),
    (
        "L_model_forward",
        '''def L_model_forward(X, parameters):
    """ReLU on layers 1..L-1, sigmoid on layer L. X (n_x, m).
    Returns AL (1, m) and caches (a list, one per layer)."""''',
        """    caches, A = [], X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
    caches.append(cache)
    return AL, caches""",
    ),
    (
        "compute_cost",
        '''def compute_cost(AL, Y):
    """J = -(1/m) sum(Y log(AL) + (1 - Y) log(1 - AL)), a float. AL, Y (1, m)."""''',
        """    m = Y.shape[1]
    return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m)""",
    ),
    (
        "linear_backward",
        '''def linear_backward(dZ, cache):
    """cache = (A_prev, W, b).
    Returns dA_prev = W^T dZ, dW = (1/m) dZ A_prev^T, db = (1/m) sum of dZ over the samples."""''',
        """    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db""",
    ),
    (
        "relu_backward",
        '''def relu_backward(dA, Z):
    """dZ = dA * g'(Z) for g = ReLU (its derivative at Z = 0 taken as 0). Do not change dA."""''',
        """    return dA * (Z > 0)""",
    ),
    (
        "sigmoid_backward",
        '''def sigmoid_backward(dA, Z):
    """dZ = dA * s (1 - s), s = sigmoid(Z)."""''',
        """    s = sigmoid(Z)
    return dA * s * (1 - s)""",
    ),
    (
        "L_model_backward",
        '''def L_model_backward(AL, Y, caches):
    """Returns grads with "dW{l}", "db{l}" (and "dA{l-1}") for l = L..1.
    Start from dAL = -(Y / AL - (1 - Y) / (1 - AL)); sigmoid_backward on layer L, relu_backward below."""''',
        """    grads = {}
    L = len(caches)
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    for l in range(L, 0, -1):
        linear_cache, Z = caches[l - 1]
        dZ = sigmoid_backward(dA, Z) if l == L else relu_backward(dA, Z)
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_backward(dZ, linear_cache)
        grads[f"dA{l - 1}"] = dA
    return grads""",
    ),
    (
        "update_parameters",
        '''def update_parameters(parameters, grads, learning_rate):
    """W{l} = W{l} - learning_rate * dW{l}, b{l} likewise, for every layer. Returns the new parameters."""''',
        """    L = len(parameters) // 2
    new = {}
    for l in range(1, L + 1):
        new[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
        new[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
    return new""",
    ),
]

BLANK = """    # your code here
    raise NotImplementedError"""

INTRO = r"""# Exercises: write the deep network yourself, and have it checked

Fill in each function below, in the order of the article npdnn grew from, then run the cell after it:
`exercises.check(name, your_function)` runs your function on seeded cases against npdnn's reference
(and PyTorch autograd for the gradients, where PyTorch is installed) and says what is wrong, specifically
(a transposed `W`, a missing `1/m`, `db` summed over the wrong axis, the cost's sign, a cache in the wrong
order, ReLU's derivative at `Z = 0`, an input changed in place, a shape), or that it passed.

Conventions (the article's): samples are **columns**. `W{l}` has shape `(n_l, n_{l-1})`, `b{l}` `(n_l, 1)`,
`A{l}` and `Z{l}` `(n_l, m)`. Caches: `linear_cache = (A_prev, W, b)`, `cache = (linear_cache, Z)`.
An unfilled function raises `NotImplementedError`, and its check says "not implemented yet".
The solutions are in `npdnn/exercises/reference.py`: try first."""

SETUP = """import numpy as np

from npdnn import exercises


def sigmoid(Z):
    # exp(-|Z|) never overflows; the two branches are the same function written two ways
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))


def relu(Z):
    return np.maximum(Z, 0)"""

OUTRO_MD = r"""## All together: train your network

With every function passing, these lines are the article's whole training loop, on real data."""

OUTRO = """from sklearn.datasets import load_breast_cancer

X_raw, y = load_breast_cancer(return_X_y=True)
X = ((X_raw - X_raw.mean(axis=0)) / X_raw.std(axis=0)).T  # (n_x, m): samples as columns
Y = y[None, :].astype(float)
try:
    parameters = initialize_parameters_deep([X.shape[0], 16, 8, 1], np.random.default_rng(0))
    for _ in range(300):
        AL, caches = L_model_forward(X, parameters)
        grads = L_model_backward(AL, Y, caches)
        parameters = update_parameters(parameters, grads, 0.1)
    print(f"cost after 300 steps: {compute_cost(AL, Y):.4f}, training accuracy {np.mean((AL > 0.5) == Y):.3f}")
except NotImplementedError:
    print("fill in the functions above first")"""


def build(solutions=False):
    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_markdown_cell(INTRO), nbformat.v4.new_code_cell(SETUP)]
    for k, (name, head, solution) in enumerate(EXERCISES, start=1):
        cells.append(nbformat.v4.new_markdown_cell(f"## {k}. `{name}`"))
        cells.append(nbformat.v4.new_code_cell(head + "\n" + (solution if solutions else BLANK)))
        cells.append(nbformat.v4.new_code_cell(f'exercises.check("{name}", {name})'))
    cells += [nbformat.v4.new_markdown_cell(OUTRO_MD), nbformat.v4.new_code_cell(OUTRO)]
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def execute(nb, timeout=120):
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    return nb


if __name__ == "__main__":
    notebook = execute(build())
    nbformat.write(notebook, HERE / "exercises.ipynb")
    print("wrote", HERE / "exercises.ipynb")
