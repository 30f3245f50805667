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
