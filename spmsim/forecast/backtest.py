"""Backtest of the pipeline forecast: every past period forecast from what was known at
its start (`spmsim.forecast.model`), compared with what was booked: coverage of the P10-P90
band with its exact binomial interval, the calibration of P10, P50 and P90 apart (and each
period's probability integral transform, `pit`: the share of simulated periods at or below
the actual), error and bias of P50 and of the weighted forecast.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from tqdm.auto import tqdm

from spmsim.data.crm import History
from spmsim.errors import InputError, Problem
from spmsim.forecast.model import FREQS, QUANTILES, forecast_pipeline, win_rates_from
from spmsim.forecast.pipeline import Frames, history_frames, parse_day, snapshot_at
from spmsim.format import percent
from spmsim.io import write_csv


def actual_bookings(history: History, as_of, period_end, *, types: Sequence[str] | None = None
                    ) -> float:
    """What was booked (won amounts) in (as_of, period_end]."""
    f = history_frames(history, types)
    return _actual(f, parse_day(as_of, "as_of", f.source),
                   parse_day(period_end, "period_end", f.source))


def _actual(f: Frames, as_of: pd.Timestamp, period_end: pd.Timestamp) -> float:
    a, e = (d.to_datetime64().astype("datetime64[D]") for d in (as_of, period_end))
    won = f.won & (f.close > a) & (f.close <= e)
    return float(np.nansum(f.amount[won]))


# ---------------------------------------------------------------- backtest

def binomial_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson (exact) interval of a share k / n."""
    if n == 0:
        return (np.nan, np.nan)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def backtest_summary(periods: pd.DataFrame) -> pd.DataFrame:
    """Coverage of the P10-P90 band with its binomial standard error and exact 95 %
    interval; the calibration of each quantile apart (share of actuals below P10, P50, P90,
    each with its interval, against 10, 50 and 90 %); for P50 and the weighted forecast,
    the mean absolute % error over the periods with bookings and the bias: total forecast
    over total booked, less 1."""
    n = len(periods)
    k = int(periods["covered"].sum())
    coverage = k / n if n else np.nan
    lo, hi = binomial_interval(k, n)
    row = {"periods": n, "covered": k, "coverage": coverage,
           "coverage_se": float(np.sqrt(coverage * (1 - coverage) / n)) if n else np.nan,
           "coverage_lo": lo, "coverage_hi": hi,
           "below_p10": float((periods["actual"] < periods["p10"]).mean()),
           "above_p90": float((periods["actual"] > periods["p90"]).mean())}
    for q in ("p10", "p50", "p90"):
        below = int((periods["actual"] < periods[q]).sum())
        row[f"share_below_{q}"] = below / n if n else np.nan
        row[f"share_below_{q}_lo"], row[f"share_below_{q}_hi"] = binomial_interval(below, n)
    booked = periods[periods["actual"] > 0]
    for name in ("p50", "weighted"):
        row[f"mape_{name}"] = float(((booked[name] - booked["actual"]).abs()
                                     / booked["actual"]).mean())
        row[f"bias_{name}"] = float(periods[name].sum() / periods["actual"].sum() - 1)
    return pd.DataFrame([row])


def quantile_calibration(periods: pd.DataFrame) -> pd.DataFrame:
    """One row per forecast quantile: nominal share of actuals below it, observed share,
    and the exact 95 % interval of the observed share."""
    row = backtest_summary(periods).iloc[0]
    return pd.DataFrame([{"quantile": q.upper(), "nominal": QUANTILES[q],
                          "observed": row[f"share_below_{q}"],
                          "low": row[f"share_below_{q}_lo"], "high": row[f"share_below_{q}_hi"]}
                         for q in ("p10", "p50", "p90")])


