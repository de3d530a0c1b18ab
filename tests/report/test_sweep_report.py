"""The sweep page's memo: the chosen plan in words, no candidate ids or paths, and a
warning when the chosen plan changes the plan's structure."""

from __future__ import annotations

import re
from html import unescape

import pytest
import yaml

from spmsim.report import sweepview
from spmsim.report.tables import html_table
from spmsim.studies.sweep.runner import run_sweep
from spmsim.studies.sweep.view import open_sweep

from paths import ACME

pytestmark = pytest.mark.slow


def _sweep(tmp_path, values):
    spec = {"study": "SMB accelerator", "base": str(ACME), "seed": 5, "trials": 16,
            "sweep": {"parameters": {"accelerator": {
                "path": "org.roles.smb_ae.plan.components[0].tiers[1].rate",
                "values": values}},
                "sampling": "grid",
                "objectives": [{"metric": "variable_pay_mean", "goal": "min"},
                               {"metric": "share_at_quota", "goal": "max"}]},
            "objective": {"metric": "profit_after_comp", "goal": "max"}}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    run_sweep(path, tmp_path / "out", progress=False, log=lambda *_: None)
    return open_sweep(tmp_path / "out")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_a_removed_accelerator_is_flagged_and_ids_are_hidden(tmp_path):
    view = _sweep(tmp_path, [1.0])  # the SMB plan pays 1.5x from 100 % to 120 % today
    memo = _text(sweepview.memo(view))
    assert "The chosen plan changes the plan's structure" in memo
    assert "SMB AE: “New ARR” loses its accelerator above quota" in memo
    assert "“New ARR” pays 1x from 100% to 120% of quota (now 1.5x)" in memo
    table = html_table(sweepview.candidates_table(view))
    for page in (memo, table):
        assert "org.roles" not in page and not re.search(r"c\d{4}-[0-9a-f]{8}", page)
    assert "Accelerator" in table and "1x" in table


def test_a_change_of_numbers_only_is_not_flagged(tmp_path):
    view = _sweep(tmp_path, [2.0])
    memo = _text(sweepview.memo(view))
    assert "structure" not in memo
    assert "“New ARR” pays 2x from 100% to 120% of quota (now 1.5x)" in memo
