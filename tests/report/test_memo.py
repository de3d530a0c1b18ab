"""The decision memo: how sure we are, on the study's own simulated years.

Two designs that cannot be told apart get the "too close to call" warning with the trials
it would take; two that clearly differ do not. The comparison is paired when the designs
ran on the same draws (the default) and unpaired, with Welch's standard error, when not.
"""

from __future__ import annotations

import re

import pytest

from spmsim.report import studymemo
from spmsim.report import studyview as sv

from paths import ACME
from study_helpers import page_text, run_spec

pytestmark = pytest.mark.slow

STEEP = {"org.roles.ent_ae.plan.components[0].tiers[1].rate": 3.0,
         "org.roles.smb_ae.plan.components[0].tiers[1].rate": 2.0}


def _study(tmp_path, variants: dict, common: bool = True, trials: int = 64):
    spec = {"study": "Memo check", "description": "Which plan?", "base": str(ACME),
            "seed": 11, "trials": trials, "common_draws": common, "variants": variants,
            "objective": {"metric": "profit_after_comp", "goal": "max"}}
    return run_spec(spec, tmp_path)


def test_indistinguishable_designs_are_too_close_to_call(tmp_path):
    """The same plan twice, on independent draws: any difference is noise."""
    view = _study(tmp_path, {"current": {}, "again": {"description": "the same plan"}},
                  common=False)
    assert not view.paired
    diff = sv.comparison(view)
    assert not diff.paired and diff.too_close
    memo = page_text(studymemo.memo(view))
    assert "Too close to call" in memo
    assert re.search(r"About [\d,]+ trials a variant would separate them", memo) or \
        "No number of trials would separate them" in memo
    assert "independent draws" in memo


def test_the_same_design_on_common_draws_is_the_same_every_year(tmp_path):
    view = _study(tmp_path, {"current": {}, "again": {}})
    assert view.paired and sv.comparison(view).identical
    memo = page_text(studymemo.memo(view))
    assert "Too close to call" in memo and "in every one of the 64 simulated years" in memo


def test_clearly_different_designs_are_called(tmp_path):
    """Steeper accelerators pay more on the same deals: the current plans keep more profit
    in every simulated year, and the memo says so without a warning."""
    view = _study(tmp_path, {"current": {}, "steeper": {"set": STEEP}})
    assert view.paired
    diff = sv.comparison(view)
    assert sv.recommended(view) == "current" and sv.runner_up(view) == "steeper"
    assert not diff.too_close and diff.low > 0 and diff.prob_better > 0.9
    memo = page_text(studymemo.memo(view))
    assert "Too close to call" not in memo
    assert "How sure we are." in memo and "Against the runner-up, Steeper" in memo
    assert re.search(r"comes out ahead in \d+% of the years", memo)
    # the same figures as the paired difference, formatted for a reader
    assert "Recommendation: Keep the current plans (Current)" in memo
    assert "“New ARR” pays 3x from 100% to 150% of quota (now 2x)" in \
        page_text(sv.variant_sentences(view).data)
