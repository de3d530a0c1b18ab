"""Reading plan files: YAML parsed in one place, errors naming the file and field path."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from spmsim.config import read_yaml
from spmsim.errors import InputError, SpmsimError, problems_from_validation
from spmsim.plans.components import REGISTRY, Cap, Tier
from spmsim.plans.model import Clawback, Draw, Plan

KEYS = frozenset(name for model in (Plan, Cap, Draw, Clawback, Tier, *REGISTRY.values())
                 for name in model.model_fields)


def plan_from_dict(data: object, source: str | Path = "<plan>") -> Plan:
    if not isinstance(data, dict):
        raise InputError(source, "a plan file is a mapping with `plan:`, `ote:`, `components:`")
    if "plan" not in data and {"org", "market"} & set(data):
        raise InputError(source, "a scenario, not a plan: simulate it (`spmsim simulate`); "
                                 "a plan file has `plan:`, `ote:`, `components:`")
    if "plan" not in data and {"variants", "sweep"} & set(data):
        raise InputError(source, "a study, not a plan: run it (`spmsim study` or `spmsim "
                                 "sweep`); a plan file has `plan:`, `ote:`, `components:`")
    try:
        return Plan.model_validate(data)
    except ValidationError as e:
        raise InputError(source, problems_from_validation(e, frozenset(REGISTRY), KEYS)) from e


def load_plan(path: str | Path) -> Plan:
    """Load and validate a plan file; a relative `fx.file` is taken from its folder."""
    data = read_yaml(path)
    fx = data.get("fx") if isinstance(data, dict) else None
    if isinstance(fx, dict) and isinstance(fx.get("file"), str) and \
            not Path(fx["file"]).is_absolute():
        data = {**data, "fx": {**fx, "file": str(Path(path).parent / fx["file"])}}
    return plan_from_dict(data, path)


def plan_json_schema() -> str:
    """JSON Schema of plan files, for editors' autocompletion."""
    return json.dumps(Plan.model_json_schema(), indent=2)


def plan_files(paths: Sequence[str | Path]) -> list[Path]:
    """The plan files named: each folder's YAML files (sorted) and each file as given."""
    files = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))
        else:
            files.append(p)
    return files


def load_plans(paths: Sequence[str | Path]) -> dict[str, Plan]:
    """Plans keyed by file stem; every file is checked and all errors reported together."""
    plans, errors, seen = {}, [], {}
    for f in plan_files(paths):
        if f.stem in seen and seen[f.stem] != f.resolve():
            errors.append(f"{f}: the roster names plans by file stem and {seen[f.stem]} is "
                          f"also {f.stem!r}: rename one of them")
            continue
        seen[f.stem] = f.resolve()
        try:
            plans[f.stem] = load_plan(f)
        except InputError as e:
            errors.append(e.render())
    if errors:
        raise SpmsimError("\n".join(errors))
    return plans
