"""Quota-setting methods: a company target allocated to reps, with over-assignment and
relief for reps who are still ramping.

Every method returns one annual quota per rep that, before relief, sums to the company
target x (1 + over-assignment):

* `flat_growth`: last year's bookings x (1 + growth), scaled to the target;
* `potential`: in proportion to territory potential;
* `equal`: the same for everyone;
* `blended`: a weighted mix of the shares of the methods above.

Relief then lowers a ramping rep's quota by their expected productivity over the year
(the mean of their ramp curve over the months they are in seat), the usual ramp quota.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

import numpy as np
from pydantic import Field, model_validator

from spmsim.config import MEASURE_PATTERN, Frozen, Money, Rate
from spmsim.errors import SpmsimError

MONTHS = 12

Method = Literal["flat_growth", "potential", "equal", "blended"]


class RampCurve(Protocol):
    """A new hire's productivity by tenure (`model.org.Ramp` is one)."""

    def factor(self, tenure_months: np.ndarray) -> np.ndarray: ...


class QuotaMethod(Frozen):
    """How a company target becomes quotas (a scenario or study field)."""

    method: Method
    measure: str | None = Field(None, pattern=MEASURE_PATTERN,
                                description="the measure it sets (default: the plan's first)")
    target: Money = Field(gt=0, description="company bookings target for the reps")
    over_assignment: float = Field(0.0, ge=0, lt=1,
                                   description="quotas sum to target x (1 + this)")
    growth: Rate = Field(0.0, gt=-1, description="flat_growth: growth on last year")
    weights: dict[Literal["flat_growth", "potential", "equal"], Rate] = Field(
        default_factory=dict, description="blended: weight of each method's shares")
    ramp_relief: bool = True

    @model_validator(mode="after")
    def _weights(self) -> QuotaMethod:
        if self.method == "blended":
            if not self.weights or sum(self.weights.values()) <= 0 or \
                    min(self.weights.values()) < 0:
                raise ValueError("weights: give non-negative weights for the blended methods, "
                                 "e.g. {flat_growth: 0.5, potential: 0.5}")
        return self


def _shares(method: str, history: np.ndarray | None, potential: np.ndarray | None,
            growth: float, n: int) -> np.ndarray:
    if method == "equal":
        return np.full(n, 1.0 / n)
    values = {"flat_growth": history, "potential": potential}[method]
    if values is None:
        raise SpmsimError(f"quota method {method!r} needs each rep's "
                          f"{'last-year bookings' if method == 'flat_growth' else 'potential'}")
    values = np.asarray(values, float) * ((1 + growth) if method == "flat_growth" else 1.0)
    if values.shape != (n,) or np.any(values < 0) or values.sum() <= 0:
        raise SpmsimError(f"quota method {method!r}: one value >= 0 per rep, not all zero")
    return values / values.sum()


def relief(ramp: RampCurve, start_month: np.ndarray, hired: np.ndarray | None = None
           ) -> np.ndarray:
    """Expected share of full productivity over the rest of the year for reps starting at
    `start_month` (0 = in seat and ramped at the year's start: no relief, unless `hired`
    says the rep is a new hire starting on the year's first day)."""
    start = np.asarray(start_month, float)
    hired = np.zeros(start.shape, bool) if hired is None else np.asarray(hired, bool)
    out = np.ones(start.shape)
    for i, s in np.ndenumerate(start):
        if s >= MONTHS or (s <= 0 and not hired[i]):
            continue
        months = np.arange(np.floor(s), MONTHS) + 0.5 - s  # tenure mid-month
        months = months[months > 0]
        out[i] = float(ramp.factor(months).mean()) if months.size else 1.0
    return out


def allocate(method: QuotaMethod, *, n: int | None = None,
             history: np.ndarray | None = None, potential: np.ndarray | None = None,
             start_month: np.ndarray | None = None, ramp: RampCurve | None = None,
             hired: np.ndarray | None = None) -> np.ndarray:
    """Annual quota per rep. `start_month` (0-12, float) and `ramp` give ramp relief
    (`hired` marks new hires, who ramp even when they start on the first day); quotas are
    for a full year in seat (prorating for part-years is the engine's)."""
    sizes = {len(a) for a in (history, potential, start_month) if a is not None}
    if n is None and not sizes:
        raise SpmsimError("allocate: give n or per-rep history, potential or start months")
    n = n if n is not None else sizes.pop()
    if sizes - {n}:
        raise SpmsimError("allocate: history, potential and start months need one value per rep")
    weights: Mapping[str, float] = method.weights if method.method == "blended" else \
        {method.method: 1.0}
    total = sum(weights.values())
    shares = sum(w / total * _shares(m, history, potential, method.growth, n)
                 for m, w in weights.items() if w > 0)
    quota = method.target * (1 + method.over_assignment) * shares
    if method.ramp_relief and start_month is not None and ramp is not None:
        quota = quota * relief(ramp, start_month, hired)
    return quota


def fairness(attainment: np.ndarray, potential: np.ndarray) -> float:
    """Correlation of attainment with territory potential: near 0 is fair."""
    a, p = np.asarray(attainment, float), np.asarray(potential, float)
    if a.std() == 0 or p.std() == 0:
        return 0.0
    return float(np.corrcoef(a, p)[0, 1])
