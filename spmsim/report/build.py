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
import difflib
import json
import keyword
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbconvert import HTMLExporter

from spmsim.config import SAFE_NAME_RULE, is_safe_name, safe_name
from spmsim.errors import InputError, Problem, SpmsimError
from spmsim.io import atomic_write_text
from spmsim.report import page
from spmsim.shipped import find_notebook, notebook_names
from spmsim.studies.study import load_study, run_study
from spmsim.versions import versions

# the kernel listens on localhost only; its warning about unencrypted TCP is noise here
_KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]


def _plain(value: Any, where: str, problems: list[Problem]) -> Any:
    """A parameter value as plain data papermill writes as a Python literal: text,
    numbers, true/false, null, lists and mappings with text keys (dates become text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v, f"{where}[{i}]", problems) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                problems.append(Problem(where, f"a mapping's keys are text (got {k!r})"))
                continue
            out[k] = _plain(v, f"{where}.{k}", problems)
        return out
    problems.append(Problem(where, f"a value is text, a number, true/false, a list or a "
                                   f"mapping (got {type(value).__name__})"))
    return None


def check_parameters(notebook: Path, parameters: Mapping[Any, Any]) -> dict[str, Any]:
    """The parameters, checked against the notebook's `parameters` cell: every name must
    be one the cell assigns (papermill would write any other, unquoted, into the code it
    runs) and every value plain data. Raises InputError naming the notebook's parameters."""
    declared = list(papermill.inspect_notebook(str(notebook)))
    problems: list[Problem] = []
    clean = {}
    for key, value in parameters.items():
        if not isinstance(key, str) or key not in declared or not key.isidentifier() or \
                keyword.iskeyword(key):
            close = difflib.get_close_matches(str(key), declared, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(Problem(f"parameter {key!r}", f"not a parameter of this notebook: "
                                    f"{hint}its parameters are {', '.join(declared) or 'none'}"))
            continue
        clean[key] = _plain(value, f"parameter {key!r}", problems)
    if problems:
        raise InputError(notebook, problems)
    return clean


def execute_notebook(notebook: Path, parameters: dict, cwd: Path | None = None):
    """Run `notebook` with papermill (its parameters checked first: nothing runs with a
    name the notebook does not declare); returns the executed notebook (nbformat)."""
    parameters = check_parameters(notebook, parameters)
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


def _read_index(reports: Path) -> list[dict]:
    """The reports index's entries (none yet: empty); one not as spmsim writes it is refused
    before any report is made."""
    index_json = reports / "index.json"
    entries: object = []
    if index_json.exists():
        try:
            entries = json.loads(index_json.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            entries = None
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and {"file", "study", "date"} <= set(e) for e in entries):
        raise SpmsimError(f"{index_json}: not a reports index as spmsim writes it: remove it "
                          "(it is rebuilt as reports are written)")
    return entries


def _update_index(reports: Path, entry: dict) -> None:
    index_json = reports / "index.json"
    entries = [e for e in _read_index(reports) if e["file"] != entry["file"]] + [entry]
    atomic_write_text(index_json, json.dumps(entries, indent=2) + "\n")
    atomic_write_text(reports / "index.html", page.index(entries))


def notebook_path(notebook: str | Path) -> Path:
    """A notebook by path, or by name (`quota_study`): the project's own copy in its
    `notebooks/` folder if it keeps one, else the one that ships with spmsim."""
    path = Path(notebook)
    if path.suffix != ".ipynb":
        if not is_safe_name(str(notebook)):
            raise InputError(str(notebook), f"a notebook's name is {SAFE_NAME_RULE} "
                                            "(or give the path of an .ipynb file)")
        path = find_notebook(str(notebook)) or path
    if not path.is_file():
        raise SpmsimError(f"{notebook}: no such notebook (the project's and the shipped "
                          f"ones: {', '.join(notebook_names())})")
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

    The notebook runs in the working directory (the project's folder), so its default
    paths resolve from there; give parameters that name files as absolute paths.
    """
    if not is_safe_name(name):
        raise InputError(f"--name {name!r}", f"a report's name is {SAFE_NAME_RULE}; it "
                                             "becomes reports/<name>.html")
    path, reports = notebook_path(notebook), Path(reports)
    _read_index(reports)  # a damaged index stops us before anything runs
    used = {**notebook_defaults(path), **parameters}
    seed = used.get("seed") if seed is None else seed
    trials = used.get("trials") if trials is None else trials
    nb = execute_notebook(path, parameters, cwd=Path.cwd())
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
                            "seed": seed, "trials": trials, "date": date, **versions()})
    return target


def changed_role(out: Path, variants: list[str], roles: list[str]) -> str:
    """The first role whose plan the designs change (the payout curve worth drawing); the
    first role when none does."""
    plans = [json.loads((out / "variants" / v / "meta.json").read_text())["scenario"]["org"]
             ["roles"] for v in variants]
    for r in roles:
        if len({json.dumps(p.get(r, {}).get("plan"), sort_keys=True, default=str)
                for p in plans}) > 1:
            return r
    return roles[0]


def build_report(study_path: str | Path, *, reports: str | Path = "reports",
                 trials: int | None = None, role: str | None = None,
                 notebook: str | Path | None = None, progress: bool = True) -> Path:
    """Run the study and write `reports/<study file stem>.html`; returns its path."""
    study_path, reports = Path(study_path), Path(reports)
    study = load_study(study_path)
    out = reports / safe_name(f"{study_path.stem}_study")
    summary = run_study(study_path, out, trials=trials, progress=progress)
    if (summary["status"] != "ok").all():
        raise SpmsimError(f"{study_path}: every variant failed; no report")
    notebook = notebook_path(notebook or "executive_summary")
    meta = json.loads((out / "study.json").read_text())
    first_ok = summary.loc[summary["status"] == "ok", "variant"].iloc[0]
    roles = json.loads((out / "variants" / first_ok / "meta.json").read_text())["groups"][:-1]
    ok = summary.loc[summary["status"] == "ok", "variant"].tolist()
    suffix = "" if notebook.stem == "executive_summary" else f"_{notebook.stem}"
    return render_notebook(notebook, {"out": str(out.resolve()),
                                      "role": role or changed_role(out, ok, roles)},
                           name=safe_name(f"{study_path.stem}{suffix}"), title=study.study,
                           reports=reports, seed=study.seed, trials=meta["trials"])
