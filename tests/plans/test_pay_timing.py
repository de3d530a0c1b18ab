"""Pay frequency per component and the holdback, every number worked by hand.

TI 100,000 (OTE 200,000, base share 0.5); FY2027 from 2027-01-01; quarters of 90, 91, 92
and 92 days (365).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spmsim.errors import InputError
from spmsim.plans import PlanInputs, evaluate, plan_from_dict

ATOL = 1e-6
MONTHLY = [1 / 12] * 12


def make_plan(*components: dict, period: str = "month", **extra):
    return plan_from_dict({"plan": "Timing", "ote": 200_000, "base_share": 0.5,
                           "payout_period": period, "year_start": "2027-01-01",
                           "components": list(components), **extra})


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=0, atol=ATOL)


COMMISSION_10 = {"name": "Commission", "type": "commission", "measure": "new_arr",
                 "rates": "percent", "tier_basis": "amount", "tiers": [{"rate": 0.1}]}
QUARTERLY_BONUS = {"name": "Quarterly bonus", "type": "bonus", "measure": "new_arr",
                   "weight": 0.2, "curve": [[0.0, 0.0], [1.0, 1.0]], "payout_period": "quarter"}


def test_monthly_commission_and_a_quarterly_bonus_in_one_plan():
    # 10 % commission on 100,000 a month: 10,000 each month.
    # bonus target 0.2 x 100,000 = 20,000 on quota 1,200,000 due 1/12 a month; on pace
    # (100 %) it has earned 20,000 x 3/12 = 5,000 by March, paid at the quarter's end only.
    # paid: 10k, 10k, 15k, 10k, 10k, 15k, ... ; year 120,000 + 20,000 = 140,000
    plan = make_plan(COMMISSION_10, QUARTERLY_BONUS, quota_weights=MONTHLY)
    p = evaluate(plan, PlanInputs(credit={"new_arr": np.full((1, 12), 100_000.0)},
                                  quota={"new_arr": np.array([1_200_000.0])}))
    close(p.paid[0], [10_000, 10_000, 15_000] * 4)
    close(p.earned_ytd[1, 0, :3], [20_000 / 12, 20_000 / 6, 5_000])  # accrues monthly
    close(p.payable_ytd[1, 0, :4], [0, 0, 5_000, 5_000])
    close(p.deferred_ytd[0, :3], [20_000 / 12, 20_000 / 6, 0])
    close(p.paid.sum(), 140_000)


FLAT = {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 1.0}


def run_quarterly(holdback, credit, active=None):
    plan = make_plan(FLAT, period="quarter", holdback=holdback)
    return evaluate(plan, PlanInputs(credit={"new_arr": np.atleast_2d(credit)},
                                     quota={"new_arr": np.array([1_000_000.0])},
                                     active=None if active is None else np.atleast_2d(active)))


def test_holdback_withholds_a_share_and_trues_up_at_year_end():
    # base rate 0.1; 250,000 a quarter earns 25,000 a quarter. 10 % held back:
    # Q1-Q3 pay 22,500 each; Q4 pays 100,000 - 67,500 = 32,500 (the 10,000 released)
    p = run_quarterly({"share": 0.1}, np.full(4, 250_000.0))
    close(p.paid[0], [22_500, 22_500, 22_500, 32_500])
    close(p.held_ytd[0], [2_500, 5_000, 7_500, 0])


@pytest.mark.parametrize(("on_leaving", "q2"), [
    # leaves at the end of Q2 (181 days on the plan): TI 100,000 x 181/365 = 49,589.04,
    # quota stated for that time 500,000 -> rate 0.0991781; 250,000 a quarter earns
    # 24,794.52. Q1 pays 90 % = 22,315.07.
    # release: Q2 pays the rest, 49,589.04 - 22,315.07 = 27,273.97
    ("release", 100_000 * 181 / 365 - 0.9 * 100_000 * 181 / 365 / 2),
    # forfeit: Q2 pays 90 % of 49,589.04 less 22,315.07 = 22,315.07; 4,958.90 is never paid
    ("forfeit", 0.9 * 100_000 * 181 / 365 / 2),
])
def test_holdback_of_a_leaver_is_released_or_forfeited(on_leaving, q2):
    plan = make_plan(FLAT, period="quarter", holdback={"share": 0.1, "on_leaving": on_leaving})
    p = evaluate(plan, PlanInputs(credit={"new_arr": np.array([[250_000.0, 250_000, 0, 0]])},
                                  quota={"new_arr": np.array([500_000.0])},
                                  active=np.array([[1.0, 1, 0, 0]])))
    ti = 100_000 * 181 / 365
    close(p.paid[0], [0.9 * ti / 2, q2, 0, 0])
    close(p.held_ytd[0, -1], 0.0 if on_leaving == "release" else 0.1 * ti)


def test_a_rep_on_leave_is_not_a_leaver_and_gets_the_holdback_at_year_end():
    # on leave in Q2, back in Q3: the holdback is released in Q4, not in Q1
    p = run_quarterly({"share": 0.2, "on_leaving": "forfeit"}, np.array([250_000.0, 0, 0, 0]),
                      active=[1.0, 0, 1, 1])
    assert p.held_ytd[0, 2] > 0
    close(p.held_ytd[0, -1], 0.0)
    close(p.paid.sum(), p.total_earned_ytd[0, -1])


@pytest.mark.parametrize(("extra", "message"), [
    ({"holdback": {"share": 1.0}}, "holdback.share"),
    ({"holdback": {"share": 0.1, "on_leaving": "keep"}}, "holdback.on_leaving"),
])
def test_bad_holdback_is_refused(extra, message):
    with pytest.raises(InputError, match=message):
        make_plan(FLAT, period="quarter", **extra)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 300_000), min_size=12, max_size=12), st.floats(0.01, 0.5),
       st.sampled_from(["quarter", "year"]))
def test_pay_timing_never_changes_the_year(credit, share, bonus_period):
    # deferral and holdback only move pay between periods
    bonus = {**QUARTERLY_BONUS, "payout_period": bonus_period}
    inputs = PlanInputs(credit={"new_arr": np.array([credit])},
                        quota={"new_arr": np.array([1_200_000.0])})
    plain = evaluate(make_plan(COMMISSION_10, {**bonus, "payout_period": None}), inputs)
    timed = evaluate(make_plan(COMMISSION_10, bonus, holdback={"share": share}), inputs)
    close(timed.paid.sum(), plain.paid.sum())
    assert np.all(timed.paid.cumsum(axis=-1) <= plain.paid.cumsum(axis=-1) + ATOL) or \
        np.any(plain.paid < 0)
