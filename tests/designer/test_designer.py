"""The plan designer without a browser: the form read from the plan models, edits (values,
tiers, components, the one cap; undo, redo, reset), problems in the designer's words, the
fast simulation (checked against the Monte Carlo engine), the study's limits and the budget,
the tables behind the charts, saving a plan and adding it to a study, the widget wiring,
and the notebook through papermill."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field

from spmsim.config import read_yaml
from spmsim.designer.choices import plan_files, roles, scenario_files
from spmsim.designer.form import CAP, cap_control, parse, parse_list, plan_form, show
from spmsim.designer.model import CURRENT, EDITED, Design, leaves, with_value
from spmsim.designer.save import add_variant, with_variant
from spmsim.designer.simulation import (
    RoleSimulation,
    budget_share,
    curves,
    distributions,
    quick_summary,
    role_scenario,
)
from spmsim.designer.widgets import PlanDesigner
from spmsim.engines import simulate
from spmsim.engines.results import HISTOGRAMS, TRIAL_STATS
from spmsim.errors import InputError
from spmsim.plans import load_plan
from spmsim.plans.components import REGISTRY, Commission
from spmsim.plans.describe import describe_plan
from spmsim.report.build import execute_notebook
from spmsim.studies.study import load_study, variant_scenario

from paths import ACME, NOTEBOOKS, PLANS, SCENARIOS

ENT = PLANS / "enterprise_ae.yaml"
RATE, EDGE = "components[0].tiers[1].rate", "components[0].tiers[1].upto"
COMP_CAP = "components[0].cap"
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
  - {{metric: share_at_quota, group: ent_ae, min: 0.4, max: 0.7}}
"""


@pytest.fixture(scope="module")
def design() -> Design:
    return Design(ENT, ACME, "ent_ae", trials=64)


@pytest.fixture
def fresh(design):
    design.reset()
    design.undo_stack, design.redo_stack = [], []
    yield design
    design.reset()
    design.undo_stack, design.redo_stack = [], []


def _study(folder: Path, base: Path = ACME) -> Path:
    path = folder / "studies" / "study.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(STUDY.format(base=base))
    return path


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# ---- the form: read from the plan's models ----------------------------------------------

def test_the_form_has_every_value_of_the_plan_in_peoples_units(design):
    sections = plan_form(design.tree, design.measures)
    assert [s.title for s in sections] == ["The plan", "New ARR (commission)", "MBO (mbo)",
                                           "Q1 new-logo SPIF (spiff)"]
    controls = {c.path: (c.kind, c.unit, c.value) for s in sections for c in s.controls}
    rows = {c.path: (c.kind, c.unit, c.value) for s in sections for r in s.rows
            for c in r.controls}
    assert controls["ote"] == ("number", "money", 300000)
    assert controls["base_share"] == ("number", "percent", 0.5)
    assert controls["components[0].threshold"] == ("number", "percent", 0.4)
    assert controls["components[0].mode"] == ("choice", "number", "marginal")
    assert controls["components[0].measure"][0] == "choice"
    assert controls["components[2].periods"] == ("list", "count", [1, 2, 3])
    assert controls["clawback.within_days"] == ("number", "count", 90)
    assert rows == {
        "components[0].tiers[0].upto": ("number", "percent", 1.0),
        "components[0].tiers[0].rate": ("number", "times", 1.0),
        "components[0].tiers[1].upto": ("number", "percent", 1.5),
        RATE: ("number", "times", 2.0),
        "components[0].tiers[2].upto": ("number", "percent", None),
        "components[0].tiers[2].rate": ("number", "times", 1.5)}
    assert sections[1].add_row == "add a tier" and sections[1].rows_path == "components[0].tiers"
    assert [r.label for r in sections[1].rows] == ["Tier 1", "Tier 2", "Tier 3"]
    assert "no draw (add one in the YAML file)" in sections[0].notes


def test_amount_tiers_and_percent_rates_change_the_units(design):
    tree = with_value(with_value(design.tree, "components[0].tier_basis", "amount"),
                      "components[0].rates", "percent")
    rows = {c.path: c.unit for s in plan_form(tree) for r in s.rows for c in r.controls}
    assert rows["components[0].tiers[0].upto"] == "money"
    assert rows[RATE] == "percent"


