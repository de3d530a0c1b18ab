"""A study's outcome, recorded and checked: which variant is recommended and which of the
study's constraints each variant meets, in readers' words.

`spmsim study STUDY --record` writes it beside the study (`outcomes/<study>.yaml`), the
team commits it, and `spmsim study STUDY --check` (what CI runs) fails when a change to a
plan, a scenario, the study or spmsim itself changes it: the change is then reviewed like
code and recorded again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from spmsim.config import read_yaml
from spmsim.errors import InputError
from spmsim.format import label
from spmsim.io import atomic_write_text
from spmsim.report.studyview import constraint_text
from spmsim.studies.study import Study

MET, NOT_MET, FAILED = "met", "not met", "did not run"

HEADER = """\
# The outcome of the study {study} that `spmsim study --check` expects: the recommended
# variant and which constraints each variant meets. A change that alters it fails the
# check; after review, run `spmsim study` on the study with --record and commit this file.
"""


def outcome_path(study_path: str | Path) -> Path:
    """Where a study's recorded outcome lives: `outcomes/<study file name>` beside it."""
    study_path = Path(study_path)
    return study_path.parent / "outcomes" / study_path.name


def outcome(study: Study, summary: pd.DataFrame) -> dict[str, Any]:
    """The outcome of a run: the recommended variant (None when none meets every
    constraint) and, per variant, each constraint met, not met, or the variant did not run."""
    rows = summary.set_index("variant")
    rec = rows.index[rows["recommended"]]
    checks = {}
    for name in study.variants:
        row = rows.loc[name]
        checks[name] = {constraint_text(c.model_dump()): (
            FAILED if row["status"] != "ok" else MET if bool(row[c.label()]) else NOT_MET)
            for c in study.constraints}
    return {"study": study.study, "recommended": str(rec[0]) if len(rec) else None,
            "constraints": checks}


def write_outcome(path: str | Path, found: dict[str, Any], study_path: str | Path) -> Path:
    """The outcome as YAML with a header that says how it is used."""
    text = HEADER.format(study=Path(study_path).name) + yaml.safe_dump(
        found, sort_keys=False, allow_unicode=True)
    return atomic_write_text(path, text)


def read_outcome(path: str | Path, study_path: str | Path) -> dict[str, Any]:
    """A recorded outcome; InputError when there is none or it is not one spmsim wrote."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, f"no recorded outcome to check against: run `spmsim study "
                               f"{Path(study_path).as_posix()} --out DIR --record` and commit "
                               "the file it writes")
    data = read_yaml(path)
    if not isinstance(data, dict) or not {"recommended", "constraints"} <= set(data) or \
            not isinstance(data["constraints"], dict):
        raise InputError(path, "not an outcome as `spmsim study --record` writes it: remove "
                               "it and record it again")
    return data


def _who(variant: str | None) -> str:
    return "none (no variant meets every constraint)" if variant is None else label(variant)


def changes(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """What differs between the recorded and the new outcome, one sentence each (empty:
    the same)."""
    out = []
    if expected["recommended"] != found["recommended"]:
        out.append(f"The recommendation changed: {_who(expected['recommended'])} before, "
                   f"{_who(found['recommended'])} now.")
    was, now = expected["constraints"], found["constraints"]
    for name in [*now, *(v for v in was if v not in now)]:
        if name not in was:
            out.append(f"{label(name)}: a new variant, not in the recorded outcome.")
            continue
        if name not in now:
            out.append(f"{label(name)}: in the recorded outcome, no longer in the study.")
            continue
        before, after = was[name] or {}, now[name] or {}
        for rule in [*after, *(r for r in before if r not in after)]:
            if before.get(rule) != after.get(rule):
                out.append(f"{label(name)}: {rule}: {before.get(rule, 'not a constraint')} "
                           f"before, {after.get(rule, 'not a constraint')} now.")
    return out
