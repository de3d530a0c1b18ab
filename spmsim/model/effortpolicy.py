"""Effort as an economic choice: a dynamic-programming policy solved once per plan and role.

Each month a rep chooses effort e to maximise the expected (discounted, optionally
risk-adjusted) pay at the end of the plan year minus a convex cost of effort, given where
they stand (attainment committed so far), the months left and their productivity, as in the
structural models of Misra and Nair (2011) and Chung, Steenburgh and Sudhir (2014). Effort
scales the rep's deal flow: with skill s, a month's won deals are Poisson with mean
lambda_m x s x e and their sizes are the market's. The value function is solved backwards on
a grid (attainment in steps of 1 % of quota x decision month x productivity); the agents
then look their effort up.

The cost of effort does not depend on the plan: in a month of weight w_m (that month's
share of a year's expected bookings) it is s x w_m x e^(1 + 1/elasticity) / (1 + 1/elasticity)
in units of the plan's TI. So a rep paid TI in proportion to bookings, with the year's
expected bookings earning exactly TI, works at effort 1 in every state; a plan that pays
more for the next sale (an accelerator, a bonus within reach) draws more effort, one that
pays less (a cap, a bonus out of reach) less, and every plan element acts through the same
rule. A deal closes a sales cycle after the effort that made it (`lag` months): effort in
the last `lag` months of the year brings next year's deals, valued at the plan's rate to
quota.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np
from pydantic import Field, model_validator

from spmsim.calendar import MONTHS_PER_PERIOD
from spmsim.config import Frozen
from spmsim.plans import Plan
from spmsim.plans.basis import due

STEP = 0.01  # attainment grid step (1 % of quota)
POINTS = 1024  # attainment grid 0 .. 10.23 x quota
FFT = 2048  # length of the circular convolutions (grid + a month's largest increment)
SKILLS = np.exp(np.linspace(math.log(0.05), math.log(4.0), 13))  # productivity grid
EFFORTS = 31  # effort levels tried between min and max, then refined by a parabola


class EffortChoice(Frozen):
    """Effort chosen month by month by dynamic programming (see Methods: agent engine)."""

    elasticity: float = Field(0.3, gt=0, le=5, description="effort's elasticity to the "
                              "marginal pay: the cost of effort grows as e^(1 + 1/elasticity)")
    discount: float = Field(0.99, gt=0, le=1, description="monthly discount factor")
    risk_aversion: float = Field(0.0, ge=0, le=20, description="constant absolute risk "
                                 "aversion over the year's pay, per unit of TI")
    ratchet: float = Field(0.0, ge=0, le=2, description="share of the attainment above "
                           "quota by which reps expect next year's quota to rise")
    min_effort: float = Field(0.5, ge=0, description="least effort a rep gives")
    max_effort: float = Field(1.5, gt=0, description="most effort a rep gives")

    @model_validator(mode="after")
    def _ordered(self) -> EffortChoice:
        if self.min_effort >= self.max_effort:
            raise ValueError("min_effort must be below max_effort")
        return self


@dataclass(frozen=True)
class Outlook:
    """What a rep of productivity 1 at effort 1 books, in units of their quota.

    rates: expected won deals per month (12); sizes: a deal's size distribution on the
    attainment grid (pmf over 0, STEP, 2 STEP, ...); lag: months from effort to close;
    windows: the assessment windows as (month the window ends, share of the annual quota
    due in it), the whole year by default.
    """

    rates: np.ndarray
    sizes: np.ndarray
    lag: int
    windows: tuple[tuple[int, float], ...] = ((12, 1.0),)

    def window_of(self, month: int) -> int:
        """Index of the window a month (0-11) falls in."""
        return next(i for i, (end, _) in enumerate(self.windows) if month < end)

    def window_sizes(self, share: float) -> np.ndarray:
        """The deal size pmf in units of a window's quota (share x the annual quota)."""
        if share == 1.0:
            return self.sizes
        k = np.minimum(np.rint(np.arange(self.sizes.size) / share).astype(int),
                       self.sizes.size - 1)
        return np.bincount(k, weights=self.sizes, minlength=self.sizes.size)

    @property
    def weights(self) -> np.ndarray:
        """Each month's share of a year's expected bookings (the cost of effort's scale)."""
        return self.rates / self.rates.sum()

    @property
    def deal_mean(self) -> float:
        return float(np.arange(self.sizes.size) @ self.sizes * STEP)


def size_pmf(quantile, quota: float, n: int = 4000) -> np.ndarray:
    """A deal size's distribution on the attainment grid, from its quantile function
    (n equally likely sizes rounded to the nearest grid step; sizes past the grid's reach in
    one month are kept at its edge)."""
    sizes = np.asarray(quantile((np.arange(n) + 0.5) / n), dtype=float) / quota
    k = np.clip(np.rint(sizes / STEP).astype(int), 0, FFT - POINTS - 1)
    return np.bincount(k, minlength=FFT - POINTS) / n


