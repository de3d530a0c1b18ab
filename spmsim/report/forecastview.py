"""A pipeline forecast for the report page: the memo (what to commit, how sure the method
has been), and its tables in readers' words (`notebooks/forecast_study.ipynb`).

The forecast's currency is not in a CRM export; amounts are shown compact without a
symbol unless `currency` is given."""

from __future__ import annotations

import pandas as pd

from spmsim.forecast.backtest import Backtest
from spmsim.forecast.model import Forecast
from spmsim.forecast.model import open_history as fc_open_history
from spmsim.format import compact_money, count, percent
from spmsim.io import resolve_path
from spmsim.report.memo import memo as memo_html


def open_history(history: str):
    """The CRM history of a folder (found as `resolve_path`), or a synthetic one for ''."""
    return fc_open_history(resolve_path(history) if history else "")


def _m(x: float, currency: str | None) -> str:
    return compact_money(x, currency)


def period_words(f: Forecast) -> str:
    start = f.as_of + pd.Timedelta(days=1)
    if start.day == 1 and (f.period_end + pd.Timedelta(days=1)).day == 1 and \
            (f.period_end - start).days < 31:
        return f"{start:%B %Y}"
    return f"{start:%d %b %Y} to {f.period_end:%d %b %Y}"


def memo(f: Forecast, backtest: Backtest | None = None, currency: str | None = "USD") -> str:
    """The decision memo: the call, the commit and the upside, why, the risk, and how well
    the method did on past periods (the backtest)."""
    q, cal = f.quantiles, f.calibration
    when = period_words(f)
    rec = (f"call {_m(q['p50'], currency)} for {when}; commit no more than "
           f"{_m(q['p10'], currency)}")
    why = [f"{count(len(f.deals), 'open deal')} worth {_m(f.deals['Amount'].sum(), currency)} "
           f"on {f.as_of:%d %b %Y}, weighted by their calibrated chance of closing in the "
           f"period {_m(f.weighted_open, currency)}, plus {_m(cal.expected_new, currency)} "
           f"expected from deals not yet created; the weighted forecast is "
           f"{_m(f.weighted, currency)}.",
           f"Simulated {f.draws.size:,} times: P10 {_m(q['p10'], currency)}, P50 "
           f"{_m(q['p50'], currency)}, P90 {_m(q['p90'], currency)} (upside)."]
    risk = (f"one period in ten books less than {_m(q['p10'], currency)}, and one in ten more "
            f"than {_m(q['p90'], currency)}.")
    sure, warnings = None, []
    if backtest is not None and len(backtest.periods):
        row = backtest.summary().iloc[0]
        sure = (f"Forecast the same way at the start of each of {int(row['periods'])} past "
                f"{backtest.freq}s, the P10-P90 band held the actual bookings "
                f"{percent(row['coverage'], 0)} of the time (+- "
                f"{percent(row['coverage_se'], 0)}; a calibrated band holds 80%); P50 was off by "
                f"{percent(row['mape_p50'], 0)} on average.")
        if abs(row["coverage"] - 0.8) > 2 * max(row["coverage_se"], 0.02):
            warnings.append(("The band is not calibrated", "past actuals fell inside P10-P90 "
                             f"{percent(row['coverage'], 0)} of the time, not 80 %: read the "
                             "range with care."))
    if not f.snapshot.reconstructed:
        warnings.append(("No stage history", "the export has no stage history, so the "
                         "pipeline on the as-of day is taken from the deals' current fields."))
    return memo_html(f"Pipeline forecast for {when}",
                     f"Forecast · pipeline as of {f.as_of:%d %b %Y} · {f.draws.size:,} "
                     f"simulated periods · seed {f.seed}",
                     f"What bookings to call and commit for {when}, from the open pipeline.",
                     rec, why=why, risk=risk, sure=sure, warnings=warnings)


def stages_table(f: Forecast, currency: str | None = "USD") -> pd.DataFrame:
    s = f.snapshot.by_stage()
    return pd.DataFrame({"Deals": [f"{int(v):,}" for v in s["deals"]],
                         "Amount": [_m(v, currency) for v in s["amount"]]},
                        index=pd.Index(s["stage"].astype(str), name="Stage"))


def calibration_table(f: Forecast) -> pd.DataFrame:
    t = f.calibration.table
    pct = lambda v: "-" if pd.isna(v) else percent(v)  # noqa: E731
    return pd.DataFrame({
        "Stage": t["stage"].astype(str), "Expected close": t["bucket"].astype(str),
        "Open at a period's start": [f"{int(v):,}" for v in t["open"]],
        "Closed in it": [f"{int(v):,}" for v in t["closed"]],
        "Won in it": [f"{int(v):,}" for v in t["won"]],
        "Slipped": [pct(v) for v in t["slip_rate"]],
        "Win rate of closed": [pct(v) for v in t["win_rate"]],
        "Probability used": [pct(v) for v in t["p"]]}).set_index(["Stage"])


def backtest_table(b: Backtest, currency: str | None = "USD") -> pd.DataFrame:
    t = b.table()
    return pd.DataFrame({
        "Period ending": [f"{d:%d %b %Y}" for d in t["period_end"]],
        "P10": [_m(v, currency) for v in t["p10"]], "P50": [_m(v, currency) for v in t["p50"]],
        "P90": [_m(v, currency) for v in t["p90"]],
        "Weighted": [_m(v, currency) for v in t["weighted"]],
        "Actual": [_m(v, currency) for v in t["actual"]],
        "Inside P10-P90": ["✓" if c else "✗" for c in t["covered"]]}).set_index("Period ending")


def backtest_figures(b: Backtest) -> pd.DataFrame:
    row = b.summary().iloc[0]
    rows = {"Periods": f"{int(row['periods'])}",
            "Inside P10-P90": f"{int(row['covered'])} ({percent(row['coverage'], 0)} +- "
                              f"{percent(row['coverage_se'], 0)}; 80 % if calibrated)",
            "Below P10": percent(row["below_p10"], 0), "Above P90": percent(row["above_p90"], 0),
            "P50: mean absolute error": percent(row["mape_p50"]),
            "P50: bias (total forecast / total booked - 1)": f"{row['bias_p50']:+.1%}",
            "Weighted: mean absolute error": percent(row["mape_weighted"]),
            "Weighted: bias": f"{row['bias_weighted']:+.1%}"}
    return pd.DataFrame({"Value": list(rows.values())}, index=pd.Index(list(rows),
                                                                       name="Backtest"))
