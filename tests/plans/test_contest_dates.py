"""Contest windows by dates: placed on the plan's periods by days, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from spmsim.errors import SpmsimError
from spmsim.plans import PlanInputs, evaluate, plan_from_dict
from spmsim.plans.components import Contest

DATES = {"start": "2027-10-15", "end": "2027-11-30"}


def _plan(period: str = "month", **contest):
    return plan_from_dict({
        "plan": "Autumn push", "ote": 100_000, "base_share": 0.5, "year_start": "2027-01-01",
        "payout_period": period,
        "components": [{"name": "Autumn push", "type": "contest", "measure": "new_arr",
                        "prizes": [1_000, 500], "dates": DATES, **contest}]})


def test_the_window_is_placed_on_the_periods_by_days():
    c = _plan().components[0]
    # 15-31 October is 17 of 31 days; all of November; nothing else
    expected = np.zeros(12)
    expected[9], expected[10] = 17 / 31, 1.0
    assert c.shares(12) == pytest.approx(expected)
    assert np.flatnonzero(c.window(12)).tolist() == [9, 10]
    # on a quarterly plan: 17 + 30 = 47 of Q4's 92 days
    q = _plan("quarter").components[0]
    assert q.shares(4) == pytest.approx([0, 0, 0, 47 / 92])


def test_without_dated_credit_each_periods_credit_counts_by_its_share_of_days():
    # A: 31,000 in October (17 / 31 of it inside: 17,000) + 1,000 in November = 18,000;
    # B: 20,000 in November, inside: 20,000; C: 50,000 in December, after the window: 0.
    # B first (1,000), A second (500), paid in November, the last period the window touches
    credit = np.zeros((3, 12))
    credit[0, 9:11] = [31_000, 1_000]
    credit[1, 10] = 20_000
    credit[2, 11] = 50_000
    p = evaluate(_plan(), PlanInputs(credit={"new_arr": credit}))
    assert p.paid[:, 10].tolist() == [500, 1_000, 0]
    assert p.paid[:, [i for i in range(12) if i != 10]].sum() == 0
    assert p.credit[0, 0, 9:11].tolist() == pytest.approx([17_000, 1_000])


def test_given_dated_credit_is_used_as_it_is():
    # replay passes the credit of the deals dated inside: A's October deals were all
    # before the 15th (0 inside), so A has 1,000; B 20,000; C nothing
    credit = np.zeros((3, 12))
    credit[0, 9:11] = [31_000, 1_000]
    credit[1, 10] = 20_000
    inside = credit.copy()
    inside[0, 9] = 0.0
    p = evaluate(_plan(), PlanInputs(credit={"new_arr": credit},
                                     window_credit={"Autumn push": inside}))
    assert p.paid[:, 10].tolist() == [500, 1_000, 0]
    assert p.credit[0, 0, 9:11].tolist() == [0, 1_000]


def test_contention_paces_by_the_days_elapsed():
    # after October, 17/31 of a month of the 1 17/31 months has passed. A booked 548 in the
    # window: a pace of 548 / (17/31) = 999.3 a month, 1,547.3 by the end; B 300 reaches
    # 300 x (48/31) / (17/31) = 847.1. The prize line (the 2nd best so far) is B's 300;
    # both are in contention; C (nothing) is not
    c = _plan().components[0]
    from spmsim.plans.components import Context
    credit = np.zeros((3, 12))
    credit[:, 9] = [548, 300, 0]
    assert c.contention(Context.of_credit(credit))[:, 9].tolist() == [True, True, False]


@pytest.mark.parametrize(("dates", "message"), [
    ({"start": "2027-10-15", "end": "2028-01-05"},
     r"components\[0\].dates.end: 2028-01-05 is outside the plan year \(2027-01-01 to "
     r"2027-12-31\)"),
    ({"start": "2026-12-31", "end": "2027-01-05"}, r"components\[0\].dates.start"),
    ({"start": "2027-11-30", "end": "2027-10-15"}, "end 2027-10-15 is before start"),
])
def test_bad_dates_are_refused(dates, message):
    with pytest.raises(SpmsimError, match=message):
        _plan(dates=dates)


def test_periods_or_dates_not_both():
    with pytest.raises(SpmsimError, match="`periods` or as `dates`, not both"):
        _plan(periods=[10, 11])


def test_a_dated_contest_outside_a_plan_says_so():
    c = Contest(name="X", measure="new_arr", prizes=(1,), dates=DATES)
    with pytest.raises(ValueError, match="runs by dates: evaluate it in its plan"):
        c.window(12)