class Floored(Commission):
    """A commission type with fields the designer has never heard of."""

    floor: float = Field(0.0, ge=0, description="the least paid a year; more text")
    region: Literal["east", "west"] = "east"
    extras: dict[str, float] = Field(default_factory=dict)


def test_a_new_field_appears_without_designer_changes(monkeypatch, design):
    monkeypatch.setitem(REGISTRY, "commission", Floored)
    tree = with_value(design.tree, "components[0].extras", {"a": 1.0})
    section = plan_form(tree)[1]
    controls = {c.path: c for c in section.controls}
    assert controls["components[0].floor"].label == "the least paid a year"
    assert controls["components[0].floor"].kind == "number"
    assert [v for _, v in controls["components[0].region"].choices] == ["east", "west"]
    assert "extras: {'a': 1.0} (edit in the YAML file)" in section.notes


def test_an_unknown_component_type_is_left_to_the_yaml_file(design):
    tree = with_value(design.tree, "components[1].type", "quota_bonus_2030")
    section = plan_form(tree)[2]
    assert section.notes == ("type 'quota_bonus_2030': edit in the YAML file",)


@pytest.mark.parametrize(("text", "unit", "value"), [
    ("150", "percent", 1.5), ("150 %", "percent", 1.5), ("35", "percent", 0.35),
    ("300,000", "money", 300000), ("$300,000", "money", 300000), ("2.5x", "times", 2.5),
    ("2.5", "times", 2.5), ("90", "count", 90), ("", "times", None), (" 1e3 ", "money", 1000)])
def test_typed_values_are_read_in_the_controls_units(text, unit, value):
    assert parse(text, unit) == value
    if value is not None:
        assert parse(show(value, unit), unit) == value


@pytest.mark.parametrize(("text", "unit", "message"), [
    ("abc", "percent", "“abc” is not a number: type digits, e.g. 150 (for 150 %)"),
    ("1.5.2", "times", "“1.5.2” is not a number: type digits, e.g. 2.5"),
    ("2.5", "count", "“2.5” is not a whole number")])
def test_what_cannot_be_read_is_explained(text, unit, message):
    with pytest.raises(ValueError) as e:
        parse(text, unit)
    assert str(e.value) == message


def test_lists_of_periods():
    assert parse_list("1, 2,3") == [1, 2, 3] and parse_list(" ") is None
    with pytest.raises(ValueError, match="whole numbers separated by commas"):
        parse_list("1, two")


def test_the_one_cap_control(design):
    cap, notes = cap_control(design.tree)
    assert cap.value == (COMP_CAP, 3.0) and notes == []
    assert [p for _, p in cap.choices] == ["", "cap", COMP_CAP, "components[1].cap"]
    both = with_value(design.tree, "cap", {"of_target": 2.0})
    cap, notes = cap_control(both)
    assert cap.value == ("cap", 2.0)
    assert notes == ["also capped: New ARR (x its target) at 3.0 (edit in the YAML file)"]


# ---- edits ----------------------------------------------------------------------------------

def test_with_value_sets_adds_and_removes_without_mutating():
    tree = {"a": 1, "b": [{"c": 2, "d": 3}]}
    assert with_value(tree, "b[0].c", None) == {"a": 1, "b": [{"d": 3}]}
    assert with_value(tree, "b[0].x", 5) == {"a": 1, "b": [{"c": 2, "d": 3, "x": 5}]}
    assert with_value(tree, "e.f", 1) == {"a": 1, "b": [{"c": 2, "d": 3}], "e": {"f": 1}}
    assert with_value(tree, "b[0]", None) == {"a": 1, "b": []}
    assert tree == {"a": 1, "b": [{"c": 2, "d": 3}]}
    assert leaves(tree) == {"a": 1, "b[0].c": 2, "b[0].d": 3}


