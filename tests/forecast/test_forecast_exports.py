"""The forecast on what real exports show: the public Maven export (no stage history,
quarter-end peaks) backtested from its dates alone, and synthetic histories generated with
period effects, whose P10-P90 band must hold 70-90 % of the actuals."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from spmsim import forecast as fc
from spmsim.cli import main
from spmsim.data.crm import read_history
from spmsim.synthetic.history import HistoryParams, synthetic_history

from paths import TEST_DATA

MAVEN = TEST_DATA / "crm_exports" / "maven_crm_sales_opportunities"
PRICES = {"Basic": 550, "Plus Basic": 1100, "Pro": 4800, "Plus Pro": 5500, "Special": 55,
          "Advanced": 3400, "Enterprise": 26800}
WEIGHTS = {"Basic": 0.22, "Plus Basic": 0.15, "Pro": 0.17, "Plus Pro": 0.11, "Special": 0.19,
           "Advanced": 0.155, "Enterprise": 0.005}


@pytest.fixture(scope="module")
def maven():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return read_history(MAVEN)


@pytest.fixture(scope="module")
def maven_backtest(maven):
    with pytest.warns(UserWarning, match="approximated from created and close dates"):
        return fc.backtest(maven, trials=1000, seed=0, progress=False)


@pytest.mark.slow
def test_maven_backtest_covers_70_to_90_percent(maven_backtest):
    """Before: 2 of 7 months inside the band (the issue's report; independent deals with
    pooled probabilities on the same dates-only approximation: 1 of 7). Now 7 monthly
    periods (as_of May-Nov 2017), each forecast from what was known then: the band must
    hold 5 or 6 of them (71-86 %), and the reported interval is the exact binomial one."""
    s = maven_backtest.summary().iloc[0]
    assert s["periods"] == 7 and 5 <= s["covered"] <= 6, maven_backtest.periods
    lo, hi = fc.binomial_interval(int(s["covered"]), 7)
    assert (s["coverage_lo"], s["coverage_hi"]) == pytest.approx((lo, hi))
    assert lo < 0.8 < hi
    q = fc.quantile_calibration(maven_backtest.periods)
    assert list(q["quantile"]) == ["P10", "P50", "P90"] and list(q["nominal"]) == [.1, .5, .9]
    assert (q["low"] <= q["observed"]).all() and (q["observed"] <= q["high"]).all()
    assert maven_backtest.periods["pit"].between(0, 1).all()


@pytest.mark.slow
def test_quarter_phase_is_fitted_once_each_month_of_the_quarter_has_two_windows(maven):
    """Maven books little from its open pipeline in the first month of a quarter and most
    in the third: once March..August are known, September (a third month) is calibrated
    on March and June, and its probabilities differ from the pooled ones."""
    with pytest.warns(UserWarning):
        sep = fc.forecast(maven, "2017-08-31", "2017-09-30", trials=500, seed=1)
    with pytest.warns(UserWarning):
        jul = fc.forecast(maven, "2017-06-30", "2017-07-31", trials=500, seed=1)
    assert sep.calibration.period.phase == 2 and jul.calibration.period.phase is None
    by = sep.calibration.period.by_phase
    assert by[2] > by[0]  # quarter ends book more than the model pooled over months says
    assert "month of the quarter" in sep.text()


@pytest.mark.slow
def test_cli_backtest_runs_on_the_export(tmp_path, capsys):
    assert main(["forecast", str(MAVEN), "--backtest", "--out", str(tmp_path), "--trials",
                 "300", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "95% interval" in out and "below P50" in out
    assert (tmp_path / "backtest_periods.csv").is_file()


def test_snapshots_never_show_a_later_outcome(maven):
    """Dates only: a deal lost later shows its expected amount (its product's median won
    amount), not the 0 the export records once it is lost."""
    f = fc.pipeline.history_frames(maven)
    day = np.datetime64("2017-06-30")
    known = f.known_on(pd.Timestamp(day))
    i, stage, amount, _ = known.open_at(day)
    lost_later = known.ids[i][~known.won[i]]
    assert lost_later.size > 0 and (amount > 0).all()
    assert set(stage) <= set(range(len(fc.pipeline.AGE_STAGES)))


@pytest.mark.slow
def test_backtest_with_period_effects_covers_70_to_90_percent():
    """Six synthetic histories (36 months, 40 reps) with quarter-end holds (60 % of won
    deals wait for the quarter's last day), a monthly creation factor (CV 0.15), a skewed
    price list and no stage history: 192 monthly periods. A calibrated band covers
    Binomial(192, 0.8) / 192, SE 0.029, so [0.70, 0.90] is -3.5 / +3.5 SE. Measured: 167
    of 192 (87 %). Independent deals with pooled probabilities (no phase, no period
    factor) cannot pass: months after a quarter end book a fraction of the pooled
    expectation, quarter ends several times it."""
    parts = []
    for seed in range(1, 7):
        p = HistoryParams(reps=40, months=36, seed=seed, quarter_end_pull=0.6,
                          period_dispersion=0.15, price_list=PRICES, price_weights=WEIGHTS,
                          stage_history=False, blank_open_amounts=True,
                          undated_open_share=0.3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            parts.append(fc.backtest(synthetic_history(p), trials=1000, seed=seed,
                                     progress=False).periods)
    periods = pd.concat(parts, ignore_index=True)
    s = fc.backtest_summary(periods).iloc[0]
    assert s["periods"] == 192
    assert 0.70 <= s["coverage"] <= 0.90, s.to_dict()
