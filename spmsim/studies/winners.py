"""Winners and losers of each study variant against the current plans, on last year's deals.

A study may name a year of history (`history:` with deals, quotas and roster CSVs and the
folder of the current plan files). Each variant's plans are replayed on those deals beside
the current variant's: every rep on a role's plan either wins, loses or is unchanged. A
role's plan is matched to the roster's `plan` column by the stem of the file the current
variant read it from. Only plans are compared: quotas are the history's, so a variant that
changes how quotas are set but not the plan shows no change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import Field

from spmsim.config import Frozen
from spmsim.data.transactions import Transactions, load_transactions
from spmsim.errors import SpmsimError
from spmsim.history.compare import compare
from spmsim.history.replay import revenue_measures
from spmsim.model.scenario import Scenario
from spmsim.plans import Plan
from spmsim.plans.io import load_plans

COLUMNS = ["variant", "role", "plan", "rep_id", "team", "old_pay", "new_pay", "change",
           "change_pct", "outcome"]


class StudyHistory(Frozen):
    """Last year's deals, quotas and roster, and the folder of the plans they were paid on
    (paths relative to the study file)."""

    deals: str
    quotas: str
    roster: str
    plans: str = Field(description="folder (or file) of the plans the roster names")
    current: str | None = Field(None, description="the variant that is today's plan "
                                                  "(default: the first)")


@dataclass(frozen=True)
class History:
    """The checked history and which roster plan key each scenario role is on."""

    plans: dict[str, Plan]
    files: dict[str, Path]
    role_keys: dict[str, str]


def role_keys(current: Scenario, plans: dict[str, Plan]) -> dict[str, str]:
    """Scenario role -> roster plan key, by the stem of the current role's plan file."""
    keys = {}
    for name, role in current.org.roles.items():
        stem = Path(role.plan_file).stem if role.plan_file else None
        if stem in plans:
            keys[name] = stem
    if not keys:
        raise SpmsimError(f"history: no role's plan file ({', '.join(current.org.roles)}) is "
                          f"among the history's plans ({', '.join(plans)}); the roster names "
                          "plans by file stem")
    return keys


def load_history(spec: StudyHistory, study_path: Path, current: Scenario) -> History:
    """Read the history's plans and check the three CSVs against them (errors name files)."""
    folder = study_path.parent
    plans = load_plans([folder / spec.plans])
    files = {k: folder / getattr(spec, k) for k in ("deals", "quotas", "roster")}
    load_transactions(plans, **files)  # fail early, before any variant runs
    return History(plans=plans, files=files, role_keys=role_keys(current, plans))


def _transactions(history: History, scenario: Scenario) -> Transactions:
    plans = dict(history.plans)
    for role, key in history.role_keys.items():
        if role in scenario.org.roles:
            plans[key] = scenario.org.roles[role].plan
    return load_transactions(plans, **history.files)


def winners_and_losers(history: History, current: Scenario, variant: Scenario) -> pd.DataFrame:
    """One row per rep on a compared role's plan: pay now and under the variant's plan,
    the change and the outcome (wins / loses / unchanged)."""
    old, new = _transactions(history, current), _transactions(history, variant)
    revenue = revenue_measures(old.plans)
    frames = []
    for role, key in history.role_keys.items():
        if not (old.roster["plan"] == key).any():
            continue
        by_rep = compare(old, new, key, revenue).by_rep
        frames.append(by_rep.assign(role=role, plan=key))
    return _stacked(frames, COLUMNS[1:])


def study_changes(per_variant: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every variant's winners and losers in one table, with a `variant` column."""
    return _stacked([t.assign(variant=v) for v, t in per_variant.items()], COLUMNS)


def _stacked(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)[columns] if frames else \
        pd.DataFrame(columns=columns)


def outcome_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per variant and role: reps who win, lose or are unchanged, and the pay change."""
    if table.empty:
        return pd.DataFrame(columns=["variant", "role", "wins", "loses", "unchanged",
                                     "pay_change"])
    counts = (table.pivot_table(index=["variant", "role"], columns="outcome", values="rep_id",
                                aggfunc="count", fill_value=0)
              .reindex(columns=["wins", "loses", "unchanged"], fill_value=0))
    counts["pay_change"] = table.groupby(["variant", "role"])["change"].sum()
    return counts.reset_index().rename_axis(columns=None)
