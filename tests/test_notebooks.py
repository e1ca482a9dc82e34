"""Every notebook under notebooks/ runs top to bottom in the quick mode, and is stored clean.

The notebooks are stored without outputs (so a diff shows only what a person wrote); here
each one is executed by a real Jupyter kernel with ``AUTOGRAD_LITE_QUICK=1``, which shrinks
data and epochs, so a notebook that no longer runs fails the suite instead of rotting.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers import execute_notebook

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
    monkeypatch.setenv("AUTOGRAD_LITE_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = execute_notebook(path)  # raises CellExecutionError naming the cell
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "error"
    ]
    assert not errors


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("02_digits_cnn", ("sklearn", "sklearn.datasets")),
        ("02_digits_cnn", ("matplotlib", "matplotlib.pyplot")),
        ("03_names_gpt", ("faker", "faker.providers")),
        ("03_names_gpt", ("matplotlib", "matplotlib.pyplot")),
    ],
)
def test_a_missing_extra_stops_the_first_cell_with_the_install_hint(name, missing, monkeypatch):
    # issue 22: a notebook without its optional extra says what to install, in its first cell,
    # instead of a bare ImportError halfway down
    nbformat = pytest.importorskip("nbformat", reason='pip install -e ".[notebooks]"')
    pytest.importorskip("IPython", reason='pip install -e ".[notebooks]"')
    notebook = nbformat.read(NOTEBOOKS[IDS.index(name)], as_version=4)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    for module in missing:
        monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")  # a cell may set it; keep this process's
    with pytest.raises(ImportError) as error:
        exec(compile(first.source, f"{name} cell 1", "exec"), {})
    assert 'pip install -e ".[examples]"' in str(error.value)
