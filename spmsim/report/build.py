"""Study reports: the study is run, a notebook executed with papermill, and the result
converted by nbconvert into one self-contained HTML file with the code hidden.

Charts are inline SVG (rendered by vl-convert in the kernel), so the report needs no
network. A failing cell fails the command with the notebook's error; the HTML is written
to a temporary name and renamed, so no half report is left. `reports/index.html` lists
every report with its study, date and seed.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter

from spmsim.errors import SpmsimError
from spmsim.io import atomic_write_text
from spmsim.report import page
from spmsim.studies.study import load_study, run_study

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


# the kernel listens on localhost only; its warning about unencrypted TCP is noise here
_KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]


def execute_notebook(notebook: Path, parameters: dict, cwd: Path | None = None):
    """Run `notebook` with papermill; returns the executed notebook (nbformat)."""
    with tempfile.TemporaryDirectory() as tmp:
        executed = Path(tmp) / notebook.name
        try:
            papermill.execute_notebook(str(notebook), str(executed), parameters=parameters,
                                       kernel_name="python3", progress_bar=False,
                                       cwd=str(cwd) if cwd else None,
                                       extra_arguments=_KERNEL_ARGS)
        except papermill.PapermillExecutionError as e:
            raise SpmsimError(f"{notebook.name}: cell {e.exec_count} failed: {e.ename}: "
                              f"{e.evalue}") from None
        return nbformat.read(executed, as_version=4)


# a script that loads anything from a network (the template's require.js, MathJax and
# mermaid loaders): the report's charts are inline SVG and need none of them
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?https?://(?:(?!</script>)"
                            r".)*</script>|<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>",
                            re.I | re.S)


# markdown written for the designer reading the notebook, left out of the report
NOTEBOOK_ONLY = "notebook-only"


def to_html(nb, title: str | None = None, facts: str = "") -> str:
    """The notebook as one HTML page, code hidden, with no script that reaches a network;
    with `title`, framed for readers (`page.frame`: title, header linking to the index,
    the screen, phone and print stylesheet) and without the cells tagged notebook-only."""
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    if title is not None:
        nb = copy.deepcopy(nb)
        nb.cells = [c for c in nb.cells if NOTEBOOK_ONLY not in c.metadata.get("tags", [])]
    body, _ = exporter.from_notebook_node(nb)
    body = _REMOTE_SCRIPT.sub("", body)
    return body if title is None else page.frame(body, title, facts)


def _update_index(reports: Path, entry: dict) -> None:
    index_json = reports / "index.json"
    entries = json.loads(index_json.read_text()) if index_json.exists() else []
    entries = [e for e in entries if e["file"] != entry["file"]] + [entry]
    atomic_write_text(index_json, json.dumps(entries, indent=2) + "\n")
    atomic_write_text(reports / "index.html", page.index(entries))


def notebook_path(notebook: str | Path) -> Path:
    """A notebook by name (`quota_study`) or by path."""
    path = Path(notebook)
    if path.suffix != ".ipynb":
        path = NOTEBOOKS / f"{notebook}.ipynb"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")))
        raise SpmsimError(f"{notebook}: no such notebook (the shipped ones: {known})")
    return path


def notebook_defaults(path: Path) -> dict:
    """The values a notebook's `parameters` cell sets (literals only)."""
    found = {}
    for name, spec in papermill.inspect_notebook(str(path)).items():
        try:
            found[name] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            continue
    return found


def render_notebook(notebook: str | Path, parameters: dict, *, name: str, title: str,
                    reports: str | Path = "reports", seed: int | None = None,
                    trials: int | None = None) -> Path:
    """Execute a notebook with `parameters` and write `reports/<name>.html` (code hidden,
    offline) plus its line in the reports index; returns the HTML path.

    The notebook runs in the repository root, so its default paths resolve; give
    parameters that name files as absolute paths.
    """
    path, reports = notebook_path(notebook), Path(reports)
    used = {**notebook_defaults(path), **parameters}
    seed = used.get("seed") if seed is None else seed
    trials = used.get("trials") if trials is None else trials
    nb = execute_notebook(path, parameters, cwd=NOTEBOOKS.parent)
    return write_report(nb, name=name, title=title, notebook=path.stem, reports=reports,
                        seed=seed, trials=trials)


def write_report(nb, *, name: str, title: str, notebook: str, reports: str | Path = "reports",
                 seed: int | None = None, trials: int | None = None) -> Path:
    """An executed notebook written as `reports/<name>.html` (framed for readers: title,
    header, stylesheet) with its line in the reports index; returns the HTML path."""
    reports = Path(reports)
    target = reports / f"{name}.html"
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    atomic_write_text(target, to_html(nb, title, page.facts(date, seed, trials)))
    _update_index(reports, {"file": target.name, "study": title, "notebook": notebook,
                            "seed": seed, "trials": trials, "date": date})
    return target


def build_report(study_path: str | Path, *, reports: str | Path = "reports",
                 trials: int | None = None, role: str | None = None,
                 notebook: str | Path | None = None, progress: bool = True) -> Path:
    """Run the study and write `reports/<study file stem>.html`; returns its path."""
    study_path, reports = Path(study_path), Path(reports)
    study = load_study(study_path)
    out = reports / f"{study_path.stem}_study"
    summary = run_study(study_path, out, trials=trials, progress=progress)
    if (summary["status"] != "ok").all():
        raise SpmsimError(f"{study_path}: every variant failed; no report")
    notebook = notebook_path(notebook or "executive_summary")
    meta = json.loads((out / "study.json").read_text())
    first_ok = summary.loc[summary["status"] == "ok", "variant"].iloc[0]
    roles = json.loads((out / "variants" / first_ok / "meta.json").read_text())["groups"][:-1]
    suffix = "" if notebook.stem == "executive_summary" else f"_{notebook.stem}"
    return render_notebook(notebook, {"out": str(out.resolve()), "role": role or roles[0]},
                           name=f"{study_path.stem}{suffix}", title=study.study,
                           reports=reports, seed=study.seed, trials=meta["trials"])
