"""Independent confirmation: the plan written as a scenario and run by the Monte Carlo
engine on a seed of its own."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from spmsim.capacity.plan import CapacityPlan
from spmsim.engines import simulate
from spmsim.errors import SpmsimError
from spmsim.format import percent
from spmsim.model.scenario import Scenario, scenario_from_tree

Z = 4.0  # standard errors within which a confirmation agrees


def plan_scenario(plan: CapacityPlan, trials: int | None = None,
                  seed: int | None = None) -> Scenario:
    """The plan as a scenario of its role alone, the new hires added to the role's hires."""
    c = plan.capacity
    if c.ramping:
        raise SpmsimError("ramping: the scenario model has no tenure for reps in seat "
                          "(org.Role), so a plan with ramping reps cannot be written as one")
    role = c.scenario.org.roles[c.role]
    hires = sorted(role.hires + plan.new_hires, key=lambda h: h.month)
    tree: dict[str, Any] = c.scenario.echo()
    tree["org"]["roles"] = {c.role: {**tree["org"]["roles"][c.role],
                                     "hires": [h.model_dump() for h in hires]}}
    tree["market"] = {c.role: tree["market"][c.role]}
    tree["economics"] = {**tree["economics"], "budget": None}
    tree["trials"] = c.trials if trials is None else trials
    tree["seed"] = c.seed + 1 if seed is None else seed
    return scenario_from_tree(tree, f"<capacity plan {c.capacity}>")


@dataclass(frozen=True)
class Confirmation:
    """The plan's stated probability against an independent engine run of the plan."""

    stated: float
    stated_se: float
    probability: float
    se: float
    trials: int
    seed: int

    @property
    def z(self) -> float:
        """Difference in standard errors of the difference (independent estimates)."""
        spread = math.hypot(self.se, self.stated_se)
        gap = self.probability - self.stated
        return gap / spread if spread > 0 else (0.0 if gap == 0 else math.copysign(math.inf,
                                                                                    gap))

    @property
    def agrees(self) -> bool:
        return abs(self.z) <= Z

    def text(self) -> str:
        verdict = "agrees" if self.agrees else "DISAGREES"
        return (f"independent check (Monte Carlo engine, {self.trials:,} trials, seed "
                f"{self.seed}): P(target met) = {percent(self.probability)} +- {percent(self.se)}; "
                f"stated {percent(self.stated)} +- {percent(self.stated_se)}: {verdict} "
                f"(z = {self.z:+.2f}, within {Z:g} SE)")


def confirm(plan: CapacityPlan, *, trials: int | None = None, seed: int | None = None,
            progress: bool = False) -> Confirmation:
    """Re-estimate the plan's P(target met) with `spmsim.engines.simulate` on the plan as
    a scenario and a seed of its own (default: the plan's seed + 1)."""
    c = plan.capacity
    scenario = plan_scenario(plan, trials, seed)
    results = simulate(scenario, keep_reps=False, progress=progress)
    monthly = results.period["revenue"][:, results.groups.index(c.role), :]
    met = (np.cumsum(monthly, axis=-1)[:, c.checks] >= c.target_to_date).all(-1)
    p = float(met.mean())
    return Confirmation(stated=plan.probability, stated_se=plan.se, probability=p,
                        se=math.sqrt(p * (1 - p) / met.size), trials=int(met.size),
                        seed=scenario.seed)


def confirm_text(plan: CapacityPlan, trials: int, seed: int | None = None) -> str:
    """`confirm`'s verdict in a line; says why when the plan cannot be run as a scenario,
    and that the check was skipped when `trials` is 0."""
    if trials <= 0:
        return "independent check skipped (no trials asked)"
    try:
        return confirm(plan, trials=trials, seed=seed).text()
    except SpmsimError as e:
        return f"independent check not possible: {e}"


def confirm_html(plan: CapacityPlan, trials: int, seed: int | None = None) -> str:
    """`confirm_text` as an HTML paragraph, for notebooks and reports."""
    return f"<p>{html.escape(confirm_text(plan, trials, seed))}</p>"
