"""Notebooks run top to bottom on every test run, so they never rot."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_is_an_exploration_notebook():
    assert [p.name for p in NOTEBOOKS] == ["01-exploration.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_and_draws_its_plots(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    images = sum(
        1
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    )
    assert images >= 11  # figures, normalisation, 3 cells, 3 curves, TikTok, employers, fidelity, calibration
    # A reader sees no warning (NumPyro's import asked Jupyter for progress-bar widgets).
    warned = [
        o.get("text", "")[:200]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if o.get("name") == "stderr"
    ]
    assert warned == []
    assert list(tmp_path.iterdir()) == []  # it writes nothing
