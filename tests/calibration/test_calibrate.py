"""Calibration from CRM history: the round trip on synthetic history from known parameters,
the pieces against hand-worked and closed-form values, the written scenario, the CLI."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from spmsim.calibration import calibrate as cb
from spmsim.calibration import fit as ft
from spmsim.cli import main
from spmsim.data.crm import read_history
from spmsim.engines.montecarlo import simulate
from spmsim.model.market import PipelineMarket
from spmsim.model.org import Ramp
from spmsim.model.scenario import load_scenario
from spmsim.synthetic.history import (
    DAYS_PER_MONTH,
    HistoryParams,
    closing_seasonality,
    cycle_survival,
    synthetic_history,
    write_history,
)

from paths import CRM_EXAMPLE, PLANS

PLAN = PLANS / "enterprise_ae.yaml"
TRUTH = HistoryParams(reps=120, seed=7)
NB_SHARE = TRUTH.mix()["New Business"]


@pytest.fixture(scope="module")
def fitted():
    history = synthetic_history(TRUTH)
    cal = cb.calibrate_scenario(history, PLAN, bootstrap=200, seed=1,
                                ramp_curves=(TRUTH.ramp.curve,))
    return history, cal, cal.table().set_index("parameter")


def _truths(p: HistoryParams) -> dict[str, float]:
    nb = p.sizes["New Business"]
    out = {"opportunities_per_month": p.opportunities_per_month, "win_rate": p.win_rate,
           "deals_per_month.new_arr": p.deals_per_month * NB_SHARE,
           "size.new_arr.median": nb.median, "size.new_arr.sigma": nb.sigma,
           "skill_sigma": p.skill_sigma, "ramp.months": p.ramp.months,
           "ramp.start": p.ramp.start, "ramp.loss_months": cb.ramp_loss(p.ramp),
           "attrition.annual": p.attrition, "attrition.backfill_months": p.backfill_months}
    for s in p.stages:
        out[f"stages.{s.name}.days"] = s.days
        out[f"stages.{s.name}.to_next"] = s.to_next
    for m, v in enumerate(p.bookings_seasonality(first_month=1)):
        out[f"seasonality[{m}]"] = v
    return out


def test_calibration_recovers_the_generators_parameters(fitted):
    """Each estimate within 4 standard errors of the truth. The SEs are the calibration's
    own: stage days days/sqrt(exits) and to_next sqrt(p(1-p)/exits) (exponential and
    binomial MLEs); size median x sigma/sqrt(n) and sigma/sqrt(2n) (normal MLE on logs);
    attrition e^-h sqrt(exits)/years (Poisson exits); the rest (creation rate, skill
    spread, ramp, seasonality) from 200 bootstrap resamples of reps; deals_per_month by the
    delta method. 120 seats over two years: about 9,000 opportunities, 90 hires."""
    _, _, table = fitted
    for name, truth in _truths(TRUTH).items():
        est, se = table.loc[name, "estimate"], table.loc[name, "se"]
        assert se > 0, name
        assert abs(est - truth) <= 4 * se, f"{name}: {est:.4g} vs {truth:.4g} (SE {se:.3g})"


def test_standard_errors_are_tight_enough_to_mean_something(fitted):
    """The round trip would pass vacuously with huge SEs: bound each relative SE."""
    _, _, table = fitted
    rel = table["se"] / table["estimate"].abs()
    limits = {"opportunities_per_month": 0.06, "win_rate": 0.04, "skill_sigma": 0.15,
              "ramp.months": 0.15, "attrition.annual": 0.15, "size.new_arr.median": 0.05,
              "seasonality[0]": 0.03}
    for name, limit in limits.items():
        assert rel[name] < limit, f"{name}: relative SE {rel[name]:.3f}"
    assert table.loc["size.new_arr.ks_pvalue", "estimate"] > 0.001  # a true lognormal


def test_stage_standard_errors_are_the_closed_forms(fitted):
    _, _, table = fitted
    for s in TRUTH.stages:
        n = table.loc[f"stages.{s.name}.to_next", "n"]
        p = table.loc[f"stages.{s.name}.to_next", "estimate"]
        days = table.loc[f"stages.{s.name}.days", "estimate"]
        assert table.loc[f"stages.{s.name}.to_next", "se"] == pytest.approx(
            math.sqrt(p * (1 - p) / n))
        assert table.loc[f"stages.{s.name}.days", "se"] == pytest.approx(days / math.sqrt(n))


def test_free_ramp_curve_choice_still_recovers_the_ramp_loss(fitted):
    """With every curve allowed, the months of productivity a hire loses (a curve-free
    summary) is within 4 bootstrap SEs of the truth's 6 x (1 - 0.2) / 2 = 2.4."""
    history, _, _ = fitted
    cal = cb.calibrate_scenario(history, PLAN, bootstrap=100, seed=2)
    row = cal.table().set_index("parameter").loc["ramp.loss_months"]
    assert cb.ramp_loss(TRUTH.ramp) == pytest.approx(2.4, abs=1e-9)
    assert abs(row["estimate"] - 2.4) <= 4 * row["se"]


