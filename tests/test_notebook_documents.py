"""notebooks/01_documents_by_hand.ipynb without Graphviz's `dot`: the numbers are all
checked, the pictures skipped with a note (tests/test_notebooks.py runs it with `dot`)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import execute_notebook

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "01_documents_by_hand.ipynb"


def test_the_documents_notebook_runs_without_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    monkeypatch.setenv("AUTOGRAD_LITE_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = execute_notebook(NOTEBOOK)  # raises on any failed cell (an assert included)
    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    printed = "".join(output.get("text", "") for output in outputs)
    assert "Graphviz's `dot` is not installed" in printed
    assert printed.count("skipped: no Graphviz `dot`") == 3
    assert "dE/dw5 = 0.082167041" in printed  # document 002's number, still computed
    assert not any("image/svg+xml" in output.get("data", {}) for output in outputs)
