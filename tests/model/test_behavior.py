"""Behaviour functions by hand: what a rep reads off a plan and how each rule decides."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from spmsim.model.behavior import (
    Effort,
    GivingUp,
    PlanView,
    Quitting,
    Timing,
    effort_level,
    gives_up,
    hazard_multiplier,
    poach_rate,
    pulls_in,
    pushes_out,
    reach_probability,
)
from spmsim.plans import load_plan, plan_from_dict

from paths import PLANS


def _plan(tiers, threshold=None, cap=None):
    c = {"name": "c", "type": "commission", "measure": "new_arr", "weight": 1.0, "tiers": tiers}
    if threshold is not None:
        c["threshold"] = threshold
    if cap is not None:
        c["cap"] = {"of_target": cap}
    return plan_from_dict({"plan": "p", "ote": 200000, "base_share": 0.5,
                           "year_start": "2027-01-01", "components": [c]})


LINEAR = PlanView(_plan([{"rate": 1.0}]), ())
ACCEL = PlanView(_plan([{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}], threshold=0.5, cap=2.5), ())


def test_plan_view_of_a_linear_plan():
    assert LINEAR.edges == () and LINEAR.cap == math.inf
    assert LINEAR.pay_at(0.8) == pytest.approx(0.8)
    assert LINEAR.slope_at(0.3) == pytest.approx(1.0) and LINEAR.quota_rate == pytest.approx(1.0)


def test_plan_view_finds_gate_accelerator_and_cap():
    # gate at 50 % (pays from the first unit once reached), accelerator at 100 %,
    # cap at 2.5 x target: 1.0 + 2 x (a - 1) = 2.5 at a = 1.75
    assert ACCEL.edges == (0.5, 1.0)
    assert ACCEL.cap == pytest.approx(1.75)
    assert ACCEL.pay_at(0.4) == 0.0 and ACCEL.pay_at(0.6) == pytest.approx(0.6)
    assert ACCEL.slope_at(1.2) == pytest.approx(2.0) and ACCEL.slope_at(2.0) == 0.0


def test_plan_view_of_the_shipped_plans():
    ent = PlanView(load_plan(PLANS / "enterprise_ae.yaml"), ())
    assert ent.edges == (0.4, 1.0)  # threshold 40 %, accelerator at quota (1.5 x falls)
    smb = PlanView(load_plan(PLANS / "smb_ae.yaml"), ())
    assert smb.edges == (1.0,) and smb.cap == pytest.approx(2.6)


def test_effort_follows_marginal_pay():
    p = Effort(elasticity=0.5, min_effort=0.5, max_effort=1.5)
    assert effort_level(p, LINEAR, 0.7) == pytest.approx(1.0)
    assert effort_level(p, ACCEL, 1.2) == pytest.approx(math.sqrt(2.0))  # rate 2 vs 1
    assert effort_level(p, ACCEL, 2.0) == 0.5  # capped: no marginal pay, the floor
    assert effort_level(Effort(elasticity=0.0), ACCEL, 1.2) == 1.0
    with pytest.raises(ValidationError, match="min_effort"):
        Effort(min_effort=1.2, max_effort=1.0)


def test_reach_probability_is_a_normal_tail():
    assert reach_probability(-5.0, 0.0, 1.0) == 1.0
    assert reach_probability(10.0, 10.0, 4.0) == pytest.approx(0.5)
    assert reach_probability(12.0, 10.0, 4.0) == pytest.approx(0.158655, abs=1e-6)  # z = 1
    assert reach_probability(5.0, 4.0, 0.0) == 0.0 and reach_probability(5.0, 6.0, 0.0) == 1.0


def test_giving_up_needs_a_low_chance_and_the_month():
    p = GivingUp(below_probability=0.1, from_month=4)
    assert gives_up(p, 4, 0.05) and not gives_up(p, 3, 0.05) and not gives_up(p, 6, 0.2)


def test_pull_in_only_just_short_of_a_prorated_edge():
    t = Timing(reach=0.1)
    # half the year gone: edges at 0.25 (gate) and 0.5 (accelerator) of annual quota
    assert pulls_in(t, ACCEL, 0.45, 0.5)  # 5 points short of the prorated accelerator
    assert not pulls_in(t, ACCEL, 0.35, 0.5)  # too far from 0.5, past 0.25
    assert not pulls_in(t, ACCEL, 0.5, 0.5)  # already there
    assert not pulls_in(t, LINEAR, 0.45, 0.5)  # nothing to reach on a linear plan


def test_push_out_only_at_the_cap():
    t = Timing()
    assert pushes_out(t, ACCEL, 1.8) and not pushes_out(t, ACCEL, 1.7)
    assert not pushes_out(t, LINEAR, 9.0)
    assert not pushes_out(Timing(push_at_cap=False), ACCEL, 1.8)


def test_quitting_hazards():
    q = Quitting(below_ote_share=0.8, hazard_multiplier=3.0, poach_annual=0.2)
    assert hazard_multiplier(q, 0.7) == 3.0 and hazard_multiplier(q, 0.9) == 1.0
    assert math.exp(-12 * poach_rate(q, True)) == pytest.approx(0.8)
    assert poach_rate(q, False) == 0.0


def test_period_end_share_by_hand():
    from datetime import date

    import pandas as pd

    from spmsim.engines.eventlog import even_share, period_end_days, period_end_share

    year = date(2027, 1, 1)
    days = period_end_days(year, "quarter", 14)
    assert days.size == 56 and days[0] == 90 - 14 and days[13] == 89 and days[-1] == 364
    assert even_share(year) == pytest.approx(56 / 365)
    events = pd.DataFrame({"event": ["won", "won", "won", "lost", "created"],
                           "day": [10.5, 85.2, 364.9, 86.0, 88.0],
                           "amount": [100.0, 300.0, 100.0, 999.0, 999.0],
                           "role": ["a", "a", "b", "a", "a"]})
    assert period_end_share(events, year) == pytest.approx(0.8)  # 300 + 100 of 500 won
    assert period_end_share(events, year, role="a") == pytest.approx(0.75)
    assert math.isnan(period_end_share(events.iloc[3:], year))


def test_best_discount_by_hand():
    # Accelerator 2x above quota, rep at quota, a deal of 0.1 of quota due next year, which
    # next year pays at the rate to quota (1). Pulled at discount d it pays 2 x 0.1 (1 - d)
    # now: gain 0.1 - 0.2 d; the buyer accepts with 1 - exp(-d / 0.1). The expected gain
    # (1 - e^(-10 d)) (0.1 - 0.2 d) peaks where its derivative vanishes (brentq below,
    # d = 0.1197); the rep offers the nearest of the discounts weighed (steps of 0.01).
    from scipy.optimize import brentq

    from spmsim.model.behavior import best_discount

    view = PlanView(_plan([{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]), ())
    t = Timing(price="chosen", price_sensitivity=0.1, max_discount=0.4)
    want = brentq(lambda d: 10 * math.exp(-10 * d) * (0.1 - 0.2 * d)
                  - 0.2 * (1 - math.exp(-10 * d)), 0.01, 0.4)
    d, p = best_discount(t, view, 1.0, 0.1, 1.0)
    assert d == pytest.approx(want, abs=0.006) and p == pytest.approx(1 - math.exp(-10 * d))
    # below quota on the base rate nothing is gained by pulling: no offer
    assert best_discount(t, view, 0.5, 0.1, 1.0) == (0.0, 0.0)
    assert best_discount(t, LINEAR, 0.5, 0.1, 1.0) == (0.0, 0.0)


def test_a_deal_is_deferred_when_it_pays_more_next_year():
    from spmsim.model.behavior import defers

    # past the cap (1.75) a deal pays nothing now and its rate next year; under the gate
    # (0.5) a deal that does not reach it pays nothing now either
    assert defers(ACCEL, 1.8, 0.1, 1.0) and defers(ACCEL, 0.2, 0.1, 1.0)
    assert not defers(ACCEL, 0.45, 0.1, 1.0)  # it crosses the gate: pays 0.55 now
    assert not defers(LINEAR, 0.5, 0.1, 1.0)  # the same either year: kept


def test_window_rate_by_hand():
    # Pay a to quota, then 1 + 2 (a - 1): a rate of 1 below quota, 2 above. With the next
    # window's other bookings B known (sd 0), a deal of 0.2 of its quota earns
    # (pay(B + 0.2) - pay(B)) / 0.2: at B = 0.5 all at rate 1; at B = 0.9, 0.1 at 1 and
    # 0.1 at 2, (1.2 - 0.9) / 0.2 = 1.5; at B = 1.2 all at 2.
    from scipy.stats import norm

    from spmsim.model.behavior import window_rate

    view = PlanView(_plan([{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]), ())
    assert window_rate(view, 0.5, 0.0, 0.2) == pytest.approx(1.0)
    assert window_rate(view, 0.9, 0.0, 0.2) == pytest.approx(1.5)
    assert window_rate(view, 1.2, 0.0, 0.2) == pytest.approx(2.0)
    # B normal(1, 0.5): the rate is 1 + E[(B + 0.2 - 1)+ - (B - 1)+] / 0.2, and for a
    # normal E[(B - k)+] = (mu - k) Phi((mu - k) / sd) + sd phi((mu - k) / sd):
    # k = 0.8: 0.2 x 0.65542 + 0.5 x 0.36827 = 0.31522; k = 1: 0.5 x 0.39894 = 0.19947;
    # so 1 + 0.11575 / 0.2 = 1.5787 (flooring B at 0 changes nothing: pay is linear there)
    def call(k: float) -> float:
        d = (1.0 - k) / 0.5
        return (1.0 - k) * norm.cdf(d) + 0.5 * norm.pdf(d)

    want = 1 + (call(0.8) - call(1.0)) / 0.2
    assert want == pytest.approx(1.5787, abs=1e-4)
    assert window_rate(view, 1.0, 0.5, 0.2) == pytest.approx(want, rel=1e-4)
    # on a linear plan every deal earns the rate, wherever the window may end
    assert window_rate(LINEAR, 0.3, 0.4, 0.25) == pytest.approx(1.0)


@given(mean=st.floats(0.0, 1.5), sd=st.floats(0.0, 0.25), size=st.floats(0.01, 1.0))
@settings(max_examples=60, deadline=None)
def test_window_rate_lies_between_the_plans_rates(mean, sd, size):
    # pay a to quota, 2x above: whatever the next window holds (within the curve's grid,
    # 4 x quota: mean + 6 sd + size stays below it), a deal earns between the base rate
    # and the accelerated one per unit
    from spmsim.model.behavior import window_rate

    view = PlanView(_plan([{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]), ())
    rate = window_rate(view, mean, sd, size)
    assert 1.0 - 1e-9 <= rate <= 2.0 + 1e-9


def test_market_wage_rises_with_skill():
    from spmsim.model.behavior import Selection, below_market

    # market wage OTE x skill^1: a rep of skill 1.5 expecting 1.2 x OTE is below 0.9 x 1.5
    # = 1.35; one of skill 0.8 expecting 0.75 x OTE is above 0.9 x 0.8 = 0.72
    sel = Selection(skill_premium=1.0, below_market_share=0.9)
    assert below_market(sel, 1.2, 1.5) and not below_market(sel, 0.75, 0.8)
    # without a skill premium the market wage is 0.9 x OTE for everyone
    flat = Selection(skill_premium=0.0)
    assert below_market(flat, 0.85, 2.0) and not below_market(flat, 0.95, 0.5)
