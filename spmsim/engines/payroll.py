"""From simulated monthly credit to pay and annual figures: the step both engines share.

An engine hands over one role's `Draws` for a set of trials (who was in seat, how
productive, monthly credit and deal counts); `role_year` pays them under the role's plan
with the payout engine and returns the `RoleYear` arrays that `metrics` reduces.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from spmsim.calendar import MONTHS_PER_PERIOD, PlanCalendar
from spmsim.engines.metrics import ContestYear, RoleYear
from spmsim.model.market import Market, TeamMarket
from spmsim.model.org import Role, Staffing
from spmsim.plans import Plan, PlanInputs, basis, evaluate, last_year_series
from spmsim.plans.components import Context


@dataclass(frozen=True)
class Draws:
    """One role's draws for a chunk: staffing, monthly credit and deal counts."""

    staff: Staffing
    credit: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    # credit as booked where a crediting rule (windfall) changed what the plan pays on:
    # revenue counts the deals as booked
    booked: dict[str, np.ndarray] = field(default_factory=dict)
    # full-year quota per trial and slot where it differs from the role's (a later plan
    # year, set on the year before): measure -> (trials, slots)
    quota: dict[str, np.ndarray] = field(default_factory=dict)
    # last year's credit per trial and slot for contests on growth, where the engine
    # simulated it (a later plan year): measure -> (trials, slots), NaN for no last year
    last_year: dict[str, np.ndarray] = field(default_factory=dict)


def _annual(monthly: np.ndarray) -> np.ndarray:
    """Sum over the short last axis. einsum's own loop is about 3x faster than .sum here
    and, unlike a product with a vector of ones, starts no BLAS threads."""
    return np.einsum("...m->...", monthly)


def _to_periods(monthly: np.ndarray, months_per_period: int) -> np.ndarray:
    if months_per_period == 1:
        return monthly
    *lead, m = monthly.shape
    return monthly.reshape(*lead, m // months_per_period, months_per_period).sum(-1)


def _attainment_quotas(quota: dict[str, np.ndarray], units: set[str]) -> dict:
    """The quotas attainment is judged on: the money ones, or the unit ones (meetings)
    when the plan has no money quota; never units added to currency."""
    money = {m: q for m, q in quota.items() if m not in units}
    return money or quota


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


def _last_year(role: Role, d: Draws) -> dict[str, np.ndarray]:
    """Last year's bookings per slot for the plan's contests on growth, by measure: the
    year before as simulated (a later plan year), else the seat's territory history; NaN
    for a new hire (no last year: not in the running)."""
    growth = {c.measure for c in role.plan.components if getattr(c, "needs_last_year", False)}
    if not growth:
        return {}
    if d.last_year:
        return {m: d.last_year[m] for m in growth}
    last = np.where(d.staff.new_hire, np.nan, role.last_year())
    return dict.fromkeys(growth, last)


def _dated_windows(plan: Plan, d: Draws, months: PlanCalendar,
                   step: int) -> dict[str, np.ndarray]:
    """Credit inside each dated contest's window per payout period, by the contest's name:
    each month's credit x the share of its days inside the dates."""
    out = {}
    for c in plan.components:
        if getattr(c, "dates", None) is not None:
            out[c.name] = _to_periods(d.credit[c.measure] * c.dates.shares(months), step)
    return out


# a role's part in company contests, by contest name: (prizes (trials, slots), in
# contention (trials, slots, periods of the window)), ranked across roles (engines.company)
Company = dict[str, tuple[np.ndarray, np.ndarray]]


def role_year(role: Role, market: Market, d: Draws, months: PlanCalendar,
              company: Company | None = None) -> RoleYear:
    """Pay one role's reps under their plan (or plans, with planned changes) and collect
    their annual figures; `company`: its prizes in company contests (`engines.company`)."""
    if role.plan_changes:
        return _changed_year(role, market, d, months)
    return _plan_year(role, market, d, months, company=company)


def _window(d: Draws, window: np.ndarray) -> Draws:
    """The draws of the days in `window`, a share of each month (12,)."""
    staff = d.staff
    seg = Staffing(start=staff.start, exit=staff.exit, active=staff.active * window,
                   productivity=staff.productivity * window, new_hire=staff.new_hire,
                   steady=staff.steady & bool(np.all(window == 1.0)))
    return Draws(staff=seg, credit={m: c * window for m, c in d.credit.items()},
                 counts={m: c * window for m, c in d.counts.items()},
                 booked={m: c * window for m, c in d.booked.items()}, quota=d.quota,
                 last_year=d.last_year)


def _changed_year(role: Role, market: Market, d: Draws, months: PlanCalendar) -> RoleYear:
    """Each plan in force pays the credit of its days (separate segments); figures add up.

    A change inside a month splits that month's credit by days. A plan that blends
    segments is paid as evaluated on the year's credit from its start (its days and
    figures are still its own window's)."""
    none = np.datetime64("NaT", "D")
    parts = []
    for plan, first, last in role.segments():
        on = role.model_copy(update={"plan": plan, "plan_changes": ()})
        end = np.array([none if last is None else last], "M8[D]")
        window = months.active_share(np.array([none if first is None else first], "M8[D]"),
                                     end)[0]
        part = _plan_year(on, market, _window(d, window), months)
        if first is not None and plan.segments == "blend":
            since_start = months.active_share(np.array([none], "M8[D]"), end)[0]
            paid_from = int(plan.calendar.period_index(np.array([first], "M8[D]"))[0])
            blended = _plan_year(on, market, _window(d, since_start), months, paid_from)
            contests = tuple(replace(c, prizes=b.prizes)
                             for c, b in zip(part.contests, blended.contests, strict=True))
            part = replace(part, variable_pay=blended.variable_pay,
                           monthly_pay=blended.monthly_pay, prizes=blended.prizes,
                           contests=contests)
        parts.append(part)
    add = ("revenue", "quota", "attained", "variable_pay", "base_pay", "on_target_incentive",
           "ote", "monthly_revenue", "monthly_pay")
    summed = {f: sum(getattr(p, f) for p in parts) for f in add}
    prizes = [p.prizes for p in parts if p.prizes is not None]
    return replace(parts[0], year_share=sum(p.year_share for p in parts),
                   active=d.staff.active, prizes=sum(prizes) if prizes else None,
                   contests=_merged_contests(parts), **summed)


def _merged_contests(parts: list[RoleYear]) -> tuple[ContestYear, ...]:
    """The contests of a year's plan segments, by name: a contest in several plans adds
    its prizes; who is in contention is the first segment's that has it."""
    merged: dict[str, ContestYear] = {}
    for c in (c for p in parts for c in p.contests):
        seen = merged.get(c.name)
        merged[c.name] = c if seen is None else replace(seen, prizes=seen.prizes + c.prizes)
    return tuple(merged.values())


def _contention(plan: Plan, k: int, payout, inputs: PlanInputs) -> np.ndarray:
    """(trials, slots, periods of the window): who is in contention for contest k after
    each period of its window (`Contest.contention`)."""
    c = plan.components[k]
    ctx = Context.of_credit(payout.credit[k], inputs.quota.get(c.measure), inputs.team,
                            last_year_series(plan, inputs, c))
    return c.contention(ctx)[..., c.window(plan.calendar.n_periods)]


def plan_inputs(role: Role, market: Market, d: Draws, months: PlanCalendar,
                paid_from: int | None = None) -> tuple[PlanInputs, dict, np.ndarray]:
    """What `role.plan` is evaluated on for draws `d`: (inputs, the annual quota per
    measure, each slot's share of the year in seat)."""
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
    quota = {m: d.quota.get(m, role.quota_for(m)) * scale for m in role.quota_measures()}
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
        new_hire=staff.new_hire, team=_teams(role, market),
        paid_from=None if paid_from is None else np.asarray(paid_from),
        last_year=_last_year(role, d), window_credit=_dated_windows(plan, d, months, step))
    return inputs, quota, year_share