@dataclass(frozen=True)
class Backtest:
    """Forecast against actual, one row per period: as_of, period_end, the forecast's
    summary columns, actual, covered (P10 <= actual <= P90), error_p50, error_weighted."""

    periods: pd.DataFrame
    freq: str
    trials: int
    seed: int

    def summary(self) -> pd.DataFrame:
        return backtest_summary(self.periods)

    def table(self) -> pd.DataFrame:
        """The periods for a reader: dates, P10/P50/P90, weighted, actual (whole units) and
        whether the actual fell inside the band."""
        money = ["p10", "p50", "p90", "weighted", "actual"]
        table = self.periods[["as_of", "period_end", *money, "covered"]].copy()
        table[money] = table[money].round(0)
        return table

    def text(self) -> str:
        row = self.summary().iloc[0]
        return (f"backtest over {int(row['periods'])} {self.freq}s ({self.trials:,} trials each, "
                f"seed {self.seed}): actual inside P10-P90 in {int(row['covered'])} "
                f"({percent(row['coverage'], 0)}, 95% interval {percent(row['coverage_lo'], 0)}"
                f"-{percent(row['coverage_hi'], 0)}; nominal 80%)\n"
                f"  actual below P10 in {percent(row['share_below_p10'], 0)} (nominal 10%), "
                f"below P50 in {percent(row['share_below_p50'], 0)} (50%), below P90 in "
                f"{percent(row['share_below_p90'], 0)} (90%)\n"
                f"  P50: MAPE {percent(row['mape_p50'])}, bias {row['bias_p50']:+.1%};  weighted: "
                f"MAPE {percent(row['mape_weighted'])}, bias {row['bias_weighted']:+.1%}")

    def save(self, out: str | Path) -> list[Path]:
        """backtest_periods.csv and backtest_summary.csv in `out`, written atomically."""
        out = Path(out)
        return [write_csv(self.periods, out / "backtest_periods.csv"),
                write_csv(self.summary(), out / "backtest_summary.csv")]


def backtest_periods(history: History, freq: str = "month", *, start=None, end=None,
                     min_windows: int = 3, types: Sequence[str] | None = None
                     ) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(as_of, period_end) of each period the history can backtest: period ends of `freq`
    with `min_windows` periods of history before as_of and the whole period inside the data;
    optionally only as_of in [start, end]."""
    return _periods(history_frames(history, types), freq, start, end, min_windows)


def _periods(f: Frames, freq: str, start, end, min_windows: int
             ) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    if freq not in FREQS:
        raise InputError(f.source, [Problem("freq", f"{freq!r}: use one of {sorted(FREQS)}")])
    lo = f.start if start is None else parse_day(start, "start", f.source)
    hi = f.end if end is None else parse_day(end, "end", f.source)
    ends = pd.date_range(f.start.to_period(freq[0].upper()).start_time, f.end, freq=FREQS[freq])
    return [(a, e) for a, e in zip(ends[:-1], ends[1:], strict=True)
            if lo <= a <= hi and e <= f.end and a - min_windows * (e - a) >= f.start]


def backtest(history: History, *, freq: str = "month", start=None, end=None, trials: int = 2_000,
             seed: int = 0, windows: int = 12, min_windows: int = 3, prior: float = 2.0,
             types: Sequence[str] | None = None, progress: bool = True) -> Backtest:
    """Forecast each past period from what was known at its start and compare with what
    was booked. Period i draws from the child (i,) of the seed."""
    f = history_frames(history, types)
    if f.rows is None:
        warnings.warn(f"{f.source}: no stage history, so each past pipeline is approximated "
                      "from created and close dates (stage: days open; amount: the expected "
                      "one; expected close unknown)", stacklevel=2)
    periods = _periods(f, freq, start, end, min_windows)
    if not periods:
        raise InputError(f.source, [Problem("freq", (
            f"no {freq} in {f.start:%Y-%m-%d}..{f.end:%Y-%m-%d} has {min_windows} {freq}s of "
            "history before it and its whole period inside the data: use a longer history "
            "or a shorter period"))])
    rows, draws = [], []
    for i, (as_of, period_end) in enumerate(tqdm(periods, unit="period", delay=2.0,
                                                 disable=not progress)):
        known = f.known_on(as_of)
        cal = win_rates_from(known, as_of, period_end, windows=windows,
                             min_windows=min_windows, prior=prior)
        with warnings.catch_warnings():  # said once above
            warnings.simplefilter("ignore", UserWarning)
            snap = snapshot_at(known, as_of)
        fc = forecast_pipeline(snap, cal, trials=trials,
                               seed=np.random.SeedSequence(seed, spawn_key=(i,)))
        rows.append(fc.summary().assign(actual=_actual(f, as_of, period_end),
                                        tau=cal.period.tau if cal.period else 0.0,
                                        dispersion=cal.period.dispersion if cal.period
                                        else 1.0,
                                        by_phase=cal.period is not None and
                                        cal.period.phase is not None))
        draws.append(fc.draws)
    table = pd.concat(rows, ignore_index=True)
    table["covered"] = (table["p10"] <= table["actual"]) & (table["actual"] <= table["p90"])
    table["pit"] = [float((d <= a).mean()) for d, a in zip(draws, table["actual"], strict=True)]
    with np.errstate(invalid="ignore", divide="ignore"):
        for name in ("p50", "weighted"):
            table[f"error_{name}"] = (table[name] - table["actual"]) / table["actual"]
    return Backtest(table, freq, trials, seed)
