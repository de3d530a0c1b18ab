"""Independent confirmation: the plan written as a scenario and run by the Monte Carlo
engine on a seed of its own."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from spmsim.capacity.mix import MixPlan
from spmsim.capacity.plan import CapacityPlan
from spmsim.capacity.seats import hires_of
from spmsim.engines import simulate
from spmsim.errors import SpmsimError
from spmsim.format import percent
from spmsim.model.org import Hire
from spmsim.model.scenario import Scenario, scenario_from_tree

Z = 4.0  # standard errors within which a confirmation agrees


def _scenario(scenario: Scenario, name: str, new: dict[str, tuple[Hire, ...]],
              ramping: bool, trials: int, seed: int) -> Scenario:
    """The scenario of the planned roles alone, each role's new hires added to its hires."""
    if ramping:
        raise SpmsimError("ramping: the scenario model has no tenure for reps in seat "
                          "(org.Role), so a plan with ramping reps cannot be written as one")
    tree: dict[str, Any] = scenario.echo()
    roles = {}
    for r, hires in new.items():
        every = sorted(scenario.org.roles[r].hires + hires, key=lambda h: h.month)
        roles[r] = {**tree["org"]["roles"][r], "hires": [h.model_dump() for h in every]}
    tree["org"]["roles"] = roles
    tree["market"] = {r: tree["market"][r] for r in new}
    tree["economics"] = {**tree["economics"], "budget": None}
    tree["trials"], tree["seed"] = trials, seed
    return scenario_from_tree(tree, f"<capacity plan {name}>")


def plan_scenario(plan: CapacityPlan | MixPlan, trials: int | None = None,
                  seed: int | None = None) -> Scenario:
    """The plan as a scenario of its role (or roles) alone, the new hires added to each
    role's hires."""
    c = plan.capacity
    if isinstance(plan, MixPlan):
        new = {r: hires_of(np.array(plan.start_months[r], dtype=int)) for r in c.roles}
        ramping = any(spec.ramping for spec in c.roles.values())
    else:
        new, ramping = {c.role: plan.new_hires}, bool(c.ramping)
    return _scenario(c.scenario, c.capacity, new, ramping,
                     c.trials if trials is None else trials, c.seed + 1 if seed is None else seed)


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


def confirm(plan: CapacityPlan | MixPlan, *, trials: int | None = None,
            seed: int | None = None, progress: bool = False) -> Confirmation:
    """Re-estimate the plan's P(target met) with `spmsim.engines.simulate` on the plan as
    a scenario and a seed of its own (default: the plan's seed + 1), on the revenue of its
    role (or roles, summed)."""
    c = plan.capacity
    scenario = plan_scenario(plan, trials, seed)
    results = simulate(scenario, keep_reps=False, progress=progress)
    roles = list(c.roles) if isinstance(plan, MixPlan) else [c.role]
    monthly = results.period["revenue"][:, [results.groups.index(r) for r in roles], :].sum(1)
    met = (np.cumsum(monthly, axis=-1)[:, c.checks] >= c.target_to_date).all(-1)
    p = float(met.mean())
    return Confirmation(stated=plan.probability, stated_se=plan.se, probability=p,
                        se=math.sqrt(p * (1 - p) / met.size), trials=int(met.size),
                        seed=scenario.seed)


def confirm_text(plan: CapacityPlan | MixPlan, trials: int, seed: int | None = None) -> str:
    """`confirm`'s verdict in a line; says why when the plan cannot be run as a scenario,
    and that the check was skipped when `trials` is 0."""
    if trials <= 0:
        return "independent check skipped (no trials asked)"
    try:
        return confirm(plan, trials=trials, seed=seed).text()
    except SpmsimError as e:
        return f"independent check not possible: {e}"


def confirm_html(plan: CapacityPlan | MixPlan, trials: int, seed: int | None = None) -> str:
    """`confirm_text` as an HTML paragraph, for notebooks and reports."""
    return f"<p>{html.escape(confirm_text(plan, trials, seed))}</p>"
