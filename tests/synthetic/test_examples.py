"""The shipped example: seeded company data, plan files, and the shape of its replay."""

from __future__ import annotations

import pandas as pd
import pytest

from spmsim.data.transactions import load_transactions
from spmsim.history.replay import plan_summary, replay, revenue_measures
from spmsim.plans import load_plan
from spmsim.synthetic.examples import example_company, write_example_company

from paths import FY27, PLANS

PLAN_FILES = sorted(PLANS.glob("*.yaml"))
CSV_NAMES = ("roster.csv", "quotas.csv", "deals.csv")


def _plans() -> dict:
    return {p.stem: load_plan(p) for p in PLAN_FILES}


@pytest.fixture(scope="module")
def shipped():
    plans = _plans()
    tx = load_transactions(plans, FY27 / "deals.csv", FY27 / "quotas.csv",
                           FY27 / "roster.csv")
    return tx, replay(tx)


def test_writer_reproduces_the_shipped_csvs_byte_for_byte(tmp_path):
    written = write_example_company(tmp_path)  # default seed 2027
    assert sorted(p.name for p in written) == sorted(CSV_NAMES)
    for name in CSV_NAMES:
        assert (tmp_path / name).read_bytes() == (FY27 / name).read_bytes(), name


def test_same_seed_same_bytes_other_seed_other_deals(tmp_path):
    write_example_company(tmp_path / "a", seed=2027)
    write_example_company(tmp_path / "b", seed=2027)
    write_example_company(tmp_path / "c", seed=7)
    for name in CSV_NAMES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    deals_a = pd.read_csv(tmp_path / "a" / "deals.csv")
    deals_c = pd.read_csv(tmp_path / "c" / "deals.csv")
    assert not deals_a.equals(deals_c)
    assert deals_a["amount"].sum() != deals_c["amount"].sum()
    # the roster is fixed; the seed drives the deals
    assert (tmp_path / "c" / "roster.csv").read_bytes() == \
        (tmp_path / "a" / "roster.csv").read_bytes()


def test_example_company_has_about_thirty_reps_in_four_roles_and_managers():
    data = example_company()
    roster = data["roster"]
    # one row per rep, but for the dated changes: SMB03 promoted to the enterprise plan on
    # 1 July, ENT08 moved from the west team to the east on 1 October (with quota relief)
    assert not roster.duplicated(["rep_id", "effective_from"]).any()
    moved = roster[roster["rep_id"].duplicated(keep=False)]
    assert moved[["rep_id", "plan", "team", "effective_from", "effective_to"]].values.tolist() \
        == [["ENT08", "enterprise_ae", "ent-west", "", "2027-09-30"],
            ["SMB03", "smb_ae", "smb", "", "2027-06-30"],
            ["SMB03", "enterprise_ae", "ent-east", "2027-07-01", ""],
            ["ENT08", "enterprise_ae", "ent-east", "2027-10-01", ""]]
    relief = data["quotas"][data["quotas"]["reason"] != ""]
    assert relief[["rep_id", "quota", "from"]].values.tolist() == \
        [["ENT08", -150_000.0, "2027-10-01"]]
    counts = roster.drop_duplicates("rep_id", keep="last")["plan"].value_counts()  # latest
    assert set(counts.index) == {"enterprise_ae", "smb_ae", "account_manager", "sales_manager",
                                 "strategic_ae"}
    reps = counts.drop("sales_manager")
    assert 25 <= reps.sum() <= 35
    assert (reps >= 3).all()  # three strategic AEs, at least five in the other roles
    managers = roster[roster["plan"] == "sales_manager"]
    assert 2 <= len(managers) <= 5
    # every manager leads a team of reps
    for team in managers["team"]:
        assert ((roster["team"] == team) & (roster["plan"] != "sales_manager")).sum() >= 5
    # some reps start or leave during the year
    assert (roster["start_date"] != "").any() and (roster["end_date"] != "").any()
    # the deals use every feature the plans read: splits, cancellations, several measures
    deals = data["deals"]
    assert (deals["split"] != "").any()
    assert (deals["cancel_date"] != "").any()
    assert {"new_arr", "new_logos", "mbo_score", "expansion", "renewals"} <= set(deals["measure"])


@pytest.mark.parametrize("path", PLAN_FILES, ids=[p.stem for p in PLAN_FILES])
def test_every_shipped_plan_loads(path):
    plan = load_plan(path)
    assert plan.plan
    assert plan.components
    assert plan.calendar.n_periods in (1, 4, 12)


def test_shipped_plans_are_the_expected_set():
    assert {p.stem for p in PLAN_FILES} >= {"enterprise_ae", "enterprise_ae_proposed",
                                            "smb_ae", "account_manager", "sales_manager",
                                            "strategic_ae"}


def test_example_data_loads_against_the_shipped_plans(shipped):
    tx, result = shipped
    roster = pd.read_csv(FY27 / "roster.csv")
    deals = pd.read_csv(FY27 / "deals.csv")
    assert len(tx.roster) == len(roster)
    assert len(tx.deals) == len(deals)
    assert set(tx.roster["plan"]) <= set(tx.plans)
    # every rep is in every table
    assert set(result.by_rep["rep_id"]) == set(roster["rep_id"])
    assert set(result.by_period["rep_id"]) == set(roster["rep_id"])


def test_example_replay_looks_like_a_real_sales_year(shipped):
    tx, result = shipped
    rep = result.by_rep
    for key in ("enterprise_ae", "smb_ae"):
        at_quota = (rep.loc[rep["plan"] == key, "attainment_new_arr"] >= 1.0).mean()
        assert 0.3 <= at_quota <= 0.8, (key, at_quota)
    ent = rep[rep["plan"] == "enterprise_ae"]
    pct_of_ti = ent["earned"].sum() / ent["ti"].sum()
    assert 0.7 <= pct_of_ti <= 1.5, pct_of_ti
    # the per-plan summary agrees with the by-rep table
    summary = plan_summary(result, revenue_measures(tx.plans)).set_index("plan")
    assert summary.loc["enterprise_ae", "pct_of_ti"] == pytest.approx(pct_of_ti)
    assert summary.loc["enterprise_ae", "reps"] == len(ent)
    # nobody is paid a negative year, and total variable pay is below total revenue
    assert (rep["net_paid"] >= 0).all()
    assert summary["net_paid"].sum() < summary["revenue"].sum()


def test_the_strategic_plan_uses_its_windfall_and_linkage_on_the_shipped_deals(shipped):
    tx, result = shipped
    rep = result.by_rep.set_index("rep_id")
    # STR01's 1,800,000 bluebird credits 1,000,000 + 25 % x 800,000 = 1,200,000
    booked = tx.deals[(tx.deals["rep_id"] == "STR01") & (tx.deals["measure"] == "new_arr")]
    assert rep.loc["STR01", "credit_new_arr"] == pytest.approx(booked["credit"].sum() - 600_000)
    # STR03 is far above quota but renewals stay below 90 %: its accelerators stay locked,
    # so it earns the base rate on all credit (TI 200,000 x 0.8 / 2,000,000 = 8 %), plus its
    # renewal bonus (curve at 88.7 %: 0.5 + 0.5 x 3.7 / 10 of 40,000)
    str03 = rep.loc["STR03"]
    assert str03["attainment_renewals"] < 0.9 < 1.0 < str03["attainment_new_arr"]
    renewal_bonus = 40_000 * (0.5 + 0.5 * (str03["attainment_renewals"] - 0.85) / 0.10)
    assert str03["earned"] == pytest.approx(0.08 * str03["credit_new_arr"] + renewal_bonus,
                                            abs=0.05)
