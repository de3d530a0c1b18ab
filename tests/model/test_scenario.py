"""Scenario files: validation errors name the file and field path; overrides; extends."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from spmsim.errors import InputError, InputErrors, SpmsimError
from spmsim.model.scenario import (
    load_scenario,
    read_scenario_tree,
    scenario_from_tree,
    with_overrides,
)
from spmsim.overrides import apply_overrides, parse_assignment, parse_path, set_path

from paths import ACME, ACME_STEEPER, PLANS, SCENARIOS


def _tree() -> dict:
    return read_scenario_tree(ACME)


def _error(tree: dict) -> str:
    with pytest.raises(SpmsimError) as e:
        scenario_from_tree(tree, "acme.yaml")
    return str(e.value)


def test_shipped_scenarios_load():
    base, steep = load_scenario(ACME), load_scenario(ACME_STEEPER)
    assert set(base.org.roles) == {"ent_ae", "smb_ae", "account_mgr"}
    assert sum(r.seats for r in base.org.roles.values()) == 120
    assert base.org.roles["ent_ae"].plan.components[0].tiers[1].rate == 2.0
    assert steep.org.roles["ent_ae"].plan.components[0].tiers[1].rate == 3.0
    assert steep.org.roles["smb_ae"].plan.components[0].tiers[1].rate == 2.0
    assert steep.scenario != base.scenario
    # everything but the plans is the baseline's
    assert steep.market == base.market and steep.seed == base.seed


def test_plans_are_inlined_and_record_their_file():
    tree = _tree()
    role = tree["org"]["roles"]["ent_ae"]
    assert isinstance(role["plan"], dict) and role["plan"]["plan"] == "Enterprise AE FY27"
    assert role["plan_file"].endswith("plans/enterprise_ae.yaml")


def test_override_reaches_a_tier_rate_and_validates():
    s = load_scenario(ACME, [("org.roles.ent_ae.plan.components[0].tiers[1].rate", 2.5),
                                 ("org.roles.smb_ae.headcount", 10)], trials=7, seed=3)
    assert s.org.roles["ent_ae"].plan.components[0].tiers[1].rate == 2.5
    assert s.org.roles["smb_ae"].headcount == 10 and s.trials == 7 and s.seed == 3


def test_override_to_a_bad_value_names_the_plan_file_and_path():
    with pytest.raises(InputErrors) as e:
        load_scenario(ACME, [("org.roles.ent_ae.plan.components[0].tiers[1].rate", -1)])
    text = str(e.value)
    assert "enterprise_ae.yaml (org.roles.ent_ae.plan)" in text
    assert "components[0].tiers[1].rate" in text


def test_override_of_a_missing_key_suggests_the_right_one():
    with pytest.raises(InputError) as e:
        load_scenario(ACME, [("org.roles.ent_ae.atrition.annual", 0.1)])
    assert "--set org.roles.ent_ae.atrition.annual" in str(e.value)
    assert "did you mean `attrition`" in str(e.value)


def test_override_index_out_of_range():
    with pytest.raises(InputError, match=r"has 3 items, no \[5\]"):
        load_scenario(ACME, [("org.roles.ent_ae.plan.components[0].tiers[5].rate", 1)])


def test_set_path_adds_a_missing_last_key_and_never_mutates():
    tree = {"a": {"b": [1, {"c": 2}]}}
    before = copy.deepcopy(tree)
    out = set_path(tree, "a.b[1].d", 5)
    assert out == {"a": {"b": [1, {"c": 2, "d": 5}]}} and tree == before
    assert set_path(tree, "a.b[-1].c", 9)["a"]["b"][1]["c"] == 9
    with pytest.raises(ValueError, match="is not a list"):
        set_path(tree, "a[0]", 1)
    with pytest.raises(ValueError, match="is not a mapping"):
        set_path(tree, "a.b.c", 1)


@pytest.mark.parametrize("path, parts", [
    ("a", ["a"]),
    ("org.roles.ae.plan.components[0].tiers[1].rate",
     ["org", "roles", "ae", "plan", "components", 0, "tiers", 1, "rate"]),
    ("a[2][3].b", ["a", 2, 3, "b"]),
])
def test_parse_path(path, parts):
    assert parse_path(path) == parts


@pytest.mark.parametrize("bad", ["", ".a", "a..b", "[0].a", "a[x]"])
def test_parse_path_rejects(bad):
    with pytest.raises(ValueError, match="malformed path"):
        parse_path(bad)


def test_parse_assignment_reads_yaml_values():
    assert parse_assignment("a.b=2.5") == ("a.b", 2.5)
    assert parse_assignment("a=[1, 2]") == ("a", [1, 2])
    assert parse_assignment("a = true") == ("a", True)
    assert parse_assignment("name=Acme v2") == ("name", "Acme v2")
    with pytest.raises(ValueError, match="PATH=VALUE"):
        parse_assignment("no_equals")


def test_apply_overrides_in_order():
    assert apply_overrides({"a": 1}, [("a", 2), ("a", 3)]) == {"a": 3}
    assert apply_overrides({"a": 1}, {"a": 4}) == {"a": 4}


def test_with_overrides_on_a_validated_scenario():
    s = load_scenario(ACME)
    t = with_overrides(s, {"org.roles.account_mgr.headcount": 12})
    assert t.org.roles["account_mgr"].headcount == 12
    assert s.org.roles["account_mgr"].headcount == 30


def test_unknown_key_is_reported_with_its_path_and_a_suggestion():
    tree = _tree()
    tree["org"]["roles"]["smb_ae"]["skil_sigma"] = 0.2
    text = _error(tree)
    assert "acme.yaml: org.roles.smb_ae.skil_sigma: unknown key" in text
    assert "did you mean `skill_sigma`" in text


def test_market_paths_hide_union_tags():
    tree = _tree()
    tree["market"]["smb_ae"]["measures"]["new_arr"]["deals_per_month"] = -1
    tree["market"]["account_mgr"]["measures"]["expansion"]["cv"] = -0.1
    text = _error(tree)
    assert "market.smb_ae.measures.new_arr.deals_per_month" in text
    assert "market.account_mgr.measures.expansion.cv" in text
    assert "pipeline" not in text.split(":")[1] and ".lognormal." not in text


def test_missing_market_for_a_role():
    tree = _tree()
    del tree["market"]["account_mgr"]
    assert "market.account_mgr: role 'account_mgr' has no market" in _error(tree)


def test_market_without_a_role():
    tree = _tree()
    tree["market"]["sdr"] = copy.deepcopy(tree["market"]["smb_ae"])
    assert "market.sdr: no role 'sdr' in org.roles" in _error(tree)


def test_plan_measure_the_market_does_not_credit():
    tree = _tree()
    del tree["market"]["ent_ae"]["measures"]["new_arr"]["count_as"]
    text = _error(tree)
    assert "market.ent_ae: the plan pays on 'new_logos'" in text
    assert "count_as: new_logos" in text


def test_score_the_market_does_not_draw():
    tree = _tree()
    del tree["market"]["ent_ae"]["scores"]
    assert "'mbo_score'" in _error(tree) and "scores:" in _error(tree)


def test_missing_quota():
    tree = _tree()
    tree["org"]["roles"]["smb_ae"]["quota"] = {}
    assert "org.roles.smb_ae.quota: 'new_arr' needs an annual quota" in _error(tree)


def test_attainment_model_measures_need_a_quota():
    tree = _tree()
    del tree["org"]["roles"]["account_mgr"]["quota"]["renewals"]
    assert "'renewals' needs an annual quota" in _error(tree)


def test_plans_must_share_the_plan_year():
    tree = _tree()
    tree["org"]["roles"]["smb_ae"]["plan"]["year_start"] = "2027-02-01"
    assert "every plan must start the same plan year" in _error(tree)


def test_team_plans_are_refused_with_a_reason():
    tree = _tree()
    manager = yaml.safe_load((PLANS / "sales_manager.yaml").read_text())
    tree["org"]["roles"]["smb_ae"]["plan"] = manager
    assert "pays on team credit" in _error(tree)


def test_seasonality_needs_twelve_weights():
    tree = _tree()
    tree["market"]["smb_ae"]["seasonality"] = [1, 2, 3]
    assert "market.smb_ae.seasonality: " in _error(tree) and "12 monthly weights" in _error(tree)


def test_role_named_all_is_reserved():
    tree = _tree()
    tree["org"]["roles"]["all"] = tree["org"]["roles"].pop("smb_ae")
    tree["market"]["all"] = tree["market"].pop("smb_ae")
    assert "`all` names the whole organisation" in _error(tree)


def test_no_reps_at_all():
    tree = _tree()
    tree["org"]["roles"]["account_mgr"]["headcount"] = 0
    assert "org.roles.account_mgr.headcount: the role has no reps" in _error(tree)


def test_scenario_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: x\nseed: [\n")
    with pytest.raises(InputError, match=r"bad.yaml: line \d+"):
        load_scenario(bad)
    bad.write_text("- a list\n")
    with pytest.raises(InputError, match="a scenario file is a mapping"):
        load_scenario(bad)


def test_missing_plan_file_names_it(tmp_path):
    tree = yaml.safe_load(ACME.read_text())
    tree["org"]["roles"]["smb_ae"]["plan"] = "plans/nope.yaml"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(tree))
    with pytest.raises(InputError, match=r"s.yaml: org.roles.\w+.plan: no plan file .*\.yaml"):
        load_scenario(path)


def test_extends_rejects_other_keys_and_loops(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("extends: b.yaml\n")
    b.write_text("extends: a.yaml\n")
    with pytest.raises(InputError, match="loops back"):
        load_scenario(a)
    c = tmp_path / "c.yaml"
    c.write_text(f"extends: {ACME}\norg: {{}}\n")
    with pytest.raises(InputError, match="org: a scenario with `extends:` takes only"):
        load_scenario(c)
    d = tmp_path / "d.yaml"
    d.write_text(f"extends: {ACME}\nset:\n  org.roles.nobody.headcount: 3\n")
    with pytest.raises(InputError, match=r"d.yaml: set.org.roles.nobody.headcount: .*no key"):
        load_scenario(d)


def test_history_distribution_resamples_a_file(tmp_path):
    history = tmp_path / "history.csv"
    history.write_text("rep,attainment\na,0.5\nb,1.5\n")
    tree = yaml.safe_load(ACME.read_text())
    for role in tree["org"]["roles"].values():
        role["plan"] = str(SCENARIOS / role["plan"])
    tree["market"]["account_mgr"]["measures"]["expansion"] = {"type": "history",
                                                             "file": "history.csv"}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(tree))
    s = load_scenario(path)
    dist = s.market["account_mgr"].measures["expansion"]
    assert dist.expected() == 1.0
    draws = dist.sample(np.random.default_rng(0), (1000,))
    assert set(np.unique(draws)) == {0.5, 1.5}
    history.write_text("rep,attainment\na,0.5\nb,lots\n")
    with pytest.raises(InputError, match=r"history.csv line 3, column 'attainment'"):
        load_scenario(path)
    history.write_text("rep,score\na,0.5\n")
    with pytest.raises(InputError, match=r"no column 'attainment'.*set `column:`"):
        load_scenario(path)


def test_echo_is_plain_json_and_reloads():
    s = load_scenario(ACME)
    echo = s.echo()
    assert echo["org"]["roles"]["ent_ae"]["plan"]["components"][0]["tiers"][1]["rate"] == 2.0
    assert scenario_from_tree(echo) == s


def test_a_planned_plan_change_reads_its_plan_file_and_is_checked(tmp_path):
    import shutil

    from spmsim.errors import InputError
    from spmsim.model.scenario import load_scenario

    from paths import ROOT

    shutil.copytree(ROOT / "scenarios" / "plans", tmp_path / "plans")
    text = (ROOT / "scenarios" / "acme_baseline.yaml").read_text()
    change = ("      plan_changes: [{effective_from: 2027-07-01, "
              "plan: plans/enterprise_ae.yaml}]\n")
    at = text.index("      quota: {new_arr: 560000}\n")
    (tmp_path / "s.yaml").write_text(text[:at] + change + text[at:])
    role = load_scenario(tmp_path / "s.yaml").org.roles["smb_ae"]
    assert [(p.plan, str(a), str(b)) for p, a, b in role.segments()] == [
        ("SMB AE FY27", "None", "2027-06-30"), ("Enterprise AE FY27", "2027-07-01", "None")]
    (tmp_path / "s.yaml").write_text(text[:at] + change.replace("2027-07-01", "2028-02-01")
                                     + text[at:])
    with pytest.raises(InputError, match=r"plan_changes\[0\]\.effective_from"):
        load_scenario(tmp_path / "s.yaml")