def test_written_scenario_loads_and_simulates(fitted, tmp_path):
    _, cal, table = fitted
    out = tmp_path / "calibrated" / "scenario.yaml"
    scenario_path, report = cb.write_calibration(cal, out)
    scenario = load_scenario(scenario_path, trials=40)
    role = scenario.org.roles["account_executive"]
    market = scenario.market["account_executive"]
    assert role.headcount == table.loc["headcount", "estimate"]
    assert role.ramp.curve == "linear" and role.attrition.annual == pytest.approx(
        table.loc["attrition.annual", "estimate"], rel=1e-5)
    assert market.measures["new_arr"].count_as == "new_logos"  # the plan's SPIF measure
    assert [s.name for s in market.stages] == [s.name for s in TRUTH.stages]
    assert market.win_rate == pytest.approx(table.loc["win_rate", "estimate"], rel=1e-5)
    assert role.quota["new_arr"] == table.loc["quota.new_arr", "estimate"]
    results = simulate(scenario, progress=False)
    summary = results.summary()
    assert summary.loc["revenue (mean)", "account_executive"] > 0
    payload = json.loads(report.read_text())
    assert payload["complete_from"] == "2025-01-01" and payload["as_of"] == "2026-12-31"
    assert payload["since"] < payload["complete_from"]  # creation counted before the first close
    names = {e["parameter"] for e in payload["estimates"]}
    assert {"skill_sigma", "ramp.months", "size.new_arr.ks_statistic"} <= names


def test_written_scenario_runs_on_the_agent_engine(fitted, tmp_path):
    from spmsim.engines.agents import simulate_agents

    _, cal, _ = fitted
    path, _ = cb.write_calibration(cal, tmp_path / "s.yaml")
    scenario = load_scenario(path, trials=2, overrides={"org.roles.account_executive.headcount":
                                                         8})
    results = simulate_agents(scenario, progress=False, logged_trials=1)
    assert (results.events["event"] == "won").any()


# ---- the pieces -----------------------------------------------------------------------

def test_cycle_survival_matches_the_closed_forms():
    t = np.arange(200) * 0.5
    assert np.allclose(cycle_survival((10.0,), 0.5, 200), np.exp(-t / 10.0), atol=1e-12)
    r1, r2 = 1 / 12.0, 1 / 20.0  # hypoexponential: (r2 e^-r1 t - r1 e^-r2 t) / (r2 - r1)
    closed = (r2 * np.exp(-r1 * t) - r1 * np.exp(-r2 * t)) / (r2 - r1)
    assert np.allclose(cycle_survival((12.0, 20.0), 0.5, 200), closed, atol=1e-12)


def test_flat_creation_closes_flat_and_seasons_shift_by_the_cycle():
    assert np.allclose(closing_seasonality([1.0] * 12, [15, 20]), 1.0, atol=1e-9)
    # one busy month, a short cycle: the closes peak in that month and the next
    creation = [1.0] * 12
    creation[4] = 3.0
    closes = closing_seasonality(creation, [5.0])
    assert np.argmax(closes) == 4 and closes[5] > closes[6] > closes[3]
    assert np.allclose(closing_seasonality(creation, [5.0], first_month=4),
                       np.roll(closes, -3))


