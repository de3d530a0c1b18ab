"""Simulation summaries never add unit measures (meetings) to revenue; unit quotas still
give a share of reps at quota."""

from __future__ import annotations

import numpy as np
import pytest

from spmsim.engines.montecarlo import simulate
from spmsim.model.scenario import scenario_from_tree

SDR = {"plan": "SDR", "ote": 80_000, "base_share": 0.7, "payout_period": "quarter",
       "year_start": "2027-01-01", "unit_measures": ["meetings"],
       "components": [{"name": "Meetings", "type": "bonus", "measure": "meetings",
                       "weight": 1.0, "curve": [[0, 0], [1, 1], [2, 2]]}]}


def test_an_sdr_on_a_meeting_quota_brings_no_revenue_and_is_at_quota():
    # every rep books exactly 120 meetings against a quota of 120: 100 % attainment, paid
    # TI = 80,000 x 30 % = 24,000; no money measure, so no revenue and no cost of sales
    s = scenario_from_tree({
        "scenario": "sdr", "seed": 1, "trials": 5,
        "org": {"roles": {"sdr": {"headcount": 4, "plan": SDR, "quota": {"meetings": 120}}}},
        "market": {"sdr": {"model": "attainment",
                           "measures": {"meetings": {"type": "normal", "mean": 1.0,
                                                     "sd": 0.0}}}}})
    summary = simulate(s, trials=5, seed=1, progress=False, workers=1).summary()
    assert summary.loc["revenue (mean)", "sdr"] == 0.0
    assert np.isnan(summary.loc["cost of sales (P50)", "sdr"])
    assert summary.loc["share of reps at quota", "sdr"] == pytest.approx(1.0)
    assert summary.loc["variable pay (mean)", "sdr"] == pytest.approx(4 * 24_000)
