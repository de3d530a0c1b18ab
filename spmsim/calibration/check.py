"""Raw figures beside fitted ones, and the posterior predictive check of a calibration.

`raw_figures` reads what a CRM history shows for one role, plainly: win rate, won deals
and bookings per rep-month, deal-size quantiles, cycle, bookings by calendar month,
the spread of reps' annual bookings. `posterior_check` simulates the calibrated scenario
(Monte Carlo engine) and puts each raw figure beside the simulated P10-P90 band of the
same figure, computed the same way on the simulated plan years; a raw figure outside its
band is a misfit to look at (Gelman, Meng and Stern 1996: posterior predictive checks;
here with the point estimates, so the bands show the process noise, not the parameter
uncertainty).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spmsim.calibration.calibrate import Calibration
from spmsim.data.crm import History
from spmsim.engines.montecarlo import simulate
from spmsim.format import amount, percent
from spmsim.model.scenario import Scenario

DAYS_PER_MONTH = 365.25 / 12
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")


def _days(values: pd.Series) -> np.ndarray:
    out = values.to_numpy("datetime64[D]").astype("float64")
    out[values.isna().to_numpy()] = np.nan
    return out


@dataclass(frozen=True)
class RawFigures:
    """What the history shows for one role over [start, end] (days since 1970)."""

    figures: dict[str, float]
    monthly: pd.DataFrame  # calendar month: rep_months, won, bookings, per_rep
    rep_annual: np.ndarray  # annualised bookings of reps with 6 months or more in seat
    won_sizes: np.ndarray
    reps: int = 0  # reps counted (inactive roster entries left out)


def raw_figures(history: History, role: str, start: int, end: int) -> RawFigures:
    """The plain figures of `role` from `start` (the first complete day) to `end`: won
    deals, bookings and rep-months in seat (reps without a hire date count from `start`;
    roster entries without any opportunity and without dates do not count)."""
    reps = history.roster[history.roster["Role"] == role]
    opps = history.opportunities
    dated = reps["StartDate"].notna() | reps["EndDate"].notna()
    reps = reps[reps["Id"].isin(opps["OwnerId"]) | dated]
    opps = opps[opps["OwnerId"].isin(reps["Id"])]
    s = np.where(np.isnan(_days(reps["StartDate"])), start, _days(reps["StartDate"]))
    e = np.where(np.isnan(_days(reps["EndDate"])), end, _days(reps["EndDate"]))
    lo, hi = np.maximum(s, start), np.minimum(e, end)
    day = np.arange(start, end + 1)
    seated = ((lo[:, None] <= day[None, :]) & (hi[:, None] >= day[None, :]))
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12
    rep_months = np.bincount(month, weights=seated.sum(0), minlength=12) / DAYS_PER_MONTH
    close, created = _days(opps["CloseDate"]), _days(opps["CreatedDate"])
    in_window = opps["IsClosed"].to_numpy() & (close >= start) & (close <= end)
    won = in_window & opps["IsWon"].to_numpy()
    amounts = opps["Amount"].to_numpy(float)
    won_month = close[won].astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12
    n_won = np.bincount(won_month, minlength=12)
    booked = np.bincount(won_month, weights=amounts[won], minlength=12)
    monthly = pd.DataFrame({"month": MONTH_NAMES, "rep_months": rep_months, "won": n_won,
                            "bookings": booked})
    monthly["per_rep"] = np.divide(booked, rep_months, out=np.full(12, np.nan),
                                   where=rep_months > 0)
    total_rep_months = rep_months.sum()
    cycle = close[won] - created[won]
    owner = pd.Index(reps["Id"]).get_indexer(opps["OwnerId"][won])
    per_rep = np.bincount(owner, weights=amounts[won], minlength=len(reps))
    months_in = (hi - lo + 1) / DAYS_PER_MONTH
    steady = months_in >= 6
    rep_annual = per_rep[steady] / months_in[steady] * 12
    top = np.sort(rep_annual)[::-1]
    k = max(1, int(round(0.2 * top.size)))
    figures = {
        "win rate (closed in window)": won.sum() / max(in_window.sum(), 1),
        "won deals per rep-month": won.sum() / total_rep_months,
        "bookings per rep-month": amounts[won].sum() / total_rep_months,
        "deal size P10": float(np.quantile(amounts[won], 0.1)),
        "deal size P50": float(np.quantile(amounts[won], 0.5)),
        "deal size P90": float(np.quantile(amounts[won], 0.9)),
        "deal size mean": float(amounts[won].mean()),
        "cycle of won deals (days)": float(np.nanmean(cycle)),
        "annual bookings per rep, CV": float(rep_annual.std() / rep_annual.mean())
        if rep_annual.size > 1 else np.nan,
        "top 20 % of reps' share of bookings": float(top[:k].sum() / top.sum())
        if top.sum() > 0 else np.nan}
    return RawFigures(figures, monthly, rep_annual, amounts[won], len(reps))


SEGMENT_FIGURES = ("won deals per rep-month", "bookings per rep-month",
                   "win rate (closed in window)", "deal size mean",
                   "cycle of won deals (days)")


def segment_figures(history: History, role: str, by: str, start: int, end: int
                    ) -> pd.DataFrame:
    """The raw figures of `role` by a segment column: a roster one (Region, Team,
    Manager: each group's reps and their deals) or an opportunity one (Product: every rep,
    the group's deals). One row per segment value, with its reps and won deals."""
    from dataclasses import replace

    rows = []
    on_roster = by in history.roster.columns
    if not on_roster and by not in history.opportunities.columns:
        raise ValueError(f"no segment column {by!r} in the roster or the opportunities")
    table = history.roster if on_roster else history.opportunities
    for value in sorted(v for v in table[by].dropna().unique() if v != ""):
        part = replace(history, roster=history.roster[history.roster[by] == value]) \
            if on_roster else replace(history, opportunities=history.opportunities[
                history.opportunities[by] == value])
        raw = raw_figures(part, role, start, end)
        reps = raw.reps if on_roster else int(part.opportunities["OwnerId"].nunique())
        rows.append({by.lower(): value, "reps": reps, "won deals": int(raw.won_sizes.size),
                     **{k: raw.figures[k] for k in SEGMENT_FIGURES}})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class PosteriorCheck:
    """Raw figures beside the calibration's fitted values and the simulated bands.

    `table`: figure, raw, fitted, p10, p50, p90 (simulated), inside (raw within P10-P90;
    blank where a figure is not simulated). `monthly`: bookings per rep by calendar month,
    raw and simulated P10/P50/P90."""

    role: str
    table: pd.DataFrame
    monthly: pd.DataFrame
    trials: int
    seed: int

    @property
    def inside_share(self) -> float:
        inside = self.table["inside"].dropna()
        return float(inside.mean()) if len(inside) else float("nan")

    def headline(self) -> str:
        """One sentence: how many raw figures fall inside their simulated bands, and which
        do not."""
        sim = self.table.dropna(subset=["inside"])
        out = list(sim.loc[~sim["inside"].astype(bool), "figure"])
        months = self.monthly.dropna(subset=["raw"])
        late = list(months.loc[~months["inside"].astype(bool), "month"])
        return (f"{self.role}: {len(sim) - len(out)} of {len(sim)} figures of the history and "
                f"{len(months) - len(late)} of {len(months)} months of bookings per rep fall "
                f"inside the P10-P90 band of {self.trials:,} simulated years of the calibrated "
                "scenario" + (f"; outside: {', '.join(out + late)}" if out or late else "") +
                ".")

    def text(self) -> str:
        lines = [f"posterior predictive check of {self.role} ({self.trials:,} simulated "
                 f"years, seed {self.seed}): raw figure inside the simulated P10-P90 for "
                 f"{percent(self.inside_share, 0)} of the figures simulated"]
        for r in self.table.itertuples():
            band = "" if pd.isna(r.p10) else f"  simulated {_num(r.p10)} - {_num(r.p90)}" + \
                ("" if r.inside else "  OUTSIDE")
            lines.append(f"  {r.figure:<38} raw {_num(r.raw):>10}  fitted {_num(r.fitted):>10}"
                         f"{band}")
        months = self.monthly.dropna(subset=["raw"])
        out = months[~months["inside"].astype(bool)]
        lines.append(f"  bookings per rep by month: {len(months) - len(out)} of {len(months)} "
                     "months inside the simulated P10-P90" +
                     (f" (outside: {', '.join(out['month'])})" if len(out) else ""))
        return "\n".join(lines)


def _num(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    return amount(value) if abs(value) >= 1000 else f"{value:.3g}"


def _band(values: np.ndarray) -> tuple[float, float, float]:
    q = np.nanquantile(values, [0.1, 0.5, 0.9])
    return float(q[0]), float(q[1]), float(q[2])


def posterior_check(history: History, cal: Calibration, scenario: Scenario, *,
                    role: str | None = None, trials: int = 200, seed: int = 0
                    ) -> PosteriorCheck:
    """Simulate `scenario` (the calibration written and loaded) and compare: per rep-month
    bookings (overall and by calendar month), reps' annual bookings spread and the top
    20 %'s share on the simulated years; deal-size quantiles on samples of the raw size
    drawn from the fitted size model; win rate, deals per rep-month and cycle beside their
    fitted values."""
    name = role or next(iter(cal.roles))
    fit = cal.roles[name]
    start = int(np.datetime64(cal.complete or cal.since, "D").astype(int))
    end = int(np.datetime64(cal.as_of, "D").astype(int))
    raw = raw_figures(history, name, start, end)
    results = simulate(scenario, trials=trials, seed=seed, progress=False)
    reps = results.reps[results.reps["role"] == fit.key]
    g = list(results.groups).index(fit.key)
    revenue = results.period["revenue"][:, g, :]
    fte = results.period["fte"][:, g, :]
    per_rep = np.divide(revenue, fte, out=np.full(revenue.shape, np.nan), where=fte > 0)
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
    first = scenario.year_start.month - 1
    cal_month = (np.arange(12) + first) % 12
    per_rep_month = per_rep * DAYS_PER_MONTH / month_days[cal_month]  # a 30.4-day month
    year = np.nansum(revenue, 1) / np.nansum(fte, 1)  # per rep-month in seat
    full = reps[reps["year_share"] >= 0.99]
    annual = full.groupby("trial")["revenue"]
    cv = (annual.std(ddof=0) / annual.mean()).to_numpy()
    top = full.groupby("trial")["revenue"].apply(
        lambda x: np.sort(x.to_numpy())[::-1][:max(1, round(0.2 * len(x)))].sum() / x.sum()
        if x.sum() > 0 else np.nan).to_numpy()
    stream = scenario.market[fit.key].measures
    size = next(iter(stream.values())).size
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    n = max(raw.won_sizes.size, 1)
    draws = np.stack([size.sample(rng, n) for _ in range(trials)])
    est = {e.parameter: e.estimate for e in fit.estimates}
    measure = next(iter(fit.streams))
    f = raw.figures
    rows = [
        ("win rate (closed in window)", f["win rate (closed in window)"], est["win_rate"],
         None),
        ("won deals per rep-month", f["won deals per rep-month"],
         est[f"deals_per_month.{measure}"], None),
        ("bookings per rep-month", f["bookings per rep-month"],
         est[f"deals_per_month.{measure}"] * size.mean, year),
        ("deal size P10", f["deal size P10"], float(size.quantile(0.1)),
         np.quantile(draws, 0.1, axis=1)),
        ("deal size P50", f["deal size P50"], float(size.quantile(0.5)),
         np.quantile(draws, 0.5, axis=1)),
        ("deal size P90", f["deal size P90"], float(size.quantile(0.9)),
         np.quantile(draws, 0.9, axis=1)),
        ("deal size mean", f["deal size mean"], size.mean, draws.mean(axis=1)),
        ("cycle of won deals (days)", f["cycle of won deals (days)"],
         sum(s["days"] for s in fit.stages), None),
        ("annual bookings per rep, CV", f["annual bookings per rep, CV"], None, cv),
        ("top 20 % of reps' share of bookings", f["top 20 % of reps' share of bookings"],
         None, top)]
    table = []
    for figure, value, fitted, sim in rows:
        p10 = p50 = p90 = math.nan
        inside = None
        if sim is not None:
            p10, p50, p90 = _band(np.asarray(sim, dtype=float))
            inside = bool(p10 <= value <= p90)
        table.append({"figure": figure, "raw": float(value),
                      "fitted": math.nan if fitted is None else float(fitted),
                      "p10": p10, "p50": p50, "p90": p90, "inside": inside})
    by_month = np.full((per_rep_month.shape[0], 12), np.nan)
    by_month[:, cal_month] = per_rep_month
    q = np.nanquantile(by_month, [0.1, 0.5, 0.9], axis=0)
    monthly = raw.monthly.assign(raw=raw.monthly["per_rep"] * 1.0, p10=q[0], p50=q[1],
                                 p90=q[2])
    monthly["inside"] = ((monthly["raw"] >= monthly["p10"]) & (monthly["raw"] <= monthly["p90"])
                         ).where(monthly["raw"].notna())
    monthly = monthly[["month", "rep_months", "won", "raw", "p10", "p50", "p90", "inside"]]
    return PosteriorCheck(name, pd.DataFrame(table), monthly, trials, seed)


__all__ = ["PosteriorCheck", "RawFigures", "posterior_check", "raw_figures",
           "segment_figures"]


@dataclass(frozen=True)
class CalibrationStudy:
    """A calibration written to a folder, its scenario loaded, and its posterior check."""

    history: History
    calibration: Calibration
    scenario_path: Path
    check: PosteriorCheck

    def assumptions(self) -> pd.DataFrame:
        """What reading the export had to assume (defaults, derived flags, imputations)."""
        return pd.DataFrame({"assumed": self.history.report.assumptions or ["nothing"]})

    def decisions(self) -> list[str]:
        """What calibration decided and why, in sentences: the deal-size model, size
        bands, seasonality, ramp, inactive reps, stale open deals."""
        out = []
        for e in self.calibration.table().itertuples():
            name = e.parameter
            if name.endswith(".model"):
                out.append(f"{e.role}, deal size of {name.split('.')[1]}: {e.method}")
            elif name in ("bands", "inactive_reps", "stale_open_deals") or \
                    (name == "ramp.months" and e.n == 0) or name == "seasonality[0]":
                what = {"bands": "size bands", "inactive_reps": "inactive roster entries",
                        "stale_open_deals": f"{int(e.estimate):,} stale open deals",
                        "ramp.months": "ramp", "seasonality[0]": "seasonality"}[name]
                out.append(f"{e.role}, {what}: {e.method}")
        return out

    def notes_html(self) -> str:
        """The assumptions of reading and the decisions of calibration as two lists."""
        from html import escape

        def items(lines: list[str]) -> str:
            return "<ul>" + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul>"

        return ("<p><b>Assumed reading the export</b></p>" +
                items(self.history.report.assumptions or ["nothing"]) +
                "<p><b>Decided calibrating</b></p>" + items(self.decisions()))

    def segments(self, by: str | None = None) -> pd.DataFrame:
        """Raw figures by segment (default: the first of Region, Team, Manager, Product the
        export maps; empty when it maps none): where a segment differs, a single role's
        fit averages over it."""
        cols = [*self.history.roster.columns, *self.history.opportunities.columns]
        by = by or next((c for c in ("Region", "Team", "Manager", "Product") if c in cols),
                        None)
        if by is None:
            return pd.DataFrame({"segment": ["the export maps no Region, Team, Manager or "
                                             "Product column"]})
        cal = self.calibration
        start = int(np.datetime64(cal.complete or cal.since, "D").astype(int))
        end = int(np.datetime64(cal.as_of, "D").astype(int))
        return segment_figures(self.history, self.check.role, by, start, end)

    def fitted(self, role: str | None = None) -> pd.DataFrame:
        """The estimates a reader compares with the raw figures: every estimate but the
        per-month ramp factors."""
        t = self.calibration.table()
        t = t[~t["parameter"].str.startswith("ramp.factor")]
        return t if role is None else t[t["role"] == role]


def calibration_study(history: str | Path, *, mapping: str | Path | None = None,
                      plan: str | Path | None = None, out: str | Path = "",
                      trials: int = 200, seed: int = 0, bootstrap: int = 100
                      ) -> CalibrationStudy:
    """Read a CRM export (its mapping), calibrate every role on `plan` (default: the
    example enterprise plan), write the scenario to `out` (a temporary folder when ""),
    load it and run the posterior predictive check: what `notebooks/calibration_study`
    reports."""
    import tempfile
    import warnings

    from spmsim.calibration.calibrate import (
        calibrate_scenario,
        plan_arguments,
        write_calibration,
    )
    from spmsim.data.crm import read_history
    from spmsim.model.scenario import load_scenario

    with warnings.catch_warnings():  # the assumptions are in the study's report
        warnings.simplefilter("ignore", UserWarning)
        crm = read_history(history, mapping or None)
    cal = calibrate_scenario(crm, plan_arguments([str(plan)] if plan else None),
                             bootstrap=bootstrap, seed=seed)
    folder = Path(out) if str(out) else Path(tempfile.mkdtemp(prefix="spmsim-calibration-"))
    path, _ = write_calibration(cal, folder / "calibrated.yaml")
    check = posterior_check(crm, cal, load_scenario(path), trials=trials, seed=seed)
    return CalibrationStudy(crm, cal, path, check)


__all__ += ["CalibrationStudy", "calibration_study"]
