"""Historical replay on small hand-made CSVs, every expected number worked out by hand.

Calendar facts used throughout (FY2027 starts 2027-01-01, 365 days):
  months: Jan 31, Feb 28, Mar 31, Apr 30, May 31, Jun 30, Jul 31, Aug 31, Sep 30, Oct 31,
          Nov 30, Dec 31
  quarters: Q1 = 31 + 28 + 31 = 90, Q2 = 30 + 31 + 30 = 91, Q3 = 31 + 31 + 30 = 92,
            Q4 = 31 + 30 + 31 = 92 days.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spmsim.data.transactions import load_transactions
from spmsim.history.replay import ReplayResult, replay
from spmsim.plans import load_plan, plan_from_dict

from paths import FY27, PLANS

DEALS_HEADER = "deal_id,rep_id,date,measure,amount,split,cancel_date"
QUOTAS_HEADER = "rep_id,measure,quota"
ROSTER_HEADER = "rep_id,plan,team,start_date,end_date"
CENT = 0.005  # outputs are rounded to cents


def make_plan(name: str, *, period: str = "month", ote: float = 200_000, base_share: float = 0.5,
              tiers: list[dict] | None = None, credit: str = "rep", **extra):
    """One commission on new_arr, weight 1.0 (target = TI), multiplier rates."""
    comp = {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 1.0,
            "credit": credit}
    if tiers is not None:
        comp["tiers"] = tiers
    return plan_from_dict({"plan": name, "ote": ote, "base_share": base_share,
                           "payout_period": period, "year_start": "2027-01-01",
                           "components": [comp], **extra})


# base rate to quota, twice the base rate above quota
ACCELERATOR = [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows))
    return path


def run(tmp_path: Path, plans: dict, deals: list[str], quotas: list[str],
        roster: list[str]) -> ReplayResult:
    tx = load_transactions(plans, _write(tmp_path / "deals.csv", DEALS_HEADER, deals),
                           _write(tmp_path / "quotas.csv", QUOTAS_HEADER, quotas),
                           _write(tmp_path / "roster.csv", ROSTER_HEADER, roster))
    return replay(tx)


def per_period(result: ReplayResult, rep: str, column: str) -> np.ndarray:
    df = result.by_period
    return df.loc[df["rep_id"] == rep, column].to_numpy()


def per_component(result: ReplayResult, rep: str, column: str) -> np.ndarray:
    df = result.by_component
    return df.loc[df["rep_id"] == rep, column].to_numpy()


def rep_row(result: ReplayResult, rep: str) -> pd.Series:
    return result.by_rep.set_index("rep_id").loc[rep]


def months(**paid: float) -> list[float]:
    """Twelve monthly values, zero except the named months (jan=..., apr=...)."""
    names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    assert set(paid) <= set(names)
    return [paid.get(m, 0.0) for m in names]


# --------------------------------------------------------------------------- split credit


def test_split_deal_credits_each_rep_its_share_and_pays_on_it(tmp_path):
    # ote 200,000, base share 0.5 -> TI 100,000 = target; quota 1,000,000
    # base rate = 100,000 / 1,000,000 = 0.1 of credit
    plans = {"flat": make_plan("Flat FY27")}
    result = run(
        tmp_path, plans,
        deals=["D1,A,2027-03-10,new_arr,100000,0.6,",
               "D1,B,2027-03-10,new_arr,100000,0.4,",
               "D2,B,2027-05-02,new_arr,50000,,"],  # blank split = whole deal
        quotas=["A,new_arr,1000000", "B,new_arr,1000000"],
        # the roster names the plan by its key (A) or by its `plan:` name (B)
        roster=["A,flat,,,", "B,Flat FY27,,,"])

    # A: 100,000 x 0.6 = 60,000 credited in March; B: 100,000 x 0.4 = 40,000 in March and
    # 50,000 x 1 = 50,000 in May
    assert per_component(result, "A", "credited").tolist() == months(mar=60_000)
    assert per_component(result, "B", "credited").tolist() == months(mar=40_000, may=50_000)
    # paid: A 60,000 x 0.1 = 6,000 in March; B 40,000 x 0.1 = 4,000 in March,
    # 50,000 x 0.1 = 5,000 in May
    assert per_period(result, "A", "paid") == pytest.approx(months(mar=6_000), abs=CENT)
    assert per_period(result, "B", "paid") == pytest.approx(months(mar=4_000, may=5_000),
                                                            abs=CENT)
    a, b = rep_row(result, "A"), rep_row(result, "B")
    assert a["plan"] == b["plan"] == "flat"
    assert (a["credit_new_arr"], b["credit_new_arr"]) == (60_000, 90_000)
    # attainment: 60,000 / 1,000,000 = 0.06; 90,000 / 1,000,000 = 0.09
    assert (a["attainment_new_arr"], b["attainment_new_arr"]) == pytest.approx((0.06, 0.09))
    assert (a["earned"], b["earned"]) == pytest.approx((6_000, 9_000), abs=CENT)
    assert (a["net_paid"], b["net_paid"]) == pytest.approx((6_000, 9_000), abs=CENT)
    # the two halves of the split deal add back up to the deal
    assert result.by_component.query("period == 3")["credited"].sum() == 100_000


# ------------------------------------------------------------------------------ proration


def test_mid_year_starter_and_leaver_have_ti_prorated_by_active_days(tmp_path):
    # ote 240,000, base share 0.5 -> base 120,000 and TI 120,000 for a full year
    plans = {"acc": make_plan("Acc FY27", ote=240_000, tiers=ACCELERATOR, basis="annual")}
    result = run(
        tmp_path, plans,
        deals=["D1,H,2027-08-15,new_arr,300000,,",
               "D2,H,2027-11-20,new_arr,450000,,",
               "D3,L,2027-02-01,new_arr,150000,,",
               "D4,F,2027-06-01,new_arr,600000,,"],
        quotas=["H,new_arr,600000", "L,new_arr,300000", "F,new_arr,1200000",
                "S,new_arr,500000"],
        roster=["H,acc,,2027-07-01,",      # hired 1 July
                "L,acc,,,2027-03-31",      # last day worked 31 March
                "F,acc,,,",                # the whole year
                "S,acc,,2027-02-15,"])     # hired mid-February

    h, lv, f, s = (rep_row(result, r) for r in "HLFS")
    # H: 1 Jul - 31 Dec = 31 + 31 + 30 + 31 + 30 + 31 = 184 days -> 184 / 365 of the year
    assert h["active_share"] == pytest.approx(184 / 365, abs=1e-6)
    # TI 120,000 x 184 / 365 = 60,493.15; base likewise
    ti_h = 120_000 * 184 / 365
    assert h["ti"] == pytest.approx(ti_h, abs=CENT)
    assert h["base"] == pytest.approx(ti_h, abs=CENT)
    # L: 1 Jan - 31 Mar = 90 days -> TI 120,000 x 90 / 365 = 29,589.04
    assert lv["active_share"] == pytest.approx(90 / 365, abs=1e-6)
    assert lv["ti"] == pytest.approx(120_000 * 90 / 365, abs=CENT)
    # F: the whole year, nothing prorated
    assert (f["active_share"], f["ti"], f["base"]) == (1.0, 120_000, 120_000)
    # S: Feb 15-28 = 14 days + Mar-Dec 365 - 59 = 306 days -> 320 / 365
    assert s["active_share"] == pytest.approx(320 / 365, abs=1e-6)

    # per period: H active July onwards, L January to March, S half of February (14 / 28)
    active = result.groups["acc"].inputs.active
    reps = result.groups["acc"].reps["rep_id"].tolist()
    np.testing.assert_allclose(active[reps.index("H")], [0] * 6 + [1] * 6)
    np.testing.assert_allclose(active[reps.index("L")], [1] * 3 + [0] * 9)
    np.testing.assert_allclose(active[reps.index("S")], [0, 0.5] + [1] * 10)

    # H's quota (600,000) is taken as given, not prorated; target = prorated TI
    # August: 300,000 / 600,000 = 50 % -> 0.5 x 60,493.15 = 30,246.58
    # November: YTD 750,000 = 125 % -> target x (1.0 + 2 x 0.25) = 1.5 x 60,493.15 = 90,739.73,
    # so November pays 90,739.73 - 30,246.58 = 60,493.15 (the accelerated 25 % on top)
    assert per_period(result, "H", "paid") == pytest.approx(
        months(aug=0.5 * ti_h, nov=1.0 * ti_h), abs=CENT)
    assert h["earned"] == pytest.approx(1.5 * ti_h, abs=CENT)
    assert h["pct_of_ti"] == pytest.approx(1.5, abs=1e-6)
    assert h["attainment_new_arr"] == pytest.approx(750_000 / 600_000)
    # L: 150,000 / 300,000 = 50 % of a 29,589.04 target -> 14,794.52 in February
    assert per_period(result, "L", "paid") == pytest.approx(
        months(feb=0.5 * 120_000 * 90 / 365), abs=CENT)
    # F: 600,000 / 1,200,000 = 50 % of 120,000 -> 60,000 in June
    assert per_period(result, "F", "paid") == pytest.approx(months(jun=60_000), abs=CENT)
    # total earnings = prorated base + variable pay
    assert h["total_earnings"] == pytest.approx(ti_h + 1.5 * ti_h, abs=2 * CENT)


# -------------------------------------------------------------------- quarterly true-up


def test_quarterly_plan_pays_ytd_increments_with_a_tier_crossing(tmp_path):
    # ote 200,000, base share 0.6 -> TI 80,000; quota 800,000 -> base rate 0.1, 0.2 above quota
    plans = {"qtr": make_plan("Quarterly FY27", period="quarter", base_share=0.6,
                              tiers=ACCELERATOR, basis="annual")}
    result = run(
        tmp_path, plans,
        deals=["D1,Q,2027-01-10,new_arr,300000,,",
               "D2,Q,2027-02-20,new_arr,200000,,",
               "D3,Q,2027-05-05,new_arr,400000,,",
               "D4,Q,2027-11-15,new_arr,100000,,"],
        quotas=["Q,new_arr,800000"], roster=["Q,qtr,,,"])

    assert per_period(result, "Q", "period").tolist() == [1, 2, 3, 4]
    assert per_period(result, "Q", "period_label").tolist() == [
        "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
    # credit by quarter: Q1 300,000 + 200,000; Q2 400,000; Q3 none; Q4 100,000
    assert per_component(result, "Q", "credited").tolist() == [500_000, 400_000, 0, 100_000]
    # YTD credit 500k, 900k, 900k, 1,000k against 800k
    assert per_component(result, "Q", "attainment_ytd") == pytest.approx(
        [0.625, 1.125, 1.125, 1.25])
    # earned YTD: Q1 500,000 x 0.1 = 50,000
    #   Q2: 800,000 x 0.1 + 100,000 x 0.2 = 100,000
    #   Q3: unchanged 100,000
    #   Q4: 80,000 + 200,000 x 0.2 = 120,000
    assert per_component(result, "Q", "earned_ytd") == pytest.approx(
        [50_000, 100_000, 100_000, 120_000], abs=CENT)
    # paid = YTD increments; Q2 = 300,000 x 0.1 + 100,000 x 0.2 = 50,000 (crossing quota)
    assert per_period(result, "Q", "paid") == pytest.approx([50_000, 50_000, 0, 20_000],
                                                            abs=CENT)
    q = rep_row(result, "Q")
    assert q["earned"] == pytest.approx(120_000, abs=CENT)
    assert q["pct_of_ti"] == pytest.approx(1.5)


# ------------------------------------------------------------------------------ clawback


def test_clawback_reverses_what_a_cancelled_deal_earned_in_the_cancel_period(tmp_path):
    # every plan: TI 100,000, quota 1,000,000 -> base rate 0.1, 0.2 above quota
    plans = {"cb90": make_plan("CB FY27", tiers=ACCELERATOR, basis="annual",
                               clawback={"within_days": 90, "share": 1.0}),
             "cbhalf": make_plan("CB half FY27", tiers=ACCELERATOR, basis="annual",
                                 clawback={"within_days": 90, "share": 0.5}),
             "nocb": make_plan("No CB FY27", tiers=ACCELERATOR, basis="annual")}
    # lags from 2027-02-10: to 04-05 = 18 (Feb) + 31 (Mar) + 5 = 54 days;
    # to 05-11 = 18 + 31 + 30 + 11 = 90 days; to 06-10 = 18 + 31 + 30 + 31 + 10 = 120 days
    result = run(
        tmp_path, plans,
        deals=["D1,A,2027-02-10,new_arr,200000,,2027-04-05",
               "D2,A,2027-03-01,new_arr,100000,,",
               "D3,B,2027-01-15,new_arr,900000,,",
               "D4,B,2027-02-10,new_arr,300000,,2027-04-05",
               "D5,C,2027-02-10,new_arr,200000,,2027-05-11",
               "D6,D,2027-02-10,new_arr,200000,,2027-06-10",
               "D7,E,2027-02-10,new_arr,200000,,2027-04-05",
               "D8,E,2027-03-01,new_arr,100000,,",
               "D9,F,2027-02-10,new_arr,200000,,2027-04-05"],
        quotas=[f"{r},new_arr,1000000" for r in "ABCDEF"],
        roster=["A,cb90,,,", "B,cb90,,,", "C,cb90,,,", "D,cb90,,,", "E,cbhalf,,,",
                "F,nocb,,,"])

    # A, 54 days: Feb 200,000 x 0.1 = 20,000; Mar YTD 300,000 -> 30,000, pays 10,000;
    # April recomputed without D1: YTD 100,000 -> 10,000, so April pays 10,000 - 30,000
    assert per_period(result, "A", "paid") == pytest.approx(
        months(feb=20_000, mar=10_000, apr=-20_000), abs=CENT)
    assert per_period(result, "A", "clawback") == pytest.approx(months(apr=20_000), abs=CENT)
    assert per_component(result, "A", "clawback") == pytest.approx(months(apr=20_000),
                                                                   abs=CENT)
    assert per_component(result, "A", "earned_ytd")[3:] == pytest.approx([10_000] * 9,
                                                                         abs=CENT)
    a = rep_row(result, "A")
    assert (a["earned"], a["clawback"], a["net_paid"]) == pytest.approx(
        (10_000, 20_000, 10_000), abs=CENT)

    # B: the cancelled deal lifted the rep into the accelerator, and gives that back too.
    # Jan 900,000 x 0.1 = 90,000; Feb YTD 1,200,000 -> 100,000 + 200,000 x 0.2 = 140,000,
    # pays 50,000; April without D4: YTD 900,000 -> 90,000, pays 90,000 - 140,000 = -50,000
    assert per_period(result, "B", "paid") == pytest.approx(
        months(jan=90_000, feb=50_000, apr=-50_000), abs=CENT)
    assert rep_row(result, "B")["clawback"] == pytest.approx(50_000, abs=CENT)

    # C: exactly 90 days is inside the window (<= within_days): reversed in May
    assert per_period(result, "C", "paid") == pytest.approx(
        months(feb=20_000, may=-20_000), abs=CENT)

    # D: 120 days is after the window: no reversal, the credit and the pay stand
    assert per_period(result, "D", "paid") == pytest.approx(months(feb=20_000), abs=CENT)
    d = rep_row(result, "D")
    assert (d["earned"], d["clawback"], d["credit_new_arr"]) == pytest.approx(
        (20_000, 0, 200_000), abs=CENT)

    # E, share 0.5: Feb 20,000, Mar 10,000 (YTD 30,000); April: half of what D7 earned,
    # 0.5 x (30,000 - 10,000) = 10,000, is reversed -> earned YTD 20,000, April pays -10,000
    assert per_period(result, "E", "paid") == pytest.approx(
        months(feb=20_000, mar=10_000, apr=-10_000), abs=CENT)
    e = rep_row(result, "E")
    assert (e["earned"], e["clawback"]) == pytest.approx((20_000, 10_000), abs=CENT)

    # F: the plan has no clawback clause, so cancel_date is ignored
    assert per_period(result, "F", "paid") == pytest.approx(months(feb=20_000), abs=CENT)
    assert per_period(result, "F", "clawback") == pytest.approx([0] * 12)
    assert rep_row(result, "F")["earned"] == pytest.approx(20_000, abs=CENT)


# ---------------------------------------------------------------------------------- draw


def test_new_hire_draw_is_prorated_advanced_and_recovered_above_the_guarantee(tmp_path):
    # ote 146,000, base share 0.5 -> TI 73,000 a year. Draw 9,000 a quarter for the first two
    # active quarters, recoverable, new hires only.
    draw = {"per_period": 9_000, "periods": 2, "recoverable": True, "applies_to": "new_hires"}
    plans = {"drw": make_plan("Draw FY27", period="quarter", ote=146_000, draw=draw),
             "drwnr": make_plan("Draw NR FY27", period="quarter", ote=146_000,
                                draw={**draw, "recoverable": False})}
    result = run(
        tmp_path, plans,
        deals=["D1,H,2027-03-01,new_arr,20000,,",
               "D2,H,2027-05-10,new_arr,100000,,",
               "D3,H,2027-08-10,new_arr,200000,,",
               "D4,C,2027-08-20,new_arr,100000,,",
               "D5,N,2027-11-02,new_arr,50000,,",
               "D6,X,2027-03-01,new_arr,20000,,"],
        # quotas chosen so the base rate is 0.1 for everyone (quota = 10 x prorated TI)
        quotas=["H,new_arr,640000", "C,new_arr,730000", "N,new_arr,550000",
                "X,new_arr,640000"],
        roster=["H,drw,,2027-02-15,",   # new hire in Q1
                "C,drw,,,",             # continuing rep
                "N,drw,,2027-04-01,",   # new hire, first active quarter is Q2
                "X,drwnr,,2027-02-15,"])  # as H, on a non-recoverable draw

    # H: active Feb 15 - Mar 31 = 14 + 31 = 45 of Q1's 90 days -> share 0.5, then full quarters
    # year share (45 + 91 + 92 + 92) / 365 = 320 / 365 -> TI 73,000 x 320 / 365 = 64,000
    h = rep_row(result, "H")
    assert h["ti"] == pytest.approx(64_000, abs=CENT)
    # paid: Q1 20,000 x 0.1 = 2,000; Q2 100,000 x 0.1 = 10,000; Q3 20,000; Q4 0
    assert per_period(result, "H", "paid") == pytest.approx([2_000, 10_000, 20_000, 0],
                                                            abs=CENT)
    # guarantee: Q1 9,000 x 0.5 = 4,500; Q2 9,000; none after the two draw quarters
    # Q1: advance 4,500 - 2,000 = 2,500, balance 2,500
    # Q2: 10,000 >= 9,000, no advance; recover min(2,500, 10,000 - 9,000) = 1,000, balance 1,500
    # Q3: guarantee 0, recover min(1,500, 20,000) = 1,500, balance 0
    assert per_period(result, "H", "draw") == pytest.approx([2_500, 0, 0, 0], abs=CENT)
    assert per_period(result, "H", "recovered") == pytest.approx([0, 1_000, 1_500, 0],
                                                                 abs=CENT)
    assert per_period(result, "H", "draw_balance") == pytest.approx([2_500, 1_500, 0, 0],
                                                                    abs=CENT)
    # net = paid + draw - recovered: 4,500; 9,000; 18,500; 0 -> 32,000 in the year
    assert per_period(result, "H", "net_paid") == pytest.approx([4_500, 9_000, 18_500, 0],
                                                                abs=CENT)
    assert (h["draw"], h["recovered"], h["net_paid"], h["draw_balance"]) == pytest.approx(
        (2_500, 2_500, 32_000, 0), abs=CENT)

    # C: active on the year's first day, so no draw though Q1 and Q2 pay nothing
    assert per_period(result, "C", "paid") == pytest.approx([0, 0, 10_000, 0], abs=CENT)
    assert per_period(result, "C", "draw") == pytest.approx([0, 0, 0, 0])
    assert per_period(result, "C", "net_paid") == pytest.approx([0, 0, 10_000, 0], abs=CENT)

    # N: starts 1 April: Q2-Q4 = 275 days -> TI 73,000 x 275 / 365 = 55,000.
    # Draw quarters are its first two active ones, Q2 and Q3: 9,000 advanced in each.
    # Q4: 50,000 x 0.1 = 5,000, all above the (zero) guarantee -> recover 5,000;
    # 18,000 - 5,000 = 13,000 still outstanding at year end
    n = rep_row(result, "N")
    assert n["ti"] == pytest.approx(55_000, abs=CENT)
    assert per_period(result, "N", "draw") == pytest.approx([0, 9_000, 9_000, 0], abs=CENT)
    assert per_period(result, "N", "recovered") == pytest.approx([0, 0, 0, 5_000], abs=CENT)
    assert per_period(result, "N", "net_paid") == pytest.approx([0, 9_000, 9_000, 0], abs=CENT)
    assert per_period(result, "N", "draw_balance") == pytest.approx(
        [0, 9_000, 18_000, 13_000], abs=CENT)
    assert (n["earned"], n["draw"], n["recovered"], n["net_paid"], n["draw_balance"]) == \
        pytest.approx((5_000, 18_000, 5_000, 18_000, 13_000), abs=CENT)

    # X: H's start and Q1 deal on a non-recoverable draw. Q1: 4,500 - 2,000 = 2,500
    # advanced; Q2 pays nothing: 9,000 advanced. Kept: nothing recovered, no balance.
    assert per_period(result, "X", "draw") == pytest.approx([2_500, 9_000, 0, 0], abs=CENT)
    assert per_period(result, "X", "recovered") == pytest.approx([0, 0, 0, 0])
    assert per_period(result, "X", "net_paid") == pytest.approx([4_500, 9_000, 0, 0],
                                                                abs=CENT)
    assert per_period(result, "X", "draw_balance") == pytest.approx([0, 0, 0, 0])
    x = rep_row(result, "X")
    assert (x["earned"], x["net_paid"]) == pytest.approx((2_000, 13_500), abs=CENT)


def test_new_hire_draw_skips_a_rep_who_was_there_from_the_start_and_leaves_early(tmp_path):
    # new_hires = reps who start after the year's first day (Draw.applies_to, README). L has no
    # start_date (there all year) and leaves 2027-02-14: Q1 share 45 / 90, but not a new hire.
    draw = {"per_period": 9_000, "periods": 2, "recoverable": True, "applies_to": "new_hires"}
    plans = {"drw": make_plan("Draw FY27", period="quarter", ote=146_000, draw=draw)}
    result = run(tmp_path, plans, deals=["D1,L,2027-01-05,new_arr,1000,,"],
                 quotas=["L,new_arr,100000"], roster=["L,drw,,,2027-02-14"])
    # TI 73,000 x 45 / 365 = 9,000; base rate 9,000 / 100,000 = 0.09 -> Q1 pays 1,000 x 0.09
    # = 90, and that is all: no draw (the engine advances 9,000 x 0.5 - 90 = 4,410)
    assert per_period(result, "L", "paid") == pytest.approx([90, 0, 0, 0], abs=CENT)
    assert per_period(result, "L", "draw") == pytest.approx([0, 0, 0, 0])
    assert per_period(result, "L", "net_paid") == pytest.approx([90, 0, 0, 0], abs=CENT)
    assert rep_row(result, "L")["draw_balance"] == 0


# ---------------------------------------------------------------------------------- team


def test_manager_override_pays_on_team_credit_binned_in_its_own_quarters(tmp_path):
    # manager: quarterly, TI 100,000, team credit; quota 1,600,000 from quotas.csv (not the
    # 2,000,000 sum of the team's quotas) -> base rate 100,000 / 1,600,000 = 0.0625
    # reps: monthly, TI 100,000, quota 1,000,000 -> base rate 0.1
    plans = {"mgr": make_plan("Manager FY27", period="quarter", credit="team"),
             "ae": make_plan("AE FY27")}
    result = run(
        tmp_path, plans,
        deals=["D1,R1,2027-01-15,new_arr,100000,,",
               "D2,R1,2027-03-31,new_arr,50000,,",       # last day of Q1
               "D3,R2,2027-02-01,new_arr,200000,0.5,",   # split across the two teams
               "D3,R3,2027-02-01,new_arr,200000,0.5,",
               "D4,R2,2027-04-01,new_arr,300000,,",      # first day of Q2
               "D5,R3,2027-05-05,new_arr,400000,,",      # other team
               "D6,R1,2027-11-30,new_arr,250000,,"],
        quotas=["M,new_arr,1600000", "R1,new_arr,1000000", "R2,new_arr,1000000",
                "R3,new_arr,1000000"],
        roster=["M,mgr,east,,", "R1,ae,east,,", "R2,ae,east,,", "R3,ae,west,,"])

    # east credit by quarter: Q1 100,000 + 50,000 + 200,000 x 0.5 = 250,000; Q2 300,000;
    # Q3 0; Q4 250,000 -> 800,000. R3's 100,000 half and its 400,000 are west's.
    assert per_component(result, "M", "credited").tolist() == [250_000, 300_000, 0, 250_000]
    assert per_component(result, "M", "credit_basis").tolist() == ["team"] * 4
    assert per_component(result, "M", "quota").tolist() == [1_600_000] * 4
    # earned YTD at 0.0625: 15,625; 550,000 -> 34,375; 34,375; 800,000 -> 50,000
    assert per_period(result, "M", "paid") == pytest.approx([15_625, 18_750, 0, 15_625],
                                                            abs=CENT)
    m = rep_row(result, "M")
    assert m["credit_new_arr"] == 800_000
    assert m["attainment_new_arr"] == pytest.approx(800_000 / 1_600_000)
    assert m["earned"] == pytest.approx(50_000, abs=CENT)

    # the reps are still paid on their own credit, monthly
    assert per_period(result, "R2", "paid") == pytest.approx(months(feb=10_000, apr=30_000),
                                                             abs=CENT)
    assert per_period(result, "R3", "paid") == pytest.approx(months(feb=10_000, may=40_000),
                                                             abs=CENT)
    assert rep_row(result, "R1")["credit_new_arr"] == 400_000
    assert per_component(result, "R1", "credit_basis").tolist() == ["rep"] * 12


def test_period_numbers_stay_integers(tmp_path):
    plans = {"qtr": make_plan("Quarterly FY27", period="quarter")}
    result = run(tmp_path, plans, deals=["D1,Q,2027-01-10,new_arr,1000,,"],
                 quotas=["Q,new_arr,800000"], roster=["Q,qtr,,,"])
    # periods are numbered 1..4: integers, as _period_frame builds them
    for table in (result.by_component, result.by_period):
        assert pd.api.types.is_integer_dtype(table["period"])
        assert table["period"].tolist() == [1, 2, 3, 4]


# ------------------------------------------------------- invariants on the shipped example


@pytest.fixture(scope="module")
def example():
    plans = {p.stem: load_plan(p) for p in sorted(PLANS.glob("*.yaml"))}
    tx = load_transactions(plans, FY27 / "deals.csv", FY27 / "quotas.csv",
                           FY27 / "roster.csv")
    return tx, replay(tx)


def test_example_period_net_paid_adds_up_to_the_rep_year(example):
    _, result = example
    net = result.by_period.groupby("rep_id")["net_paid"].sum()
    rep = result.by_rep.set_index("rep_id")
    assert set(net.index) == set(rep.index)
    # each side is rounded to cents separately: at most half a cent per period apart
    np.testing.assert_allclose(net[rep.index], rep["net_paid"], atol=12 * CENT)
    # and the year's earnings are the sum of the periods' payments
    paid = result.by_period.groupby("rep_id")["paid"].sum()
    np.testing.assert_allclose(paid[rep.index], rep["earned"], atol=12 * CENT)


def test_example_component_payments_plus_plan_cap_add_up_to_the_period(example):
    _, result = example
    keys = ["rep_id", "period"]
    comp = result.by_component.groupby(keys)["paid"].sum()
    period = result.by_period.set_index(keys)
    assert len(comp) == len(period)
    np.testing.assert_allclose(comp[period.index] + period["plan_cap"], period["paid"],
                               atol=10 * CENT)
    # net = paid + draw - recovered in every period
    np.testing.assert_allclose(period["paid"] + period["draw"] - period["recovered"],
                               period["net_paid"], atol=3 * CENT)


def test_example_rep_credit_adds_up_to_the_deals(example):
    tx, result = example
    raw = pd.read_csv(FY27 / "deals.csv", keep_default_na=False)
    new_arr = raw[raw["measure"] == "new_arr"]
    split = pd.to_numeric(new_arr["split"].replace("", "1"))
    expected = (new_arr["amount"] * split).sum()
    comp = result.by_component
    rep_credit = comp[(comp["measure"] == "new_arr") & (comp["credit_basis"] == "rep")]
    assert rep_credit["credited"].sum() == pytest.approx(expected, abs=1.0)
    assert tx.deals.loc[tx.deals["measure"] == "new_arr", "credit"].sum() == \
        pytest.approx(expected, abs=1.0)


def test_example_manager_credit_is_the_team_credit(example):
    tx, result = example
    rep = result.by_rep
    for _, mgr in rep[rep["plan"] == "sales_manager"].iterrows():
        team = rep[(rep["team"] == mgr["team"]) & (rep["plan"] != "sales_manager")]
        assert len(team) > 0
        assert mgr["credit_new_arr"] == pytest.approx(team["credit_new_arr"].sum(), abs=1.0)


def test_example_replay_is_deterministic(example):
    tx, first = example
    second = replay(tx)
    for name in ("by_component", "by_period", "by_rep"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
