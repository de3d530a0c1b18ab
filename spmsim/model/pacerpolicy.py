"""Effort policy for a plan that assesses one measure both per quarter and on the year.

Chung, Steenburgh and Sudhir (2014) find that quarterly bonuses on top of an annual one act
as pacers: a rep behind on the year still has this quarter's bonus within reach. A rep on
such a plan reads two attainments: committed to date in the year (for the annual
components) and in the quarter where this month's effort closes (for the quarterly ones).
The policy of `effortpolicy.py` is solved here on both, on a coarser grid (steps of 2 % of
the annual quota; the quarter's attainment is kept in the same units, so a month's bookings
move both states by the same number of steps).

The expectation E[V(y + X, u + X)] over a month's bookings X is a correlation along the
diagonals of the (year, quarter) grid: along each diagonal the value is a one-dimensional
sequence, correlated with the month's bookings pmf by the Fourier transform. Past the
grid's end the quarter's state stays at its last point (its pay is read as flat there) and
the year's likewise.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from spmsim.model.effortpolicy import (
    _LOG_SKILLS,
    _SKILL_LIST,
    ATTAINMENTS,
    SKILLS,
    EffortChoice,
    Outlook,
    _best,
    _static,
    cost,
    outlook_of,
    ratchet_loss,
    utility,
)
from spmsim.plans import Plan

STEP2 = 0.02  # grid step of both states, in units of the annual quota
NY = 160  # the year's attainment: 0 .. 3.18 x quota
NU = 48  # the quarter's, in annual units: 0 .. 0.94 (3.8 x a quarter's quota)
F2 = 256  # length of the correlations (a month's bookings up to 4 x the annual quota)
EFFORTS2 = 16  # effort levels tried, then refined by a parabola
YEAR = np.arange(NY) * STEP2
QUARTER = np.arange(NU) * STEP2


@dataclass(frozen=True)
class PacerPolicy:
    """Effort by decision month, the year's committed attainment (NY grid), the window's
    (NU grid, in units of the annual quota) and productivity: effort[month, y, u, skill]."""

    effort: np.ndarray
    lag: int
    windows: tuple[tuple[int, float], ...]

    def lookup(self, month: int, year: float, window: float, skill: float) -> float:
        """Effort for a month, linear in both attainments and in log productivity."""
        table = self.effort[month]
        i, f = _cell(year, NY)
        j, g = _cell(window, NU)
        s = min(max(skill, SKILLS[0]), SKILLS[-1])
        k = min(bisect.bisect_right(_SKILL_LIST, s) - 1, SKILLS.size - 2)
        h = (math.log(s) - _LOG_SKILLS[k]) / (_LOG_SKILLS[k + 1] - _LOG_SKILLS[k])
        block = table[i:i + 2, j:j + 2, k:k + 2]
        wy, wu, ws = np.array([1 - f, f]), np.array([1 - g, g]), np.array([1 - h, h])
        return float(np.einsum("ijk,i,j,k->", block, wy, wu, ws))


def _cell(x: float, n: int) -> tuple[int, float]:
    """Grid cell of x (units of the annual quota) on an n-point grid, and the fraction in it."""
    z = min(max(x / STEP2, 0.0), n - 1.000001)
    return int(z), z - int(z)


def coarse(sizes: np.ndarray) -> np.ndarray:
    """A deal size pmf on the 1 % grid moved to the 2 % grid (length F2)."""
    k = np.minimum(np.rint(np.arange(sizes.size) / 2).astype(int), F2 - 1)
    return np.bincount(k, weights=sizes, minlength=F2)


def month_pmfs2(sizes: np.ndarray, means: np.ndarray) -> np.ndarray:
    """rfft of the compound Poisson pmf of a month's bookings for each mean in `means`."""
    phi = np.fft.rfft(sizes, F2)
    pmf = np.clip(np.fft.irfft(np.exp(means[..., None] * (phi - 1.0)), F2), 0.0, None)
    pmf /= pmf.sum(axis=-1, keepdims=True)
    return np.fft.rfft(pmf, F2)


_T = np.arange(F2)
_DIAGONALS = (np.minimum(np.arange(NY)[:, None] + _T[None, :], NY - 1),
              np.broadcast_to(np.minimum(_T, NU - 1), (NY, F2)))
# state (y, u), y >= u, lies on diagonal y - u at position u
_ON = (np.maximum(np.arange(NY)[:, None] - np.arange(NU)[None, :], 0),
       np.broadcast_to(np.arange(NU), (NY, NU)))


