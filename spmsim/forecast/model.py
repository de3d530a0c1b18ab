"""Pipeline forecast: a period's bookings by Monte Carlo from the open pipeline
(the backtest over past periods is `spmsim.forecast.backtest`).

Model. A forecast is made at the end of day `as_of` for the period (as_of, period_end].
The period's bookings are the won amounts of
  1. the open pipeline at as_of. Deal i stood in stage s_i with amount a_i and expected
     close date c_i that day (rebuilt from the stage history by `spmsim.forecast.pipeline`). Its
     close bucket b_i is `overdue` (c_i <= as_of), `in period` (c_i <= period_end) or
     `later`. It is won inside the period with probability p_i = p(s_i, b_i),
     independently of the other deals;
  2. deals created and won inside the period: a compound Poisson sum, N ~ Poisson(lam)
     deals with sizes X drawn (bootstrapped) from past created-and-won deals.
Mean: sum p_i a_i + lam E[X], the weighted-pipeline point forecast. Variance:
sum p_i (1 - p_i) a_i^2 + lam E[X^2]. Amounts are taken as recorded at as_of.

Calibration uses only what was known at as_of (no look-ahead): up to `windows` past
windows of the period's length ending at as_of, (as_of - kL, as_of - (k-1)L]. In each the
pipeline is rebuilt at the window's start and each open deal scored won-in-window or not.
Per stage and bucket: slip_rate = share not closed (won or lost) within the window,
win_rate = share of the closers that won, p = (1 - slip_rate) x win_rate = won / open,
shrunk toward the stage's pooled rate (and that toward the overall rate) by `prior`
pseudo-deals so a thin cell does not give 0 or 1. lam is the mean count of deals created
and won within a window; X is drawn from their amounts. The record counts as complete
from its first close (an export of deals closed since a date holds older ones only if they
closed later). Without a stage history the current fields stand in (stages pooled, a flag
and a warning say so), and the backtest approximates each past pipeline from created and
close dates (its stage by days open, its amount the expected one), with a warning.

Backtest: at each month (or quarter) end with enough history before it, snapshot ->
calibrate -> forecast the next period -> compare with what was booked: coverage of the
P10-P90 band, error and bias of P50 and of the weighted point forecast.

Random numbers: one SeedSequence per forecast (backtest period i: the child (i,) of the
seed); trials run in blocks of BLOCK, each block
and purpose (wins, new-deal counts, new-deal sizes) with its own child stream, so a seed
gives the same numbers whatever the trial count is cut into.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from tqdm.auto import tqdm

from spmsim.data.crm import History, read_history
from spmsim.errors import InputError, Problem
from spmsim.forecast.pipeline import (
    Frames,
    Snapshot,
    check_period,
    close_bucket,
    history_frames,
    parse_day,
    snapshot_at,
)
from spmsim.format import amount
from spmsim.io import write_csv, write_parquet
from spmsim.synthetic.history import HistoryParams, synthetic_history
from spmsim.versions import versions

BUCKETS = ("overdue", "in period", "later")
STREAMS = ("wins", "new_count", "new_size", "period", "amount_noise")  # append only
BLOCK = 256  # trials per random-number block: the unit of reproducibility
ANY_STAGE = "(any stage)"  # calibration pooled over stages when there is no stage history
FREQS = {"month": "ME", "quarter": "QE"}
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


# ---------------------------------------------------------------- calibration

@dataclass(frozen=True)
class Calibration:
    """Win-in-period probabilities by stage and close bucket, and the new-deal term, fitted
    on the windows before `as_of`.

    table: stage, bucket, open, closed, won, slip_rate, win_rate, p.
    windows: start, end, open, won (of the open deals), new_won, new_amount per window.
    new_sizes: amounts of the deals created and won inside a window (bootstrapped).
    """

    as_of: pd.Timestamp
    period_end: pd.Timestamp
    table: pd.DataFrame
    windows: pd.DataFrame
    new_sizes: np.ndarray
    reconstructed: bool
    source: str = "history"
    period: PeriodEffect | None = None
    amount_ratios: np.ndarray | None = None  # won / expected amounts (dates-only exports)
    new_count: float | None = None  # the new-deal mean of the windows used (phase)

    @property
    def new_rate(self) -> float:
        """Expected deals created and won inside a period (the Poisson mean)."""
        if self.new_count is not None:
            return self.new_count
        return float(self.windows["new_won"].mean())

    @property
    def expected_new(self) -> float:
        """lam E[X]: expected bookings from deals created and won inside the period."""
        return self.new_rate * float(self.new_sizes.mean()) if self.new_sizes.size else 0.0

    def probabilities(self, deals: pd.DataFrame, as_of: pd.Timestamp,
                      period_end: pd.Timestamp) -> np.ndarray:
        """p of each deal (Id, StageName, CloseDate) for the period (as_of, period_end]."""
        stages = list(dict.fromkeys(self.table["stage"]))
        stage = pd.Series(ANY_STAGE, index=deals.index) if ANY_STAGE in stages else \
            deals["StageName"]
        bad = ~stage.isin(stages)
        if bad.any():
            raise InputError(self.source, [
                Problem(f"opportunity {i}", f"StageName={s!r} is not an open stage "
                        f"({', '.join(stages)}): correct it or map it in the mapping YAML's "
                        "stages.open")
                for i, s in zip(deals.loc[bad, "Id"], stage[bad], strict=True)])
        cell = pd.Index(stages).get_indexer(stage) * len(BUCKETS) + \
            close_bucket(deals["CloseDate"], as_of, period_end)
        return self.table["p"].to_numpy(dtype=float)[cell]


@dataclass(frozen=True)
class PeriodEffect:
    """What the calibration windows say beyond independent deals.

    Phase: for monthly periods, deals close unevenly over the quarter (quarter ends book
    more, the month after books little from the open pipeline). `by_phase` is the mean
    log(actual / expected) of the windows of each month of the quarter under the pooled
    fit and `p_phase` a one-way test of it. When every month of the quarter has at least
    `PHASE_WINDOWS` windows and the test gives p < `PHASE_LEVEL`, the win probabilities and
    the new-deal term are fitted on the windows of the forecast month's phase only, shrunk
    toward the pooled fit by the `prior` pseudo-deals (`phase` is then that phase; None
    otherwise: a phase fit on a few windows only adds noise where there is no effect).

    Spread: each window is forecast from the other windows (leave one out, of its phase
    when fitted by phase), as a backtest would; the log errors log(actual / expected)
    scatter more than independent deals make them when deals of a period move together
    (good and bad months, a shared push, a drifting pipeline). `tau` is that excess (method
    of moments: the mean squared log error less the windows' own Bernoulli variance); a
    forecast multiplies each simulated period by exp(tau z - tau^2 / 2), tau widened for
    the few windows it comes from as a t interval would be. When the errors scatter less
    than independent deals would (outcomes within a cell are less random than one pooled
    probability makes them), `dispersion` < 1 (their ratio, at least 1/4) scales the
    deal-level spread around the mean instead, as a quasi-likelihood dispersion factor
    does (widened as tau is). `residuals` are the leave-one-out log errors."""

    phase: int | None
    tau: float
    residuals: tuple[float, ...]
    by_phase: tuple[float, ...]
    p_phase: float
    dispersion: float = 1.0

    def describe(self) -> str:
        ph = ", ".join(f"{x:+.0%}" for x in np.expm1(self.by_phase)) if self.by_phase else \
            "not measured"
        used = "fitted on its own month of the quarter" if self.phase is not None else \
            "pooled over months"
        spread = f"extra spread between periods {self.tau:.0%}" if self.dispersion >= 1 else \
            f"deal-level spread scaled by {self.dispersion:.2f} (fewer surprises than " \
            "independent deals)"
        return (f"months of the quarter vs pooled fit {ph} (test p {self.p_phase:.2g}); "
                f"probabilities {used}; {spread}")


PHASE_WINDOWS, PHASE_LEVEL = 2, 0.10


def _phase(end: pd.Timestamp, months: float) -> int:
    """Month of the quarter (0, 1, 2) of a monthly period ending on `end`; -1 otherwise."""
    return (end.month - 1) % 3 if 20 <= months * 30.44 <= 40 else -1


def _log_ratio(expected: np.ndarray, actual: np.ndarray, scale: float) -> np.ndarray:
    return np.log((actual + scale) / (expected + scale))


def _window_cells(known: Frames, start: pd.Timestamp, end: pd.Timestamp, pooled: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each deal open at `start`: its cell (stage x bucket), whether it closed and
    whether it was won by `end`; and the amounts of deals created and won in (start, end]."""
    s, e = (d.to_datetime64().astype("datetime64[D]") for d in (start, end))
    i, stage, amount, close = known.open_at(s)
    cell = (0 if pooled else stage * len(BUCKETS)) + close_bucket(close, start, end)
    closed = known.closed[i] & (known.close[i] > s) & (known.close[i] <= e)
    new = (known.created > s) & (known.created <= e) & known.won & (known.close <= e)
    booked = np.where(closed & known.won[i], known.amount[i], 0.0)
    return cell, closed, closed & known.won[i], known.amount[new], amount, booked


def _shrunk(won: np.ndarray, n: np.ndarray, prior: float, toward) -> np.ndarray:
    """(won + prior x toward) / (n + prior); `toward` itself where there is no data."""
    toward = np.broadcast_to(toward, np.shape(won))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n + prior > 0, (won + prior * toward) / (n + prior), toward)


