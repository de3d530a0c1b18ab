"""A plan made in the designer, saved as a study variant, reaches the study's report with
the sentence that describes it (`spmsim report`, the executive summary notebook)."""

from __future__ import annotations

import html
import json

import pytest

from spmsim.cli import main
from spmsim.designer.model import Design
from spmsim.plans import load_plan
from spmsim.plans.describe import describe_plan

from paths import ACME, PLANS

STUDY = """study: Designer to report
base: {base}
seed: 5
trials: 16
variants:
  baseline:
    description: the FY27 plans
constraints:
  - {{metric: cost_of_sales, max: 0.2}}
"""


@pytest.mark.notebook
@pytest.mark.slow
def test_a_designed_variant_is_described_in_the_report(tmp_path, capsys):
    study = tmp_path / "studies" / "study.yaml"
    study.parent.mkdir()
    study.write_text(STUDY.format(base=ACME))
    design = Design(PLANS / "enterprise_ae.yaml", ACME, "ent_ae", trials=16,
                    save_dir=tmp_path / "plans", study=study)
    design.set("components[0].tiers[1].rate", 2.5)
    design.add_row("components[0].tiers")
    design.set("components[0].tiers[2].upto", 2.5)
    design.set("components[0].tiers[2].rate", 1.75)
    plan_path, _ = design.save("ent_steeper.yaml", "Enterprise AE steeper",
                               variant="ent_steeper")
    sentence = describe_plan(load_plan(plan_path))
    assert "2.5x above quota up to 150%, 1.75x above 150% up to 250%" in sentence

    reports = tmp_path / "reports"
    assert main(["report", str(study), "--reports", str(reports), "--role", "ent_ae",
                 "--no-progress"]) == 0
    page = (reports / "study.html").read_text()
    assert f'<span class="spmsim-variant-description">{html.escape(sentence, quote=False)}' \
        '</span>' in page
    assert '<span class="spmsim-variant-description">the FY27 plans</span>' in page
    meta = json.loads((reports / "study_study" / "study.json").read_text())
    assert meta["descriptions"] == {"baseline": "the FY27 plans", "ent_steeper": sentence}


def test_an_older_study_folder_gives_its_descriptions_from_the_spec(tmp_path):
    """study.json written before `descriptions` existed: read from `study_spec`."""
    import pandas as pd

    from spmsim.report.studyview import descriptions, open_study

    (tmp_path / "study.json").write_text(json.dumps({
        "study": "s", "seed": 1, "study_spec": {"variants": {"a": {"description": "A"}}}}))
    pd.DataFrame({"variant": ["a"], "status": ["failed: x"]}).to_csv(tmp_path / "summary.csv")
    assert descriptions(open_study(tmp_path)) == {"a": "A"}
