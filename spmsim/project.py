"""A comp team's own project, outside spmsim's source tree: `spmsim init DIR` copies the
scaffold that ships in the package (example plans, scenarios, a study with its recorded
outcome, a year of example deals, quotas and roster, a README, a .gitignore and a CI
workflow), the report notebooks for editing, and a requirements.txt that pins the spmsim
and numpy the example numbers were made with.

Nothing is overwritten: if any file the scaffold would write exists, nothing is written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from spmsim.errors import SpmsimError
from spmsim.format import label
from spmsim.shipped import package_folder, shipped_notebooks
from spmsim.versions import versions

REQUIREMENTS = """\
# spmsim and numpy at the versions this project's numbers were made with: the same seed
# gives the same numbers only with the same pair. Change them on purpose, in a change of
# their own, and let `spmsim study --check` say what moved.
spmsim=={spmsim_version}
numpy=={numpy_version}
"""


def scaffold_files() -> dict[str, Path]:
    """What `init` copies: the project's relative path -> the shipped file."""
    scaffold, notebooks = package_folder("scaffold"), shipped_notebooks()
    files = {p.relative_to(scaffold).as_posix(): p for p in sorted(scaffold.rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts}
    files.update({f"notebooks/{p.name}": p for p in sorted(notebooks.glob("*.ipynb"))})
    return files


def _texts(folder: Path) -> dict[str, str]:
    """The files written from text rather than copied: README (titled after the folder)
    and requirements.txt."""
    readme = (package_folder("scaffold") / "README.md").read_text(encoding="utf-8")
    return {"README.md": readme.replace("{title}", label(folder.resolve().name)),
            "requirements.txt": REQUIREMENTS.format(**versions())}


def init_project(folder: str | Path) -> list[Path]:
    """Scaffold a project in `folder` (created if need be); returns the files written.
    Refuses, writing nothing, when `folder` is a file or any of the files exists."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SpmsimError(f"{folder}: a file, not a folder: give a new or empty folder")
    copies, texts = scaffold_files(), _texts(folder)
    targets = sorted({*copies, *texts})
    taken = [name for name in targets if (folder / name).exists()]
    if taken:
        shown = ", ".join(taken[:5]) + (f" and {len(taken) - 5} more" if len(taken) > 5 else "")
        raise SpmsimError(f"{folder}: already has {shown}; spmsim init never overwrites a "
                          "file: choose a new or empty folder (nothing was written)")
    written: list[Path] = []
    try:
        for name in targets:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if name in texts:
                target.write_text(texts[name], encoding="utf-8")
            else:
                shutil.copyfile(copies[name], target)
            written.append(target)
    except BaseException:
        for path in written:  # nothing half written: the files this call wrote go again
            path.unlink(missing_ok=True)
        raise
    return written
