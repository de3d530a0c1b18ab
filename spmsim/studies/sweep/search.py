"""Plan search over a sweep's candidates: which meet the constraints, the Pareto front of
the objectives among those, the chosen plan, and where to look next.

* feasible: the candidate ran and meets every study constraint;
* on the front: feasible, and no feasible candidate is at least as good on every
  objective and better on one (equal points are all on the front);
* chosen: the front candidate with the best study `objective` (ties: the lowest index).
  When that objective is one of the front's, this is the best feasible candidate overall;
* refinement centres: the best feasible candidates by the study objective, or, when none
  is feasible, those closest to meeting the constraints.

Sampling is `sweep.sampling`; reading a sweep's folder back for reports is `sweep.view`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spmsim.model.scenario import ALL
from spmsim.studies.study import Constraint
from spmsim.studies.sweep.spec import SweepStudy

SHARES = ("share", "cost_of_sales", "p_over", "top20")  # metrics that are shares (0-1)
FRONT_BLOCK = 256  # rows compared at once in the dominance test (memory ~ block x n x k)


def metric_column(metric: str, group: str = ALL) -> str:
    """The table column of a metric of a group: `cost_of_sales`, `share_at_quota (ent_ae)`."""
    return metric if group == ALL else f"{metric} ({group})"


def pareto_front(values: np.ndarray, goals: Sequence[str]) -> np.ndarray:
    """Which rows of `values` (n, k) no other row dominates, with `goals[j]` 'max' or 'min'
    for column j. Rows with a NaN are never on the front and dominate nothing."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 2 or v.shape[1] != len(goals):
        raise ValueError(f"values must be (n, {len(goals)}), got {v.shape}")
    sign = np.array([-1.0 if g == "max" else 1.0 for g in goals])
    cost = v * sign  # smaller is better in every column
    valid = ~np.isnan(cost).any(axis=1)
    c = cost[valid]
    dominated = np.zeros(len(c), dtype=bool)
    for start in range(0, len(c), FRONT_BLOCK):
        rows = c[start:start + FRONT_BLOCK, None, :]  # (b, 1, k) against every other (1, m, k)
        no_worse = (c[None, :, :] <= rows).all(axis=-1)
        better = (c[None, :, :] < rows).any(axis=-1)
        dominated[start:start + FRONT_BLOCK] = (no_worse & better).any(axis=1)
    front = np.zeros(len(v), dtype=bool)
    front[valid] = ~dominated
    return front


def violation(table: pd.DataFrame, constraints: Sequence[Constraint]) -> pd.Series:
    """How far each row is from meeting every constraint: the sum of the relative
    distances outside each [min, max] (0 when feasible; inf when a metric is missing)."""
    total = pd.Series(0.0, index=table.index)
    for c in constraints:
        col = metric_column(c.metric, c.group)
        v = table[col] if col in table else pd.Series(np.nan, index=table.index)
        gap = pd.Series(0.0, index=table.index)
        if c.min is not None:
            gap = gap + ((c.min - v).clip(lower=0) / max(abs(c.min), 1e-12))
        if c.max is not None:
            gap = gap + ((v - c.max).clip(lower=0) / max(abs(c.max), 1e-12))
        total = total + gap.fillna(math.inf)
    return total


def _param_column(values: list[Any]) -> list[Any]:
    """Numbers (or texts) as they are; anything else (mappings, lists, mixtures) as JSON."""
    present = [v for v in values if v is not None]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
    text = all(isinstance(v, str) for v in present)
    if numeric or text:
        return values
    return [json.dumps(v, sort_keys=True) for v in values]


def _best(frame: pd.DataFrame, goal: str) -> pd.DataFrame:
    """Rows sorted best objective first (NaN last), ties by index."""
    return frame.sort_values(["objective", "index"], ascending=[goal == "min", True],
                             na_position="last", kind="mergesort")


def candidates_table(study: SweepStudy, records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per candidate: parameters, status, seed, metrics, each constraint met or
    not, feasible, the study objective, on the Pareto front, and the chosen one."""
    records = sorted(records, key=lambda r: r["index"])
    table = pd.DataFrame({"candidate": [r["candidate"] for r in records],
                          "index": [int(r["index"]) for r in records],
                          "round": [int(r["round"]) for r in records]})
    for name in study.sweep.parameters:
        table[name] = _param_column([r["params"][name] for r in records])
    table["status"] = [r["status"] for r in records]
    table["seed"] = [int(r["seed"]) for r in records]
    columns = list(dict.fromkeys(k for r in records for k in r["metrics"]))
    needed = [metric_column(o.metric, o.group)
              for o in (*study.sweep.objectives, study.objective)] + \
        [metric_column(c.metric, c.group) for c in study.constraints]
    for col in columns + [c for c in needed if c not in columns]:
        table[col] = np.array([r["metrics"].get(col, np.nan) for r in records], dtype=float)
    ok = table["status"] == "ok"
    met = pd.Series(True, index=table.index)
    for c in study.constraints:
        col = metric_column(c.metric, c.group)
        table[c.label()] = ok & table[col].map(c.met)
        met &= table[c.label()]
    table["feasible"] = ok & met
    table["objective"] = table[metric_column(study.objective.metric, study.objective.group)]
    goals = [o.goal for o in study.sweep.objectives]
    values = table[[metric_column(o.metric, o.group) for o in study.sweep.objectives]]
    front = np.zeros(len(table), dtype=bool)
    feasible = table["feasible"].to_numpy()
    front[feasible] = pareto_front(values.to_numpy()[feasible], goals)
    table["on_front"] = front
    ranked = _best(table[table["on_front"] & table["objective"].notna()], study.objective.goal)
    table["chosen"] = table.index == (ranked.index[0] if len(ranked) else -1)
    return table


def refine_centres(table: pd.DataFrame, study: SweepStudy, k: int) -> list[int]:
    """Indices of the candidates to refine around: the `k` best feasible ones by the
    study objective; if none is feasible, the `k` that miss the constraints least."""
    feasible = table[table["feasible"]]
    if len(feasible):
        return [int(i) for i in _best(feasible, study.objective.goal)["index"].head(k)]
    ran = table[table["status"] == "ok"].assign(
        violation=lambda t: violation(t, study.constraints))
    ranked = ran.sort_values(["violation", "index"], kind="mergesort")
    return [int(i) for i in ranked["index"].head(k)]
