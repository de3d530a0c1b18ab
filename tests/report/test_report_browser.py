"""The report in a real browser: Debian's headless Chromium, offline, driven by Playwright.

`make test` installs Chromium with apt-get when it is missing (Playwright never downloads
a browser here). The page `spmsim report` writes is opened from disk with networking off;
every chart must be an SVG with marks, nothing may be requested from a network, and a
screenshot is saved. (Every report at a laptop's, a phone's and A4's width:
test_notebooks.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spmsim.cli import main

from paths import DEFAULT_STUDY, REPORTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    reports = tmp_path_factory.mktemp("browser")
    assert main(["report", str(DEFAULT_STUDY), "--reports",
                 str(reports), "--trials", "32", "--no-progress"]) == 0
    return reports / "default.html"


def test_every_chart_renders_offline(report, tmp_path, chromium):
    requested: list[str] = []
    context = chromium.new_context(offline=True)
    page = context.new_page()
    page.on("request", lambda r: requested.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    charts = page.locator("div.spmsim-chart svg")
    assert charts.count() == 5  # payout, cost, attainment, earnings, winners
    for i in range(charts.count()):
        svg = charts.nth(i)
        box = svg.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 150, (i, box)
        marks = svg.locator("path, rect, line, circle").count()
        assert marks > 20, f"chart {i}: {marks} marks"
    assert page.locator("h2.spmsim-rec").count() == 1  # the memo's recommendation
    assert page.title() == "Acme FY27 plan and quota options"
    shot = REPORTS / "browser" / "default_report.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert [u for u in requested if not u.startswith("file:")] == []
