"""A plan's payout curve: payout as % of TI against attainment, as data for charts."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from spmsim.plans.components import Spiff
from spmsim.plans.engine import PlanInputs, evaluate
from spmsim.plans.model import Plan


def curve_arrays(plan: Plan, attainment: np.ndarray | None = None,
                 quotas: Mapping[str, float] | None = None, mbo_score: float = 1.0
                 ) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """`payout_curve` as arrays: (attainment, component names, year-end payout per component
    (components x points), the plan's total per point), without building a table."""
    att = np.linspace(0.0, 2.0, 201) if attainment is None else np.asarray(attainment, float)
    quotas = dict(quotas or {})
    comps = tuple(c for c in plan.components if not isinstance(c, Spiff))
    curve_plan = plan.model_copy(update={"components": comps})
    n = plan.calendar.n_periods
    credit, quota = {}, {}
    for c in comps:
        if c.scored:
            credit[c.measure] = np.full((att.size, n), mbo_score * c.assessments(n) / n)
            continue
        q = quotas.get(c.measure)
        if q is None:
            if getattr(c, "tier_basis", "attainment") == "amount" or \
                    getattr(c, "rates", "multiplier") == "percent":
                raise ValueError(f"component {c.name!r} has amount tiers or percent rates: "
                                 f"pass quotas={{{c.measure!r}: ...}} to draw its curve")
            q = 1.0
        quota[c.measure] = np.full(att.size, q)
        credit[c.measure] = np.repeat((att * q / n)[:, None], n, axis=1)
    # each point is its own team of one, so team components pay on the point's own credit
    payout = evaluate(curve_plan, PlanInputs(credit=credit, quota=quota, team=np.arange(att.size)))
    return (att, list(payout.components), payout.earned_ytd[..., -1],
            payout.total_earned_ytd[:, -1])


def payout_curve(plan: Plan, attainment: np.ndarray | None = None,
                 quotas: Mapping[str, float] | None = None, mbo_score: float = 1.0) -> pd.DataFrame:
    """Year-end payout of each component and the plan when every measure is at `attainment`.

    Credit arrives evenly over the year; MBOs score `mbo_score`; SPIFs are left out (they
    pay per unit, not on attainment). Quotas matter only for amount-based tiers or
    percent rates: pass them then. Returns long data: attainment, component, payout, pct_of_ti.
    """
    att, names, earned, total = curve_arrays(plan, attainment, quotas, mbo_score)
    frames = [pd.DataFrame({"attainment": att, "component": name, "payout": earned[i]})
              for i, name in enumerate(names)]
    frames.append(pd.DataFrame({"attainment": att, "component": "Total", "payout": total}))
    out = pd.concat(frames, ignore_index=True)
    out["pct_of_ti"] = out["payout"] / plan.ti
    return out
