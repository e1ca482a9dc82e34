"""notebooks/01_documents_by_hand.ipynb without Graphviz's `dot`: the numbers are all
checked, the pictures skipped with a note (tests/test_notebooks.py runs it with `dot`)."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "01_documents_by_hand.ipynb"


def test_the_documents_notebook_runs_without_dot(monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat", reason='pip install -e ".[notebooks]"')
    nbclient = pytest.importorskip("nbclient", reason='pip install -e ".[notebooks]"')
    pytest.importorskip("ipykernel", reason='pip install -e ".[notebooks]"')
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    monkeypatch.setenv("AUTOGRAD_LITE_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError on any failed cell (an assert included)
    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    printed = "".join(output.get("text", "") for output in outputs)
    assert "Graphviz's `dot` is not installed" in printed
    assert printed.count("skipped: no Graphviz `dot`") == 3
    assert "dE/dw5 = 0.082167041" in printed  # document 002's number, still computed
    assert not any("image/svg+xml" in output.get("data", {}) for output in outputs)
