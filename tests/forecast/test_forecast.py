"""Pipeline forecast: the Monte Carlo against exact moments and a hand-enumerated example,
the snapshot rebuilt from a hand-made stage history, calibration against the synthetic
generator's known truth, no look-ahead, backtest coverage, seeds, bad input, the CLI.

Statistical checks use 4 standard errors; each SE is worked out in a comment.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import vl_convert
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_notebook

from spmsim import forecast as fc
from spmsim.cli import main
from spmsim.data.crm import read_history
from spmsim.errors import InputError
from spmsim.report import charts
from spmsim.synthetic.history import (
    HistoryParams,
    cycle_survival,
    synthetic_history,
    write_history,
)

# ---------------------------------------------------------------- the Monte Carlo


def _cumulants(p, a, rate=0.0, sizes=()):
    """Mean, variance and 4th cumulant of sum_i a_i Bernoulli(p_i) + compound Poisson.

    Bernoulli(p): k2 = p q, k4 = p q (1 - 6 p q). Compound Poisson(rate, X): k_r = rate E[X^r].
    Cumulants of independent parts add; a scale a multiplies k_r by a^r."""
    p, a, sizes = np.asarray(p), np.asarray(a), np.asarray(sizes, dtype=float)
    pq = p * (1 - p)
    k1 = np.sum(p * a) + (rate * sizes.mean() if sizes.size else 0.0)
    k2 = np.sum(pq * a ** 2) + (rate * np.mean(sizes ** 2) if sizes.size else 0.0)
    k4 = np.sum(pq * (1 - 6 * pq) * a ** 4) + (rate * np.mean(sizes ** 4) if sizes.size else 0.0)
    return k1, k2, k4


def _check_moments(draws, k1, k2, k4):
    """Sample mean and variance within 4 SE of the exact ones.

    SE(mean) = sqrt(k2 / n). SE(sample variance) = sqrt((mu4 - sigma^4) / n) with
    mu4 = k4 + 3 k2^2, i.e. sqrt((k4 + 2 k2^2) / n)."""
    n = draws.size
    assert abs(draws.mean() - k1) < 4 * math.sqrt(k2 / n)
    assert abs(draws.var(ddof=1) - k2) < 4 * math.sqrt((k4 + 2 * k2 ** 2) / n)


def test_three_deals_exact_enumeration():
    """Deals won with p = 0.5, 0.2, 0.9 for 100, 200, 50: every one of the 8 outcomes."""
    p, a = np.array([0.5, 0.2, 0.9]), np.array([100.0, 200.0, 50.0])
    by_hand = {0: 0.04, 100: 0.04, 200: 0.01, 50: 0.36, 300: 0.01, 150: 0.36, 250: 0.09,
               350: 0.09}  # e.g. 50 = lose, lose, win: 0.5 * 0.8 * 0.9 = 0.36
    exact = {}
    for wins in itertools.product([0, 1], repeat=3):
        w = np.array(wins)
        exact[float(w @ a)] = float(np.prod(np.where(w, p, 1 - p)))
    assert exact == pytest.approx({float(k): v for k, v in by_hand.items()})
    mean = sum(k * v for k, v in exact.items())
    var = sum(k ** 2 * v for k, v in exact.items()) - mean ** 2
    assert mean == pytest.approx(135.0) == pytest.approx(np.sum(p * a))  # 50 + 40 + 45
    assert var == pytest.approx(9125.0) == pytest.approx(np.sum(p * (1 - p) * a ** 2))
    n = 200_000
    draws = fc.simulate_bookings(p, a, n, seed=3)
    for total, prob in exact.items():  # SE of a frequency: sqrt(q (1 - q) / n)
        assert abs(np.mean(draws == total) - prob) < 4 * math.sqrt(prob * (1 - prob) / n)
    assert set(np.unique(draws)) == set(exact)
    _check_moments(draws, *_cumulants(p, a))
    # CDF: 0 .04, 50 .40, 100 .44, 150 .80: P10 = 50 and P50 = 150
    assert np.quantile(draws, 0.1) == 50 and np.quantile(draws, 0.5) == 150


@pytest.mark.parametrize("with_new", [False, True], ids=["pipeline", "pipeline+new"])
def test_mean_and_variance_match_sum_pa_and_sum_pqa2(with_new):
    rng = np.random.default_rng(11)
    p, a = rng.uniform(0, 1, 60), rng.lognormal(10, 1, 60)
    rate, sizes = (2.5, rng.lognormal(9.5, 0.8, 40)) if with_new else (0.0, ())
    draws = fc.simulate_bookings(p, a, 100_000, seed=5, new_rate=rate, new_sizes=sizes)
    _check_moments(draws, *_cumulants(p, a, rate, sizes))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.3, 1.0]), st.floats(0, 1e6)),
                min_size=1, max_size=8), st.integers(1, 600))
def test_bookings_are_sums_of_some_deals(deals, trials):
    """Every draw lies in [sum of certain wins, sum of all amounts]; p = 0 never wins and
    p = 1 always does."""
    p, a = np.array([d[0] for d in deals]), np.array([d[1] for d in deals])
    draws = fc.simulate_bookings(p, a, trials, seed=1)
    assert draws.shape == (trials,)
    assert np.all(draws >= a[p == 1].sum() - 1e-6) and np.all(draws <= a[p > 0].sum() + 1e-6)


def test_same_seed_same_numbers_and_blocks_do_not_depend_on_trials():
    p, a = np.linspace(0.1, 0.9, 25), np.linspace(1e3, 9e4, 25)
    first = fc.simulate_bookings(p, a, 1000, seed=42, new_rate=1.0, new_sizes=[5e3, 7e3])
    again = fc.simulate_bookings(p, a, 1000, seed=42, new_rate=1.0, new_sizes=[5e3, 7e3])
    fewer = fc.simulate_bookings(p, a, 300, seed=42, new_rate=1.0, new_sizes=[5e3, 7e3])
    other = fc.simulate_bookings(p, a, 1000, seed=43, new_rate=1.0, new_sizes=[5e3, 7e3])
    assert np.array_equal(first, again) and np.array_equal(first[:300], fewer)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("bad", [dict(p=[1.2], a=[1.0]), dict(p=[0.5], a=[np.nan]),
                                 dict(p=[0.5, 0.5], a=[1.0]), dict(p=[0.5], a=[1.0], trials=0),
                                 dict(p=[0.5], a=[1.0], new_rate=1.0)])
def test_simulate_bookings_refuses_bad_arguments(bad):
    with pytest.raises(ValueError):
        fc.simulate_bookings(bad["p"], bad["a"], bad.get("trials", 10),
                             new_rate=bad.get("new_rate", 0.0))


# ---------------------------------------------------------------- a hand-made history

OPPS = """Id,OwnerId,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon,Type
E,R1,Closed Lost,10,2025-12-01,2025-12-15,true,false,New Business
A,R1,Closed Won,130,2026-01-05,2026-02-10,true,true,New Business
B,R1,Closed Lost,200,2026-01-10,2026-01-25,true,false,Renewal
C,R1,Proposal,300,2026-02-01,2026-03-31,false,false,New Business
D,R1,Qualification,60,2026-01-31,2026-03-20,false,false,Existing Business
F,R1,Prospecting,80,2026-03-05,2026-05-31,false,false,New Business
"""
# A: Prospecting -> Qualification (amount and close date change) -> won on 02-10.
# B: lost on 01-25. C: Prospecting, then Proposal on 02-15. D: two rows on 01-31 (the
# later one counts), then its expected close passes and slips on 02-21. F: after 02-28.
STAGE_HISTORY = """OpportunityId,StageName,Amount,CloseDate,CreatedDate
E,Prospecting,10,2025-12-31,2025-12-01
E,Closed Lost,10,2025-12-15,2025-12-15
A,Prospecting,100,2026-03-31,2026-01-05
A,Qualification,120,2026-03-15,2026-01-20
A,Closed Won,130,2026-02-10,2026-02-10
B,Prospecting,200,2026-02-28,2026-01-10
B,Closed Lost,200,2026-01-25,2026-01-25
C,Prospecting,300,2026-04-30,2026-02-01
C,Proposal,300,2026-03-31,2026-02-15
D,Qualification,50,2026-02-15,2026-01-31
D,Qualification,60,2026-02-20,2026-01-31
D,Qualification,60,2026-03-20,2026-02-21
F,Prospecting,80,2026-05-31,2026-03-05
"""
ROSTER = "Id,Name,Role,StartDate,EndDate\nR1,Ann,AE,2025-01-01,\n"


@pytest.fixture
def tiny(tmp_path) -> Path:
    (tmp_path / "opportunities.csv").write_text(OPPS)
    (tmp_path / "stage_history.csv").write_text(STAGE_HISTORY)
    (tmp_path / "roster.csv").write_text(ROSTER)
    return tmp_path


def _deals(snap: fc.Snapshot) -> list[tuple]:
    d = snap.deals.sort_values("Id")
    return [(r.Id, None if pd.isna(r.StageName) else r.StageName, r.Amount,
             "" if pd.isna(r.CloseDate) else f"{r.CloseDate:%Y-%m-%d}")
            for r in d.itertuples()]


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2026-01-15", [("A", "Prospecting", 100, "2026-03-31"), ("B", "Prospecting", 200,
                                                              "2026-02-28")]),
    ("2026-01-31", [("A", "Qualification", 120, "2026-03-15"),
                    ("D", "Qualification", 60, "2026-02-20")]),
    ("2026-02-10", [("C", "Prospecting", 300, "2026-04-30"),
                    ("D", "Qualification", 60, "2026-02-20")]),
    ("2026-02-28", [("C", "Proposal", 300, "2026-03-31"),
                    ("D", "Qualification", 60, "2026-03-20")]),
])
def test_snapshot_rebuilds_the_pipeline_of_the_day(tiny, as_of, expected):
    snap = fc.snapshot(read_history(tiny), as_of)
    assert snap.reconstructed and _deals(snap) == expected


def test_snapshot_by_stage_in_stage_order(tiny):
    table = fc.snapshot(read_history(tiny), "2026-02-28").by_stage()
    assert table.to_dict("list") == {"stage": ["Qualification", "Proposal"], "deals": [1, 1],
                                     "amount": [60.0, 300.0]}


def test_snapshot_without_stage_history_reads_no_outcome_and_says_so(tiny):
    """Dates only: a deal's stage is its age band, its amount the expected one (the median
    won amount: A's 130, the only win), its expected close unknown; A was won on 02-10
    with 130 and B lost with 200, but neither outcome shows on 01-31."""
    (tiny / "stage_history.csv").unlink()
    with pytest.warns(UserWarning, match="no stage history.*approximated from created and "
                                         "close dates"):
        snap = fc.snapshot(read_history(tiny), "2026-01-31")
    assert not snap.reconstructed
    assert [(d[0], d[1], d[2]) for d in _deals(snap)] == [
        ("A", "open 0-30 days", 130), ("D", "open 0-30 days", 130)]
    assert snap.deals["CloseDate"].isna().all()
    with pytest.warns(UserWarning):
        early = fc.snapshot(read_history(tiny), "2026-01-15")
    assert _deals(early)[1][:3] == ("B", "open 0-30 days", 130)  # not its 200, lost later


def test_actual_bookings_counts_wins_after_as_of_up_to_period_end(tiny):
    h = read_history(tiny)
    assert fc.actual_bookings(h, "2026-02-09", "2026-02-10") == 130
    assert fc.actual_bookings(h, "2026-02-10", "2026-03-31") == 0


def test_calibration_counts_by_stage_and_bucket_by_hand(tiny):
    """Four windows of 14 days ending 2026-02-28 (the record is complete from E's close on
    2025-12-15): (02-14, 02-28], (01-31, 02-14], (01-17, 01-31], (01-03, 01-17]."""
    cal = fc.fit_win_rates(read_history(tiny), "2026-02-28", "2026-03-14", windows=4,
                       min_windows=4, prior=0.0)
    t = cal.table.set_index(["stage", "bucket"])
    # open at 02-14: C Prospecting (expected 04-30: later), D Qualification (02-20: in)
    # open at 01-31: A Qualification (03-15: later; won 02-10, inside), D (02-20: later)
    # open at 01-17: A Prospecting (03-31: later), B Prospecting (02-28: later; lost 01-25)
    # open at 01-03: none (A was created 01-05)
    assert t.loc[("Prospecting", "later"), ["open", "closed", "won"]].tolist() == [3, 1, 0]
    assert t.loc[("Qualification", "later"), ["open", "closed", "won"]].tolist() == [2, 1, 1]
    assert t.loc[("Qualification", "in period"), ["open", "closed", "won"]].tolist() == [1, 0, 0]
    assert t["open"].sum() == 6 and t["won"].sum() == 1
    assert t.loc[("Qualification", "in period"), "slip_rate"] == 1.0
    assert t.loc[("Qualification", "later"), ["slip_rate", "win_rate", "p"]].tolist() == \
        [0.5, 1.0, 0.5]  # p = (1 - slip) x win_rate = won / open
    assert cal.windows["open"].tolist() == [2, 2, 2, 0]
    # created and won inside a window: none (A was created 01-05 and won 02-10)
    assert cal.new_rate == 0 and cal.expected_new == 0


def test_shrinkage_pulls_thin_cells_toward_the_stage_rate(tiny):
    cal = fc.fit_win_rates(read_history(tiny), "2026-02-28", "2026-03-14", windows=4,
                       min_windows=4, prior=2.0)
    t = cal.table.set_index(["stage", "bucket"])["p"]
    p_all = 1 / 6  # 1 won of 6 deal-windows
    p_qual = (1 + 2 * p_all) / (3 + 2)  # Qualification: 1 won of 3, shrunk by 2 toward 1/6
    assert t[("Qualification", "later")] == pytest.approx((1 + 2 * p_qual) / (2 + 2))
    assert t[("Negotiation", "in period")] == pytest.approx(p_all)  # no data: the overall


# ---------------------------------------------------------------- synthetic history

@pytest.fixture(scope="module")
def synth():
    return synthetic_history(HistoryParams(seed=7, months=48))


def test_calibrated_win_probabilities_match_the_generators_truth(synth):
    """In the generator a deal spends Exp(days_k) in stage k and moves on with to_next_k;
    moving on from the last stage wins. So P(won within L days | in stage k) =
    prod_{j>=k} to_next_j x P(sum_{j>=k} Exp(days_j) <= L) (memoryless: age does not
    matter). Over 40 monthly windows each stage has 650-1,800 deal-windows; SE of a share
    sqrt(p (1 - p) / n) (a deal seen in two windows is rare: stages last 12-20 days)."""
    params = HistoryParams(seed=7, months=48)
    cal = fc.fit_win_rates(synth, "2028-12-31", "2029-01-31", windows=40)
    assert len(cal.windows) == 40
    counts = cal.table.groupby("stage", sort=False)[["open", "won"]].sum()
    for k, stage in enumerate(params.stages):
        rest = params.stages[k:]
        truth = math.prod(s.to_next for s in rest) * \
            (1 - cycle_survival([s.days for s in rest], 31.0, 2)[1])
        n, won = counts.loc[stage.name]
        assert abs(won / n - truth) < 4 * math.sqrt(truth * (1 - truth) / n), stage.name


def test_snapshot_on_the_export_day_is_the_open_opportunities(synth):
    """Rebuilt from the stage history, the pipeline on the last day equals the current
    fields of the opportunities still open."""
    end = synth.as_of
    snap = fc.snapshot(synth, end).deals.set_index("Id").sort_index()
    now = synth.opportunities[~synth.opportunities["IsClosed"]].set_index("Id").sort_index()
    assert snap.index.equals(now.index) and len(snap) > 50
    for column in ("StageName", "Amount", "CloseDate"):
        assert snap[column].tolist() == now[column].tolist(), column


def test_forecast_moments_match_its_exact_mean_and_variance(synth):
    """The forecast's draws against its weighted point forecast (sum p a + lam E[X]) and
    its exact variance: the independent-deal variance k2 (from the cumulants) times the
    dispersion d, under a period factor F = exp(tau z - tau^2/2) (E[F] = 1, E[F^2] =
    e^tau^2): Var = e^tau^2 d k2 + (e^tau^2 - 1) k1^2. The sample variance's SE from the
    sample's own 4th central moment, sqrt((m4 - s^4) / n)."""
    f = fc.forecast(synth, "2028-06-30", "2028-07-31", trials=50_000, seed=9)
    p, a = f.deals["p"].to_numpy(), f.deals["Amount"].to_numpy()
    assert f.weighted_open == pytest.approx(np.sum(p * a))
    k1, k2, k4 = _cumulants(p, a, f.calibration.new_rate, f.calibration.new_sizes)
    effect = f.calibration.period
    f2 = math.exp(effect.tau ** 2)
    assert f.weighted == pytest.approx(k1)
    assert f.variance == pytest.approx(f2 * effect.dispersion * k2 + (f2 - 1) * k1 ** 2)
    d, n = f.draws, f.draws.size
    assert abs(d.mean() - k1) < 4 * math.sqrt(f.variance / n)
    m4 = np.mean((d - d.mean()) ** 4)
    assert abs(d.var(ddof=1) - f.variance) < 4 * math.sqrt((m4 - d.var() ** 2) / n)
    s = f.summary().iloc[0]
    assert s["p10"] < s["p50"] < s["p90"] and s["trials"] == 50_000 and s["reconstructed"]