def test_typed_values_edit_the_plan_and_changes_are_listed(fresh):
    controls = fresh.controls()
    fresh.enter(controls[RATE], "2.5")
    fresh.enter(controls["components[0].threshold"], "")  # empty: no threshold
    fresh.enter(controls["ote"], "320,000")
    fresh.enter(controls["base_share"], "45")
    new = fresh.tree
    assert new["components"][0]["tiers"][1] == {"upto": 1.5, "rate": 2.5}
    assert "threshold" not in new["components"][0]
    assert new["ote"] == 320000 and isinstance(new["ote"], int) and new["base_share"] == 0.45
    assert fresh.file_tree == read_yaml(ENT)  # the file's data is never touched
    assert fresh.changes() == ["ote: 300000 -> 320000", "base_share: 0.5 -> 0.45",
                               "components[0].tiers[1].rate: 2.0 -> 2.5",
                               "components[0].threshold: 0.4 -> none"]
    with pytest.raises(ValueError, match="type a number"):
        fresh.enter(controls["ote"], "")
    with pytest.raises(ValueError, match="is not a number"):
        fresh.enter(controls["ote"], "lots")
    assert fresh.tree["ote"] == 320000  # what cannot be read changes nothing


def test_undo_redo_and_reset(fresh):
    fresh.set(RATE, 2.5)
    fresh.set(RATE, 3.0)
    assert fresh.undo() and fresh.tree["components"][0]["tiers"][1]["rate"] == 2.5
    assert fresh.redo() and fresh.tree["components"][0]["tiers"][1]["rate"] == 3.0
    assert not fresh.redo()
    fresh.reset()
    assert fresh.tree == fresh.file_tree
    assert fresh.undo() and fresh.tree["components"][0]["tiers"][1]["rate"] == 3.0
    fresh.set(RATE, 1.0)
    assert fresh.redo_stack == []  # a new edit ends the redo chain
    assert fresh.undo() and fresh.undo() and fresh.undo()  # to 3.0, 2.5, the file's
    assert fresh.tree == fresh.file_tree and not fresh.undo()


def test_adding_a_tier_and_removing_it_gives_back_the_plan_and_its_curve(fresh):
    before = curves({EDITED: fresh.check().plan}, {})
    assert len(before["pct_of_ti"]) == 201
    fresh.add_row("components[0].tiers")
    tiers = fresh.tree["components"][0]["tiers"]
    assert tiers == [{"upto": 1.0, "rate": 1.0}, {"upto": 1.5, "rate": 2.0},
                     {"upto": 2.0, "rate": 1.5}, {"rate": 1.5}]
    added = curves({EDITED: fresh.check().plan}, {})
    assert added == before  # the new tier pays the last tier's rate: nothing moves yet
    fresh.remove_row("components[0].tiers[2]")
    assert fresh.tree == fresh.file_tree
    assert curves({EDITED: fresh.check().plan}, {}) == before


def test_removing_the_last_tier_opens_the_one_before(fresh):
    fresh.remove_row("components[0].tiers[2]")
    assert fresh.tree["components"][0]["tiers"] == [{"upto": 1.0, "rate": 1.0},
                                                    {"rate": 2.0}]
    assert fresh.check().ok
    fresh.remove_row("components[0].tiers[0]")
    assert fresh.tree["components"][0]["tiers"] == [{"rate": 2.0}]
    fresh.remove_row("components[0].tiers[0]")  # the last tier stays
    assert fresh.tree["components"][0]["tiers"] == [{"rate": 2.0}]


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_a_component_of_each_type_can_be_added_simulated_and_removed(fresh, kind):
    fresh.add_component(kind)
    node = fresh.tree["components"][3]
    assert node["type"] == kind and node["name"] == f"New {kind}"
    check = fresh.check()
    assert check.ok, check.problems
    figures = fresh.figures(check.plan)
    assert figures.table[EDITED]["cost_p50"] >= figures.table[CURRENT]["cost_p50"]
    fresh.remove_component(3)
    assert fresh.tree == fresh.file_tree


def test_the_one_cap_moves_and_goes(fresh):
    fresh.set_cap("cap", "2.5")
    assert fresh.tree["cap"] == {"of_target": 2.5} and "cap" not in fresh.tree["components"][0]
    fresh.set_cap("components[1].cap", "1.5")
    assert "cap" not in fresh.tree and fresh.tree["components"][1]["cap"] == {"of_target": 1.5}
    fresh.set_cap("", "")
    assert all("cap" not in c for c in fresh.tree["components"]) and "cap" not in fresh.tree
    assert fresh.check().ok
    with pytest.raises(ValueError, match="type the cap's multiple"):
        fresh.set_cap("cap", "")


