"""The plan document: pay mix, payout period, components, plan cap, draw and clawback."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator, model_validator

from spmsim.calendar import MONTHS_PER_PERIOD, PayoutPeriod, PlanCalendar
from spmsim.config import Frozen, Money
from spmsim.plans.basis import Basis
from spmsim.plans.components import AnyComponent, Cap
from spmsim.plans.components.spiff import Spiff
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
    ramp_quota: tuple[float, ...] | None = Field(
        None, description="share of the full quota due in a new hire's tenure months 1, 2, "
        "...; in full after the last"
    )

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
        if self.quota_weights is not None:
            self._check_weights(n)
        for i, x in enumerate(self.ramp_quota or ()):
            if not 0 < x <= 1:
                raise ValueError(f"ramp_quota[{i}]: a share of the full quota above 0 and at "
                                 f"most 1, got {x:g}")
        if self.draw is not None and self.draw.periods > n:
            raise ValueError(f"draw.periods: a {self.payout_period} plan has {n} periods")
        return self

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
        return list(dict.fromkeys(c.measure for c in self.components))

    def quota_measures(self) -> list[str]:
        """Measures for which each rep on this plan needs a quota."""
        return list(dict.fromkeys(c.measure for c in self.components if c.needs_quota))

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
