"""The report's contest section, on the shipped Q4 contest study cut to a few trials."""

from __future__ import annotations

import yaml

from spmsim.report import contestview
from spmsim.report.build import changed_role

from paths import ROOT
from study_helpers import page_text, run_spec


def _text(parts: list) -> str:
    return page_text(" ".join(p.data for p in parts))


def test_the_q4_contest_study_shows_who_wins_and_the_spif_design_does_not(tmp_path):
    spec = yaml.safe_load((ROOT / "scenarios/studies/q4_contest.yaml").read_text())
    spec["base"] = str(ROOT / "scenarios/acme_baseline.yaml")
    for v in spec["variants"].values():
        for key, value in v.get("set", {}).items():
            v["set"][key] = str(ROOT / "scenarios/plans" / value.split("/")[-1])
    spec["trials"] = 128
    view = run_spec(spec, tmp_path)
    found = contestview.contest_summaries(view)
    assert [(v, s.role) for v, s in found] == [("q4_contest", "smb_ae")]
    s = found[0][1]
    # 50 SMB seats, three prizes always won: 17,500 every year
    assert s.cost == {"p10": 17_500, "p50": 17_500, "p90": 17_500, "mean": 17_500}
    text = _text(contestview.contest_section(view))
    assert "Q4 contest , SMB AE: the contest Q4 contest costs $17.5K in a typical year, the " \
        "same every year" in text
    assert s.contest == "Q4 contest"
    assert "least productive" in text and "2nd" in text and "most productive" in text
    assert "_" not in text  # no field names
    # the most productive tenth win more often than the least
    assert s.by_decile["p_win"].iloc[-1] > s.by_decile["p_win"].iloc[0]
    # the report draws the payout curve of the role the designs change (SMB AEs), not the
    # scenario's first role
    assert changed_role(tmp_path / "out", view.variants, ["ent_ae", "smb_ae", "account_mgr"]) \
        == "smb_ae"
    assert changed_role(tmp_path / "out", ["baseline"], ["ent_ae", "smb_ae"]) == "ent_ae"


def test_no_contest_no_section(tmp_path):
    spec = {"study": "No contest", "base": str(ROOT / "scenarios/acme_baseline.yaml"),
            "seed": 3, "trials": 64, "variants": {"baseline": {}}}
    assert contestview.contest_section(run_spec(spec, tmp_path)) == []
