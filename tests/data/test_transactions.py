"""Loading deals, quotas and roster CSVs: every bad row is reported with file, line and column.

A tiny setup throughout: one quarterly plan `ae` (commission on new_arr, weight 0.9, and an
MBO on mbo_score, weight 0.1) and three reps:

    A  on the plan all year
    B  starts 2027-03-01, last day 2027-10-31
    C  on the plan all year

Line numbers are lines of the file: the header is line 1, the first data row line 2.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spmsim.data.transactions import load_transactions
from spmsim.errors import InputError
from spmsim.plans import plan_from_dict

PLAN = {
    "plan": "Test AE FY27",
    "ote": 200_000,
    "base_share": 0.5,
    "payout_period": "quarter",
    "year_start": "2027-01-01",
    "components": [
        {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 0.9},
        {"name": "MBO", "type": "mbo", "measure": "mbo_score", "weight": 0.1},
    ],
}
PLANS = {"ae": plan_from_dict(PLAN)}

HEADERS = {
    "deals": "deal_id,rep_id,date,measure,amount,split,cancel_date",
    "quotas": "rep_id,measure,quota",
    "roster": "rep_id,plan,team,start_date,end_date",
}
ROSTER = ["A,ae,east,,", "B,ae,east,2027-03-01,2027-10-31", "C,ae,west,,"]
QUOTAS = ["A,new_arr,1000000", "B,new_arr,800000", "C,new_arr,1200000"]
DEALS = [
    "D1,A,2027-01-01,new_arr,100000,,",
    "D2,B,2027-03-01,new_arr,50000,0.25,",
    "D2,C,2027-03-01,new_arr,50000,0.75,",
    "D3,C,2027-12-31,new_arr,20000,,",
    "D4,B,2027-10-31,new_arr,30000,,2027-11-15",
    "S1,A,2027-03-31,mbo_score,1.0,,",
    "S2,C,2027-06-30,mbo_score,0.5,,",
]

LOCATION = re.compile(r"^(?P<file>.+?): line (?P<line>\d+), (?P<column>\w+)=")


def write(path: Path, kind: str, rows: list[str], header: str | None = None) -> Path:
    header = HEADERS[kind] if header is None else header
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows))
    return path


def files(tmp_path: Path, deals=None, quotas=None, roster=None) -> dict[str, Path]:
    """The three CSVs in tmp_path, the valid ones unless rows are given."""
    return {"deals": write(tmp_path / "deals.csv", "deals", DEALS if deals is None else deals),
            "quotas": write(tmp_path / "quotas.csv", "quotas",
                            QUOTAS if quotas is None else quotas),
            "roster": write(tmp_path / "roster.csv", "roster",
                            ROSTER if roster is None else roster)}


def load(paths: dict[str, Path], plans=None):
    return load_transactions(PLANS if plans is None else plans, paths["deals"],
                             paths["quotas"], paths["roster"])


def rejected(tmp_path: Path, kind: str, rows: list[str]) -> tuple[Path, InputError]:
    """Load with `rows` as the `kind` file; return that file's path and the InputError."""
    paths = files(tmp_path, **{kind: rows})
    with pytest.raises(InputError) as info:
        load(paths)
    err = info.value
    # every line of the message names the file that is wrong, and only that file
    assert err.file == str(paths[kind])
    for line in str(err).splitlines():
        assert line.startswith(f"{paths[kind]}: "), line
    return paths[kind], err


def flagged(err: InputError, column: str) -> dict[int, list[str]]:
    """Line number -> messages of the problems reported in `column`."""
    out: dict[int, list[str]] = {}
    for line in str(err).splitlines():
        m = LOCATION.match(line)
        if m and m["column"] == column:
            out.setdefault(int(m["line"]), []).append(line)
    return out


def assert_flagged(err: InputError, column: str, lines: set[int], text: str) -> None:
    """Exactly `lines` are reported in `column`, each with a message containing `text`."""
    got = flagged(err, column)
    assert set(got) == lines, str(err)
    for messages in got.values():
        assert any(text in m for m in messages), str(err)


# --- a valid file set ----------------------------------------------------------------------