def test_period_factor_and_dispersion_moments_against_closed_forms():
    """simulate_bookings with a period factor (tau) or a dispersion d: mean unchanged,
    variance e^tau^2 k2 + (e^tau^2 - 1) k1^2, or d k2; 200,000 trials, 4 SE."""
    p, a = np.array([0.2, 0.5, 0.9, 0.35]), np.array([100.0, 40.0, 70.0, 300.0])
    k1, k2, k4 = _cumulants(p, a)
    plain = fc.simulate_bookings(p, a, 200_000, seed=1)
    for kwargs, var in (({"tau": 0.3}, math.exp(0.09) * k2 + math.expm1(0.09) * k1 ** 2),
                        ({"dispersion": 0.5}, 0.5 * k2)):
        d = fc.simulate_bookings(p, a, 200_000, seed=1, **kwargs)
        n, m4 = d.size, np.mean((d - d.mean()) ** 4)
        assert abs(d.mean() - k1) < 4 * math.sqrt(var / n), kwargs
        assert abs(d.var(ddof=1) - var) < 4 * math.sqrt((m4 - d.var() ** 2) / n), kwargs
    assert np.array_equal(plain, fc.simulate_bookings(p, a, 200_000, seed=1, tau=0.0))


def test_forecast_same_seed_same_numbers(synth):
    one = fc.forecast(synth, "2028-06-30", "2028-07-31", trials=2_000, seed=4)
    two = fc.forecast(synth, "2028-06-30", "2028-07-31", trials=2_000, seed=4)
    three = fc.forecast(synth, "2028-06-30", "2028-07-31", trials=2_000, seed=5)
    assert np.array_equal(one.draws, two.draws)
    pd.testing.assert_frame_equal(one.summary(), two.summary())
    assert not np.array_equal(one.draws, three.draws)


