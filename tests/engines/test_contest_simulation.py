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

from spmsim.engines import simulate
from spmsim.engines.contests import contest_roles, contest_summary
from spmsim.model.scenario import scenario_from_tree

Z = 4.0
N_REPS, TRIALS = 20, 1_000
PRIZES = [10_000, 5_000, 2_500]


def _scenario(skill_sigma: float, contest: dict | None = None):
    components = [{"name": "Commission", "type": "commission", "measure": "new_arr",
                   "weight": 1.0, "tiers": [{"rate": 1.0}]}]
    components.append(contest or {"name": "Q4 push", "type": "contest", "measure": "new_arr",
                                  "periods": [10, 11, 12], "prizes": PRIZES})
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
