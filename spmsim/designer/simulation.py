"""The role drawn once and paid under any plan, and the tables the designer's charts show.

The Monte Carlo engine's credit does not depend on the plan (it has no behaviour), so the
designer draws the role's credit, staffing and deal counts once and re-runs only the payout
step on every change; its figures equal the engine's for the same seed and trials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spmsim.calendar import PlanCalendar
from spmsim.engines.metrics import assemble, chunk_stats
from spmsim.engines.montecarlo import BLOCK, Chunk, chunk_trials, draw_role
from spmsim.engines.payroll import Draws, role_year
from spmsim.engines.results import HIST_STEP, Results
from spmsim.errors import InputError, Problem
from spmsim.model.scenario import Scenario, read_scenario_tree, scenario_from_tree
from spmsim.overrides import set_path
from spmsim.plans import Plan
from spmsim.plans.curve import curve_arrays


def role_scenario(scenario_path: str | Path, role: str, plan_tree: dict,
                  plan_path: str | Path) -> Scenario:
    """The scenario with `role` on the plan of `plan_tree`, validated as a whole (the plan
    must pay on measures the role's market credits, with quotas where it needs them). The
    designer shows one plan year: a scenario of several years in a row gives its first."""
    tree = read_scenario_tree(scenario_path)
    tree.pop("years", None)
    roles = (tree.get("org") or {}).get("roles") or {}
    if role not in roles:
        raise InputError(scenario_path, [Problem("org.roles", f"no role {role!r}; roles: "
                                                 f"{', '.join(roles) or 'none'}")])
    tree = set_path(tree, f"org.roles.{role}.plan", plan_tree)
    tree = set_path(tree, f"org.roles.{role}.plan_file", str(plan_path))
    return scenario_from_tree(tree, scenario_path)


class RoleSimulation:
    """One role of a scenario over `trials` plan years, its draws made once."""

    def __init__(self, scenario: Scenario, role: str, trials: int, seed: int | None = None):
        if trials < 1:
            raise ValueError("trials must be at least 1")
        self.scenario, self.role, self.trials = scenario, role, trials
        self.seed = scenario.seed if seed is None else seed
        self.months = PlanCalendar(scenario.year_start, "month")
        self.index = list(scenario.org.roles).index(role)
        self._root = np.random.SeedSequence(self.seed)
        self._echo = scenario.echo()
        self.draws = self._draw(0, trials)

    def _draw(self, start: int, stop: int) -> Draws:
        chunk = Chunk(self._root, start, stop, self.months.period_days)
        return draw_role(self.scenario, chunk, self.index, self.role)

    def _stats(self, plan: Plan, draws: Draws, start: int):
        role = self.scenario.org.roles[self.role].model_copy(update={"plan": plan})
        year = role_year(role, self.scenario.market[self.role], draws, self.months)
        return chunk_stats(start, {self.role: year})

    def _results(self, plan: Plan, chunks: list, trials: int) -> Results:
        echo = dict(self._echo)
        roles = {**echo["org"]["roles"]}
        roles[self.role] = {**roles[self.role], "plan": plan.model_dump(mode="json")}
        echo["org"] = {**echo["org"], "roles": roles}
        return assemble(chunks, trials, scenario=echo, engine="montecarlo",
                        seed=int(self._root.entropy), roles=[self.role],
                        months=self.months.labels)

    def run(self, plan: Plan) -> Results:
        """Results of the role (group `role`; `all` is the role alone) under `plan`."""
        return self._results(plan, [self._stats(plan, self.draws, 0)], self.trials)

    def run_more(self, plan: Plan, trials: int, *, memory_mb: float = 256,
                 on_chunk: Callable[[int], None] | None = None) -> Results:
        """`trials` plan years under `plan`, drawn chunk by chunk (bounded memory), not
        kept; the first trials are the same draws as this simulation's."""
        size = chunk_trials(self.scenario, memory_mb, 1)
        size = BLOCK * max(1, min(size, 4 * BLOCK) // BLOCK)  # small chunks: visible progress
        chunks = []
        for start in range(0, trials, size):
            stop = min(start + size, trials)
            chunks.append(self._stats(plan, self._draw(start, stop), start))
            if on_chunk:
                on_chunk(stop - start)
        return self._results(plan, chunks, trials)


# ---- what the charts and the table show -----------------------------------------------

def curve_quotas(scenario: Scenario, role: str) -> dict[str, float]:
    """The role's mean quota per measure, for plans with amount tiers or percent rates."""
    r = scenario.org.roles[role]
    return {m: float(np.mean(r.quota_for(m))) for m in r.quota_measures()}


Columns = dict[str, list]  # a small table as columns: what the designer's charts take


def columns(**cols) -> Columns:
    """Equal-length columns as lists (numpy arrays to floats; a scalar repeated)."""
    n = max((len(v) for v in cols.values() if isinstance(v, list | tuple | np.ndarray)),
            default=1)
    return {k: (v.tolist() if isinstance(v, np.ndarray) else list(v)
                if isinstance(v, list | tuple) else [v] * n) for k, v in cols.items()}


def stack(parts: list[Columns]) -> Columns:
    """Tables with the same columns, one after the other."""
    return {k: [x for p in parts for x in p[k]] for k in parts[0]} if parts else {}


def curves(plans: dict[str, Plan], quotas: dict[str, float]) -> Columns:
    """Each plan's total payout curve (% of TI against attainment), one `variant` each."""
    parts = []
    for name, plan in plans.items():
        att, _, _, total = curve_arrays(plan, quotas=quotas)
        parts.append(columns(variant=name, attainment=att, pct_of_ti=total / plan.ti))
    return stack(parts)


def distributions(results: dict[str, Results], name: str, group: str, step: float = 0.05,
                  upto: float = 3.0) -> Columns:
    """Share of reps per bin of width `step` (pooled over trials) below `upto`, per variant:
    the Results histograms (0.01 wide, see `Results.distribution`) summed into fewer,
    steadier bins."""
    per = round(step / HIST_STEP)
    parts = []
    for variant, r in results.items():
        counts = r.histograms[name][r.groups.index(group)].astype(float)
        share = counts / max(counts.sum(), 1)
        lows = np.arange(len(share)) * HIST_STEP
        share = share[lows < upto - 1e-9]
        share = share[: len(share) // per * per].reshape(-1, per).sum(axis=1)
        parts.append(columns(variant=variant, bin_lo=np.arange(len(share)) * step,
                             share=share))
    return stack(parts)


# ---- the cost table and the study's limits ------------------------------------------------

# key, label, how it reads; `limit` names the study metric that bounds it
TABLE_ROWS = (("cost_p10", "cost P10, a year", "money"), ("cost_p50", "cost P50, a year", "money"),
              ("cost_p90", "cost P90, a year", "money"),
              ("cost_per_rep", "cost per rep in seat, P50", "money"),
              ("cost_of_sales", "cost of sales, P50", "share"),
              ("over_budget", "chance over the budget", "share"),
              ("share_at_quota", "share of reps at quota", "share"),
              ("earnings_vs_ote", "earnings / OTE, median rep", "share"))
# study constraint metric -> the table row it bounds
STUDY_ROWS = {"cost_of_sales": "cost_of_sales", "share_at_quota": "share_at_quota",
              "variable_pay_p50": "cost_p50", "variable_pay_p90": "cost_p90",
              "p_over_budget": "over_budget"}


def _finite(x: np.ndarray) -> np.ndarray:
    return x[np.isfinite(x)]


def quick_summary(results: Results, budget: float | None) -> dict[str, float]:
    """The table's figures for the first group of `results`, straight from the per-trial
    arrays (the same numbers as `Results.summary()`, without building its frame)."""
    t = {k: v[:, 0].astype(float) for k, v in results.trial.items()}
    pay = t["variable_pay"]
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.where(t["revenue"] > 0, pay / t["revenue"], np.nan)
        at_quota = np.where(t["reps"] > 0, t["at_quota"] / t["reps"], np.nan)
        per_rep = np.where(t["fte"] > 0, pay / t["fte"], np.nan)
    q10, q50, q90 = np.quantile(pay, [0.1, 0.5, 0.9])
    budget_per_trial = t["on_target_incentive"] if budget is None else budget
    return {"cost_p10": q10, "cost_p50": q50, "cost_p90": q90,
            "cost_per_rep": float(np.median(_finite(per_rep))) if np.isfinite(per_rep).any()
            else float("nan"),
            "cost_of_sales": float(np.median(_finite(cos))) if np.isfinite(cos).any()
            else float("nan"),
            "over_budget": float(np.mean(pay > budget_per_trial)),
            "share_at_quota": float(np.mean(_finite(at_quota))) if np.isfinite(at_quota).any()
            else float("nan"),
            "earnings_vs_ote": float(np.mean(t["earnings_vs_ote_p50"])),
            "revenue_p50": float(np.median(t["revenue"]))}


@dataclass(frozen=True)
class Limit:
    """A bound on one row of the table: from the study's constraints."""

    row: str
    min: float | None
    max: float | None
    note: str  # where it comes from, in words

    def met(self, value: float) -> bool:
        return bool(np.isfinite(value)) and (self.min is None or value >= self.min) and \
            (self.max is None or value <= self.max)


def budget_share(scenario: Scenario, role: str) -> tuple[float | None, str]:
    """The role's part of the scenario's variable comp budget, split by target incentive
    (headcount x TI of each role), and a sentence saying so; (None, ...) when the scenario
    states no budget (the role's own target incentive is the budget then)."""
    total = scenario.economics.budget
    if total is None:
        return None, "budget: the target incentive of the reps in seat (the scenario states none)"
    ti = {name: r.seats * r.plan.ti for name, r in scenario.org.roles.items()}
    part = total * ti[role] / sum(ti.values())
    return part, (f"{role}'s share of the scenario's budget, split by target incentive "
                  f"(headcount x TI): {ti[role] / sum(ti.values()):.0%}")


def study_limits(constraints, role: str) -> list[Limit]:
    """The study's constraints on the role or on all roles that the table can check."""
    out = []
    for c in constraints:
        row = STUDY_ROWS.get(c.metric)
        if row is None or c.group not in ("all", role):
            continue
        who = "the study's limit for all roles" if c.group == "all" else "the study's limit"
        out.append(Limit(row, c.min, c.max, who))
    return out


def cost_bins(pays: dict[str, np.ndarray], bins: int = 30) -> Columns:
    """Variable pay per plan year as a histogram per plan (bin_lo, bin_hi, share of trials),
    on bins shared by the plans."""
    both = np.concatenate(list(pays.values()))
    lo, hi = float(both.min()), float(both.max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    parts = []
    for name, pay in pays.items():
        counts, _ = np.histogram(pay, edges)
        parts.append(columns(variant=name, bin_lo=edges[:-1], bin_hi=edges[1:],
                             share=counts / max(len(pay), 1)))
    return stack(parts)
