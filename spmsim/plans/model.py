"""The plan document: pay mix, payout period, components, plan cap, draw and clawback."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from spmsim.calendar import MONTHS_PER_PERIOD, PayoutPeriod, PlanCalendar
from spmsim.config import Frozen, Money
from spmsim.plans.basis import Basis
from spmsim.plans.components import AnyComponent, Cap, Commission, Contest
from spmsim.plans.components.spiff import Spiff
from spmsim.plans.crediting import CreditRule
from spmsim.plans.linkage import linked_measures
from spmsim.plans.timing import Holdback

WEIGHT_TOLERANCE = 1e-3  # twelve weights written to three decimals still add up


class Draw(Frozen):
    """A guaranteed minimum payment per period for a rep's first `periods` active periods.

    Recoverable: the advance is recovered later, only from earnings above the guarantee.
    """

    per_period: Money = Field(gt=0)
    periods: int = Field(ge=1)
    recoverable: bool = True
    applies_to: Literal["all", "new_hires"] = Field(
        "all", description="new_hires: only reps who start after the first day of the year"
    )


class Clawback(Frozen):
    """Reverse `share` of what a deal earned when it is cancelled within `within_days`."""

    within_days: int = Field(ge=0)
    share: float = Field(1.0, gt=0, le=1)


class Fx(Frozen):
    """Exchange rates for deals booked in other currencies than the plan's."""

    file: str = Field(min_length=1, description="CSV of rates `currency, rate[, date]` "
                      "(plan currency per unit of `currency`), relative to the plan file")
    policy: Literal["plan_rate", "dated"] = Field(
        "plan_rate", description="plan_rate: one fixed rate per currency for the year; "
        "dated: the latest rate on or before each deal's date")


