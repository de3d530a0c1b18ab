"""Compensation plans: the plan language, its components and the vectorised payout engine."""

from .components import REGISTRY, Cap
from .curve import payout_curve
from .engine import Payout, PlanInputs, evaluate, team_sum
from .io import load_plan, plan_from_dict, plan_json_schema
from .model import Clawback, Draw, Plan

__all__ = ["REGISTRY", "Cap", "Clawback", "Draw", "Payout", "Plan", "PlanInputs", "evaluate",
           "load_plan", "payout_curve", "plan_from_dict", "plan_json_schema", "team_sum"]
