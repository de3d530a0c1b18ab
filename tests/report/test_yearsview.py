"""Plan years in a row in reports: the years study's memo and the executive report's
section, on the shipped three-year Acme scenario cut to a few trials."""

from __future__ import annotations

import re

import pytest

from spmsim.errors import SpmsimError
from spmsim.model.scenario import load_scenario
from spmsim.report import yearsview

from paths import ROOT, SCENARIOS
from study_helpers import page_text, run_spec

YEARS = SCENARIOS / "acme_years.yaml"


def test_the_rule_in_words():
    s = load_scenario(YEARS)
    assert yearsview.rule_sentence(s.echo()) == (
        "Each rep's quota grows 8% a year and, for a rep who beat it, rises by 50% of the "
        "excess over quota. Deal flow grows 8% a year.")
    same = yearsview.with_rule(s, "same")
    assert yearsview.rule_sentence(same.echo()) == "Every rep's quota grows 8% a year. " \
        "Deal flow grows 8% a year."
    # reps stop expecting a ratchet when there is none, and expect the real one under it
    assert same.behavior.effort_choice.ratchet == 0.0
    assert yearsview.with_rule(same, "ratchet").behavior.effort_choice.ratchet == 0.5
    with pytest.raises(SpmsimError, match="use one of same, ratchet"):
        yearsview.with_rule(s, "ratchit")


def test_one_year_is_not_a_years_study():
    with pytest.raises(SpmsimError, match="set `years:` to 2 or more"):
        yearsview.designs(load_scenario(YEARS, {"years": 1}), "same", trials=2)


def test_a_study_of_several_years_gets_a_year_after_year_section(tmp_path):
    spec = {"study": "Ratchet or not", "base": str(YEARS), "engine": "agents", "seed": 5,
            "trials": 3, "variants": {
                "ratchet": {},
                "same_growth": {"set": {"next_years.quota": "same",
                                        "behavior.effort_choice.ratchet": 0.0}}}}
    parts = yearsview.years_section(run_spec(spec, tmp_path))
    assert len(parts) == 4  # the memo, two charts and the figures
    text = page_text(parts[0].data + parts[3].data)
    assert "Year after year" in text and "Same growth" in text
    assert re.search(r"In year 3, Same growth against Ratchet ?: revenue", text)
    assert "Every rep's quota grows 8% a year." in text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text)  # no field names
    assert not re.search(r"\d\.\d{4,}", text)  # no raw floats
    charts = [p.to_dict() for p in parts[1:3]]
    assert all(c["layer" if "layer" in c else "mark"] for c in charts)


def test_one_year_designs_get_no_section(tmp_path):
    spec = {"study": "One year", "base": str(ROOT / "scenarios/acme_baseline.yaml"),
            "seed": 3, "trials": 16, "variants": {"baseline": {}}}
    assert yearsview.years_section(run_spec(spec, tmp_path)) == []
