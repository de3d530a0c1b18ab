"""Contests in simulation: closed forms for i.i.d. reps, skill, and both engines agreeing.

With n i.i.d. reps whose credit is continuous (no ties) and a top-k contest, every rep wins
with probability k/n and every trial pays exactly the prize list. Tolerance: 4 standard
errors (a binomial proportion's SE = sqrt(p (1 - p) / N)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from spmsim.engines import simulate, simulate_agents
from spmsim.engines.contests import (
    contest_names,
    contest_roles,
    contest_summaries,
    contest_summary,
)
from spmsim.model.scenario import scenario_from_tree

Z = 4.0
N_REPS, TRIALS = 20, 1_000
PRIZES = [10_000, 5_000, 2_500]


def _scenario(skill_sigma: float, contest: dict | None = None, *more: dict):
    components = [{"name": "Commission", "type": "commission", "measure": "new_arr",
                   "weight": 1.0, "tiers": [{"rate": 1.0}]}]
    components.append(contest or {"name": "Q4 push", "type": "contest", "measure": "new_arr",
                                  "periods": [10, 11, 12], "prizes": PRIZES})
    components.extend(more)
    plan = {"plan": "AE", "ote": 200_000, "base_share": 0.5, "year_start": "2027-01-01",
            "components": components}
    return scenario_from_tree({
        "scenario": "contest", "seed": 7, "trials": TRIALS,
        "org": {"roles": {"ae": {"headcount": N_REPS, "plan": plan, "skill_sigma": skill_sigma,
                                 "quota": {"new_arr": 1_000_000}}}},
        "market": {"ae": {"model": "pipeline", "measures": {"new_arr": {
            "deals_per_month": 2.0, "size": {"median": 40_000, "sigma": 0.8}}}}}})


@pytest.fixture(scope="module")
def iid():
    return simulate(_scenario(0.0), progress=False, workers=2)


def test_iid_reps_each_win_with_probability_k_over_n(iid):
    assert contest_roles(iid) == ["ae"]
    reps = iid.reps
    won = reps["contest_prizes"].to_numpy() > 0
    # with 6 expected deals each in Q4, P(no deal in the window) = e^-6 = 0.25 %: fewer than
    # 3 reps in the running has negligible probability at 20 reps
    p = len(PRIZES) / N_REPS  # 3 / 20 = 0.15
    se = math.sqrt(p * (1 - p) / won.size)
    assert abs(won.mean() - p) < Z * se, (won.mean(), p, se)
    # every rep-slot alike: each slot's win rate within 4 SE of 0.15 (1,000 trials each)
    by_slot = reps.assign(won=won).groupby("rep")["won"].mean()
    assert np.all(np.abs(by_slot - p) < Z * math.sqrt(p * (1 - p) / TRIALS))


def test_iid_reps_every_trial_pays_the_prize_list(iid):
    s = contest_summary(iid, "ae")
    assert s.cost["p10"] == s.cost["p50"] == s.cost["p90"] == sum(PRIZES)
    assert s.cost["mean"] == pytest.approx(sum(PRIZES))
    # the prizes are variable pay: the contest adds its cost to the plan's
    per_trial = iid.reps.groupby("trial")["contest_prizes"].sum()
    assert per_trial.to_numpy() == pytest.approx(sum(PRIZES))


def test_with_skill_spread_the_chance_of_winning_rises_with_skill():
    s = contest_summary(simulate(_scenario(0.4), trials=400, progress=False, workers=2), "ae")
    d = s.by_decile
    assert d["decile"].tolist() == list(range(1, 11))
    # top decile vs bottom: far apart (more than 4 SE of the difference)
    top, bottom = d.iloc[-1], d.iloc[0]
    assert top["p_win"] - bottom["p_win"] > Z * math.hypot(top["p_win_se"], bottom["p_win_se"])
    # and rising overall: rank correlation of decile and P(win) near 1
    assert stats.spearmanr(d["decile"], d["p_win"]).statistic > 0.9
    assert s.top_decile_share > 0.1  # the top tenth wins more than its share
    # fewer reps in the race as the window runs; at its end, the share who win
    assert len(s.contention) == 3
    assert s.contention[0] >= s.contention[1] >= s.contention[2]
    assert s.contention[2] == pytest.approx(s.win_share)


def test_a_plan_without_a_contest_has_no_contest_columns():
    plan_only = _scenario(0.0, contest={"name": "SPIF", "type": "spiff",
                                        "measure": "new_arr", "per_deal": 100})
    r = simulate(plan_only, trials=64, progress=False)
    assert contest_roles(r) == [] and "contest_prizes" not in r.reps
    with pytest.raises(ValueError, match="no contest"):
        contest_summary(r, "ae")


@pytest.mark.parametrize("engine", ["montecarlo", "agents"])
def test_every_contest_of_a_plan_has_its_own_figures(engine):
    # a Q1 top-two contest on the same plan as the Q4 top three: with i.i.d. reps and
    # continuous credit each pays its own list every year, Q1 10,000 + 4,000 = 14,000 and
    # Q4 10,000 + 5,000 + 2,500 = 17,500; the rep table's total is their sum, 31,500
    q1 = {"name": "Q1 sprint", "type": "contest", "measure": "new_arr", "periods": [1, 2, 3],
          "prizes": [10_000, 4_000]}
    run = simulate if engine == "montecarlo" else simulate_agents
    r = run(_scenario(0.0, None, q1), trials=48 if engine == "montecarlo" else 6,
            progress=False)
    assert contest_names(r, "ae") == ["Q4 push", "Q1 sprint"]
    q4, first = contest_summaries(r, "ae")
    assert (q4.contest, first.contest) == ("Q4 push", "Q1 sprint")
    assert q4.cost["p10"] == q4.cost["p90"] == 17_500
    assert first.cost["p10"] == first.cost["p90"] == 14_000
    per_trial = r.reps.groupby("trial")["contest_prizes"].sum()
    assert per_trial.to_numpy() == pytest.approx(31_500)
    # three periods in each window; at the end, the share in contention is the share who
    # win: 3 of 20 reps (Q4), 2 of 20 (Q1)
    assert len(q4.contention) == len(first.contention) == 3
    assert q4.contention[-1] == pytest.approx(3 / N_REPS)
    assert first.contention[-1] == pytest.approx(2 / N_REPS)
    with pytest.raises(ValueError, match="2 contests: name one of 'Q4 push', 'Q1 sprint'"):
        contest_summary(r, "ae")
    with pytest.raises(ValueError, match="no contest 'Q3'"):
        contest_summary(r, "ae", "Q3")


@pytest.mark.parametrize("engine", ["montecarlo", "agents"])
def test_a_window_of_whole_months_by_dates_pays_as_its_periods_do(engine):
    # 1 October to 31 December by dates is periods 10-12: every month's share is 1, so the
    # same draws give the same prizes, rep by rep
    run = simulate if engine == "montecarlo" else simulate_agents
    trials = 32 if engine == "montecarlo" else 4
    by_dates = {"name": "Q4 push", "type": "contest", "measure": "new_arr", "prizes": PRIZES,
                "dates": {"start": "2027-10-01", "end": "2027-12-31"}}
    a = run(_scenario(0.0, by_dates), trials=trials, progress=False).reps
    b = run(_scenario(0.0), trials=trials, progress=False).reps
    assert a["contest_prizes"].to_numpy() == pytest.approx(b["contest_prizes"].to_numpy())


def test_the_engines_count_each_months_credit_by_its_days_inside_the_dates():
    from spmsim.calendar import PlanCalendar
    from spmsim.engines.payroll import Draws, _dated_windows
    from spmsim.plans import plan_from_dict
    plan = plan_from_dict({"plan": "P", "ote": 100_000, "base_share": 0.5,
                           "year_start": "2027-01-01", "payout_period": "quarter",
                           "components": [{"name": "Autumn push", "type": "contest",
                                           "measure": "new_arr", "prizes": [1_000],
                                           "dates": {"start": "2027-10-15",
                                                     "end": "2027-11-30"}}]})
    credit = np.full((1, 1, 12), 3_100.0)  # 3,100 every month
    d = Draws(staff=None, credit={"new_arr": credit}, counts={})
    out = _dated_windows(plan, d, PlanCalendar(plan.year_start, "month"), 3)
    # October: 17 of 31 days, 3,100 x 17/31 = 1,700; November whole, 3,100; December
    # none: Q4 holds 4,800, the other quarters nothing
    assert out["Autumn push"][0, 0].tolist() == pytest.approx([0, 0, 0, 4_800])
