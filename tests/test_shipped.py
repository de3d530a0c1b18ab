"""The notebooks ship inside the package (one copy, found with importlib.resources), and a
project's own copy in its `notebooks/` folder wins over the shipped one."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from spmsim.cli import main
from spmsim.errors import SpmsimError
from spmsim.report.build import notebook_path, render_notebook
from spmsim.shipped import find_notebook, notebook_names, shipped_notebooks

from paths import NOTEBOOKS, ROOT


def _tiny_notebook(path: Path, text: str) -> Path:
    """A notebook with a `parameters` cell (out, role) that prints `text` as Markdown."""
    params = nbformat.v4.new_code_cell('out = ""\nrole = ""')
    params.metadata["tags"] = ["parameters"]
    show = nbformat.v4.new_code_cell(
        f"from IPython.display import Markdown\nMarkdown({text!r} + ' for ' + role)")
    nb = nbformat.v4.new_notebook(cells=[params, show])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path




def test_the_one_copy_is_the_package_data():
    assert shipped_notebooks() == NOTEBOOKS
    assert (ROOT / "notebooks").resolve() == NOTEBOOKS.resolve()  # the repo's link to it
    assert {"executive_summary", "incentive_study", "quota_study", "territory_study",
            "capacity_study", "forecast_study", "calibration_study", "sweep_study",
            "plan_designer"} <= set(notebook_names())


def test_outside_a_project_the_shipped_notebook_is_used(in_folder):
    assert find_notebook("executive_summary") == NOTEBOOKS / "executive_summary.ipynb"
    assert notebook_path("quota_study") == NOTEBOOKS / "quota_study.ipynb"
    assert find_notebook("no_such") is None


def test_a_project_copy_wins_from_the_project_and_its_subfolders(in_folder):
    own = _tiny_notebook(in_folder / "notebooks" / "executive_summary.ipynb", "ours")
    _tiny_notebook(in_folder / "notebooks" / "board_pack.ipynb", "ours")
    (in_folder / "studies").mkdir()
    assert notebook_path("executive_summary") == own
    assert find_notebook("executive_summary", in_folder / "studies") == own
    assert find_notebook("quota_study") == NOTEBOOKS / "quota_study.ipynb"
    assert "board_pack" in notebook_names() and "quota_study" in notebook_names()
    with pytest.raises(SpmsimError, match="no such notebook .*board_pack.*quota_study"):
        notebook_path("no_such")


@pytest.mark.notebook
def test_spmsim_notebook_runs_the_project_copy_in_the_project(in_folder):
    """`spmsim notebook executive_summary` from a project runs its own copy, in its folder."""
    _tiny_notebook(in_folder / "notebooks" / "executive_summary.ipynb", "Our own summary")
    assert main(["notebook", "executive_summary", "-p", "role=smb_ae", "--title", "Ours"]) == 0
    html = (in_folder / "reports" / "executive_summary.html").read_text()
    assert "Our own summary for smb_ae" in html
    entry = json.loads((in_folder / "reports" / "index.json").read_text())[0]
    assert entry["notebook"] == "executive_summary" and entry["study"] == "Ours"


@pytest.mark.notebook
def test_a_notebook_runs_in_the_working_directory(in_folder):
    """Relative paths in a notebook are found from the project's folder."""
    nb = _tiny_notebook(in_folder / "notebooks" / "where.ipynb", "x")
    tree = nbformat.read(nb, as_version=4)
    tree.cells[1].source = "from pathlib import Path\nprint(Path('marker.txt').read_text())"
    nbformat.write(tree, nb)
    (in_folder / "marker.txt").write_text("found from the project")
    path = render_notebook("where", {}, name="where", title="Where")
    assert "found from the project" in path.read_text()
