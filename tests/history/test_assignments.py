"""Dated roster rows (promotion, territory change, leave), quota relief and ramp quota in
replay, every number worked by hand.

FY2027 from 2027-01-01 (365 days); quarters of 90, 91, 92 and 92 days; H1 = 181 days,
H2 = 184 days. Plans: `smb` TI 50,000 and `ent` TI 100,000, quarterly, one flat commission
of weight 1.0 on new_arr (earned = credit x TI (prorated) / quota).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spmsim.data.transactions import load_transactions
from spmsim.errors import InputError
from spmsim.history.replay import replay
from spmsim.history.statement import statement
from spmsim.plans import plan_from_dict

CENT = 0.005
ROSTER = "rep_id,plan,team,start_date,end_date,effective_from,effective_to"
QUOTAS = "rep_id,measure,quota,from,reason"
DEALS = "deal_id,rep_id,date,measure,amount"


def plan(name: str, ote: float, period: str = "quarter", **extra):
    return plan_from_dict({"plan": name, "ote": ote, "base_share": 0.5, "payout_period": period,
                           "year_start": "2027-01-01", "components": [
                               {"name": "New ARR", "type": "commission", "measure": "new_arr",
                                "weight": 1.0, **extra.pop("component", {})}], **extra})


PLANS = {"smb": plan("SMB", 100_000), "ent": plan("Enterprise", 200_000)}


def run(tmp_path: Path, roster: list[str], quotas: list[str], deals: list[str], plans=None):
    for name, header, rows in (("roster", ROSTER, roster), ("quotas", QUOTAS, quotas),
                               ("deals", DEALS, deals)):
        (tmp_path / f"{name}.csv").write_text("\n".join([header, *rows]) + "\n")
    tx = load_transactions(plans or PLANS, tmp_path / "deals.csv", tmp_path / "quotas.csv",
                           tmp_path / "roster.csv")
    return replay(tx)


def paid(result, rep: str, plan: str) -> list[float]:
    df = result.by_period
    return df.loc[(df["rep_id"] == rep) & (df["plan"] == plan), "paid"].tolist()


def test_promotion_on_a_period_end_pays_each_segment_on_its_own_plan(tmp_path):
    # P: smb to 2027-06-30 (181 days), ent from 2027-07-01 (184 days).
    # smb: TI 50,000 x 181/365 = 24,794.52 on quota 300,000: rate 0.08264840
    #   Q1 deal 150,000 -> 12,397.26; Q2 deal on 06-30 (the last day) 60,000 -> 4,958.90
    # ent: TI 100,000 x 184/365 = 50,410.96 on quota 600,000: rate 0.08401826
    #   Q3 deal on 07-01 (the first day) 100,000 -> 8,401.83; Q4 200,000 -> 16,803.65
    result = run(tmp_path,
                 ["P,smb,east,,,,2027-06-30", "P,ent,east,,,2027-07-01,"],
                 ["P,new_arr,300000,,", "P,new_arr,600000,2027-07-01,"],
                 ["D1,P,2027-02-10,new_arr,150000", "D2,P,2027-06-30,new_arr,60000",
                  "D3,P,2027-07-01,new_arr,100000", "D4,P,2027-11-10,new_arr,200000"])
    smb_rate = 50_000 * 181 / 365 / 300_000
    ent_rate = 100_000 * 184 / 365 / 600_000
    assert paid(result, "P", "smb") == pytest.approx(
        [150_000 * smb_rate, 60_000 * smb_rate, 0, 0], abs=CENT)
    assert paid(result, "P", "ent") == pytest.approx(
        [0, 0, 100_000 * ent_rate, 200_000 * ent_rate], abs=CENT)
    rows = result.by_rep.set_index("plan")
    assert rows.loc["smb", "ti"] == pytest.approx(24_794.52, abs=CENT)
    assert rows.loc["ent", "ti"] == pytest.approx(50_410.96, abs=CENT)
    text = statement(result, "P")
    assert "Statement for P on SMB" in text and "Statement for P on Enterprise" in text


def test_territory_change_with_quota_relief_meets_the_gate_exactly(tmp_path):
    # T on ent all year, team east then west from 07-01; quota 1,000,000, relief -200,000
    # from 07-01. Even weights: due 250,000, 250,000, then 250,000 - 100,000 = 150,000 twice
    # (the relief spread over the two quarters left): annual 800,000, base rate 0.125.
    # Gate 40 %, credit 80,000 a quarter: 32 %, 32 %, 240/650 = 36.9 % -> nothing;
    # Q4 320,000 / 800,000 = 40 % exactly -> 320,000 x 0.125 = 40,000.
    # Without the relief Q4 is 32 % of 1,000,000: nothing all year.
    gated = {"ent": plan("Enterprise", 200_000, quota_weights=[0.25] * 4,
                         component={"threshold": 0.4})}
    roster = ["T,ent,east,,,,2027-06-30", "T,ent,west,,,2027-07-01,"]
    deals = [f"D{q},T,2027-{m:02d}-10,new_arr,80000" for q, m in enumerate((2, 5, 8, 11))]
    relieved = run(tmp_path, roster, ["T,new_arr,1000000,,",
                                      "T,new_arr,-200000,2027-07-01,territory change"],
                   deals, gated)
    assert paid(relieved, "T", "ent") == pytest.approx([0, 0, 0, 40_000], abs=CENT)
    g = relieved.groups["ent"]
    np.testing.assert_allclose(g.inputs.quota_due["new_arr"][0],
                               [250_000, 250_000, 150_000, 150_000])
    rep = relieved.by_rep.set_index("rep_id").loc["T"]
    assert rep["team"] == "west"
    assert rep["attainment_new_arr"] == pytest.approx(0.4)
    assert "due by period (relief and ramp applied)" in statement(relieved, "T")
    plain = run(tmp_path, roster, ["T,new_arr,1000000,,"], deals, gated)
    assert paid(plain, "T", "ent") == pytest.approx([0, 0, 0, 0], abs=CENT)


def test_a_leave_is_a_gap_that_prorates_ti_and_quota(tmp_path):
    # L on leave in Q2 (91 days): on the plan 365 - 91 = 274 days.
    # TI 100,000 x 274/365 = 75,068.49; quota 1,000,000 x 274/365 = 750,684.93: rate 0.1.
    # 300,000 in Q1 -> 30,000; 200,000 in Q3 -> 20,000.
    result = run(tmp_path, ["L,ent,,,,,2027-03-31", "L,ent,,,,2027-07-01,"],
                 ["L,new_arr,1000000,,"],
                 ["D1,L,2027-02-01,new_arr,300000", "D2,L,2027-08-01,new_arr,200000"])
    g = result.groups["ent"]
    assert g.inputs.quota["new_arr"][0] == pytest.approx(1_000_000 * 274 / 365)
    np.testing.assert_allclose(g.inputs.active[0], [1, 0, 1, 1])
    assert paid(result, "L", "ent") == pytest.approx([30_000, 0, 20_000, 0], abs=CENT)


def test_ramp_quota_lowers_what_a_new_hire_owes_in_their_first_months(tmp_path):
    # monthly plan, ramp [0.25, 0.5, 0.75]; H starts 2027-04-01 (275 days to year end),
    # full quota 900,000 for that time, due by days. Ramp cuts Apr (30 d) by 0.75, May
    # (31 d) by 0.5, Jun (30 d) by 0.25 of their due: 900,000 x (1 - 45.5/275)
    # = 751,090.91. TI 100,000 x 275/365 = 75,342.47; credit equal to the quota earns TI.
    plans = {"ramp": plan("Ramp", 200_000, period="month", ramp_quota=[0.25, 0.5, 0.75])}
    quota = 900_000 * (1 - 45.5 / 275)
    result = run(tmp_path, ["H,ramp,,2027-04-01,,,"], ["H,new_arr,900000,,"],
                 [f"D1,H,2027-09-01,new_arr,{quota:.6f}"], plans)
    g = result.groups["ramp"]
    assert g.inputs.quota["new_arr"][0] == pytest.approx(quota)
    due = g.inputs.quota_due["new_arr"][0]
    assert due[3] == pytest.approx(900_000 * 30 / 275 * 0.25)
    assert due[6] == pytest.approx(900_000 * 31 / 275)
    rep = result.by_rep.set_index("rep_id").loc["H"]
    assert rep["earned"] == pytest.approx(100_000 * 275 / 365, abs=0.01)


@pytest.mark.parametrize(("kind", "rows", "text"), [
    ("roster", ["A,ent,,,,,2027-06-30", "A,smb,,,,2027-06-15,"], "overlaps line 2"),
    ("quotas", ["A,new_arr,1000000,,", "A,new_arr,-5000,,relief"],
     "a relief row needs the date it applies from"),
    ("deals", ["D1,A,2027-07-10,new_arr,100"], "between the rep's roster rows"),
])
def test_bad_dated_rows_name_the_line_and_the_fix(tmp_path, kind, rows, text):
    files = {"roster": ["A,ent,,,,,2027-06-30", "A,ent,,,,2027-08-01,"],
             "quotas": ["A,new_arr,1000000,,"], "deals": ["D1,A,2027-02-10,new_arr,100"]}
    files[kind] = rows
    with pytest.raises(InputError, match=text):
        run(tmp_path, files["roster"], files["quotas"], files["deals"])


def test_a_promoted_rep_without_a_quota_for_the_new_plan_is_told_the_row_to_add(tmp_path):
    with pytest.raises(InputError, match=r"add a row `P,new_arr,<annual quota>,2027-07-01`"):
        run(tmp_path, ["P,smb,,,,,2027-06-30", "P,ent,,,,2027-07-01,"],
            ["P,new_arr,300000,,"], ["D1,P,2027-02-10,new_arr,1"])


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 364), st.floats(1, 500_000)), min_size=1,
                max_size=8), st.floats(0, 0.8))
def test_a_plan_change_on_day_one_equals_the_new_plan_all_year(tmp_path, deals, gate):
    # the old row ends the day before the year: the new plan pays exactly as if it were
    # the rep's only plan, and the old plan pays nothing
    plans = {"smb": plan("SMB", 100_000),
             "ent": plan("Enterprise", 200_000, component={"threshold": gate,
                                                           "tiers": [{"upto": 1.0, "rate": 1.0},
                                                                     {"rate": 2.0}]})}
    day = np.datetime64("2027-01-01")
    rows = [f"D{i},P,{day + d},new_arr,{a!r}" for i, (d, a) in enumerate(deals)]
    (tmp_path / "a").mkdir(exist_ok=True)
    (tmp_path / "b").mkdir(exist_ok=True)
    alone = run(tmp_path / "a", ["P,ent,,,,,"], ["P,new_arr,900000,,"], rows, plans)
    changed = run(tmp_path / "b", ["P,smb,,,,,2026-12-31", "P,ent,,,,2027-01-01,"],
                  ["P,new_arr,300000,,", "P,new_arr,900000,2027-01-01,"], rows, plans)
    np.testing.assert_array_equal(changed.groups["ent"].payout.net_paid,
                                  alone.groups["ent"].payout.net_paid)
    assert not changed.groups["smb"].payout.net_paid.any()