def _future_changed(h, as_of: str):
    """A copy of `h` with everything after as_of changed: later opportunities, the
    outcomes, amounts and dates of deals closed after as_of, later stage-history rows."""
    day = pd.Timestamp(as_of)
    o, sh = h.opportunities.copy(), h.stage_history.copy()
    later_close = o["IsClosed"] & (o["CloseDate"] > day)
    o.loc[later_close, "IsWon"] = ~o.loc[later_close, "IsWon"]
    o.loc[later_close, "StageName"] = np.where(o.loc[later_close, "IsWon"], "Closed Won",
                                               "Closed Lost")
    o.loc[later_close, "Amount"] *= 3
    o.loc[later_close, "CloseDate"] += pd.Timedelta(days=5)
    o.loc[o["CreatedDate"] > day, "Amount"] *= 7
    late = sh["CreatedDate"] > day
    sh.loc[late, "Amount"] *= 3
    sh.loc[late, "CloseDate"] += pd.Timedelta(days=40)
    sh = sh.drop(index=sh.index[late][::3])
    return replace(h, opportunities=o, stage_history=sh)


def test_no_look_ahead_later_rows_do_not_change_the_forecast(synth):
    as_of, end = "2027-09-30", "2027-10-31"
    changed = _future_changed(synth, as_of)
    assert fc.actual_bookings(changed, as_of, end) != fc.actual_bookings(synth, as_of, end)
    one = fc.forecast(synth, as_of, end, trials=2_000, seed=1)
    two = fc.forecast(changed, as_of, end, trials=2_000, seed=1)
    pd.testing.assert_frame_equal(one.calibration.table, two.calibration.table)
    pd.testing.assert_frame_equal(one.deals, two.deals)
    assert np.array_equal(one.draws, two.draws)
    # the control: changing the past (outcomes closed before as_of) does change it
    o = synth.opportunities.copy()
    past = o["IsClosed"] & (o["CloseDate"] <= pd.Timestamp(as_of)) & \
        (o["CloseDate"] > pd.Timestamp(as_of) - pd.Timedelta(days=90))
    o.loc[past, "IsWon"] = ~o.loc[past, "IsWon"]
    three = fc.forecast(replace(synth, opportunities=o), as_of, end, trials=2_000, seed=1)
    assert not np.array_equal(one.draws, three.draws)


