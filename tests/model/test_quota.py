"""Quota methods by hand: shares, over-assignment, blends, ramp relief, fairness."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from spmsim.errors import SpmsimError
from spmsim.model.org import Ramp
from spmsim.model.quota import QuotaMethod, allocate, fairness, relief

HISTORY = np.array([100.0, 300.0, 600.0])
POTENTIAL = np.array([2.0, 1.0, 1.0])


def test_equal_split_with_over_assignment():
    q = allocate(QuotaMethod(method="equal", target=900, over_assignment=0.1), n=3)
    assert q == pytest.approx([330, 330, 330])


def test_flat_growth_keeps_last_years_shares():
    q = allocate(QuotaMethod(method="flat_growth", target=1200, growth=0.2), history=HISTORY)
    assert q == pytest.approx([120, 360, 720])  # shares 10/30/60 % of the target


def test_potential_shares():
    q = allocate(QuotaMethod(method="potential", target=1000), potential=POTENTIAL)
    assert q == pytest.approx([500, 250, 250])


def test_blended_is_the_weighted_mix_of_shares():
    m = QuotaMethod(method="blended", target=1000,
                    weights={"flat_growth": 1.0, "potential": 1.0})
    q = allocate(m, history=HISTORY, potential=POTENTIAL)
    assert q == pytest.approx(1000 * (0.5 * HISTORY / 1000 + 0.5 * POTENTIAL / 4))
    assert q.sum() == pytest.approx(1000)


def test_ramp_relief_by_hand():
    ramp = Ramp(months=4, curve="linear", start=0.0)
    # in seat from the start: none; from month 10 (0-based) the rep works months 10 and 11
    # at tenure 0.5 and 1.5: factors 0.125, 0.375, mean 0.25
    assert relief(ramp, np.array([0.0, 10.0])) == pytest.approx([1.0, 0.25])
    q = allocate(QuotaMethod(method="equal", target=200), start_month=np.array([0.0, 10.0]),
                 ramp=ramp)
    assert q == pytest.approx([100.0, 25.0])
    q = allocate(QuotaMethod(method="equal", target=200, ramp_relief=False),
                 start_month=np.array([0.0, 10.0]), ramp=ramp)
    assert q == pytest.approx([100.0, 100.0])


def test_errors():
    with pytest.raises(SpmsimError, match="last-year bookings"):
        allocate(QuotaMethod(method="flat_growth", target=1), n=3)
    with pytest.raises(SpmsimError, match="one value per rep"):
        allocate(QuotaMethod(method="potential", target=1), history=HISTORY,
                 potential=np.ones(2))
    with pytest.raises(ValidationError, match="weights"):
        QuotaMethod(method="blended", target=1)


def test_fairness_is_a_correlation():
    assert fairness([1.0, 1.1, 0.9], [5, 5, 5]) == 0.0
    assert fairness([0.5, 1.0, 1.5], [1, 2, 3]) == pytest.approx(1.0)
    assert fairness([1.5, 1.0, 0.5], [1, 2, 3]) == pytest.approx(-1.0)


def test_a_hire_on_the_first_day_gets_ramp_relief():
    # 4-month linear ramp from 0: mid-month tenures 0.5..3.5 give 1/8, 3/8, 5/8, 7/8, then 1
    # for 8 months: (16/8 / 4 x 4 + 8) / 12 = (2 + 8) / 12 = 5/6
    ramp = Ramp(months=4, curve="linear", start=0.0)
    assert relief(ramp, np.array([0.0, 0.0]), hired=np.array([False, True])) == \
        pytest.approx([1.0, 5 / 6])
