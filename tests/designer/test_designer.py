"""The plan designer without a browser: fields and edits, error paths, the fast simulation
(checked against the Monte Carlo engine), the tables behind the charts, saving a plan and
adding it to a study, the widget wiring, and the notebook through papermill."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spmsim.config import read_yaml
from spmsim.designer.model import (
    CURRENT,
    EDITED,
    Design,
    RoleSimulation,
    curves,
    distributions,
    edited_tree,
    field_for,
    locate,
    plan_fields,
    resolve_path,
    role_scenario,
)
from spmsim.designer.save import add_variant, with_variant
from spmsim.designer.widgets import PlanDesigner
from spmsim.engines import simulate
from spmsim.engines.results import HISTOGRAMS, TRIAL_STATS
from spmsim.errors import InputError, Problem
from spmsim.plans import load_plan
from spmsim.report.build import execute_notebook
from spmsim.studies.study import load_study, variant_scenario

from paths import ACME, NOTEBOOKS, PLANS, SCENARIOS

ENT = PLANS / "enterprise_ae.yaml"
RATE, EDGE, CAP = "components[0].tiers[1].rate", "components[0].tiers[1].upto", "components[0].cap"
STUDY = """# Study for the designer's tests: this comment stays.
study: Designer test
base: {base}
seed: 3
variants:
  baseline:
    description: as is   # and this one
  other:
    set: {{org.roles.ent_ae.headcount: 30}}

# constraints follow
constraints:
  - {{metric: cost_of_sales, max: 0.2}}
