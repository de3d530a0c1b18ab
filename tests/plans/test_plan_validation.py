"""Bad plans are rejected with an InputError naming the field path and what to do."""

from __future__ import annotations

import copy
import re

import pytest

from spmsim.errors import InputError, SpmsimError
from spmsim.plans import load_plan, plan_from_dict

COMMISSION = {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 0.8,
              "tiers": [{"upto": 1.0, "rate": 1.0}, {"upto": 1.5, "rate": 2.0}, {"rate": 1.5}]}
BONUS = {"name": "Bonus", "type": "bonus", "measure": "renewals", "weight": 0.2,
         "curve": [[0.9, 0.0], [1.0, 1.0]]}
MBO = {"name": "MBO", "type": "mbo", "measure": "score", "weight": 0.1}
SPIFF = {"name": "SPIF", "type": "spiff", "measure": "logos", "per_unit": 2_000,
         "periods": [1, 2, 3]}
VALID = {"plan": "Valid", "ote": 300_000, "base_share": 0.5, "payout_period": "month",
         "year_start": "2027-01-01", "components": [COMMISSION, BONUS, MBO, SPIFF]}


def doc(**changes) -> dict:
    """A deep copy of the valid plan with top-level keys replaced (None removes a key)."""
    out = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is None:
            out.pop(key)
        else:
            out[key] = value
    return out


def with_component(i: int, **changes) -> dict:
    """The valid plan with keys of component i replaced (None removes a key)."""
    out = doc()
    for key, value in changes.items():
        if value is None:
            out["components"][i].pop(key)
        else:
            out["components"][i][key] = value
    return out


def error_of(data) -> InputError:
    with pytest.raises(InputError) as info:
        plan_from_dict(data)
    return info.value


def test_the_valid_plan_is_valid():
    plan = plan_from_dict(VALID)
    assert [c.name for c in plan.components] == ["New ARR", "Bonus", "MBO", "SPIF"]


def test_input_error_is_an_spmsim_error_and_names_the_source():
    err = error_of(doc(ote=None))
    assert isinstance(err, SpmsimError)
    assert str(err).startswith("<plan>: ")
    with pytest.raises(InputError, match=r"^my_plan\.yaml: ote: "):
        plan_from_dict(doc(ote=None), source="my_plan.yaml")


# ------------------------------------------------------------------------------ tiers


def test_non_rising_tier_names_the_component_tiers_and_the_bad_edge():
    tiers = [{"upto": 1.0, "rate": 1.0}, {"upto": 1.5, "rate": 2.0}, {"upto": 1.2, "rate": 3.0},
             {"rate": 1.5}]
    err = error_of(with_component(0, tiers=tiers))
    msg = str(err)
    assert "components[0].tiers" in msg
    assert "tiers[2].upto" in msg
    assert "1.2 is not above 1.5" in msg
    assert [p.where for p in err.problems] == ["components[0].tiers"]


def test_equal_tier_edges_do_not_rise_either():
    tiers = [{"upto": 1.0, "rate": 1.0}, {"upto": 1.0, "rate": 2.0}, {"rate": 1.5}]
    assert "tiers[1].upto" in str(error_of(with_component(0, tiers=tiers)))


def test_last_tier_must_be_open_and_only_the_last():
    closed = [{"upto": 1.0, "rate": 1.0}, {"upto": 2.0, "rate": 2.0}]
    msg = str(error_of(with_component(0, tiers=closed)))
    assert "components[0].tiers" in msg and "tiers[1].upto" in msg and "open-ended" in msg
    open_middle = [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}, {"rate": 3.0}]
    msg = str(error_of(with_component(0, tiers=open_middle)))
    assert "tiers[1].upto" in msg and "only the last tier" in msg


def test_negative_rate_names_the_tier_field():
    tiers = [{"upto": 1.0, "rate": 1.0}, {"rate": -2.0}]
    err = error_of(with_component(0, tiers=tiers))
    assert [p.where for p in err.problems] == ["components[0].tiers[1].rate"]


def test_empty_tier_table():
    assert "components[0].tiers" in str(error_of(with_component(0, tiers=[])))


# ------------------------------------------------------------------------ unknown keys


