"""Plans in plain words: each sentence checked by hand against the plan file it describes."""

from __future__ import annotations

import pytest

from spmsim.plans import load_plan, plan_from_dict
from spmsim.plans.components import REGISTRY
from spmsim.plans.describe import (
    DESCRIBERS,
    describe_component,
    describe_plan,
    measure_words,
    share,
    times,
)

from paths import PLANS

BASE = {"plan": "P", "currency": "USD", "ote": 200000, "base_share": 0.5,
        "payout_period": "month", "year_start": "2027-01-01"}


def _plan(*components, **extra):
    return plan_from_dict({**BASE, "components": list(components), **extra})


def test_the_enterprise_plan_in_words():
    """TI = 300,000 x (1 - 0.5) = 150,000; New ARR's target 0.9 x 150,000 = 135,000, so
    its cap of 3x target is 405,000."""
    assert describe_plan(load_plan(PLANS / "enterprise_ae.yaml")) == (
        "Enterprise AE FY27: OTE $300,000, 50% base (TI $150,000), paid each month; "
        "New ARR (90% of TI) pays 1x to 100% of quota, 2x above quota up to 150%, "
        "1.5x above 150%, nothing below 40% of quota, capped at 3x its target ($405,000); "
        "MBO (10% of TI) on MBO score pays its target in proportion to the scores assessed "
        "each quarter; Q1 new-logo SPIF on new logos pays $2,000 per new logo in months 1-3; "
        "100% of a deal's pay is clawed back if it is cancelled within 90 days.")


def test_the_account_manager_plan_in_words():
    """TI = 160,000 x 0.35 = 56,000; a quarterly draw of 9,000 for two quarters."""
    assert describe_plan(load_plan(PLANS / "account_manager.yaml")) == (
        "Account Manager FY27: OTE $160,000, 65% base (TI $56,000), paid each quarter; "
        "Expansion (60% of TI) pays 1x to 100% of quota, 1.5x above quota; Renewal bonus "
        "(40% of TI) on renewals pays 0% of target at 85%, 50% of target at 95%, "
        "100% of target at 100%, 125% of target at 110% of quota (straight lines "
        "between), nothing below 85%; new hires get a recoverable draw of $9,000 a quarter "
        "for 2 quarters.")


def test_a_plan_cap_retroactive_tiers_and_a_spif_per_deal():
    """TI = 100,000; the plan cap 2.5x TI = 250,000."""
    plan = _plan({"name": "Bookings", "type": "commission", "measure": "new_arr",
                  "weight": 1.0, "mode": "retroactive",
                  "tiers": [{"upto": 0.8, "rate": 0.5}, {"rate": 1.2}]},
                 {"name": "Deal SPIF", "type": "spiff", "measure": "new_arr",
                  "per_deal": 750, "periods": [4, 9]},
                 cap={"of_target": 2.5})
    assert describe_plan(plan) == (
        "P: OTE $200,000, 50% base (TI $100,000), paid each month; Bookings (100% of TI) "
        "on new ARR pays all credit at the rate of the tier reached: 0.5x to 80% of quota, "
        "1.2x above 80%; Deal SPIF on new ARR pays $750 per deal in months 4, 9; "
        "total variable pay capped at 2.5x TI ($250,000).")


def test_amount_tiers_percent_rates_and_an_amount_cap():
    plan = _plan({"name": "Margin", "type": "commission", "measure": "margin",
                  "rates": "percent", "tier_basis": "amount",
                  "tiers": [{"upto": 500000, "rate": 0.05}, {"rate": 0.08}],
                  "threshold": 100000, "cap": {"amount": 20000, "per": "period"}})
    assert describe_component(plan.components[0], plan) == (
        "Margin pays 5% of credit to $500,000, 8% of credit above $500,000, nothing below "
        "$100,000, capped at $20,000 a month")


