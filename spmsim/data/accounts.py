"""Accounts CSVs: the loader (every bad row reported with its line and column) and
territory alignments. Synthetic accounts at US cities are `spmsim.synthetic.accounts`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spmsim.data.rows import Rows, duplicates, numbers, read_table, refuse_unknown
from spmsim.errors import InputError

REQUIRED = ("account_id", "potential", "workload")
OPTIONAL = ("segment", "rep_id", "locked", "group")
MAP = ("lat", "lon")  # optional together: the map and great-circle distances need them
# carried along for reports (synthetic accounts have them), not used by the optimiser
KEPT = ("last_year", "name", "city", "state", "industry")
YES, NO = {"1", "yes", "y", "true", "x"}, {"", "0", "no", "n", "false"}


def load_accounts(path: str | Path, also: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read `account_id, potential, workload[, lat, lon][, segment][, rep_id][, locked]
    [, group]`; every bad row is reported with its line and column.

    lat, lon: degrees (needed unless a travel matrix is given); rep_id: the current owner;
    locked: yes/no, the account stays with its rep_id; group: accounts sharing a group
    (a parent and its subsidiaries) stay in one territory. `KEPT` columns and `also`
    (columns a scenario names, such as its history column) are kept; any other column is
    refused, with the closest known name.
    """
    df = read_table(path, (REQUIRED, OPTIONAL), extra="ignore")
    refuse_unknown(path, list(df.columns), [*REQUIRED, *OPTIONAL, *MAP, *KEPT, *also])
    if ("lat" in df.columns) != ("lon" in df.columns):
        raise InputError(path, "lat and lon: give both columns, or neither (then a travel "
                               "matrix gives the distances)")
    rows = Rows(Path(path), df)
    out = rows.df.copy()
    rows.flag(out["account_id"] == "", "account_id", "required: give every account an id")
    if "lat" in df.columns:
        for col, limit in (("lat", 90.0), ("lon", 180.0)):
            out[col] = _numbers_signed(rows, col, limit)
    for col in ("potential", "workload"):
        out[col] = numbers(rows, col)
    flag = out["locked"].str.lower()
    rows.flag(~flag.isin(YES | NO), "locked", "yes or no (blank: no)")
    out["locked"] = flag.isin(YES)
    rows.flag(out["locked"] & (out["rep_id"] == ""), "locked",
              "a locked account stays with its rep: give its rep_id")
    duplicates(rows, ["account_id"], "account_id")
    rows.raise_if_any()
    if not (out["workload"] > 0).any():
        raise InputError(path, "workload: every account has 0 hours; give hours a year")
    return out.reset_index(drop=True)


def read_alignment_table(path: str | Path) -> pd.DataFrame:
    """A CSV of account_id, territory: each account once."""
    rows = Rows(Path(path), read_table(path, (("account_id", "territory"), ())))
    duplicates(rows, ["account_id"], "account_id")
    rows.raise_if_any()
    return rows.df


def align(table: pd.DataFrame, account_ids: pd.Series, source: str | Path) -> pd.Series:
    """Territory per account (in the order of `account_ids`) from an alignment table;
    every account must appear."""
    owner = account_ids.map(dict(zip(table["account_id"], table["territory"], strict=True)))
    missing = account_ids[owner.isna()]
    if len(missing):
        raise InputError(source, f"no territory for {len(missing)} accounts, e.g. "
                                 f"{', '.join(missing.head(3))}")
    return owner


def _numbers_signed(rows: Rows, column: str, limit: float) -> pd.Series:
    """Degrees: numbers within [-limit, limit]."""
    values = pd.to_numeric(rows.df[column], errors="coerce")
    rows.flag(values.isna(), column, "not a number")
    rows.flag(values.abs() > limit, column, f"degrees between -{limit:g} and {limit:g}")
    return values