def _rates(cell: np.ndarray, closed: np.ndarray, won: np.ndarray, stages: Sequence[str],
           prior: float, toward: np.ndarray | None = None) -> pd.DataFrame:
    """Counts and rates per stage x bucket; p shrunk toward the stage's pooled rate, and
    that toward the overall rate, by `prior` pseudo-deals (or toward `toward`, one p per
    cell, e.g. the fit of all windows when this one is of some windows only)."""
    k = len(stages) * len(BUCKETS)
    n, c, w = (np.bincount(cell, weights=x, minlength=k).reshape(len(stages), -1)
               for x in (np.ones(cell.size), closed, won))
    if toward is not None:
        p = _shrunk(w, n, prior, toward.reshape(n.shape))
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            overall = w.sum() / n.sum() if n.sum() else 0.0
        p_stage = _shrunk(w.sum(1), n.sum(1), prior, overall)
        p = _shrunk(w, n, prior, p_stage[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        slip, win = 1 - c / n, w / c
    return pd.DataFrame({"stage": np.repeat(list(stages), len(BUCKETS)),
                         "bucket": np.tile(BUCKETS, len(stages)),
                         "open": n.ravel().astype(int), "closed": c.ravel().astype(int),
                         "won": w.ravel().astype(int), "slip_rate": slip.ravel(),
                         "win_rate": win.ravel(), "p": p.ravel()})


def _windows(f: Frames, as_of: pd.Timestamp, period_end: pd.Timestamp, windows: int,
             min_windows: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    length = period_end - as_of
    spans = [(as_of - k * length, as_of - (k - 1) * length) for k in range(1, windows + 1)]
    if as_of.is_month_end and period_end.is_month_end:  # calendar months (or quarters)
        months = (period_end.year - as_of.year) * 12 + period_end.month - as_of.month
        ends = [as_of - pd.offsets.MonthEnd(months * k) for k in range(windows + 1)]
        spans = [(ends[k], ends[k - 1]) for k in range(1, windows + 1)]
    # the pipeline at the end of the day before the first close is complete
    spans = [(s, e) for s, e in spans if s >= f.start - pd.Timedelta(days=1)]
    if len(spans) < min_windows:
        first = f.start + min_windows * length
        raise InputError(f.source, [Problem("as_of", (
            f"{as_of:%Y-%m-%d} leaves {len(spans)} past period(s) of {length.days} days after "
            f"the history is complete ({f.start:%Y-%m-%d}); calibration needs {min_windows}: "
            f"pick as_of on or after {first:%Y-%m-%d}"))])
    return spans


def win_rates_from(known: Frames, as_of: pd.Timestamp, period_end: pd.Timestamp, *,
                   windows: int, min_windows: int, prior: float) -> Calibration:
    """`fit_win_rates` on frames already cut to what was known at as_of."""
    pooled = known.rows is None and known.expected is None
    spans = _windows(known, as_of, period_end, windows, min_windows)
    parts = [_window_cells(known, s, e, pooled) for s, e in spans]
    cell, closed, won = (np.concatenate([part[j] for part in parts]) for j in range(3))
    if cell.size == 0:
        raise InputError(known.source, [Problem("as_of", (
            f"no deal was open in the {len(spans)} periods before {as_of:%Y-%m-%d}: nothing "
            "to calibrate win probabilities on; pick a later as_of"))])
    stages = (ANY_STAGE,) if pooled else known.open_stages
    summary = pd.DataFrame({
        "start": [s for s, _ in spans], "end": [e for _, e in spans],
        "open": [part[0].size for part in parts], "won": [int(part[2].sum()) for part in parts],
        "new_won": [part[3].size for part in parts],
        "new_amount": [float(part[3].sum()) for part in parts]})
    months = (period_end - as_of).days / 30.44
    phases = np.array([_phase(e, months) for _, e in spans])
    target = _phase(period_end, months)
    fits = {None: _fit(parts, np.ones(len(parts), bool), stages, prior, None)}
    ratios = known.ratio
    noise2 = float(np.mean(ratios ** 2)) if ratios is not None and ratios.size else 1.0
    scale = float(np.nanmedian(np.concatenate([np.nan_to_num(q[4]) for q in parts]
                                              + [fits[None][2]])))
    scale = max(scale, 1e-9)
    moments = [_moments(q, fits[None], noise2) for q in parts]
    expected, actual, var = (np.array([m[j] for m in moments]) for j in range(3))
    pooled_r = _log_ratio(expected, actual, scale)
    groups = [pooled_r[phases == k] for k in range(3)]
    by, p_phase = (), 1.0
    if target >= 0 and all(g.size >= 1 for g in groups):
        by = tuple(float(g.mean()) for g in groups)
        if all(g.size >= PHASE_WINDOWS for g in groups) and np.ptp(pooled_r) > 0:
            p_phase = float(stats.f_oneway(*groups).pvalue)
    by_phase = p_phase < PHASE_LEVEL  # every phase has PHASE_WINDOWS windows, and differs
    if by_phase:
        fits.update({k: _fit(parts, phases == k, stages, prior, fits[None][0])
                     for k in range(3)})
    # leave-one-out: each window forecast from the others (of its phase, when by phase),
    # as a backtest would have: its log error beyond its own Bernoulli spread is the tau
    loo = []
    for j, k in enumerate(phases):
        rest = np.arange(len(parts)) != j
        toward = _fit(parts, rest, stages, prior, None)
        fit = _fit(parts, rest & (phases == k), stages, prior, toward[0]) if by_phase \
            else toward
        loo.append(_moments(parts[j], fit, noise2))
    expected, actual, var = (np.array([m[j] for m in loo]) for j in range(3))
    r = _log_ratio(expected, actual, scale)
    own = var / (expected + scale) ** 2
    # the spread is estimated from a few windows: widen it as a t interval would (the
    # 90 % point of t with n - 1 degrees of freedom over the normal's), so that P10-P90
    # keeps its 80 % on short histories (the leave-one-out errors hold the level's error)
    widen = float(stats.t.ppf(0.9, max(r.size - 1, 1)) / stats.norm.ppf(0.9))
    excess = float(np.mean(r ** 2) - own.mean())
    tau = math.sqrt(max(excess, 0.0)) * widen
    # fewer surprises than independent deals make (outcomes within a cell less random
    # than one pooled probability says): scale the deal-level spread down instead
    dispersion = float(np.clip(np.mean(r ** 2) * widen ** 2 / own.mean(), 0.25, 1.0)) \
        if excess < 0 and own.mean() > 0 else 1.0
    table, new_counts, sizes = fits[target if by_phase else None]
    period = PeriodEffect(target if by_phase else None, tau, tuple(float(x) for x in r), by,
                          p_phase, dispersion)
    summary = summary.assign(expected=expected, actual=actual, phase=phases)
    return Calibration(as_of, period_end, table, summary, sizes, known.rows is not None,
                       known.source, period, ratios, float(np.mean(new_counts)))


def _fit(parts: list, pick: np.ndarray, stages: Sequence[str], prior: float,
         toward: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rates on the windows picked (shrunk toward `toward`'s p when given), their new-deal
    counts and sizes."""
    chosen = [q for q, keep in zip(parts, pick, strict=True) if keep]
    cell, closed, won = (np.concatenate([q[j] for q in chosen]) for j in range(3))
    table = _rates(cell, closed, won, stages, prior,
                   None if toward is None else toward["p"].to_numpy(float))
    sizes = np.concatenate([q[3] for q in chosen])
    return table, np.array([q[3].size for q in chosen]), sizes[np.isfinite(sizes)]


def _moments(q: tuple, fit: tuple, noise2: float) -> tuple[float, float, float]:
    """A window's expected and actual bookings and its model variance under `fit`."""
    p = fit[0]["p"].to_numpy(float)[q[0]]
    a = np.nan_to_num(q[4])
    lam, sizes = float(np.mean(fit[1])), fit[2]
    mean_x = float(sizes.mean()) if sizes.size else 0.0
    ex2 = float((sizes ** 2).mean()) if sizes.size else 0.0
    return (float((p * a).sum()) + lam * mean_x, float(q[5].sum() + q[3].sum()),
            float((p * (noise2 - p) * a ** 2).sum()) + lam * ex2)


def fit_win_rates(history: History, as_of, period_end, *, windows: int = 12, min_windows: int = 3,
              prior: float = 2.0, types: Sequence[str] | None = None) -> Calibration:
    """Stage-and-bucket win probabilities, slip rates and the new-deal term for the period
    (as_of, period_end], from the `windows` periods of the same length before as_of."""
    f = history_frames(history, types)
    as_of, period_end = check_period(f, as_of, period_end)
    return win_rates_from(f.known_on(as_of), as_of, period_end, windows=windows,
                      min_windows=min_windows, prior=prior)


# ---------------------------------------------------------------- Monte Carlo

def _root(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


def _stream(root: np.random.SeedSequence, block: int, purpose: str) -> np.random.Generator:
    key = (*root.spawn_key, block, STREAMS.index(purpose))
    seq = np.random.SeedSequence(root.entropy, spawn_key=key, pool_size=root.pool_size)
    return np.random.Generator(np.random.PCG64(seq))


def simulate_bookings(p, amounts, trials: int, seed: int | np.random.SeedSequence = 0, *,
                      new_rate: float = 0.0, new_sizes=None, progress: bool = False,
                      shift: float = 0.0, tau: float = 0.0, amount_ratios=None,
                      dispersion: float = 1.0) -> np.ndarray:
    """Bookings of `trials` simulated periods: each deal won with its probability p_i
    (independent Bernoulli given the period), its amount times a ratio resampled from
    `amount_ratios` when given (amounts known before the outcome), plus Poisson(new_rate)
    new deals with sizes drawn from `new_sizes`; each period's total pulled toward its mean
    by sqrt(dispersion) (<= 1) and times exp(shift + tau z - tau^2 / 2) (the period
    effect). Vectorised over trials x deals, BLOCK trials at a time."""
    p, amounts = np.asarray(p, dtype=float), np.asarray(amounts, dtype=float)
    if p.shape != amounts.shape or p.ndim != 1:
        raise ValueError(f"p and amounts must be 1-d of the same length (got {p.shape} and "
                         f"{amounts.shape})")
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("every probability must be in [0, 1]")
    if not np.all(np.isfinite(amounts)):
        raise ValueError("every amount must be a finite number")
    if trials < 1:
        raise ValueError("trials must be at least 1")
    sizes = np.asarray([] if new_sizes is None else new_sizes, dtype=float)
    if new_rate < 0 or (new_rate > 0 and sizes.size == 0):
        raise ValueError("new_rate must be >= 0, and > 0 only with some new_sizes to draw")
    ratios = None if amount_ratios is None or np.size(amount_ratios) == 0 else \
        np.asarray(amount_ratios, dtype=float)
    if not 0 < dispersion <= 1:
        raise ValueError("dispersion must be in (0, 1]")
    mean = float(p @ amounts) * (float(ratios.mean()) if ratios is not None else 1.0) + \
        (new_rate * float(sizes.mean()) if new_rate > 0 else 0.0)
    root, out = _root(seed), np.empty(trials)
    starts = range(0, trials, BLOCK)
    for block, lo in enumerate(tqdm(starts, unit="block", delay=2.0, disable=not progress)):
        n = min(BLOCK, trials - lo)
        wins = _stream(root, block, "wins").random((n, p.size)) < p
        if ratios is not None:
            noise = ratios[_stream(root, block, "amount_noise").integers(0, ratios.size,
                                                                        (n, p.size))]
            total = (wins * noise) @ amounts
        else:
            total = wins.astype(float) @ amounts
        if new_rate > 0:
            counts = _stream(root, block, "new_count").poisson(new_rate, n)
            drawn = _stream(root, block, "new_size").choice(sizes, counts.sum())
            total += np.bincount(np.repeat(np.arange(n), counts), weights=drawn, minlength=n)
        if dispersion < 1:
            total = mean + math.sqrt(dispersion) * (total - mean)
        if shift or tau:
            z = _stream(root, block, "period").standard_normal(n)
            total *= np.exp(shift + tau * z - tau ** 2 / 2)
        out[lo:lo + n] = total
    return out


@dataclass(frozen=True)
class Forecast:
    """A period's bookings forecast: the snapshot's deals with their p, the calibration,
    the simulated bookings (`draws`) and the seed that drew them."""

    snapshot: Snapshot
    period_end: pd.Timestamp
    deals: pd.DataFrame  # the snapshot's deals with bucket, p and expected (p x amount)
    calibration: Calibration
    draws: np.ndarray = field(repr=False)
    seed: int
    spawn_key: tuple[int, ...] = ()

    @property
    def as_of(self) -> pd.Timestamp:
        return self.snapshot.as_of

    @property
    def weighted_open(self) -> float:
        """sum p_i a_i E[R] over the open pipeline (R the amount ratio, 1 unless the amounts
        are expected ones)."""
        r = self.calibration.amount_ratios
        return float(self.deals["expected"].sum()) * (float(r.mean()) if r is not None and
                                                       r.size else 1.0)

    @property
    def weighted(self) -> float:
        """The weighted-pipeline point forecast: open pipeline plus the new-deal term (times
        the probabilities of the forecast month's phase, when fitted by phase)."""
        return self.weighted_open + self.calibration.expected_new

    @property
    def variance(self) -> float:
        """Exact variance of the model. Without a period effect or amount noise: sum
        p(1-p)a^2 + lam E[X^2]. With amount ratios R: sum (p E[R^2] - p^2 E[R]^2) a^2 + ...;
        times the dispersion d (<= 1); with a period factor F (mean 1, E[F^2] = e^tau^2):
        E[F^2] d V + Var(F) mu^2."""
        p, a = self.deals["p"].to_numpy(), self.deals["Amount"].to_numpy(dtype=float)
        cal = self.calibration
        sizes = cal.new_sizes
        new = cal.new_rate * float(np.mean(sizes ** 2)) if sizes.size else 0.0
        r = cal.amount_ratios
        r1, r2 = (float(r.mean()), float((r ** 2).mean())) if r is not None and r.size \
            else (1.0, 1.0)
        v = float(np.sum((p * r2 - (p * r1) ** 2) * a ** 2) + new)
        mu = float(np.sum(p * r1 * a)) + cal.expected_new
        effect = cal.period
        if effect is None:
            return v
        v *= effect.dispersion
        f2 = math.exp(effect.tau ** 2)
        return f2 * v + (f2 - 1.0) * mu ** 2

    @cached_property
    def quantiles(self) -> dict[str, float]:
        values = np.quantile(self.draws, list(QUANTILES.values()))
        return dict(zip(QUANTILES, map(float, values), strict=True))

    def summary(self) -> pd.DataFrame:
        """One row: the period, the pipeline, P10/P50/P90, mean and the weighted forecast."""
        return pd.DataFrame([{
            "as_of": self.as_of, "period_end": self.period_end,
            "open_deals": len(self.deals), "open_amount": float(self.deals["Amount"].sum()),
            "weighted_open": self.weighted_open, "expected_new": self.calibration.expected_new,
            "weighted": self.weighted, **self.quantiles, "mean": float(self.draws.mean()),
            "sd": float(self.draws.std(ddof=1)) if self.draws.size > 1 else 0.0,
            "trials": self.draws.size, "seed": self.seed,
            "reconstructed": self.snapshot.reconstructed}])

    def distribution(self, bins: int = 40) -> pd.DataFrame:
        """Histogram of the simulated bookings: bin_lo, bin_hi, share of trials."""
        counts, edges = np.histogram(self.draws, bins=bins)
        return pd.DataFrame({"bin_lo": edges[:-1], "bin_hi": edges[1:],
                             "share": counts / self.draws.size})

    def marks(self) -> pd.DataFrame:
        """P10, P50, P90 and the weighted point forecast, as mark / value rows."""
        return pd.DataFrame({"mark": [*(k.upper() for k in QUANTILES), "weighted"],
                             "value": [*self.quantiles.values(), self.weighted]})

    def text(self) -> str:
        """A few lines for the terminal."""
        q, cal = self.quantiles, self.calibration
        source = "" if self.snapshot.reconstructed else \
            " (no stage history: approximated from created and close dates)"
        return "\n".join([
            f"bookings forecast for {self.as_of + pd.Timedelta(days=1):%Y-%m-%d} to "
            f"{self.period_end:%Y-%m-%d}, pipeline as of {self.as_of:%Y-%m-%d}{source}",
            f"  open pipeline: {len(self.deals):,} deals, {amount(self.deals['Amount'].sum())}; "
            f"weighted {amount(self.weighted_open)}",
            f"  new deals created and won in the period: {cal.new_rate:.2f} expected, "
            f"{amount(cal.expected_new)}",
            f"  weighted point forecast {amount(self.weighted)}",
            *([f"  {cal.period.describe()}"] if cal.period else []),
            f"  P10 {amount(q['p10'])}   P50 {amount(q['p50'])}   P90 {amount(q['p90'])}   "
            f"({self.draws.size:,} trials, seed {self.seed})"])

    def save(self, out: str | Path) -> list[Path]:
        """forecast_summary.csv (with the versions of spmsim and numpy), forecast_deals.csv
        (with p), forecast_calibration.csv, forecast_windows.csv and forecast_draws.parquet
        in `out`, each written atomically."""
        out = Path(out)
        return [write_csv(self.summary().assign(**versions()), out / "forecast_summary.csv"),
                write_csv(self.deals, out / "forecast_deals.csv"),
                write_csv(self.calibration.table, out / "forecast_calibration.csv"),
                write_csv(self.calibration.windows, out / "forecast_windows.csv"),
                write_parquet(pd.DataFrame({"bookings": self.draws}),
                              out / "forecast_draws.parquet")]


def forecast_pipeline(snap: Snapshot, calibration: Calibration, *, trials: int = 10_000,
                      seed: int | np.random.SeedSequence = 0, progress: bool = False
                      ) -> Forecast:
    """Monte Carlo forecast of a snapshot with the probabilities calibrated for its day and
    the calibration's period."""
    if snap.as_of != calibration.as_of:
        raise ValueError(f"the snapshot is of {snap.as_of:%Y-%m-%d} but the calibration for "
                         f"{calibration.as_of:%Y-%m-%d}: use the same as_of")
    period_end = calibration.period_end
    p = calibration.probabilities(snap.deals, snap.as_of, period_end)
    bucket = np.array(BUCKETS)[close_bucket(snap.deals["CloseDate"], snap.as_of, period_end)]
    deals = snap.deals.assign(bucket=bucket, p=p,
                              expected=p * snap.deals["Amount"].to_numpy(dtype=float))
    root = _root(seed)
    effect = calibration.period
    draws = simulate_bookings(p, deals["Amount"], trials, root, new_rate=calibration.new_rate,
                              new_sizes=calibration.new_sizes, progress=progress,
                              tau=effect.tau if effect else 0.0,
                              amount_ratios=calibration.amount_ratios,
                              dispersion=effect.dispersion if effect else 1.0)
    return Forecast(snap, period_end, deals, calibration, draws, int(root.entropy),
                    tuple(root.spawn_key))


def open_history(path: str | Path = "", *, mapping: str | Path | None = None,
                 seed: int = 2025) -> History:
    """A CRM history folder, read and checked (`spmsim.data.crm.read_history`); or, with
    path "", a synthetic history from the generator's defaults and `seed`."""
    if str(path) == "":
        return synthetic_history(HistoryParams(seed=seed))
    return read_history(path, mapping)


def resolve_period(history: History, as_of=None, period_end=None, freq: str = "month"
                   ) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The forecast's (as_of, period_end): as_of by default the history's last day (its
    export), period_end by default the first month (or quarter) end after as_of. Blank
    strings count as not given (notebook parameters)."""
    f = history_frames(history)
    if freq not in FREQS:
        raise InputError(f.source, [Problem("freq", f"{freq!r}: use one of {sorted(FREQS)}")])
    day = f.end if as_of in (None, "") else parse_day(as_of, "as_of", f.source)
    if period_end in (None, ""):
        period_end = pd.date_range(day + pd.Timedelta(days=1), periods=1, freq=FREQS[freq])[0]
    return check_period(f, day, period_end)


def forecast(history: History, as_of, period_end, *, trials: int = 10_000,
             seed: int | np.random.SeedSequence = 0, windows: int = 12, min_windows: int = 3,
             prior: float = 2.0, types: Sequence[str] | None = None,
             progress: bool = False) -> Forecast:
    """Bookings in (as_of, period_end]: snapshot at as_of, calibrate on the history before
    it, simulate `trials` periods."""
    f = history_frames(history, types)
    as_of, period_end = check_period(f, as_of, period_end)
    known = f.known_on(as_of)
    cal = win_rates_from(known, as_of, period_end, windows=windows, min_windows=min_windows,
                     prior=prior)
    return forecast_pipeline(snapshot_at(known, as_of), cal, trials=trials,
                             seed=seed, progress=progress)
