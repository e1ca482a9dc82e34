"""Every notebook under notebooks/ runs top to bottom in the quick mode, and is stored clean.

The notebooks are stored without outputs (so a diff shows only what a person wrote); here
each one is executed by a real Jupyter kernel with ``AUTOGRAD_LITE_QUICK=1``, which shrinks
data and epochs, so a notebook that no longer runs fails the suite instead of rotting.
"""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
IDS = [path.stem for path in NOTEBOOKS]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3, [path.name for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_stored_without_outputs(path: Path):
    nbformat = pytest.importorskip("nbformat", reason='pip install -e ".[notebooks]"')
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs; clear them before commit"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_in_quick_mode(path: Path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason='pip install -e ".[notebooks]"')
    nbclient = pytest.importorskip("nbclient", reason='pip install -e ".[notebooks]"')
    pytest.importorskip("ipykernel", reason='pip install -e ".[notebooks]"')
    monkeypatch.setenv("AUTOGRAD_LITE_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError naming the cell and its traceback
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "error"
    ]
    assert not errors
