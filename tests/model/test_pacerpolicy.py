"""The two-state effort policy (year and quarter) by hand and against the one-state solve."""

from __future__ import annotations

import numpy as np
import pytest

from spmsim.model.effortpolicy import (
    ATTAINMENTS,
    FFT,
    POINTS,
    STEP,
    EffortChoice,
    Outlook,
    solve_policy,
)
from spmsim.model.pacerpolicy import (
    F2,
    NU,
    NY,
    STEP2,
    coarse,
    expected_next2,
    month_pmfs2,
    pacer_components,
    solve_pacer,
)
from spmsim.plans import plan_from_dict

LAM = 1.5
QUARTERS = tuple((3 * (i + 1), 0.25) for i in range(4))


def point_sizes(deal: float) -> np.ndarray:
    pmf = np.zeros(FFT - POINTS)
    pmf[int(round(deal / STEP))] = 1.0
    return pmf


def test_expected_next2_is_the_direct_sum_along_diagonals():
    # Deals of exactly 0.04 of the annual quota (2 steps of 2 %), Poisson(mean 1.2) a month:
    # P(k deals) = e^-1.2 1.2^k / k!, and both states move 2k steps. Summed directly on a
    # random value table (both states clipped at the grid's end), against the transform.
    rng = np.random.default_rng(23)
    values = rng.random((1, NY, NU))
    pmf_hat = month_pmfs2(coarse(point_sizes(0.04)), np.array([[1.2]]))
    got = expected_next2(values, pmf_hat)[0, 0]
    k = np.arange(40)
    p = np.exp(-1.2) * 1.2 ** k / np.cumprod(np.r_[1, np.arange(1, 40)])
    want = np.zeros((NY, NU))
    for y in range(NY):
        for u in range(min(y + 1, NU)):
            yi = np.minimum(y + 2 * k, NY - 1)
            ui = np.minimum(u + 2 * k, NU - 1)
            want[y, u] = p @ values[0, yi, ui]
    valid = np.arange(NY)[:, None] >= np.arange(NU)[None, :]
    np.testing.assert_allclose(got[valid], want[valid], atol=1e-9)


def test_mixed_windows_need_two_states():
    def plan(*bases: str) -> dict:
        return plan_from_dict({
            "plan": "p", "ote": 100000, "base_share": 0.5, "year_start": "2027-01-01",
            "payout_period": "quarter",
            "components": [{"name": f"Bonus {i}", "type": "bonus", "measure": "new_arr",
                            "weight": 0.5, "curve": [[1.0, 1.0]], "steps": True, "basis": b}
                           for i, b in enumerate(bases)]})

    assert pacer_components(plan("annual", "period"), "new_arr") == \
        (frozenset({"Bonus 1"}), "quarter")
    assert pacer_components(plan("ytd_prorated", "period"), "new_arr") is not None
    assert pacer_components(plan("annual", "annual"), "new_arr") is None  # one window
    assert pacer_components(plan("period", "period"), "new_arr") is None  # one window
    assert pacer_components(plan("annual", "period"), "other") is None


def test_without_quarterly_pay_it_is_the_annual_policy():
    # Nothing paid per quarter: the quarter's state changes nothing, and effort is the
    # one-state policy's on the year (a bonus of TI at quota on top of a commission of
    # 0.5 per unit), to within the coarser grid's error
    params = EffortChoice(discount=1.0, min_effort=0.5)
    pay = 0.5 * ATTAINMENTS + 1.0 * (ATTAINMENTS >= 1.0 - 1e-9)
    sizes = point_sizes(0.04)
    one = solve_policy(params, pay, Outlook(np.full(12, LAM), sizes, 1), 0.5)
    two = solve_pacer(params, pay, np.zeros_like(pay), Outlook(np.full(12, LAM), sizes, 1,
                                                              QUARTERS), 0.5)
    for month in (0, 5, 9):
        for a in (0.2, 0.6, 0.9, 1.3):
            for u in (0.0, 0.1):
                assert two.lookup(month, a, min(u, a), 1.0) == \
                    pytest.approx(one.lookup(month, a, 1.0), abs=0.03)


def test_a_quarterly_bonus_paces_a_rep_behind_on_the_year():
    # A quarterly bonus of a quarter of TI at each quarter's quota (0.25 of the annual one,
    # in the same units as the year's state) on top of an annual bonus of TI at quota.
    # In August with 20 % of the annual quota committed the annual bonus is out of reach
    # and effort is the least on the annual plan alone; with the quarterly bonus a rep
    # starting the fourth quarter's window from nothing works for it (0.70: at effort 1 a
    # quarter books 3 x 1.5 x 0.04 = 0.18, 72 % of its quota, so the bonus is a stretch),
    # and one past this quarter's quota in November (0.26 > 0.25) works at the least.
    params = EffortChoice(discount=1.0, min_effort=0.5)
    step = 1.0 * (ATTAINMENTS >= 1.0 - 1e-9)
    sizes = point_sizes(0.04)
    outlook = Outlook(np.full(12, LAM), sizes, 1, QUARTERS)
    annual = solve_pacer(params, step, np.zeros_like(step), outlook, 0.0)
    both = solve_pacer(params, step, step, outlook, 0.0)
    assert annual.lookup(8, 0.2, 0.0, 1.0) == pytest.approx(0.5, abs=0.01)
    assert both.lookup(8, 0.2, 0.0, 1.0) > 0.65
    assert both.lookup(10, 0.5, 0.26, 1.0) == pytest.approx(0.5, abs=0.01)
    assert STEP2 * (F2 - NU) > 4.0  # a month's bookings up to 4x quota never wrap
