"""How reps respond to their plan: effort, giving up, deal timing and quitting.

Each behaviour is a small function of what a rep knows (their attainment to date, what
they expect to book, their plan's payout curve) with its parameters in the scenario's
`behavior:` section; a behaviour left out of the scenario is off. The agent engine
calls them; the Monte Carlo engine has no behaviour.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from spmsim.config import Frozen, Rate
from spmsim.model.effortpolicy import EffortChoice
from spmsim.model.tournament import ContestResponse
from spmsim.plans import Plan, payout_curve
from spmsim.plans.curve import curve_arrays

GRID = np.linspace(0.0, 4.0, 401)  # attainment grid of the payout curve, steps of 1 %


class Effort(Frozen):
    """Effort follows the marginal payout of an extra sale.

    A rep choosing effort e earns m x y x e for output y at marginal pay m and bears a cost
    c x e^(1 + 1/elasticity) / (1 + 1/elasticity); the best effort is (m y / c)^elasticity,
    and c is set so that effort is 1 at the plan's average rate to quota. So
    effort = (m / m_quota)^elasticity, kept within [min_effort, max_effort].
    """

    elasticity: Rate = Field(0.3, ge=0, description="how strongly effort follows pay")
    min_effort: Rate = Field(0.6, gt=0)
    max_effort: Rate = Field(1.4, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Effort:
        if self.min_effort > self.max_effort:
            raise ValueError("min_effort must not exceed max_effort")
        return self


class GivingUp(Frozen):
    """When the chance of reaching quota falls below `below_probability`, effort drops to
    `effort` times its level (the "unreachable quota demotivates" effect)."""

    below_probability: float = Field(0.1, ge=0, le=1)
    effort: float = Field(0.5, ge=0, le=1)
    from_month: int = Field(3, ge=1, le=12, description="first month a rep may give up")


class Timing(Frozen):
    """Deal timing at period ends.

    With `price: fixed`, in the last `window_days` of a payout period, a rep within
    `reach` (share of quota) below an edge where their pay rate rises (a gate, an
    accelerator, a quota bonus; prorated to the period) pulls in `pull_share` of their won
    deals due in the next `horizon_days`, at a `discount` on price. A rep whose pay is
    capped pushes deals that would close after the cap past the end of the plan year.

    With `price: chosen`, timing is a choice with a price, made where it changes pay: at
    the end of each window the plan assesses attainment in (each quarter of a plan judged
    per quarter, `basis: period`; the year when pay is trued up to date). In its last
    `window_days`, for each deal due in the next `horizon_days`, the rep offers the
    discount d that maximises the expected gain P(d) x (pay in this window of the deal at
    (1 - d) of its price - what it is expected to pay in the next window: at the plan's
    rate to quota next year, or at the rep's expected marginal pay in the next quarter);
    the buyer accepts with P(d) = 1 - exp(-d / price_sensitivity). A deal due in that
    window that pays less in it than in the next (past a cap, short of a gate out of
    reach, short of an accelerator the next window is likely to reach) is pushed into the
    next window (the next year's, at the year end).
    """

    window_days: int = Field(14, ge=1, le=60)
    reach: Rate = Field(0.15, gt=0)
    horizon_days: int = Field(45, ge=1)
    pull_share: float = Field(0.6, ge=0, le=1)
    discount: float = Field(0.1, ge=0, lt=1)
    push_at_cap: bool = True
    price: Literal["fixed", "chosen"] = Field(
        "fixed", description="fixed: the pull-in rule above; chosen: the rep chooses a "
        "discount where pulling a deal in pays, the buyer may refuse")
    price_sensitivity: float = Field(0.1, gt=0, lt=1, description="discount a buyer accepts "
                                     "to close early with probability 1 - 1/e (63 %)")
    max_discount: float = Field(0.4, gt=0, lt=1, description="largest discount a rep offers")


class Quitting(Frozen):
    """Attrition responds to pay: the exit hazard is multiplied by `hazard_multiplier`
    while a rep's projected earnings are below `below_ote_share` of OTE, and reps projected
    in the top `top_share` of their role are poached at `poach_annual` a year on top."""

    below_ote_share: Rate = Field(0.8, gt=0)
    hazard_multiplier: Rate = Field(2.5, ge=1)
    top_share: float = Field(0.1, ge=0, le=1)
    poach_annual: float = Field(0.15, ge=0, lt=1)


class Selection(Frozen):
    """Who stays and who joins follows expected earnings against a market wage that rises
    with skill: OTE x skill^skill_premium. A rep expecting less than `below_market_share` of
    theirs leaves at `hazard_multiplier` times the exit hazard; a candidate for a seat who
    would expect less declines, and the next of up to `candidates` is asked."""

    skill_premium: float = Field(0.5, ge=0, le=3, description="how the market wage rises "
                                 "with skill: OTE x skill^skill_premium")
    below_market_share: Rate = Field(0.9, gt=0)
    hazard_multiplier: Rate = Field(2.5, ge=1)
    candidates: int = Field(10, ge=1, le=100, description="candidates asked per hire")


class Behavior(Frozen):
    """The behaviours switched on for the agent engine (all off when absent)."""

    effort: Effort | None = None
    effort_choice: EffortChoice | None = None
    giving_up: GivingUp | None = None
    timing: Timing | None = None
    quitting: Quitting | None = None
    selection: Selection | None = None
    contest: ContestResponse | None = None

    @model_validator(mode="after")
    def _one_effort_rule(self) -> Behavior:
        if self.effort is not None and self.effort_choice is not None:
            raise ValueError("effort and effort_choice are two rules for the same decision: "
                             "keep one of them")
        return self

    @property
    def any(self) -> bool:
        return any(b is not None for b in (self.effort, self.effort_choice, self.giving_up,
                                           self.timing, self.quitting, self.selection,
                                           self.contest))


@dataclass(frozen=True)
class PlanView:
    """What a rep reads off their plan: pay as a share of TI against attainment on the
    plan's main measure (every measure moving together, MBOs at their mean score)."""

    plan: Plan
    quotas: tuple[tuple[str, float], ...]
    mbo_score: float = 1.0

    @cached_property
    def pay(self) -> np.ndarray:
        return self.pay_on(GRID)

    def pay_on(self, attainment: np.ndarray) -> np.ndarray:
        """Pay (share of TI) at each of the given attainments."""
        curve = payout_curve(self.plan, attainment, dict(self.quotas), self.mbo_score)
        return curve.loc[curve["component"] == "Total", "pct_of_ti"].to_numpy()

    def pay_of(self, attainment: np.ndarray, components: frozenset[str]) -> np.ndarray:
        """Pay (share of TI) of the named components alone at each attainment."""
        _, names, earned, _ = curve_arrays(self.plan, attainment, dict(self.quotas),
                                           self.mbo_score)
        rows = [i for i, name in enumerate(names) if name in components]
        return earned[rows].sum(axis=0) / self.plan.ti

    @cached_property
    def slopes(self) -> np.ndarray:
        """Marginal pay (share of TI per unit of attainment) on each grid step."""
        return np.diff(self.pay) / np.diff(GRID)

    @cached_property
    def _lists(self) -> tuple[list[float], list[float], list[float]]:
        """Grid, pay and slopes as Python lists: agents ask for one point at a time, and
        bisect on a list is far quicker than numpy on a scalar."""
        return GRID.tolist(), self.pay.tolist(), self.slopes.tolist()

    def pay_at(self, attainment: float) -> float:
        grid, pay, slopes = self._lists
        if attainment <= grid[0]:
            return pay[0]
        if attainment >= grid[-1]:
            return pay[-1]
        i = bisect.bisect_right(grid, attainment) - 1
        return pay[i] + slopes[i] * (attainment - grid[i])

    def slope_at(self, attainment: float) -> float:
        grid, _, slopes = self._lists
        i = bisect.bisect_right(grid, attainment) - 1
        return slopes[min(max(i, 0), len(slopes) - 1)]

    @cached_property
    def quota_rate(self) -> float:
        """Average marginal pay from nothing to quota: the plan's base rate."""
        return max(self.pay_at(1.0) - self.pay_at(0.0), 1e-12)

    @cached_property
    def edges(self) -> tuple[float, ...]:
        """Attainments where the pay rate rises (gates, accelerators, bonus steps)."""
        s = self.slopes
        rise = np.flatnonzero(np.diff(s) > 1e-6) + 1  # step k pays faster than step k - 1
        # a jump (a gate paying from the first unit) shows as one steep step: its edge is
        # the step's upper end; an accelerator starts at the step's lower end
        spike = np.append(s[rise[rise < s.size - 1]] > s[rise[rise < s.size - 1] + 1] + 1e-6,
                          np.zeros(int((rise >= s.size - 1).sum()), dtype=bool))
        edges = GRID[rise + spike]
        return tuple(float(round(e, 6)) for e in edges if 0 < e < GRID[-1])

    @cached_property
    def cap(self) -> float:
        """Attainment from which pay no longer rises (inf when it always does)."""
        rising = np.flatnonzero(self.slopes > 1e-9)
        if rising.size == 0 or rising[-1] == self.slopes.size - 1:
            return math.inf
        return float(GRID[rising[-1] + 1])


def effort_level(params: Effort, view: PlanView, expected_attainment: float) -> float:
    """Effort for the coming month from the marginal pay at the expected attainment."""
    m = max(view.slope_at(expected_attainment), 0.0) / view.quota_rate
    level = m ** params.elasticity if m > 0 else 0.0
    return min(max(level, params.min_effort), params.max_effort)


def reach_probability(to_go: float, mean: float, variance: float) -> float:
    """P(remaining bookings >= to_go) with remaining bookings normal(mean, variance)."""
    if to_go <= 0:
        return 1.0
    if variance <= 0:
        return float(mean >= to_go)
    z = (to_go - mean) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


def gives_up(params: GivingUp, month: int, probability: float) -> bool:
    """Whether a rep with this chance of reaching quota gives up (month is 1-based)."""
    return month >= params.from_month and probability < params.below_probability


def pulls_in(params: Timing, view: PlanView, attainment: float, year_elapsed: float) -> bool:
    """Whether a rep at `attainment` (to date, of the annual quota) is just short of an
    edge prorated to the share of the year elapsed at the period end."""
    return any(0 < e * year_elapsed - attainment <= params.reach for e in view.edges)


def pushes_out(params: Timing, view: PlanView, attainment: float) -> bool:
    """Whether a rep at `attainment` is capped and so pushes a deal past the year end."""
    return params.push_at_cap and attainment >= view.cap


DISCOUNTS = np.linspace(0.01, 1.0, 100)  # discounts a rep weighs (capped by max_discount)


def best_discount(params: Timing, view: PlanView, attainment: float, size: float,
                  next_rate: float) -> tuple[float, float]:
    """(discount, P(buyer accepts)) that maximise the expected gain of pulling a deal of
    `size` (share of quota) due next year into this year, at year-end `attainment`; (0, 0)
    when no discount gains. The gain is this year's pay of the discounted deal less what
    the whole deal pays next year at `next_rate` (share of TI per unit of attainment)."""
    d = DISCOUNTS[DISCOUNTS <= params.max_discount]
    now = np.array([view.pay_at(attainment + size * (1 - x)) for x in d]) - \
        view.pay_at(attainment)
    accept = -np.expm1(-d / params.price_sensitivity)
    expected = accept * (now - next_rate * size)
    i = int(expected.argmax())
    return (float(d[i]), float(accept[i])) if expected[i] > 0 else (0.0, 0.0)


_NODES = np.linspace(-6.0, 6.0, 241)  # a standard normal on a fine grid: the pay curve's
_WEIGHTS = np.exp(-_NODES ** 2 / 2)  # kinks need it (a 21-point Gauss rule was 4 % off)
_WEIGHTS /= _WEIGHTS.sum()


def window_rate(view: PlanView, mean: float, sd: float, size: float) -> float:
    """Pay (share of TI) per unit of attainment that a deal of `size` (share of a window's
    quota) is expected to earn in a window whose other bookings are normal(mean, sd) in
    units of its quota (floored at nothing): E[pay(B + size) - pay(B)] / size. This is what
    a rep gives up in the next window by pulling the deal out of it, or gains by pushing
    it in."""
    b = np.maximum(mean + sd * _NODES, 0.0)
    gain = np.interp(b + size, GRID, view.pay) - np.interp(b, GRID, view.pay)
    return float(_WEIGHTS @ gain) / max(size, 1e-12)


def defers(view: PlanView, attainment: float, size: float, next_rate: float) -> bool:
    """Whether a deal of `size` pays less closing this year, at `attainment`, than next
    (by more than rounding: a deal paying the same either year is kept)."""
    now = view.pay_at(attainment + size) - view.pay_at(attainment)
    return now < next_rate * size * (1 - 1e-9)


def hazard_multiplier(params: Quitting, earnings_share: float) -> float:
    """Exit hazard multiplier for projected earnings as a share of OTE."""
    return params.hazard_multiplier if earnings_share < params.below_ote_share else 1.0


def below_market(params: Selection, earnings_share: float, skill: float) -> bool:
    """Whether expected earnings (share of OTE) fall short of the rep's market wage."""
    return earnings_share < params.below_market_share * skill ** params.skill_premium


def poach_rate(params: Quitting, top: bool) -> float:
    """Extra monthly exit hazard of a top earner."""
    return -math.log1p(-params.poach_annual) / 12 if top else 0.0