def test_closing_seasonality_agrees_with_the_generator_in_a_large_sample():
    """Won closes per day by calendar month of 300 always-present, equal, ramped reps
    against the convolution; each month's count is Poisson: SE = rate / sqrt(count)."""
    p = HistoryParams(reps=300, attrition=0.0, hires=(), skill_sigma=0.0, ramp=Ramp(), seed=5,
                      seasonality=(0.6, 1.0, 1.6, 0.8, 1.0, 1.4, 0.7, 0.8, 1.5, 1.0, 1.1, 0.9))
    o = synthetic_history(p).opportunities
    won = o[o["IsWon"] & (o["CloseDate"] >= pd.Timestamp(p.start))]
    month = won["CloseDate"].dt.month.to_numpy() - 1
    count = np.bincount(month, minlength=12)
    days = 2 * np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    rate = count / days
    got = rate / rate.mean()
    se = got / np.sqrt(count)
    assert np.all(np.abs(got - p.bookings_seasonality()) < 4 * se)


def test_poisson_fit_recovers_noise_free_factors_exactly():
    rng = np.random.default_rng(0)
    exposure = rng.uniform(0.1, 1.0, (5, 12, cb.STEADY_MONTHS + 1))
    s = rng.uniform(0.5, 1.5, 12)
    s = s * cb.YEAR_MONTH_DAYS.sum() / (s * cb.YEAR_MONTH_DAYS).sum()
    g = np.append(np.linspace(0.2, 1.0, cb.STEADY_MONTHS), 1.0)
    counts = exposure * 2.5 * s[:, None] * g[None, :]
    fs, fg, base = ft._poisson_fit(counts, exposure, np.ones((1, 5)))
    assert np.allclose(fs[0], s) and np.allclose(fg[0], g)
    rate, v = ft._rate_and_spread(counts.sum((1, 2)), base, np.ones((1, 5)))
    assert rate[0] == pytest.approx(2.5)


def test_spread_moments_by_hand():
    """Two reps, base exposure 10 each, counts 14 and 26: rate 2, mu 20 each, w 1/2,
    c = 1 - 1 + 1/2 = 1/2, residuals +-6: V = (1/2 (36 + 36) - 1/2 (20 + 20)) /
    (1/2 (400 + 400)) = 16 / 400 = 0.04."""
    rate, v = ft._rate_and_spread(np.array([14.0, 26.0]), np.array([[10.0, 10.0]]),
                                  np.ones((1, 2)))
    assert rate[0] == pytest.approx(2.0) and v[0] == pytest.approx(0.04)


def test_ramp_fit_recovers_a_noise_free_ramp():
    truth = Ramp(months=6.0, curve="linear", start=0.2)
    k = np.arange(cb.STEADY_MONTHS)
    g = np.append([truth.factor(k + (np.arange(8) + 0.5) / 8).mean() for k in k], 1.0)
    ramp, sse = ft._fit_ramp(g, np.full(g.size, 0.01))
    assert (ramp.curve, ramp.months) == ("linear", 6.0) and ramp.start == pytest.approx(0.2)
    assert sse == pytest.approx(0.0, abs=1e-12)
    assert cb.ramp_loss(Ramp()) == 0.0


def test_backfill_is_not_fooled_by_growth_hires():
    """Exits on days 0, 100, 200 (end dates); each seat refilled 61 days later (start =
    end + 1 + 61) and a growth hire on day 30. Matching each exit to the next hire would
    give 29, 31, 61 days; the mixture gives 61 days = 2.004 months."""
    end = np.array([0.0, 100.0, 200.0, np.nan, np.nan, np.nan, np.nan])
    start = np.array([-900.0, -800.0, -700.0, 62.0, 162.0, 262.0, 30.0])
    months, se, n = ft._backfill(start, end, as_of=2000)
    assert months == pytest.approx(61 / DAYS_PER_MONTH, abs=1e-3) and n == 3


def test_role_keys_and_argument_parsing():
    assert cb.role_key("Enterprise AE") == "enterprise_ae" and cb.role_key("2nd line") == \
        "role_2nd_line"
    assert cb.plan_arguments(["a.yaml"]) == Path("a.yaml")
    assert cb.plan_arguments(["SMB AE=b.yaml", "Enterprise AE=a.yaml"]) == {
        "SMB AE": Path("b.yaml"), "Enterprise AE": Path("a.yaml")}
    with pytest.raises(cb.SpmsimError, match="ROLE=PLAN.yaml"):
        cb.plan_arguments(["a.yaml", "b.yaml"])
    assert cb.measure_arguments(["Existing Business=new_arr"])["Existing Business"] == "new_arr"
    with pytest.raises(cb.SpmsimError, match="TYPE=MEASURE"):
        cb.measure_arguments(["Upsell=new_arr"])


