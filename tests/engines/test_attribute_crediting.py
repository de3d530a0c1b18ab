"""Rates by deal attribute in simulation (issue 15): a pipeline stream describes its deals'
attribute (a mix of labels, or a number), each simulated deal draws it from a stream of its
own, and its credit is size x the plan's rate for it, in both engines, as replay credits a
deal from a file. Revenue stays the deals as booked."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spmsim.calendar import PlanCalendar
from spmsim.engines.agents import simulate_agents
from spmsim.engines.montecarlo import (
    bytes_per_trial,
    deal_rates,
    deal_rule,
    simulate,
    stream_rng,
)
from spmsim.engines.payroll import Draws, role_year
from spmsim.model.market import (
    DealStream,
    MonthTable,
    PipelineMarket,
    deal_draws,
    pipeline_draws,
)
from spmsim.model.org import Role, Staffing
from spmsim.model.scenario import load_scenario, scenario_from_tree
from spmsim.plans import plan_from_dict

from crediting_helpers import replay_csv
from paths import ACME

QUOTA = 2_000_000
MEDIAN, SIGMA = 100_000, 0.5
MIX = {"software": 0.7, "services": 0.2, "training": 0.1}
TABLE = {"column": "product", "rates": {"software": 1.0, "services": 0.5}, "default": 0.25}
# sum_i p_i r_i = 0.7 x 1.0 + 0.2 x 0.5 + 0.1 x 0.25 (training takes the default)
#               = 0.7 + 0.1 + 0.025 = 0.825
MIX_RATE = 0.825


def _plan(by: dict | None) -> dict:
    crediting = {} if by is None else {"new_arr": {"by": by}}
    return {"plan": "AE", "ote": 200_000, "base_share": 0.5, "year_start": "2027-01-01",
            "payout_period": "month", "crediting": crediting,
            "components": [{"name": "Bookings", "type": "commission", "measure": "new_arr",
                            "rates": "percent", "tier_basis": "amount",
                            "tiers": [{"rate": 0.1}]}]}


def _tree(by: dict | None, attributes: dict | None, *, headcount: int = 10,
          deals: float = 2.0) -> dict:
    stream = {"deals_per_month": deals, "size": {"median": MEDIAN, "sigma": SIGMA}}
    if attributes is not None:
        stream["attributes"] = attributes
    return {"scenario": "by product", "seed": 11, "trials": 64,
            "org": {"roles": {"ae": {"headcount": headcount, "plan": _plan(by),
                                     "quota": {"new_arr": QUOTA}}}},
            "market": {"ae": {"model": "pipeline", "measures": {"new_arr": stream}}}}


def _credit(reps) -> np.ndarray:
    """Each rep-year's credit: attainment is the credited value over the quota."""
    return reps["attainment"].to_numpy() * QUOTA


def _within(sample: np.ndarray, expected: float, k: float = 4.0) -> None:
    se = sample.std(ddof=1) / math.sqrt(sample.size)
    assert abs(sample.mean() - expected) < k * se, (sample.mean(), expected, se)


# ---- the scenario says what it needs -------------------------------------------------------

def test_a_rate_by_an_attribute_the_stream_does_not_describe_names_the_field_to_add():
    with pytest.raises(Exception, match=r"market\.ae\.measures\.new_arr.*attributes: "
                       r"\{product: \{software: SHARE, services: SHARE\}\}"):
        scenario_from_tree(_tree(TABLE, None))
    with pytest.raises(Exception, match=r"attributes: \{gross_margin: \{mean: 0.6, sd: 0.1\}\}"):
        scenario_from_tree(_tree({"column": "gross_margin"}, {"product": MIX}))


def test_a_rate_by_attribute_in_an_attainment_market_is_refused_with_advice():
    tree = _tree(TABLE, None)
    tree["market"]["ae"] = {"model": "attainment", "measures": {"new_arr": {
        "type": "normal", "mean": 1.0, "sd": 0.2}}}
    with pytest.raises(Exception, match=r"draws no new_arr deals: give it a pipeline stream"):
        scenario_from_tree(tree)


def test_labels_for_a_numeric_rule_and_numbers_for_a_table_are_refused():
    with pytest.raises(Exception, match=r"attributes\.gross_margin.*a number.*mean"):
        scenario_from_tree(_tree({"column": "gross_margin"}, {"gross_margin": MIX}))
    with pytest.raises(Exception, match=r"attributes\.product.*label"):
        scenario_from_tree(_tree(TABLE, {"product": {"mean": 0.5, "sd": 0.1}}))


def test_a_label_without_a_rate_or_default_is_refused():
    table = {k: v for k, v in TABLE.items() if k != "default"}
    with pytest.raises(Exception, match=r"label 'training' has no rate.*default"):
        scenario_from_tree(_tree(table, {"product": MIX}))


def test_a_mix_of_all_zero_shares_is_refused():
    with pytest.raises(Exception, match="not all zero"):
        scenario_from_tree(_tree(TABLE, {"product": {"software": 0, "services": 0}}))