def test_valid_files_load_with_credit_equal_to_amount_times_split(tmp_path):
    tx = load(files(tmp_path))
    deals = tx.deals
    assert len(deals) == len(DEALS)
    assert list(deals["deal_id"]) == ["D1", "D2", "D2", "D3", "D4", "S1", "S2"]
    np.testing.assert_allclose(deals["split"], [1, 0.25, 0.75, 1, 1, 1, 1])
    np.testing.assert_allclose(deals["credit"], deals["amount"] * deals["split"])
    np.testing.assert_allclose(deals["credit"],
                               [100_000, 12_500, 37_500, 20_000, 30_000, 1.0, 0.5])
    # the two shares of D2 credit the whole deal once
    assert deals.loc[deals["deal_id"] == "D2", "credit"].sum() == pytest.approx(50_000)
    assert deals["date"].iloc[0] == pd.Timestamp("2027-01-01")
    assert deals["cancel_date"].iloc[4] == pd.Timestamp("2027-11-15")
    assert deals["cancel_date"].drop(index=4).isna().all()
    assert dict(zip(tx.quotas["rep_id"], tx.quotas["quota"], strict=True)) == {
        "A": 1_000_000, "B": 800_000, "C": 1_200_000}
    roster = tx.roster.set_index("rep_id")
    assert list(roster.index) == ["A", "B", "C"]
    assert (roster["plan"] == "ae").all()
    assert roster.loc["B", "start_date"] == pd.Timestamp("2027-03-01")
    assert roster.loc["B", "end_date"] == pd.Timestamp("2027-10-31")
    assert pd.isna(roster.loc["A", "start_date"]) and pd.isna(roster.loc["A", "end_date"])
    assert set(tx.plans) == {"ae"}


def test_optional_columns_may_be_left_out_and_roster_may_use_the_plan_name(tmp_path):
    paths = files(tmp_path)
    write(paths["roster"], "roster", ["A,Test AE FY27", "B,ae", "C,ae"], header="rep_id,plan")
    write(paths["deals"], "deals", ["D1,A,2027-02-01,new_arr,10", "D2,C,2027-05-01,new_arr,20"],
          header="deal_id,rep_id,date,measure,amount")
    tx = load(paths)
    assert list(tx.roster["plan"]) == ["ae", "ae", "ae"]  # the plan's name maps to its key
    assert (tx.roster["team"] == "").all()
    assert tx.roster["start_date"].isna().all() and tx.roster["end_date"].isna().all()
    assert list(tx.deals["split"]) == [1.0, 1.0]
    assert list(tx.deals["credit"]) == [10.0, 20.0]
    assert tx.deals["cancel_date"].isna().all()


def test_cells_are_stripped_of_spaces(tmp_path):
    paths = files(tmp_path, deals=["D1 , A , 2027-02-01 , new_arr , 10 , 0.5 , ",
                                   "D1, C, 2027-02-01, new_arr, 10, 0.5, "])
    tx = load(paths)
    assert list(tx.deals["rep_id"]) == ["A", "C"]
    assert list(tx.deals["credit"]) == [5.0, 5.0]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.integers(1, 1000), min_size=1, max_size=5),
       cents=st.integers(0, 10**10))
def test_split_credits_of_a_deal_add_up_to_its_amount(tmp_path, parts, cents):
    reps = [f"R{i}" for i in range(len(parts))]
    total = sum(parts)
    shares = [p / total for p in parts]
    assert abs(math.fsum(shares) - 1.0) < 1e-9
    amount = cents / 100
    roster = [f"{r},ae,t," for r in reps]
    quotas = [f"{r},new_arr,1000000" for r in reps]
    deals = [f"D1,{r},2027-06-15,new_arr,{amount!r},{s!r},"
             for r, s in zip(reps, shares, strict=True)]
    deals.append(f"D2,{reps[0]},2027-07-01,new_arr,5.0,,")
    tx = load(files(tmp_path, deals=deals, quotas=quotas, roster=roster))
    d1 = tx.deals[tx.deals["deal_id"] == "D1"]
    assert len(d1) == len(parts)
    np.testing.assert_allclose(d1["credit"], [amount * s for s in shares])
    assert d1["credit"].sum() == pytest.approx(amount, rel=1e-9, abs=1e-9)
    assert tx.deals["credit"].sum() == pytest.approx(amount + 5.0, rel=1e-9, abs=1e-9)


