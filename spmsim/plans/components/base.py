"""What every plan component shares: the evaluation context and the base model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from spmsim.calendar import PayoutPeriod
from spmsim.config import MEASURE_PATTERN, Frozen, Money, Rate
from spmsim.plans.basis import Basis
from spmsim.plans.linkage import Modifier, Unlock


class Cap(Frozen):
    """A ceiling on earnings: a multiple of the target, or an amount per year or per period."""

    of_target: Rate | None = Field(None, gt=0, description="cap as a multiple of the target")
    amount: Money | None = Field(None, gt=0, description="cap in currency")
    per: Literal["year", "period"] = Field(
        "year", description="with `amount`: per plan year (on YTD earnings) or per payout period"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Cap:
        if (self.of_target is None) == (self.amount is None):
            raise ValueError("give exactly one of `of_target` or `amount`")
        if self.of_target is not None and self.per != "year":
            raise ValueError("`per: period` goes with `amount`; `of_target` caps the year")
        return self

    def apply(self, earned_ytd: np.ndarray, target: np.ndarray | float | None) -> np.ndarray:
        """Earned YTD with the cap applied (..., periods); never mutates its input."""
        if self.of_target is not None:
            return np.minimum(earned_ytd, self.of_target * np.asarray(target)[..., None])
        if self.per == "year":
            return np.minimum(earned_ytd, self.amount)
        increments = np.diff(earned_ytd, axis=-1, prepend=0.0)
        return np.cumsum(np.minimum(increments, self.amount), axis=-1)


@dataclass(frozen=True)
class Context:
    """Arrays a component is evaluated on; leading shape (..., reps), periods last.

    ytd: credit to date (..., P), divided by the share of quota it is judged against when
    the basis is not annual; period_credit: credit per period (..., P);
    quota: annual quota (..., 1) or None; target: TI x weight, prorated (..., 1);
    counts: deals per period (..., P) or None;
    team: integer team per rep (reps,) or None: who shares a team's credit (contests rank
    teams);
    last_year: last year's credit on the measure per period (..., P), prorated from the
    annual figure by the plan's quota weights (NaN: no last year, a new hire), or None:
    what a contest on growth compares with.
    """

    ytd: np.ndarray
    period_credit: np.ndarray
    quota: np.ndarray | None
    target: np.ndarray
    counts: np.ndarray | None = None
    team: np.ndarray | None = None
    last_year: np.ndarray | None = None

    @classmethod
    def of_credit(cls, credit: np.ndarray, quota: np.ndarray | None = None,
                  team: np.ndarray | None = None,
                  last_year: np.ndarray | None = None) -> Context:
        """The context of credit per period (..., reps, P) and an annual quota per rep
        (broadcastable to (..., reps)) with no target: what a contest is ranked on outside
        the engine (leaderboards, who is in contention)."""
        lead = credit.shape[:-1]
        q = None if quota is None else \
            np.broadcast_to(np.asarray(quota, dtype=float), lead)[..., None]
        return cls(ytd=np.cumsum(credit, axis=-1), period_credit=credit, quota=q,
                   target=np.zeros(lead + (1,)), team=team, last_year=last_year)

    @property
    def n_periods(self) -> int:
        return self.ytd.shape[-1]


class Component(Frozen):
    """A plan component: a pure function from credited arrays to earned-to-date arrays."""

    kind: ClassVar[str]
    # True when the measure is a score in [0, 1] per assessment (an MBO), not credit
    scored: ClassVar[bool] = False
    # True when pay depends on the other reps evaluated alongside (a contest's places)
    ranked: ClassVar[bool] = False
    name: str = Field(min_length=1)
    measure: str = Field(pattern=MEASURE_PATTERN, description="the credited measure it pays on")
    credit: Literal["rep", "team"] = Field(
        "rep", description="team: pay on the summed credit of the rep's team"
    )
    cap: Cap | None = None
    unlock: Unlock | None = Field(None, description="pay only once another measure's YTD "
                                  "attainment reaches a level")
    modifier: Modifier | None = Field(None, description="multiply earnings by a curve of "
                                      "another measure's YTD attainment")
    payout_period: PayoutPeriod | None = Field(
        None, description="pay this component by month, quarter or year (the plan's if omitted;"
        " never more often than the plan's)"
    )

    weight: Rate | None = None

    def judged_on(self, plan_basis: Basis) -> Basis | None:
        """The attainment basis of this component's gates, tiers or curve; None if it has none."""
        return None

    @property
    def needs_quota(self) -> bool:
        return False

    def assessments(self, n_periods: int) -> int:
        """Assessments a year of a scored measure; one per payout period by default."""
        return n_periods

    def target_share(self) -> float:
        """Share of TI this component targets (its weight; 0 when it has none)."""
        return self.weight or 0.0

    def earned_ytd(self, ctx: Context) -> np.ndarray:
        """Earnings to date before the component cap, shape (..., P)."""
        raise NotImplementedError

    def explain(self, ytd: float, quota: float | None, target: float,
                n_periods: int = 12) -> list[str]:
        """The calculation of earned-to-date for one rep, in words and figures."""
        raise NotImplementedError
