"""What ships inside the package besides code: the report notebooks and the project
scaffold that `spmsim init` copies, found with importlib.resources so an installed wheel
finds them exactly as a source checkout does.

A project may keep its own copy of a notebook in its `notebooks/` folder; `notebook`
prefers that copy to the shipped one, so a comp team can edit its reports.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from spmsim.errors import SpmsimError

PROJECT_NOTEBOOKS = "notebooks"  # a project's own notebooks, beside its studies


def package_folder(name: str) -> Path:
    """A folder of package data (`notebooks`, `scaffold`) as a real path: papermill and
    shutil need files on disk, which every pip install (never a zip) gives."""
    folder = resources.files("spmsim").joinpath(name)
    if not isinstance(folder, Path) or not folder.is_dir():
        raise SpmsimError(f"spmsim's {name} folder is missing from the installed package: "
                          "reinstall spmsim with pip (pip install --force-reinstall spmsim)")
    return folder


def shipped_notebooks() -> Path:
    """The folder of the notebooks that ship with spmsim."""
    return package_folder("notebooks")


def project_notebooks(start: Path | None = None) -> Path | None:
    """The `notebooks/` folder of the project the working directory (or `start`) is in:
    the nearest one in it or a folder above it; None outside a project."""
    here = Path.cwd() if start is None else start
    for folder in (here, *here.parents):
        if (folder / PROJECT_NOTEBOOKS).is_dir():
            return folder / PROJECT_NOTEBOOKS
    return None


def notebook_names(start: Path | None = None) -> list[str]:
    """Every notebook a name can reach: the project's and the shipped ones."""
    folders = [f for f in (project_notebooks(start), shipped_notebooks()) if f is not None]
    return sorted({p.stem for f in folders for p in f.glob("*.ipynb")})


def find_notebook(name: str, start: Path | None = None) -> Path | None:
    """Notebook `name`: the project's own copy if it keeps one, else the shipped one
    (None when neither has it)."""
    for folder in (project_notebooks(start), shipped_notebooks()):
        if folder is not None and (folder / f"{name}.ipynb").is_file():
            return folder / f"{name}.ipynb"
    return None
