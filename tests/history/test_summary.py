"""The per-plan summary does not mislead: each deal counted once, unit measures never
revenue, share at quota defined for unit quotas; misspelt columns refused."""

from __future__ import annotations

import numpy as np
import pytest

from spmsim.cli import main
from spmsim.errors import InputError
from spmsim.history.replay import plan_summary, revenue_measures

from crediting_helpers import plan, replay_csv, write_csv

DEALS = "deal_id,rep_id,date,measure,amount,split,cancel_date"
ROSTER = "rep_id,plan,team,start_date,end_date"

POOLED = plan("Pooled", [{"name": "Team bookings", "type": "commission", "measure": "new_arr",
                          "credit": "team", "weight": 1.0}])
SDR = plan("SDR", [{"name": "Meetings", "type": "bonus", "measure": "meetings", "weight": 1.0,
                    "curve": [[0, 0], [1, 1], [2, 2]]}],
           ote=80_000, base_share=0.7, period="quarter", unit_measures=["meetings"])


def test_pooled_team_revenue_is_counted_once_not_once_per_member(tmp_path):
    # two reps in one pool book 100,000 each: the team's revenue is 200,000 (not 400,000,
    # which counting the team total once per member gave). Each rep: OTE 200,000 x 50 % =
    # TI 100,000; team quota 400,000 per rep, team credit 200,000 = 50 % -> 50,000 each;
    # net paid 100,000 / revenue 200,000 = 50 % cost of sales.
    result = replay_csv(tmp_path, {"pooled": POOLED},
                        (DEALS, ["D1,A,2027-02-01,new_arr,100000,,",
                                 "D2,B,2027-03-01,new_arr,100000,,"]),
                        ["A,new_arr,400000", "B,new_arr,400000"],
                        (ROSTER, ["A,pooled,t1,,", "B,pooled,t1,,"]))
    row = plan_summary(result, ["new_arr"]).iloc[0]
    assert row["revenue"] == pytest.approx(200_000)
    assert row["net_paid"] == pytest.approx(100_000)
    assert row["cost_of_sales"] == pytest.approx(0.5)


def test_two_pools_each_count_their_own_total_once(tmp_path):
    # t1: A 100,000 + B 50,000 = 150,000; t2: C 30,000 alone -> revenue 180,000
    result = replay_csv(tmp_path, {"pooled": POOLED},
                        (DEALS, ["D1,A,2027-02-01,new_arr,100000,,",
                                 "D2,B,2027-03-01,new_arr,50000,,",
                                 "D3,C,2027-03-01,new_arr,30000,,"]),
                        ["A,new_arr,400000", "B,new_arr,400000", "C,new_arr,400000"],
                        (ROSTER, ["A,pooled,t1,,", "B,pooled,t1,,", "C,pooled,t2,,"]))
    assert plan_summary(result, ["new_arr"]).iloc[0]["revenue"] == pytest.approx(180_000)


def test_unit_measures_are_never_revenue_and_unit_quotas_have_a_share_at_quota(tmp_path):
    # S1 books exactly its quota of 40 meetings, S2 50 (125 %), S3 30 (75 %): 2 of 3 at quota
    result = replay_csv(tmp_path, {"sdr": SDR},
                        (DEALS, ["M1,S1,2027-02-01,meetings,40,,",
                                 "M2,S2,2027-02-01,meetings,50,,",
                                 "M3,S3,2027-05-01,meetings,30,,"]),
                        ["S1,meetings,40", "S2,meetings,40", "S3,meetings,40"],
                        (ROSTER, ["S1,sdr,,,", "S2,sdr,,,", "S3,sdr,,,"]))
    assert revenue_measures({"sdr": SDR}) == []
    row = plan_summary(result, revenue_measures({"sdr": SDR})).iloc[0]
    assert row["revenue"] == 0.0
    assert np.isnan(row["cost_of_sales"])  # no revenue: undefined, shown as '-'
    assert row["share_at_quota"] == pytest.approx(2 / 3)
    # even when asked to, a measure the plan counts in units is not added to revenue
    assert plan_summary(result, ["meetings"]).iloc[0]["revenue"] == 0.0


def test_unit_measures_must_be_paid_on_by_the_plan():
    with pytest.raises(InputError, match="unit_measures: no component pays on 'demos'"):
        plan("SDR", SDR.model_dump()["components"], unit_measures=["demos"])


def test_replay_summary_reads_as_labels_money_and_dashes(tmp_path, capsys):
    (tmp_path / "sdr.yaml").write_text(
        "plan: SDR FY27\note: 80000\nbase_share: 0.7\npayout_period: quarter\n"
        "year_start: 2027-01-01\nunit_measures: [meetings]\ncomponents:\n"
        "  - {name: Meetings, type: bonus, measure: meetings, weight: 1.0, "
        "curve: [[0, 0], [1, 1]]}\n")
    deals = write_csv(tmp_path / "deals.csv", DEALS, ["M1,S1,2027-02-01,meetings,40,,"])
    quotas = write_csv(tmp_path / "quotas.csv", "rep_id,measure,quota", ["S1,meetings,40"])
    roster = write_csv(tmp_path / "roster.csv", ROSTER, ["S1,sdr,,,"])
    code = main(["replay", "--plan", str(tmp_path / "sdr.yaml"), "--deals", str(deals),
                 "--quotas", str(quotas), "--roster", str(roster), "--out",
                 str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    header, row = out.splitlines()[:2]
    assert "Cost of sales" in header and "Reps at quota" in header and "cost_of" not in header
    # TI 80,000 x 30 % = 24,000, paid in full at 100 % of the meeting quota
    assert "SDR FY27" in row and "$24,000" in row and "100%" in row
    assert row.split()[-2] == "-"  # cost of sales: no revenue
    assert "nan" not in out


def test_a_misspelt_cancel_date_column_is_an_error_not_dropped_clawbacks(tmp_path):
    with pytest.raises(InputError) as err:
        replay_csv(tmp_path, {"pooled": POOLED},
                   ("deal_id,rep_id,date,measure,amount,cancel_dte",
                    ["D1,A,2027-02-01,new_arr,100000,2027-03-01"]),
                   ["A,new_arr,400000"], (ROSTER, ["A,pooled,t1,,"]))
    assert "unknown column 'cancel_dte' (did you mean 'cancel_date'?)" in str(err.value)
