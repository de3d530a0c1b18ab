"""Territory charts: the Vega-Lite they encode, and HTML that needs no network."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from spmsim.report.charts import balance_bars, save_html, territory_map

ACCOUNTS = pd.DataFrame({"account_id": ["A", "B", "C"], "lat": [40.7, 34.1, 41.9],
                         "lon": [-74.0, -118.2, -87.6], "potential": [5.0, 3.0, 2.0],
                         "workload": [10.0, 20.0, 30.0]})
TABLE = pd.DataFrame({"name": ["T1", "T2"], "workload": [90.0, 110.0]})


def test_territory_map_spec():
    spec = territory_map(ACCOUNTS, ["T1", "T2", "T1"]).to_dict()
    assert spec["mark"]["type"] == "circle" and spec["projection"]["type"] == "albersUsa"
    enc = spec["encoding"]
    assert enc["longitude"]["field"] == "lon" and enc["latitude"]["field"] == "lat"
    assert enc["color"]["field"] == "territory"
    values = next(iter(spec["datasets"].values()))
    assert [v["territory"] for v in values] == ["T1", "T2", "T1"]


def test_balance_bars_show_the_band():
    spec = balance_bars(TABLE, "workload", 0.1).to_dict()
    bars, rules = spec["layer"]
    assert bars["mark"]["type"] == "bar" and rules["mark"]["type"] == "rule"
    data = spec["datasets"]
    lines = [d for d in data.values() if d and "line" in d[0]][0]
    assert [round(d["value"], 6) for d in lines] == pytest.approx([90.0, 100.0, 110.0])


def test_saved_html_is_self_contained(tmp_path):
    path = save_html(territory_map(ACCOUNTS, ["T1", "T2", "T1"]), tmp_path / "map.html")
    html = path.read_text()
    assert "vegaEmbed" in html or "vega-embed" in html
    assert not re.search(r"<script[^>]+src=", html), "no external scripts"
    assert not list(tmp_path.glob(".*.tmp"))
