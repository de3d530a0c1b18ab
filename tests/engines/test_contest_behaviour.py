"""Reps' response to a contest standing (agent engine): by hand, direction, clean switch-off."""

from __future__ import annotations

import numpy as np
import pytest

from spmsim.engines.agents import simulate_agents
from spmsim.model.scenario import scenario_from_tree
from spmsim.model.tournament import ContestResponse, prize_line, standing_multiplier

R = ContestResponse(in_reach=0.2, out_of_reach=0.3, reach=1.0)


def test_the_prize_line_is_the_places_th_best_of_the_others():
    scores = np.array([50.0, 40.0, 30.0, 20.0, 0.0])
    # three prizes; for rep 3 (20) the others are 50, 40, 30 (0 is not running): line 30
    assert prize_line(scores, 3, 3) == 30.0
    # for rep 0 (50) the others are 40, 30, 20: line 20, and rep 0 is 30 ahead of it
    assert prize_line(scores, 0, 3) == 20.0
    # fewer others in the running than prizes: any score wins a prize
    assert prize_line(scores, 0, 5) == 0.0


@pytest.mark.parametrize(("gap", "expected_left", "multiplier"), [
    (150.0, 100.0, 0.7),   # 150 behind with 100 to come: out of reach, 1 - 0.3
    (100.0, 100.0, 1.2),   # exactly reachable: 1 + 0.2
    (0.0, 100.0, 1.2),     # on the line
    (-100.0, 100.0, 1.2),  # ahead by what a chaser may still book: keep pushing
    (-101.0, 100.0, 1.0),  # safely ahead: no change
    (10.0, 0.0, 0.7),      # nothing left to book: any gap is out of reach
])
def test_effort_by_the_gap_to_the_prize_line(gap, expected_left, multiplier):
    assert standing_multiplier(R, gap, expected_left) == pytest.approx(multiplier)


def _scenario(response: dict | None, contest: bool = True):
    components = [{"name": "Commission", "type": "commission", "measure": "new_arr",
                   "weight": 1.0, "tiers": [{"rate": 1.0}]}]
    if contest:
        components.append({"name": "Q4 push", "type": "contest", "measure": "new_arr",
                           "periods": [10, 11, 12], "prizes": [10_000, 5_000, 2_500]})
    behavior = {"contest": response} if response is not None else {}
    return scenario_from_tree({
        "scenario": "contest behaviour", "seed": 5, "trials": 40,
        "org": {"roles": {"ae": {
            "headcount": 20, "skill_sigma": 0.3, "quota": {"new_arr": 600_000},
            "plan": {"plan": "AE", "ote": 120_000, "base_share": 0.5,
                     "year_start": "2027-01-01", "components": components}}}},
        "market": {"ae": {"model": "pipeline", "measures": {"new_arr": {
            "deals_per_month": 2.0, "size": {"median": 20_000, "sigma": 0.8}}},
            "stages": [{"name": "close", "days": 20, "to_next": 0.5}]}},
        "behavior": behavior})


def _monthly_revenue(response: dict | None, contest: bool = True) -> np.ndarray:
    r = simulate_agents(_scenario(response, contest), progress=False, logged_trials=0)
    return r.period["revenue"][:, 0, :]  # (trials, months) of the one role


@pytest.fixture(scope="module")
def off() -> np.ndarray:
    return _monthly_revenue(None)


def test_zero_responses_switch_off_cleanly(off):
    zero = _monthly_revenue({"in_reach": 0.0, "out_of_reach": 0.0})
    assert zero.tobytes() == off.tobytes()
    # and without a contest in the plan the response changes nothing
    assert _monthly_revenue(R.model_dump(), contest=False).tobytes() == \
        _monthly_revenue(None, contest=False).tobytes()


def test_a_prize_within_reach_raises_effort_in_the_window_only(off):
    push = _monthly_revenue({"in_reach": 0.5, "out_of_reach": 0.0})
    # before October nothing differs; from then on effort only rises
    assert push[:, :9].tobytes() == off[:, :9].tobytes()
    assert push[:, 9:].sum() > off[:, 9:].sum()


def test_a_prize_out_of_reach_lowers_effort(off):
    quit_ = _monthly_revenue({"in_reach": 0.0, "out_of_reach": 0.5})
    assert quit_[:, :9].tobytes() == off[:, :9].tobytes()
    assert quit_[:, 9:].sum() < off[:, 9:].sum()
