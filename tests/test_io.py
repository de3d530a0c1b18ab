"""Outputs written so nothing is half written or dangerous: CSV cells that cannot run as
spreadsheet formulas, sets of files and whole folders written as units, and the hidden
temporaries of killed runs cleaned up."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import spmsim.io as sio
from spmsim.errors import InputError
from spmsim.io import (
    atomic_folder,
    atomic_write_text,
    clean_stale,
    csv_text,
    spreadsheet_safe,
    write_csv,
    write_files,
)

# ---- CSV injection (OWASP: prefix formula-leading text cells with an apostrophe) -------


@pytest.mark.parametrize("cell, shown", [
    ("=HYPERLINK(\"http://x\",\"click\")", "'=HYPERLINK(\"http://x\",\"click\")"),
    ("@SUM(1)", "'@SUM(1)"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-5", "-5"), ("-1.5e3", "-1.5e3"), ("+7", "+7"), ("ENT01", "ENT01"), ("", ""),
    ("a=b", "a=b"),
])
def test_formula_cells_neutralised(cell, shown):
    out = spreadsheet_safe(pd.DataFrame({"rep_id": [cell]}))
    assert out["rep_id"].iloc[0] == shown


def test_numbers_untouched_and_headers_neutralised(tmp_path):
    df = pd.DataFrame({"rep_id": ["=1+1", "AE01"], "paid": [-1200.5, 3.0],
                       "n": np.array([-3, 4]), "ok": [True, False],
                       "=evil": ["x", None]})
    path = write_csv(df, tmp_path / "out.csv")
    assert path.read_text() == ("rep_id,paid,n,ok,'=evil\n"
                                "'=1+1,-1200.5,-3,True,x\n"
                                "AE01,3.0,4,False,\n")
    back = pd.read_csv(path)
    assert back["paid"].tolist() == [-1200.5, 3.0] and back["n"].tolist() == [-3, 4]
    assert df["rep_id"].iloc[0] == "=1+1"  # the caller's frame is not changed


def test_csv_text_is_what_write_csv_writes(tmp_path):
    df = pd.DataFrame({"a": ["@x", "y"]})
    assert write_csv(df, tmp_path / "a.csv").read_text() == csv_text(df)


# ---- several files as one set ---------------------------------------------------------


def test_write_files_leave_the_previous_set_whole_when_one_fails(tmp_path):
    write_files(tmp_path, {"a.csv": sio.text_writer("old a\n"),
                           "b.csv": sio.text_writer("old b\n")})

    def full(path):
        path.write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with pytest.raises(OSError):
        write_files(tmp_path, {"a.csv": sio.text_writer("new a\n"), "b.csv": full})
    assert (tmp_path / "a.csv").read_text() == "old a\n"
    assert (tmp_path / "b.csv").read_text() == "old b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


# ---- folders as one unit ----------------------------------------------------------------


def test_atomic_folder_replaces_the_whole_folder(tmp_path):
    out = tmp_path / "results"
    with atomic_folder(out, {"a", "b"}) as tmp:
        (tmp / "a").write_text("1")
        (tmp / "b").write_text("1")
    with atomic_folder(out, {"a", "b"}) as tmp:
        (tmp / "a").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == ["a"]  # b of the old run is gone
    assert (out / "a").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_atomic_folder_keeps_the_old_folder_on_error(tmp_path):
    out = tmp_path / "results"
    with atomic_folder(out, {"a", "b"}) as tmp:
        (tmp / "a").write_text("old")
    with pytest.raises(OSError), atomic_folder(out, {"a", "b"}) as tmp:
        (tmp / "a").write_text("new")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert [p.name for p in out.iterdir()] == ["a"] and (out / "a").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_atomic_folder_never_replaces_a_folder_of_other_files(tmp_path):
    (tmp_path / "notes.md").write_text("mine")
    with pytest.raises(InputError, match="holds files spmsim did not write here "
                                         r"\(notes.md\)"), atomic_folder(tmp_path, {"a"}):
        pass
    assert (tmp_path / "notes.md").read_text() == "mine"
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(InputError, match="exists and is not a folder"), \
            atomic_folder(target, {"a"}):
        pass


def test_atomic_folder_without_an_exchange_call(tmp_path, monkeypatch):
    """Where the system cannot swap two folders in one step: rename aside, then in."""
    monkeypatch.setattr(sio, "_exchange", lambda a, b: False)
    out = tmp_path / "results"
    for text in ("1", "2"):
        with atomic_folder(out, {"a"}) as tmp:
            (tmp / "a").write_text(text)
    assert (out / "a").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


# ---- stale temporaries ----------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_killed_runs_temporaries_are_cleaned_the_next_time(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    stale_file = tmp_path / f".reps.parquet.{dead}-abc123de.tmp"
    stale_folder = tmp_path / f".results.{dead}-xyz_0123.tmp"
    live = tmp_path / f".summary.csv.{alive}-q1q1q1q1.tmp"  # another process still writing
    mine = tmp_path / "keep.txt"
    lookalike = tmp_path / f".notes.{dead}-draft.tmp"  # not a name spmsim makes
    lookalike.write_text("user's")
    stale_file.write_bytes(b"half")
    stale_folder.mkdir()
    (stale_folder / "trials.parquet").write_bytes(b"half")
    live.write_text("in progress")
    mine.write_text("user file")
    removed = clean_stale(tmp_path)
    assert sorted(removed) == sorted([stale_file, stale_folder])
    assert live.exists() and mine.exists() and lookalike.exists()


def test_an_atomic_write_cleans_its_folder(tmp_path):
    sio._cleaned.discard(tmp_path.resolve())
    stale = tmp_path / f".summary.csv.{_dead_pid()}-k9k9k9k9.tmp"
    stale.write_text("half")
    atomic_write_text(tmp_path / "summary.csv", "a\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]