"""


@pytest.fixture(scope="module")
def design() -> Design:
    return Design(ENT, ACME, "ent_ae", trials=64)


@pytest.fixture
def fresh(design):
    design.edits = {}
    yield design
    design.edits = {}


def _study(folder: Path, base: Path = ACME) -> Path:
    path = folder / "studies" / "study.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(STUDY.format(base=base))
    return path


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# ---- fields, edits and where errors show ----------------------------------------------------

def test_fields_are_the_plan_files_numbers():
    fields = {f.path: (f.value, f.key) for f in plan_fields(load_plan(ENT))}
    assert fields == {
        "ote": (300000, None), "base_share": (0.5, None), "cap": (0.0, "of_target"),
        "components[0].weight": (0.9, None),
        "components[0].tiers[0].upto": (1.0, None), "components[0].tiers[0].rate": (1.0, None),
        "components[0].tiers[1].upto": (1.5, None), RATE: (2.0, None),
        "components[0].tiers[2].rate": (1.5, None), "components[0].threshold": (0.4, None),
        CAP: (3.0, "of_target"), "components[1].weight": (0.1, None),
        "components[1].cap": (0.0, "of_target"), "components[2].per_unit": (2000, None)}
    labels = {f.path: f.label for f in plan_fields(load_plan(ENT))}
    assert labels[RATE] == "tier 2 rate (accelerator)"
    assert labels["components[0].tiers[0].rate"] == "tier 1 rate"


def test_edits_set_and_remove_fields_without_touching_the_file_data(fresh):
    tree = copy.deepcopy(fresh.tree)
    fresh.set(RATE, 2.5)
    fresh.set(CAP, 0)  # 0 removes an optional field
    fresh.set("components[0].threshold", 0)
    fresh.set("cap", 2.0)
    fresh.set("ote", 320000.0)
    new = fresh.edited_tree()
    assert new["components"][0]["tiers"][1] == {"upto": 1.5, "rate": 2.5}
    assert "cap" not in new["components"][0] and "threshold" not in new["components"][0]
    assert new["cap"] == {"of_target": 2.0}
    assert new["ote"] == 320000 and isinstance(new["ote"], int)
    assert fresh.tree == tree  # the file's data is never mutated
    plan = fresh.plan()
    assert plan.components[0].cap is None and plan.components[0].threshold is None
    assert fresh.changes() == ["components[0].tiers[1].rate: 2.0 -> 2.5",
                               "components[0].cap.of_target: 3.0 -> none",
                               "components[0].threshold: 0.4 -> none",
                               "cap.of_target: none -> 2.0", "ote: 300000 -> 320000"]
    fresh.set(RATE, 2.0)  # back to the file's value: no edit left
    assert RATE not in fresh.edits


def test_edited_tree_removes_only_what_it_is_asked_to():
    tree = {"a": 1, "b": [{"c": 2, "d": 3}]}
    assert edited_tree(tree, {"b[0].c": None, "a": None}) == {"b": [{"d": 3}]}
    assert edited_tree(tree, {"b[0].x": None}) == tree
    assert tree == {"a": 1, "b": [{"c": 2, "d": 3}]}


@pytest.mark.parametrize(("problem", "path", "message"), [
    (Problem("components[0].tiers", "tiers[1].upto: tiers must rise"),
     "components[0].tiers[1].upto", "tiers must rise"),
    (Problem("", "components[1].name: 'x' is used twice"), "components[1].name",
     "'x' is used twice"),
    (Problem("cap", "give exactly one of `of_target` or `amount`"), "cap",
     "give exactly one of `of_target` or `amount`"),
    (Problem("components[0].cap.of_target", "Input should be greater than 0 (got -1)"),
     "components[0].cap.of_target", "Input should be greater than 0 (got -1)"),
])
def test_locate_finds_the_most_precise_path(problem, path, message):
    assert locate(problem) == (path, message)


def test_problems_land_on_the_field_that_edits_them(design):
    fields = design.fields
    assert field_for("components[0].cap.of_target", fields).path == CAP
    assert field_for(EDGE, fields).path == EDGE
    assert field_for("components[0].tiers", fields).path == "components[0].tiers[0].upto"
    assert field_for("components[0].name", fields) is None
    assert field_for("", fields) is None


def test_overlapping_tiers_are_shown_at_the_edge(fresh):
    fresh.set(EDGE, 0.8)
    with pytest.raises(InputError) as e:
        fresh.plan()
    assert fresh.problems(e.value) == {EDGE: [
        "components[0].tiers[1].upto: tiers must start where the previous one ends and rise "
        "(0.8 is not above 1.0)"]}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rates=st.lists(st.floats(0, 5, allow_nan=False), min_size=3, max_size=3),
       edges=st.tuples(st.floats(0.1, 3), st.floats(0.1, 3)),
       cap=st.sampled_from([0.0, 1.5, 2.0, 4.0]), threshold=st.floats(0, 0.9))
def test_any_edit_is_valid_exactly_when_the_edges_rise(fresh, rates, edges, cap, threshold):
    fresh.edits = {}
    for j, r in enumerate(rates):
        fresh.set(f"components[0].tiers[{j}].rate", r)
    fresh.set("components[0].tiers[0].upto", edges[0])
    fresh.set(EDGE, edges[1])
    fresh.set(CAP, cap)
    fresh.set("components[0].threshold", threshold)
    if edges[1] <= edges[0]:
        with pytest.raises(InputError) as e:
            fresh.plan()
        assert EDGE in fresh.problems(e.value)
        return
    c = fresh.plan().components[0]
    assert [t.rate for t in c.tiers] == rates and [t.upto for t in c.tiers[:2]] == list(edges)
    assert (c.cap.of_target if c.cap else 0.0) == cap
    assert (c.threshold or 0.0) == threshold


def test_resolve_path_looks_upwards(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "x.yaml").write_text("x: 1\n")
    assert resolve_path("x.yaml", tmp_path / "a" / "b") == tmp_path / "a" / "x.yaml"
    assert resolve_path(tmp_path / "nowhere.yaml") == tmp_path / "nowhere.yaml"
    assert resolve_path("nowhere.yaml", tmp_path) == tmp_path / "nowhere.yaml"


def test_a_missing_file_says_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=f"no plan file in {tmp_path} or a folder above it"):
        Design("scenarios/plans/nope.yaml", ACME, "ent_ae")


def test_a_role_the_scenario_lacks_is_named():
    with pytest.raises(InputError, match="no role 'ae'; roles: ent_ae, smb_ae, account_mgr"):
        role_scenario(ACME, "ae", read_yaml(ENT), ENT)


def test_a_plan_the_role_cannot_pay_is_refused():
    with pytest.raises(InputError, match="expansion"):  # the AE market credits new ARR only
        Design(PLANS / "account_manager.yaml", ACME, "ent_ae", trials=64)


# ---- the fast simulation is the engine's ------------------------------------------------------

@pytest.mark.parametrize(("plan", "role"), [(ENT, "ent_ae"),
                                            (PLANS / "account_manager.yaml", "account_mgr")])
def test_fast_results_equal_the_engines(plan, role):
    """Same seed and trials: the role's figures are the Monte Carlo engine's, exactly."""
    tree = read_yaml(plan)
    tree["components"][0]["tiers"][1]["rate"] = 2.25
    scenario = role_scenario(ACME, role, tree, plan)
    engine = simulate(scenario, trials=128, seed=11, keep_reps=False, progress=False,
                      workers=1)
    sim = RoleSimulation(scenario, role, 96, seed=11)
    plan_now = scenario.org.roles[role].plan
    more = sim.run_more(plan_now, 128)
    g = engine.groups.index(role)
    for stat in TRIAL_STATS:
        np.testing.assert_array_equal(more.trial[stat][:, 0], engine.trial[stat][:, g], stat)
    for h in HISTOGRAMS:
        np.testing.assert_array_equal(more.histograms[h][0], engine.histograms[h][g], h)
    fast = sim.run(plan_now)  # the first 96 trials, drawn once
    np.testing.assert_array_equal(fast.trial["variable_pay"][:, 0],
                                  engine.trial["variable_pay"][:96, g])


def test_a_richer_accelerator_costs_at_least_as_much_on_every_trial(fresh):
    """Common draws: only the plan differs, so raising a rate cannot lower any trial's cost."""
    fresh.set(RATE, 3.0)
    view = fresh.view(fresh.plan())
    now = fresh.current()[1].trial
    new = fresh.sim.run(fresh.plan()).trial
    assert np.all(new["variable_pay"] >= now["variable_pay"])
    assert np.any(new["variable_pay"] > now["variable_pay"])
    np.testing.assert_array_equal(new["at_quota"], now["at_quota"])
    assert view.table.loc["cost P50", EDITED] >= view.table.loc["cost P50", CURRENT]
    assert view.table.loc["cost P50", EDITED] == pytest.approx(
        np.percentile(new["variable_pay"][:, 0], 50))
    cost_of_sales = new["variable_pay"][:, 0] / new["revenue"][:, 0]
    assert view.table.loc["cost of sales", EDITED] == pytest.approx(np.median(cost_of_sales))


