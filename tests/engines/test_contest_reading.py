"""How reps in the agent engine read their standing in company, growth and dated contests:
against every role's reps in a company contest, on growth over last year in a growth
contest, and over the days of a dated window (the pay is the plan's, tested elsewhere)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from spmsim.engines import simulate_agents
from spmsim.model.scenario import load_scenario, scenario_from_tree
from spmsim.model.tournament import prize_line

from territory_helpers import write_accounts

RESPONSE = {"in_reach": 0.3, "out_of_reach": 0.5, "reach": 1.0}
Q4 = slice(9, 12)


def test_growth_keeps_negative_scores_in_the_running():
    # growth scores: -0.2 is still running, -inf (no last year) is not
    scores = np.array([0.5, -0.2, -np.inf, 0.1])
    assert prize_line(scores, 3, 2, floor=-np.inf) == -0.2
    assert prize_line(scores, 3, 2) == 0.0  # credit: only positive scores run (fewer: 0)


def _company(scope: str, response: dict | None) -> dict:
    contest = {"name": "Q4 company push", "type": "contest", "measure": "new_arr",
               "periods": [10, 11, 12], "prizes": [10_000, 5_000, 2_500], "scope": scope}

    def role(deals: float) -> tuple[dict, dict]:
        plan = {"plan": "AE", "ote": 120_000, "base_share": 0.5, "year_start": "2027-01-01",
                "components": [{"name": "Commission", "type": "commission",
                                "measure": "new_arr", "weight": 1.0, "tiers": [{"rate": 1.0}]},
                               contest]}
        return ({"headcount": 10, "plan": plan, "quota": {"new_arr": 600_000}},
                {"model": "pipeline", "measures": {"new_arr": {
                    "deals_per_month": deals, "size": {"median": 20_000, "sigma": 0.5}}},
                 "stages": [{"name": "close", "days": 20, "to_next": 0.5}]})

    (big, big_m), (small, small_m) = role(6.0), role(1.0)
    return {"scenario": "company contest", "seed": 9, "trials": 16,
            "org": {"roles": {"big": big, "small": small}},
            "market": {"big": big_m, "small": small_m},
            "behavior": {"contest": response} if response else {}}


def _q4(tree: dict, role: str) -> np.ndarray:
    r = simulate_agents(scenario_from_tree(tree), progress=False, logged_trials=0)
    return r.period["revenue"][:, r.groups.index(role), Q4].sum(axis=1)


@pytest.mark.slow
def test_in_a_company_contest_the_small_role_reads_the_prize_line_of_every_role():
    """Ten reps book six deals a month, ten book one. Ranked with their own role only, the
    small role's three prizes are always within reach and its reps push in Q4; ranked with
    the big role, whose reps take the prizes, they are out of reach and ease off. Same
    draws for every run, so Q4 differences are the reading's."""
    off = _q4(_company("company", None), "small")
    alone = _q4(_company("role", RESPONSE), "small")
    together = _q4(_company("company", RESPONSE), "small")
    assert alone.mean() > off.mean() * 1.1
    assert together.mean() < off.mean() * 0.9


def _growth_scenario(tmp_path, response: dict | None) -> object:
    history = [50_000.0] * 5 + [2_000_000.0] * 5  # five easy last years, five impossible
    write_accounts(tmp_path, history)
    plan = {"plan": "AE", "ote": 150_000, "base_share": 0.5, "year_start": "2027-01-01",
            "components": [
                {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 1.0,
                 "tiers": [{"rate": 1.0}]},
                {"name": "Q4 growth", "type": "contest", "measure": "new_arr",
                 "rank_by": "growth", "periods": [10, 11, 12], "prizes": [10_000, 5_000]}]}
    tree = {"scenario": "growth reading", "seed": 5, "trials": 16,
            "org": {"roles": {"ae": {"headcount": 10, "plan": plan,
                                     "quota": {"new_arr": 500_000},
                                     "territory": {"accounts": "accounts.csv",
                                                   "elasticity": 0.0}}}},
            "market": {"ae": {"model": "pipeline", "measures": {"new_arr": {
                "deals_per_month": 2.0, "size": {"median": 20_000, "sigma": 0.5}}},
                "stages": [{"name": "close", "days": 20, "to_next": 0.5}]}},
            "behavior": {"contest": response} if response else {}}
    path = tmp_path / "growth.yaml"
    path.write_text(yaml.safe_dump(tree))
    return load_scenario(path)


@pytest.mark.slow
def test_in_a_growth_contest_reps_with_an_impossible_last_year_ease_off(tmp_path):
    """Every rep books alike (no territory effect on deal flow), but five had a last year
    forty times the others': on growth they cannot reach a prize and ease off in Q4, while
    the five with a small last year contend and push."""
    def q4_by_rep(response):
        r = simulate_agents(_growth_scenario(tmp_path, response), progress=False,
                            logged_trials=0)
        reps = r.reps
        return reps.groupby("rep")["revenue"].mean()  # the year, same draws before Q4
    off, on = q4_by_rep(None), q4_by_rep(RESPONSE)
    easy = [f"ae-{i:03d}" for i in range(1, 6)]
    hard = [f"ae-{i:03d}" for i in range(6, 11)]
    assert on[easy].sum() > off[easy].sum()
    assert on[hard].sum() < off[hard].sum()


@pytest.mark.slow
def test_a_dated_window_moves_effort_in_its_own_days_only():
    """A contest from 1 to 31 December: reps respond in December and nowhere else (same
    draws, so every other month books exactly as with the response off)."""
    tree = _company("role", None)
    for role in tree["org"]["roles"].values():
        c = {k: v for k, v in role["plan"]["components"][1].items() if k != "periods"}
        role["plan"]["components"][1] = {**c, "dates": {"start": "2027-12-01",
                                                         "end": "2027-12-31"}}
    off = simulate_agents(scenario_from_tree(tree), progress=False, logged_trials=0)
    tree["behavior"] = {"contest": RESPONSE}
    on = simulate_agents(scenario_from_tree(tree), progress=False, logged_trials=0)
    a, b = on.period["revenue"][:, 0, :], off.period["revenue"][:, 0, :]
    np.testing.assert_array_equal(a[:, :11], b[:, :11])
    assert not np.array_equal(a[:, 11], b[:, 11])
