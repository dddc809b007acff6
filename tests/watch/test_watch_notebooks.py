"""The analyst notebooks run end to end against the live system, through its OGC API."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

pytestmark = pytest.mark.django_db

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TIMEOUT_S = 240


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_the_notebook_runs_end_to_end_and_draws_its_plots(name, watch_ogc_url, live_url, tmp_path):
    out = tmp_path / name
    papermill.execute_notebook(
        str(NOTEBOOKS / name),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        execution_timeout=TIMEOUT_S,
        cwd=str(tmp_path),
        parameters={"ogc_url": watch_ogc_url, "api_url": f"{live_url}/api/v1/watch"},
    )
    executed = nbformat.read(out, as_version=4)
    images = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert images, "the notebook drew no plot"


def test_there_are_at_least_three_notebooks():
    assert len(list(NOTEBOOKS.glob("*.ipynb"))) >= 3