# ---- problems in the designer's words -----------------------------------------------------

@pytest.mark.parametrize(("path", "value", "where", "message"), [
    (EDGE, 0.8, EDGE, "Tier 2 must end above 100 % (where it starts: the end of tier 1)"),
    ("components[0].tiers[0].rate", -1.0, "components[0].tiers[0].rate",
     "Tier 1 rate can't be negative (got -1x)"),
    ("base_share", 1.0, "base_share", "Base salary must be below 100 % (got 100 %)"),
    ("ote", 0, "ote", "OTE must be more than 0 USD (got 0 USD)"),
    ("components[0].tiers[2].upto", 2.0, "components[0].tiers[2].upto",
     "Leave the end of tier 3 empty: the last tier is open"),
    ("components[1].name", "New ARR", "components[1].name",
     "Two components are called “New ARR”: rename one"),
    ("components[0].weight", None, "components[0]", "New ARR (commission): Give a share of "
     "TI: rates that are multiples of the base rate need a target"),
    (COMP_CAP, {"of_target": -2.0}, CAP, "Cap must be more than 0x (got -2x)"),
    ("components[0].measure", "renewals", "components[0].measure",
     "The ent_ae reps are not credited with renewals: choose one of new arr, mbo score, "
     "new logos"),
    ("components[0].credit", "team", "components[0].credit",
     "Team credit is not simulated for a role yet: choose “the rep”"),
    ("components[2].per_deal", 100, "components[2]", "Q1 new-logo SPIF (spiff): Give one "
     "amount: per unit or per deal, not both or neither"),
])
def test_problems_are_said_in_the_designers_words_at_their_control(fresh, path, value, where,
                                                                   message):
    fresh.set(path, value)
    check = fresh.check()
    assert not check.ok
    assert check.problems == {where: [message]}
    assert all("components[" not in m and "Input should" not in m
               for ms in check.problems.values() for m in ms)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rates=st.lists(st.floats(0, 5, allow_nan=False), min_size=3, max_size=3),
       edges=st.tuples(st.floats(0.1, 3), st.floats(0.1, 3)),
       cap=st.sampled_from(["", "1.5", "2", "4"]), threshold=st.floats(0, 0.9))
def test_any_edit_is_valid_exactly_when_the_edges_rise(fresh, rates, edges, cap, threshold):
    fresh.reset()
    for j, r in enumerate(rates):
        fresh.set(f"components[0].tiers[{j}].rate", r)
    fresh.set("components[0].tiers[0].upto", edges[0])
    fresh.set(EDGE, edges[1])
    fresh.set_cap(COMP_CAP if cap else "", cap)
    fresh.set("components[0].threshold", threshold or None)
    check = fresh.check()
    if edges[1] <= edges[0]:
        assert list(check.problems) == [EDGE]
        assert check.problems[EDGE][0].startswith("Tier 2 must end above")
        return
    c = check.plan.components[0]
    assert check.ok
    assert [t.rate for t in c.tiers] == rates and [t.upto for t in c.tiers[:2]] == list(edges)
    assert (c.cap.of_target if c.cap else "") == (float(cap) if cap else "")
    assert (c.threshold or 0.0) == threshold


# ---- files to pick ---------------------------------------------------------------------------

def test_the_repositorys_scenarios_roles_and_plans_are_offered():
    assert [p.name for p in scenario_files(SCENARIOS)] == [
        "acme_baseline.yaml", "acme_behavior.yaml", "acme_quarterly_accelerator.yaml",
        "acme_steeper_accelerator.yaml", "acme_teams.yaml", "acme_territories.yaml",
        "acme_years.yaml"]
    assert [p.name for p in plan_files([PLANS])] == [
        "account_manager.yaml", "enterprise_ae.yaml", "enterprise_ae_proposed.yaml",
        "sales_manager.yaml", "smb_ae.yaml", "smb_ae_q4_contest.yaml", "smb_ae_q4_spif.yaml",
        "strategic_ae.yaml"]
    assert roles(ACME) == ["ent_ae", "smb_ae", "account_mgr"]
    assert roles(SCENARIOS / "acme_steeper_accelerator.yaml") == roles(ACME)  # extends


