"""The house's layering: every import inside npdnn (relative, absolute, lazy ones in
functions too) points down the table below, so there is no import cycle, and the model
core imports NumPy and the standard library only."""

import ast
import pathlib
import sys

import npdnn

# Rank of each module: a module may import only modules of a lower rank. A new module
# must be placed here (the test fails until it is), which is where DESIGN.md's picture lives.
RANKS = {
    # pure functions on arrays, input checks, the archive format
    "activations": 0,
    "initializers": 0,
    "losses": 1,  # output layers use the activations
    "validation": 0,
    "summary": 0,
    "archive": 0,
    "locking": 0,  # one writer per output path (stdlib fcntl)
    "limits": 1,  # what an untrusted model file may declare (uses archive's ModelFileError)
    # layers, then their fast path
    "layers": 1,
    "chunking": 2,  # prediction in row chunks (issue 13): losses' per-sample costs, check_X
    "_fast": 2,
    # what the training loop is made of
    "optimizers": 3,
    "schedules": 3,
    "batching": 3,
    "callbacks": 3,
    "options": 3,
    "gradcheck": 3,
    "checkpoint": 4,
    "persistence": 4,
    "progress": 4,  # a callback; imports tqdm lazily, only when a bar is shown
    "diagnostics": 4,  # the training warnings, a callback (issue 16)
    "training": 5,
    "onnx_export": 5,  # exchange formats: reached lazily from Network.to_onnx / to_torch / from_torch
    "torch_bridge": 5,
    "network": 6,
    # edges: files, plots, data, the estimator, exchange formats, the command line
    "csv_fields": 6.5,  # a CSV file's separators counted block by block (issue 13)
    "datasets": 7,
    "data_files": 7.2,  # every --data format (issue 13): CSV through datasets, Parquet, .npy, .npz
    "plotting": 7,
    "holdout": 7,  # npdnn train's stratified train/test split, rows moved in place (issue 13)
    "report": 7,
    "profiling": 7,  # times a network's fit from outside (wraps instance methods); imports optimizers, options
    "estimator_file": 7,
    "standardization": 7,  # the estimator's (X - mean) / scale, fitted in chunks, applied with one copy
    "distributed": 7.5,  # npdnn.distributed (issue 14): uses the edges above, the estimator dispatches to it
    "estimator": 8,
    "loading": 9,
    "onnx_skl2onnx": 9,  # registers DNNClassifier's converter with skl2onnx
    "cli_options": 9,
    "cli_commands": 9.5,  # what each npdnn command does; cli parses and dispatches to them
    "cli": 10,
    "__main__": 11,
    "__init__": 12,
}
CORE = {
    "activations", "initializers", "losses", "validation", "summary", "archive", "layers", "_fast",
    "optimizers", "schedules", "batching", "callbacks", "options", "gradcheck", "checkpoint",
    "persistence", "training", "network", "limits", "locking", "diagnostics", "chunking",
}  # fmt: skip
CORE_MAY_IMPORT_LAZILY = {
    ("training", "progress"),  # fit(verbose=True): the bar's module, loaded on demand
    ("network", "onnx_export"),  # Network.to_onnx: the onnx extra, loaded on demand
    ("network", "torch_bridge"),  # Network.to_torch / from_torch: torch, loaded on demand
}

SRC = pathlib.Path(npdnn.__file__).parent


def _modules():
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        name = ".".join(parts[:-1]) if parts[-1] == "__init__" and len(parts) > 1 else ".".join(parts)
        out[name] = path
    return out


def _imports(name, path):
    """``[(target, is_lazy, absolute_root)]`` for every import in the file."""
    tree = ast.parse(path.read_text())
    package = (
        name.rsplit(".", 1)[0] if "." in name and path.name != "__init__.py" else ("" if "." not in name else name)
    )
    lazy_nodes = {
        id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(f)
    }
    found = []
    for node in ast.walk(tree):
        lazy = id(node) in lazy_nodes
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("npdnn."):
                    found.append((alias.name[6:].split(".")[0], lazy, None))
                else:
                    found.append((None, lazy, alias.name.split(".")[0]))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                module = ".".join([*base, node.module] if node.module else base)
                targets = [module] if module else [a.name for a in node.names]
                found += [(t.split(".")[0] if t else t, lazy, None) for t in targets]
            elif (node.module or "").startswith("npdnn"):
                rest = node.module[6:]
                targets = [rest.split(".")[0]] if rest else [a.name for a in node.names]
                found += [(t, lazy, None) for t in targets]
            else:
                found.append((None, lazy, node.module.split(".")[0]))
    return found


def test_every_module_has_a_place_in_the_layering():
    missing = sorted(n.split(".")[0] for n in _modules() if n.split(".")[0] not in RANKS)
    assert not missing, f"place these modules in RANKS: {missing}"


def test_imports_point_down():
    wrong = []
    for name, path in _modules().items():
        top = name.split(".")[0]
        for target, lazy, _ in _imports(name, path):
            if target is None or target == top or target not in RANKS:
                continue
            if not RANKS[target] < RANKS[top]:
                wrong.append(f"{name} -> {target}{' (lazy)' if lazy else ''}")
    assert not wrong, "imports that point up or sideways: " + ", ".join(wrong)


def test_core_imports_numpy_and_the_standard_library_only():
    wrong = []
    for name, path in _modules().items():
        if name not in CORE:
            continue
        for target, lazy, root in _imports(name, path):
            if root is not None and root not in ("numpy", "__future__") and root not in sys.stdlib_module_names:
                wrong.append(f"{name} imports {root}")
            if target is not None and target in RANKS and target not in CORE:
                if not (lazy and (name, target) in CORE_MAY_IMPORT_LAZILY):
                    wrong.append(f"{name} imports the edge module {target}")
    assert not wrong, "; ".join(wrong)


def test_the_checker_sees_relative_lazy_and_absolute_imports(tmp_path):
    # The checks above are only as good as _imports: it must see every form.
    path = tmp_path / "m.py"
    path.write_text(
        "from . import network\nfrom .training import fit\nimport npdnn.estimator\n"
        "def f():\n    from .cli import main\n    import sklearn\n"
    )
    found = _imports("m", path)
    assert ("network", False, None) in found and ("training", False, None) in found
    assert ("estimator", False, None) in found and ("cli", True, None) in found
    assert (None, True, "sklearn") in found
