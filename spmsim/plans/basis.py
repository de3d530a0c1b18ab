"""Attainment basis: which quota a gate, a tier edge or a bonus curve is judged against.

A monthly or quarterly plan judges attainment in one of three ways (`basis:`):

- `ytd_prorated` (the default): credit to date against the *quota to date*, the annual
  quota times the share of it due by the end of the period (by days on the plan, or by
  the plan's seasonal `quota_weights`); the component's target is prorated the same way.
  A rep exactly on pace is at 100 % in every period; the last period is the annual quota.
- `annual`: credit to date against the annual quota (a gate at 40 % is out of reach in
  Q1 for a rep on pace).
- `period`: each pay period judged on its own credit against its own quota, no carry.

The share due per period is the plan's weight of that period times the share of its days
the rep is on the plan, normalised over the periods the rep is on it, so a mid-year hire's
quota (stated for their time on the plan) is due over their own periods.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from spmsim.calendar import MONTHS_PER_PERIOD, PlanCalendar

Basis = Literal["ytd_prorated", "annual", "period"]
BASIS_WORDS: dict[str, str] = {
    "ytd_prorated": "credit to date against the quota to date",
    "annual": "credit to date against the annual quota",
    "period": "each pay period's credit against its own quota",
}


def period_weights(calendar: PlanCalendar, weights: tuple[float, ...] | None) -> np.ndarray:
    """Share of the annual quota falling in each period (P,): seasonal weights or days."""
    if weights is not None:
        return np.asarray(weights, dtype=float)
    return calendar.period_days / calendar.year_days


def due(calendar: PlanCalendar, weights: tuple[float, ...] | None,
        active: np.ndarray | None) -> np.ndarray:
    """Share of the (rep's) annual quota due in each period, (P,) or (..., P); sums to 1.

    A rep never on the plan has nothing due (all zeros).
    """
    w = period_weights(calendar, weights)
    if active is None:
        return w / w.sum()
    on = np.asarray(active, dtype=float) * w
    total = on.sum(axis=-1, keepdims=True)
    return np.divide(on, total, out=np.zeros_like(on), where=total > 0)


def due_to_date(share: np.ndarray) -> np.ndarray:
    """Cumulative share due by each period's end; exactly 1.0 from the last period due."""
    cum = np.cumsum(share, axis=-1)
    total = cum[..., -1:]
    return np.divide(cum, total, out=np.zeros_like(cum), where=total > 0)


def pay_groups(n_periods: int, plan_period: str, component_period: str | None) -> np.ndarray:
    """Index of the component's pay period each plan period belongs to (P,)."""
    if component_period is None:
        return np.arange(n_periods)
    per = MONTHS_PER_PERIOD[component_period] // MONTHS_PER_PERIOD[plan_period]
    return np.arange(n_periods) // per


def group_starts(groups: np.ndarray) -> np.ndarray:
    """For each period, the first period of its group (P,)."""
    first = np.r_[True, groups[1:] != groups[:-1]]
    return np.maximum.accumulate(np.where(first, np.arange(groups.size), 0))


def within_group(values_to_date: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Running totals restarted at each group's first period (..., P)."""
    starts = group_starts(groups)
    before = np.concatenate([np.zeros_like(values_to_date[..., :1]),
                             values_to_date[..., :-1]], axis=-1)
    return values_to_date - before[..., starts]


def group_total(share: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each period's whole-group total of `share` (..., P): the group's quota share."""
    ends = np.r_[groups[1:] != groups[:-1], True]
    last = np.minimum.accumulate(np.where(ends, np.arange(groups.size), groups.size)[::-1])[::-1]
    return within_group(np.cumsum(share, axis=-1), groups)[..., last]


def judged(basis: Basis, credit_to_date: np.ndarray, share: np.ndarray,
           groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(credit judged, share of the annual quota and target it is judged against), (..., P).

    `share` is the share due per period (from `due`). Gates, tiers and curves are scale
    free: a component earns `s x E(credit / s)`, E its rule on the annual quota and target.
    """
    if basis == "ytd_prorated":
        return credit_to_date, due_to_date(share)
    if basis == "period":
        return within_group(credit_to_date, groups), group_total(share, groups)
    return credit_to_date, np.ones(1)


def carried(earned_in_group: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Earned to date: finished groups' final earnings plus the running group's (..., P)."""
    ends = np.r_[groups[1:] != groups[:-1], True]
    final = np.cumsum(np.where(ends, earned_in_group, 0.0), axis=-1)
    before = np.concatenate([np.zeros_like(final[..., :1]), final[..., :-1]], axis=-1)
    return before[..., group_starts(groups)] + earned_in_group


def ramp_factor(calendar: PlanCalendar, ramp: tuple[float, ...] | None,
                tenure_start: np.ndarray) -> np.ndarray:
    """Share of the full quota due in each period (..., P) under a ramp quota.

    `tenure_start` is the month (0 = the year's first) of each rep's first tenure month,
    negative for reps hired before the year; tenure month k is due at `ramp[k - 1]` of the
    full quota, and in full after the schedule. Months are weighted by their days.
    """
    start = np.floor(np.asarray(tenure_start, dtype=float))[..., None]
    if ramp is None:
        return np.ones(start.shape[:-1] + (calendar.n_periods,))
    r = np.asarray(ramp, dtype=float)
    tenure = np.arange(12) - start  # 0: the first tenure month
    f = np.where(tenure < r.size, r[np.clip(tenure, 0, r.size - 1).astype(int)], 1.0)
    days = PlanCalendar(calendar.year_start, "month").period_days.astype(float)
    n = calendar.n_periods
    by_period = (f * days).reshape(f.shape[:-1] + (n, 12 // n)).sum(axis=-1)
    return by_period / days.reshape(n, 12 // n).sum(axis=-1)
