"""From simulated monthly credit to pay and annual figures: the step both engines share.

An engine hands over one role's `Draws` for a set of trials (who was in seat, how
productive, monthly credit and deal counts); `role_year` pays them under the role's plan
with the payout engine and returns the `RoleYear` arrays that `metrics` reduces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spmsim.calendar import MONTHS_PER_PERIOD, PlanCalendar
from spmsim.engines.metrics import RoleYear
from spmsim.model.market import Market, TeamMarket
from spmsim.model.org import Role, Staffing
from spmsim.plans import Plan, PlanInputs, basis, evaluate


@dataclass(frozen=True)
class Draws:
    """One role's draws for a chunk: staffing, monthly credit and deal counts."""

    staff: Staffing
    credit: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]


def _annual(monthly: np.ndarray) -> np.ndarray:
    """Sum over the short last axis. einsum's own loop is about 3x faster than .sum here
    and, unlike a product with a vector of ones, starts no BLAS threads."""
    return np.einsum("...m->...", monthly)


def _to_periods(monthly: np.ndarray, months_per_period: int) -> np.ndarray:
    if months_per_period == 1:
        return monthly
    *lead, m = monthly.shape
    return monthly.reshape(*lead, m // months_per_period, months_per_period).sum(-1)


def _ramped(plan: Plan, quota: dict[str, np.ndarray], staff: Staffing,
            active: np.ndarray | None) -> dict[str, np.ndarray]:
    """Quota due per period under the plan's ramp quota, (trials, slots, P) per measure: a
    new hire owes the ramp's share of the full quota in their first tenure months (the
    month they start is month 1), as replay does. Empty without a ramp quota."""
    if plan.ramp_quota is None:
        return {}
    tenure = np.where(staff.new_hire, staff.start, -1000.0)
    shape = staff.start.shape + (plan.calendar.n_periods,)
    due = np.broadcast_to(basis.due(plan.calendar, plan.quota_weights, active), shape)
    due = due * basis.ramp_factor(plan.calendar, plan.ramp_quota, tenure)
    return {m: np.asarray(q)[..., None] * due for m, q in quota.items()}


def _teams(role: Role, market: Market) -> np.ndarray | None:
    """Team of each slot for `credit: team` components: the role's teams; a manager, whose
    credit is already their team's, is a team of one."""
    if role.team_size is None and isinstance(market, TeamMarket):
        return np.arange(role.slots)
    return role.team_codes()


def role_year(role: Role, market: Market, d: Draws, months: PlanCalendar) -> RoleYear:
    """Pay one role's reps under their plan and collect their annual figures."""
    plan = role.plan
    step = MONTHS_PER_PERIOD[plan.payout_period]
    staff = d.staff
    if step == 1:
        active = staff.active
    else:
        days = months.period_days
        active = _to_periods(staff.active * days, step) / _to_periods(days, step)
    year_share = np.ones(staff.start.shape) if staff.always_active else \
        plan.calendar.year_share(active)
    in_seat = year_share > 0
    scale = np.where(in_seat, year_share, 1.0) if role.prorate_quota else 1.0
    quota = {m: role.quota_for(m) * scale for m in role.quota_measures()}
    quota_due = _ramped(plan, quota, staff, None if staff.always_active else active)
    quota = {m: q.sum(axis=-1) for m, q in quota_due.items()} or quota
    used = plan.measures
    per_deal = {c.measure for c in plan.components if getattr(c, "per_deal", None)}
    inputs = PlanInputs(
        credit={m: _to_periods(c, step) for m, c in d.credit.items() if m in used},
        quota={m: q for m, q in quota.items() if m in used},
        quota_due={m: q for m, q in quota_due.items() if m in used},
        active=None if staff.always_active else active,
        counts={m: _to_periods(c, step) for m, c in d.counts.items() if m in per_deal},
        new_hire=staff.new_hire, team=_teams(role, market))
    payout = evaluate(plan, inputs)
    if step == 1:
        monthly_pay = payout.net_paid
    else:
        monthly_pay = np.zeros(staff.active.shape)
        monthly_pay[..., step - 1::step] = payout.net_paid
    revenue = market.money_measures()  # none for managers: each deal counts once
    monthly_revenue = d.credit[revenue[0]] if len(revenue) == 1 else \
        sum((d.credit[m] for m in revenue), np.zeros(staff.active.shape))
    attained = sum(_annual(d.credit[m]) for m in quota) if quota else \
        np.zeros(year_share.shape)
    quota_total = sum(quota.values()) if quota else 0.0
    prizes = productivity = None
    ranked = [k for k, c in enumerate(plan.components) if c.ranked]
    if ranked:  # contests: each rep's prizes in the year and how productive they were
        prizes = payout.earned_ytd[ranked, ..., -1].sum(axis=0)
        months_in = np.maximum(staff.active.sum(axis=-1), 1e-12)
        productivity = (staff.productivity * staff.active).sum(axis=-1) / months_in
    return RoleYear(
        year_share=year_share, revenue=_annual(monthly_revenue),
        quota=np.where(in_seat, quota_total, 0.0),
        attained=attained, variable_pay=_annual(monthly_pay),
        base_pay=np.broadcast_to(payout.base, year_share.shape),
        on_target_incentive=np.broadcast_to(payout.ti, year_share.shape),
        ote=plan.ote * year_share, new_hire=staff.new_hire, left=staff.left,
        monthly_revenue=monthly_revenue, monthly_pay=monthly_pay, active=staff.active,
        prizes=prizes, productivity=productivity)


