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


BASES = pd.DataFrame({"name": ["T1", "T2"], "lat": [40.0, 35.0], "lon": [-80.0, -110.0]})
BALANCE = pd.DataFrame({
    "alignment": ["current", "current", "proposed", "proposed"],
    "territory": ["T1", "T2", "T1", "T2"], "measure": "workload",
    "value": [70.0, 130.0, 95.0, 105.0], "deviation": [-0.3, 0.3, -0.05, 0.05],
    "band_low": [90.0, 90.0, 90.0, 90.0], "band_high": [110.0, 110.0, 110.0, 110.0]})


def test_territory_map_with_bases_and_legend():
    spec = territory_map(ACCOUNTS, ["T1", "T2", "T1"], bases=BASES).to_dict()
    points, marks = spec["layer"]
    assert points["encoding"]["color"]["legend"]["title"] == "territory"
    assert marks["mark"]["shape"] == "diamond"
    base_rows = [d for d in spec["datasets"].values() if d and "name" in d[0]][0]
    assert [b["name"] for b in base_rows] == ["T1", "T2"]


def test_territory_balance_chart_shows_both_alignments_and_the_band():
    from spmsim.report.charts import territory_balance_chart

    spec = territory_balance_chart(BALANCE, "workload").to_dict()
    bars, rules = spec["layer"]
    assert bars["encoding"]["xOffset"]["field"] == "alignment"
    assert bars["encoding"]["y"]["field"] == "deviation"
    lines = [d for d in spec["datasets"].values() if d and "line" in d[0]][0]
    assert [round(d["deviation"], 6) for d in lines] == [-0.1, 0.1]  # 90 and 110 of 100
    no_band = BALANCE.assign(band_low=float("nan"), band_high=float("nan"))
    spec = territory_balance_chart(no_band, "workload").to_dict()
    assert spec["layer"][1]["mark"]["type"] == "rule"
    lines = [d for d in spec["datasets"].values() if d and "line" in d[0]][0]
    assert lines == [{"deviation": 0.0, "line": "mean"}]


def test_territory_travel_chart_names_its_unit():
    from spmsim.report.charts import territory_travel_chart

    travel = pd.DataFrame({"territory": ["T1", "T1"], "alignment": ["current", "proposed"],
                           "mean_travel": [50.0, 40.0], "travel": [500.0, 400.0]})
    spec = territory_travel_chart(travel, "minutes").to_dict()
    assert spec["encoding"]["y"]["title"] == "mean travel (minutes)"


def test_territory_charts_draw_to_svg():
    """The report draws charts with vl-convert: each territory chart must convert."""
    import vl_convert

    from spmsim.report.charts import territory_balance_chart, territory_travel_chart

    travel = pd.DataFrame({"territory": ["T1", "T1"], "alignment": ["current", "proposed"],
                           "mean_travel": [50.0, 40.0]})
    no_band = BALANCE.assign(band_low=float("nan"), band_high=float("nan"))
    for chart in (territory_map(ACCOUNTS, ["T1", "T2", "T1"], bases=BASES),
                  territory_balance_chart(BALANCE, "workload"),
                  territory_balance_chart(no_band, "workload"),
                  territory_travel_chart(travel, "km")):
        assert "<svg" in vl_convert.vegalite_to_svg(chart.to_dict())
