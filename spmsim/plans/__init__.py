"""Compensation plans: the plan language, its components and the vectorised payout engine.

`payout_curve` (which needs pandas) is loaded on first use, so reading and validating
plan files stays light.
"""

from __future__ import annotations

from typing import Any

from spmsim.plans.components import REGISTRY, Cap
from spmsim.plans.engine import Payout, PlanInputs, evaluate, last_year_series, team_sum
from spmsim.plans.io import load_plan, plan_from_dict, plan_json_schema
from spmsim.plans.model import Clawback, Draw, Plan

__all__ = ["REGISTRY", "Cap", "Clawback", "Draw", "Payout", "Plan", "PlanInputs", "evaluate",
           "last_year_series", "load_plan", "payout_curve", "plan_from_dict",
           "plan_json_schema", "team_sum"]


def __getattr__(name: str) -> Any:
    if name == "payout_curve":
        from spmsim.plans.curve import payout_curve

        return payout_curve
    raise AttributeError(f"module 'spmsim.plans' has no attribute {name!r}")
