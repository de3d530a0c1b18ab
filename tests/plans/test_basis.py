"""Attainment basis of gates, tiers and curves (`basis:`) and seasonal `quota_weights`.

Every expected number is worked by hand. Unless a test says otherwise: TI 100,000, one
commission of weight 1.0 (target 100,000), quota 1,000,000, base rate 0.1; FY2027 from
2027-01-01, quarters of 90, 91, 92 and 92 days (365).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spmsim.errors import InputError
from spmsim.plans import PlanInputs, evaluate, plan_from_dict
from spmsim.plans.basis import carried, due, due_to_date, group_total, pay_groups, within_group

ATOL = 1e-6
QUOTA = 1_000_000.0
ACCELERATOR = [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]
EVEN = [0.25, 0.25, 0.25, 0.25]


def make_plan(*components: dict, period: str = "quarter", **extra):
    return plan_from_dict({"plan": "Basis", "ote": 200_000, "base_share": 0.5,
                           "payout_period": period, "year_start": "2027-01-01",
                           "components": list(components), **extra})


def commission(**fields) -> dict:
    return {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 1.0,
            **fields}


def run(plan, credit, quota=QUOTA, measure="new_arr", **inputs):
    credit = np.atleast_2d(np.asarray(credit, dtype=float))
    return evaluate(plan, PlanInputs(credit={measure: credit},
                                     quota={measure: np.full(credit.shape[0], quota)}, **inputs))


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=0, atol=ATOL)


# ------------------------------------------------------------ the Q1 gate of the issue


def test_on_pace_rep_under_a_40_percent_gate_annual_basis_pays_nothing_in_q1():
    # annual basis: Q1 YTD 250,000 / 1,000,000 = 25 % < 40 % -> 0; Q2 500,000 = 50 % ->
    # 50,000; Q3 75,000 -> pays 25,000; Q4 100,000 -> 25,000 (the 0/50k/25k/25k)
    plan = make_plan(commission(threshold=0.4), basis="annual")
    close(run(plan, [250_000] * 4).paid[0], [0, 50_000, 25_000, 25_000])


def test_on_pace_rep_under_a_40_percent_gate_prorated_by_days_is_paid_every_quarter():
    # default basis ytd_prorated by days: Q1 quota to date = 1,000,000 x 90/365 = 246,575.34;
    # 250,000 / 246,575.34 = 101.4 % >= 40 % -> 250,000 x 0.1 = 25,000; likewise each quarter
    plan = make_plan(commission(threshold=0.4))
    assert plan.basis == "ytd_prorated"
    close(run(plan, [250_000] * 4).paid[0], [25_000] * 4)


def test_gate_exactly_met_on_a_seasonally_prorated_basis_pays_from_the_first_dollar():
    # weights 10/20/30/40 %: Q1 quota to date 100,000; gate 40 % of it = 40,000.
    # 40,000 -> 40,000 x 0.1 = 4,000; in Q2 nothing more: 40,000 against 300,000 = 13 %,
    # below the gate, so the true-up takes the 4,000 back.
    # 39,999 -> 0; then Q2: YTD 39,999 + 80,001 = 120,000 against 300,000 = 40 % exactly
    # -> 12,000 to date, pays 12,000
    plan = make_plan(commission(threshold=0.4), quota_weights=[0.1, 0.2, 0.3, 0.4])
    p = run(plan, [[40_000, 0, 0, 0], [39_999, 80_001, 0, 0]])
    close(p.paid[:, :2], [[4_000, -4_000], [0, 12_000]])


def test_gate_exactly_met_on_a_days_prorated_monthly_basis():
    # January quota to date = 1,000,000 x 31/365 = 84,931.51; 40 % of it = 33,972.60...
    plan = make_plan(commission(threshold=0.4), period="month")
    at_gate = 0.4 * QUOTA * 31 / 365
    p = run(plan, np.stack([np.r_[at_gate, np.zeros(11)], np.r_[at_gate - 0.01, np.zeros(11)]]))
    close(p.paid[:, 0], [at_gate * 0.1, 0.0])


# ------------------------------------------------------------------ accelerators, true-up


def test_prorated_accelerator_pays_early_and_trues_down_to_the_annual_figure():
    # even weights, tiers x1 to 100 %, x2 above; credit 300k, 0, 700k, 0.
    # Q1: quota to date 250,000 -> 250,000 x 0.1 + 50,000 x 0.2 = 35,000
    # Q2: 300,000 against 500,000 -> 30,000: pays -5,000 (a true-down)
    # Q3: 1,000,000 against 750,000 -> 75,000 + 250,000 x 0.2 = 125,000: pays 95,000
    # Q4: 1,000,000 against 1,000,000 -> 100,000: pays -25,000. Year: 100,000 as annual.
    plan = make_plan(commission(tiers=ACCELERATOR), quota_weights=EVEN)
    p = run(plan, [300_000, 0, 700_000, 0])
    close(p.earned_ytd[0, 0], [35_000, 30_000, 125_000, 100_000])
    close(p.paid[0], [35_000, -5_000, 95_000, -25_000])
    annual = run(make_plan(commission(tiers=ACCELERATOR), basis="annual"), [300_000, 0, 700_000, 0])
    close(annual.total_earned_ytd[0, -1], 100_000)


def test_period_basis_judges_each_quarter_alone_with_no_carry():
    # Q1: 300,000 against 250,000 -> 35,000; Q2: 0; Q3: 700,000 against 250,000 ->
    # 25,000 + 450,000 x 0.2 = 115,000; Q4: 0. Year 150,000 (annual basis: 100,000)
    plan = make_plan(commission(tiers=ACCELERATOR), quota_weights=EVEN, basis="period")
    close(run(plan, [300_000, 0, 700_000, 0]).paid[0], [35_000, 0, 115_000, 0])


def test_component_basis_overrides_the_plans():
    plan = make_plan(commission(tiers=ACCELERATOR, basis="period"), quota_weights=EVEN,
                     basis="annual")
    close(run(plan, [300_000, 0, 700_000, 0]).paid[0], [35_000, 0, 115_000, 0])


def test_bonus_curve_on_the_prorated_basis():
    # curve [[0.9, 0], [1.0, 1.0], [1.1, 1.5]], weight 0.2 -> target 20,000; even weights.
    # Q1 250,000 vs 250,000 = 100 % -> 25 % of the target to date x 1.0 = 5,000;
    # Q2 YTD 525,000 vs 500,000 = 105 % -> 0.5 x 20,000 x 1.25 = 12,500, pays 7,500
    plan = make_plan({"name": "Bonus", "type": "bonus", "measure": "renewals", "weight": 0.2,
                      "curve": [[0.9, 0.0], [1.0, 1.0], [1.1, 1.5]]}, quota_weights=EVEN)
    p = run(plan, [250_000, 275_000, 0, 0], measure="renewals")
    close(p.paid[0, :2], [5_000, 7_500])


def test_mid_year_starter_is_prorated_over_their_own_periods():
    # starts 1 July: on the plan for Q3 (92 days) and Q4 (92 days); quota 500,000 for that
    # time; TI 100,000 x 184/365 = 50,410.96; gate 40 %. Q3 credit 150,000:
    #   annual:   150,000 / 500,000 = 30 % < 40 % -> 0
    #   prorated: quota to date 500,000 x 92/184 = 250,000 -> 60 % -> paid
    #             150,000 x 50,410.96 / 500,000 = 15,123.29
    # Q4 with no more credit: 30 % of the whole 500,000 -> below the gate, trued down to 0
    active = np.array([[0, 0, 1, 1.0]])
    ti = 100_000 * 184 / 365
    for basis, q3 in (("annual", 0.0), ("ytd_prorated", 150_000 * ti / 500_000)):
        plan = make_plan(commission(threshold=0.4), basis=basis)
        p = run(plan, [0, 0, 150_000, 0], quota=500_000, active=active)
        close(p.paid[0], [0, 0, q3, -q3])


def test_a_quarterly_component_in_a_monthly_plan_is_judged_per_quarter_on_period_basis():
    # monthly plan, commission paid by quarter with `basis: period`; weights by days.
    # Q1 quota = 1,000,000 x 90/365 = 246,575.34; Jan 100k + Feb 100k + Mar 100k = 300,000
    # -> 24,657.53 + 53,424.66 x 0.2 = 35,342.47 for Q1, nothing in Q2
    plan = make_plan(commission(tiers=ACCELERATOR, basis="period", payout_period="quarter"),
                     period="month")
    p = run(plan, np.r_[[100_000] * 3, np.zeros(9)])
    q1 = QUOTA * 90 / 365
    expected = q1 * 0.1 + (300_000 - q1) * 0.2
    close(p.earned_ytd[0, 0, 2], expected)
    close(p.earned_ytd[0, 0, 3:6], expected)


# ------------------------------------------------------------------------- the helpers


def test_due_shares_by_days_weights_and_active_days():
    from spmsim.calendar import PlanCalendar
    cal = PlanCalendar(np.datetime64("2027-01-01").astype(object), "quarter")
    close(due(cal, None, None), np.array([90, 91, 92, 92]) / 365)
    close(due(cal, (0.1, 0.2, 0.3, 0.4), None), [0.1, 0.2, 0.3, 0.4])
    # on the plan for half of Q2 and all of Q3: weights 0.2 x 0.5 and 0.3 -> 0.1 / 0.4, 0.3 / 0.4
    close(due(cal, (0.1, 0.2, 0.3, 0.4), np.array([0, 0.5, 1, 0])), [0, 0.25, 0.75, 0])
    close(due(cal, None, np.zeros(4)), 0.0)
    assert due_to_date(np.array([0.1, 0.2, 0.3, 0.4]))[-1] == 1.0


def test_group_helpers_restart_and_carry():
    groups = pay_groups(12, "month", "quarter")
    assert groups.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    ytd = np.cumsum(np.arange(1.0, 13.0))
    close(within_group(ytd, groups)[:4], [1, 3, 6, 4])
    close(group_total(np.full(12, 1 / 12), groups), 0.25)
    # earned within each quarter 1, 2, 3 | 10, 20, 30 | ... -> carried 1, 2, 3, 13, 23, 33
    close(carried(np.array([1, 2, 3, 10, 20, 30.0]), groups[:6]), [1, 2, 3, 13, 23, 33])


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("extra", "component", "message"), [
    ({"quota_weights": [0.5, 0.5]}, {}, "quota_weights: a quarter plan needs 4 weights"),
    ({"quota_weights": [0.3, 0.3, 0.3, 0.3]}, {}, "add up to 1.2, not 1"),
    ({"quota_weights": [0, 0.5, 0.25, 0.25]}, {}, "quota_weights[0]: a share"),
    ({}, {"payout_period": "month"}, "cannot pay by month on a plan paid by quarter"),
    ({}, {"rates": "percent", "tier_basis": "amount", "basis": "annual",
          "tiers": [{"rate": 0.1}]}, "`basis` judges attainment"),
])
def test_bad_basis_fields_are_refused_with_the_fix(extra, component, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make_plan(commission(**component), **extra)


# ---------------------------------------------------------------------------- invariants


credits = st.lists(st.floats(0, 600_000), min_size=4, max_size=4)


@settings(max_examples=60, deadline=None)
@given(credits, st.sampled_from(["ytd_prorated", "period"]),
       st.floats(0, 0.9), st.booleans())
def test_prorated_basis_ends_the_year_where_the_annual_basis_does(credit, how, gate, weights):
    # ytd_prorated only moves pay between quarters: the last quarter judges the annual quota
    extra = {"quota_weights": [0.1, 0.2, 0.3, 0.4]} if weights else {}
    comp = commission(tiers=ACCELERATOR, threshold=gate)
    prorated = run(make_plan(comp, **extra), credit)
    annual = run(make_plan(comp, basis="annual", **extra), credit)
    close(prorated.total_earned_ytd[0, -1], annual.total_earned_ytd[0, -1])
    if how == "period" and sum(credit) == 0:
        close(run(make_plan(comp, basis=how, **extra), credit).paid, 0.0)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.2, 3.0), st.lists(st.floats(0.05, 1), min_size=4, max_size=4))
def test_a_rep_on_pace_is_at_the_same_attainment_every_period(pace, raw):
    # credit = pace x quota due each quarter -> attainment `pace` every quarter on the
    # prorated basis, so a bonus curve pays its value at `pace` in proportion to quota due
    w = np.array(raw) / np.sum(raw)
    w[-1] = 1.0 - w[:-1].sum()
    plan = make_plan({"name": "B", "type": "bonus", "measure": "new_arr", "weight": 1.0,
                      "curve": [[0.0, 0.0], [1.0, 1.0], [3.0, 2.0]]}, quota_weights=w.tolist())
    p = run(plan, pace * QUOTA * w)
    value = np.interp(pace, [0, 1, 3], [0, 1, 2])
    np.testing.assert_allclose(p.paid[0], 100_000 * value * w, rtol=1e-9, atol=1e-6)