def test_unknown_top_level_key_names_it_and_suggests_the_right_one():
    err = error_of(doc(cpa={"of_target": 3.0}))
    assert [p.where for p in err.problems] == ["cpa"]
    assert "unknown key" in str(err) and "did you mean `cap`" in str(err)


def test_unknown_component_key_names_the_path():
    err = error_of(with_component(0, treshold=0.4))
    assert [p.where for p in err.problems] == ["components[0].treshold"]
    assert "unknown key" in str(err) and "did you mean `threshold`" in str(err)


def test_unknown_key_inside_a_tier_names_the_path():
    tiers = [{"upto": 1.0, "rate": 1.0, "rat": 2.0}, {"rate": 2.0}]
    err = error_of(with_component(0, tiers=tiers))
    assert [p.where for p in err.problems] == ["components[0].tiers[0].rat"]
    assert "unknown key" in str(err)


def test_unknown_key_named_like_a_component_type_inside_a_tier_is_named():
    tiers = [{"upto": 1.0, "rate": 1.0, "bonus": 2.0}, {"rate": 2.0}]
    err = error_of(with_component(0, tiers=tiers))
    assert [p.where for p in err.problems] == ["components[0].tiers[0].bonus"]


def test_unknown_key_in_a_cap_or_draw():
    assert "cap.per_period" in str(error_of(doc(cap={"amount": 1_000, "per_period": 1})))
    err = error_of(doc(draw={"per_period": 5_000, "periods": 3, "recover": True}))
    assert [p.where for p in err.problems] == ["draw.recover"]


@pytest.mark.parametrize("i", range(4), ids=["commission", "bonus", "mbo", "spiff"])
def test_the_component_type_tag_is_not_part_of_the_path(i):
    err = error_of(with_component(i, colour="red"))
    kind = VALID["components"][i]["type"]
    assert [p.where for p in err.problems] == [f"components[{i}].colour"]
    assert f".{kind}." not in str(err) and f"[{i}].{kind}" not in str(err)


def test_several_problems_are_reported_together():
    data = with_component(0, treshold=0.4)
    data.pop("ote")
    err = error_of(data)
    assert sorted(p.where for p in err.problems) == ["components[0].treshold", "ote"]
    assert len(str(err).splitlines()) == 2


# ------------------------------------------------------------------- plan-level fields


def test_missing_ote():
    err = error_of(doc(ote=None))
    assert [p.where for p in err.problems] == ["ote"]
    assert "required" in str(err)


@pytest.mark.parametrize("ote", [0, -100_000])
def test_ote_must_be_positive(ote):
    assert [p.where for p in error_of(doc(ote=ote)).problems] == ["ote"]


@pytest.mark.parametrize("share", [1.0, 1.5, -0.1])
def test_base_share_must_be_below_one_and_not_negative(share):
    err = error_of(doc(base_share=share))
    assert [p.where for p in err.problems] == ["base_share"]
    assert repr(share) in str(err)  # the bad value is quoted back


def test_base_share_zero_is_allowed():
    assert plan_from_dict(doc(base_share=0.0)).ti == 300_000


def test_missing_components_and_an_empty_list():
    assert "components" in str(error_of(doc(components=None)))
    assert "components" in str(error_of(doc(components=[])))


def test_year_start_on_a_day_not_in_every_month():
    err = error_of(doc(year_start="2027-01-31"))
    assert [p.where for p in err.problems] == ["year_start"]


def test_unknown_payout_period_and_bad_currency():
    assert "payout_period" in str(error_of(doc(payout_period="week")))
    assert "currency" in str(error_of(doc(currency="usd")))


def test_not_a_mapping():
    with pytest.raises(InputError, match="mapping"):
        plan_from_dict(["plan", "ote"])


# ------------------------------------------------------------------------------- caps


def test_plan_cap_with_both_of_target_and_amount():
    err = error_of(doc(cap={"of_target": 3.0, "amount": 100_000}))
    assert [p.where for p in err.problems] == ["cap"]
    assert "exactly one of `of_target` or `amount`" in str(err)


def test_component_cap_with_both_or_neither():
    err = error_of(with_component(0, cap={"of_target": 2.5, "amount": 100_000}))
    assert [p.where for p in err.problems] == ["components[0].cap"]
    err = error_of(with_component(1, cap={}))
    assert [p.where for p in err.problems] == ["components[1].cap"]


