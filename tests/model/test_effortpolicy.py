"""The effort policy by hand: the month's bookings distribution, the expectation step and
the optimal effort against first-order conditions worked out in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy.optimize import brentq

from spmsim.model.behavior import Behavior
from spmsim.model.effortpolicy import (
    ATTAINMENTS,
    FFT,
    POINTS,
    SKILLS,
    STEP,
    EffortChoice,
    Outlook,
    expected_next,
    month_pmfs,
    solve_policy,
    utility,
)

LAM = 1.5  # won deals a month at productivity 1, effort 1


def point_sizes(deal: float) -> np.ndarray:
    """Every deal exactly `deal` of quota."""
    pmf = np.zeros(FFT - POINTS)
    pmf[int(round(deal / STEP))] = 1.0
    return pmf


def linear_outlook(deal: float = 0.05, lag: int = 1) -> Outlook:
    return Outlook(rates=np.full(12, LAM), sizes=point_sizes(deal), lag=lag)


def test_month_pmf_is_compound_poisson():
    # deals Poisson(mean 3), sizes 0.05 or 0.10 of quota with probability 1/2 each:
    # mean 3 x 0.075 = 0.225, variance 3 x E[size^2] = 3 x (0.0025 + 0.01) / 2 = 0.01875
    sizes = np.zeros(FFT - POINTS)
    sizes[5] = sizes[10] = 0.5
    pmf = np.fft.irfft(month_pmfs(sizes, np.array([3.0])), FFT)[0]
    x = np.arange(FFT) * STEP
    assert pmf.sum() == pytest.approx(1.0)
    assert pmf @ x == pytest.approx(0.225, rel=1e-9)
    assert pmf @ x ** 2 - (pmf @ x) ** 2 == pytest.approx(0.01875, rel=1e-6)
    assert pmf[0] == pytest.approx(math.exp(-3.0), rel=1e-6)  # no deal at all


def test_expected_next_of_a_line_adds_the_mean():
    # V(a) = 2a: E V(a + X) = 2a + 2 E[X], E[X] = 3 x 0.05 = 0.15, away from the grid's top
    values = np.repeat((2 * ATTAINMENTS)[None, :], 2, axis=0)
    pmf_hat = month_pmfs(point_sizes(0.05), np.array([[3.0], [3.0]]))
    ev = expected_next(values, pmf_hat)
    np.testing.assert_allclose(ev[0, 0, :500], 2 * ATTAINMENTS[:500] + 0.3, atol=1e-9)


@pytest.mark.parametrize("quota_over_bookings, elasticity", [(1.0, 0.5), (2.0, 0.5),
                                                             (2.0, 1.0), (0.8, 0.5)])
def test_linear_plan_effort_is_the_first_order_condition(quota_over_bookings, elasticity):
    # pay = a (TI per unit of attainment). A rep of productivity s at effort e books
    # s e lam deal of quota a month, so the marginal gain of effort is s lam deal (TI) and the
    # cost's derivative s w_m e^(1/elasticity), w_m = 1/12. With deal = 1 / (12 lam Q/B)
    # (the year's expected bookings B at effort 1 are B/Q of quota): e^(1/elasticity) = B/Q.
    # quota = bookings -> 1; quota 2 x bookings -> 0.5^0.5 = 0.7071 (elasticity 0.5) or 0.5
    # (elasticity 1); quota 0.8 x bookings -> 1.25^0.5 = 1.1180
    deal = 1.0 / (12 * LAM * quota_over_bookings)
    params = EffortChoice(elasticity=elasticity, discount=1.0)
    sizes = np.zeros(FFT - POINTS)
    lo = int(deal / STEP)  # a deal between two grid steps, weights keeping its mean
    sizes[lo], sizes[lo + 1] = lo + 1 - deal / STEP, deal / STEP - lo
    outlook = Outlook(rates=np.full(12, LAM), sizes=sizes, lag=1)
    policy = solve_policy(params, ATTAINMENTS.copy(), outlook, next_year_rate=1.0)
    want = (1.0 / quota_over_bookings) ** elasticity
    for month in (0, 6, 10, 11):
        for a in (0.0, 0.5, 1.2):
            for s in (0.3, 1.0, 2.5):
                assert policy.lookup(month, a, s) == pytest.approx(want, abs=0.01)


def test_past_a_cap_effort_is_the_least():
    # pay rises to quota then stops: a rep already at 1.2 gains nothing from a sale
    params = EffortChoice(elasticity=0.5, discount=1.0, min_effort=0.2)
    pay = np.minimum(ATTAINMENTS, 1.0)
    policy = solve_policy(params, pay, linear_outlook(), next_year_rate=1.0)
    assert policy.lookup(5, 1.2, 1.0) == pytest.approx(0.2)
    assert policy.lookup(5, 0.2, 1.0) > 0.9  # far below the cap: about the linear effort


def test_bonus_one_deal_away_matches_the_first_order_condition():
    # Last month, no lag, deals of exactly 0.1 of quota, a bonus of 0.3 TI at quota only
    # (no commission), rep at 0.9: E pay = 0.3 x P(at least one deal) = 0.3 (1 - e^(-lam s e)).
    # With elasticity 1 the cost is s w e^2 / 2 (w = 1/12), so the optimum solves
    # 0.3 lam s e^(-lam s e) = s w e. For s = 1, lam = 1.5: e = 1.5056 (brentq below).
    params = EffortChoice(elasticity=1.0, discount=1.0, min_effort=0.05, max_effort=3.0)
    pay = 0.3 * (ATTAINMENTS >= 1.0 - 1e-9)
    outlook = Outlook(rates=np.full(12, LAM), sizes=point_sizes(0.1), lag=0)
    policy = solve_policy(params, pay, outlook, next_year_rate=0.0)
    for s in (1.0, float(SKILLS[7])):
        want = brentq(lambda e, s=s: 0.3 * LAM * math.exp(-LAM * s * e) - e / 12, 1e-6, 10)
        assert policy.lookup(11, 0.9, s) == pytest.approx(want, rel=0.02)
    # at 0.5 of quota with one month left the bonus is out of reach: the least effort
    assert policy.lookup(11, 0.5, 1.0) == pytest.approx(0.05)
    assert policy.lookup(11, 1.0, 1.0) == pytest.approx(0.05)  # already earned


def test_a_bonus_within_reach_draws_more_effort_than_one_out_of_reach():
    # commission 0.7 TI per quota plus 0.3 TI at quota: in December just short of quota the
    # bonus is worth chasing; far below it is not and effort falls to the commission's
    # level or below (giving up). Past it effort is the commission's: deals of 0.05 at 1.5 a
    # month book B = 0.9 of quota a year, so a unit of B pays 0.7 x 0.9 = 0.63 TI and
    # e = 0.63^0.5 = 0.794
    params = EffortChoice(elasticity=0.5, discount=1.0)
    pay = 0.7 * ATTAINMENTS + 0.3 * (ATTAINMENTS >= 1.0 - 1e-9)
    policy = solve_policy(params, pay, linear_outlook(0.05, lag=0), next_year_rate=1.0)
    near, far, past = (policy.lookup(11, a, 1.0) for a in (0.95, 0.4, 1.3))
    assert near > 1.2 > 0.9 > far
    assert past == pytest.approx(0.63 ** 0.5, abs=0.01)


def test_risk_aversion_lowers_effort_on_a_linear_plan():
    # CARA utility is concave: a sale adds less utility the more is earned
    out = linear_outlook()
    neutral = solve_policy(EffortChoice(discount=1.0), ATTAINMENTS.copy(), out, 1.0)
    averse = solve_policy(EffortChoice(discount=1.0, risk_aversion=2.0), ATTAINMENTS.copy(),
                          out, 1.0)
    assert averse.lookup(3, 0.5, 1.0) < neutral.lookup(3, 0.5, 1.0) - 0.05
    assert utility(np.array([0.0, 1.0]), 2.0) == pytest.approx([0.0, (1 - math.exp(-2)) / 2])


@settings(max_examples=6, deadline=None)
@given(rate=st.floats(0.3, 2.5), elasticity=st.floats(0.2, 1.5))
def test_effort_stays_in_bounds_and_follows_a_linear_rate(rate, elasticity):
    # pay = rate x a with quota = expected bookings: e = rate^elasticity within the bounds
    params = EffortChoice(elasticity=elasticity, discount=1.0, min_effort=0.5, max_effort=1.5)
    sizes = np.zeros(FFT - POINTS)
    deal = 1.0 / (12 * LAM)
    lo = int(deal / STEP)
    sizes[lo], sizes[lo + 1] = lo + 1 - deal / STEP, deal / STEP - lo
    policy = solve_policy(params, rate * ATTAINMENTS, Outlook(np.full(12, LAM), sizes, 1),
                          next_year_rate=rate)
    assert (policy.effort >= 0.5 - 1e-9).all() and (policy.effort <= 1.5 + 1e-9).all()
    want = min(max(rate ** elasticity, 0.5), 1.5)
    assert policy.lookup(4, 0.3, 1.0) == pytest.approx(want, abs=0.02)


def test_one_effort_rule_at_a_time():
    with pytest.raises(ValidationError, match="keep one of them"):
        Behavior(effort={}, effort_choice={})
    with pytest.raises(ValidationError, match="min_effort"):
        EffortChoice(min_effort=2.0, max_effort=1.0)
    assert Behavior(effort_choice={}).any


def test_ratchet_loss_by_hand_and_its_effect():
    # ratchet 0.5, year-end attainment 1.4: next year's quota x (1 + 0.5 x 0.4) = 1.2, so
    # next year's pay at rate 1 on expected attainment A = 12 x 1.5 x 0.05 = 0.9 falls by
    # 0.9 x (1 - 1 / 1.2) = 0.15 for productivity 1 (no discounting); nothing at or below 1
    from spmsim.model.effortpolicy import ratchet_loss

    params = EffortChoice(discount=1.0, ratchet=0.5)
    out = linear_outlook(0.05)
    loss = ratchet_loss(params, out, 1.0)
    j = int(np.argmin(abs(SKILLS - 1.0)))
    assert SKILLS[j] == pytest.approx(1.0, rel=0.2)
    assert loss[j, 140] == pytest.approx(0.9 * SKILLS[j] * (1 - 1 / 1.2), rel=1e-9)
    assert (loss[:, :101] == 0).all()
    # reps expecting a ratchet ease off above quota, not far below it
    plain = solve_policy(EffortChoice(discount=1.0), ATTAINMENTS.copy(), out, 1.0)
    ratcheted = solve_policy(params, ATTAINMENTS.copy(), out, 1.0)
    assert ratcheted.lookup(9, 1.3, 1.0) < plain.lookup(9, 1.3, 1.0) - 0.05
    assert ratcheted.lookup(1, 0.05, 0.3) == pytest.approx(plain.lookup(1, 0.05, 0.3), abs=0.01)


def test_windows_follow_the_plan():
    # 2027 quarters have 90, 91, 92 and 92 of 365 days: the share of quota due in each
    from spmsim.model.effortpolicy import ANNUAL, plan_windows
    from spmsim.plans import plan_from_dict

    def the_plan(basis: str) -> dict:
        return plan_from_dict({
            "plan": "p", "ote": 100000, "base_share": 0.5, "year_start": "2027-01-01",
            "payout_period": "quarter", "basis": basis,
            "components": [{"name": "Bonus", "type": "bonus", "measure": "new_arr",
                            "weight": 1.0, "curve": [[1.0, 1.0]], "steps": True}]})

    windows = plan_windows(the_plan("period"), "new_arr")
    assert [end for end, _ in windows] == [3, 6, 9, 12]
    np.testing.assert_allclose([s for _, s in windows], np.array([90, 91, 92, 92]) / 365)
    assert plan_windows(the_plan("annual"), "new_arr") == ANNUAL
    assert plan_windows(the_plan("ytd_prorated"), "new_arr") == ANNUAL  # trued up


def test_giving_up_reads_the_window_that_pays():
    # A bonus of TI at quota only. Annual window: in September with 5 % of the annual quota
    # booked the bonus is out of reach, effort is the least. Quarterly windows (a quarter's
    # quota each, paying a quarter of the bonus): the same rep starts October's quarter
    # from nothing and works for it, and one already past September's own quarter quota
    # works at the least until the quarter ends.
    params = EffortChoice(discount=1.0, min_effort=0.5)
    pay = 1.0 * (ATTAINMENTS >= 1.0 - 1e-9)
    quarters = tuple((3 * (i + 1), 0.25) for i in range(4))
    annual = solve_policy(params, pay, linear_outlook(0.05, lag=1), 0.0)
    quarterly = solve_policy(params, pay, Outlook(np.full(12, LAM), point_sizes(0.05), 1,
                                                  quarters), 0.0)
    assert annual.lookup(8, 0.05, 1.0) == pytest.approx(0.5)  # lands in Q4, hopeless
    assert quarterly.lookup(8, 0.0, 1.0) > 0.8  # October's quarter from nothing: 0.96
    assert quarterly.lookup(7, 1.1, 1.0) == pytest.approx(0.5)  # September's quarter made