def test_a_single_rate_and_a_stepped_bonus():
    plan = _plan({"name": "New ARR", "type": "commission", "measure": "new_arr",
                  "weight": 0.7, "tiers": [{"rate": 1.0}]},
                 {"name": "Gate", "type": "bonus", "measure": "new_arr", "weight": 0.3,
                  "steps": True, "curve": [[1.0, 1.0], [1.2, 1.5]]})
    assert describe_component(plan.components[0], plan) == (
        "New ARR (70% of TI) pays 1x the base rate (target / quota)")
    assert describe_component(plan.components[1], plan) == (
        "Gate (30% of TI) on new ARR pays 100% of target at 100%, 150% of target at "
        "120% of quota (in steps), nothing below 100%")


@pytest.mark.parametrize(("x", "text"), [(2.0, "2x"), (1.25, "1.25x"), (0.5, "0.5x")])
def test_times(x, text):
    assert times(x) == text


@pytest.mark.parametrize(("x", "text"), [(0.9, "90%"), (0.125, "12.5%"), (1.0, "100%"),
                                         (0.0, "0%")])
def test_share(x, text):
    assert share(x) == text


def test_measure_words():
    assert measure_words("new_arr") == "new ARR"
    assert measure_words("mbo_score") == "MBO score"


def test_every_registered_type_has_a_describer():
    assert set(REGISTRY) <= set(DESCRIBERS)


def test_a_type_without_a_describer_is_still_named(monkeypatch):
    """A component type added to the registry before it has a describer reads as its name,
    weight, measure and type."""
    plan = load_plan(PLANS / "enterprise_ae.yaml")
    monkeypatch.delitem(DESCRIBERS, "mbo")
    assert describe_component(plan.components[1], plan) == (
        "MBO (10% of TI) on MBO score a mbo component")


def test_the_rules_of_plans_as_companies_write_them_are_in_the_sentence():
    # the shipped strategic AE plan: a linkage, a quarterly bonus, a windfall clause
    text = describe_plan(load_plan(PLANS / "strategic_ae.yaml"))
    assert "its accelerators pay only once renewals attainment reaches 90%" in text
    assert "Renewals (20% of TI) pays" in text and "nothing below 85%, paid each quarter" in text
    assert text.endswith("of a new ARR deal above $1,000,000, 25% of the part above counts.")
    plan = plan_from_dict({
        "plan": "P", "ote": 100_000, "base_share": 0.5, "year_start": "2027-01-01",
        "basis": "annual", "holdback": {"share": 0.1, "on_leaving": "forfeit"},
        "crediting": {"new_arr": {"by": {"column": "product",
                                         "rates": {"software": 1.0, "services": 0.5}}}},
        "components": [{"name": "New ARR", "type": "commission", "measure": "new_arr",
                        "weight": 1.0, "tiers": [{"rate": 1.0}],
                        "modifier": {"measure": "margin", "curve": [[0.5, 0.8], [1.0, 1.0]]}}]})
    text = describe_plan(plan)
    assert "multiplied by 0.8x at 50%, 1x at 100% margin attainment" in text
    assert "10% of earnings is held back until the year end (forfeited on leaving)" in text
    assert "gates and tiers read attainment against the annual quota" in text
    assert "new ARR is credited by product: 100% for software, 50% for services" in text


def test_a_contest_on_growth_in_words():
    plan = _plan({"name": "Q4 growth", "type": "contest", "measure": "new_arr",
                  "rank_by": "growth", "periods": [10, 11, 12], "prizes": [10000, 5000],
                  "qualify": 0.1})
    assert "pays prizes of $10,000, $5,000 to the top 2 by growth over the same months " \
        "last year in months 10-12, at least 10% to qualify" in describe_plan(plan)


def test_a_contest_by_dates_in_words():
    plan = _plan({"name": "Autumn push", "type": "contest", "measure": "new_arr",
                  "dates": {"start": "2027-10-15", "end": "2027-11-30"}, "prizes": [1000]})
    assert "pays prizes of $1,000 to the top 1 by credit from 15 Oct 2027 to 30 Nov 2027" \
        in describe_plan(plan)
