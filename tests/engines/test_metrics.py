"""Hand-worked checks of the pieces the engines share: percentiles, Pareto share,
histograms, the seasonal month table, ramp curves, attrition and staffing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from spmsim.engines.metrics import row_percentiles, top_share
from spmsim.engines.results import HIST_STEP, histogram, histogram_percentile
from spmsim.model.market import MonthTable
from spmsim.model.org import Attrition, Hire, Ramp, Role, staffing
from spmsim.plans import plan_from_dict

PLAN = plan_from_dict({
    "plan": "p", "ote": 100000, "base_share": 0.5, "year_start": "2027-01-01",
    "components": [{"name": "c", "type": "commission", "measure": "new_arr", "weight": 1.0,
                    "tiers": [{"rate": 1.0}]}]})


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (5, 7), elements=st.floats(0, 10)),
       arrays(np.bool_, (5, 7)), st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
def test_row_percentiles_match_numpy_on_the_valid_entries(values, valid, q):
    got = row_percentiles(values, valid, [q])[0]
    for i in range(values.shape[0]):
        if valid[i].any():
            assert got[i] == pytest.approx(np.percentile(values[i][valid[i]], 100 * q))
        else:
            assert np.isnan(got[i])


def test_top_share_by_hand():
    revenue = np.array([[10.0, 0.0, 30.0, 60.0, 99.0],
                        [5.0, 5.0, 5.0, 5.0, 5.0]])
    valid = np.array([[True, True, True, True, False],  # 4 reps: top ceil(0.8) = 1 rep
                      [True] * 5])  # 5 reps: top 1 rep of 25
    assert top_share(revenue, valid) == pytest.approx([0.6, 0.2])
    assert np.isnan(top_share(np.zeros((1, 3)), np.ones((1, 3), bool))[0])


def test_histogram_bins_and_overflow():
    counts = histogram(np.array([0.0, 0.004, 0.01, 0.995, 5.0, 17.0]))
    assert counts[0] == 2 and counts[1] == 1 and counts[99] == 1 and counts[-1] == 2
    assert counts.sum() == 6


def test_histogram_percentile_within_a_bin():
    values = np.random.default_rng(0).uniform(0.5, 1.5, 200_000)
    counts = histogram(values)
    for q in (0.1, 0.5, 0.9):
        assert histogram_percentile(counts, q) == pytest.approx(np.quantile(values, q),
                                                                abs=HIST_STEP)
    assert np.isnan(histogram_percentile(np.zeros_like(counts), 0.5))


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, 12, elements=st.floats(0.05, 5.0)))
def test_month_table_equals_a_search(season):
    table = MonthTable(season)
    u = np.random.default_rng(1).random(20_000, dtype=np.float32)
    u = np.concatenate([u, table.edges, np.nextafter(table.edges, np.float32(0)),
                        np.nextafter(table.edges, np.float32(1))])
    assert np.array_equal(table.months(u), np.searchsorted(table.edges, u, side="right"))


def test_month_table_follows_the_seasonality():
    season = np.array([1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 4.0])
    u = np.random.default_rng(2).random(400_000, dtype=np.float32)
    share = np.bincount(MonthTable(season).months(u), minlength=12) / u.size
    expected = season / season.sum()
    se = np.sqrt(expected * (1 - expected) / u.size)
    assert np.all(np.abs(share - expected) < 5 * se)


@pytest.mark.parametrize("curve, tenure, expected", [
    ("linear", [0, 1, 2, 4, 9], [0.2, 0.4, 0.6, 1.0, 1.0]),
    ("step", [0, 3.99, 4, 6], [0.2, 0.2, 1.0, 1.0]),
    ("s_curve", [0, 2, 4], [0.2, 0.2 + 0.8 * 0.5, 1.0]),
])
def test_ramp_curves(curve, tenure, expected):
    ramp = Ramp(months=4, curve=curve, start=0.2)
    assert ramp.factor(np.array(tenure, float)) == pytest.approx(expected)
    assert Ramp().factor(np.array([0.0, 3.0])) == pytest.approx([1.0, 1.0])


def test_attrition_rate_matches_the_annual_share():
    a = Attrition(annual=0.3)
    assert math.exp(-12 * a.monthly_rate) == pytest.approx(0.7)
    assert a.generations == 2
    assert Attrition(annual=0.3, backfill_months=None).generations == 1
    assert Attrition().generations == 1


def test_staffing_by_hand():
    """One seat, 50 % annual attrition, backfill after 2 months, ramp 4 months linear."""
    role = Role(headcount=1, plan=PLAN, quota={"new_arr": 1.0},
                attrition=Attrition(annual=0.5, backfill_months=2.0),
                ramp=Ramp(months=4, curve="linear", start=0.0))
    rate = role.attrition.monthly_rate
    # the incumbent stays 3.5 months; the successor would stay 100 months
    exits = np.array([[3.5 * rate, 100 * rate]])
    s = staffing(role, 1, None, exits)
    assert s.start[0] == pytest.approx([0.0, 5.5]) and s.exit[0] == pytest.approx([3.5, 105.5])
    assert s.active[0, 0] == pytest.approx([1, 1, 1, 0.5] + [0] * 8)
    assert s.active[0, 1] == pytest.approx([0] * 5 + [0.5] + [1] * 6)
    assert s.productivity[0, 0, :4] == pytest.approx([1, 1, 1, 1])  # in seat, ramped
    # successor: tenure at the middle of the active part of each month, /4 months
    assert s.productivity[0, 1, 5:9] == pytest.approx([0.25 / 4, 1 / 4, 2 / 4, 3 / 4])
    assert s.productivity[0, 1, 10] == pytest.approx(1.0)
    assert s.left[0].tolist() == [True, False] and s.new_hire[0].tolist() == [False, True]
    assert s.steady[0].tolist() == [False, False]


def test_staffing_hires_and_steady_reps():
    role = Role(headcount=2, plan=PLAN, quota={"new_arr": 1.0}, hires=(Hire(month=4, count=1),))
    s = staffing(role, 3, None, None)
    assert s.active.shape == (3, 3, 12)
    assert s.active[:, 2].sum(-1) == pytest.approx([9, 9, 9])
    assert s.steady.tolist() == [[True, True, False]] * 3
    assert s.new_hire[:, 2].all() and not s.new_hire[:, :2].any()
    assert role.slot_names("ae") == ["ae-001", "ae-002", "ae-003"]
