"""Crediting rules in both simulation engines agree with replay: a windfall clause credits
each simulated deal as replay credits a deal from a file; revenue stays as booked."""

from __future__ import annotations

import numpy as np
import pytest

from spmsim.engines.agents import simulate_agents
from spmsim.engines.montecarlo import simulate
from spmsim.model.scenario import scenario_from_tree
from spmsim.plans import plan_from_dict

from crediting_helpers import replay_csv, write_csv

PLAN = {"plan": "AE", "ote": 200_000, "base_share": 0.5, "year_start": "2027-01-01",
        "crediting": {"new_arr": {"windfall": {"above": 500_000, "rate": 0.5}}},
        "components": [{"name": "Bookings", "type": "commission", "measure": "new_arr",
                        "rates": "percent", "tier_basis": "amount", "tiers": [{"rate": 0.1}]}]}


def _scenario(plan: dict) -> dict:
    # every deal is 800,000 (sigma 0): replay credits such a deal 500,000 + 0.5 x 300,000 =
    # 650,000 and pays 65,000 on it (tests/history/test_crediting.py)
    return {"scenario": "windfall", "seed": 3, "trials": 4,
            "org": {"roles": {"ae": {"headcount": 3, "plan": plan,
                                     "quota": {"new_arr": 1_000_000}}}},
            "market": {"ae": {"model": "pipeline", "measures": {"new_arr": {
                "deals_per_month": 1.0, "size": {"median": 800_000, "sigma": 0.0}}}}}}


@pytest.mark.parametrize("engine", [simulate, simulate_agents], ids=["montecarlo", "agents"])
def test_each_simulated_deal_is_credited_as_replay_credits_it(engine):
    reps = engine(scenario_from_tree(_scenario(PLAN)), trials=4, seed=3,
                  progress=False).reps_frame()
    deals = reps["revenue"] / 800_000  # revenue is the deals as booked
    assert deals.sum() > 20
    assert np.allclose(deals, np.round(deals), atol=1e-6)
    assert reps["variable_pay"].to_numpy() == pytest.approx(65_000 * deals.to_numpy(),
                                                            rel=1e-6)
    # attainment is judged on the credited value, as in replay: 650,000 a deal
    assert reps["attainment"].to_numpy() == pytest.approx(0.65 * deals.to_numpy(), rel=1e-6)


def test_a_rate_by_an_attribute_the_deals_lack_says_which_stream_field_to_add():
    # the stream describes no product; tests/engines/test_attribute_crediting.py simulates
    # the rule once it does
    plan = {**PLAN, "crediting": {"new_arr": {"by": {"column": "product",
                                                     "rates": {"software": 1.0}}}}}
    with pytest.raises(Exception, match=r"simulated deals carry no product: add to "
                       r"market\.ae\.measures\.new_arr `attributes: \{product: "):
        scenario_from_tree(_scenario(plan))


@pytest.mark.parametrize("engine", [simulate, simulate_agents], ids=["montecarlo", "agents"])
def test_deals_drawn_in_eur_are_paid_at_the_plan_rate_as_replay_pays_them(engine, tmp_path):
    # EUR 800,000 x 1.10 = 880,000 USD of revenue; windfall: 500,000 + 0.5 x 380,000 =
    # 690,000 credited -> 69,000 a deal, in simulation and in replay alike
    rates = write_csv(tmp_path / "rates.csv", "currency,rate", ["EUR,1.10"])
    plan = {**PLAN, "fx": {"file": str(rates), "policy": "plan_rate"}}
    tree = _scenario(plan)
    tree["market"]["ae"]["measures"]["new_arr"]["currency"] = "EUR"
    reps = engine(scenario_from_tree(tree), trials=4, seed=3, progress=False).reps_frame()
    deals = reps["revenue"] / 880_000
    assert deals.sum() > 20
    assert np.allclose(deals, np.round(deals), atol=1e-6)
    assert reps["variable_pay"].to_numpy() == pytest.approx(69_000 * deals.to_numpy(),
                                                            rel=1e-6)
    replayed = replay_csv(tmp_path, {"ae": plan_from_dict(plan)},
                          ("deal_id,rep_id,date,measure,amount,currency",
                           ["D1,A,2027-02-10,new_arr,800000,EUR"]), [], ("rep_id,plan", ["A,ae"]))
    assert replayed.by_rep["earned"].iloc[0] == pytest.approx(69_000)


def test_a_stream_in_a_currency_the_plan_cannot_convert_is_refused(tmp_path):
    tree = _scenario(PLAN)
    tree["market"]["ae"]["measures"]["new_arr"]["currency"] = "EUR"
    with pytest.raises(Exception, match="currency.*need the plan's `fx:`"):
        scenario_from_tree(tree)


@pytest.mark.parametrize("engine", [simulate, simulate_agents], ids=["montecarlo", "agents"])
def test_an_overlay_role_is_paid_on_its_credit_but_books_no_revenue(engine):
    # the overlay specialists are paid as the AEs are (same plan, same market), but the
    # deals they are credited on are the AEs' deals: total revenue is the AEs' alone
    tree = _scenario(PLAN)
    tree["org"]["roles"]["overlay"] = {**tree["org"]["roles"]["ae"], "overlay": True}
    tree["market"]["overlay"] = tree["market"]["ae"]
    results = engine(scenario_from_tree(tree), trials=4, seed=3, progress=False)
    reps = results.reps_frame()
    overlay = reps[reps["role"] == "overlay"]
    assert (overlay["revenue"] == 0).all()
    assert overlay["variable_pay"].sum() > 0
    summary = results.summary()
    assert summary.loc["revenue (mean)", "all"] == pytest.approx(
        summary.loc["revenue (mean)", "ae"])


@pytest.mark.parametrize("engine", [simulate, simulate_agents], ids=["montecarlo", "agents"])
def test_revenue_stays_as_booked_across_a_plan_change(engine):
    """A windfall plan changed on 1 July for the same plan: each half-year is paid by its
    own plan, and revenue is still the deals as booked (800,000 each), not as credited."""
    tree = _scenario(PLAN)
    tree["org"]["roles"]["ae"]["plan_changes"] = [{"effective_from": "2027-07-01",
                                                    "plan": PLAN}]
    reps = engine(scenario_from_tree(tree), trials=4, seed=3, progress=False).reps_frame()
    deals = reps["revenue"] / 800_000
    assert deals.sum() > 20
    assert np.allclose(deals, np.round(deals), atol=1e-6)
    assert reps["variable_pay"].to_numpy() == pytest.approx(65_000 * deals.to_numpy(),
                                                            rel=1e-6)
