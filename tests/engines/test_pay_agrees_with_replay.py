"""Draw once, pay through both paths: the simulation's pay step (`payroll.role_year`, which
both the Monte Carlo and the agent engine call) and replay of the same credit written as
deals give the same pay, for issue 15's rules: quota to date with seasonal weights, a gate
and an accelerator, a quarterly bonus in a monthly plan, a holdback released on leaving,
and a ramp quota for a new hire."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spmsim.calendar import PlanCalendar
from spmsim.data.transactions import load_transactions
from spmsim.engines.payroll import Draws, role_year
from spmsim.history.replay import replay
from spmsim.model.market import PipelineMarket
from spmsim.model.org import Role, Staffing
from spmsim.plans import plan_from_dict

QUOTA = 1_200_000.0
WEIGHTS = [0.06, 0.07, 0.1, 0.07, 0.08, 0.1, 0.06, 0.07, 0.1, 0.08, 0.09, 0.12]
PLAN = {
    "plan": "Agreement", "ote": 200_000, "base_share": 0.5, "payout_period": "month",
    "year_start": "2027-01-01", "quota_weights": WEIGHTS, "ramp_quota": [0.5, 0.75],
    "holdback": {"share": 0.1},
    "components": [
        {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 0.8,
         "threshold": 0.4, "tiers": [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]},
        {"name": "Quarterly bonus", "type": "bonus", "measure": "new_arr", "weight": 0.2,
         "curve": [[0.5, 0.0], [1.0, 1.0], [1.5, 1.5]], "payout_period": "quarter"},
    ],
}


def _staff() -> Staffing:
    # R0 all year; R1 hired 1 April (month 3); R2 leaves after August (month 8)
    active = np.ones((1, 3, 12))
    active[0, 1, :3] = 0.0
    active[0, 2, 8:] = 0.0
    return Staffing(start=np.array([[0.0, 3.0, 0.0]]), exit=np.array([[np.inf, np.inf, 8.0]]),
                    active=active, productivity=active.copy(),
                    new_hire=np.array([[False, True, False]]),
                    steady=np.array([[True, False, False]]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_simulated_pay_equals_replay_of_the_same_credit(tmp_path: Path, seed: int):
    plan = plan_from_dict(PLAN)
    staff = _staff()
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    credit = rng.lognormal(np.log(QUOTA / 12), 0.8, (1, 3, 12)) * staff.active
    role = Role(headcount=3, plan=plan, quota={"new_arr": QUOTA})
    market = PipelineMarket.model_validate(
        {"model": "pipeline", "measures": {"new_arr": {"deals_per_month": 1,
                                                       "size": {"median": 1000, "sigma": 0.5}}}})
    sim = role_year(role, market, Draws(staff=staff, credit={"new_arr": credit}, counts={}),
                    PlanCalendar(plan.year_start, "month"))

    # the same credit as one deal a month per rep, the same people and prorated quotas
    share = plan.calendar.year_share(staff.active[0])
    (tmp_path / "roster.csv").write_text("rep_id,plan,start_date,end_date\nR0,agree,,\n"
                                         "R1,agree,2027-04-01,\nR2,agree,,2027-08-31\n")
    (tmp_path / "quotas.csv").write_text("rep_id,measure,quota\n" + "".join(
        f"R{r},new_arr,{float(QUOTA * share[r])!r}\n" for r in range(3)))
    (tmp_path / "deals.csv").write_text("deal_id,rep_id,date,measure,amount\n" + "".join(
        f"D{r}-{m},R{r},2027-{m + 1:02d}-15,new_arr,{float(credit[0, r, m])!r}\n"
        for r in range(3) for m in range(12) if credit[0, r, m] > 0))
    tx = load_transactions({"agree": plan}, tmp_path / "deals.csv", tmp_path / "quotas.csv",
                           tmp_path / "roster.csv")
    replayed = replay(tx).groups["agree"].payout
    np.testing.assert_array_equal(sim.monthly_pay[0], replayed.net_paid)
    # the rules were in play: the hire's ramp, the quarterly bonus, the leaver's holdback
    assert replayed.deferred_ytd[:, 0].max() > 0
    assert replayed.held_ytd[2, 7] == 0 and replayed.held_ytd[2, 6] > 0
    assert sim.quota[0, 1] < QUOTA * share[1]
