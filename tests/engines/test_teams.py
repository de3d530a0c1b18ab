"""Teams in scenarios: managers paid on their team's credit, pooled team plans, both engines.

Identities are checked exactly (a manager's credit is the sum of their team's); the two
engines agree within 4 standard errors; replay of the same credit gives the same pay.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest

from spmsim.data.transactions import load_transactions
from spmsim.engines import simulate
from spmsim.engines.agents import simulate_agents
from spmsim.errors import InputError
from spmsim.history.replay import replay
from spmsim.model.scenario import scenario_from_tree
from spmsim.plans import plan_from_dict

Z = 4.0
AE_PLAN = {"plan": "AE", "ote": 200_000, "base_share": 0.5, "year_start": "2027-01-01",
           "components": [{"name": "Commission", "type": "commission", "measure": "new_arr",
                           "weight": 1.0, "tiers": [{"rate": 1.0}]}]}
# an override with an accelerator above the team quota, paid on the team's credit
MGR_PLAN = {"plan": "Manager", "ote": 250_000, "base_share": 0.6, "year_start": "2027-01-01",
            "components": [{"name": "Override", "type": "commission", "measure": "new_arr",
                            "weight": 1.0, "tiers": [{"upto": 1.0, "rate": 1.0},
                                                     {"rate": 1.5}]}]}
TREE = {"scenario": "teams", "seed": 3, "trials": 300,
        "org": {"roles": {
            "ae": {"headcount": 8, "team_size": 4, "plan": AE_PLAN,
                   "quota": {"new_arr": 1_000_000}},
            "mgr": {"headcount": 2, "plan": MGR_PLAN, "quota": {"new_arr": 4_000_000}}}},
        "market": {"ae": {"model": "pipeline", "measures": {"new_arr": {
            "deals_per_month": 2.0, "size": {"median": 30_000, "sigma": 0.8}}}},
            "mgr": {"model": "team", "of": "ae", "measures": ["new_arr"]}}}


def tree(**changes) -> dict:
    t = copy.deepcopy(TREE)
    for path, value in changes.items():
        node = t
        *head, last = path.split("__")
        for key in head:
            node = node[key]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    return t


@pytest.fixture(scope="module")
def mc():
    return simulate(scenario_from_tree(TREE), progress=False, workers=2)


def _team_revenue(reps, trial: int) -> list[float]:
    ae = reps[(reps["trial"] == trial) & (reps["role"] == "ae")]["revenue"].to_numpy()
    return [ae[:4].sum(), ae[4:].sum()]


def test_a_manager_is_credited_with_their_teams_credit(mc):
    reps = mc.reps
    for trial in (0, 1, 299):
        mgr = reps[(reps["trial"] == trial) & (reps["role"] == "mgr")]
        credited = (mgr["attainment"] * mgr["quota"]).to_numpy()
        assert credited == pytest.approx(_team_revenue(reps, trial))


def test_revenue_counts_each_deal_once(mc):
    # the managers book no revenue of their own
    assert (mc.reps.loc[mc.reps["role"] == "mgr", "revenue"] == 0).all()
    assert mc.trial["revenue"][:, -1] == pytest.approx(mc.trial["revenue"][:, 0])


def test_the_override_pays_the_managers_plan_on_the_team_credit(mc):
    # TI = 250,000 x 0.4 = 100,000; base rate 100,000 / 4,000,000 = 2.5 % of credit to quota,
    # 3.75 % above it
    reps = mc.reps
    for trial in (0, 7):
        mgr = reps[(reps["trial"] == trial) & (reps["role"] == "mgr")]
        for credit, pay in zip(_team_revenue(reps, trial), mgr["variable_pay"], strict=True):
            expected = 0.025 * min(credit, 4e6) + 0.0375 * max(credit - 4e6, 0.0)
            assert pay == pytest.approx(expected)


def test_replay_of_the_same_credit_pays_the_managers_the_same(mc, tmp_path: Path):
    # one deal per rep for their simulated year: the plans true up on YTD credit, so the
    # year's pay depends on the year's credit only
    reps = mc.reps[mc.reps["trial"] == 5]
    ae = reps[reps["role"] == "ae"]
    deals = ["deal_id,rep_id,date,measure,amount,split,cancel_date"] + [
        f"D{i},{r},2027-06-15,new_arr,{v:.6f},," for i, (r, v) in
        enumerate(zip(ae["rep"], ae["revenue"], strict=True))]
    team = {r: f"T{i // 4 + 1}" for i, r in enumerate(ae["rep"])}
    roster = ["rep_id,plan,team,start_date,end_date"] + \
        [f"{r},ae,{t},," for r, t in team.items()] + ["mgr-001,mgr,T1,,", "mgr-002,mgr,T2,,"]
    quotas = ["rep_id,measure,quota"] + [f"{r},new_arr,1000000" for r in team] + \
        ["mgr-001,new_arr,4000000", "mgr-002,new_arr,4000000"]
    files = {}
    for name, rows in (("deals", deals), ("roster", roster), ("quotas", quotas)):
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_text("\n".join(rows) + "\n")
    mgr_team_plan = copy.deepcopy(MGR_PLAN)
    mgr_team_plan["components"][0]["credit"] = "team"
    plans = {"ae": plan_from_dict(AE_PLAN), "mgr": plan_from_dict(mgr_team_plan)}
    result = replay(load_transactions(plans, files["deals"], files["quotas"], files["roster"]))
    by_rep = result.by_rep.set_index("rep_id")
    simulated = reps[reps["role"] == "mgr"].set_index("rep")["variable_pay"]
    for m in ("mgr-001", "mgr-002"):
        assert by_rep.loc[m, "earned"] == pytest.approx(simulated[m], abs=0.01)


def test_a_pooled_team_plan_pays_each_member_on_the_team_credit():
    pooled = copy.deepcopy(AE_PLAN)
    pooled["components"][0]["credit"] = "team"
    r = simulate(scenario_from_tree(tree(org__roles__ae__plan=pooled)), trials=64,
                 progress=False)
    reps = r.reps[(r.reps["trial"] == 3) & (r.reps["role"] == "ae")]
    team_credit = np.repeat(_team_revenue(r.reps, 3), 4)
    # TI 100,000 / quota 1,000,000: 10 % of the team's credit, to each member
    assert reps["variable_pay"].to_numpy() == pytest.approx(0.1 * team_credit)


def test_both_engines_agree_on_the_managers_pay_with_behaviour_off(mc):
    agents = simulate_agents(scenario_from_tree(TREE), trials=150, progress=False)
    a = agents.reps.loc[agents.reps["role"] == "mgr", "variable_pay"].to_numpy()
    m = mc.reps.loc[mc.reps["role"] == "mgr", "variable_pay"].to_numpy()
    se = math.sqrt(a.var(ddof=1) / a.size + m.var(ddof=1) / m.size)
    assert abs(a.mean() - m.mean()) < Z * se, (a.mean(), m.mean(), se)


@pytest.mark.parametrize(("changes", "message"), [
    ({"org__roles__mgr__headcount": 3}, "2 teams of ae need 2 managers, one each"),
    ({"org__roles__ae__team_size": None}, "set `team_size:`"),
    ({"market__mgr__of": "sdr"}, "no other role 'sdr'"),
    ({"market__mgr__measures": ["renewals"]}, "'renewals' is not among them"),
    ({"org__roles__ae__team_size": None,
      "org__roles__ae__plan": {**AE_PLAN, "components": [
          {**AE_PLAN["components"][0], "credit": "team"}]},
      "org__roles__mgr": None, "market__mgr": None},
     "pays on team credit: set `team_size:`"),
])
def test_bad_teams_are_refused(changes, message):
    with pytest.raises(InputError, match=message):
        scenario_from_tree(tree(**changes))


def test_both_engines_agree_on_a_pooled_team_plan_with_behaviour_off():
    pooled = copy.deepcopy(AE_PLAN)
    pooled["components"][0]["credit"] = "team"
    s = scenario_from_tree(tree(org__roles__ae__plan=pooled))
    a = simulate_agents(s, trials=150, progress=False).reps
    m = simulate(s, trials=300, progress=False).reps
    a, m = (r.loc[r["role"] == "ae", "variable_pay"].to_numpy() for r in (a, m))
    se = math.sqrt(a.var(ddof=1) / a.size + m.var(ddof=1) / m.size)
    assert abs(a.mean() - m.mean()) < Z * se, (a.mean(), m.mean(), se)
