"""Reps' response to a contest standing (agent engine): by hand, direction, clean switch-off."""

from __future__ import annotations

import numpy as np
import pytest

from spmsim.engines.agents import simulate_agents
from spmsim.model.scenario import scenario_from_tree
from spmsim.model.tournament import (
    ContestResponse,
    prize_line,
    pulls_into_window,
    standing_multiplier,
)

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


@pytest.mark.parametrize(("gap", "pending", "pulls"), [
    (100.0, 150.0, True),    # 100 short, 150 due soon after the window: pulling closes it
    (100.0, 100.0, True),    # exactly enough
    (100.0, 99.0, False),    # not enough: nothing gained by pulling in at a discount
    (0.0, 500.0, False),     # on or above the line already
    (-50.0, 500.0, False),
])
def test_deals_are_pulled_in_only_when_they_reach_the_prize_line(gap, pending, pulls):
    assert pulls_into_window(gap, pending) is pulls


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


def _run(response: dict | None, contest: bool = True, logged: int = 0):
    return simulate_agents(_scenario(response, contest), progress=False, logged_trials=logged)


def _monthly_revenue(response: dict | None, contest: bool = True) -> np.ndarray:
    return _run(response, contest).period["revenue"][:, 0, :]  # (trials, months), one role


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


def test_deals_near_the_prize_line_are_pulled_into_the_window(off):
    pull = {"in_reach": 0.0, "out_of_reach": 0.0, "pull_share": 1.0, "horizon_days": 60}
    r = _run(pull, logged=40)
    pulled = r.events[r.events["event"] == "pulled"]
    assert len(pulled) > 0
    # pulled in December, 14 days before the window's end
    assert (pulled["date"].dt.month == 12).all()
    revenue = r.period["revenue"][:, 0, :]
    assert revenue[:, :11].tobytes() == off[:, :11].tobytes()  # nothing moves before then
    # December gains the deals pulled in (at a 10 % discount)
    assert revenue[:, 11].sum() > off[:, 11].sum()
    # and a share of 0 switches it off
    zero = _monthly_revenue({**pull, "pull_share": 0.0})
    assert zero.tobytes() == off.tobytes()