COVERAGE_SEEDS = (2025, 2026)  # two 48-month histories: 44 monthly periods each


@pytest.mark.slow
def test_backtest_p10_p90_covers_actuals_in_70_to_90_percent_of_88_periods():
    """88 monthly periods (2 synthetic histories x 44 periods with 3 months of history
    before them). A calibrated 80 % band covers Binomial(88, 0.8) / 88 periods: SE
    sqrt(0.8 x 0.2 / 88) = 0.043, so [0.70, 0.90] is +-2.3 SE (a calibrated model passes
    with probability 0.98), while a band covering only 60 % would pass with probability
    0.03 (SE 0.052, 0.70 is 1.9 SE above). Measured on these two with the period factor
    (no period effects in these histories): 75 of 88, 0.85."""
    parts = [fc.backtest(synthetic_history(HistoryParams(seed=s, months=48)), trials=2_000,
                         seed=s, progress=False).periods for s in COVERAGE_SEEDS]
    periods = pd.concat(parts, ignore_index=True)
    assert len(periods) == 88
    summary = fc.backtest_summary(periods).iloc[0]
    assert 0.70 <= summary["coverage"] <= 0.90, summary.to_dict()
    assert abs(summary["bias_p50"]) < 0.05  # total P50 within 5 % of total bookings


