"""Linkages, worked by hand: accelerators unlocked by renewals, a component gated on
another measure, a margin modifier; replay and the Monte Carlo engine agree.

TI 100,000 (OTE 200,000 at 50/50), new_arr quota 1,000,000: the base rate is 10 % of credit,
twice that above quota. Plans here judge on the annual quota (`basis: annual`) unless a
test says otherwise, so each figure is one multiplication; links follow the plan's basis.
"""

from __future__ import annotations

import numpy as np
import pytest

from spmsim.engines.montecarlo import simulate
from spmsim.errors import InputError
from spmsim.history.statement import statement
from spmsim.model.scenario import scenario_from_tree

from crediting_helpers import plan as any_plan
from crediting_helpers import replay_csv


def plan(name: str, components: list[dict], **extra):
    return any_plan(name, components, **{"basis": "annual", **extra})

ACCEL = [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]
DEALS = "deal_id,rep_id,date,measure,amount"
ROSTER = ("rep_id,plan", ["A,ae"])
QUOTAS = ["A,new_arr,1000000", "A,renewals,1000000"]


def linked_plan(**link) -> dict:
    return {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 1.0,
            "tiers": ACCEL, **link}


UNLOCK_ACCEL = {"unlock": {"measure": "renewals", "at": 0.9, "applies_to": "accelerators"}}


def paid(result) -> np.ndarray:
    return result.by_period["paid"].to_numpy()


def test_accelerators_unlock_when_renewals_reach_90_percent(tmp_path):
    # Feb: 1,200,000 new ARR, renewals 0 %: locked, all credit at the base rate -> 120,000.
    # Mar: renewals 400,000 (40 %), still locked. Jun: +500,000 -> 90 %, unlocked: 100,000 +
    # 200,000 x 20 % = 140,000 to date, so June pays the 20,000 held back.
    result = replay_csv(tmp_path, {"ae": plan("AE", [linked_plan(**UNLOCK_ACCEL)])},
                        (DEALS, ["D1,A,2027-02-10,new_arr,1200000",
                                 "R1,A,2027-03-10,renewals,400000",
                                 "R2,A,2027-06-10,renewals,500000"]), QUOTAS, ROSTER)
    assert paid(result)[[1, 2, 5]] == pytest.approx([120_000, 0, 20_000])
    assert paid(result).sum() == pytest.approx(140_000)


def test_accelerators_stay_locked_just_below_the_level(tmp_path):
    # renewals 899,000 = 89.9 %: the 20,000 of accelerator is never paid
    result = replay_csv(tmp_path, {"ae": plan("AE", [linked_plan(**UNLOCK_ACCEL)])},
                        (DEALS, ["D1,A,2027-02-10,new_arr,1200000",
                                 "R1,A,2027-03-10,renewals,899000"]), QUOTAS, ROSTER)
    assert paid(result).sum() == pytest.approx(120_000)


def test_a_component_gated_on_another_measure_pays_nothing_until_it_opens(tmp_path):
    # expansion bonus at 10 % of credit, unlocked at 50 % of new ARR quota: 100,000 of
    # expansion in Jan earns 10,000 but is held; new ARR reaches 500,000 in Apr -> April
    # pays 10,000
    comp = {"name": "Expansion", "type": "commission", "measure": "expansion",
            "rates": "percent", "tier_basis": "amount", "tiers": [{"rate": 0.1}],
            "unlock": {"measure": "new_arr", "at": 0.5}}
    result = replay_csv(tmp_path, {"ae": plan("AE", [comp])},
                        (DEALS, ["X1,A,2027-01-10,expansion,100000",
                                 "D1,A,2027-04-10,new_arr,500000"]),
                        ["A,new_arr,1000000"], ROSTER)
    assert paid(result)[:4] == pytest.approx([0, 0, 0, 10_000])


def test_a_margin_modifier_scales_earnings_by_its_curve(tmp_path):
    # new ARR 500,000 -> 50,000; margin dollars 330,000 against a margin target of 300,000 =
    # 110 %, on the curve 80 % -> 0.8, 100 % -> 1.0, 120 % -> 1.2: x1.1 -> 55,000
    comp = linked_plan(modifier={"measure": "margin",
                                 "curve": [[0.8, 0.8], [1.0, 1.0], [1.2, 1.2]]})
    result = replay_csv(tmp_path, {"ae": plan("AE", [comp])},
                        (DEALS, ["D1,A,2027-03-10,new_arr,500000",
                                 "M1,A,2027-03-10,margin,330000"]),
                        ["A,new_arr,1000000", "A,margin,300000"], ROSTER)
    assert paid(result).sum() == pytest.approx(55_000)


