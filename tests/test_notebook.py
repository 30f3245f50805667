"""Execute every cell of notebooks/tutorial.ipynb (on a copy); any error fails.

The notebook checks its raw-NumPy equations against the library with
``np.testing.assert_allclose``, so running it is a test that it has not drifted
from the code.
"""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "tutorial.ipynb"


def test_tutorial_notebook_runs_every_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert len(code_cells) >= 10
    for cell in code_cells:
        cell.outputs = []
    client = nbclient.NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [out for cell in code_cells for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    assert all(cell.execution_count is not None for cell in code_cells)


def test_committed_notebook_has_outputs_and_plots():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) >= 4


# ------------------------------------------------------------------ the diagnostics chapter and the exercises

DIAGNOSTICS = NOTEBOOK.parent / "diagnostics.ipynb"
EXERCISES = NOTEBOOK.parent / "exercises.ipynb"


def _run(nb, timeout=300):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell (the chapter asserts its warnings)
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


@pytest.mark.slow  # executes a notebook in a kernel (make test-slow, CI)
def test_diagnostics_chapter_runs_and_shows_each_pathology():
    outputs = _run(nbformat.read(DIAGNOSTICS, as_version=4))
    assert not [out for out in outputs if out.output_type == "error"]
    assert len([out for out in outputs if "image/png" in out.get("data", {})]) == 7


def _exercises_notebook(solutions):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_exercises", NOTEBOOK.parent / "build_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(solutions=solutions), [name for name, _, _ in module.EXERCISES]


def _check_texts(outputs):
    return [out["data"]["text/plain"] for out in outputs if out.output_type == "execute_result"]


@pytest.mark.slow  # executes a notebook in a kernel (make test-slow, CI)
def test_exercises_notebook_with_solutions_passes_every_check():
    nb, names = _exercises_notebook(solutions=True)
    outputs = _run(nb, timeout=120)
    texts = _check_texts(outputs)
    assert len(texts) == len(names) == 10
    assert all(text.startswith(f"{name}: passed") for name, text in zip(names, texts, strict=True)), texts
    printed = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "training accuracy 0.9" in printed  # the learner's own functions train the network


@pytest.mark.slow  # executes a notebook in a kernel (make test-slow, CI)
def test_exercises_notebook_with_blanks_says_not_implemented_and_runs_through():
    nb, names = _exercises_notebook(solutions=False)
    outputs = _run(nb, timeout=120)
    assert not [out for out in outputs if out.output_type == "error"]
    assert _check_texts(outputs) == [
        f"{name}: not implemented yet (the function still raises NotImplementedError)" for name in names
    ]
    assert "fill in the functions above first" in "".join(
        out.get("text", "") for out in outputs if out.output_type == "stream"
    )


def test_committed_exercises_notebook_is_the_blank_one():
    nb = nbformat.read(EXERCISES, as_version=4)
    assert sum("raise NotImplementedError" in cell.source for cell in nb.cells if cell.cell_type == "code") == 10