def month_pmfs(sizes: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Compound Poisson pmfs of a month's bookings (deals Poisson with each mean in `means`,
    sizes `sizes`), on the grid, by the Fourier transform: pmf = F^-1 exp(m (F sizes - 1)).
    Returns rfft of each pmf (means.shape + (FFT // 2 + 1,)), ready to correlate."""
    phi = np.fft.rfft(sizes, FFT)
    pmf = np.fft.irfft(np.exp(means[..., None] * (phi - 1.0)), FFT)
    pmf = np.clip(pmf, 0.0, None)
    pmf /= pmf.sum(axis=-1, keepdims=True)
    return np.fft.rfft(pmf, FFT)


def expected_next(values: np.ndarray, pmf_hat: np.ndarray) -> np.ndarray:
    """E[V(a + X)] on the grid: values (S, POINTS) per productivity, pmf_hat (S, E, F) per
    productivity and effort; V beyond the grid stays at its last value. Returns (S, E,
    POINTS)."""
    padded = np.repeat(values[:, -1:], FFT, axis=1)
    padded[:, :POINTS] = values
    v_hat = np.fft.rfft(padded)[:, None, :]
    # a correlation: sum_k p_k V(a + k) = F^-1(conj(F p) x F V)
    return np.fft.irfft(np.conj(pmf_hat) * v_hat, FFT)[..., :POINTS]


def utility(pay: np.ndarray, risk_aversion: float) -> np.ndarray:
    """Utility of the year's pay (in TI): linear, or CARA (1 - exp(-r pay)) / r."""
    if risk_aversion == 0:
        return pay
    return -np.expm1(-risk_aversion * pay) / risk_aversion


def cost(params: EffortChoice, effort: np.ndarray) -> np.ndarray:
    """Cost of effort per unit of s x w_m: e^(1 + 1/elasticity) / (1 + 1/elasticity)."""
    k = 1.0 + 1.0 / params.elasticity
    return effort ** k / k


def _best(objective: np.ndarray, efforts: np.ndarray) -> np.ndarray:
    """Argmax over the last axis refined by a parabola through the best point's neighbours."""
    i = np.clip(objective.argmax(axis=-1), 1, efforts.size - 2)
    take = np.take_along_axis
    lo, mid, hi = (take(objective, (i + d)[..., None], -1)[..., 0] for d in (-1, 0, 1))
    curv = lo - 2 * mid + hi
    shift = np.where(curv < 0, 0.5 * (lo - hi) / np.where(curv < 0, curv, -1.0), 0.0)
    step = efforts[1] - efforts[0]
    best = efforts[i] + np.clip(shift, -1.0, 1.0) * step
    edge = objective.argmax(axis=-1)
    best = np.where(edge == 0, efforts[0], best)
    return np.where(edge == efforts.size - 1, efforts[-1], best)


@dataclass(frozen=True)
class EffortPolicy:
    """Effort by decision month (12), attainment committed in the window where that month's
    effort closes (POINTS grid) and productivity (SKILLS grid): effort[month, point, skill];
    lag: months from effort to close; windows as in Outlook."""

    effort: np.ndarray
    lag: int
    windows: tuple[tuple[int, float], ...] = ((12, 1.0),)

    def lookup(self, month: int, attainment: float, skill: float) -> float:
        """Effort for a month, linear in attainment and in log productivity."""
        x = min(max(attainment / STEP, 0.0), POINTS - 1.000001)
        i = int(x)
        f = x - i
        table = self.effort[month]
        s = min(max(skill, SKILLS[0]), SKILLS[-1])
        j = min(bisect.bisect_right(_SKILL_LIST, s) - 1, SKILLS.size - 2)
        g = (math.log(s) - _LOG_SKILLS[j]) / (_LOG_SKILLS[j + 1] - _LOG_SKILLS[j])
        lo = table[i, j] * (1 - f) + table[i + 1, j] * f
        hi = table[i, j + 1] * (1 - f) + table[i + 1, j + 1] * f
        return float(lo * (1 - g) + hi * g)


_SKILL_LIST = SKILLS.tolist()
ATTAINMENTS = np.arange(POINTS) * STEP  # the grid the pay is read on
_LOG_SKILLS = np.log(SKILLS).tolist()


def solve_policy(params: EffortChoice, pay: np.ndarray, outlook: Outlook,
                 next_year_rate: float) -> EffortPolicy:
    """Backward induction over the decision months whose deals close in the year.

    pay: the year's pay (share of TI) at each grid attainment of a window's quota, for a
    window due the whole annual quota (a window due share s of it pays s x pay); each
    window's attainment starts from nothing and its pay is added at its end.
    next_year_rate: pay per unit of attainment for deals that close after the year (the
    plan's rate to quota).
    """
    efforts = np.linspace(params.min_effort, params.max_effort, EFFORTS)
    c = cost(params, efforts)
    months = outlook.rates.size
    last = months - outlook.lag  # decisions before `last` land in the year
    annual = len(outlook.windows) == 1
    value = np.zeros((SKILLS.size, POINTS))
    policy = np.empty((months, POINTS, SKILLS.size))
    w = outlook.weights
    for m in range(months - 1, -1, -1):
        if m >= last:  # deals land next year: marginal value is linear, effort is static
            gain = params.discount ** (months + last - m) * next_year_rate * \
                outlook.deal_mean * outlook.rates[(m + outlook.lag) % months]
            policy[m] = _static(params, gain / w[m], efforts)
            continue
        k = m + outlook.lag  # the month this decision's deals close in
        end, share = outlook.windows[outlook.window_of(k)]
        if k == end - 1:  # the window closes after this month: its pay, then the next one's
            carry = value[:, :1] if k < months - 1 else 0.0
            value = utility(share * pay, params.risk_aversion)[None, :] + carry
            if annual:
                value = value - ratchet_loss(params, outlook, next_year_rate)
        means = outlook.rates[k] * SKILLS[:, None] * efforts[None, :]
        sizes = outlook.window_sizes(share)
        future = expected_next(value, month_pmfs(sizes, means))  # (S, E, POINTS)
        objective = params.discount * future - \
            (SKILLS[:, None, None] * w[m]) * c[None, :, None]
        objective = np.moveaxis(objective, 1, -1)  # (S, POINTS, E)
        policy[m] = _best(objective, efforts).T
        value = objective.max(axis=-1)  # (S, POINTS)
    return EffortPolicy(policy, outlook.lag, outlook.windows)


def ratchet_loss(params: EffortChoice, outlook: Outlook, next_year_rate: float) -> np.ndarray:
    """What a year-end attainment a costs next year through a quota ratchet, per
    productivity (S, POINTS): next year's quota is (1 + ratchet x max(0, a - 1)) times this
    year's, so next year's expected pay at the rate to quota, next_year_rate x s x A (A the
    year's expected attainment at effort 1), falls by the factor 1 - 1 / (1 + ...),
    discounted a year."""
    if params.ratchet == 0:
        return np.zeros((SKILLS.size, POINTS))
    annual = float(outlook.rates.sum()) * outlook.deal_mean
    shrink = 1.0 - 1.0 / (1.0 + params.ratchet * np.maximum(ATTAINMENTS - 1.0, 0.0))
    return params.discount ** 12 * next_year_rate * annual * SKILLS[:, None] * shrink[None, :]


def _static(params: EffortChoice, marginal: float, efforts: np.ndarray) -> np.ndarray:
    """Effort when the marginal value of a unit of effort per unit of s x w_m is constant:
    the first-order condition marginal = e^(1/elasticity)."""
    e = max(marginal, 0.0) ** params.elasticity
    return np.full((POINTS, SKILLS.size), min(max(e, efforts[0]), efforts[-1]))


def build_policy(params: EffortChoice, pay: np.ndarray, rates: np.ndarray, quantile,
                 quota: float, cycle_days: float, next_year_rate: float,
                 windows: tuple[tuple[int, float], ...] = ((12, 1.0),)) -> EffortPolicy:
    """The policy of a role: `pay` on ATTAINMENTS (share of TI), `rates` the won deals per
    month of a rep of productivity 1, `quantile` the deal size's quantile function, the
    sales cycle in days (rounded to whole months: the lag from effort to close), and the
    plan's assessment windows."""
    return solve_policy(params, pay, outlook_of(rates, quantile, quota, cycle_days, windows),
                        next_year_rate)


def outlook_of(rates: np.ndarray, quantile, quota: float, cycle_days: float,
               windows: tuple[tuple[int, float], ...]) -> Outlook:
    """A role's Outlook: the sales cycle rounded to whole months is the lag to close."""
    lag = min(int(round(cycle_days / (365.25 / 12))), 11)
    return Outlook(np.asarray(rates, dtype=float), size_pmf(quantile, quota), lag, windows)


ANNUAL = ((12, 1.0),)


def plan_windows(plan: Plan, measure: str) -> tuple[tuple[int, float], ...]:
    """The windows in which a plan assesses attainment on `measure`, as (month the window
    ends, share of the annual quota due in it).

    A component judged on each pay period (`basis: period`) is assessed per pay period (its
    own, or the plan's); judged to date, prorated or not, pay is trued up to the annual
    quota at the year end, so the window is the year. Components on one measure assessed
    in different windows are read as the year (the policy has one attainment state).
    """
    kinds = {(c.judged_on(plan.basis), c.payout_period or plan.payout_period)
             for c in plan.components if c.measure == measure and c.needs_quota
             and c.judged_on(plan.basis) is not None}
    if len(kinds) != 1:
        return ANNUAL
    basis, period = kinds.pop()
    if basis != "period" or period == "year":
        return ANNUAL
    return period_windows(plan, period)


def period_windows(plan: Plan, period: str) -> tuple[tuple[int, float], ...]:
    """Windows of a pay period: (month it ends, share of the annual quota due in it)."""
    per = MONTHS_PER_PERIOD[period] // MONTHS_PER_PERIOD[plan.payout_period]
    shares = due(plan.calendar, plan.quota_weights, None).reshape(-1, per).sum(axis=1)
    step = MONTHS_PER_PERIOD[period]
    return tuple((step * (i + 1), float(x)) for i, x in enumerate(shares))