def test_without_a_plan_file_the_role_gets_the_scenarios_plan():
    d = Design(None, ACME, "smb_ae", trials=16)
    assert d.plan_path.resolve() == (PLANS / "smb_ae.yaml").resolve()


def test_a_scenario_that_extends_another_gives_its_own_version_of_the_plan():
    """acme_steeper_accelerator sets the enterprise tier 2 and 3 rates to 3.0 and 2.0."""
    d = Design(None, SCENARIOS / "acme_steeper_accelerator.yaml", "ent_ae", trials=16)
    assert d.plan_path.name == "enterprise_ae.yaml"
    assert [t["rate"] for t in d.tree["components"][0]["tiers"]] == [1.0, 3.0, 2.0]
    assert d.file_tree == d.tree and d.check().ok


def test_resolve_path_looks_upwards(tmp_path):
    from spmsim.designer.model import resolve_path

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


def test_a_scenario_of_several_years_is_designed_on_its_first():
    years = SCENARIOS / "acme_years.yaml"
    assert read_yaml(years)["set"]["years"] == 3
    scenario = role_scenario(years, "ent_ae", read_yaml(ENT), ENT)
    assert scenario.years == 1  # the Monte Carlo engine the designer uses runs one year
    assert scenario.behavior.effort_choice is not None


def test_a_plan_the_role_cannot_pay_is_refused():
    with pytest.raises(InputError, match="expansion"):  # the AE market credits new ARR only
        Design(PLANS / "account_manager.yaml", ACME, "ent_ae", trials=64)


# ---- the budget and the study's limits ---------------------------------------------------------

def test_the_budget_is_split_by_target_incentive():
    """Seats x TI: enterprise 40 x 150,000 = 6.0M, SMB 50 x 70,000 = 3.5M, account managers
    30 x 56,000 = 1.68M; the enterprise share of the 12M budget is 12M x 6 / 11.18."""
    d = Design(ENT, ACME, "ent_ae", trials=16)
    part, note = budget_share(d.scenario, "ent_ae")
    assert part == pytest.approx(12_000_000 * 6.0 / 11.18)
    assert note.endswith("(headcount x TI): 54%")


def test_the_studys_limits_are_checked(fresh, tmp_path):
    fresh.study_path = _study(tmp_path)
    fresh.limits = fresh._limits()
    assert [(lim.row, lim.min, lim.max) for lim in fresh.limits] == [
        ("cost_of_sales", None, 0.2), ("share_at_quota", 0.4, 0.7)]
    fresh.set(RATE, 6.0)
    figures = fresh.figures(fresh.check().plan)
    for plan in (CURRENT, EDITED):
        cos = figures.table[plan]["cost_of_sales"]
        assert figures.checks["cost_of_sales"][plan] == (cos <= 0.2)
    assert figures.marks["mark"] == ["budget share",
                                           "cost of sales limit (20% of median revenue)"]
    fresh.study_path, fresh.limits = None, []


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


def test_the_quick_summary_is_the_results_summary(design):
    results = design.current()[1]
    quick = quick_summary(results, None)
    summary = results.summary()["ent_ae"]
    for key, row in (("cost_p10", "variable pay P10"), ("cost_p50", "variable pay P50"),
                     ("cost_p90", "variable pay P90"), ("cost_of_sales", "cost of sales (P50)"),
                     ("share_at_quota", "share of reps at quota"),
                     ("over_budget", "P(variable pay > budget)"),
                     ("earnings_vs_ote", "earnings/OTE, P50 rep")):
        assert quick[key] == pytest.approx(summary[row], rel=1e-12), key
    t = results.trial
    assert quick["cost_per_rep"] == pytest.approx(
        np.median(t["variable_pay"][:, 0] / t["fte"][:, 0]))