def _plan_year(role: Role, market: Market, d: Draws, months: PlanCalendar,
               paid_from: int | None = None, company: Company | None = None) -> RoleYear:
    """Pay one role's reps under `role.plan` and collect their annual figures (a blended
    segment: paid from period `paid_from` on; `company`: the role's prizes and contention
    in company contests, ranked across roles)."""
    plan = role.plan
    step = MONTHS_PER_PERIOD[plan.payout_period]
    staff = d.staff
    inputs, quota, year_share = plan_inputs(role, market, d, months, paid_from)
    in_seat = year_share > 0
    if company:
        inputs = replace(inputs, given_prizes={n: p for n, (p, _) in company.items()})
    payout = evaluate(plan, inputs)
    if step == 1:
        monthly_pay = payout.net_paid
    else:
        monthly_pay = np.zeros(staff.active.shape)
        monthly_pay[..., step - 1::step] = payout.net_paid
    units = set(plan.unit_measures)
    # none for managers or overlay roles (each deal counts once), never a unit measure
    revenue = [] if role.overlay else [m for m in market.money_measures() if m not in units]
    booked = {m: d.booked.get(m, d.credit[m]) for m in revenue}
    monthly_revenue = booked[revenue[0]] if len(revenue) == 1 else \
        sum(booked.values(), np.zeros(staff.active.shape))
    quota = _attainment_quotas(quota, units)
    annual = {m: _annual(d.credit[m]) for m in quota}  # each measure summed once
    same = len(revenue) == 1 and revenue[0] in annual and booked[revenue[0]] is d.credit[revenue[0]]
    revenue_year = annual[revenue[0]] if same else _annual(monthly_revenue)
    attained = sum(annual.values()) if quota else np.zeros(year_share.shape)
    quota_total = sum(quota.values()) if quota else 0.0
    prizes = productivity = None
    ranked = [k for k, c in enumerate(plan.components) if c.ranked]
    contests = tuple(ContestYear(
        plan.components[k].name, payout.earned_ytd[k, ..., -1],
        company[plan.components[k].name][1] if plan.components[k].name in (company or {})
        else _contention(plan, k, payout, inputs)) for k in ranked)
    if ranked:  # contests: each rep's prizes in the year and how productive they were
        prizes = sum(c.prizes for c in contests)
        months_in = np.maximum(staff.active.sum(axis=-1), 1e-12)
        productivity = (staff.productivity * staff.active).sum(axis=-1) / months_in
    return RoleYear(
        year_share=year_share, revenue=revenue_year,
        quota=np.where(in_seat, quota_total, 0.0),
        attained=attained, variable_pay=_annual(monthly_pay),
        base_pay=np.broadcast_to(payout.base, year_share.shape),
        on_target_incentive=np.broadcast_to(payout.ti, year_share.shape),
        ote=plan.ote * year_share, new_hire=staff.new_hire, left=staff.left,
        monthly_revenue=monthly_revenue, monthly_pay=monthly_pay, active=staff.active,
        prizes=prizes, productivity=productivity, contests=contests)