# ---- the tables behind the charts -------------------------------------------------------------

def test_curve_points_by_hand(fresh):
    """At 125 % of quota with tier 2 at 2.5x: 0.9 x (1.0 + 0.25 x 2.5) + MBO 0.1 = 1.5625 of TI;
    at 200 % with the commission capped at 2x its target: 0.9 x 2.0 + 0.1 = 1.9."""
    fresh.set(RATE, 2.5)
    fresh.set(CAP, 2.0)
    c = curves({EDITED: fresh.plan()}, {}).set_index("attainment")["pct_of_ti"]
    assert c.loc[1.25] == pytest.approx(1.5625)
    assert c.loc[2.0] == pytest.approx(1.9)
    assert c.loc[0.3] == pytest.approx(0.1)  # below the 40 % gate: the MBO alone


def test_distributions_sum_fine_bins(design):
    results = design.current()[1]
    coarse = distributions({"x": results}, "attainment", "ent_ae", step=0.05, upto=3.0)
    fine = results.distribution("attainment", "ent_ae")
    assert len(coarse) == 60
    assert coarse["share"].iloc[3] == pytest.approx(fine["share"].iloc[15:20].sum())
    assert coarse["share"].sum() == pytest.approx(fine.loc[fine["bin_lo"] < 3 - 1e-9,
                                                           "share"].sum())


# ---- saving --------------------------------------------------------------------------------------