def test_a_richer_accelerator_costs_at_least_as_much_on_every_trial(fresh):
    """Common draws: only the plan differs, so raising a rate cannot lower any trial's cost."""
    fresh.set(RATE, 3.0)
    plan = fresh.check().plan
    figures = fresh.figures(plan)
    now = fresh.current()[1].trial
    new = fresh.run(plan).trial
    assert np.all(new["variable_pay"] >= now["variable_pay"])
    assert np.any(new["variable_pay"] > now["variable_pay"])
    np.testing.assert_array_equal(new["at_quota"], now["at_quota"])
    table = figures.table
    assert table[EDITED]["cost_p50"] >= table[CURRENT]["cost_p50"]
    assert table[EDITED]["cost_p50"] == pytest.approx(
        np.percentile(new["variable_pay"][:, 0], 50))
    cost_of_sales = new["variable_pay"][:, 0] / new["revenue"][:, 0]
    assert table[EDITED]["cost_of_sales"] == pytest.approx(np.median(cost_of_sales))
    cost = pd.DataFrame(figures.cost)
    assert cost.groupby("variant")["share"].sum().tolist() == pytest.approx([1, 1])


# ---- the tables behind the charts -------------------------------------------------------------

def test_curve_points_by_hand(fresh):
    """At 125 % of quota with tier 2 at 2.5x: 0.9 x (1.0 + 0.25 x 2.5) + MBO 0.1 = 1.5625 of TI;
    at 200 % with the commission capped at 2x its target: 0.9 x 2.0 + 0.1 = 1.9."""
    fresh.set(RATE, 2.5)
    fresh.set_cap(COMP_CAP, "2")
    c = pd.DataFrame(curves({EDITED: fresh.check().plan}, {})).set_index("attainment")[
        "pct_of_ti"]
    assert c.loc[1.25] == pytest.approx(1.5625)
    assert c.loc[2.0] == pytest.approx(1.9)
    assert c.loc[0.3] == pytest.approx(0.1)  # below the 40 % gate: the MBO alone


def test_distributions_sum_fine_bins(design):
    results = design.current()[1]
    coarse = pd.DataFrame(distributions({"x": results}, "attainment", "ent_ae", step=0.05,
                                        upto=3.0))
    fine = results.distribution("attainment", "ent_ae")
    assert len(coarse) == 60
    assert coarse["share"].iloc[3] == pytest.approx(fine["share"].iloc[15:20].sum())
    assert coarse["share"].sum() == pytest.approx(fine.loc[fine["bin_lo"] < 3 - 1e-9,
                                                           "share"].sum())


# ---- saving --------------------------------------------------------------------------------------

def test_save_writes_a_plan_that_loads_back(fresh, tmp_path):
    fresh.save_dir = tmp_path
    fresh.set(RATE, 2.5)
    fresh.set_cap(COMP_CAP, "2.5")
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


def test_a_variant_without_a_description_is_the_plan_in_words(fresh, tmp_path):
    study = _study(tmp_path)
    fresh.save_dir, fresh.study_path = tmp_path / "plans", study
    fresh.set(RATE, 2.5)
    plan_path, _ = fresh.save("ent_v2.yaml", "Enterprise AE v2", variant="ent_v2")
    described = load_study(study).variants["ent_v2"].description
    assert described == describe_plan(load_plan(plan_path))
    assert "2.5x above quota up to 150%" in described


def test_a_study_without_the_role_writes_nothing(fresh, tmp_path):
    base = tmp_path / "base.yaml"
    tree = yaml.safe_load(ACME.read_text())
    tree["org"]["roles"]["ae"] = tree["org"]["roles"].pop("ent_ae")
    tree["market"]["ae"] = tree["market"].pop("ent_ae")
    for role in tree["org"]["roles"].values():
        role["plan"] = str(SCENARIOS / role["plan"])
    base.write_text(yaml.safe_dump(tree, sort_keys=False))
    study = _study(tmp_path, base)
    study.write_text(study.read_text().replace("org.roles.ent_ae", "org.roles.ae")
                     .replace("group: ent_ae", "group: ae"))
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


def _versions(d: PlanDesigner) -> set[str]:
    import re

    return {m for part in (d.curve, d.table, d.cost, d.payout, d.summary)
            for m in re.findall(r'data-version="(\d+)"', part.value)}


def test_a_change_redraws_every_chart_and_the_table(designer):
    version, curve, table = designer.version, designer.curve.value, designer.table.value
    designer.inputs[RATE].value = "2.5"
    assert designer.design.tree["components"][0]["tiers"][1]["rate"] == 2.5
    assert designer.version == version + 1 and _versions(designer) == {str(version + 1)}
    assert designer.curve.value != curve and designer.table.value != table
    assert "<svg" in designer.payout.value and "<svg" in designer.cost.value
    assert "2.5x above quota up to 150%" in designer.summary.value
    assert "Updated in" in designer.status.value and designer.last_update_s > 0
    assert "study limit" in designer.table.value and "at most 20.0%" in designer.table.value
    assert "budget share" in designer.cost.value  # the budget drawn on the cost chart
    assert "at quota:" in designer.attainment.value and "40.0% to 70.0%" in \
        designer.attainment.value