def test_backtest_rows_and_summary(synth):
    bt = fc.backtest(synth, start="2027-01-01", end="2027-06-30", trials=500, seed=2,
                     progress=False)
    p = bt.periods
    assert [f"{d:%Y-%m-%d}" for d in p["as_of"]] == ["2027-01-31", "2027-02-28", "2027-03-31",
                                                     "2027-04-30", "2027-05-31", "2027-06-30"]
    assert (p["period_end"] > p["as_of"]).all()
    assert p["actual"].tolist() == [fc.actual_bookings(synth, a, e)
                                    for a, e in zip(p["as_of"], p["period_end"], strict=True)]
    assert p["covered"].tolist() == ((p["p10"] <= p["actual"]) & (p["actual"] <= p["p90"])
                                     ).tolist()
    assert bt.table().columns.tolist() == ["as_of", "period_end", "p10", "p50", "p90",
                                          "weighted", "actual", "covered"]
    s = bt.summary().iloc[0]
    assert s["periods"] == 6 and s["coverage"] == p["covered"].mean()
    again = fc.backtest(synth, start="2027-01-01", end="2027-06-30", trials=500, seed=2,
                        progress=False)
    pd.testing.assert_frame_equal(p, again.periods)


def test_periods_need_history_before_them(synth):
    periods = fc.backtest_periods(synth, "quarter")
    first = periods[0][0]
    assert first - 3 * (periods[0][1] - first) >= pd.Timestamp("2025-01-01")
    assert all(e <= pd.Timestamp("2028-12-31") for _, e in periods)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize(("as_of", "end", "where", "says"), [
    ("2024-06-30", "2024-07-31", "as_of", "outside the data"),
    ("2031-01-31", "2031-02-28", "as_of", "outside the data"),
    ("2026-31-12", "2027-01-31", "as_of", "not a date"),
    ("2026-06-30", "2026-06-30", "period_end", "not after as_of"),
    ("2025-02-28", "2025-03-31", "as_of", "calibration needs 3"),
])
def test_bad_dates_are_named(synth, as_of, end, where, says):
    with pytest.raises(InputError, match=f"{where}: .*{says}"):
        fc.forecast(synth, as_of, end, trials=10)


