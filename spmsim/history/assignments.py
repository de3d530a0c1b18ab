"""One plan's members from dated roster rows: days on the plan, and quotas due by period.

A rep's rows on the same plan are one member (one plan year: YTD credit and attainment
carry across a territory change, a leave is a gap); rows on another plan are a member of
that plan's group, paid on their own credit and quota (`separate` segments).

Quota of a member and measure: the quota rows for its roster rows (each stated for the
time that row is on the plan), prorated for a leave by days on the plan over days from the
first row's start to the last row's end. Relief rows change it from their date on, spread
over the periods left as the plan spreads quota; a ramp quota scales what a new hire owes
in their first months. Either makes a dated schedule (`PlanInputs.quota_due`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmsim.data.assignments import windows
from spmsim.plans import Plan, basis


def members(roster: pd.DataFrame, key: str) -> tuple[pd.DataFrame, np.ndarray]:
    """(one row per rep on plan `key`, their latest row; member of each roster row or -1)."""
    on = roster["plan"].to_numpy() == key
    rows = roster[on].assign(_row=np.flatnonzero(on))
    latest = rows.drop_duplicates("rep_id", keep="last").reset_index(drop=True)
    pos = pd.Series(np.arange(len(latest)), index=latest["rep_id"])
    member = np.full(len(roster), -1)
    member[on] = pos[rows["rep_id"]].to_numpy()
    return latest, member


def active(plan: Plan, roster: pd.DataFrame, member: np.ndarray, n: int) -> np.ndarray:
    """Share of each period's days each member is on the plan (members, periods)."""
    lo, hi = windows(roster)
    share = plan.calendar.active_share(lo, hi)
    out = np.zeros((n, plan.calendar.n_periods))
    on = member >= 0
    np.add.at(out, member[on], share[on])
    return np.minimum(out, 1.0)


def _span_share(plan: Plan, roster: pd.DataFrame, member: np.ndarray, n: int) -> np.ndarray:
    """Share of each period between a member's first day and last day on the plan."""
    lo, hi = windows(roster)
    on = member >= 0
    first = pd.Series(lo[on]).groupby(member[on]).min().reindex(range(n)).to_numpy()
    last = pd.Series(hi[on]).groupby(member[on]).max().reindex(range(n)).to_numpy()
    return plan.calendar.active_share(first.astype("datetime64[D]"), last.astype("datetime64[D]"))


def quotas(plan: Plan, roster: pd.DataFrame, quota_rows: pd.DataFrame, member: np.ndarray,
           on_plan: np.ndarray, tenure_start: np.ndarray) -> tuple[dict, dict]:
    """(annual quota per measure (members,), dated schedules per measure (members, P)).

    A schedule is made only where it changes something: relief rows or a ramp quota.
    """
    n, cal = on_plan.shape[0], plan.calendar
    days = cal.period_days
    span = _span_share(plan, roster, member, n)
    leave = np.divide((on_plan * days).sum(-1), (span * days).sum(-1),
                      out=np.ones(n), where=(span * days).sum(-1) > 0)
    rows = quota_rows.assign(member=member[quota_rows["row"].to_numpy()])
    rows = rows[rows["member"] >= 0]
    relief = rows["reason"] != ""
    ramp = basis.ramp_factor(cal, plan.ramp_quota, tenure_start)
    due = basis.due(cal, plan.quota_weights, on_plan)
    annual, dated = {}, {}
    for m in plan.quota_measures():
        base = rows[~relief & (rows["measure"] == m)].groupby("member")["quota"].sum()
        q = base.reindex(range(n), fill_value=np.nan).to_numpy() * leave
        changes = rows[relief & (rows["measure"] == m)]
        if changes.empty and plan.ramp_quota is None:
            annual[m] = q
            continue
        schedule = q[:, None] * due * ramp
        after = cal.active_share(changes["from"].to_numpy("datetime64[D]"),
                                 np.full(len(changes), np.datetime64("NaT"), "datetime64[D]"))
        mem = changes["member"].to_numpy()
        spread = basis.due(cal, plan.quota_weights, np.minimum(after, on_plan[mem]))
        np.add.at(schedule, mem, changes["quota"].to_numpy()[:, None] * spread)
        dated[m] = np.maximum(schedule, 0.0)
        annual[m] = dated[m].sum(axis=-1)
    return annual, dated


def tenure_start(plan: Plan, start: pd.Series) -> np.ndarray:
    """Month of the year (0 = first) each member's tenure starts; far negative if before."""
    d = start.to_numpy("datetime64[M]")
    months = (d - np.datetime64(plan.year_start, "M")).astype(float)
    return np.where(np.isnat(d) | (months < 0), -1000.0, months)