# ---- closed forms --------------------------------------------------------------------------

@pytest.mark.parametrize(("by", "attributes", "rate"), [
    (TABLE, {"product": MIX}, MIX_RATE),
    # a gross margin of mean 0.6, sd 0.1: clipping at 0 is 6 sd away, so E[rate] = 0.6
    ({"column": "gross_margin"}, {"gross_margin": {"mean": 0.6, "sd": 0.1}}, 0.6),
], ids=["product mix", "gross margin"])
def test_mean_credit_is_deals_x_mean_size_x_mean_rate(by, attributes, rate):
    # a rep-year books 12 x 2 = 24 deals of mean 100,000 x exp(0.5^2 / 2) = 113,314.85:
    # revenue 2,719,556 as booked; credit 2,719,556 x 0.825 = 2,243,634 for the product
    # mix, x 0.6 = 1,631,734 for the margin; pay is 10 % of the credit
    results = simulate(scenario_from_tree(_tree(by, attributes)), trials=640, seed=4,
                       progress=False)
    reps = results.reps_frame()
    mean_size = MEDIAN * math.exp(SIGMA ** 2 / 2)
    _within(reps["revenue"].to_numpy(), 24 * mean_size)
    _within(_credit(reps), 24 * mean_size * rate)
    np.testing.assert_allclose(reps["variable_pay"].to_numpy(), 0.1 * _credit(reps), rtol=1e-9)


def test_both_engines_agree_within_sampling_error():
    scenario = scenario_from_tree(_tree(TABLE, {"product": MIX}))
    mc = _credit(simulate(scenario, trials=640, seed=8, progress=False).reps_frame())
    agents = _credit(simulate_agents(scenario, trials=40, seed=8, progress=False).reps_frame())
    se = math.sqrt(mc.var(ddof=1) / mc.size + agents.var(ddof=1) / agents.size)
    assert abs(mc.mean() - agents.mean()) < 4 * se, (mc.mean(), agents.mean(), se)
    _within(agents, 24 * MEDIAN * math.exp(SIGMA ** 2 / 2) * MIX_RATE)


# ---- existing results do not move ----------------------------------------------------------

def _digest(results) -> str:
    h = hashlib.sha256()
    for part in (results.trial, results.period):
        for k in sorted(part):
            h.update(k.encode())
            h.update(np.ascontiguousarray(part[k]).tobytes())
    h.update(results.reps_frame().to_csv(index=False, float_format="%.17g").encode())
    return h.hexdigest()


def test_results_without_attributes_are_byte_identical_to_before():
    # digests of main at 55c9f24, before deal attributes existed (same numpy, this machine
    # type); a change in any existing stream's draws changes them
    acme = load_scenario(ACME)
    assert _digest(simulate(acme, trials=100, seed=5, progress=False)) == \
        "01c27c66184615e16dee05e78fb32d6c5d2ce60c09f960f1c8018538f488cd25"
    assert _digest(simulate_agents(acme, trials=3, seed=5, progress=False)) == \
        "936bd5a386e910e0298941fee069ad8bfd77d30e4ec28a4064a760230fa6654a"


@pytest.mark.parametrize("engine", [simulate, simulate_agents], ids=["montecarlo", "agents"])
def test_rating_deals_leaves_the_deals_and_revenue_as_they_were(engine):
    # the attribute draws come from a new stream: the same deals arrive, and with every
    # rate 1.0 the pay is the pay without the rule
    trials = 64 if engine is simulate else 4
    plain = engine(scenario_from_tree(_tree(None, None)), trials=trials, seed=2,
                   progress=False).reps_frame()
    described = engine(scenario_from_tree(_tree(None, {"product": MIX})), trials=trials,
                       seed=2, progress=False).reps_frame()
    rated = engine(scenario_from_tree(_tree(TABLE, {"product": MIX})), trials=trials, seed=2,
                   progress=False).reps_frame()
    ones = {**TABLE, "rates": {"software": 1.0, "services": 1.0}, "default": 1.0}
    flat = engine(scenario_from_tree(_tree(ones, {"product": MIX})), trials=trials, seed=2,
                  progress=False).reps_frame()
    for frame in (described, rated, flat):
        np.testing.assert_array_equal(frame["revenue"].to_numpy(), plain["revenue"].to_numpy())
    np.testing.assert_array_equal(described["variable_pay"], plain["variable_pay"])
    np.testing.assert_allclose(flat["variable_pay"], plain["variable_pay"], rtol=1e-12)
    assert (rated["variable_pay"] < plain["variable_pay"]).mean() > 0.9


# ---- draw once, pay both ways --------------------------------------------------------------

