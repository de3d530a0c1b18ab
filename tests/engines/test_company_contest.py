"""Company contests: the reps of every role with a contest of the same name ranked together.

Hunters (12) book new ARR and farmers (8) expansion, both from the same deal model, so all
20 reps are i.i.d.: in a top-3 company contest each wins with probability 3/20 and every
year pays the prize list once (not once per role). Tolerance: 4 standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from spmsim.calendar import PlanCalendar
from spmsim.engines import simulate, simulate_agents
from spmsim.engines.company import company_contests
from spmsim.engines.montecarlo import Chunk, draw_roles
from spmsim.errors import SpmsimError
from spmsim.model.scenario import scenario_from_tree

PRIZES = [10_000, 5_000, 2_500]
HUNTERS, FARMERS = 12, 8
DEALS = {"deals_per_month": 2.0, "size": {"median": 40_000, "sigma": 0.8}}


def _contest(measure: str, **kw) -> dict:
    return {"name": "Company push", "type": "contest", "measure": measure,
            "periods": [10, 11, 12], "prizes": PRIZES, "scope": "company", **kw}


def _plan(measure: str, contest: dict) -> dict:
    return {"plan": f"Plan {measure}", "ote": 150_000, "base_share": 0.5,
            "year_start": "2027-01-01",
            "components": [{"name": "Commission", "type": "commission", "measure": measure,
                            "weight": 1.0, "tiers": [{"rate": 1.0}]}, contest]}


def _scenario(hunter: dict | None = None, farmer: dict | None = None, **farmer_role):
    return scenario_from_tree({
        "scenario": "company contest", "seed": 3, "trials": 400,
        "org": {"roles": {
            "hunter": {"headcount": HUNTERS, "quota": {"new_arr": 1_000_000},
                       "plan": _plan("new_arr", hunter or _contest("new_arr"))},
            "farmer": {"headcount": FARMERS, "quota": {"expansion": 1_000_000},
                       "plan": _plan("expansion", farmer or _contest("expansion")),
                       **farmer_role}}},
        "market": {"hunter": {"model": "pipeline", "measures": {"new_arr": DEALS}},
                   "farmer": {"model": "pipeline", "measures": {"expansion": DEALS}}}})


@pytest.fixture(scope="module")
def together():
    return simulate(_scenario(), progress=False, workers=2)


def test_every_year_pays_the_prize_list_once_across_both_roles(together):
    per_trial = together.reps.groupby("trial")["contest_prizes"].sum()
    # 10,000 + 5,000 + 2,500 = 17,500 a year between hunters and farmers
    assert per_trial.to_numpy() == pytest.approx(sum(PRIZES))


def test_each_of_the_twenty_reps_wins_with_probability_3_in_20(together):
    reps = together.reps
    won = reps["contest_prizes"].to_numpy() > 0
    p = len(PRIZES) / (HUNTERS + FARMERS)  # 0.15
    assert abs(won.mean() - p) < 4 * math.sqrt(p * (1 - p) / won.size)
    # and by role: farmers are not ranked among themselves (which would give 3/8 = 0.375)
    farmers = won[reps["role"].to_numpy() == "farmer"]
    assert abs(farmers.mean() - p) < 4 * math.sqrt(p * (1 - p) / farmers.size)


def test_the_ranking_is_the_top_three_of_both_roles_window_credit():
    # independent arithmetic on one chunk's draws: each rep's Q4 credit (months 10-12)
    # on their own measure, side by side; the best three take 10,000, 5,000 and 2,500
    sc = _scenario()
    months = PlanCalendar(sc.year_start, "month")
    draws = draw_roles(sc, Chunk(np.random.SeedSequence(sc.seed), 0, 50, months.period_days))
    q4 = np.concatenate([draws["hunter"].credit["new_arr"][..., 9:].sum(-1),
                         draws["farmer"].credit["expansion"][..., 9:].sum(-1)], axis=1)
    expected = np.zeros(q4.shape)
    order = np.argsort(-q4, axis=1)[:, :3]
    np.put_along_axis(expected, order, np.array(PRIZES, dtype=float)[None], axis=1)
    got = company_contests(sc, draws, months)
    prizes = np.concatenate([got["hunter"]["Company push"][0],
                             got["farmer"]["Company push"][0]], axis=1)
    assert prizes == pytest.approx(expected)
    # in contention after each of the 3 window months; at the end, the 3 winners
    assert got["farmer"]["Company push"][1].shape == (50, FARMERS, 3)
    final = np.concatenate([got[r]["Company push"][1][..., -1] for r in ("hunter", "farmer")],
                           axis=1)
    assert (final.sum(axis=1) == 3).all()


def test_the_agent_engine_ranks_the_same_way():
    r = simulate_agents(_scenario(), trials=6, progress=False)
    assert r.reps.groupby("trial")["contest_prizes"].sum().to_numpy() == \
        pytest.approx(sum(PRIZES))


def test_by_role_each_role_pays_its_own_list():
    sc = _scenario(_contest("new_arr", scope="role"), _contest("expansion", scope="role"))
    r = simulate(sc, trials=32, progress=False)
    assert r.reps.groupby("trial")["contest_prizes"].sum().to_numpy() == \
        pytest.approx(2 * sum(PRIZES))


@pytest.mark.parametrize(("farmer", "message"), [
    (_contest("expansion", prizes=[9_000]), r"org.roles.farmer.plan.components\[1\]: "
     r"company contest 'Company push' differs from the one in role 'hunter'"),
    (_contest("expansion", periods=[11, 12]), "window, prizes, bar, ties"),
    (_contest("expansion", credit="team"), "a company contest ranks reps across roles"),
])
def test_company_contests_that_disagree_are_refused(farmer, message):
    with pytest.raises(SpmsimError, match=message):
        _scenario(None, farmer)


def test_a_role_with_a_plan_change_cannot_join_a_company_contest_yet():
    change = {"effective_from": "2027-07-01", "plan": _plan("expansion", _contest("expansion"))}
    with pytest.raises(SpmsimError, match=r"org.roles.farmer.plan_changes\[0\]: a role with "
                                          "a plan change cannot be in a company contest yet"):
        _scenario(plan_changes=[change])


def test_the_figures_and_the_report_speak_of_the_company_contest_once(together):
    from types import SimpleNamespace

    from spmsim.engines.contests import contest_summary
    from spmsim.report import contestview
    s = contest_summary(together, "all", "Company push")
    # every year pays the list once: 17,500 at P10, P50 and P90
    assert s.cost == {"p10": 17_500, "p50": 17_500, "p90": 17_500, "mean": 17_500}
    assert s.win_share == pytest.approx(3 / 20, abs=4 * math.sqrt(0.15 * 0.85 / 8_000))
    # one role's share of it is less than the list (the hunters' 12 of 20 reps: 60 %)
    hunters = contest_summary(together, "hunter", "Company push")
    assert hunters.cost["mean"] < 17_500
    view = SimpleNamespace(results={"company_push": together}, currency="USD")
    found = contestview.contest_summaries(view)
    assert [(v, x.role, x.contest) for v, x in found] == [
        ("company_push", "all", "Company push")]
    text = contestview.contest_sentence(view, "company_push", found[0][1])
    assert "all roles together: the contest <i>Company push</i> costs $17.5K in a " \
        "typical year, the same every year" in text
    with pytest.raises(ValueError, match="no company contest 'Q4'"):
        contest_summary(together, "all", "Q4")
