"""analysis/analysis.ipynb run top to bottom on a real smoke sweep."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from tests.helpers import REPO, REPORT_PNGS


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(smoke, monkeypatch):
    monkeypatch.setenv("TUNE_GAN_EXPERIMENT", str(smoke[0]))
    notebook = nbformat.read(REPO / "analysis" / "analysis.ipynb", as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(REPO / "analysis")}}
    ).execute()
    figures = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(figures) == len(REPORT_PNGS)
