"""What the designer offers to pick: the repository's scenarios, their roles, its plan files.

Files are recognised by their top-level keys (a scenario has `scenario:` and `org:` or
`extends:`; a plan has `plan:` and `components:`), so a study or a data file in the same
folder is not offered.
"""

from __future__ import annotations

import re
from pathlib import Path

from spmsim.config import read_yaml
from spmsim.errors import SpmsimError

_TOP_KEY = re.compile(r"^([A-Za-z_][\w]*):", re.M)


def _keys(path: Path) -> set[str]:
    """The top-level keys of a YAML file, read from the text (files are only offered
    here; opening one validates it)."""
    try:
        return set(_TOP_KEY.findall(path.read_text()))
    except OSError:
        return set()


def _yaml_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def scenario_files(folder: Path, keep: Path | None = None) -> list[Path]:
    """The scenario files in `folder` (and `keep`, wherever it is)."""
    found = [p for p in _yaml_files(folder)
             if {"scenario"} <= _keys(p) and _keys(p) & {"org", "extends"}]
    if keep is not None and keep.resolve() not in {p.resolve() for p in found}:
        found.insert(0, keep)
    return found


def plan_files(folders: list[Path], keep: Path | None = None) -> list[Path]:
    """The plan files in `folders` (each once, and `keep`, wherever it is)."""
    seen, found = set(), []
    for folder in folders:
        for p in _yaml_files(folder) if folder.is_dir() else []:
            if p.resolve() not in seen and {"plan", "components"} <= _keys(p):
                seen.add(p.resolve())
                found.append(p)
    if keep is not None and keep.resolve() not in seen:
        found.insert(0, keep)
    return found


def roles(scenario: Path) -> list[str]:
    """The roles a scenario file names (following `extends:`), [] when it cannot be read."""
    chain, path = set(), scenario
    while path.resolve() not in chain:
        chain.add(path.resolve())
        try:
            data = read_yaml(path)
        except SpmsimError:
            return []
        if not isinstance(data, dict):
            return []
        found = ((data.get("org") or {}).get("roles")) if "org" in data else None
        if isinstance(found, dict):
            return list(found)
        if "extends" not in data:
            return []
        path = path.parent / str(data["extends"])
    return []