def test_unknown_stage_is_named_with_the_opportunity(synth):
    cal = fc.fit_win_rates(synth, "2028-06-30", "2028-07-31")
    snap = fc.snapshot(synth, "2028-06-30")
    bad = snap.deals.copy()
    bad.loc[bad.index[2], "StageName"] = "Demo"
    with pytest.raises(InputError, match=rf"opportunity {bad['Id'].iloc[2]}: StageName='Demo' "
                       r"is not an open stage \(Prospecting, Qualification"):
        fc.forecast_pipeline(replace(snap, deals=bad), cal, trials=10)


def test_snapshot_and_calibration_must_be_of_the_same_day(synth):
    cal = fc.fit_win_rates(synth, "2028-06-30", "2028-07-31")
    with pytest.raises(ValueError, match="the snapshot is of 2028-05-31 but the calibration"):
        fc.forecast_pipeline(fc.snapshot(synth, "2028-05-31"), cal, trials=10)


def test_backtest_without_stage_history_approximates_from_dates_and_says_so(synth):
    """Dates only (the stage history dropped): the backtest runs on age bands and expected
    amounts, says so once, and no past snapshot shows an amount a later outcome set."""
    dates_only = type(synth)(opportunities=synth.opportunities, roster=synth.roster,
                             stages=synth.stages, source="dates only")
    with pytest.warns(UserWarning, match="approximated from created and close dates"):
        bt = fc.backtest(dates_only, start="2027-06-30", end="2027-09-30", trials=300,
                         seed=1, progress=False)
    assert len(bt.periods) == 4 and not bt.periods["reconstructed"].any()
    f = fc.pipeline.history_frames(dates_only)
    known = f.known_on(pd.Timestamp("2027-06-30"))
    i, _, amount, close = known.open_at(np.datetime64("2027-06-30"))
    expected = dict(zip(f.ids, f.expected, strict=True))
    assert amount.size > 0 and np.array_equal(amount, [expected[x] for x in known.ids[i]])
    assert np.isnat(close).all()