def test_each_roster_role_becomes_a_scenario_role(tmp_path):
    history = synthetic_history(HistoryParams(reps=30, seed=3))
    roster = history.roster.copy()
    roster.loc[roster.index % 2 == 1, "Role"] = "SMB AE"
    history = type(history)(opportunities=history.opportunities, roster=roster,
                            stage_history=history.stage_history, stages=history.stages)
    smb = PLANS / "smb_ae.yaml"
    with pytest.raises(cb.SpmsimError, match="no plan for role.*'SMB AE'"):
        cb.calibrate_scenario(history, {"Account Executive": PLAN}, bootstrap=0)
    cal = cb.calibrate_scenario(history, {"Account Executive": PLAN, "SMB AE": smb}, bootstrap=0)
    path, _ = cb.write_calibration(cal, tmp_path / "two.yaml")
    scenario = load_scenario(path)
    assert set(scenario.org.roles) == {"account_executive", "smb_ae"}
    assert scenario.org.roles["smb_ae"].plan.plan != scenario.org.roles[
        "account_executive"].plan.plan


def test_without_stage_history_one_stage_carries_the_win_rate():
    """The cohort win rate (binomial SE) and one stage whose length is the won cycle."""
    history = synthetic_history(HistoryParams(reps=80, seed=9))
    history = type(history)(opportunities=history.opportunities, roster=history.roster)
    cal = cb.calibrate_scenario(history, PLAN, bootstrap=0)
    fit = cal.roles["Account Executive"]
    assert [s["name"] for s in fit.stages] == ["Open"]
    row = cal.table().set_index("parameter").loc["win_rate"]
    truth = HistoryParams().win_rate
    assert abs(row["estimate"] - truth) <= 4 * row["se"]
    assert fit.stages[0]["days"] == pytest.approx(sum(s.days for s in HistoryParams().stages),
                                                  rel=0.15)


# ---- the command line -----------------------------------------------------------------

def test_cli_calibrates_the_shipped_example(tmp_path, capsys):
    out = tmp_path / "scenario.yaml"
    assert main(["calibrate", str(CRM_EXAMPLE), "--out", str(out), "--plan", str(PLAN),
                 "--bootstrap", "20", "--quota", "new_arr=1000000"]) == 0
    text = capsys.readouterr().out
    assert "Enterprise AE (in the scenario file as role enterprise_ae)" in text
    assert "wrote" in text
    # figures in words and units, not field paths and raw floats
    assert re.search(r"Win rate\s+\d+\.\d% ± \d\.\d%\s+n = [\d,]+", text)
    assert re.search(r"Deal size, median, new ARR\s+\$[\d,]+ ± \$[\d,]+", text)
    assert "Quota a rep, new ARR" in text and "$1,000,000" in text
    shown = text.replace("role enterprise_ae", "").split("wrote")[0]
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", shown), shown
    assert not re.search(r"\d\.\d{4,}", shown)
    tree = yaml.safe_load(out.read_text())
    assert tree["org"]["roles"]["enterprise_ae"]["quota"] == {"new_arr": 1_000_000.0}
    assert (tmp_path / "scenario.calibration.json").is_file()
    load_scenario(out)


def test_cli_refuses_bad_rows_and_writes_nothing(tmp_path, capsys):
    history = synthetic_history(HistoryParams(reps=20, seed=4))
    folder = tmp_path / "h"
    write_history(history, folder)
    path = folder / "opportunities.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[10, "CloseDate"] = "soon"
    df.to_csv(path, index=False)
    out = tmp_path / "out" / "s.yaml"
    assert main(["calibrate", str(folder), "--out", str(out), "--bootstrap", "0"]) == 2
    assert "line 12, CloseDate='soon': not a date" in capsys.readouterr().err
    assert not out.parent.exists()
    assert main(["calibrate", str(folder), "--out", str(out), "--bootstrap", "0",
                 "--drop-bad"]) == 0
    assert read_history(folder, drop_bad=True).report.bad["opportunities.csv"] == 1


# ---- the market model: creation rates that close at the seasonality ---------------------

def test_creation_rates_of_a_flat_season_are_the_month_rates():
    market = PipelineMarket(measures={"new_arr": {"deals_per_month": 1.0,
                                                  "size": {"median": 1.0, "sigma": 1.0}}},
                            stages=[{"name": "a", "days": 30, "to_next": 0.5},
                                    {"name": "b", "days": 30, "to_next": 0.5}])
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
    assert np.allclose(market.creation_rates(days), market.month_rates(days), rtol=0.02)