# --- missing columns -----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "header", "missing"), [
    ("deals", "deal_id,rep,date,amount,split", ["rep_id", "measure"]),
    ("quotas", "rep_id,quota", ["measure"]),
    ("roster", "rep,team", ["rep_id", "plan"]),
])
def test_missing_columns_are_all_named(tmp_path, kind, header, missing):
    paths = files(tmp_path)
    write(paths[kind], kind, [",".join(["x"] * len(header.split(",")))], header=header)
    with pytest.raises(InputError) as info:
        load(paths)
    message = str(info.value)
    assert info.value.file == str(paths[kind])
    assert message.startswith(f"{paths[kind]}: ")
    assert "missing columns" in message
    for column in missing:
        assert repr(column) in message.split("; expected")[0], message


# --- deals ---------------------------------------------------------------------------------


def test_unparseable_dates_are_all_reported(tmp_path):
    path, err = rejected(tmp_path, "deals", [
        "D1,A,2027-13-01,new_arr,10,,",
        "D2,A,2027-02-01,new_arr,10,,",
        "D3,C,05/01/2027,new_arr,10,,",
        "D4,C,,new_arr,10,,",
    ])
    assert_flagged(err, "date", {2, 4, 5}, "YYYY-MM-DD")
    assert f"{path}: line 2, date='2027-13-01'" in str(err)
    assert f"{path}: line 4, date='05/01/2027'" in str(err)


def test_unparseable_cancel_dates_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2027-02-01,new_arr,10,,2027-02-30",
        "D2,A,2027-02-01,new_arr,10,,2027-03-01",
        "D3,C,2027-02-01,new_arr,10,,soon",
    ])
    assert_flagged(err, "cancel_date", {2, 4}, "YYYY-MM-DD")


def test_cancel_dates_before_the_deal_date_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2027-02-01,new_arr,10,,2027-01-31",
        "D2,A,2027-02-01,new_arr,10,,2027-02-01",  # cancelled the same day: allowed
        "D3,C,2027-06-01,new_arr,10,,2027-05-01",
    ])
    assert_flagged(err, "cancel_date", {2, 4}, "is before date")


def test_negative_scores_are_all_reported_negative_credit_is_a_memo(tmp_path):
    # a negative amount on a credited measure is a credit memo (issue 15); a score is not
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2027-02-01,mbo_score,-0.5,,",
        "D2,A,2027-02-01,new_arr,-10,,",  # a credit memo
        "D3,C,2027-02-01,mbo_score,-0.01,,",
        "D4,C,2027-02-01,new_arr,-5,,2027-03-01",  # a memo is not cancelled
    ])
    assert_flagged(err, "amount", {2, 4}, "must not be negative")
    assert set(flagged(err, "cancel_date")) == {5}


def test_non_numeric_amounts_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2027-02-01,new_arr,12k,,",
        "D2,A,2027-02-01,new_arr,12.5,,",
        'D3,C,2027-02-01,new_arr,"1,000",,',
        "D4,C,2027-02-01,new_arr,,,",
    ])
    assert_flagged(err, "amount", {2, 4, 5}, "not a number")


def test_unknown_reps_in_deals_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,Z,2027-02-01,new_arr,10,,",
        "D2,A,2027-02-01,new_arr,10,,",
        "D3,a,2027-02-01,new_arr,10,,",  # ids are case-sensitive
    ])
    assert_flagged(err, "rep_id", {2, 4}, "not in the roster")


def test_unknown_measures_are_all_reported_with_the_known_ones(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2027-02-01,new_ar,10,,",
        "D2,A,2027-02-01,new_arr,10,,",
        "D3,C,2027-02-01,renewals,10,,",
    ])
    assert_flagged(err, "measure", {2, 4}, "no loaded plan pays on this measure")
    assert "['mbo_score', 'new_arr']" in str(err)


