"""Contests on growth in simulation: last year's bookings are the seat's territory history.

With every territory alike and one history for all, growth ranks as credit does, so a
growth contest pays exactly what a credit contest pays on the same draws (common random
numbers). A seat with a smaller history grows more for the same bookings and wins more
often; a new hire has no last year and never wins.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from spmsim.engines import simulate, simulate_agents
from spmsim.engines.contests import contest_summary
from spmsim.errors import SpmsimError
from spmsim.model.scenario import load_scenario

from territory_helpers import write_accounts

SEATS = 10
PRIZES = [10_000, 5_000, 2_500]


def _scenario(tmp_path, history: list[float], rank_by: str = "growth", hires: int = 0,
              territory: bool = True):
    write_accounts(tmp_path, history + [100_000.0] * hires)
    plan = {"plan": "AE", "ote": 150_000, "base_share": 0.5, "year_start": "2027-01-01",
            "components": [
                {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 1.0,
                 "tiers": [{"rate": 1.0}]},
                {"name": "Q4 growth", "type": "contest", "measure": "new_arr",
                 "rank_by": rank_by, "periods": [10, 11, 12], "prizes": PRIZES}]}
    role = {"headcount": SEATS, "plan": plan, "quota": {"new_arr": 500_000}}
    if territory:
        role["territory"] = {"accounts": "accounts.csv", "elasticity": 1.0}
    if hires:
        role["hires"] = [{"month": 2, "count": hires}]
    tree = {"scenario": "growth contest", "seed": 5, "trials": 200,
            "org": {"roles": {"ae": role}},
            "market": {"ae": {"model": "pipeline", "measures": {"new_arr": {
                "deals_per_month": 2.0, "size": {"median": 20_000, "sigma": 0.8}}}}}}
    path = tmp_path / f"{rank_by}.yaml"
    path.write_text(yaml.safe_dump(tree))
    return load_scenario(path)


@pytest.mark.parametrize("run", [simulate, simulate_agents])
def test_with_one_history_for_all_growth_pays_as_credit_does(tmp_path, run):
    trials = 64 if run is simulate else 6
    same = [300_000.0] * SEATS
    growth = run(_scenario(tmp_path, same), trials=trials, progress=False).reps
    credit = run(_scenario(tmp_path, same, "credit"), trials=trials, progress=False).reps
    # (credit - h w) / (h w) is increasing in credit for one h: the same places, the same
    # prizes, rep by rep and trial by trial
    assert growth["contest_prizes"].to_numpy() == pytest.approx(
        credit["contest_prizes"].to_numpy())
    assert growth.groupby("trial")["contest_prizes"].sum().to_numpy() == \
        pytest.approx(sum(PRIZES))


def test_a_smaller_last_year_wins_more_often_and_a_new_hire_never(tmp_path):
    # seat 1 booked half the others last year: the same bookings are twice its Q4 last year
    history = [150_000.0] + [300_000.0] * (SEATS - 1)
    r = simulate(_scenario(tmp_path, history, hires=2), trials=200, progress=False)
    reps = r.reps
    s = contest_summary(r, "ae")
    assert s.contest == "Q4 growth"
    wins = reps.assign(won=reps["contest_prizes"] > 0).groupby("rep")["won"].mean()
    # seats in order R-01..: the first has the small history
    first = wins["ae-001"]
    others = wins.drop(["ae-001", "ae-011", "ae-012"])
    # with 10 i.i.d. reps, 3 prizes: 0.3 each; halving last year's figure doubles the
    # growth ratio for the same bookings, so the first seat wins far more often (the SE
    # of a win rate over 200 trials is at most 0.035): more than 4 SE above the others
    assert first > others.mean() + 4 * 0.035 and first > 0.5
    # the two hires (seats 11 and 12, starting in month 2) have no last year: never win
    hired = reps[reps["rep"].isin(["ae-011", "ae-012"])]
    assert len(hired) > 0 and (hired["contest_prizes"] == 0).all()


def test_a_growth_contest_without_territory_history_is_an_error(tmp_path):
    with pytest.raises(SpmsimError, match=r"components\[1\]: contest 'Q4 growth' ranks on "
                                          "growth over last year: give the role `territory:`"):
        _scenario(tmp_path, [1.0] * SEATS, territory=False)


def test_prorated_by_days_without_quota_weights(tmp_path):
    # Q4 has 92 of 365 days: last year's 365,000 is 92,000 in the window; the engine's
    # ranking uses exactly that (checked on the leaderboard's own arithmetic via the plan)
    from spmsim.plans import PlanInputs, evaluate
    sc = _scenario(tmp_path, [365_000.0] * SEATS)
    plan = sc.org.roles["ae"].plan
    credit = np.zeros((2, 12))
    credit[0, 9:] = [30_000, 30_000, 41_400]  # 101,400 / 92,000 - 1 = +10.2 %
    credit[1, 9:] = [30_000, 30_000, 32_000]  # 92,000: 0 %, no growth: out
    p = evaluate(plan, PlanInputs(credit={"new_arr": credit}, quota={"new_arr": 500_000},
                                  last_year={"new_arr": np.array([365_000.0, 365_000.0])}))
    assert p.earned_ytd[1, :, -1].tolist() == [10_000, 0]