def test_save_writes_a_plan_that_loads_back(fresh, tmp_path):
    fresh.save_dir = tmp_path
    fresh.set(RATE, 2.5)
    fresh.set(CAP, 2.5)
    [path] = fresh.save("ent_v2.yaml", "Enterprise AE v2")
    assert path == tmp_path / "ent_v2.yaml"
    assert load_plan(path) == fresh.plan().model_copy(update={"plan": "Enterprise AE v2"})
    text = path.read_text()
    assert text.startswith("# Enterprise AE v2: made with the spmsim plan designer from "
                           "enterprise_ae.yaml.\n#   components[0].tiers[1].rate: 2.0 -> 2.5\n")
    assert "  - {upto: 1.5, rate: 2.5}\n" in text and "  cap: {of_target: 2.5}\n" in text
    with pytest.raises(InputError, match="the file exists"):
        fresh.save("ent_v2.yaml", "again")
    fresh.set(RATE, 2.75)
    fresh.save("ent_v2.yaml", "again", overwrite=True)
    assert load_plan(path).components[0].tiers[1].rate == 2.75


@pytest.mark.parametrize("with_study", [False, True])
def test_an_invalid_plan_writes_nothing(fresh, tmp_path, with_study):
    study = _study(tmp_path) if with_study else None
    before = study.read_bytes() if study else None
    fresh.save_dir, fresh.study_path = tmp_path / "plans", study
    fresh.set(EDGE, 0.9)  # overlaps tier 1, which ends at 1.0
    with pytest.raises(InputError, match=r"tiers\[1\]\.upto: tiers must start"):
        fresh.save("bad.yaml", "bad", variant="bad" if with_study else None)
    assert not (tmp_path / "plans").exists()
    if study:
        assert study.read_bytes() == before
        assert _files(tmp_path) == ["studies/study.yaml"]


def test_a_bad_file_name_writes_nothing(fresh, tmp_path):
    fresh.save_dir = tmp_path
    for name in ("../x.yaml", "x.txt", ".hidden.yaml"):
        with pytest.raises(InputError, match="a plan file name"):
            fresh.save(name, "x")
    assert _files(tmp_path) == []


def test_save_adds_a_variant_keeping_the_study_as_written(fresh, tmp_path):
    study = _study(tmp_path)
    fresh.save_dir, fresh.study_path = tmp_path / "plans", study
    fresh.set(RATE, 2.5)
    plan_path, study_path = fresh.save("ent_v2.yaml", "Enterprise AE v2", variant="ent_v2",
                                       description="steeper tier 2")
    assert study_path == study
    text = study.read_text()
    old = STUDY.format(base=ACME)
    assert text == old.replace(
        "    set: {org.roles.ent_ae.headcount: 30}\n",
        "    set: {org.roles.ent_ae.headcount: 30}\n  ent_v2:\n    description: steeper tier 2\n"
        "    set: {org.roles.ent_ae.plan: ../plans/ent_v2.yaml}\n")
    loaded = load_study(study)
    assert list(loaded.variants) == ["baseline", "other", "ent_v2"]
    scenario = variant_scenario(loaded, "ent_v2", study)
    assert scenario.org.roles["ent_ae"].plan == load_plan(plan_path)
    with pytest.raises(InputError, match="variants.ent_v2: exists"):
        fresh.save("ent_v3.yaml", "v3", variant="ent_v2")
    assert not (tmp_path / "plans" / "ent_v3.yaml").exists()


def test_a_study_without_the_role_writes_nothing(fresh, tmp_path):
    base = tmp_path / "base.yaml"
    tree = yaml.safe_load(ACME.read_text())
    tree["org"]["roles"]["ae"] = tree["org"]["roles"].pop("ent_ae")
    tree["market"]["ae"] = tree["market"].pop("ent_ae")
    for role in tree["org"]["roles"].values():
        role["plan"] = str(SCENARIOS / role["plan"])
    base.write_text(yaml.safe_dump(tree, sort_keys=False))
    study = _study(tmp_path, base)
    study.write_text(study.read_text().replace("org.roles.ent_ae", "org.roles.ae"))
    before = study.read_bytes()
    fresh.save_dir, fresh.study_path = tmp_path / "plans", study
    with pytest.raises(InputError, match="no role 'ent_ae'"):
        fresh.save("x.yaml", "x", variant="x")
    assert study.read_bytes() == before and not (tmp_path / "plans").exists()