def test_per_period_goes_only_with_an_amount():
    err = error_of(with_component(0, cap={"of_target": 2.5, "per": "period"}))
    assert [p.where for p in err.problems] == ["components[0].cap"]
    assert "per: period" in str(err)


def test_spiff_cannot_cap_a_target_it_does_not_have():
    err = error_of(with_component(3, cap={"of_target": 2.0}))
    assert [p.where for p in err.problems] == ["components[3]"]
    assert "amount" in str(err)


def test_commission_multiplier_needs_a_weight():
    err = error_of(with_component(0, weight=None))
    assert [p.where for p in err.problems] == ["components[0]"]
    assert "`weight`" in str(err)


# ---------------------------------------------------------------------- components


def test_spiff_without_per_unit_or_per_deal():
    err = error_of(with_component(3, per_unit=None))
    assert [p.where for p in err.problems] == ["components[3]"]
    assert "per_unit" in str(err) and "per_deal" in str(err)


def test_spiff_with_both_per_unit_and_per_deal():
    err = error_of(with_component(3, per_deal=100))
    assert [p.where for p in err.problems] == ["components[3]"]


def test_duplicate_component_names():
    err = error_of(with_component(2, name="New ARR"))
    assert "components[2].name" in str(err)
    assert "'New ARR'" in str(err) and "twice" in str(err)


@pytest.mark.parametrize(("period", "periods", "n"), [
    ("month", [12, 13], 12), ("quarter", [4, 5], 4), ("year", [2], 1)])
def test_spiff_periods_beyond_the_plans_periods(period, periods, n):
    data = with_component(3, periods=periods)
    data["payout_period"] = period
    err = error_of(data)
    assert "components[3].periods" in str(err)
    assert f"periods 1-{n}" in str(err)


def test_spiff_periods_on_the_last_quarter_are_fine():
    data = with_component(3, periods=[4])
    data["payout_period"] = "quarter"
    assert plan_from_dict(data).components[3].periods == (4,)


@pytest.mark.parametrize("periods", [[0], [], [-1, 2]])
def test_spiff_periods_are_one_based_and_not_empty(periods):
    err = error_of(with_component(3, periods=periods))
    assert [p.where for p in err.problems] == ["components[3].periods"]


def test_draw_periods_beyond_the_plans_periods():
    data = doc(payout_period="quarter", draw={"per_period": 5_000, "periods": 5})
    data["components"] = [COMMISSION]
    err = error_of(data)
    assert "draw.periods" in str(err) and "4 periods" in str(err)


def test_bonus_curve_must_rise():
    err = error_of(with_component(1, curve=[[1.0, 1.0], [0.9, 0.0]]))
    assert [p.where for p in err.problems] == ["components[1].curve"]
    assert "curve[1]" in str(err)


def test_unknown_and_missing_component_type():
    err = error_of(with_component(0, type="kicker"))
    assert [p.where for p in err.problems] == ["components[0]"]
    assert "kicker" in str(err) and "commission" in str(err)
    assert [p.where for p in error_of(with_component(2, type=None)).problems] == \
        ["components[2]"]


def test_bad_measure_name():
    err = error_of(with_component(2, measure="MBO Score"))
    assert [p.where for p in err.problems] == ["components[2].measure"]


def test_mode_must_be_one_of_the_two():
    err = error_of(with_component(0, mode="retro"))
    assert [p.where for p in err.problems] == ["components[0].mode"]
    assert "'retro'" in str(err)


def test_clawback_share_above_one():
    err = error_of(doc(clawback={"within_days": 90, "share": 1.5}))
    assert [p.where for p in err.problems] == ["clawback.share"]


# ------------------------------------------------------------------------------ files


def test_yaml_syntax_error_names_the_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("plan: Broken\note: 300000\nbase_share: 0.5: 1\n")
    with pytest.raises(InputError) as info:
        load_plan(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: line 3")
    assert "not valid YAML" in msg


def test_validation_error_in_a_file_names_the_file_and_path(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("plan: P\note: 100000\nbase_share: 1.0\nyear_start: 2027-01-01\n"
                    "components:\n  - {name: M, type: mbo, measure: score, weight: 1}\n")
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: base_share: "):
        load_plan(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_plan(tmp_path / "nope.yaml")
