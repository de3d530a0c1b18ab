"""What every configuration file shares: the frozen base model, the one YAML reader, the
pattern of measure names and the tolerance at an edge.

Plans, scenarios, studies, sweeps, capacity files and CRM mappings are all pydantic models
read from YAML; they meet here, below every layer that defines them.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from spmsim.errors import InputError, Problem

MEASURE_PATTERN = r"^[a-z][a-z0-9_]*$"
# Credit within a billionth (of quota, or of a currency unit) below an edge counts as
# reaching it: sums of floats such as 12 x (0.4 / 12) land a hair short of 0.4.
EDGE_TOLERANCE = 1e-9


class Frozen(BaseModel):
    """Base of every model in a YAML file: unknown keys are errors, objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