def test_mbo_scores_above_one_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "S1,A,2027-03-31,mbo_score,1.5,,",
        "S2,A,2027-06-30,mbo_score,1.0,,",
        "S3,C,2027-03-31,mbo_score,80,,",
    ])
    assert_flagged(err, "amount", {2, 4}, "MBO score")


def test_a_deal_id_used_twice_without_split_is_reported_on_both_lines(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2027-02-01,new_arr,10,,",
        "D2,A,2027-02-01,new_arr,10,,",
        "D1,C,2027-02-01,new_arr,10,,",
    ])
    assert_flagged(err, "deal_id", {2, 4}, "duplicated deal id")


def test_a_deal_credited_twice_to_one_rep_is_reported_on_both_lines(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2027-02-01,new_arr,10,0.5,",
        "D2,A,2027-02-01,new_arr,10,,",
        "D1,A,2027-02-01,new_arr,10,0.5,",
    ])
    assert_flagged(err, "deal_id", {2, 4}, "credited twice to this rep")
    assert "repeated on lines [2, 4]" in str(err)


def test_split_shares_not_adding_up_to_one_are_reported_for_every_deal(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2027-02-01,new_arr,10,0.5,",
        "D1,C,2027-02-01,new_arr,10,0.4,",
        "D2,A,2027-02-01,new_arr,10,,",
        "D3,A,2027-02-01,new_arr,10,0.6,",
        "D3,C,2027-02-01,new_arr,10,0.6,",
        "D4,C,2027-02-01,new_arr,10,0.5,",  # a single row with half a share
    ])
    assert_flagged(err, "deal_id", {2, 3, 5, 6, 7}, "not 1")
    message = str(err)
    assert "line 2, deal_id='D1': split shares of this deal add up to 0.9, not 1" in message
    assert "line 5, deal_id='D3': split shares of this deal add up to 1.2, not 1" in message
    assert "line 7, deal_id='D4': split shares of this deal add up to 0.5, not 1" in message


def test_split_rows_disagreeing_on_the_amount_are_reported(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2027-02-01,new_arr,100,0.5,",
        "D1,C,2027-02-01,new_arr,200,0.5,",
        "D2,A,2027-02-01,new_arr,10,,",
        "D3,A,2027-02-01,new_arr,300,0.5,",
        "D3,C,2027-02-01,new_arr,30,0.5,",
    ])
    assert_flagged(err, "amount", {2, 3, 5, 6}, "disagree")


def test_split_rows_disagreeing_on_date_or_measure_are_reported(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2027-02-01,new_arr,100,0.5,",
        "D1,C,2027-02-02,new_arr,100,0.5,",
        "D2,A,2027-02-01,new_arr,100,0.5,2027-03-01",
        "D2,C,2027-02-01,new_arr,100,0.5,",
    ])
    assert_flagged(err, "date", {2, 3}, "disagree")
    assert_flagged(err, "cancel_date", {4, 5}, "disagree")


@pytest.mark.parametrize("bad", ["0", "1.5", "-0.25", "half"])
def test_split_shares_outside_zero_to_one_are_reported(tmp_path, bad):
    _, err = rejected(tmp_path, "deals", [
        f"D1,A,2027-02-01,new_arr,10,{bad},",
        "D2,A,2027-02-01,new_arr,10,1,",
        f"D3,C,2027-02-01,new_arr,10,{bad},",
    ])
    assert_flagged(err, "split", {2, 4}, "(0, 1]")


def test_deals_outside_the_plan_year_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,2026-12-31,new_arr,10,,",
        "D2,A,2027-01-01,new_arr,10,,",  # first and last day are in the year
        "D3,C,2028-01-01,new_arr,10,,",
        "D4,C,2027-12-31,new_arr,10,,",
    ])
    assert_flagged(err, "date", {2, 4}, "outside the plan year 2027-01-01 to 2027-12-31")


def test_deals_before_start_or_after_end_date_of_the_rep_are_all_reported(tmp_path):
    # B is on the plan from 2027-03-01 to 2027-10-31, both days included
    _, err = rejected(tmp_path, "deals", [
        "D1,B,2027-02-28,new_arr,10,,",
        "D2,B,2027-03-01,new_arr,10,,",
        "D3,B,2027-10-31,new_arr,10,,",
        "D4,B,2027-11-01,new_arr,10,,",
        "D5,B,2027-01-15,new_arr,10,,",
    ])
    got = flagged(err, "date")
    assert set(got) == {2, 5, 6}, str(err)
    assert "before the rep's start_date" in got[2][0]
    assert "after the rep's end_date" in got[5][0]
    assert "before the rep's start_date" in got[6][0]


