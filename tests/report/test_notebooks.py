"""Every notebook runs through papermill with the example parameters the manual uses
(docs/notebooks.yaml), and stays thin: package calls only."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmsim.report import examples as ex
from spmsim.report.build import execute_notebook

from paths import NOTEBOOKS, ROOT

NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
EXAMPLES = ex.read_examples(ROOT / "docs" / "notebooks.yaml")


@pytest.fixture(scope="module")
def study_out(tmp_path_factory) -> Path:
    return ex.run_example_study(EXAMPLES, ROOT, tmp_path_factory.mktemp("nb") / "study")


@pytest.fixture(scope="module")
def sweep_out(tmp_path_factory) -> Path:
    return ex.run_example_sweep(EXAMPLES, ROOT, tmp_path_factory.mktemp("sweep"))


def test_every_notebook_has_example_parameters():
    assert {p.stem for p in NOTEBOOK_FILES} == set(EXAMPLES["notebooks"])


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_notebook_runs(notebook, study_out, request):
    paths = {"study": str(study_out)}
    if notebook.stem == "sweep_study":
        paths["sweep"] = str(request.getfixturevalue("sweep_out"))
    nb = execute_notebook(notebook, ex.example_parameters(EXAMPLES, notebook.stem, paths),
                          cwd=ROOT)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    charts = [h for h in html if "spmsim-chart" in h and "<svg" in h]
    assert charts, f"{notebook.stem}: no chart drawn"
    for c in nb.cells:  # thin: no definitions or loops in the notebook
        if c.cell_type == "code":
            assert "def " not in c.source and "for " not in c.source, c.source
