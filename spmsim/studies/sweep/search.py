"""Plan search over a sweep's candidates: which meet the constraints, the Pareto front of
the objectives among those, the chosen plan, and where to look next.

* feasible: the candidate ran and meets every study constraint;
* on the front: feasible, and no feasible candidate is at least as good on every
  objective and better on one (equal points are all on the front);
* chosen: the front candidate with the best study `objective` (ties: the lowest index).
  When that objective is one of the front's, this is the best feasible candidate overall;
* refinement centres: the best feasible candidates by the study objective, or, when none
  is feasible, those closest to meeting the constraints.

Also reads a sweep's output folder back into the small tables the report notebook shows.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spmsim.format import amount, percent
from spmsim.model.scenario import ALL, resolve_files
from spmsim.overrides import apply_overrides
from spmsim.plans import payout_curve, plan_from_dict
from spmsim.studies.study import Constraint

if TYPE_CHECKING:
    from spmsim.studies.sweep.runner import SweepStudy

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


# ---- where to look: designs in the unit cube -------------------------------------------

def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n points in [0, 1)^d, one in each of the n equal strata of every dimension."""
    strata = rng.permuted(np.tile(np.arange(n), (d, 1)), axis=1).T
    return (strata + rng.random((n, d))) / n


def refine_points(centres: np.ndarray, n: int, half: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """`n` Latin hypercube points around each centre (k, d), in the box centre +- half
    cut to the unit cube; centres in order, so the result is (k * n, d)."""
    centres = np.asarray(centres, dtype=float)
    lo = np.clip(centres - half, 0.0, 1.0)
    hi = np.clip(centres + half, 0.0, 1.0)
    points = [lo[i] + latin_hypercube(n, centres.shape[1], rng) * (hi[i] - lo[i])
              for i in range(len(centres))]
    return np.concatenate(points) if points else np.empty((0, centres.shape[1]))


# ---- the report's tables ----------------------------------------------------------------

@dataclass(frozen=True)
class SweepView:
    """A sweep's output folder, read back."""

    meta: dict[str, Any]
    table: pd.DataFrame

    @property
    def parameters(self) -> list[str]:
        return list(self.meta["parameters"])

    @property
    def chosen(self) -> pd.Series | None:
        rows = self.table[self.table["chosen"]]
        return rows.iloc[0] if len(rows) else None


def open_sweep(out: str | Path) -> SweepView:
    """Read what `spmsim sweep` wrote into `out`."""
    out = Path(out)
    return SweepView(json.loads((out / "sweep.json").read_text()),
                     pd.read_parquet(out / "candidates.parquet"))


def _fmt(column: str, value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if not isinstance(value, int | float | np.number) or pd.isna(value):
        return "-" if value is None or (isinstance(value, float) and math.isnan(value)) \
            else str(value)
    if column.startswith(SHARES):
        return f"{percent(value)}"
    if column.startswith("attainment"):
        return f"{value:.2f}"
    return f"{amount(value)}" if abs(value) >= 1000 else f"{value:.3g}"


def sweep_title(view: SweepView) -> str:
    m = view.meta
    return (f"<h2>{html.escape(m['study'])}</h2><p>seed {m['seed']}; {m['candidates']} "
            f"candidates x {m['trials']:,} trials ({m['engine']} engine, "
            f"{'common' if m['common_draws'] else 'independent'} draws); swept: "
            f"{html.escape(', '.join(f'{k} ({v})' for k, v in m['parameters'].items()))}</p>")


def choice(view: SweepView, as_html: bool = True) -> str:
    """One paragraph: the chosen candidate, its parameters, and why (HTML or plain)."""
    text = _choice(view)
    return text if as_html else html.unescape(re.sub(r"<[^>]+>", "", text))


def _choice(view: SweepView) -> str:
    m, c = view.meta, view.chosen
    axes = " vs ".join(o["column"] + f" ({o['goal']})" for o in m["objectives"])
    rules = "; ".join(m["constraints"]) or "none"
    if c is None:
        return (f"<p><b>No candidate meets every constraint</b> ({html.escape(rules)}) out of "
                f"{m['candidates']}; widen the ranges or relax a constraint.</p>")
    obj = m["objective"]
    params = ", ".join(f"{p} = {_fmt(p, c[p])}" for p in view.parameters)
    return (f"<p><b>Chosen: {html.escape(str(c['candidate']))}</b> ({html.escape(params)}): "
            f"the best {html.escape(obj['column'])} ({obj['goal']}: "
            f"{_fmt(obj['column'], c['objective'])}) among the {m['on_front']} candidates on "
            f"the Pareto front of {html.escape(axes)}, out of {m['feasible']} of "
            f"{m['candidates']} that meet every constraint ({html.escape(rules)}).</p>")


def candidates_display(view: SweepView, rows: int = 20) -> pd.DataFrame:
    """The best `rows` candidates, formatted: feasible first, then on the front, then by
    the objective; parameters, objectives, constraint checks, flags."""
    t = view.table
    goal = view.meta["objective"]["goal"]
    order = t.assign(_f=~t["feasible"], _p=~t["on_front"],
                     _o=t["objective"] if goal == "min" else -t["objective"])
    order = order.sort_values(["_f", "_p", "_o", "index"], kind="mergesort", na_position="last")
    checks = view.meta["constraints"]
    cols = ["candidate", *view.parameters,
            *dict.fromkeys([o["column"] for o in view.meta["objectives"]]
                           + [view.meta["objective"]["column"]]),
            *checks, "feasible", "on_front", "chosen"]
    shown = order[cols].head(rows)
    return shown.apply(lambda s: s.map(lambda v: _fmt(s.name, v))).set_index("candidate")


def front_points(view: SweepView) -> pd.DataFrame:
    """Every candidate on the first two objectives, labelled infeasible, feasible,
    Pareto front or chosen (failed runs left out)."""
    x, y = (o["column"] for o in view.meta["objectives"][:2])
    t = view.table[view.table["status"] == "ok"]
    label = np.select([t["chosen"], t["on_front"], t["feasible"]],
                      ["chosen", "Pareto front", "feasible"], "infeasible")
    return pd.DataFrame({"candidate": t["candidate"], "x": t[x], "y": t[y],
                         "category": label, "x_title": x, "y_title": y,
                         "x_format": _axis_format(x), "y_format": _axis_format(y)}
                        ).reset_index(drop=True)


def _axis_format(column: str) -> str:
    """d3 format of an axis: shares in per cent, money with SI suffixes."""
    return ".0%" if column.startswith(SHARES) else ",.3~s"


def chosen_curves(view: SweepView, role: str) -> pd.DataFrame:
    """The payout curve (total, % of TI) of `role`'s plan in the base scenario and in the
    chosen candidate, as the `variant` lines of `charts.payout_curves_chart`."""
    base = view.meta["base_tree"]
    trees = {"base": base}
    if view.chosen is not None:
        cid = str(view.chosen["candidate"])
        pairs = [(view.meta["parameters"][k], v) for k, v in view.meta["chosen_params"].items()]
        tree = apply_overrides(base, pairs)
        resolve_files(tree, Path(view.meta["file"]))
        trees[f"chosen ({cid})"] = tree
    frames = []
    for name, tree in trees.items():
        spec = tree["org"]["roles"][role]
        curve = payout_curve(plan_from_dict(spec["plan"]), quotas=spec.get("quota") or None)
        total = curve[curve["component"] == "Total"]
        frames.append(total.assign(variant=name)[["variant", "attainment", "pct_of_ti"]])
    return pd.concat(frames, ignore_index=True)