def test_problems_of_different_kinds_in_one_file_are_reported_together(tmp_path):
    _, err = rejected(tmp_path, "deals", [
        "D1,A,not-a-date,new_arr,10,,",
        "D2,Z,2027-02-01,new_arr,10,,",
        "D3,A,2027-02-01,mbo_score,-1,,",
        "D4,A,2027-02-01,bogus,10,,",
    ])
    assert set(flagged(err, "date")) == {2}
    assert set(flagged(err, "rep_id")) == {3}
    assert set(flagged(err, "amount")) == {4}
    assert set(flagged(err, "measure")) == {5}
    assert len(err.problems) == 4


def test_more_than_twenty_problems_are_summarised(tmp_path):
    _, err = rejected(tmp_path, "deals", [f"D{i},A,2030-01-01,new_arr,10,," for i in range(25)])
    assert len(err.problems) == 25
    lines = str(err).splitlines()
    assert len(lines) == 21
    assert lines[-1].endswith("... and 5 more problems of the same kind")


# --- quotas --------------------------------------------------------------------------------


def test_negative_and_zero_quotas_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "quotas", ["A,new_arr,-5", "B,new_arr,800000", "C,new_arr,0"])
    assert_flagged(err, "quota", {2, 4}, "must be greater than 0")


def test_non_numeric_quotas_are_reported(tmp_path):
    _, err = rejected(tmp_path, "quotas", ["A,new_arr,1M", "B,new_arr,800000", "C,new_arr,"])
    assert_flagged(err, "quota", {2, 4}, "not a number")


def test_quotas_for_reps_not_in_the_roster_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "quotas", [*QUOTAS, "Z,new_arr,10", "Y,new_arr,10"])
    assert_flagged(err, "rep_id", {5, 6}, "not in the roster")


def test_duplicate_quota_rows_are_reported_with_both_lines(tmp_path):
    _, err = rejected(tmp_path, "quotas", [*QUOTAS, "A,new_arr,5"])
    assert_flagged(err, "rep_id", {2, 5}, "repeated on lines [2, 5]")


def test_every_rep_missing_a_quota_is_named_with_the_measure(tmp_path):
    path, err = rejected(tmp_path, "quotas", ["A,new_arr,1000000", "B,new_ar,5"])
    message = str(err)
    assert f"{path}: rep B: plan 'ae' pays on 'new_arr'" in message
    assert f"{path}: rep C: plan 'ae' pays on 'new_arr'" in message
    assert "rep A" not in message
    assert "B,new_arr,<annual quota>" in message


def test_an_mbo_needs_no_quota(tmp_path):
    tx = load(files(tmp_path))  # QUOTAS has no mbo_score rows
    assert set(tx.quotas["measure"]) == {"new_arr"}


# --- roster --------------------------------------------------------------------------------


def test_duplicate_rep_ids_in_the_roster_are_reported_with_all_lines(tmp_path):
    _, err = rejected(tmp_path, "roster", ["A,ae,east,,", "B,ae,east,,", "A,ae,west,,",
                                           "C,ae,west,,", "A,ae,west,,"])
    assert_flagged(err, "rep_id", {2, 4, 6}, "repeated on lines [2, 4, 6]")


def test_unknown_plans_in_the_roster_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "roster", ["A,enterprise,east,,", "B,ae,east,,",
                                           "C,Test AE,west,,"])
    assert_flagged(err, "plan", {2, 4}, "unknown plan")
    assert "['ae']" in str(err)


def test_end_dates_before_start_dates_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "roster", ["A,ae,east,2027-05-01,2027-04-30",
                                           "B,ae,east,2027-03-01,2027-03-01",  # one day: fine
                                           "C,ae,west,2027-12-01,2027-01-01"])
    assert_flagged(err, "end_date", {2, 4}, "is before start_date")


