"""Contests in replay: the leaderboard and a rep's place in the statement, worked by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from spmsim.data.transactions import load_transactions
from spmsim.history.leaderboard import leaderboard
from spmsim.history.replay import replay
from spmsim.history.statement import statement
from spmsim.plans import plan_from_dict

PLAN = {"plan": "AE with a Q4 push", "ote": 200_000, "base_share": 0.5,
        "payout_period": "quarter", "year_start": "2027-01-01",
        "components": [
            {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 1.0},
            {"name": "Q4 push", "type": "contest", "measure": "new_arr", "periods": [4],
             "prizes": [10_000, 5_000], "qualify": 50_000}]}
DEALS = ["deal_id,rep_id,date,measure,amount,split,cancel_date",
         "D1,A,2027-02-01,new_arr,500000,,",   # before the window: no contest credit
         "D2,A,2027-10-05,new_arr,60000,,",
         "D3,B,2027-11-20,new_arr,90000,,",
         "D4,C,2027-12-01,new_arr,40000,,",    # under the 50,000 bar
         "D5,D,2027-12-15,new_arr,60000,,"]    # ties A
QUOTAS = ["rep_id,measure,quota"] + [f"{r},new_arr,1000000" for r in "ABCD"]
ROSTER = ["rep_id,plan,team,start_date,end_date"] + [f"{r},ae,,," for r in "ABCD"]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, rows in (("deals", DEALS), ("quotas", QUOTAS), ("roster", ROSTER)):
        out[name] = tmp_path / f"{name}.csv"
        out[name].write_text("\n".join(rows) + "\n")
    out["plan"] = tmp_path / "ae.yaml"
    import yaml
    out["plan"].write_text(yaml.safe_dump(PLAN, sort_keys=False))
    return out


def _result(files):
    plans = {"ae": plan_from_dict(PLAN)}
    return replay(load_transactions(plans, files["deals"], files["quotas"], files["roster"]))


def test_q4_places_ties_split_and_the_bar(files):
    result = _result(files)
    board = leaderboard(result)
    # Q4 credit: B 90,000 first (10,000); A and D 60,000 tie for second: they share places
    # 2-3, (5,000 + 0) / 2 = 2,500 each; C 40,000 is under the 50,000 bar: out (rank 0)
    assert board[["rep_id", "rank", "credit", "prize"]].values.tolist() == [
        ["B", 1, 90_000, 10_000], ["A", 2, 60_000, 2_500], ["D", 2, 60_000, 2_500],
        ["C", 0, 40_000, 0]]
    assert set(board["period_label"]) == {"2027-Q4"}
    assert board["attainment"].tolist() == pytest.approx([0.36, 0.24, 0.24, 0.16])  # of 250,000
    by_comp = result.by_component
    prizes = by_comp[by_comp["component"] == "Q4 push"].groupby("rep_id")["paid"].sum()
    assert prizes.to_dict() == {"A": 2_500, "B": 10_000, "C": 0, "D": 2_500}


def test_the_statement_shows_the_place_and_the_gap(files):
    text = statement(_result(files), "A")
    assert "place 2 of 3 with 60,000.00: prize 2,500.00 if it ended now" in text
    assert "30,000.00 more to draw level with a larger prize (10,000.00)" in text
    out = statement(_result(files), "C")
    assert "not in the running: 40,000.00, the bar is 50,000.00" in out


def test_replay_writes_the_leaderboard(files, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "spmsim", "replay", "--plan", str(files["plan"]),
         "--deals", str(files["deals"]), "--quotas", str(files["quotas"]),
         "--roster", str(files["roster"]), "--out", str(out)],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    board = pd.read_csv(out / "leaderboard.csv")
    assert board["prize"].sum() == 15_000
    assert "leaderboard.csv" in done.stdout


def test_no_contest_no_leaderboard(files):
    plan = {**PLAN, "components": PLAN["components"][:1]}
    tx = load_transactions({"ae": plan_from_dict(plan)}, files["deals"], files["quotas"],
                           files["roster"])
    assert leaderboard(replay(tx)).empty


def test_a_team_contest_leaderboard_ranks_the_teams(tmp_path):
    # teams from the roster: {A, B} 60,000 + 90,000 = 150,000 in Q4; {C, D} 40,000 +
    # 60,000 = 100,000. Team 1 wins 10,000 (5,000 each), team 2 takes 5,000 (2,500 each)
    plan = {**PLAN, "components": [PLAN["components"][0],
                                   {"name": "Team push", "type": "contest",
                                    "measure": "new_arr", "credit": "team", "periods": [4],
                                    "prizes": [10_000, 5_000]}]}
    roster = ["rep_id,plan,team,start_date,end_date", "A,ae,t1,,", "B,ae,t1,,", "C,ae,t2,,",
              "D,ae,t2,,"]
    files = {}
    for name, rows in (("deals", DEALS), ("quotas", QUOTAS), ("roster", roster)):
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_text("\n".join(rows) + "\n")
    tx = load_transactions({"ae": plan_from_dict(plan)}, files["deals"], files["quotas"],
                           files["roster"])
    board = leaderboard(replay(tx)).set_index("rep_id")
    assert board["rank"].to_dict() == {"A": 1, "B": 1, "C": 2, "D": 2}
    assert board["prize"].to_dict() == {"A": 5_000, "B": 5_000, "C": 2_500, "D": 2_500}
    assert board.loc["A", "credit"] == 150_000  # the team's Q4 credit, which each holds


# ------------------------------------------------------------------ growth over last year

GROWTH = {**PLAN, "quota_weights": [0.1, 0.2, 0.3, 0.4], "components": [
    PLAN["components"][0],
    {"name": "Q4 growth", "type": "contest", "measure": "new_arr", "periods": [4],
     "rank_by": "growth", "prizes": [10_000, 5_000]}]}


def _growth_result(files, roster: list[str]):
    files["roster"].write_text("\n".join(roster) + "\n")
    plans = {"ae": plan_from_dict(GROWTH)}
    return replay(load_transactions(plans, files["deals"], files["quotas"], files["roster"]))


def test_growth_ranks_on_the_rosters_last_year_prorated_by_the_quota_weights(files):
    # Q4 carries 40 % of the year. Last year: A 100,000 -> 40,000 in Q4, 60,000 now: +50 %;
    # B 300,000 -> 120,000, 90,000 now: -25 %, shrank: out; C blank (a new hire): out;
    # D 50,000 -> 20,000, 60,000 now: +200 % first (10,000); A second (5,000)
    roster = ["rep_id,plan,team,start_date,end_date,last_year_new_arr",
              "A,ae,,,,100000", "B,ae,,,,300000", "C,ae,,,,", "D,ae,,,,50000"]
    board = leaderboard(_growth_result(files, roster))
    assert board[["rep_id", "rank", "prize"]].values.tolist() == [
        ["D", 1, 10_000], ["A", 2, 5_000], ["B", 0, 0], ["C", 0, 0]]
    assert board["growth"].tolist() == pytest.approx([2.0, 0.5, -0.25, float("nan")],
                                                     nan_ok=True)


def test_a_growth_contest_needs_the_rosters_last_year_column(files):
    from spmsim.errors import InputError
    with pytest.raises(InputError, match=r"missing columns \['last_year_new_arr'\]"):
        _growth_result(files, ROSTER)
    bad = ["rep_id,plan,team,start_date,end_date,last_year_new_arr", "A,ae,,,,lots",
           "B,ae,,,,", "C,ae,,,,", "D,ae,,,,-5"]
    with pytest.raises(InputError) as e:
        _growth_result(files, bad)
    assert "line 2" in str(e.value) and "not a number" in str(e.value)
    assert "line 5" in str(e.value) and "must not be negative" in str(e.value)


# ------------------------------------------------------------------ a window by dates

def test_a_dated_window_counts_deals_by_their_dates_exactly(files):
    # 5 October to 30 November, both inclusive, on the quarterly plan: A's deal on 5
    # October (the first day) and B's on 20 November count; C's on 1 December (the day
    # after) and D's on 15 December do not. B 90,000 first (10,000), A 60,000 second (5,000).
    # Spread by days instead, each Q4 deal would count 57/92 of itself and D would place.
    dated = {**PLAN, "components": [PLAN["components"][0], {
        "name": "Autumn push", "type": "contest", "measure": "new_arr", "prizes": [10_000, 5_000],
        "dates": {"start": "2027-10-05", "end": "2027-11-30"}}]}
    plans = {"ae": plan_from_dict(dated)}
    board = leaderboard(replay(load_transactions(plans, files["deals"], files["quotas"],
                                                 files["roster"])))
    assert board[["rep_id", "rank", "credit", "prize"]].values.tolist() == [
        ["B", 1, 90_000, 10_000], ["A", 2, 60_000, 5_000], ["C", 0, 0, 0], ["D", 0, 0, 0]]
    # attainment against the window's share of the 1,000,000 quota: 57/92 of a quarter
    assert board["attainment"].iloc[0] == pytest.approx(90_000 / (1_000_000 * 57 / 92 / 4))
