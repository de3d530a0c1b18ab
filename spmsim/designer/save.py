"""Writing plan files and adding a plan to a study as a variant, keeping what people wrote.

A plan is validated before it is written and must read back as the same plan; a study
gains its variant as a few inserted lines (every other line, comments too, kept), is
validated with the variant's scenario built, and is replaced atomically.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from spmsim.config import SAFE_NAME_RULE, is_safe_name, read_yaml
from spmsim.errors import InputError, Problem
from spmsim.io import atomic_write, atomic_write_text
from spmsim.plans import plan_from_dict
from spmsim.studies.study import load_study, variant_scenario

FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,94}\.ya?ml")  # use fullmatch


def is_plan_file_name(name: str) -> bool:
    """A plan file name: a safe name (letters, digits, `_.-`) ending in .yaml or .yml, and
    nothing after it (a trailing newline included)."""
    return isinstance(name, str) and FILE_NAME.fullmatch(name) is not None


class _Dumper(yaml.SafeDumper):
    """Plan files as people write them: short rows (tiers, caps, curve points) inline."""


def _flat(v: Any) -> bool:
    return not isinstance(v, dict | list | tuple)


def _seq(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(_flat(x) or (isinstance(x, list | tuple) and all(map(_flat, x))) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _map(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    flow = len(data) <= 3 and all(map(_flat, data.values()))
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(list, _seq)
_Dumper.add_representer(tuple, _seq)
_Dumper.add_representer(dict, _map)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def save_plan(tree: dict, path: str | Path, *, header: str = "", overwrite: bool = False
              ) -> Path:
    """Validate the plan data and write it as YAML, atomically; refuses to replace a file
    unless `overwrite`. Nothing is written when the plan is invalid."""
    path = Path(path)
    if not is_plan_file_name(path.name):
        raise InputError(path, "a plan file name is letters, digits, `_.-`, ending in .yaml")
    plan = plan_from_dict(tree, path)
    if path.exists() and not overwrite:
        raise InputError(path, "the file exists: choose another name or overwrite it")
    text = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    text += dump_yaml(tree)
    if plan_from_dict(yaml.safe_load(text), path) != plan:  # what is read back is the plan
        raise InputError(path, "the plan does not read back as written (a bug: report it)")
    return atomic_write_text(path, text)


def _block_end(lines: list[str], start: int) -> int:
    """Index after the last line of the block mapping under `lines[start]` (trailing
    comments and blank lines at column 0 stay with what follows)."""
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
        end += 1
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return end


def with_variant(text: str, name: str, entry: dict) -> str:
    """The study file's text with one more variant at the end of `variants:`, every other
    line kept as it was (comments too). Raises ValueError when `variants:` is not a block."""
    lines = text.splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines)
               if re.match(r"^variants:\s*(#.*)?$", line)), None)
    if at is None:
        raise ValueError("no block `variants:` mapping")
    end = _block_end(lines, at)
    child = next((ln for ln in lines[at + 1:end] if ln.strip() and not ln.lstrip()
                  .startswith("#")), "  x")
    indent = child[: len(child) - len(child.lstrip())]
    block = [indent + ln for ln in dump_yaml({name: entry}).splitlines(keepends=True)]
    if end and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    return "".join(lines[:end] + block + lines[end:])


def add_variant(study_path: str | Path, name: str, plan_path: str | Path, role: str,
                description: str = "") -> Path:
    """Add a variant to a study file that puts `role` on the plan at `plan_path`; the study
    is validated (and the variant's scenario built) before it is replaced, atomically."""
    study_path = Path(study_path)
    study = load_study(study_path)
    if not is_safe_name(name):
        raise InputError(study_path, [Problem(f"variants.{name}", f"a variant name is "
                                              f"{SAFE_NAME_RULE}")])
    if name in study.variants:
        raise InputError(study_path, [Problem(f"variants.{name}",
                                              "exists: choose another variant name")])
    rel = os.path.relpath(Path(plan_path).resolve(), study_path.resolve().parent)
    entry = {"description": description or f"{role} on {Path(plan_path).name}",
             "set": {f"org.roles.{role}.plan": rel}}
    data = read_yaml(study_path)
    expected = {**data, "variants": {**data["variants"], name: entry}}
    text = study_path.read_text()
    try:
        new = with_variant(text, name, entry)
        if yaml.safe_load(new) != expected:
            raise ValueError("the inserted lines do not read back as the variant")
    except ValueError:  # flow-style variants: rewrite the file (its comments are lost)
        new = dump_yaml(expected)

    def check(tmp: Path) -> None:
        tmp.write_text(new)
        try:
            variant_scenario(load_study(tmp), name, tmp)
        except InputError as e:
            if e.file != str(tmp):
                raise
            raise InputError(study_path, e.problems) from e

    return atomic_write(study_path, check)