def test_unparseable_roster_dates_are_all_reported(tmp_path):
    _, err = rejected(tmp_path, "roster", ["A,ae,east,2027-02-30,", "B,ae,east,,",
                                           "C,ae,west,March,"])
    assert_flagged(err, "start_date", {2, 4}, "YYYY-MM-DD")


# --- bugs ----------------------------------------------------------------------------------


def test_line_numbers_count_blank_lines(tmp_path):
    paths = files(tmp_path)
    paths["deals"].write_text(HEADERS["deals"] + "\n"
                              "D1,A,2027-02-01,new_arr,10,,\n"
                              "\n"
                              "D2,A,2027-13-01,new_arr,10,,\n")
    with pytest.raises(InputError) as info:
        load(paths)
    assert set(flagged(info.value, "date")) == {4}, str(info.value)


@pytest.mark.parametrize(("kind", "rows", "column", "line"), [
    ("deals", ["D1,A,2027-02-01,new_arr,inf,,"], "amount", 2),
    ("deals", ["D1,A,2027-02-01,new_arr,1e999,,"], "amount", 2),
    ("quotas", ["A,new_arr,inf", "B,new_arr,800000", "C,new_arr,1200000"], "quota", 2),
])
def test_infinite_numbers_are_rejected(tmp_path, kind, rows, column, line):
    paths = files(tmp_path, **{kind: rows})
    with pytest.raises(InputError) as info:
        load(paths)
    assert set(flagged(info.value, column)) == {line}, str(info.value)


def test_split_rows_with_the_same_amount_written_differently_agree(tmp_path):
    tx = load(files(tmp_path, deals=["D1,A,2027-02-01,new_arr,100,0.5,",
                                     "D1,C,2027-02-01,new_arr,100.0,0.5,"]))
    assert tx.deals["credit"].sum() == pytest.approx(100.0)


def test_a_trailing_comma_does_not_shift_columns(tmp_path):
    paths = files(tmp_path)
    paths["deals"].write_text(HEADERS["deals"] + "\n"
                              "D1,A,2027-02-01,new_arr,10,,,\n"
                              "D2,C,2027-03-01,new_arr,20,,,\n")
    try:
        tx = load(paths)
    except InputError as e:  # refusing the file is fine, blaming the wrong columns is not
        assert "line 2" in str(e)
        assert "rep_id='2027-02-01'" not in str(e), str(e)
        assert "date='new_arr'" not in str(e), str(e)
    else:
        assert list(tx.deals["deal_id"]) == ["D1", "D2"]
        assert list(tx.deals["rep_id"]) == ["A", "C"]
        assert list(tx.deals["credit"]) == [10.0, 20.0]


def test_extra_values_beyond_the_header_are_refused_with_their_line(tmp_path):
    paths = files(tmp_path)
    paths["deals"].write_text(HEADERS["deals"] + "\n"
                              "D1,A,2027-02-01,new_arr,10,,\n"
                              "D2,C,2027-03-01,new_arr,20,,,oops\n")
    with pytest.raises(InputError) as info:
        load(paths)
    assert str(info.value).count("line ") == 1
    assert "line 3: 8 fields but the header has 7" in str(info.value)


def test_a_duplicated_deal_id_is_reported_once_per_row(tmp_path):
    with pytest.raises(InputError) as info:
        load(files(tmp_path, deals=["D1,A,2027-02-01,new_arr,10,,",
                                    "D1,A,2027-02-01,new_arr,10,,"]))
    assert len(info.value.problems) == 2, str(info.value)
    assert all("duplicated deal id" in p.message for p in info.value.problems)


def test_bad_deals_and_bad_quotas_are_reported_together(tmp_path):
    from spmsim.errors import InputErrors

    paths = files(tmp_path, deals=["D1,A,2027-02-30,new_arr,10,,"],
                  quotas=["A,new_arr,-5", "B,new_arr,800000", "C,new_arr,1200000"])
    with pytest.raises(InputErrors) as info:
        load(paths)
    text = str(info.value)
    assert str(paths["deals"]) in text and "not a date" in text
    assert str(paths["quotas"]) in text and "must be greater than 0" in text
