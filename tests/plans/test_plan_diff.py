"""Plan differences in words, and which of them change the plan's structure."""

from __future__ import annotations

import yaml

from spmsim.plans import load_plan, plan_from_dict
from spmsim.plans.diff import above_quota, describe, plan_changes
from spmsim.studies.describe import role_label, structural_changes, variant_sentence

from paths import PLANS

ENT = load_plan(PLANS / "enterprise_ae.yaml")


def _edited(plan, **edits):
    tree = yaml.safe_load(plan.model_dump_json())
    component = tree["components"][0]
    for key, value in edits.items():
        component[key] = value
    return plan_from_dict(tree)


def test_same_plan_no_changes():
    assert plan_changes(ENT, ENT) == [] and describe([]) == ""


def test_rate_changes_by_band():
    tiers = [{"upto": 1.0, "rate": 1.0}, {"upto": 1.5, "rate": 3.0}, {"rate": 1.5}]
    changes = plan_changes(ENT, _edited(ENT, tiers=tiers))
    assert describe(changes) == "“New ARR” pays 3x from 100% to 150% of quota (now 2x)"
    assert not any(c.structural for c in changes)


def test_new_cap_and_removed_accelerator_are_structural():
    flat = [{"rate": 1.0}]
    new = _edited(ENT, tiers=flat, cap=None)
    texts = {c.text: c.structural for c in plan_changes(ENT, new)}
    assert texts["“New ARR” loses its accelerator above quota"] is True
    assert texts["removes a cap on “New ARR” (now 300% of target)"] is True
    capped = _edited(plan_from_dict({**yaml.safe_load(ENT.model_dump_json())}),
                     cap={"of_target": 1.9})
    text = describe(plan_changes(ENT, capped))
    assert text == "a cap on “New ARR” at 190% of target (now 300% of target)"
    uncapped = _edited(ENT, cap=None)
    added = plan_changes(uncapped, capped)
    assert [(c.text, c.structural) for c in added] == [
        ("adds a cap on “New ARR” at 190% of target", True)]


def test_accelerator_and_gate_read_from_the_tiers():
    assert above_quota(ENT.components[0]) == "accelerator"
    smb = load_plan(PLANS / "smb_ae.yaml")
    assert above_quota(smb.components[0]) == "accelerator"  # 1.5x from 100 % to 120 %
    decel = _edited(smb, tiers=[{"upto": 1.0, "rate": 1.0}, {"rate": 0.5}])
    assert above_quota(decel.components[0]) == "decelerator"
    gated = plan_changes(_edited(ENT, threshold=None), ENT)
    assert [(c.text, c.structural) for c in gated] == [
        ("adds a gate on “New ARR” (nothing paid below it) at 40% of quota", True)]


def test_components_pay_mix_and_ote():
    tree = yaml.safe_load(ENT.model_dump_json())
    tree.update(ote=320000, base_share=0.6, plan="Enterprise AE FY28")
    tree["components"] = [c for c in tree["components"] if c["name"] != "MBO"]
    tree["components"][0]["weight"] = 1.0
    texts = [(c.text, c.structural) for c in plan_changes(ENT, plan_from_dict(tree))]
    assert texts == [
        ("moves to the plan “Enterprise AE FY28” (now “Enterprise AE FY27”)", False),
        ("OTE $320K (now $300K)", False),
        ("pay mix 60/40 base/variable (now 50/50)", False),
        ("drops the “MBO” component", True),
        ("“New ARR” is 100% of target incentive (now 90%)", False)]


def _scenario(plan, **role):
    return {"org": {"roles": {"ent_ae": {"plan": yaml.safe_load(plan.model_dump_json()),
                                         "headcount": 36, **role}}},
            "economics": {"budget": 12e6}}


def test_a_variant_in_one_sentence():
    current = _scenario(ENT, quota_method={"method": "potential", "growth": 0.0})
    steep = _scenario(_edited(ENT, tiers=[{"upto": 1.0, "rate": 1.0}, {"upto": 1.5, "rate": 3.0},
                                          {"rate": 2.0}]),
                      quota_method={"method": "flat_growth", "growth": 0.1})
    steep["org"]["roles"]["ent_ae"]["headcount"] = 40
    assert role_label(current, "ent_ae") == "Enterprise AE"
    assert variant_sentence(current, current) == "The same plans, quotas and headcount as today."
    assert variant_sentence(current, steep) == (
        "Enterprise AE: “New ARR” pays 3x from 100% to 150% of quota (now 2x), 2x above 150% "
        "of quota (now 1.5x); quotas from last year's bookings plus 10% (now territory "
        "potential); 40 reps in seat (now 36).")
    assert structural_changes(current, steep) == []
    flat = _scenario(_edited(ENT, tiers=[{"rate": 1.0}]))
    assert structural_changes(_scenario(ENT), flat) == [
        "Enterprise AE: “New ARR” loses its accelerator above quota"]


def test_crediting_linkage_and_currency_changes_are_named_in_words():
    from spmsim.plans import load_plan
    from spmsim.plans.diff import describe, plan_changes

    from paths import PLANS

    strategic = load_plan(PLANS / "strategic_ae.yaml")
    no_windfall = strategic.model_copy(update={"crediting": {}})
    unlocked = strategic.model_copy(update={"components": (
        strategic.components[0].model_copy(update={"unlock": None}),
        *strategic.components[1:])})
    assert describe(plan_changes(strategic, no_windfall)) == (
        "removes a windfall clause on New ARR (now 25% of each deal's amount above $1M)")
    text = describe(plan_changes(strategic, unlocked))
    assert text.startswith("removes an unlock of “New ARR” (now 90% of Renewals")
    assert all(c.structural for c in plan_changes(strategic, unlocked))