class Plan(Frozen):
    """A compensation plan as a comp-plan document states it."""

    plan: str = Field(min_length=1, description="the plan's name")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    ote: Money = Field(gt=0, description="on-target earnings per year")
    base_share: float = Field(ge=0, lt=1, description="pay mix: base / OTE")
    payout_period: PayoutPeriod = "month"
    year_start: date
    basis: Basis = Field(
        "ytd_prorated", description="what gates, tiers and bonus curves judge attainment on: "
        "credit to date against the quota to date (ytd_prorated), the annual quota, or each "
        "pay period's own quota"
    )
    quota_weights: tuple[float, ...] | None = Field(
        None, description="seasonal share of the annual quota in each payout period, adding up "
        "to 1; by days if omitted"
    )
    components: tuple[AnyComponent, ...]
    cap: Cap | None = None
    draw: Draw | None = None
    clawback: Clawback | None = None
    holdback: Holdback | None = None
    segments: Literal["separate", "blend"] = Field(
        "separate", description="a rep who joins this plan mid-year from another: separate "
        "(judged on credit and quota from the change on) or blend (attainment carries: credit "
        "since the year's start against this plan's quota for the whole time; pays what it "
        "earns from the change on)"
    )
    ramp_quota: tuple[float, ...] | None = Field(
        None, description="share of the full quota due in a new hire's tenure months 1, 2, "
        "...; in full after the last"
    )
    crediting: dict[str, CreditRule] = Field(
        {}, description="measure -> how its deals are credited (windfall, "
        "rates by deal attribute)")
    fx: Fx | None = Field(None, description="exchange rates for deals in other currencies")
    unit_measures: tuple[str, ...] = Field(
        (), description="measures counted in units (meetings, logos), not money: never added "
        "to revenue or cost of sales")

    @field_validator("year_start")
    @classmethod
    def _day_in_every_month(cls, d: date) -> date:
        if d.day > 28:
            raise ValueError("start the plan year on day 1-28 so every period has that day")
        return d

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        if not self.components:
            raise ValueError("components: list at least one component")
        names = [c.name for c in self.components]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"components[{i}].name: {name!r} is used twice; names are unique")
        n = self.calendar.n_periods
        for i, c in enumerate(self.components):
            if isinstance(c, Spiff) and c.periods and max(c.periods) > n:
                raise ValueError(f"components[{i}].periods: a {self.payout_period} plan has "
                                 f"periods 1-{n}")
        self._check_pay_periods()
        self._place_contest_dates()
        if self.quota_weights is not None:
            self._check_weights(n)
        for i, x in enumerate(self.ramp_quota or ()):
            if not 0 < x <= 1:
                raise ValueError(f"ramp_quota[{i}]: a share of the full quota above 0 and at "
                                 f"most 1, got {x:g}")
        for i, c in enumerate(self.components):
            for link in ("unlock", "modifier"):
                linked = getattr(c, link)
                if linked is not None and linked.measure == c.measure:
                    raise ValueError(f"components[{i}].{link}.measure: links to another "
                                     f"measure; {c.measure!r} is the component's own")
                if linked is not None and linked.measure in self.score_measures():
                    raise ValueError(f"components[{i}].{link}.measure: {linked.measure!r} "
                                     "is an MBO score, which has no quota to attain")
            if c.unlock is not None and c.unlock.applies_to == "accelerators" and not (
                    isinstance(c, Commission) and c.tier_basis == "attainment"):
                raise ValueError(f"components[{i}].unlock.applies_to: accelerators are the "
                                 "bands above quota of a commission on attainment tiers; "
                                 "use `component` here")
        for m in self.unit_measures:
            if m not in self.measures:
                raise ValueError(f"unit_measures: no component pays on {m!r} (measures: "
                                 f"{', '.join(self.measures)})")
        for m in self.crediting:
            if m not in self.measures or m in self.score_measures():
                raise ValueError(f"crediting.{m}: no component pays on {m!r} as credit "
                                 f"(measures: {', '.join(self.measures)})")
        if self.draw is not None and self.draw.periods > n:
            raise ValueError(f"draw.periods: a {self.payout_period} plan has {n} periods")
        return self

    def _place_contest_dates(self) -> None:
        """Each dated contest window inside the plan year, placed on its periods."""
        cal = self.calendar
        first, last = cal.bounds[0], cal.bounds[-1] - np.timedelta64(1, "D")
        for i, c in enumerate(self.components):
            if not isinstance(c, Contest) or c.dates is None:
                continue
            for end in ("start", "end"):
                day = np.datetime64(getattr(c.dates, end), "D")
                if not first <= day <= last:
                    raise ValueError(f"components[{i}].dates.{end}: {day} is outside the plan "
                                     f"year ({first} to {last})")
            c.place_dates(c.dates.shares(cal))

    def _check_pay_periods(self) -> None:
        step = MONTHS_PER_PERIOD[self.payout_period]
        for i, c in enumerate(self.components):
            if c.payout_period is not None and MONTHS_PER_PERIOD[c.payout_period] < step:
                raise ValueError(f"components[{i}].payout_period: a component cannot pay by "
                                 f"{c.payout_period} on a plan paid by {self.payout_period}; "
                                 f"set the plan's `payout_period: {c.payout_period}`")

    def _check_weights(self, n: int) -> None:
        w = self.quota_weights
        if len(w) != n:
            raise ValueError(f"quota_weights: a {self.payout_period} plan needs {n} weights, one "
                             f"per period, got {len(w)}")
        for i, x in enumerate(w):
            if not 0 < x <= 1:
                raise ValueError(f"quota_weights[{i}]: a share of the annual quota above 0 and "
                                 f"at most 1, got {x:g}")
        if abs(sum(w) - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(f"quota_weights: the shares add up to {sum(w):.4g}, not 1")

    @cached_property
    def calendar(self) -> PlanCalendar:
        return PlanCalendar(self.year_start, self.payout_period)

    @property
    def ti(self) -> float:
        """Target incentive per year: OTE x (1 - base share)."""
        return self.ote * (1.0 - self.base_share)

    @property
    def base_salary(self) -> float:
        return self.ote * self.base_share

    @property
    def measures(self) -> list[str]:
        """Measures the plan reads: what components pay on, then what they link to."""
        return list(dict.fromkeys([*(c.measure for c in self.components),
                                   *(m for c in self.components for m in linked_measures(c))]))

    def quota_measures(self) -> list[str]:
        """Measures for which each rep on this plan needs a quota (linked ones included)."""
        return list(dict.fromkeys([*(c.measure for c in self.components if c.needs_quota),
                                   *(m for c in self.components for m in linked_measures(c))]))

    def money_measures(self) -> list[str]:
        """Measures credited in currency: neither unit counts nor MBO scores."""
        units = set(self.unit_measures) | self.score_measures()
        return [m for m in self.measures if m not in units]

    def deal_columns(self) -> set[str]:
        """Extra deals.csv columns the crediting rules read (product, gross_margin)."""
        return {col for rule in self.crediting.values() for col in rule.columns}

    def score_measures(self) -> set[str]:
        """Measures credited as scores in [0, 1] per assessment (MBOs), not as amounts."""
        return {c.measure for c in self.components if c.scored}

    def assessments_per_year(self, measure: str) -> int:
        """How often a scored measure is assessed in a year (one per period otherwise)."""
        n = self.calendar.n_periods
        return next((c.assessments(n) for c in self.components
                     if c.scored and c.measure == measure), n)

    def weight_total(self) -> float:
        return sum(c.target_share() for c in self.components)

    def is_monotone(self) -> bool:
        """True when no component's pay can fall as its credit rises."""
        return all(c.is_monotone() for c in self.components)
