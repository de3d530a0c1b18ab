"""Crediting rules in replay, every figure worked by hand: overlay credit, windfall,
rates by deal attribute, credit memos, and their edges.

Plans here pay 10 % of credit (`rates: percent`, `tier_basis: amount`) unless stated, so
each figure is one multiplication; the year is FY2027, paid monthly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spmsim.errors import InputError
from spmsim.history.replay import plan_summary

from crediting_helpers import plan, replay_csv

DEALS = "deal_id,rep_id,date,measure,amount,split,cancel_date,credit_role"
ROSTER = "rep_id,plan,team,start_date,end_date"
CENT = 0.005


def percent_plan(name: str, rate: float = 0.10, **extra):
    return plan(name, [{"name": "Bookings", "type": "commission", "measure": "new_arr",
                        "rates": "percent", "tier_basis": "amount", "tiers": [{"rate": rate}]}],
                **extra)


AE = percent_plan("AE")
OVERLAY = percent_plan("Overlay specialist", rate=0.05)


def paid(result, rep: str) -> np.ndarray:
    df = result.by_period
    return df.loc[df["rep_id"] == rep, "paid"].to_numpy()


def earned(result, rep: str) -> float:
    return float(result.by_rep.set_index("rep_id").loc[rep, "earned"])


# --------------------------------------------------------------------------- overlay

def test_overlay_and_split_on_one_deal(tmp_path):
    # D1 200,000: A 60 % and B 40 % (primary split, adds to 1), O overlay on the whole deal.
    # A 120,000 x 10 % = 12,000; B 80,000 x 10 % = 8,000; O 200,000 x 5 % = 10,000.
    result = replay_csv(tmp_path, {"ae": AE, "overlay": OVERLAY},
                        (DEALS, ["D1,A,2027-03-10,new_arr,200000,0.6,,",
                                 "D1,B,2027-03-10,new_arr,200000,0.4,,",
                                 "D1,O,2027-03-10,new_arr,200000,,,overlay"]),
                        [], (ROSTER, ["A,ae,,,", "B,ae,,,", "O,overlay,,,"]))
    assert earned(result, "A") == pytest.approx(12_000)
    assert earned(result, "B") == pytest.approx(8_000)
    assert earned(result, "O") == pytest.approx(10_000)
    # revenue counted once: 200,000 behind the AE plan, none behind the overlay plan
    summary = plan_summary(result, ["new_arr"]).set_index("plan")
    assert summary.loc["ae", "revenue"] == pytest.approx(200_000)
    assert summary.loc["overlay", "revenue"] == 0.0
    assert summary["revenue"].sum() == pytest.approx(200_000)


def test_overlay_credit_never_joins_a_team_total(tmp_path):
    # manager M is paid 1 % on team t1's credit; A books 100,000, O (in t1) overlays it:
    # the team total stays 100,000 -> 1,000 (not 2,000)
    manager = plan("Manager", [{"name": "Team", "type": "commission", "measure": "new_arr",
                                "credit": "team", "rates": "percent", "tier_basis": "amount",
                                "tiers": [{"rate": 0.01}]}])
    result = replay_csv(tmp_path, {"ae": AE, "overlay": OVERLAY, "manager": manager},
                        (DEALS, ["D1,A,2027-03-10,new_arr,100000,,,",
                                 "D1,O,2027-03-10,new_arr,100000,,,overlay"]),
                        [], (ROSTER, ["A,ae,t1,,", "O,overlay,t1,,", "M,manager,t1,,"]))
    assert earned(result, "M") == pytest.approx(1_000)


def test_a_split_that_misses_one_names_the_overlay_fix(tmp_path):
    with pytest.raises(InputError, match="add up to 1.6, not 1 .*credit_role"):
        replay_csv(tmp_path, {"ae": AE},
                   (DEALS, ["D1,A,2027-03-10,new_arr,200000,0.6,,",
                            "D1,B,2027-03-10,new_arr,200000,1.0,,"]),
                   [], (ROSTER, ["A,ae,,,", "B,ae,,,"]))


def test_an_unknown_credit_role_is_refused(tmp_path):
    with pytest.raises(InputError, match="credit_role='overlap'.*one of primary, overlay"):
        replay_csv(tmp_path, {"ae": AE}, (DEALS, ["D1,A,2027-03-10,new_arr,1,,,overlap"]),
                   [], (ROSTER, ["A,ae,,,"]))


_deal_sizes = st.lists(st.integers(1, 500) .map(lambda k: k * 1000.0), min_size=1, max_size=6)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=_deal_sizes, shares=st.lists(st.integers(1, 9), min_size=6, max_size=6),
       overlay=st.lists(st.booleans(), min_size=6, max_size=6))
def test_split_credit_adds_up_and_overlay_never_changes_other_pay(tmp_path, sizes, shares,
                                                                  overlay):
    # deal i is split A:B as shares[i]:(10 - shares[i]) tenths; the overlay rep O is credited
    # on some deals. The reps' credit adds up to the deals, and A's and B's pay is the same
    # with or without O's rows.
    plain, with_overlay = [], []
    for i, size in enumerate(sizes):
        a = shares[i] / 10
        rows = [f"D{i},A,2027-0{1 + i}-05,new_arr,{size},{a},,",
                f"D{i},B,2027-0{1 + i}-05,new_arr,{size},{1 - a:.1f},,"]
        plain += rows
        with_overlay += rows + ([f"D{i},O,2027-0{1 + i}-05,new_arr,{size},,,overlay"]
                                if overlay[i] else [])
    roster = (ROSTER, ["A,ae,t,,", "B,ae,t,,", "O,overlay,t,,"])
    one = replay_csv(tmp_path, {"ae": AE, "overlay": OVERLAY}, (DEALS, plain), [], roster)
    two = replay_csv(tmp_path, {"ae": AE, "overlay": OVERLAY}, (DEALS, with_overlay), [],
                     roster)
    reps = one.by_rep.set_index("rep_id")
    assert reps.loc[["A", "B"], "credit_new_arr"].sum() == pytest.approx(sum(sizes), abs=0.02)
    pd.testing.assert_frame_equal(one.by_period[one.by_period["rep_id"] != "O"],
                                  two.by_period[two.by_period["rep_id"] != "O"])
    assert earned(two, "O") == pytest.approx(
        0.05 * sum(s for s, o in zip(sizes, overlay, strict=False) if o), abs=0.01)


# --------------------------------------------------------------------------- windfall

WINDFALL = percent_plan("AE windfall", crediting={"new_arr": {
    "windfall": {"above": 500_000, "rate": 0.5}}}, clawback={"within_days": 90})


def test_windfall_credits_half_of_a_deal_above_500k(tmp_path):
    # 800,000: 500,000 + 0.5 x 300,000 = 650,000 credited -> 65,000 (Feb);
    # 300,000 is below the line -> 30,000 (May)
    result = replay_csv(tmp_path, {"ae": WINDFALL},
                        (DEALS, ["D1,A,2027-02-10,new_arr,800000,,,",
                                 "D2,A,2027-05-10,new_arr,300000,,,"]),
                        [], (ROSTER, ["A,ae,,,"]))
    assert paid(result, "A")[[1, 4]] == pytest.approx([65_000, 30_000])
    row = result.by_rep.set_index("rep_id").loc["A"]
    assert row["credit_new_arr"] == pytest.approx(950_000)
    # revenue is the deals as booked: 1,100,000
    assert plan_summary(result, ["new_arr"]).iloc[0]["revenue"] == pytest.approx(1_100_000)


def test_windfall_applies_to_the_whole_deal_before_the_split(tmp_path):
    # 1,000,000 split 50/50: the deal credits 500,000 + 0.5 x 500,000 = 750,000, each rep
    # half of it, 375,000 -> 37,500 (not 50,000 each, which a per-rep line would give)
    result = replay_csv(tmp_path, {"ae": WINDFALL},
                        (DEALS, ["D1,A,2027-02-10,new_arr,1000000,0.5,,",
                                 "D1,B,2027-02-10,new_arr,1000000,0.5,,"]),
                        [], (ROSTER, ["A,ae,,,", "B,ae,,,"]))
    assert earned(result, "A") == pytest.approx(37_500)
    assert earned(result, "B") == pytest.approx(37_500)


def test_a_windfall_deal_that_is_clawed_back_returns_what_it_earned(tmp_path):
    # 800,000 booked 10 Feb earns 65,000; cancelled 1 Apr (50 days, inside 90): April pays
    # -65,000, what the deal earned under the windfall clause, not -80,000
    result = replay_csv(tmp_path, {"ae": WINDFALL},
                        (DEALS, ["D1,A,2027-02-10,new_arr,800000,,2027-04-01,"]),
                        [], (ROSTER, ["A,ae,,,"]))
    assert paid(result, "A")[[1, 3]] == pytest.approx([65_000, -65_000])
    assert earned(result, "A") == pytest.approx(0.0, abs=CENT)


def test_windfall_rate_zero_caps_each_deal(tmp_path):
    capped = percent_plan("AE", crediting={"new_arr": {"windfall": {"above": 250_000,
                                                                    "rate": 0}}})
    # 400,000 -> 250,000 -> 25,000; 100,000 -> 10,000
    result = replay_csv(tmp_path, {"ae": capped},
                        (DEALS, ["D1,A,2027-02-10,new_arr,400000,,,",
                                 "D2,A,2027-02-11,new_arr,100000,,,"]),
                        [], (ROSTER, ["A,ae,,,"]))
    assert earned(result, "A") == pytest.approx(35_000)


def test_windfall_with_an_accelerator_keeps_the_deal_out_of_the_accelerator(tmp_path):
    # TI 100,000, quota 1,000,000; x1 to quota, x2 above (base rate 10 %). A 1,400,000 deal
    # with windfall above 1,000,000 at 25 %: 1,000,000 + 100,000 = 1,100,000 credited ->
    # 100,000 + 100,000 x 20 % = 120,000 (without the clause: 100,000 + 400,000 x 20 %
    # = 180,000)
    accel = plan("AE", [{"name": "Bookings", "type": "commission", "measure": "new_arr",
                         "weight": 1.0, "tiers": [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]}],
                 crediting={"new_arr": {"windfall": {"above": 1_000_000, "rate": 0.25}}})
    result = replay_csv(tmp_path, {"ae": accel},
                        (DEALS, ["D1,A,2027-06-10,new_arr,1400000,,,"]),
                        ["A,new_arr,1000000"], (ROSTER, ["A,ae,,,"]))
    assert earned(result, "A") == pytest.approx(120_000)


# --------------------------------------------------------------------------- attributes

def test_rates_by_product_table(tmp_path):
    by_product = percent_plan("AE", crediting={"new_arr": {"by": {
        "column": "product", "rates": {"software": 1.0, "services": 0.5}}}})
    # software 100,000 x 1.0 + services 100,000 x 0.5 = 150,000 credited -> 15,000
    result = replay_csv(tmp_path, {"ae": by_product},
                        ("deal_id,rep_id,date,measure,amount,product",
                         ["D1,A,2027-02-10,new_arr,100000,software",
                          "D2,A,2027-02-11,new_arr,100000,services"]),
                        [], (ROSTER, ["A,ae,,,"]))
    assert earned(result, "A") == pytest.approx(15_000)


def test_an_unlisted_product_is_an_error_naming_the_labels_or_takes_the_default(tmp_path):
    table = {"column": "product", "rates": {"software": 1.0, "services": 0.5}}
    deals = ("deal_id,rep_id,date,measure,amount,product",
             ["D1,A,2027-02-10,new_arr,100000,hardware"])
    with pytest.raises(InputError, match="product='hardware'.*one of software, services"):
        replay_csv(tmp_path, {"ae": percent_plan("AE", crediting={"new_arr": {"by": table}})},
                   deals, [], (ROSTER, ["A,ae,,,"]))
    with_default = percent_plan("AE", crediting={"new_arr": {"by": {**table, "default": 0.2}}})
    result = replay_csv(tmp_path, {"ae": with_default}, deals, [], (ROSTER, ["A,ae,,,"]))
    assert earned(result, "A") == pytest.approx(2_000)  # 100,000 x 0.2 x 10 %


def test_rate_on_a_gross_margin_column(tmp_path):
    on_margin = percent_plan("AE", crediting={"new_arr": {"by": {"column": "gross_margin"}}})
    # 100,000 at 40 % margin + 50,000 at 20 % = 40,000 + 10,000 = 50,000 credited -> 5,000
    result = replay_csv(tmp_path, {"ae": on_margin},
                        ("deal_id,rep_id,date,measure,amount,gross_margin",
                         ["D1,A,2027-02-10,new_arr,100000,0.4",
                          "D2,A,2027-03-10,new_arr,50000,0.2"]),
                        [], (ROSTER, ["A,ae,,,"]))
    assert earned(result, "A") == pytest.approx(5_000)
    with pytest.raises(InputError, match="gross_margin='forty'.*a number >= 0"):
        replay_csv(tmp_path, {"ae": on_margin},
                   ("deal_id,rep_id,date,measure,amount,gross_margin",
                    ["D1,A,2027-02-10,new_arr,100000,forty"]), [], (ROSTER, ["A,ae,,,"]))


def test_a_misspelt_attribute_column_is_refused_with_the_right_name(tmp_path):
    on_margin = percent_plan("AE", crediting={"new_arr": {"by": {"column": "gross_margin"}}})
    with pytest.raises(InputError, match="unknown column 'gross_margn' .*'gross_margin'"):
        replay_csv(tmp_path, {"ae": on_margin},
                   ("deal_id,rep_id,date,measure,amount,gross_margn",
                    ["D1,A,2027-02-10,new_arr,100000,0.4"]), [], (ROSTER, ["A,ae,,,"]))


# --------------------------------------------------------------------------- credit memos

MULTIPLIER = plan("AE", [{"name": "Bookings", "type": "commission", "measure": "new_arr",
                          "weight": 1.0}])  # TI 100,000 on quota 1,000,000: 10 % of credit


def test_a_credit_memo_reduces_credit_in_the_period_booked(tmp_path):
    # Jan 100,000 -> 10,000; Mar memo -30,000 -> YTD 70,000 -> 7,000: March pays -3,000
    result = replay_csv(tmp_path, {"ae": MULTIPLIER},
                        (DEALS, ["D1,A,2027-01-10,new_arr,100000,,,",
                                 "CM1,A,2027-03-10,new_arr,-30000,,,"]),
                        ["A,new_arr,1000000"], (ROSTER, ["A,ae,,,"]))
    assert paid(result, "A")[:4] == pytest.approx([10_000, 0, -3_000, 0])


def test_a_credit_memo_larger_than_the_credit_to_date_carries_forward(tmp_path):
    # Jan 100,000 -> 10,000. Mar memo -150,000: YTD -50,000 earns nothing (never negative
    # earnings), so March gives back all 10,000. Apr 80,000: YTD 30,000 -> 3,000 paid.
    result = replay_csv(tmp_path, {"ae": MULTIPLIER},
                        (DEALS, ["D1,A,2027-01-10,new_arr,100000,,,",
                                 "CM1,A,2027-03-10,new_arr,-150000,,,",
                                 "D2,A,2027-04-10,new_arr,80000,,,"]),
                        ["A,new_arr,1000000"], (ROSTER, ["A,ae,,,"]))
    assert paid(result, "A")[:5] == pytest.approx([10_000, 0, -10_000, 3_000, 0])
    assert earned(result, "A") == pytest.approx(3_000)


def test_a_credit_memo_is_not_a_deal_for_a_per_deal_spiff(tmp_path):
    # 500 per deal: two deals and one memo in February -> 1,000
    spiff = plan("AE", [{"name": "Deal SPIF", "type": "spiff", "measure": "new_arr",
                         "per_deal": 500}])
    result = replay_csv(tmp_path, {"ae": spiff},
                        (DEALS, ["D1,A,2027-02-01,new_arr,1000,,,",
                                 "D2,A,2027-02-02,new_arr,2000,,,",
                                 "CM1,A,2027-02-03,new_arr,-500,,,"]),
                        [], (ROSTER, ["A,ae,,,"]))
    assert earned(result, "A") == pytest.approx(1_000)


def test_a_memo_on_a_windfall_deal_mirrors_the_clause(tmp_path):
    # 800,000 credits 650,000 (65,000); a memo of -800,000 in May reverses 650,000 -> May
    # pays -65,000
    result = replay_csv(tmp_path, {"ae": WINDFALL},
                        (DEALS, ["D1,A,2027-02-10,new_arr,800000,,,",
                                 "CM1,A,2027-05-10,new_arr,-800000,,,"]),
                        [], (ROSTER, ["A,ae,,,"]))
    assert paid(result, "A")[[1, 4]] == pytest.approx([65_000, -65_000])


def test_the_statement_shows_each_rule_step_by_step(tmp_path):
    from spmsim.history.statement import statement

    rules = percent_plan("AE", crediting={"new_arr": {
        "windfall": {"above": 500_000, "rate": 0.5},
        "by": {"column": "product", "rates": {"software": 1.0, "services": 0.5}}}})
    # 800,000 services deal split 50/50: 500,000 + 50 % x 300,000 = 650,000; x 0.5 =
    # 325,000; A's half 162,500 -> 16,250
    result = replay_csv(tmp_path, {"ae": rules},
                        ("deal_id,rep_id,date,measure,amount,split,credit_role,product",
                         ["D1,A,2027-02-10,new_arr,800000,0.5,,services",
                          "D1,B,2027-02-10,new_arr,800000,0.5,,services",
                          "D1,O,2027-02-10,new_arr,800000,,overlay,software",
                          "CM1,A,2027-03-01,new_arr,-1000,,,software"]),
                        [], (ROSTER, ["A,ae,,,", "B,ae,,,", "O,ae,,,"]))
    text = statement(result, "A")
    assert ("deal D1: 800,000.00 -> credited 162,500.00 (windfall: (500,000.00 + 50% x "
            "300,000.00) = 650,000.00, product services: 650,000.00 x 0.5 = 325,000.00, "
            "x share 50%)") in text
    assert "deal CM1: -1,000.00 -> credited -1,000.00 (credit memo)" in text
    assert "overlay credit (not revenue again)" in statement(result, "O")
    assert earned(result, "A") == pytest.approx(16_250 - 100)
