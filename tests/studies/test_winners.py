"""Winners and losers of study variants against the current plan, replayed on history."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from spmsim.data.transactions import load_transactions
from spmsim.errors import InputError, SpmsimError
from spmsim.history.compare import compare
from spmsim.history.replay import revenue_measures
from spmsim.plans.io import load_plans
from spmsim.report import studyview as sv
from spmsim.studies.study import load_study, run_study

from paths import ACME_TERRITORIES, DEFAULT_STUDY, FY27, PLANS


def _quiet(*_):
    return None


def _write(folder: Path, deals: str, roster: str, **study) -> Path:
    (folder / "deals.csv").write_text(deals)
    (folder / "quotas.csv").write_text("rep_id,measure,quota\nSMB01,new_arr,1000000\n"
                                       "SMB02,new_arr,1000000\n")
    (folder / "roster.csv").write_text(roster)
    spec = {"study": "tiny", "base": str(ACME_TERRITORIES),
            "seed": 1, "trials": 8,
            "variants": {"now": {}, "steeper": {
                "set": {"org.roles.smb_ae.plan.components[0].tiers[1].rate": 2.0}}},
            "history": {"deals": "deals.csv", "quotas": "quotas.csv", "roster": "roster.csv",
                        "plans": str(PLANS)}}
    spec.update(study)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


DEALS = ("deal_id,rep_id,date,measure,amount\nD1,SMB01,2027-01-15,new_arr,1100000\n"
         "D2,SMB02,2027-03-01,new_arr,500000\n")
ROSTER = "rep_id,plan,team\nSMB01,smb_ae,t1\nSMB02,smb_ae,t1\n"


def test_hand_worked_winner_and_unchanged(tmp_path):
    # SMB plan: OTE 140k, 50 % variable -> TI 70k on a 1M quota, tiers 1.0x to 100 %,
    # 1.5x to 120 %. SMB01 books 1.1M: 70k + 0.1 x 70k x 1.5 = 80,500. With the second
    # tier at 2.0x: 70k + 0.1 x 70k x 2.0 = 84,000, a win of 3,500 (+4.35 %).
    # SMB02 books 0.5M: 35,000 on both plans (the change is above quota only).
    path = _write(tmp_path, DEALS, ROSTER)
    run_study(path, tmp_path / "out", progress=False, log=_quiet)
    table = pd.read_csv(tmp_path / "out" / "winners_losers.csv").set_index("rep_id")
    assert list(table["variant"].unique()) == ["steeper"]  # the current plan is not compared
    assert table.loc["SMB01", ["old_pay", "new_pay", "change"]].tolist() == \
        [80_500.0, 84_000.0, 3_500.0]
    assert table.loc["SMB01", "change_pct"] == pytest.approx(3_500 / 80_500, abs=1e-6)
    assert table.loc["SMB01", "outcome"] == "wins"
    assert table.loc["SMB02", ["old_pay", "new_pay"]].tolist() == [35_000.0, 35_000.0]
    assert table.loc["SMB02", "outcome"] == "unchanged"
    counts = pd.read_csv(tmp_path / "out" / "winners_losers_summary.csv")
    assert counts.to_dict("records") == [{"variant": "steeper", "role": "smb_ae", "wins": 1,
                                          "loses": 0, "unchanged": 1, "pay_change": 3500.0}]


def test_current_variant_can_be_named(tmp_path):
    path = _write(tmp_path, DEALS, ROSTER, history={
        "deals": "deals.csv", "quotas": "quotas.csv", "roster": "roster.csv",
        "plans": str(PLANS), "current": "steeper"})
    run_study(path, tmp_path / "out", progress=False, log=_quiet)
    table = pd.read_csv(tmp_path / "out" / "winners_losers.csv").set_index("rep_id")
    assert list(table["variant"].unique()) == ["now"]
    assert table.loc["SMB01", ["change", "outcome"]].tolist() == [-3_500.0, "loses"]


def test_bad_history_stops_before_any_variant_runs(tmp_path):
    path = _write(tmp_path, DEALS + "D3,NOBODY,2027-02-01,new_arr,10\n", ROSTER)
    with pytest.raises(InputError) as e:
        run_study(path, tmp_path / "out", progress=False, log=_quiet)
    assert "deals.csv" in str(e.value) and "NOBODY" in str(e.value)
    assert not (tmp_path / "out").exists()


def test_unknown_current_variant_is_refused(tmp_path):
    path = _write(tmp_path, DEALS, ROSTER, history={
        "deals": "deals.csv", "quotas": "quotas.csv", "roster": "roster.csv",
        "plans": str(PLANS), "current": "nope"})
    with pytest.raises(InputError, match="history.current"):
        load_study(path)


def test_history_whose_plans_no_role_uses_is_refused(tmp_path):
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "other.yaml").write_text((PLANS / "smb_ae.yaml").read_text())
    path = _write(tmp_path, DEALS, ROSTER.replace("smb_ae", "other"), history={
        "deals": "deals.csv", "quotas": "quotas.csv", "roster": "roster.csv",
        "plans": str(plans)})
    with pytest.raises(SpmsimError, match="no role's plan file"):
        run_study(path, tmp_path / "out", progress=False, log=_quiet)


@pytest.fixture(scope="module")
def default_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wl") / "default"
    run_study(DEFAULT_STUDY, out, trials=16, progress=False,
              log=_quiet)
    return out


@pytest.mark.slow
def test_default_study_agrees_with_comparing_the_plan_files(default_out):
    """The proposed enterprise variant (a plan file swapped in through `set:`) gives the
    same winners and losers as comparing the two plan files directly."""
    table = pd.read_csv(default_out / "winners_losers.csv", dtype={"rep_id": str})
    mine = table[(table["variant"] == "proposed_enterprise") & (table["role"] == "ent_ae")]
    plans = load_plans([PLANS])
    files = {k: FY27 / f"{k}.csv" for k in ("deals", "quotas", "roster")}
    old = load_transactions(plans, **files)
    new = load_transactions({**plans, "enterprise_ae": plans["enterprise_ae_proposed"]},
                            **files)
    ref = compare(old, new, "enterprise_ae", revenue_measures(plans)).by_rep
    got = mine.set_index("rep_id")[["old_pay", "new_pay", "outcome"]].sort_index()
    want = ref.set_index("rep_id")[["old_pay", "new_pay", "outcome"]].sort_index()
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert {"wins", "loses"} <= set(mine["outcome"])
    # a quota-method variant changes no plan: everybody unchanged
    flat = table[table["variant"] == "flat_growth_quotas"]
    assert len(flat) and (flat["outcome"] == "unchanged").all()


def test_report_section_with_and_without_history(default_out, tmp_path):
    view = sv.open_study(default_out)
    parts = sv.winners_losers_section(view)
    # the note, who is paid differently, the largest gains and losses, every rep's change
    assert "Baseline" in parts[0].data and len(parts) == 4
    counts = sv.winners_losers(view)
    assert "Flat growth quotas" not in set(counts["Design"])  # it pays no rep differently
    assert "Largest gains and losses under" in parts[2].data
    chart = parts[3].to_dict()
    shown = {row["variant"] for row in chart["datasets"][next(iter(chart["datasets"]))]}
    assert shown == {"Steeper accelerator", "Proposed enterprise"}  # designs with changes
    bare = sv.StudyView(view.name, view.seed, view.summary, view.results)
    assert "names no history" in sv.winners_losers_section(bare)[0].data