def expected_next2(values: np.ndarray, pmf_hat: np.ndarray) -> np.ndarray:
    """E[V(y + X, u + X)] on the grid: values (S, NY, NU), pmf_hat (S, E, F2 // 2 + 1).
    Returns (S, E, NY, NU); states with u > y (not reachable) read diagonal 0."""
    out = np.empty((values.shape[0], pmf_hat.shape[1], NY, NU))
    for s in range(values.shape[0]):
        v_hat = np.fft.rfft(values[s][_DIAGONALS])  # (NY diagonals, F)
        r = np.fft.irfft(np.conj(pmf_hat[s])[:, None, :] * v_hat[None], F2)[..., :NU]
        out[s] = r[:, _ON[0], _ON[1]]
    return out


def solve_pacer(params: EffortChoice, pay_year: np.ndarray, pay_window: np.ndarray,
                outlook: Outlook, next_year_rate: float) -> PacerPolicy:
    """Backward induction on (year, window) attainment. pay_year: the annual components'
    pay (share of TI) on ATTAINMENTS; pay_window: the per-window components' year pay on
    ATTAINMENTS with every window at that attainment (a window due share s of the annual
    quota pays s x pay_window at its own attainment)."""
    efforts = np.linspace(params.min_effort, params.max_effort, EFFORTS2)
    c = cost(params, efforts)
    months, lag = outlook.rates.size, outlook.lag
    last = months - lag
    sizes = coarse(outlook.sizes)
    deal_mean = float(_T @ sizes) * STEP2
    year = utility(np.interp(YEAR, ATTAINMENTS, pay_year), params.risk_aversion)
    ratchet = ratchet_loss(params, outlook, next_year_rate)[:, ::2][:, :NY]
    value = np.zeros((SKILLS.size, NY, NU))
    policy = np.empty((months, NY, NU, SKILLS.size))
    w = outlook.weights
    for m in range(months - 1, -1, -1):
        if m >= last:  # deals land next year: effort is static (as in effortpolicy)
            gain = params.discount ** (months + last - m) * next_year_rate * deal_mean * \
                outlook.rates[(m + lag) % months]
            policy[m] = _static(params, gain / w[m], efforts)[0, 0]
            continue
        k = m + lag
        end, share = outlook.windows[outlook.window_of(k)]
        if k == end - 1:  # the window closes after this month: its pay, then a fresh one
            paid = utility(share * np.interp(QUARTER / share, ATTAINMENTS, pay_window),
                           params.risk_aversion)[None, None, :]
            if k == months - 1:
                value = paid + (year[None, :] - ratchet)[:, :, None]
            else:
                value = paid + value[:, :, :1]
        means = outlook.rates[k] * SKILLS[:, None] * efforts[None, :]
        future = expected_next2(value, month_pmfs2(sizes, means))
        objective = params.discount * future - \
            (SKILLS[:, None, None, None] * w[m]) * c[None, :, None, None]
        objective = np.moveaxis(objective, 1, -1)  # (S, NY, NU, E)
        policy[m] = np.moveaxis(_best(objective, efforts), 0, -1)
        value = objective.max(axis=-1)
    return PacerPolicy(policy, lag, outlook.windows)


def pacer_components(plan: Plan, measure: str) -> tuple[frozenset[str], str] | None:
    """(names of the components judged per pay period, their period) when the plan judges
    `measure` both per period (`basis: period`, a period shorter than the year) and on the
    year or to date; None otherwise (one attainment state is enough)."""
    period, names, other = set(), set(), False
    for c in plan.components:
        basis = c.judged_on(plan.basis)
        if c.measure != measure or not c.needs_quota or basis is None:
            continue
        every = c.payout_period or plan.payout_period
        if basis == "period" and every != "year":
            period.add(every)
            names.add(c.name)
        else:
            other = True
    if not other or len(period) != 1:
        return None
    return frozenset(names), period.pop()



def build_pacer(params: EffortChoice, pay_year: np.ndarray, pay_window: np.ndarray,
                rates: np.ndarray, quantile, quota: float, cycle_days: float,
                next_year_rate: float, windows: tuple[tuple[int, float], ...]) -> PacerPolicy:
    """The two-state policy of a role (arguments as effortpolicy.build_policy)."""
    return solve_pacer(params, pay_year, pay_window,
                       outlook_of(rates, quantile, quota, cycle_days, windows), next_year_rate)