def test_unknown_type_and_freq(synth):
    with pytest.raises(InputError, match="types: no opportunity has Type"):
        fc.forecast(synth, "2028-06-30", "2028-07-31", types=["Upsell"])
    with pytest.raises(InputError, match="freq: 'week'"):
        fc.backtest(synth, freq="week", progress=False)


def test_types_filter_forecasts_only_that_business(synth):
    new = fc.forecast(synth, "2028-06-30", "2028-07-31", trials=200, types=["New Business"])
    ids = set(synth.opportunities.loc[synth.opportunities["Type"] == "New Business", "Id"])
    assert set(new.deals["Id"]) <= ids and len(new.deals) > 0


# ---------------------------------------------------------------- CLI and charts

@pytest.fixture(scope="module")
def history_dir(tmp_path_factory, synth) -> Path:
    folder = tmp_path_factory.mktemp("crm")
    write_history(synth, folder)
    return folder


def test_cli_forecast_writes_outputs_and_is_deterministic(history_dir, tmp_path, capsys):
    args = ["forecast", str(history_dir), "--as-of", "2028-06-30", "--trials", "1000",
            "--seed", "3", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert "P10" in capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    names = ["forecast_summary.csv", "forecast_deals.csv", "forecast_calibration.csv",
             "forecast_windows.csv", "forecast_draws.parquet"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    summary = pd.read_csv(tmp_path / "a" / "forecast_summary.csv")
    assert summary.loc[0, "period_end"] == "2028-07-31"  # the month end after as_of
    direct = fc.forecast(read_history(history_dir), "2028-06-30", "2028-07-31", trials=1000,
                         seed=3)
    assert summary.loc[0, "p50"] == pytest.approx(direct.quantiles["p50"])


def test_cli_backtest_and_bad_input_exit_2(history_dir, tmp_path, capsys):
    out = tmp_path / "bt"
    assert main(["forecast", str(history_dir), "--backtest", "--freq", "quarter", "--trials",
                 "300", "--out", str(out), "--no-progress"]) == 0
    assert "inside P10-P90" in capsys.readouterr().out
    assert len(pd.read_csv(out / "backtest_periods.csv")) > 5
    assert main(["forecast", str(history_dir), "--as-of", "2019-01-01", "--out",
                 str(tmp_path / "x")]) == 2
    assert "as_of: 2019-01-01 is outside the data" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_charts_render_offline(synth):
    f = fc.forecast(synth, "2028-06-30", "2028-07-31", trials=2_000, seed=1)
    bt = fc.backtest(synth, start="2028-01-01", trials=300, progress=False)
    for chart in (charts.forecast_chart(f.distribution(), f.marks()),
                  charts.backtest_chart(bt.periods)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            svg = vl_convert.vegalite_to_svg(chart.to_dict())
        assert svg.count("<path") > 5
    assert f.marks()["mark"].tolist() == ["P10", "P50", "P90", "weighted"]
    assert f.distribution()["share"].sum() == pytest.approx(1.0)


# ---------------------------------------------------------------- the notebook command

@pytest.mark.notebook
def test_notebook_command_takes_a_date_parameter(tmp_path):
    nb = new_notebook(cells=[new_code_cell('day = ""', metadata={"tags": ["parameters"]}),
                             new_code_cell("str(day)")],
                      metadata={"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"}})
    path = tmp_path / "dated.ipynb"
    nbformat.write(nb, path)
    assert main(["notebook", str(path), "-p", "day=2026-06-30", "--reports",
                 str(tmp_path / "reports")]) == 0
    assert "&#39;2026-06-30&#39;" in (tmp_path / "reports" / "dated.html").read_text() or \
        "'2026-06-30'" in (tmp_path / "reports" / "dated.html").read_text()
