"""CRM history: reading, column mapping, row checks with line numbers, the synthetic
generator and the shipped example."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spmsim.cli import main
from spmsim.data.crm import COLUMNS, ColumnMapping, StageNames, check_history, read_history
from spmsim.errors import InputError, InputErrors
from spmsim.model.market import Stage
from spmsim.synthetic.history import (
    EXAMPLE_MAPPING,
    HistoryParams,
    synthetic_history,
    write_example,
    write_history,
)

from paths import CRM_EXAMPLE

FRAMES = tuple(COLUMNS)
SMALL = HistoryParams(reps=6, months=4, burn_in_months=2, hires=(), seed=11)


def _same(a, b) -> None:
    for kind in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, kind), getattr(b, kind), obj=kind)


@pytest.fixture(scope="module")
def small():
    return synthetic_history(SMALL)


@pytest.fixture
def folder(tmp_path, small):
    write_history(small, tmp_path / "crm")
    return tmp_path / "crm"


def _edit(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell; `line` counts the header as line 1."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[line - 2, column] = value
    df.to_csv(path, index=False, lineterminator="\n")


# ---- reading and the shipped example ---------------------------------------------------

def test_written_history_reads_back_with_typed_columns(folder, small):
    history = read_history(folder)
    _same(history, small)
    o = history.opportunities
    assert o["Amount"].dtype == float and o["IsWon"].dtype == bool
    assert str(o["CloseDate"].dtype) == "datetime64[ns]"
    assert history.report.ok and history.report.rows["opportunities.csv"] == len(o)


def test_shipped_example_is_the_generator_output_and_reads_with_its_mapping(tmp_path):
    written = write_example(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in CRM_EXAMPLE.iterdir())
    for p in written:
        assert p.read_bytes() == (CRM_EXAMPLE / p.name).read_bytes(), p.name
    header = (CRM_EXAMPLE / "roster.csv").read_text().splitlines()[0]
    assert header == "Employee ID,Full Name,Job Title,Hire Date,Termination Date"
    history = read_history(CRM_EXAMPLE)  # the folder's mapping.yaml is applied
    assert set(history.roster["Role"]) == {"Enterprise AE"}
    months = (history.as_of - history.opportunities["CreatedDate"].min()).days / 30.4
    assert history.as_of == pd.Timestamp("2026-12-31") and months > 24
    assert 40 <= history.roster["EndDate"].isna().sum() <= 46  # 40 seats + 4 growth hires


def test_same_seed_same_bytes_other_seed_other_history(tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        write_history(synthetic_history(SMALL.model_copy(update={"seed": seed})),
                      tmp_path / name)
    for kind in FRAMES:
        a, b, c = ((tmp_path / n / f"{kind}.csv").read_bytes() for n in "abc")
        assert a == b
        if kind == "opportunities":
            assert a != c


# ---- checking rows --------------------------------------------------------------------

def test_each_kind_of_bad_row_is_reported_with_its_spreadsheet_line(folder, small):
    o = small.opportunities
    won = [i + 2 for i in o.index[o["IsWon"]] if i + 2 not in (3, 5, 7)]
    lines = {"date": 3, "amount": 5, "owner": 7, "won": won[0]}
    path = folder / "opportunities.csv"
    _edit(path, lines["date"], "CreatedDate", "2025-13-01")
    _edit(path, lines["amount"], "Amount", "12x")
    _edit(path, lines["owner"], "OwnerId", "005999")
    _edit(path, lines["won"], "Amount", "")
    with pytest.raises(InputErrors) as info:
        read_history(folder)
    text = str(info.value)
    assert f"line {lines['date']}, CreatedDate='2025-13-01': not a date" in text
    assert f"line {lines['amount']}, Amount='12x': not a number" in text
    assert f"line {lines['owner']}, OwnerId='005999': not in the roster" in text
    assert f"line {lines['won']}, Amount='': a won deal needs its amount" in text
    assert (f"opportunities.csv: summary: 4 of {len(o):,} rows bad (1 bad dates, 1 bad amounts,"
            " 1 closed-won without amount, 1 unknown owners); line numbers count the header "
            "as line 1") in text
    assert "--drop-bad" in text
    # the stage history of the four bad opportunities refers to rows that are now bad
    bad_ids = o["Id"].iloc[[v - 2 for v in lines.values()]]
    orphans = small.stage_history["OpportunityId"].isin(bad_ids)
    assert f"stage_history.csv: summary: {orphans.sum()} of" in text


def test_drop_bad_goes_on_with_exactly_the_good_rows(folder, small):
    _edit(folder / "opportunities.csv", 4, "CloseDate", "31/01/2025")
    _edit(folder / "roster.csv", 3, "Role", "")
    _, report = check_history(folder)
    gone_rep = small.roster["Id"].iloc[1]  # its roster row is bad: its deals' owner unknown
    owned = (small.opportunities["OwnerId"] == gone_rep) & (small.opportunities.index != 2)
    assert owned.sum() > 0
    assert report.bad["roster.csv"] == 1
    assert report.bad["opportunities.csv"] == 1 + owned.sum()
    assert report.kinds["opportunities.csv"] == {"bad dates": 1, "unknown owners": owned.sum()}
    kept = read_history(folder, drop_bad=True)
    expect = small.opportunities[(small.opportunities.index != 2) &
                                 (small.opportunities["OwnerId"] != gone_rep)]
    pd.testing.assert_frame_equal(kept.opportunities, expect.reset_index(drop=True))
    sh = small.stage_history
    pd.testing.assert_frame_equal(kept.stage_history,
                                  sh[sh["OpportunityId"].isin(expect["Id"])]
                                  .reset_index(drop=True))
    assert len(kept.roster) == len(small.roster) - 1


def test_roster_and_flag_problems(folder):
    _edit(folder / "roster.csv", 2, "EndDate", "2000-01-01")
    _edit(folder / "roster.csv", 4, "Id", "")
    _edit(folder / "opportunities.csv", 2, "IsClosed", "maybe")
    _edit(folder / "opportunities.csv", 6, "StageName", "Won-ish")
    _, report = check_history(folder)
    problems = {f: [str(p) for p in ps] for f, ps in report.problems.items()}
    assert any(p.startswith("line 2, EndDate='2000-01-01': is before StartDate")
               for p in problems["roster.csv"])
    assert any(p.startswith("line 4, Id='': give every row an id") for p in problems["roster.csv"])
    assert any(p.startswith("line 2, IsClosed='maybe': write true or false")
               for p in problems["opportunities.csv"])
    assert any(p.startswith("line 6, StageName='Won-ish': not a stage")
               for p in problems["opportunities.csv"])


def test_duplicate_ids_name_the_first_line(folder, small):
    _edit(folder / "opportunities.csv", 9, "Id", small.opportunities["Id"].iloc[0])
    with pytest.raises(InputErrors, match=r"line 9, Id='006000000000001': repeats the id on "
                                          r"line 2"):
        read_history(folder)


def test_missing_column_names_the_file_and_the_column(folder):
    path = folder / "opportunities.csv"
    pd.read_csv(path, dtype=str).drop(columns="Amount").to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        read_history(folder)
    assert str(path) in str(info.value) and "missing column 'Amount'" in str(info.value)
    assert "opportunities: {Amount: \"Your Column\"}" in str(info.value)


def test_cli_check_refuses_bad_rows_unless_drop_bad(folder, capsys):
    assert main(["crm", "check", str(folder)]) == 0
    _edit(folder / "opportunities.csv", 5, "Amount", "-3")
    assert main(["crm", "check", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "line 5, Amount='-3': must not be negative" in out and "refused" in out
    assert main(["crm", "check", str(folder), "--drop-bad"]) == 0


def test_cli_synthetic_writes_a_readable_history(tmp_path, capsys):
    assert main(["crm", "synthetic", "--out", str(tmp_path / "h"), "--reps", "3",
                 "--months", "2", "--seed", "5"]) == 0
    assert read_history(tmp_path / "h").report.ok


# ---- mapping ---------------------------------------------------------------------------

CUSTOM_STAGES = (Stage(name="Discovery", days=10, to_next=0.5),
                 Stage(name="Demo", days=15, to_next=0.7),
                 Stage(name="Contract", days=12, to_next=0.8))
MAPPING = ColumnMapping(
    files={"opportunities": "Opps export.csv"},
    opportunities={"Id": "Opportunity ID", "Amount": "Amount (converted)",
                   "OwnerId": "Opportunity Owner ID", "CloseDate": "Close Date"},
    roster=dict(EXAMPLE_MAPPING.roster),
    stages=StageNames(open=tuple(s.name for s in CUSTOM_STAGES), won="Won", lost="Lost"),
    date_format="%d/%m/%Y")


def test_mapping_yaml_renames_columns_files_stages_and_date_format(tmp_path):
    params = SMALL.model_copy(update={"stages": CUSTOM_STAGES})
    history = synthetic_history(params)
    o = history.opportunities.copy()
    o["StageName"] = o["StageName"].replace({"Closed Won": "Won", "Closed Lost": "Lost"})
    sh = history.stage_history.copy()
    sh["StageName"] = sh["StageName"].replace({"Closed Won": "Won", "Closed Lost": "Lost"})
    history = type(history)(opportunities=o, roster=history.roster, stage_history=sh,
                            accounts=history.accounts, stages=MAPPING.stages)
    write_history(history, tmp_path, MAPPING)
    assert (tmp_path / "Opps export.csv").read_text().startswith(
        "Opportunity ID,AccountId,Opportunity Owner ID,StageName,Amount (converted),")
    assert "/" in pd.read_csv(tmp_path / "roster.csv", dtype=str)["Hire Date"].iloc[0]
    (tmp_path / "my_mapping.yaml").write_bytes((tmp_path / "mapping.yaml").read_bytes())
    (tmp_path / "mapping.yaml").unlink()
    with pytest.raises(InputError, match=r"roster.csv: missing columns 'Id', 'Role'; "
                                         r"found \['Employee ID'"):
        read_history(tmp_path)  # without the mapping
    back = read_history(tmp_path, tmp_path / "my_mapping.yaml")
    assert back.stages == MAPPING.stages
    _same(back, history)


def test_bad_mapping_names_the_key(tmp_path):
    (tmp_path / "m.yaml").write_text("opportunities: {Amout: Amount (converted)}\n")
    with pytest.raises(InputError, match=r"opportunities.Amout: not a column of opportunities"):
        read_history(tmp_path, tmp_path / "m.yaml")


# ---- lossless round trip (property) ------------------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), reps=st.integers(1, 5), months=st.integers(1, 6),
       burn_in=st.integers(0, 3), attrition=st.floats(0.0, 0.9),
       fmt=st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%Y%m%d"]),
       rate=st.floats(0.05, 6.0))
@pytest.mark.slow
def test_reading_back_a_written_synthetic_history_is_lossless(tmp_path_factory, seed, reps,
                                                              months, burn_in, attrition, fmt,
                                                              rate):
    params = HistoryParams(reps=reps, months=months, burn_in_months=burn_in, hires=(),
                           attrition=attrition, seed=seed, opportunities_per_month=rate)
    history = synthetic_history(params)
    folder = tmp_path_factory.mktemp("h")
    write_history(history, folder, ColumnMapping(date_format=fmt))
    _same(read_history(folder), history)


# ---- the generator's truth -------------------------------------------------------------

def test_generator_params_are_checked():
    with pytest.raises(ValueError, match="sizes: give a deal size for Renewal"):
        HistoryParams(sizes={"New Business": {"median": 1, "sigma": 1},
                             "Existing Business": {"median": 1, "sigma": 1}})
    with pytest.raises(ValueError, match="distinct"):
        HistoryParams(stages=(Stage(name="Closed Won", days=1, to_next=0.5),))


def test_generated_type_mix_and_win_rate_match_the_truth():
    """Shares of Types among opportunities created in the window are binomial: SE =
    sqrt(p (1 - p) / n); the won share of those closed long before the export (created in
    the first year; open ones after a year: none in practice) has SE sqrt(w (1 - w) / n)."""
    p = HistoryParams(seed=21)
    o = synthetic_history(p).opportunities
    recent = o[o["CreatedDate"] >= pd.Timestamp(p.start)]
    n = len(recent)
    for kind, share in p.mix().items():
        got = (recent["Type"] == kind).mean()
        assert abs(got - share) < 4 * math.sqrt(share * (1 - share) / n), kind
    early = recent[recent["CreatedDate"] < pd.Timestamp("2026-01-01")]
    assert early["IsClosed"].all()
    won = early["IsWon"].mean()
    assert abs(won - p.win_rate) < 4 * math.sqrt(p.win_rate * (1 - p.win_rate) / len(early))
    nb = early[early["IsWon"] & (early["Type"] == "New Business")]["Amount"]
    logs = np.log(nb)
    size = p.sizes["New Business"]
    assert abs(logs.mean() - math.log(size.median)) < 4 * size.sigma / math.sqrt(len(logs))


def test_type_values_map_onto_ours_and_the_export_date_ignores_hr_dates(folder, small):
    path = folder / "opportunities.csv"
    path.write_text(path.read_text().replace(",New Business\n", ",New Logo\n"))
    with pytest.raises(InputErrors, match="Type='New Logo': one of New Business"):
        read_history(folder)
    (folder / "m.yaml").write_text("types: {New Logo: New Business}\n")
    _same(read_history(folder, folder / "m.yaml"), small)
    _edit(folder / "roster.csv", 2, "EndDate", "2031-01-01")  # an exit entered ahead
    assert read_history(folder, folder / "m.yaml").as_of == small.as_of
