"""Reading plan files: YAML parsed in one place, errors naming the file and field path."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from ..errors import InputError, Problem, problems_from_validation
from .components import REGISTRY, Cap, Tier
from .model import Clawback, Draw, Plan

KEYS = frozenset(name for model in (Plan, Cap, Draw, Clawback, Tier, *REGISTRY.values())
                 for name in model.model_fields)


def read_yaml(path: str | Path) -> object:
    """Parse a YAML file, or raise InputError naming the line of a syntax error."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise InputError(path, f"cannot read the file ({e.strerror})") from e
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(path, [Problem(where, f"not valid YAML: {getattr(e, 'problem', e)}")])\
            from e


def plan_from_dict(data: object, source: str | Path = "<plan>") -> Plan:
    if not isinstance(data, dict):
        raise InputError(source, "a plan file is a mapping with `plan:`, `ote:`, `components:`")
    try:
        return Plan.model_validate(data)
    except ValidationError as e:
        raise InputError(source, problems_from_validation(e, frozenset(REGISTRY), KEYS)) from e


def load_plan(path: str | Path) -> Plan:
    """Load and validate a plan file."""
    return plan_from_dict(read_yaml(path), path)


def plan_json_schema() -> str:
    """JSON Schema of plan files, for editors' autocompletion."""
    return json.dumps(Plan.model_json_schema(), indent=2)