def test_with_variant_by_hand():
    text = "study: s\nvariants:\n    a:\n        description: x\n# about b\nseed: 1\n"
    assert with_variant(text, "b", {"description": "y", "set": {"k.p": "../p.yaml"}}) == (
        "study: s\nvariants:\n    a:\n        description: x\n    b:\n      description: y\n"
        "      set: {k.p: ../p.yaml}\n# about b\nseed: 1\n")
    with pytest.raises(ValueError, match="no block"):
        with_variant("variants: {a: {}}\n", "b", {})


def test_flow_style_variants_are_rewritten_with_the_same_content(tmp_path):
    study = tmp_path / "studies" / "s.yaml"
    study.parent.mkdir()
    study.write_text(f"study: s\nbase: {ACME}\nseed: 1\nvariants: {{a: {{}}}}\n")
    add_variant(study, "b", ENT, "ent_ae", "the file's plan")
    assert read_yaml(study) == {"study": "s", "base": str(ACME), "seed": 1, "variants": {
        "a": {}, "b": {"description": "the file's plan",
                       "set": {"org.roles.ent_ae.plan": os.path.relpath(ENT, study.parent)}}}}
    assert list(load_study(study).variants) == ["a", "b"]


# ---- the widgets -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def designer(tmp_path_factory) -> PlanDesigner:
    tmp = tmp_path_factory.mktemp("widgets")
    return PlanDesigner(ENT, ACME, "ent_ae", trials_fast=64, trials_full=128,
                        save_dir=tmp / "plans", study=_study(tmp))


def test_a_change_redraws_the_charts_and_the_table(designer):
    version, curve, table = designer.version, designer.curve.value, designer.table.value
    designer.inputs[RATE].value = 2.5
    assert designer.design.edits == {RATE: 2.5}
    assert designer.version == version + 1
    assert f'data-version="{version + 1}"' in designer.curve.value
    assert designer.curve.value != curve and designer.table.value != table
    assert "<svg" in designer.payout.value
    assert "Updated in" in designer.status.value and designer.last_update_s > 0


def test_an_invalid_edit_shows_its_error_and_saving_writes_nothing(designer):
    version = designer.version
    designer.inputs[EDGE].value = 0.8
    assert "tiers must start where the previous one ends" in designer.errors[EDGE].value
    assert "Invalid plan" in designer.status.value and designer.version == version
    designer.to_study.value = True
    assert designer.save() == []
    assert "Not saved" in designer.saved.value
    assert not designer.design.save_dir.exists()
    designer.inputs[EDGE].value = 1.5
    assert designer.errors[EDGE].value == ""
    assert designer.version == version + 1


def test_save_from_the_widgets(designer):
    designer.to_study.value = True
    written = designer.save()
    assert [p.name for p in written] == ["enterprise_ae_designed.yaml", "study.yaml"]
    assert "Saved:" in designer.saved.value
    assert load_plan(written[0]).plan == "Enterprise AE FY27 (designed)"
    assert "enterprise_ae_designed" in load_study(written[1]).variants


def test_the_full_run(designer):
    designer.run_full()
    assert "(full run)" in designer.status.value
    assert "128 simulated years" in designer.table.value
    assert designer.progress.value == 2 * 128


def test_the_designer_displays_as_a_widget_with_a_static_fallback(designer):
    bundle = designer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].count("<svg") == 3


@pytest.mark.notebook
def test_the_notebook_runs_headless(tmp_path):
    nb = execute_notebook(NOTEBOOKS / "plan_designer.ipynb", {
        "plan": str(ENT), "scenario": str(ACME), "trials_fast": 64, "trials_full": 64,
        "save_dir": str(tmp_path / "plans"), "study": str(_study(tmp_path))})
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = [o["data"] for o in outputs if "data" in o]
    assert any("application/vnd.jupyter.widget-view+json" in d and "spmsim-chart" in
               d["text/html"] and "<svg" in d["text/html"] for d in shown)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert not [c for c in code if "def " in c or "for " in c]  # thin
    assert _files(tmp_path) == ["studies/study.yaml"]  # showing the designer writes nothing