def test_a_linked_measure_needs_its_quota_row(tmp_path):
    with pytest.raises(InputError, match="pays on 'renewals': add a row `A,renewals"):
        replay_csv(tmp_path, {"ae": plan("AE", [linked_plan(**UNLOCK_ACCEL)])},
                   (DEALS, ["D1,A,2027-02-10,new_arr,1200000"]), ["A,new_arr,1000000"],
                   ROSTER)


@pytest.mark.parametrize("link, message", [
    ({"unlock": {"measure": "new_arr", "at": 0.9}}, "links to another measure"),
    ({"modifier": {"measure": "margin", "curve": [[1.0, 1.0], [0.5, 2.0]]}},
     "attainment must rise"),
])
def test_bad_links_are_refused(link, message):
    with pytest.raises(InputError, match=message):
        plan("AE", [linked_plan(**link)])


def test_accelerators_unlock_needs_a_commission_on_attainment():
    bonus = {"name": "Bonus", "type": "bonus", "measure": "new_arr", "weight": 1.0,
             "curve": [[0, 0], [1, 1]], **UNLOCK_ACCEL}
    with pytest.raises(InputError, match="accelerators are the bands above quota"):
        plan("AE", [bonus])


@pytest.mark.parametrize("renewals, expected", [(0.8, 120_000), (0.95, 140_000)])
def test_the_monte_carlo_engine_pays_the_linkage_as_replay_does(renewals, expected):
    # every rep attains exactly 120 % of new ARR and `renewals` of the renewal quota: as in
    # the replay test above, 120,000 while the accelerators are locked, 140,000 once open
    the_plan = plan("AE", [linked_plan(**UNLOCK_ACCEL)]).model_dump(mode="json")
    s = scenario_from_tree({
        "scenario": "link", "seed": 1, "trials": 3,
        "org": {"roles": {"ae": {"headcount": 2, "plan": the_plan,
                                 "quota": {"new_arr": 1_000_000, "renewals": 1_000_000}}}},
        "market": {"ae": {"model": "attainment", "measures": {
            "new_arr": {"type": "normal", "mean": 1.2, "sd": 0.0},
            "renewals": {"type": "normal", "mean": renewals, "sd": 0.0}}}}})
    reps = simulate(s, trials=3, seed=1, progress=False, workers=1).reps_frame()
    assert reps["variable_pay"].to_numpy() == pytest.approx(expected, rel=1e-9)


def test_on_the_prorated_basis_a_link_reads_attainment_against_the_quota_to_date(tmp_path):
    # quotas 1,200,000 due 1/12 a month. January: new ARR 200,000 against 100,000 due is
    # 200 %: x1 to 100 %, x2 above -> 3 x the base rate on the month's target: TI 100,000 /
    # 12 = 8,333.33 x 3 = 25,000 when unlocked, 8,333.33 x 2 = 16,666.67 when locked.
    # Renewals of 90,000 in January are 90 % of the 100,000 due: unlocked (7.5 % of the
    # annual quota would have kept it locked); 80,000 is 80 %: locked.
    weights = [1 / 12] * 12
    for renewals, expected in ((90_000, 25_000), (80_000, 100_000 / 12 * 2)):
        prorated = any_plan("AE", [linked_plan(**UNLOCK_ACCEL)], quota_weights=weights)
        result = replay_csv(tmp_path, {"ae": prorated},
                            (DEALS, ["D1,A,2027-01-10,new_arr,200000",
                                     f"R1,A,2027-01-12,renewals,{renewals}"]),
                            ["A,new_arr,1200000", "A,renewals,1200000"], ROSTER)
        assert paid(result)[0] == pytest.approx(expected, abs=0.01), renewals
        # the statement reads the link as the engine does: against the quota to date
        state = "unlocked" if renewals == 90_000 else "locked"
        assert (f"renewals at {renewals / 1000:.1f}% of quota to date, needs 90.0%: {state}"
                in statement(result, "A").split("(period 2)")[0])
