"""Estimation: a role's pipeline, skill, ramp and attrition fitted from CRM history.

Per role (a distinct roster `Role`), over the window [since, as_of] (defaults: the first
day of the month of the earliest close, and the export date):

* Opportunity creation is a multiplicative Poisson model, fitted by maximum likelihood
  (iterative proportional fitting): opportunities a rep creates in a (month of year,
  month of tenure) cell ~ Poisson(days in seat / days per month x rep effect x creation
  seasonality x ramp factor), the ramp factor being 1 from `STEADY_MONTHS` of tenure on.
  Reps hired inside the data identify the ramp; exits and hires only change exposure.
* opportunities_per_month = sum of counts / sum of exposure without rep effects, so it is
  the rate of a rep of mean productivity; skill_sigma by the method of moments of a
  gamma-Poisson mixture on ramped rep-months: Var(N_r) = mu_r + mu_r^2 V with V =
  Var(productivity) = exp(sigma^2) - 1, solved from the squared residuals (corrected for
  the fitted mean). sigma = sqrt(log(1 + V)) runs a little low (Jensen; about 4 % at 120
  seats over two years, under one standard error).
* Stages from stage history: in each open stage an opportunity stays an exponential time
  and then moves on or is lost (the scenario's model), so with time at risk T, moves m and
  losses l (deals still open are censored and add time only) the MLEs are days = T / (m +
  l) and to_next = m / (m + l). Without stage history, one stage: the win rate of a cohort
  old enough to be (nearly) all closed, and its won deals' mean cycle.
* deals_per_month of a measure = opportunities_per_month x the share of its Types x their
  win rate. Deal size: lognormal MLE of won amounts, with a Kolmogorov-Smirnov figure
  (its p-value takes the fitted parameters as known, so it overstates the fit).
* Seasonality: the creation seasonality (above) carried through the fitted cycle of won
  deals to closes (`closing_seasonality`): bookings per day by plan month.
* Ramp: the ramp factors by month of tenure, fitted by weighted least squares with each
  `Ramp` curve; the best curve is kept. Attrition: exits / exposure years as a constant
  hazard; backfill: median delay from an exit to the role's next unmatched hire.
* Quota (unless given): median annualised bookings of reps past their ramp.

Standard errors: analytic where the estimator has one (stages, sizes, attrition), else
from a bootstrap over reps (creation, skill, ramp, seasonality), refitting the Poisson
model on each resample.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from spmsim.data.crm import History
from spmsim.errors import SpmsimError
from spmsim.model.org import Ramp
from spmsim.plans import Plan
from spmsim.synthetic.history import DAYS_PER_MONTH, closing_seasonality

STEADY_MONTHS = 18  # tenure from which a rep counts as fully ramped
TYPE_MEASURES = {"New Business": "new_arr", "Existing Business": "expansion",
                 "Renewal": "renewals"}
CURVES = ("linear", "s_curve", "step")
YEAR = np.arange("2025-01-01", "2026-01-01", dtype="datetime64[D]")
YEAR_MONTH_DAYS = np.bincount(YEAR.astype("datetime64[M]").astype(int) % 12, minlength=12)


@dataclass(frozen=True)
class Estimate:
    """One fitted figure with its standard error and the sample behind it."""

    role: str
    parameter: str
    estimate: float
    se: float | None
    n: int
    method: str


@dataclass
class RoleFit:
    """Everything fitted for one role; `estimates` is the flat report."""

    role: str
    key: str
    headcount: int
    stages: list[dict]
    seasonality: list[float]
    streams: dict[str, dict]
    quota: dict[str, float]
    skill_sigma: float
    ramp: Ramp
    attrition: dict
    types: dict[str, list[str]] = field(default_factory=dict)  # measure -> Types booking it
    estimates: list[Estimate] = field(default_factory=list)
    size_samples: dict[str, np.ndarray] = field(default_factory=dict)  # won amounts seen

    def add(self, parameter: str, value: float, se: float | None, n: int, method: str) -> None:
        self.estimates.append(Estimate(self.role, parameter, float(value),
                                       None if se is None else float(se), int(n), method))


# ---- exposure and the Poisson creation model -----------------------------------------

def _days(values: pd.Series) -> np.ndarray:
    """Dates as integer days since 1970 (NaT: nan)."""
    out = values.to_numpy("datetime64[D]").astype("float64")
    out[values.isna().to_numpy()] = np.nan
    return out


def _starts(reps: pd.DataFrame, since: int) -> np.ndarray:
    """Hire days; a rep without one counts as hired long enough before `since` to be
    fully ramped throughout (the roster's assumption, listed when it was read)."""
    start = _days(reps["StartDate"])
    return np.where(np.isnan(start), since - (STEADY_MONTHS + 1) * 31.0, start)


def _cells(reps: pd.DataFrame, opps: pd.DataFrame, since: int, as_of: int,
           observed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Counts and exposure (rep-months) by (rep, month of year, month of tenure).
    `observed[d]` (d = day - since) weighs a day's exposure by the chance that an
    opportunity created then is in the export at all (see `observation`)."""
    start = _starts(reps, since)
    end = np.where(np.isnan(_days(reps["EndDate"])), as_of, _days(reps["EndDate"]))
    lo, hi = np.maximum(start, since), np.minimum(end, as_of)
    length = np.maximum(hi - lo + 1, 0).astype(int)
    rep = np.repeat(np.arange(len(reps)), length)
    day = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length) + \
        np.repeat(lo, length).astype(int)
    shape = (len(reps), 12, STEADY_MONTHS + 1)

    def index(r, d):
        month = d.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12
        tenure = np.minimum((d - start[r] + 0.5) // DAYS_PER_MONTH, STEADY_MONTHS).astype(int)
        return np.ravel_multi_index((r, month, tenure), shape)

    weight = None if observed is None else observed[day - since]
    exposure = np.bincount(index(rep, day), weights=weight,
                           minlength=math.prod(shape)) / DAYS_PER_MONTH
    owner = pd.Index(reps["Id"]).get_indexer(opps["OwnerId"])
    created = _days(opps["CreatedDate"]).astype(int)
    counts = np.bincount(index(owner, created), minlength=math.prod(shape))
    return counts.reshape(shape).astype(float), exposure.reshape(shape)


def _poisson_fit(counts: np.ndarray, exposure: np.ndarray, weights: np.ndarray,
                 tol: float = 1e-10, max_iter: int = 500) -> tuple[np.ndarray, ...]:
    """MLE of the pooled counts ~ Poisson(exposure x rate x s[month] x g[tenure]) by
    iterative proportional fitting, for a batch of rep weights (B, reps) (bootstrap
    multiplicities). Pooling over reps keeps the fit unbiased (productivity is independent
    of month and tenure) and lets every hire inform the ramp; rep differences enter the
    standard errors through the bootstrap. Returns s (B, 12), per day with a day-weighted
    year mean of 1, g (B, K+1) with g[K] = 1 (nan where nobody had that tenure), and each
    rep's exposure in full-productivity rep-months, sum of exposure x s x g (B, reps)."""
    n = np.einsum("rmk,br->bmk", counts, weights)
    e = np.einsum("rmk,br->bmk", exposure, weights)
    n_month, n_ten = n.sum(2), n.sum(1)
    b = weights.shape[0]
    s, g = np.ones((b, 12)), np.ones((b, STEADY_MONTHS + 1))
    for _ in range(max_iter):
        old_s, old_g = s, g
        es = np.einsum("bmk,bk->bm", e, g)
        s = np.divide(n_month, es, out=np.ones_like(es), where=es > 0)
        s = s * YEAR_MONTH_DAYS.sum() / (s * YEAR_MONTH_DAYS).sum(1, keepdims=True)
        eg = np.einsum("bmk,bm->bk", e, s)
        g = np.divide(n_ten, eg, out=np.zeros_like(eg), where=eg > 0)
        g = g / g[:, -1:]
        if np.abs(s - old_s).max() < tol and np.abs(g - old_g).max() < tol:
            break
    base = np.einsum("rmk,bm,bk->br", exposure, s, g)
    g = np.where(e.sum(1) > 0, g, np.nan)
    return s, g, base


def _rate_and_spread(counts: np.ndarray, base: np.ndarray, weights: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Pooled rate (sum N / sum base) and the moment estimate of Var(productivity), per
    batch row: V = (sum c r^2 - sum c mu) / sum c mu^2, r = N - rate x base, mu = rate x
    base, c = 1 - 2 w + sum w^2 (w = base share) correcting for the fitted rate."""
    n = counts[None, :] * 1.0
    rate = (weights * n).sum(1) / (weights * base).sum(1)
    mu = rate[:, None] * base
    w = weights * base / (weights * base).sum(1, keepdims=True)
    c = 1 - 2 * w + (weights * w ** 2).sum(1, keepdims=True)
    resid2 = (n - mu) ** 2
    v = (weights * c * (resid2 - mu)).sum(1) / (weights * c * mu ** 2).sum(1)
    return rate, v


def observation(opps: pd.DataFrame, since: int, complete: int, as_of: int) -> np.ndarray:
    """P(an opportunity created on day since + d is in the export), d = 0..as_of - since.

    An export that is complete from day `complete` (its first close) holds an opportunity
    created before then only if it closed on or after `complete` (or is still open): with
    T its time from creation to close, the chance is P(T >= complete - day), 1 from
    `complete` on. T's survival is the Kaplan-Meier estimate over the opportunities
    created from `complete` on (open ones censored at the export)."""
    days = np.arange(as_of - since + 1) + since
    if complete <= since:
        return np.ones(days.size)
    created, close = _days(opps["CreatedDate"]), _days(opps["CloseDate"])
    closed = opps["IsClosed"].to_numpy() & np.isfinite(close)
    pick = np.isfinite(created) & (created >= complete)
    t = np.where(closed, close, as_of)[pick] - created[pick]
    event = closed[pick]
    lags = np.arange(int(complete - since) + 1)
    if t.size == 0:
        return (days >= complete).astype(float)
    order = np.argsort(t, kind="stable")
    t, event = t[order], event[order]
    at_risk = t.size - np.arange(t.size)
    factor = np.where(event, 1 - 1 / at_risk, 1.0)
    surv_after = np.cumprod(factor)  # S just after each t
    # P(T >= lag) = S(lag-) = survival after every event time < lag
    i = np.searchsorted(t, lags, side="left")
    surv = np.where(i > 0, surv_after[np.maximum(i - 1, 0)], 1.0)
    out = np.ones(days.size)
    out[:lags.size] = surv[::-1]  # day since + d is complete - since - d days early
    return np.clip(out, 0.0, 1.0)


# ---- ramp ----------------------------------------------------------------------------

MONTHS_GRID = np.round(np.arange(0.5, STEADY_MONTHS + 1e-9, 0.05), 2)


@lru_cache(maxsize=8)
def _shapes(curve: str) -> np.ndarray:
    """Mean ramp shape (0 to 1) over each month of tenure [k, k+1), k < STEADY_MONTHS, for
    every length on MONTHS_GRID: (grid, STEADY_MONTHS)."""
    t = (np.arange(STEADY_MONTHS)[:, None] + (np.arange(8) + 0.5)[None, :] / 8).ravel()
    return np.array([Ramp(months=float(m), curve=curve).factor(t).reshape(STEADY_MONTHS, 8)
                     .mean(axis=1) for m in MONTHS_GRID])


def _fit_ramp(g: np.ndarray, var: np.ndarray, curves=CURVES) -> tuple[Ramp, float]:
    """Weighted least squares of Ramp(months, curve, start) to ramp factors g[k] (k <
    STEADY_MONTHS) with variances `var`: start in closed form for each length on a grid
    of 0.05 months. Returns the best ramp (no ramp if none fits better) and its SSE."""
    ok = np.isfinite(g[:-1]) & np.isfinite(var[:-1]) & (var[:-1] > 0)
    y, w = np.where(ok, g[:-1], 0.0), np.where(ok, 1.0 / np.where(ok, var[:-1], 1.0), 0.0)
    best = (Ramp(), float((w * (y - 1.0) ** 2).sum()))
    for curve in curves:
        shape = _shapes(curve)
        rest = 1.0 - shape
        denom = (w * rest ** 2).sum(1)
        start = np.clip(np.divide((w * rest * (y - shape)).sum(1), denom,
                                  out=np.zeros_like(denom), where=denom > 0), 0, 1)
        sse = (w * (y - shape - start[:, None] * rest) ** 2).sum(1)
        i = int(np.argmin(sse))
        if sse[i] < best[1] - 1e-12:
            best = (Ramp(months=float(MONTHS_GRID[i]), curve=curve, start=float(start[i])),
                    float(sse[i]))
    return best


def ramp_loss(ramp: Ramp) -> float:
    """Months of full productivity a new hire loses while ramping: sum of 1 - factor."""
    k = np.arange(STEADY_MONTHS, dtype=float)
    t = (k[:, None] + (np.arange(8) + 0.5)[None, :] / 8).ravel()
    return float((1.0 - ramp.factor(t)).sum() / 8)


# ---- stages --------------------------------------------------------------------------

def _stage_fit(history: History, opps: pd.DataFrame, as_of: int) -> tuple[list[dict], dict]:
    """Days and to_next per open stage with censoring (see the module docstring)."""
    names = history.stages
    k = len(names.open)
    sh = history.stage_history
    sh = sh[sh["OpportunityId"].isin(opps["Id"]) & sh["StageName"].isin(names.open)]
    order = {s: i for i, s in enumerate(names.open)}
    first = sh.assign(stage=sh["StageName"].map(order)).groupby(
        ["OpportunityId", "stage"], sort=False)["CreatedDate"].min().unstack()
    first = first.reindex(index=opps["Id"], columns=range(k))
    entry = np.column_stack([_days(first[c]) for c in range(k)])
    close = _days(opps["CloseDate"])
    won, closed = opps["IsWon"].to_numpy(), opps["IsClosed"].to_numpy()
    seen = np.isfinite(entry)
    has = seen.any(axis=1)
    start = np.argmax(seen, axis=1)
    last = np.where(won, k - 1, k - 1 - np.argmax(seen[:, ::-1], axis=1))
    full = np.column_stack([entry, np.where(won, close, np.nan)])
    for i in range(k - 1, -1, -1):  # a skipped stage takes no time
        fill = np.isnan(full[:, i]) & (i >= start)
        full[fill, i] = full[fill, i + 1]
    full = np.fmax.accumulate(np.where(np.isnan(full), -np.inf, full), axis=1)
    exit_ = np.where(closed, close, as_of + 1.0)
    out, n_used, unused = [], int(has.sum()), []
    for i in range(k):
        inside = has & (i >= start) & (i <= last)
        if not seen[:, i].any():
            unused.append(names.open[i])  # nobody entered it: not a stage of this history
            continue
        moved = inside & ((i < last) | won)
        lost = inside & (i == last) & closed & ~won
        nxt = full[:, i + 1] if i + 1 <= k else exit_
        leave = np.where(i < last, nxt, exit_)
        time = np.clip(leave[inside] - full[inside, i], 0, None).sum()
        m, lo = int(moved.sum()), int(lost.sum())
        exits = m + lo
        if exits == 0:
            raise SpmsimError(f"stage {names.open[i]!r}: {int(inside.sum()):,} opportunities "
                              "entered it but none left it in the window, so its length and "
                              "conversion cannot be fitted: give a longer history, or drop the "
                              "stage from the mapping's stages.open")
        p = m / exits
        if m == 0:
            raise SpmsimError(f"stage {names.open[i]!r}: no opportunity moved on from it in "
                              "the window; a scenario stage needs a share > 0")
        out.append({"name": names.open[i], "days": time / exits, "to_next": p,
                    "se_days": time / exits / math.sqrt(exits),
                    "se_to_next": math.sqrt(max(p * (1 - p), 1e-12) / exits), "n": exits})
    if not out:
        raise SpmsimError("no opportunity entered an open stage in the window: check the "
                          "mapping's stages.open against the stage history")
    return out, {"opportunities": n_used, "without_history": int((~has).sum()),
                 "unused_stages": unused}


def _stage_fallback(opps: pd.DataFrame, as_of: int) -> tuple[list[dict], dict]:
    """No stage history: one stage, the win rate of opportunities created long enough ago
    (95th percentile of won cycles) and the mean cycle of their won deals."""
    created, close = _days(opps["CreatedDate"]), _days(opps["CloseDate"])
    won, closed = opps["IsWon"].to_numpy(), opps["IsClosed"].to_numpy()
    if not won.any():
        raise SpmsimError("no won opportunities in the window: cannot fit a win rate")
    horizon = np.quantile(close[won] - created[won], 0.95)
    cohort = created <= as_of - horizon
    n_closed = int((cohort & closed).sum())
    p = (cohort & won).sum() / max(n_closed, 1)
    cycle = close[cohort & won] - created[cohort & won]
    days = float(cycle.mean()) if cycle.size else float((close[won] - created[won]).mean())
    return [{"name": "Open", "days": max(days, 0.5), "to_next": p,
             "se_days": days / math.sqrt(max(cycle.size, 1)),
             "se_to_next": math.sqrt(max(p * (1 - p), 1e-12) / max(n_closed, 1)),
             "n": n_closed}], {"open_share_of_cohort": float((cohort & ~closed).sum() /
                                                              max(cohort.sum(), 1))}


# ---- the role fit --------------------------------------------------------------------

def role_key(role: str) -> str:
    """A role's key in a scenario: `Account Executive` -> `account_executive`."""
    key = re.sub(r"[^a-z0-9]+", "_", role.lower()).strip("_")
    return key if key and key[0].isalpha() else f"role_{key}"


def _groups(measures: Mapping[str, str], plan: Plan) -> dict[str, list[str]]:
    """Plan measures credited by deals -> the opportunity Types that book them."""
    out: dict[str, list[str]] = {}
    for t, m in measures.items():
        if m in plan.measures:
            out.setdefault(m, []).append(t)
    if not out:
        raise SpmsimError(f"plan {plan.plan!r} pays on {', '.join(plan.measures)} but no "
                          f"opportunity Type books one of them ({dict(measures)}): map a Type "
                          "with --measure 'New Business=MEASURE'")
    return out


def active_reps(reps: pd.DataFrame, opps: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Reps to fit, and the names of inactive roster entries left out: no opportunity in
    the whole export and no hire or exit date to say they were ever in seat (a team list
    that still names people who left, or who never sold)."""
    owns = reps["Id"].isin(opps["OwnerId"])
    dated = reps["StartDate"].notna() | reps["EndDate"].notna()
    keep = owns | dated
    names = reps["Name"].where(reps["Name"] != "", reps["Id"])
    return reps[keep].reset_index(drop=True), list(names[~keep])


def fit_role(history: History, role: str, plan: Plan, *, since: int, as_of: int,
             complete: int | None = None, measures: Mapping[str, str] = TYPE_MEASURES,
             quota: Mapping[str, float] = (), bootstrap: int = 200, seed: int = 0,
             ramp_curves: tuple[str, ...] = CURVES, size_rule: str = "auto") -> RoleFit:
    """Fit one role of `history` (see the module docstring). Opportunities created from
    `since` count; the export is complete from `complete` (default `since`): creation
    before then is weighed by the chance of being in the export (`observation`), and win
    rates, cycles and bookings use what was created or closed from then on."""
    complete = since if complete is None else max(complete, since)
    roster = history.roster[history.roster["Role"] == role].reset_index(drop=True)
    reps, inactive = active_reps(roster, history.opportunities)
    opps = history.opportunities[history.opportunities["OwnerId"].isin(reps["Id"])]
    created = _days(opps["CreatedDate"])
    recent = opps[(created >= since) & (created <= as_of)].reset_index(drop=True)
    if recent.empty:
        raise SpmsimError(f"role {role!r}: no opportunities created in the window")
    observed = observation(opps, since, complete, as_of)
    counts, exposure = _cells(reps, recent, since, as_of, observed)
    n_rep = counts.sum((1, 2))
    live = exposure.sum((1, 2)) > 0
    counts, exposure, n_rep = counts[live], exposure[live], n_rep[live]
    if exposure[..., -1].sum() == 0:
        raise SpmsimError(f"role {role!r}: no rep had {STEADY_MONTHS} months of tenure in the "
                          "window, so full productivity (the ramp's end) cannot be measured")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    weights = np.vstack([np.ones(live.sum()),
                         rng.multinomial(live.sum(), np.full(live.sum(), 1 / live.sum()),
                                         size=bootstrap)]).astype(float)
    s, g, base = _poisson_fit(counts, exposure, weights)
    rate, _ = _rate_and_spread(n_rep, base, weights)
    # the spread from ramped months only: fitting the ramp to the hires' few months would
    # absorb part of their own productivity and shrink the spread
    steady_base = np.einsum("rm,bm->br", exposure[..., -1], s)
    _, v = _rate_and_spread(counts[..., -1].sum(1), steady_base, weights)
    sigma = np.sqrt(np.log1p(np.maximum(v, 0.0)))
    fit = _empty_fit(role, reps, since, as_of)
    if inactive:
        fit.add("inactive_reps", len(inactive), None, len(roster),
                "left out (no opportunity, no hire or exit date): " + ", ".join(inactive))

    def sd(x):
        return float(np.nanstd(x[1:], ddof=1)) if bootstrap > 1 else None

    n_opps = int(n_rep.sum())
    early = int((_days(recent["CreatedDate"]) < complete).sum())
    fit.add("opportunities_per_month", rate[0], sd(rate), n_opps, "Poisson MLE, rep bootstrap"
            + (f"; {early:,} created before the export is complete, weighed by the chance "
               "of being in it (Kaplan-Meier)" if early else ""))
    fit.skill_sigma = float(sigma[0])
    fit.add("skill_sigma", sigma[0], sd(sigma), int(live.sum()),
            "gamma-Poisson moments, rep bootstrap")
    hires = _hires(reps, since)
    if hires:
        d_k = np.einsum("rmk,m->k", exposure, s[0]) * rate[0]  # expected count at g = 1
        var = np.maximum(g[0], 0.05) / np.maximum(d_k, 1e-9)
        fit.ramp, _ = _fit_ramp(g[0], var, ramp_curves)
        boot = [_fit_ramp(g[b], var, (fit.ramp.curve,))[0] for b in range(1, bootstrap + 1)]
        fit.add("ramp.months", fit.ramp.months, sd(np.array([0, *[r.months for r in boot]])),
                hires, f"weighted least squares, {fit.ramp.curve}")
        fit.add("ramp.start", fit.ramp.start, sd(np.array([0, *[r.start for r in boot]])),
                hires, "weighted least squares")
        fit.add("ramp.loss_months", ramp_loss(fit.ramp),
                sd(np.array([0, *[ramp_loss(r) for r in boot]])), hires,
                "sum over tenure months of 1 - factor")
        for k in range(STEADY_MONTHS):
            fit.add(f"ramp.factor[{k}]", g[0, k], sd(g[:, k]), int(counts[..., k].sum()),
                    "Poisson MLE, rep bootstrap")
    else:
        fit.add("ramp.months", 0.0, None, 0, "not identified: no rep hired in the window "
                "(or no hire dates); no ramp assumed")
    # stages, win rate, streams: on what was created once the export is complete
    cohort = recent[_days(recent["CreatedDate"]) >= complete].reset_index(drop=True)
    if cohort.empty:
        raise SpmsimError(f"role {role!r}: no opportunity created after the export is complete "
                          "(its first close); give a longer history")
    if history.stage_history is not None:
        fit.stages, info = _stage_fit(history, cohort, as_of)
        method = "exponential stages, censored MLE"
    else:
        fit.stages, info = _stage_fallback(cohort, as_of)
        method = "cohort win rate (no stage history)"
    for st in fit.stages:
        fit.add(f"stages.{st['name']}.days", st["days"], st["se_days"], st["n"], method)
        fit.add(f"stages.{st['name']}.to_next", st["to_next"], st["se_to_next"], st["n"], method)
    for name in info.get("unused_stages", ()):
        fit.add(f"stages.{name}.unused", 0, None, 0, "no opportunity entered this stage in "
                "the window: left out of the scenario")
    win = math.prod(st["to_next"] for st in fit.stages)
    win_rel = math.sqrt(sum((st["se_to_next"] / st["to_next"]) ** 2 for st in fit.stages))
    fit.add("win_rate", win, win * win_rel, info.get("opportunities", len(cohort)), method)
    first_month = plan.year_start.month
    months = (as_of - since + 1) / DAYS_PER_MONTH
    if history.stage_history is not None and months >= 12:
        days = [st["days"] for st in fit.stages]
        season = np.array([closing_seasonality(s[b], days, first_month) for b in
                           range(bootstrap + 1)])
        fit.seasonality = [round(float(x), 4) for x in season[0]]
        for m in range(12):
            fit.add(f"seasonality[{m}]", season[0, m], sd(season[:, m]), n_opps,
                    "creation seasonality through the won cycle, rep bootstrap")
    else:
        _closing_season(fit, reps, opps, complete, as_of, first_month)
    _streams(fit, history, plan, cohort, opps, measures, rate, sd(rate), win, win_rel,
             complete, as_of, size_rule)
    _bands(fit, cohort, opps, as_of)
    _stale(fit, opps, as_of)
    _attrition(fit, reps, since, as_of)
    _quota(fit, reps, opps, plan, complete, as_of, quota)
    return fit


def _closing_season(fit: RoleFit, reps: pd.DataFrame, opps: pd.DataFrame, complete: int,
                    as_of: int, first_month: int) -> None:
    """Bookings seasonality straight from won closes per rep-day in seat, by calendar
    month when the window holds whole years (the last 12 k months), else by month of the
    quarter (phase 1, 2, 3; flagged: a partial year cannot separate months from trend).
    Relative SEs 1 / sqrt(won deals)."""
    span = int((as_of - complete + 1) // DAYS_PER_MONTH)
    years = span // 12
    lo = as_of + 1 - years * 365.25 if years else complete
    start, end = _starts(reps, complete), _days(reps["EndDate"])
    end = np.where(np.isnan(end), as_of, end)
    day = np.arange(int(math.ceil(lo)), as_of + 1)
    seated = ((start[:, None] <= day[None, :]) & (end[:, None] >= day[None, :])).sum(0)
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12
    close = _days(opps["CloseDate"])
    won = opps["IsWon"].to_numpy() & (close >= day[0]) & (close <= as_of)
    won_month = close[won].astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12
    key = (lambda m: m) if years else (lambda m: m % 3)
    groups = 12 if years else 3
    n = np.bincount(key(won_month), minlength=groups).astype(float)
    rep_days = np.bincount(key(month), weights=seated, minlength=groups)
    per_day = np.divide(n, rep_days, out=np.zeros(groups), where=rep_days > 0)
    cal = np.arange(12)
    factor = per_day[key(cal)]
    mean = (factor * YEAR_MONTH_DAYS).sum() / YEAR_MONTH_DAYS.sum()
    factor = factor / mean if mean > 0 else np.ones(12)
    rel = 1 / np.sqrt(np.maximum(n[key(cal)], 1))
    order = (cal + first_month - 1) % 12
    fit.seasonality = [round(float(x), 4) for x in factor[order]]
    how = (f"won closes per rep-day, {years} whole year(s)" if years else
           f"won closes per rep-day by month of the quarter: only {span} month(s) of "
           "complete history, too few to fit months (unreliable as monthly seasonality)")
    for m in range(12):
        fit.add(f"seasonality[{m}]", factor[order[m]], factor[order[m]] * rel[order[m]],
                int(n[key(order[m])]), how)


def _empty_fit(role: str, reps: pd.DataFrame, since: int, as_of: int) -> RoleFit:
    end = _days(reps["EndDate"])
    start = _starts(reps, since)
    active = int(((start <= as_of) & (np.isnan(end) | (end > as_of))).sum())
    fit = RoleFit(role=role, key=role_key(role), headcount=active, stages=[], seasonality=[],
                  streams={}, quota={}, skill_sigma=0.0, ramp=Ramp(), attrition={})
    fit.add("headcount", active, None, len(reps), "reps in seat on the export date")
    return fit


def _hires(reps: pd.DataFrame, since: int) -> int:
    start = _days(reps["StartDate"])
    return int((np.isfinite(start) & (start >= since)).sum())


def _streams(fit: RoleFit, history: History, plan: Plan, recent: pd.DataFrame,
             opps: pd.DataFrame, measures: Mapping[str, str], rate: np.ndarray,
             rate_se: float | None, win: float, win_rel: float, since: int, as_of: int,
             size_rule: str = "auto") -> None:
    close = _days(opps["CloseDate"])
    won = opps[opps["IsWon"].to_numpy() & (close >= since) & (close <= as_of)]
    fit.types = _groups(measures, plan)
    for measure, types in fit.types.items():
        share = float(recent["Type"].isin(types).mean())
        dpm = rate[0] * share * win
        rel = math.sqrt(((rate_se or 0) / rate[0]) ** 2 + win_rel ** 2 +
                        (1 - share) / max(share * len(recent), 1))
        fit.add(f"deals_per_month.{measure}", dpm, dpm * rel, len(recent),
                f"opportunities_per_month x share of {'/'.join(types)} x win rate")
        amounts = won["Amount"][won["Type"].isin(types)].to_numpy(float)
        amounts = amounts[amounts > 0]
        if amounts.size < 2:
            raise SpmsimError(f"role {fit.role!r}: fewer than 2 won {'/'.join(types)} deals "
                              f"to fit the size of {measure!r}")
        size = choose_size(amounts, size_rule)
        n = amounts.size
        lg = size.candidates["lognormal"]
        mu, sigma = lg["mu"], lg["sigma"]
        fit.add(f"size.{measure}.median", math.exp(mu), math.exp(mu) * sigma / math.sqrt(n), n,
                "lognormal MLE")
        fit.add(f"size.{measure}.sigma", sigma, sigma / math.sqrt(2 * n), n, "lognormal MLE")
        fit.add(f"size.{measure}.ks_statistic", lg["ks"], None, n, "Kolmogorov-Smirnov")
        fit.add(f"size.{measure}.ks_pvalue", lg["p"], None, n,
                "Kolmogorov-Smirnov (parameters fitted: overstates the fit)")
        sd = float(amounts.std(ddof=1))
        fit.add(f"size.{measure}.mean", float(amounts.mean()), sd / math.sqrt(n), n,
                "sample mean of won amounts")
        for name, c in size.candidates.items():
            fit.add(f"size.{measure}.{name}.mean_error", c["mean"] / amounts.mean() - 1, None,
                    n, f"{name}: model mean / sample mean - 1; KS p {c['p']:.3g}")
        fit.add(f"size.{measure}.model", list(SIZE_MODELS).index(size.chosen), None, n,
                f"chosen: {size.chosen} ({size.reason})")
        fit.size_samples[measure] = amounts
        fit.streams[measure] = {"deals_per_month": round(float(dpm), 6), "size": size.spec}
    unused = sorted(set(recent["Type"]) - {t for ts in fit.types.values() for t in ts})
    if unused:
        fit.add("unused_types", len(unused), None, int(recent["Type"].isin(unused).sum()),
                "opportunity Types the plan does not pay on: " + ", ".join(unused))


# ---- deal sizes ----------------------------------------------------------------------

SIZE_MODELS = ("lognormal", "mixture", "empirical")
KS_LEVEL, MEAN_SES = 0.01, 3.0


@dataclass(frozen=True)
class SizeChoice:
    """The deal-size model chosen, why, its scenario `size:` entry and every candidate's
    fit (mean, KS statistic and p-value)."""

    chosen: str
    reason: str
    spec: dict
    candidates: dict[str, dict]


def _mixture_em(logs: np.ndarray, k: int = 2, iters: int = 300) -> tuple[np.ndarray, ...]:
    """Maximum-likelihood mixture of k normals on log amounts (EM from quantile starts)."""
    w = np.full(k, 1 / k)
    mu = np.quantile(logs, (np.arange(k) + 0.5) / k)
    sd = np.full(k, max(logs.std() / k, 1e-3))
    for _ in range(iters):
        dens = w * stats.norm.pdf(logs[:, None], mu, sd)
        resp = dens / np.maximum(dens.sum(1, keepdims=True), 1e-300)
        nk = resp.sum(0)
        if np.any(nk < 1e-9):
            break
        w, old = nk / logs.size, mu
        mu = (resp * logs[:, None]).sum(0) / nk
        sd = np.sqrt(np.maximum((resp * (logs[:, None] - mu) ** 2).sum(0) / nk, 1e-6))
        if np.abs(mu - old).max() < 1e-9:
            break
    return w, mu, sd


def choose_size(amounts: np.ndarray, rule: str = "auto") -> SizeChoice:
    """The deal-size model of won `amounts` by a stated rule: the lognormal if it passes,
    else a two-lognormal mixture if it passes, else the empirical distribution (resampling
    the amounts). A model passes when its Kolmogorov-Smirnov p-value is at least 1 % and its
    mean is within 3 standard errors of the sample mean (the mean is what bookings add up;
    the KS p-value, with fitted parameters, is lenient, so the mean test does the work on
    large samples). `rule` forces one model instead of "auto"."""
    logs = np.log(amounts)
    n, mean = amounts.size, float(amounts.mean())
    se = float(amounts.std(ddof=1)) / math.sqrt(n)
    mu, sigma = float(logs.mean()), float(logs.std())
    ks = stats.kstest(logs, "norm", args=(mu, max(sigma, 1e-12)))
    cands = {"lognormal": {"mu": mu, "sigma": sigma, "mean": math.exp(mu + sigma ** 2 / 2),
                           "ks": float(ks.statistic), "p": float(ks.pvalue)}}
    w, m, s = _mixture_em(logs)
    mix_ks = stats.kstest(logs, lambda x: (w * stats.norm.cdf(np.asarray(x)[..., None], m, s))
                          .sum(-1))
    cands["mixture"] = {"w": w, "mu": m, "sigma": s,
                        "mean": float((w * np.exp(m + s ** 2 / 2)).sum()),
                        "ks": float(mix_ks.statistic), "p": float(mix_ks.pvalue)}
    cands["empirical"] = {"mean": mean, "ks": 0.0, "p": 1.0}

    def passes(c: dict) -> bool:
        return c["p"] >= KS_LEVEL and abs(c["mean"] - mean) <= MEAN_SES * se

    if rule == "auto":
        chosen = next(k for k in SIZE_MODELS if k == "empirical" or passes(cands[k]))
        failed = [k for k in SIZE_MODELS[:SIZE_MODELS.index(chosen)]]
        reason = ("passes" if not failed else
                  "; ".join(f"{k} fails (KS p {cands[k]['p']:.2g}, mean off by "
                            f"{cands[k]['mean'] / mean - 1:+.1%})" for k in failed))
        reason += f": KS p >= {KS_LEVEL:.0%} and mean within {MEAN_SES:g} SEs"
    elif rule in SIZE_MODELS:
        chosen, reason = rule, "as asked"
    else:
        raise SpmsimError(f"size rule {rule!r}: one of auto, {', '.join(SIZE_MODELS)}")
    if chosen == "lognormal":
        spec = {"median": round(math.exp(mu), 2), "sigma": round(sigma, 6)}
    elif chosen == "mixture":
        spec = {"type": "mixture", "components": [
            {"weight": round(float(a), 6), "median": round(math.exp(b), 2),
             "sigma": round(float(c), 6)} for a, b, c in zip(w, m, s, strict=True)]}
    else:
        spec = {"type": "empirical", "column": "amount"}  # the file is named when written
    return SizeChoice(chosen, reason, spec, cands)


# ---- size bands, stale deals -----------------------------------------------------------

def _band_sizes(opps: pd.DataFrame) -> np.ndarray:
    """An opportunity's size for banding: its amount when it is > 0 and was entered (not
    imputed), else the median won amount of its Product (lost deals of some exports carry
    0), else nan."""
    amount = opps["Amount"].to_numpy(float).copy()
    imputed = opps["AmountImputed"].to_numpy(bool) if "AmountImputed" in opps else \
        np.zeros(len(opps), bool)
    bad = ~(amount > 0) | imputed
    if "Product" in opps.columns:
        won = opps[opps["IsWon"] & (opps["Amount"] > 0)]
        med = opps["Product"].map(won.groupby("Product")["Amount"].median()).to_numpy(float)
        amount = np.where(bad, med, amount)
    else:
        amount = np.where(bad, np.nan, amount)
    return amount


def _bands(fit: RoleFit, cohort: pd.DataFrame, opps: pd.DataFrame, as_of: int,
           min_closed: int = 100) -> None:
    """Win rate and cycle by deal-size band (terciles of won sizes, else halves), kept when
    each band has `min_closed` closed deals of the cohort old enough to be closed and the
    win rates or cycles differ (chi-square or Kruskal-Wallis test at 5 %)."""
    if len(fit.streams) != 1:
        return
    created, close = _days(cohort["CreatedDate"]), _days(cohort["CloseDate"])
    won, closed = cohort["IsWon"].to_numpy(), cohort["IsClosed"].to_numpy()
    size = _band_sizes(cohort)
    if not won.any():
        return
    horizon = np.quantile(close[won] - created[won], 0.95)
    old = (created <= as_of - horizon) & closed & np.isfinite(size)
    for k in (3, 2):
        edges = np.unique(np.quantile(size[won & np.isfinite(size)], np.arange(1, k) / k))
        band = np.searchsorted(edges, size, side="left")
        n = np.bincount(band[old], minlength=edges.size + 1)
        if edges.size == k - 1 and n.min() >= min_closed:
            break
    else:
        fit.add("bands", 0, None, int(old.sum()), f"no size bands: fewer than {min_closed} "
                "closed deals in a band")
        return
    w = np.bincount(band[old & won], minlength=n.size)
    overall = w.sum() / n.sum()
    p_win = stats.chi2_contingency(np.column_stack([w, n - w])).pvalue
    cyc = close - created
    groups = [cyc[won & (band == b)] for b in range(n.size)]
    p_cyc = stats.kruskal(*groups).pvalue if all(g.size > 1 for g in groups) else 1.0
    mean_cycle = np.mean(cyc[won])
    if p_win >= 0.05 and p_cyc >= 0.05:
        fit.add("bands", 0, None, int(n.sum()), f"no size bands: win rates and cycles do not "
                f"differ by size (chi-square p {p_win:.2g}, Kruskal-Wallis p {p_cyc:.2g})")
        return
    bands = []
    for b in range(n.size):
        rate = w[b] / n[b]
        rel = rate / overall
        cycle = float(np.mean(groups[b]) / mean_cycle) if groups[b].size else 1.0
        upto = float(edges[b]) if b < edges.size else None
        bands.append({"upto": None if upto is None else round(upto, 2),
                      "win": round(float(rel), 4),
                      "cycle": round(cycle, 4)})
        label = f"bands[{b}]" + (f" (up to {upto:,.0f})" if upto is not None else " (above)")
        fit.add(f"{label}.win_rate", rate, math.sqrt(rate * (1 - rate) / n[b]), int(n[b]),
                "cohort win rate in the size band")
        fit.add(f"{label}.cycle_days", float(np.mean(groups[b])) if groups[b].size else 0.0,
                float(np.std(groups[b]) / math.sqrt(max(groups[b].size, 1))),
                int(groups[b].size), "mean cycle of won deals in the band")
    fit.add("bands", len(bands), None, int(n.sum()), f"win rate by size: chi-square p "
            f"{p_win:.2g}; cycle by size: Kruskal-Wallis p {p_cyc:.2g}")
    measure = next(iter(fit.streams))
    fit.streams[measure]["bands"] = bands


def _stale(fit: RoleFit, opps: pd.DataFrame, as_of: int) -> None:
    """Open deals older than every won deal's cycle but one in a hundred: likely dead."""
    created, close = _days(opps["CreatedDate"]), _days(opps["CloseDate"])
    won, closed = opps["IsWon"].to_numpy(), opps["IsClosed"].to_numpy()
    if not won.any():
        return
    limit = float(np.quantile(close[won] - created[won], 0.99))
    age = as_of - created
    stale = ~closed & np.isfinite(age) & (age > limit)
    fit.add("stale_open_deals", int(stale.sum()), None, int((~closed).sum()),
            f"open deals older than {limit:.0f} days (the 99th percentile of won cycles)")


def _attrition(fit: RoleFit, reps: pd.DataFrame, since: int, as_of: int) -> None:
    start, end = _starts(reps, since), _days(reps["EndDate"])
    lo = np.maximum(start, since)
    hi = np.where(np.isnan(end), as_of, np.minimum(end, as_of))
    years = float(np.maximum(hi - lo + 1, 0).sum() / 365.25)
    left = np.isfinite(end) & (end >= since) & (end < as_of)
    exits = int(left.sum())
    hazard = exits / years if years > 0 else 0.0
    annual = -math.expm1(-hazard)
    fit.add("attrition.annual", annual, math.exp(-hazard) * math.sqrt(exits) / max(years, 1e-9),
            exits, f"exits / exposure ({years:.1f} rep-years), constant hazard")
    backfill = _backfill(_days(reps["StartDate"]), end, as_of)
    if backfill is not None:
        fit.add("attrition.backfill_months", backfill[0], backfill[1], backfill[2],
                "mixture EM: each hire backfills an earlier exit after a normal delay, or is "
                "a growth hire")
        backfill = backfill[0]
    fit.attrition = {"annual": round(min(annual, 0.99), 6),
                     "backfill_months": None if backfill is None else round(backfill, 3)}


def _backfill(start: np.ndarray, end: np.ndarray, as_of: int, horizon: int = 183,
              floor: float = 2.0) -> tuple[float, float, int] | None:
    """Mean delay (months) from an exit to the hire that refills the seat, with its SE and
    the expected number of backfills. A roster does not say whose seat a hire fills, so
    each hire is either the backfill of one earlier exit, with a normal delay (mean mu, sd
    tau >= `floor` days), or a growth hire (a constant rate): fitted by EM on every (exit,
    later hire) pair within `horizon` days, using exits at least `horizon` days before
    the export (their backfill is seen). Matching exits to the next hire in order instead
    is biased short by every growth hire."""
    exits = end[np.isfinite(end) & (end <= as_of - horizon)]
    hires = start[np.isfinite(start)]
    diff = hires[None, :] - exits[:, None] - 1  # (exit, hire), days
    pair = (diff >= 0) & (diff <= horizon)
    if exits.size == 0 or not pair.any():
        return None
    span = float(hires.max() - hires.min() + 1)
    mu, tau = float(np.median(diff[pair])), horizon / 4
    growth, share = hires.size / span / 2, 0.9
    for _ in range(200):
        dens = np.exp(-0.5 * ((diff - mu) / tau) ** 2) / (tau * math.sqrt(2 * math.pi))
        num = np.where(pair, share * dens, 0.0)
        resp = num / (num.sum(0, keepdims=True) + growth)  # each hire: which exit, if any
        total = resp.sum()
        new_mu = float((resp * diff).sum() / total)
        tau = max(math.sqrt(float((resp * (diff - new_mu) ** 2).sum() / total)), floor)
        growth = max(float(hires.size - total) / span, 1e-9)
        share = min(total / exits.size, 1.0)
        if abs(new_mu - mu) < 1e-6:
            mu = new_mu
            break
        mu = new_mu
    return mu / DAYS_PER_MONTH, tau / math.sqrt(total) / DAYS_PER_MONTH, int(round(total))


def _quota(fit: RoleFit, reps: pd.DataFrame, opps: pd.DataFrame, plan: Plan, since: int,
           as_of: int, given: Mapping[str, float]) -> None:
    """Median annualised bookings of reps past their ramp, per measure (or as given)."""
    start, end = _starts(reps, since), _days(reps["EndDate"])
    ramped = start + max(fit.ramp.months, 0) * DAYS_PER_MONTH
    lo = np.maximum(ramped, since)
    hi = np.where(np.isnan(end), as_of, np.minimum(end, as_of))
    days = hi - lo + 1
    steady = days >= 180
    close = _days(opps["CloseDate"])
    owner = pd.Index(reps["Id"]).get_indexer(opps["OwnerId"])
    inside = opps["IsWon"].to_numpy() & (close >= lo[owner]) & (close <= hi[owner])
    for measure in plan.quota_measures():
        if measure in given:
            fit.quota[measure] = float(given[measure])
            fit.add(f"quota.{measure}", given[measure], None, 0, "given")
            continue
        if measure not in fit.types:
            raise SpmsimError(f"role {fit.role!r}: the plan's quota on {measure!r} is not "
                              f"booked by deals; give it with --quota {measure}=AMOUNT")
        pick = inside & opps["Type"].isin(fit.types[measure]).to_numpy()
        booked = np.bincount(owner[pick], weights=opps["Amount"].to_numpy(float)[pick],
                             minlength=len(reps))
        annual = booked[steady] / days[steady] * 365.25
        if annual.size == 0:
            raise SpmsimError(f"role {fit.role!r}: no rep with 6 months past ramp to set the "
                              f"{measure!r} quota from; give it with --quota {measure}=AMOUNT")
        fit.quota[measure] = round(float(np.median(annual)), -2)
        fit.add(f"quota.{measure}", fit.quota[measure], None, int(annual.size),
                "median annualised bookings of reps past their ramp")
