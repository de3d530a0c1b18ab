"""The contest component: places, ties, bars, windows; worked by hand, then invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from spmsim.plans import PlanInputs, evaluate, plan_from_dict
from spmsim.plans.components import Contest, Context

PRIZES = (10_000, 5_000, 2_500)


def ctx(credit, quota=None) -> Context:
    c = np.asarray(credit, dtype=float)
    q = None if quota is None else np.asarray(quota, dtype=float)[..., None]
    return Context(ytd=np.cumsum(c, axis=-1), period_credit=c, quota=q,
                   target=np.zeros(c.shape[:-1] + (1,)))


def contest(**kw) -> Contest:
    return Contest(**{"name": "Q4 push", "measure": "new_arr", "prizes": PRIZES, **kw})


def final(c: Contest, credit, quota=None) -> np.ndarray:
    return c.earned_ytd(ctx(credit, quota))[..., -1]


# four periods; the window is periods 3-4; five reps
CREDIT = [[900, 0, 100, 100],   # A: 200 in the window (the 900 before it does not count)
          [0, 0, 200, 0],       # B: 200
          [0, 0, 50, 150],      # C: 200
          [0, 0, 10, 0],        # D: 10
          [0, 0, 0, 0]]         # E: nothing, not in the running


def test_places_by_window_credit_paid_in_the_windows_last_period():
    c = contest(periods=(3, 4), ties="split")
    credit = [[0, 0, 300, 0], [0, 0, 200, 0], [0, 0, 0, 150], [0, 0, 10, 0], [0, 0, 0, 0]]
    earned = c.earned_ytd(ctx(credit))
    # 300 > 200 > 150 > 10: first 10,000, second 5,000, third 2,500, fourth nothing
    assert earned[:, -1].tolist() == [10_000, 5_000, 2_500, 0, 0]
    assert np.all(earned[:, :-1] == 0)  # nothing is earned before the window closes
    s = c.standing(ctx(credit))
    # after period 3: A 300, B 200, D 10 in the running (C has not booked yet)
    assert s.rank[:, 2].tolist() == [1, 2, 0, 3, 0]
    assert s.prize[:, 2].tolist() == [10_000, 5_000, 0, 2_500, 0]


@pytest.mark.parametrize(("ties", "expected"), [
    # A, B, C tie for first with 200: they fill places 1-3
    ("split", [17_500 / 3] * 3 + [0, 0]),  # (10,000 + 5,000 + 2,500) / 3 = 5,833.33 each
    ("duplicate", [10_000] * 3 + [0, 0]),  # ranks 1, 1, 1, 4: D's place 4 has no prize
    ("next", [10_000] * 3 + [5_000, 0]),   # ranks 1, 1, 1, 2: D takes the second prize
])
def test_three_way_tie_for_first(ties, expected):
    assert final(contest(periods=(3, 4), ties=ties), CREDIT) == pytest.approx(expected)


def test_a_two_way_tie_for_second_splits_second_and_third():
    credit = [[0, 0, 0, 400], [0, 0, 0, 200], [0, 0, 0, 200], [0, 0, 0, 100]]
    # A first 10,000; B and C share places 2-3: (5,000 + 2,500) / 2 = 3,750; D fourth: 0
    assert final(contest(), credit).tolist() == [10_000, 3_750, 3_750, 0]
    # duplicate: B and C 5,000 each, D is fourth (ranks 1, 2, 2, 4): nothing
    assert final(contest(ties="duplicate"), credit).tolist() == [10_000, 5_000, 5_000, 0]
    # next: D is third (ranks 1, 2, 2, 3): 2,500
    assert final(contest(ties="next"), credit).tolist() == [10_000, 5_000, 5_000, 2_500]


def test_the_qualifying_bar_on_attainment_of_the_windows_quota():
    # window = periods 3-4 of 4: half the year, so the window's quota is half the annual
    quota = [400, 400, 400, 400, 400]
    c = contest(periods=(3, 4), rank_by="attainment", qualify=1.0)
    # window credit 200 / (400 x 2/4 = 200) = 100 % for A, B and C: exactly at the bar,
    # qualifies; D 10 / 200 = 5 %: out. A, B, C tie: split 17,500 three ways
    assert final(c, CREDIT, quota) == pytest.approx([17_500 / 3] * 3 + [0, 0])
    s = c.standing(ctx(CREDIT, quota))
    assert s.score[:, -1] == pytest.approx([1.0, 1.0, 1.0, 0.05, 0.0])
    # a bar just above: nobody qualifies, nothing is paid
    assert final(contest(periods=(3, 4), rank_by="attainment", qualify=1.01), CREDIT,
                 quota).tolist() == [0] * 5


def test_attainment_ranks_reps_with_different_quotas():
    credit = [[100, 100], [150, 0], [60, 0]]
    quota = [400, 200, 100]  # 50 %, 75 %, 60 %: B first, C second, A third
    c = contest(rank_by="attainment")
    assert final(c, credit, quota).tolist() == [2_500, 10_000, 5_000]


def test_a_prize_for_everyone_over_the_bar():
    c = Contest(name="Club", measure="new_arr", each=3_000, qualify=200.0)
    # A, B and C reach 200 in the year... A has 1,100; D 10; E nothing
    assert final(c, CREDIT).tolist() == [3_000, 3_000, 3_000, 0, 0]


def test_a_contest_ranks_within_each_trial():
    both = np.stack([np.asarray(CREDIT, float), np.asarray(CREDIT, float)[::-1]])
    c = contest(periods=(3, 4), ties="duplicate")
    out = final(c, both)
    assert out[0].tolist() == [10_000] * 3 + [0, 0]
    assert out[1].tolist() == [0, 0, 10_000, 10_000, 10_000]


def test_one_rep_alone_takes_first_place():
    assert final(contest(), [0, 5, 0, 0]).tolist() == 10_000


def test_fewer_reps_than_prizes():
    assert final(contest(), [[0, 5], [0, 3]]).tolist() == [10_000, 5_000]


@pytest.mark.parametrize(("kw", "message"), [
    ({"periods": (3, 5)}, "consecutive"),
    ({"prizes": (1_000, 5_000)}, "first place down"),
    ({"prizes": None}, "prizes"),
    ({"prizes": None, "each": 500}, "needs the bar"),
    ({"cap": {"amount": 1_000}}, "no cap"),
    ({"periods": (0, 1)}, "1-based"),
])
def test_bad_contests_are_refused(kw, message):
    with pytest.raises(ValidationError, match=message):
        contest(**kw)


def test_a_team_contest_ranks_teams_and_splits_each_prize_among_members():
    # teams: {A, B} with 200 + 100 = 300, {C} with 250, {D, E, F} with 30 + 0 + 0 = 30;
    # every member holds the team's credit (the engine sums it before the contest)
    own = np.array([200, 100, 250, 30, 0, 0], dtype=float)
    team = np.array([0, 0, 1, 2, 2, 2])
    team_credit = np.array([300, 300, 250, 30, 30, 30], dtype=float)[:, None]
    c = contest(credit="team")
    context = Context(ytd=team_credit, period_credit=team_credit, quota=None,
                      target=np.zeros((6, 1)), team=team)
    # team places 1, 2, 3: 10,000 / 2 = 5,000 each; 5,000 / 1; 2,500 / 3 = 833.33 each
    assert c.earned_ytd(context)[:, -1] == pytest.approx(
        [5_000, 5_000, 5_000, 2_500 / 3, 2_500 / 3, 2_500 / 3])
    assert c.standing(context).rank[:, -1].tolist() == [1, 1, 2, 3, 3, 3]
    # through the engine, which sums the team credit from each rep's own
    plan = plan_from_dict({
        "plan": "Team push", "ote": 100_000, "base_share": 0.5, "year_start": "2027-01-01",
        "payout_period": "year",
        "components": [{"name": "Team push", "type": "contest", "measure": "new_arr",
                        "credit": "team", "prizes": list(PRIZES)}]})
    p = evaluate(plan, PlanInputs(credit={"new_arr": own[:, None]}, team=team))
    assert p.paid[:, 0] == pytest.approx([5_000, 5_000, 5_000] + [2_500 / 3] * 3)
    assert p.paid.sum() == pytest.approx(sum(PRIZES))


def test_a_window_past_the_plans_periods_is_an_error():
    with pytest.raises(ValueError, match="past the plan"):
        final(contest(periods=(4, 5)), [[1, 2, 3, 4]])


def test_in_a_plan_the_engine_pays_the_prize_in_the_windows_last_period():
    plan = plan_from_dict({
        "plan": "Q4", "ote": 100_000, "base_share": 0.5, "year_start": "2027-01-01",
        "payout_period": "quarter",
        "components": [{"name": "Q4 push", "type": "contest", "measure": "new_arr",
                        "periods": [4], "prizes": [10_000, 5_000]}]})
    credit = np.array([[5, 5, 5, 30], [50, 50, 50, 20], [0, 0, 0, 0]], dtype=float)
    p = evaluate(plan, PlanInputs(credit={"new_arr": credit}))
    # Q4 only: A 30 first, B 20 second, C nothing
    assert p.paid.tolist() == [[0, 0, 0, 10_000], [0, 0, 0, 5_000], [0, 0, 0, 0]]


# ------------------------------------------------------------------------ invariants

credits = st.lists(st.lists(st.integers(0, 5), min_size=3, max_size=3), min_size=1,
                   max_size=8)


@settings(max_examples=200, deadline=None)
@given(credits, st.lists(st.integers(0, 10_000), min_size=1, max_size=5))
def test_split_never_pays_more_than_the_prize_list(credit, prizes):
    c = contest(prizes=tuple(sorted(prizes, reverse=True)))
    paid = final(c, credit)
    assert paid.sum() <= sum(prizes) + 1e-6
    assert np.all(paid >= 0)
    # and every prize is paid when at least as many reps are in the running as prizes
    running = int((np.asarray(credit).sum(axis=-1) > 0).sum())
    if running >= len(prizes):
        assert paid.sum() == pytest.approx(sum(prizes))


@settings(max_examples=200, deadline=None)
@given(credits, st.integers(0, 7), st.integers(1, 5), st.sampled_from(["split", "duplicate",
                                                                       "next"]))
def test_a_reps_prize_never_falls_when_only_their_own_credit_rises(credit, who, more, ties):
    credit = np.asarray(credit, dtype=float)
    i = who % credit.shape[0]
    c = contest(ties=ties)
    before = final(c, credit)[i]
    credit[i, -1] += more
    assert final(c, credit)[i] >= before - 1e-9


@settings(max_examples=100, deadline=None)
@given(credits)
def test_places_do_not_depend_on_the_reps_order(credit):
    credit = np.asarray(credit, dtype=float)
    order = np.random.default_rng(len(credit)).permutation(len(credit))
    for ties in ("split", "duplicate", "next"):
        c = contest(ties=ties)
        assert final(c, credit[order]) == pytest.approx(final(c, credit)[order])


def test_who_is_in_contention_after_each_period_of_the_window():
    c = contest(periods=(2, 3, 4), prizes=(100, 50))
    credit = [[0, 100, 0, 0], [0, 60, 60, 0], [0, 10, 10, 200], [0, 0, 0, 0]]
    # after period 2 (1 of 3 done): A 100, B 60, C 10, D 0; the prize line is the 2nd best,
    # 60. At their own pace for 2 more periods: A 300, B 180 reach it; C 30 and D 0 do not.
    # After period 3: A 100, B 120, C 20; line 100; one period left: A 150, B 180 reach
    # it, C 30 does not. After period 4 (the last): the winners, C (220) and B (120).
    assert c.contention(ctx(credit)).astype(int).tolist() == [
        [0, 1, 1, 0], [0, 1, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    # a prize for each rep over a bar: the line is the bar
    bar = Contest(name="Club", measure="new_arr", each=500, qualify=150.0, periods=(2, 3, 4))
    # after period 2: A 100 + 2 x 100 = 300, B 180 reach 150; C 30 does not
    assert bar.contention(ctx(credit))[:, 1].tolist() == [True, True, False, False]
