"""MkDocs hooks that keep the manual in step with the code.

* Field tables are generated from the JSON Schema of plan, scenario and study files:
  a page writes `<!-- fields: plan Commission -->` (schema, then model) and gets the table
  of that model's keys, types, defaults and descriptions, so the reference cannot drift
  from the validators. Schemas: plan, scenario, study, sweep (sweep studies), capacity, mapping (CRM
  column mappings).
* Command help is generated from the parser: `<!-- cli: simulate -->` becomes the output
  of `spmsim simulate --help`.
* The shipped notebooks appear under `notebooks/`. With `SPMSIM_DOCS_NOTEBOOKS=execute`
  (what `make docs` sets) each is executed first with the example parameters of
  `docs/notebooks.yaml`, so its page shows the outputs; otherwise (the test suite's quick
  strict build) the notebook is shown as committed, without outputs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "manual"
FIELDS = re.compile(r"<!--\s*fields:\s*(\w+)\s+(\w+)\s*-->")
CLI = re.compile(r"<!--\s*cli:\s*([\w ]*?)\s*-->")


# ---- field tables from the JSON Schema ------------------------------------------------

def _schema(kind: str) -> dict:
    if kind == "plan":
        from spmsim.plans import plan_json_schema

        return json.loads(plan_json_schema())
    if kind == "scenario":
        from spmsim.model.scenario import scenario_json_schema

        return json.loads(scenario_json_schema())
    if kind == "study":
        from spmsim.studies.study import Study

        return Study.model_json_schema()
    if kind == "sweep":
        from spmsim.studies.sweep.spec import SweepStudy

        return SweepStudy.model_json_schema()
    if kind == "capacity":
        from spmsim.capacity.inputs import Capacity, FromHistory

        schema = Capacity.model_json_schema()
        schema.setdefault("$defs", {})["FromHistory"] = FromHistory.model_json_schema()
        return schema
    if kind == "mapping":
        from spmsim.data.crm import ColumnMapping

        return ColumnMapping.model_json_schema()
    raise ValueError(f"no schema {kind!r}: use plan, scenario, study, sweep, capacity or mapping")


def _type(spec: dict) -> str:
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    if "const" in spec:
        return f"`{spec['const']}`"
    if "enum" in spec:
        return " \\| ".join(f"`{v}`" for v in spec["enum"])
    if "anyOf" in spec:
        parts = [_type(s) for s in spec["anyOf"] if s.get("type") != "null"]
        return " or ".join(parts) + (" (optional)" if len(parts) < len(spec["anyOf"]) else "")
    if spec.get("type") == "array":
        items = spec.get("items") or (spec.get("prefixItems") or [{}])[0]
        return f"list of {_type(items)}"
    if spec.get("type") == "object":
        extra = spec.get("additionalProperties")
        return f"mapping to {_type(extra)}" if isinstance(extra, dict) else "mapping"
    bounds = [f"{op} {spec[k]:g}" for k, op in (("minimum", ">="), ("exclusiveMinimum", ">"),
                                              ("maximum", "<="), ("exclusiveMaximum", "<"))
              if k in spec]
    return spec.get("type", "any") + (f" ({', '.join(bounds)})" if bounds else "")


def field_table(kind: str, model: str) -> str:
    """The keys of `model` in the `kind` schema as a Markdown table."""
    schema = _schema(kind)
    spec = schema if schema.get("title") == model else schema.get("$defs", {}).get(model)
    if spec is None:
        raise ValueError(f"the {kind} schema has no model {model!r}")
    required = set(spec.get("required", []))
    rows = ["| key | type | required or default | meaning |", "| --- | --- | --- | --- |"]
    for name, field in spec.get("properties", {}).items():
        need = "required" if name in required else \
            f"`{json.dumps(field.get('default'))}`" if "default" in field else "optional"
        text = (field.get("description") or "").replace("\n", " ").replace("|", "\\|")
        rows.append(f"| `{name}` | {_type(field)} | {need} | {text} |")
    return "\n".join(rows)


def command_help(words: str) -> str:
    """`spmsim <words> --help`, as the parser prints it."""
    import contextlib
    import io

    from spmsim.cli import build_parser

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        build_parser().parse_args([*words.split(), "--help"])
    return "```text\n" + out.getvalue().rstrip() + "\n```"


def on_page_markdown(markdown: str, page, config, files) -> str:
    markdown = FIELDS.sub(lambda m: field_table(m.group(1), m.group(2)), markdown)
    return CLI.sub(lambda m: command_help(m.group(1)), markdown)


# ---- the shipped notebooks ----------------------------------------------------------------

def _notebooks(execute: bool) -> Path:
    """The notebooks for the manual, executed or as committed, in build/manual/notebooks."""
    import nbformat

    from spmsim.report import examples as ex
    from spmsim.report.build import execute_notebook

    folder = BUILD / "notebooks"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    spec = ex.read_examples(ROOT / "docs" / "notebooks.yaml")
    if execute:
        paths = {"study": str(ex.run_example_study(spec, ROOT, BUILD / "study")),
                 "sweep": str(ex.run_example_sweep(spec, ROOT, BUILD / "sweep"))}
    for name in spec["notebooks"]:
        source = ROOT / "notebooks" / f"{name}.ipynb"
        if execute:
            nb = execute_notebook(source, ex.example_parameters(spec, name, paths), cwd=ROOT)
            nbformat.write(_static(nb), folder / source.name)
        else:
            shutil.copy(source, folder / source.name)
    return folder


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _static(nb):
    """Widgets need a live kernel: a page shows the static HTML a widget also offers (the
    plan designer's snapshot of its charts and table) instead of an empty widget view.
    Papermill's injected parameters (this machine's paths) are hidden like the notebook's
    own parameters cell."""
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "parameters" not in tags:
            cell.metadata["tags"] = [*tags, "parameters"]
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and "text/html" in data:
                del data[WIDGET_VIEW]
    nb.metadata.pop("widgets", None)
    return nb


@event_priority(100)  # before mkdocs-jupyter turns .ipynb files into pages
def on_files(files: Files, config) -> Files:
    execute = os.environ.get("SPMSIM_DOCS_NOTEBOOKS", "") == "execute"
    folder = _notebooks(execute)
    for path in sorted(folder.glob("*.ipynb")):
        files.append(File(f"notebooks/{path.name}", str(folder.parent), config["site_dir"],
                          config["use_directory_urls"]))
    return files
