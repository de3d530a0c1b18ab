"""Travel matrices (long and wide), home bases and the accounts' locked and group columns:
what they read, and every bad row reported with its line and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spmsim.data.accounts import load_accounts
from spmsim.data.travel import load_bases, read_travel_matrix
from spmsim.errors import InputError


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_long_matrix_reads_its_unit_and_every_pair(tmp_path):
    m = read_travel_matrix(write(tmp_path / "m.csv", "account_id,rep_id,minutes\n"
                                 "a,R1,10\na,R2,25.5\nb,R1,40\nb,R2,5\n"))
    assert m.unit == "minutes"
    np.testing.assert_array_equal(m.to(["b", "a"], ["R2", "R1"]), [[5, 40], [25.5, 10]])


def test_wide_matrix_with_a_unit(tmp_path):
    path = write(tmp_path / "w.csv", "account_id,a,b\na,0,3.5\nb,3.5,0\n")
    m = read_travel_matrix(path, unit="miles")
    assert m.unit == "miles"
    np.testing.assert_array_equal(m.to(["a", "b"], ["b"]), [[3.5], [0]])
    assert read_travel_matrix(path).unit == "km"


def test_matrix_errors_name_the_line_and_what_is_missing(tmp_path):
    bad = write(tmp_path / "bad.csv", "account_id,base_id,km\na,B1,1\na,B1,2\nb,B1,x\n"
                "c,B1,-3\n")
    with pytest.raises(InputError) as info:
        read_travel_matrix(bad)
    text = str(info.value)
    assert "line 2" in text and "line 3" in text and "repeated" in text
    assert "line 4, km='x': not a number" in text and "line 5, km='-3'" in text
    gap = write(tmp_path / "gap.csv", "account_id,base_id,km\na,B1,1\na,B2,2\nb,B1,3\n")
    with pytest.raises(InputError, match=r"1 account-target pairs have no km, e.g. b -> B2"):
        read_travel_matrix(gap)
    wide = write(tmp_path / "w.csv", "account_id,B1\na,1\nb,\n")
    with pytest.raises(InputError, match="line 3, B1=''"):
        read_travel_matrix(wide)
    ok = read_travel_matrix(write(tmp_path / "ok.csv", "account_id,B1\na,1\n"))
    with pytest.raises(InputError) as info:
        ok.to(["a", "z"], ["B1", "B9"])
    assert "no travel for 1 accounts, e.g. z" in str(info.value)
    assert "B9" in str(info.value)
    with pytest.raises(InputError, match="not minutes"):
        read_travel_matrix(write(tmp_path / "u.csv", "account_id,base_id,km\na,B,1\n"),
                           unit="minutes")


def test_bases_by_location_base_or_account_with_limits(tmp_path):
    b = load_bases(write(tmp_path / "b.csv", "rep_id,lat,lon,base_id,account_id,max_travel\n"
                         "R1,40.7,-74.0,,,1000\nR2,,,B2,,\nR3,,,,a9,\n"))
    assert b["territory"].tolist() == ["R1", "R2", "R3"]
    assert b.loc[0, "lat"] == 40.7 and np.isnan(b.loc[1, "lat"])
    assert b.loc[0, "max_travel"] == 1000 and np.isnan(b.loc[1, "max_travel"])
    assert b["base_id"].tolist() == ["", "B2", ""] and b.loc[2, "account_id"] == "a9"


def test_bad_bases_listed_together(tmp_path):
    path = write(tmp_path / "b.csv", "territory,lat,lon,max_distance\nR1,40,,\nR2,95,10,\n"
                 "R1,1,1,\nR4,,,\nR5,1,1,-2\n")
    with pytest.raises(InputError) as info:
        load_bases(path)
    text = str(info.value)
    assert "line 2, lat='40': give both lat and lon" in text
    assert "line 3, lat='95'" in text
    assert "repeated on lines [2, 4]" in text
    assert "line 5, territory='R4': where is this base?" in text
    assert "line 6, max_distance='-2'" in text


def test_accounts_locked_group_and_no_map(tmp_path):
    a = load_accounts(write(tmp_path / "a.csv", "account_id,potential,workload,rep_id,locked,"
                            "group\na,1,2,R1,yes,P\nb,1,2,R1,,P\nc,1,2,R2,no,\n"))
    assert a["locked"].tolist() == [True, False, False]
    assert a["group"].tolist() == ["P", "P", ""]
    assert "lat" not in a
    with pytest.raises(InputError) as info:
        load_accounts(write(tmp_path / "b.csv", "account_id,potential,workload,rep_id,locked\n"
                            "a,1,2,,yes\nb,1,2,R1,maybe\n"))
    assert "line 2, locked='yes': a locked account stays with its rep" in str(info.value)
    assert "line 3, locked='maybe': yes or no" in str(info.value)
    with pytest.raises(InputError, match="lat and lon: give both"):
        load_accounts(write(tmp_path / "c.csv", "account_id,potential,workload,lat\na,1,2,3\n"))
