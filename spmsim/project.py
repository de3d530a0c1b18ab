"""A comp team's own project, outside spmsim's source tree: `spmsim init DIR` copies the
scaffold that ships in the package (example plans, scenarios, a study with its recorded
outcome, a year of example deals, quotas and roster, a capacity plan, a README, a
.gitignore and a CI workflow), the report notebooks for editing (their default paths set
to the project's layout), and a requirements.txt that pins the spmsim and numpy the
example numbers were made with.

Nothing is overwritten: if any file the scaffold would write exists, nothing is written.
"""

from __future__ import annotations

import json
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


def project_notebook(path: Path) -> str:
    """A shipped notebook as the project's copy: the default paths of its `parameters`
    cell, written for spmsim's repository (`scenarios/plans/...`), point into the project,
    which holds the same example files at its root (`plans/...`)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell["source"]
            fix = lambda line: line.replace('"scenarios/', '"')  # noqa: E731
            cell["source"] = [fix(s) for s in source] if isinstance(source, list) else \
                fix(source)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _texts(folder: Path) -> dict[str, str]:
    """The files written from text rather than copied: README (titled after the folder),
    requirements.txt and the notebooks."""
    readme = (package_folder("scaffold") / "README.md").read_text(encoding="utf-8")
    notebooks = {f"notebooks/{p.name}": project_notebook(p)
                 for p in sorted(shipped_notebooks().glob("*.ipynb"))}
    return {"README.md": readme.replace("{title}", label(folder.resolve().name)),
            "requirements.txt": REQUIREMENTS.format(**versions()), **notebooks}


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