def test_an_invalid_edit_is_said_at_its_box_and_greys_the_charts(designer):
    version, curve = designer.version, designer.curve.value
    designer.inputs[EDGE].value = "80"
    assert "Tier 2 must end above 100 % (where it starts: the end of tier 1)" in \
        designer.errors[EDGE].value
    assert "spmsim-stale" in designer.charts._dom_classes
    assert "Showing the last valid plan" in designer.banner.value
    assert designer.version == version and designer.curve.value == curve
    designer.to_study.value = True
    assert designer.save() == []
    assert "Not saved" in designer.saved.value
    assert not designer.design.save_dir.exists()
    designer.inputs[EDGE].value = "150"
    assert designer.errors[EDGE].value == "" and designer.version == version + 1
    assert "spmsim-stale" not in designer.charts._dom_classes
    designer.to_study.value = False


def test_letters_and_empty_boxes_are_explained_not_reverted(designer):
    version = designer.version
    designer.inputs["ote"].value = "lots"
    assert "“lots” is not a number" in designer.errors["ote"].value
    assert designer.inputs["ote"].value == "lots"  # what was typed stays, explained
    assert "spmsim-stale" in designer.charts._dom_classes
    designer.inputs["ote"].value = ""
    assert "type a number" in designer.errors["ote"].value
    designer.inputs["ote"].value = "300,000"
    assert designer.errors["ote"].value == "" and designer.version == version + 1


def test_tiers_added_removed_undone_and_reset_in_the_widgets(designer):
    curve = designer.curve.value.split(">", 1)[1]
    designer.design.add_row("components[0].tiers")
    designer._after(rebuild=True)
    assert "components[0].tiers[3].rate" in designer.inputs
    designer.design.remove_row("components[0].tiers[2]")
    designer._after(rebuild=True)
    assert designer.curve.value.split(">", 1)[1] == curve
    designer.inputs[RATE].value = "3"
    assert designer.undo_button.disabled is False
    designer.undo_button.click()
    assert designer.inputs[RATE].value == "2.5"
    designer.redo_button.click()
    assert designer.inputs[RATE].value == "3"
    designer.reset_button.click()
    assert designer.design.tree == designer.design.file_tree
    assert designer.inputs[RATE].value == "2"


def test_save_from_the_widgets_adds_a_described_variant(designer):
    designer.inputs[RATE].value = "2.5"
    designer.to_study.value = True
    written = designer.save()
    assert [p.name for p in written] == ["enterprise_ae_designed.yaml", "study.yaml"]
    assert "Saved:" in designer.saved.value
    assert load_plan(written[0]).plan == "Enterprise AE FY27 (designed)"
    variant = load_study(written[1]).variants["enterprise_ae_designed"]
    assert variant.description.startswith("Enterprise AE FY27 (designed): OTE $300,000")
    designer.to_study.value = False


def test_the_full_run(designer):
    designer.run_full()
    assert "(full run)" in designer.status.value
    assert "128 simulated plan years" in designer.table.value
    assert designer.progress.value == 2 * 128


def test_switching_role_and_plan(designer):
    designer.pick_role.value = "smb_ae"
    assert designer.design.role == "smb_ae" and designer.design.plan_path.name == "smb_ae.yaml"
    assert "SMB AE FY27" in designer.summary.value and "smb_ae" in designer.table.value
    designer.pick_plan.value = str(PLANS / "account_manager.yaml")  # smb reps book no renewals
    assert "Cannot open that" in designer.picked.value and designer.design.role == "smb_ae"
    designer.pick_role.value = "ent_ae"
    assert designer.design.plan_path.name == "enterprise_ae.yaml"


def test_the_designer_displays_as_a_widget_with_a_static_fallback(designer):
    bundle = designer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].count("<svg") == 4


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
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "trials_fast" not in text and "voila" not in text.lower()  # the user's words
