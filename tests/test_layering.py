"""The house's layering: every import inside npdnn (relative, absolute, lazy ones in
functions too) points down the table below, so there is no import cycle, and the model
core imports NumPy and the standard library only."""

import ast
import pathlib
import sys

import npdnn

# The house, by package: an import may point only to a package of lower rank (or, inside a
# package, to a module of lower rank in MODULE_RANKS). A new package or module must be placed
# here (the test fails until it is): this is where DESIGN.md's picture lives.
PACKAGE_RANKS = {
    "_version": 0,  # the version string (the package, model files and the CLI read it)
    "checks": 0,  # argument checks at the public boundary
    "errors": 0,  # every error and warning npdnn raises on purpose
    "files": 1,  # the safe archive, what a file may declare, a network's file
    "nn": 2,  # the article: activations, initializers, losses, layers, fast layer, chunked prediction
    # the npdnn[fast] extra, the numba training step: above nn (it checks a layer's activation is nn's
    # built-in) and below train (train.loop reaches it lazily)
    "compiled": 2.5,
    "train": 3,  # the loop, batching, optimizers, schedules, callbacks, checkpoints, diagnostics, options
    "export": 4,  # ONNX and PyTorch (reached lazily from Network.to_onnx / to_torch / from_torch)
    "network": 5,  # Network: where nn/ and train/ meet
    "callbacks": 6,  # the public facade: every callback in one place
    "distributed": 6,  # training on Dask: knows neither the estimator nor the CLI
    "sklearn": 7,  # DNNClassifier, its file section, standardization, skl2onnx, its Dask fit
    "loading": 8,  # npdnn.load: a network's or an estimator's file
    "exercises": 8,  # graded exercises: a learner's functions checked against the reference
    "cli": 9,  # the npdnn command
    "__main__": 10,
    "__init__": 11,
}
# Inside a package, modules import down this order (no cycles).
MODULE_RANKS = {
    "files": {"npy_header": 0, "integrity": 0, "archive": 1, "limits": 2, "network_file": 3},
    "nn": {
        "activations": 0, "initializers": 0, "summary": 0, "sparse_rows": 0, "losses": 1, "layers": 1,
        "chunking": 2, "fast": 2, "gradcheck": 3,
    },
    "train": {
        "optimizers": 0, "batching": 0, "threads": 0, "user_warnings": 0, "checkpoint_schema": 0, "options": 1,
        "sparse_batches": 1,
        "monitor": 2,
        "schedules": 3, "callbacks": 3, "checkpoint": 4, "progress": 4, "diagnostics": 4, "runner": 5, "loop": 6,
        "profiling": 6, "layer_warnings": 5, "layer_stats": 6,
    },
    "export": {"onnx_columns": 0, "onnx": 1, "torch": 0},
    "compiled": {"kernels": 0, "step": 1},
    "exercises": {"reference": 0, "autograd": 0, "cases": 1, "hints": 1, "grader": 2},
    "distributed": {"channel": 0, "liveness": 0, "rows": 0, "sources": 0, "shard": 1, "cluster": 2, "driver": 3},
    "sklearn": {
        "standardization": 0, "column_values": 0, "l2_search": 0, "estimator_labels": 0, "estimator_setup": 0,
        "estimator_attributes": 0, "columns": 1, "dask_fit": 1, "column_checks": 2, "estimator_file": 2,
        "estimator_inputs": 2,
        "estimator": 3,
        "skl2onnx": 4,
    },
    "cli": {
        "bounded": 0, "file_kinds": 0, "csv_fields": 1, "locking": 0, "keys": 0, "report": 0, "holdout": 0, "plots": 0,
        "layer_plots": 0, "outputs": 0, "labels": 0, "csv_header": 0, "datasets": 2, "csv_dialect": 3, "data_files": 4,
        "options": 3, "train_cluster": 4, "inputs": 5, "commands": 6, "main": 7,
    },
}  # fmt: skip
CORE = {"_version", "checks", "errors", "files", "nn", "train", "network", "callbacks"}
CORE_MAY_IMPORT_LAZILY = {
    ("network", "export"),  # Network.to_onnx / to_torch / from_torch: the onnx extra or torch, on demand
    ("train.progress", "tqdm"),  # fit(verbose=True): the bar's library, loaded on demand
    ("train.threads", "threadpoolctl"),  # one BLAS thread for small steps, where installed (scikit-learn brings it)
    ("train.loop", "compiled"),  # fit's compiled step where numba is installed (npdnn.compiled)
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
    """``[(target, is_lazy, absolute_root)]`` for every import in the file: target is the
    dotted module under npdnn (``"nn.activations"``), or None for another library."""
    tree = ast.parse(path.read_text())
    if path.name == "__init__.py":
        package = "" if name == "__init__" else name  # a package's own modules are relative to it
    else:
        package = name.rsplit(".", 1)[0] if "." in name else ""
    lazy_nodes = {
        id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(f)
    }
    found = []
    for node in ast.walk(tree):
        lazy = id(node) in lazy_nodes
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("npdnn."):
                    found.append((alias.name[6:], lazy, None))
                else:
                    found.append((None, lazy, alias.name.split(".")[0]))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                module = ".".join([*base, node.module] if node.module else base)
                targets = [module] if module else [a.name for a in node.names]
                found += [(t, lazy, None) for t in targets]
            elif (node.module or "").startswith("npdnn"):
                rest = node.module[6:]
                targets = [rest] if rest else [a.name for a in node.names]
                found += [(t, lazy, None) for t in targets]
            else:
                found.append((None, lazy, node.module.split(".")[0]))
    return found


def _place(name):
    """(package, module inside it or None) of a dotted module name under npdnn."""
    package, _, rest = name.partition(".")
    return package, (rest.split(".")[0] or None) if rest else None


def test_every_module_has_a_place_in_the_layering():
    missing = []
    for name in _modules():
        package, module = _place(name)
        if package not in PACKAGE_RANKS:
            missing.append(name)
        elif module is not None and module not in MODULE_RANKS.get(package, {}):
            missing.append(name)
    assert not missing, f"place these modules in PACKAGE_RANKS / MODULE_RANKS: {sorted(missing)}"


def test_imports_point_down():
    wrong = []
    for name, path in _modules().items():
        package, module = _place(name)
        for target, lazy, _ in _imports(name, path):
            if target is None:
                continue
            t_package, t_module = _place(target)
            if t_package not in PACKAGE_RANKS:
                wrong.append(f"{name} -> {target} (unknown)")
            elif t_package != package:
                if not PACKAGE_RANKS[t_package] < PACKAGE_RANKS[package]:
                    wrong.append(f"{name} -> {target}{' (lazy)' if lazy else ''}")
            elif module is not None and t_module is not None and t_module != module:
                ranks = MODULE_RANKS[package]
                if not ranks[t_module] < ranks[module]:
                    wrong.append(f"{name} -> {target}{' (lazy)' if lazy else ''}")
    assert not wrong, "imports that point up or sideways: " + ", ".join(wrong)


def test_core_imports_numpy_and_the_standard_library_only():
    wrong = []
    for name, path in _modules().items():
        package, _ = _place(name)
        if package not in CORE:
            continue
        for target, lazy, root in _imports(name, path):
            if root is not None and root not in ("numpy", "__future__") and root not in sys.stdlib_module_names:
                if not (lazy and (name, root) in CORE_MAY_IMPORT_LAZILY):
                    wrong.append(f"{name} imports {root}")
            if target is not None and _place(target)[0] not in CORE:
                if not (lazy and (name, _place(target)[0]) in CORE_MAY_IMPORT_LAZILY):
                    wrong.append(f"{name} imports the edge module {target}")
    assert not wrong, "; ".join(wrong)


def test_the_checker_sees_relative_lazy_and_absolute_imports(tmp_path):
    # The checks above are only as good as _imports: it must see every form.
    path = tmp_path / "m.py"
    path.write_text(
        "from . import network\nfrom .training import fit\nimport npdnn.sklearn.estimator\n"
        "def f():\n    from .cli import main\n    import sklearn\n"
    )
    found = _imports("m", path)
    assert ("network", False, None) in found and ("training", False, None) in found
    assert ("sklearn.estimator", False, None) in found and ("cli", True, None) in found
    assert (None, True, "sklearn") in found