def _rngs(seed: int):
    root = np.random.SeedSequence(seed)
    made: dict[str, np.random.Generator] = {}

    def rng(purpose: str) -> np.random.Generator:
        if purpose not in made:
            made[purpose] = stream_rng(root, 0, 0, purpose)
        return made[purpose]
    return rng


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(("by", "attributes"), [
    (TABLE, {"product": MIX}),
    ({"column": "gross_margin"}, {"gross_margin": {"mean": 0.6, "sd": 0.2}}),
], ids=["product", "gross margin"])
def test_simulated_deals_are_paid_as_replay_pays_the_same_deals(tmp_path, seed, by, attributes):
    plan = plan_from_dict({**_plan(by), "crediting": {"new_arr": {
        "by": by, "windfall": {"above": 150_000, "rate": 0.5}}}})
    stream = DealStream.model_validate({"deals_per_month": 3, "attributes": attributes,
                                        "size": {"median": MEDIAN, "sigma": SIGMA}})
    # four reps in seat all year; the last one's deals drawn month by month (as a rep who
    # is not in seat all year), from the other streams
    active = np.ones((1, 4, 12))
    staff = Staffing(start=np.zeros((1, 4)), exit=np.full((1, 4), np.inf),
                     active=active, productivity=active.copy(),
                     new_hire=np.zeros((1, 4), dtype=bool),
                     steady=np.array([[True, True, True, False]]))
    months = PlanCalendar(plan.year_start, "month")
    rates = np.ones(12)
    rated = deal_rates(plan, "new_arr", stream)
    cell, size, value = deal_draws(stream, active, staff.steady, MonthTable(rates),
                                   _rngs(seed), lambda g, n: stream.draw_attribute(
                                       by["column"], g, n))
    counts, credit, booked = pipeline_draws(stream, active, staff.steady, MonthTable(rates),
                                            _rngs(seed), deal_rule(plan, "new_arr"), rated)
    assert counts.sum() == cell.size > 100
    role = Role(headcount=4, plan=plan, quota={"new_arr": QUOTA})
    market = PipelineMarket(measures={"new_arr": stream})
    sim = role_year(role, market, Draws(staff, {"new_arr": credit}, {"new_arr": counts},
                                        {"new_arr": booked}), months)

    column = by["column"]
    label = np.array(stream.labels(column))[value] if by.get("rates") else value
    rep, month = np.divmod(cell, 12)  # one trial: the row is the rep
    rows = [f"D{i},R{rep[i]},2027-{month[i] + 1:02d}-15,new_arr,{float(size[i])!r},"
            f"{label[i] if by.get('rates') else repr(float(label[i]))}"
            for i in range(cell.size)]
    replayed = replay_csv(
        tmp_path, {"ae": plan}, (f"deal_id,rep_id,date,measure,amount,{column}", rows),
        [f"R{r},new_arr,{QUOTA}" for r in range(4)],
        ("rep_id,plan", [f"R{r},ae" for r in range(4)]))
    paid = replayed.groups["ae"].payout
    np.testing.assert_allclose(sim.monthly_pay[0], paid.net_paid, rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(sim.revenue[0], np.bincount(rep, size, 4), rtol=1e-12)


# ---- invariants ------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(shares=st.lists(st.floats(0.01, 1.0), min_size=1, max_size=4),
       rates=st.lists(st.floats(0.0, 3.0), min_size=4, max_size=4),
       seed=st.integers(0, 2 ** 32 - 1))
def test_rated_credit_lies_between_the_lowest_and_highest_rate_x_the_deals(shares, rates, seed):
    labels = [f"p{i}" for i in range(len(shares))]
    stream = DealStream.model_validate({
        "deals_per_month": 2, "size": {"median": MEDIAN, "sigma": SIGMA},
        "attributes": {"product": dict(zip(labels, shares, strict=True))}})
    plan = plan_from_dict({**_plan(None), "crediting": {"new_arr": {"by": {
        "column": "product", "rates": dict(zip(labels, rates, strict=False))}}}})
    weight = np.ones((2, 3, 12))
    steady = np.array([[True, False, True], [False, True, True]])
    table = MonthTable(np.ones(12))
    counts, booked, _ = pipeline_draws(stream, weight, steady, table, _rngs(seed))
    n, credit, as_booked = pipeline_draws(stream, weight, steady, table, _rngs(seed),
                                          None, deal_rates(plan, "new_arr", stream))
    np.testing.assert_array_equal(n, counts)
    np.testing.assert_array_equal(as_booked, booked)
    used = rates[:len(labels)]
    assert np.all(credit <= max(used) * booked * (1 + 1e-12) + 1e-9)
    assert np.all(credit >= min(used) * booked * (1 - 1e-12) - 1e-9)


def test_the_memory_model_counts_the_rated_deals():
    plain = bytes_per_trial(scenario_from_tree(_tree(None, {"product": MIX})))
    rated = bytes_per_trial(scenario_from_tree(_tree(TABLE, {"product": MIX})))
    # 10 reps x 12 months x 8 bytes x 2 arrays x 2 deals a month more
    assert rated - plain == 10 * 12 * 8 * 2 * 2
