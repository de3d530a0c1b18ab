"""Two baselines of the Monte Carlo benchmark's model, timed in the same run as the engine.

* `naive_sketch`: the model as anyone would first write it in numpy: one Poisson draw per
  rep-month, one lognormal per deal, a `bincount` into months, YTD cumulative sums and the
  tiered plan on attainment; chunked over trials. No seasonality shortcut, no float32, no
  Poisson splitting: the floor a plain vectorised version reaches.
* `pandas_loop`: the pbpython style (Moffitt, "Monte Carlo Simulation with Python", Practical
  Business Python, 2019): a loop over trials that builds a DataFrame per trial and computes
  the payout with a Python function `apply`-ed row by row.

Both simulate the benchmark's SMB AE year (skill, seasonality, Poisson deals, lognormal
sizes; marginal tiers 1.0 to 100 % of quota, 1.5 to 120 %, 0.5 above; commission capped at
2x target) and return the annual credit and variable pay per rep, so the benchmark checks
they agree with the engine in distribution before it compares their speed. Randomness:
numpy Generators from SeedSequence children, never the global generator.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

MONTHS = 12


@dataclass(frozen=True)
class Model:
    """The benchmark's model, in plain numbers."""

    quota: float
    target: float  # target incentive of the commission
    skill_sigma: float
    deals_per_month: float
    deal_median: float
    deal_sigma: float
    seasonality: tuple[float, ...]
    tiers: tuple[tuple[float, float], ...]  # (up to attainment, rate); last up to inf
    cap: float  # of target

    def month_rates(self) -> np.ndarray:
        s = np.asarray(self.seasonality, dtype=float)
        return s / s.mean()


@dataclass(frozen=True)
class BaselineRun:
    reps: int
    trials: int
    seconds: float
    credit: np.ndarray  # (trials, reps) annual credit
    variable_pay: np.ndarray  # (trials, reps)

    @property
    def cells(self) -> int:
        return self.trials * self.reps * MONTHS

    @property
    def rate(self) -> float:
        return self.cells / self.seconds


def tiered(attainment: np.ndarray, m: Model) -> np.ndarray:
    """Earned to date as a multiple of target: marginal tiers on YTD attainment, capped."""
    out = np.zeros_like(attainment)
    lo = 0.0
    for upto, rate in m.tiers:
        hi = math.inf if upto is None else upto
        out += rate * np.clip(attainment - lo, 0.0, hi - lo)
        lo = hi
    return np.minimum(out, m.cap)


def naive_sketch(m: Model, reps: int, trials: int, seed: int, chunk: int = 100) -> BaselineRun:
    """The plain numpy version, `chunk` trials at a time."""
    rates = m.month_rates()
    mu = math.log(m.deal_median)
    credit_out = np.empty((trials, reps))
    pay_out = np.empty((trials, reps))
    seeds = np.random.SeedSequence([seed, 0x5E7C]).spawn(math.ceil(trials / chunk))
    t0 = time.perf_counter()
    for i, start in enumerate(range(0, trials, chunk)):
        n = min(chunk, trials - start)
        rng = np.random.default_rng(seeds[i])
        skill = np.exp(m.skill_sigma * rng.standard_normal((n, reps)) - m.skill_sigma ** 2 / 2)
        counts = rng.poisson(m.deals_per_month * skill[..., None] * rates)  # (n, reps, 12)
        sizes = rng.lognormal(mu, m.deal_sigma, int(counts.sum()))
        cell = np.repeat(np.arange(counts.size), counts.ravel())
        credit = np.bincount(cell, weights=sizes, minlength=counts.size).reshape(counts.shape)
        ytd = np.cumsum(credit, axis=-1)
        earned = m.target * tiered(ytd / m.quota, m)
        paid = np.diff(earned, axis=-1, prepend=0.0)
        credit_out[start:start + n] = ytd[..., -1]
        pay_out[start:start + n] = paid.sum(axis=-1)
    return BaselineRun(reps, trials, time.perf_counter() - t0, credit_out, pay_out)


def _row_earned(ytd: float, m: Model) -> float:
    """The tiered plan for one row, as a per-row function (the pbpython way)."""
    att, earned, lo = ytd / m.quota, 0.0, 0.0
    for upto, rate in m.tiers:
        hi = math.inf if upto is None else upto
        earned += rate * min(max(att - lo, 0.0), hi - lo)
        lo = hi
    return m.target * min(earned, m.cap)


def _deal_sum(k: int, rng: np.random.Generator, mu: float, sigma: float) -> float:
    """One rep-month's credit: the sum of its k lognormal deals (per row, pbpython style)."""
    return float(rng.lognormal(mu, sigma, k).sum())


def pandas_loop(m: Model, reps: int, trials: int, seed: int) -> BaselineRun:
    """A loop over trials, a DataFrame of rep-months per trial, the payout by `apply`."""
    rates = m.month_rates()
    mu = math.log(m.deal_median)
    seeds = np.random.SeedSequence([seed, 0xDA7A]).spawn(trials)
    credit_out = np.empty((trials, reps))
    pay_out = np.empty((trials, reps))
    t0 = time.perf_counter()
    for t in range(trials):
        rng = np.random.default_rng(seeds[t])
        skill = np.exp(m.skill_sigma * rng.standard_normal(reps) - m.skill_sigma ** 2 / 2)
        df = pd.DataFrame({"rep": np.repeat(np.arange(reps), MONTHS),
                           "month": np.tile(np.arange(MONTHS), reps)})
        df["deals"] = rng.poisson(m.deals_per_month * np.repeat(skill, MONTHS)
                                  * rates[df["month"].to_numpy()])
        df["credit"] = df["deals"].apply(_deal_sum, rng=rng, mu=mu, sigma=m.deal_sigma)
        df["ytd"] = df.groupby("rep")["credit"].cumsum()
        df["earned"] = df["ytd"].apply(_row_earned, m=m)
        df["paid"] = df.groupby("rep")["earned"].diff().fillna(df["earned"])
        year = df.groupby("rep").agg(credit=("credit", "sum"), paid=("paid", "sum"))
        credit_out[t] = year["credit"].to_numpy()
        pay_out[t] = year["paid"].to_numpy()
    return BaselineRun(reps, trials, time.perf_counter() - t0, credit_out, pay_out)
