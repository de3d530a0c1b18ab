"""Tables for reading: each cell formatted by its label."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spmsim.report.tables import cell, readable, readable_rows


@pytest.mark.parametrize(("value", "label", "text"), [
    (0.626, "share_at_quota", "62.6%"),
    (0.0894, "P(target met) SE", "8.9%"),
    (0.05, "p", "5.0%"),
    (0.182, "mape_p50", "18.2%"),
    (4606737.0, "amount", "4,606,737"),
    (2926110.345, "p10", "2,926,110"),  # a money percentile, not a share
    (1.0795, "expected_exits", "1.08"),
    (35.470249, "headcount", "35.5"),
    (0.094774, "cv_workload", "0.095"),  # never more than three decimals
    (12.0, "deals", "12"),
    (2027, "seed", "2027"),
    (123456, "deals", "123,456"),
    (True, "covered", "yes"),
    (np.bool_(False), "covered", "no"),
    (float("nan"), "win_rate", "-"),
    (None, "x", "-"),
    (pd.Timestamp("2027-01-31"), "period_end", "2027-01-31"),
    (pd.Timestamp("2027-01-31 13:05"), "at", "2027-01-31 13:05"),
    ("ent_ae", "role", "ent_ae"),
])
def test_cells_by_hand(value, label, text):
    assert cell(value, label) == text


def test_columns_and_metric_rows():
    df = pd.DataFrame({"stage": ["A", "B"], "amount": [1000.0, 2500000.0],
                       "win_rate": [0.25, 0.5]})
    out = readable(df)
    assert out.to_dict("list") == {"stage": ["A", "B"], "amount": ["1,000", "2,500,000"],
                                   "win_rate": ["25.0%", "50.0%"]}
    assert list(out.index) == ["", ""]  # a 0..n index is not shown
    metrics = pd.DataFrame({"metric": ["target", "probability wanted", "seed"],
                            "value": [5e7, 0.8, 7]})
    assert readable(metrics, "metric")["value"].to_dict() == {
        "target": "50,000,000", "probability wanted": "80.0%", "seed": "7"}
    side = readable_rows(pd.DataFrame([{"coverage": 0.8, "periods": 20, "p50": 3.9e6}]))
    assert side["value"].tolist() == ["80.0%", "20", "3,900,000"]
