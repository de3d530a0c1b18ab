"""Company contests: the reps of every role whose plan holds a contest of the same name
(`scope: company`) ranked together, in one ranking per trial.

Each role's reps are ranked on what the role's own plan evaluation ranks them on (its
measure's window credit, attainment or growth: `plans.contest_context`), side by side along
the rep axis; the prizes and who is in contention go back to each role, which pays them
(`payroll.role_year(..., company=...)`). Called once per chunk by both engines, after the
draws and before the roles are paid.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from spmsim.calendar import PlanCalendar
from spmsim.engines.payroll import Company, Draws, plan_inputs
from spmsim.model.scenario import Scenario
from spmsim.plans import contest_context
from spmsim.plans.components import Context


def company_contests(scenario: Scenario, draws: Mapping[str, Draws],
                     months: PlanCalendar) -> dict[str, Company]:
    """Each role's prizes and contention in the scenario's company contests, by role."""
    out: dict[str, Company] = {}
    for contest, roles in scenario.company_contests().items():
        contexts, c = [], None
        for name in roles:
            role = scenario.org.roles[name]
            c = next(x for x in role.plan.components if x.name == contest)
            inputs, _, _ = plan_inputs(role, scenario.market[name], draws[name], months)
            contexts.append(contest_context(role.plan, inputs, c))
        joined = Context.side_by_side(contexts)
        standing = c.standing(joined)
        prizes = c.final_prizes(standing)
        contention = c.contention(joined)[..., c.window(joined.n_periods)]
        edges = np.cumsum([x.period_credit.shape[-2] for x in contexts])[:-1]
        for name, p, k in zip(roles, np.split(prizes, edges, axis=-1),
                              np.split(contention, edges, axis=-2), strict=True):
            out.setdefault(name, {})[contest] = (p, k)
    return out

