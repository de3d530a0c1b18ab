"""Contests ranked on growth over the same window last year: worked by hand, invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spmsim.plans import PlanInputs, evaluate, plan_from_dict
from spmsim.plans.components import Contest, Context

PRIZES = (10_000, 5_000, 2_500)
NAN = float("nan")


def growth(**kw) -> Contest:
    return Contest(**{"name": "Q4 growth", "measure": "new_arr", "prizes": PRIZES,
                      "rank_by": "growth", "periods": (3, 4), **kw})


def ctx(credit, last_year) -> Context:
    c = np.asarray(credit, dtype=float)
    return Context(ytd=np.cumsum(c, axis=-1), period_credit=c, quota=None,
                   target=np.zeros(c.shape[:-1] + (1,)),
                   last_year=np.asarray(last_year, dtype=float))


# four periods, the window periods 3-4; last year's credit per period (an annual figure
# spread evenly: 400 a year is 100 a period, 200 in the window)
CREDIT = [[900, 0, 100, 200],   # A: 300 against 200: +50 % (the 900 before does not count)
          [0, 0, 240, 0],       # B: 240 against 120: +100 %
          [0, 0, 50, 50],       # C: 100 against 125: -20 %, shrank: not in the running
          [0, 0, 500, 0],       # D: 500, no last year (a new hire): not in the running
          [0, 0, 0, 70]]        # E: 70 against 50: +40 %
LAST = [[100] * 4, [60] * 4, [62.5] * 4, [NAN] * 4, [25] * 4]


def test_places_by_growth_over_the_same_window_last_year():
    c = growth()
    s = c.standing(ctx(CREDIT, LAST))
    assert s.score[:, -1] == pytest.approx([0.5, 1.0, -0.2, NAN, 0.4], nan_ok=True)
    # B +100 % first, A +50 % second, E +40 % third; C and D nothing
    assert s.prize[:, -1].tolist() == [5_000, 10_000, 0, 0, 2_500]
    assert s.rank[:, -1].tolist() == [2, 1, 0, 0, 3]
    # after period 3: A 100 against 100 (0 %, no growth), B 240 / 60 - 1 = +300 %,
    # C 50 / 62.5 - 1 = -20 %, E 0 / 25 - 1 = -100 %: only B is in the running
    assert s.rank[:, 2].tolist() == [0, 1, 0, 0, 0]
    # nothing before the window
    assert np.all(s.score[:, :2] == 0)


def test_who_is_in_contention_on_growth():
    # after period 3 (one of two done), at their own pace: A 2 x 100 = 200 against last
    # year's whole window 200, 0 %: out; B 480 against 120, +300 %: in; C 100 / 125 - 1 =
    # -20 %: out; D has no last year; E books nothing: out. The prize line is the bar 0
    # (the third best score so far, C's -20 %, is below it). After period 4: the winners.
    c = growth()
    assert c.contention(ctx(CREDIT, LAST))[:, 2:].astype(int).tolist() == [
        [0, 1], [1, 1], [0, 0], [0, 0], [0, 1]]


def test_the_bar_is_growth_as_a_fraction():
    # qualify 0.45: A (+50 %) and B (+100 %) qualify; E (+40 %) does not
    assert growth(qualify=0.45).earned_ytd(ctx(CREDIT, LAST))[:, -1].tolist() == \
        [5_000, 10_000, 0, 0, 0]


def test_explain_a_new_hire_and_a_rep_in_the_running():
    c = growth()
    s = c.standing(ctx(CREDIT, LAST))
    assert c.explain_standing(s, 3, 3) == [
        "not in the running: no credit last year to grow from (a new hire)"]
    # A, second with +50 %: B's +100 % pays more, 50 points more draws level
    lines = c.explain_standing(s, 0, 3)
    assert lines[0].startswith("place 2 of 3 with 50")
    assert lines[1].startswith("50") and "10,000" in lines[1]


def _plan(**contest) -> dict:
    return plan_from_dict({
        "plan": "Q4 growth", "ote": 100_000, "base_share": 0.5, "year_start": "2027-01-01",
        "payout_period": "quarter", "quota_weights": [0.1, 0.2, 0.3, 0.4],
        "components": [{"name": "Q4 growth", "type": "contest", "measure": "new_arr",
                        "rank_by": "growth", "periods": [4], "prizes": [1_000, 500],
                        **contest}]})


def test_last_year_is_prorated_to_the_window_by_the_quota_weights():
    # Q4 carries 40 % of the year. A: last year 1,600 -> 640 in Q4; 700 now: +9.375 %.
    # B: 400 -> 160; 190 now: +18.75 %. C: no last year (NaN), 10,000 now: not ranked.
    # With a 10 % bar only B qualifies (with even quarters A would be 700 / 400 = +75 %).
    credit = np.array([[0, 0, 0, 700], [0, 0, 0, 190], [0, 0, 0, 10_000]], dtype=float)
    inputs = PlanInputs(credit={"new_arr": credit},
                        last_year={"new_arr": np.array([1_600, 400, NAN])})
    assert evaluate(_plan(qualify=0.1), inputs).paid[:, -1].tolist() == [0, 1_000, 0]
    # without the bar: B first 1,000, A second 500
    assert evaluate(_plan(), inputs).paid[:, -1].tolist() == [500, 1_000, 0]


def test_a_growth_contest_without_last_year_is_an_error():
    credit = np.array([[0, 0, 0, 700]], dtype=float)
    with pytest.raises(ValueError, match="'Q4 growth' ranks on growth: pass last year's "
                                         "'new_arr'"):
        evaluate(_plan(), PlanInputs(credit={"new_arr": credit}))


def test_a_team_growth_contest_sums_the_members_last_year():
    # teams {A, B}: 300 + 100 = 400 now, last year 200 + 150 = 350 in Q4... on the
    # quarterly weights, Q4 = 40 %: annual 500 + 375 = 875 x 0.4 = 350: +14.3 %;
    # {C}: 420 now, annual 1,000 x 0.4 = 400: +5 %. Team {A, B} first: 1,000 / 2 each.
    plan = _plan(credit="team")
    credit = np.array([[0, 0, 0, 300], [0, 0, 0, 100], [0, 0, 0, 420]], dtype=float)
    p = evaluate(plan, PlanInputs(credit={"new_arr": credit}, team=np.array([0, 0, 1]),
                                  last_year={"new_arr": np.array([500, 375, 1_000])}))
    assert p.paid[:, -1].tolist() == [500, 500, 500]


# ------------------------------------------------------------------------ invariants

reps = st.integers(1, 7)


@st.composite
def fields(draw):
    """Credit (reps, 3 periods) and last year's per period, some reps with none."""
    n = draw(reps)
    credit = draw(st.lists(st.lists(st.integers(0, 50), min_size=3, max_size=3),
                           min_size=n, max_size=n))
    last = draw(st.lists(st.one_of(st.just(NAN), st.integers(1, 30)), min_size=n,
                         max_size=n))
    return np.asarray(credit, float), np.repeat(np.asarray(last, float)[:, None], 3, axis=1)


@settings(max_examples=200, deadline=None)
@given(fields(), st.lists(st.integers(0, 10_000), min_size=1, max_size=4))
def test_growth_split_never_pays_more_than_the_prize_list(field, prizes):
    credit, last = field
    c = growth(periods=(2, 3), prizes=tuple(sorted(prizes, reverse=True)))
    paid = c.earned_ytd(ctx(credit, last))[:, -1]
    assert np.all(paid >= 0) and paid.sum() <= sum(prizes) + 1e-6


@settings(max_examples=200, deadline=None)
@given(fields(), st.integers(0, 6), st.integers(1, 20),
       st.sampled_from(["split", "duplicate", "next"]))
def test_a_reps_growth_prize_never_falls_when_only_their_own_credit_rises(field, who, more,
                                                                          ties):
    credit, last = field
    i = who % len(credit)
    c = growth(periods=(2, 3), ties=ties)
    before = c.earned_ytd(ctx(credit, last))[i, -1]
    credit[i, -1] += more
    assert c.earned_ytd(ctx(credit, last))[i, -1] >= before - 1e-9
