"""Travel matrices and rep home bases for territory design, read from CSV with every bad
row reported by line and column.

A travel matrix gives the distance or drive time from each account to each base (or to
each other account, when bases sit at accounts), as exported by a routing tool:

* long: `account_id, base_id, minutes` (one row per pair; the target column may also be
  `rep_id`, `territory` or `to_account_id`; the value column names the unit: `minutes`,
  `hours`, `km`, `miles` or `meters`);
* wide: `account_id` then one column per target id, the unit given separately (km unless
  told).

A bases file names each territory's home base: `territory` (or `rep_id`) and either
`lat, lon`, a `base_id` (a target of the matrix) or an `account_id` (the base is at that
account); optionally `max_travel` (the territory's most travel: weight x distance) and
`max_distance` (the farthest an account may be from the base).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spmsim.data.rows import Rows, duplicates, numbers, read_table
from spmsim.errors import InputError, Problem

UNITS = ("minutes", "hours", "km", "miles", "meters")
TARGETS = ("base_id", "rep_id", "territory", "to_account_id")


@dataclass(frozen=True)
class TravelMatrix:
    """Distance or time by account (rows) and target (columns: base, rep or account id)."""

    table: pd.DataFrame
    unit: str
    source: str

    def to(self, account_ids, targets, what: str = "bases") -> np.ndarray:
        """(accounts, targets) values; an error naming what is missing."""
        ids = pd.Index([str(a) for a in account_ids])
        targets = [str(t) for t in targets]
        missing_rows = ids.difference(self.table.index)
        missing_cols = [t for t in targets if t not in self.table.columns]
        problems = []
        if len(missing_rows):
            problems.append(Problem("account_id", f"no travel for {len(missing_rows)} accounts,"
                                    f" e.g. {', '.join(missing_rows[:3])}: add their rows"))
        if missing_cols:
            problems.append(Problem("", f"no column (or base_id) for the {what} "
                                    f"{', '.join(missing_cols[:5])}: add them, or name the "
                                    f"matrix's target in the bases file's base_id"))
        if problems:
            raise InputError(self.source, problems)
        return self.table.loc[ids, targets].to_numpy(float)


def read_travel_matrix(path: str | Path, unit: str | None = None) -> TravelMatrix:
    """A long or wide travel matrix (see the module's notes); `unit` names a wide file's unit
    (default km) and must agree with a long file's value column."""
    path = Path(path)
    df = read_table(path, (("account_id",), ()), extra="ignore")  # wide: a column per base
    target = next((c for c in TARGETS if c in df.columns), None)
    value = next((c for c in UNITS if c in df.columns), None)
    if target is not None and value is not None and len(df.columns) <= 4:
        if unit is not None and unit != value:
            raise InputError(path, f"unit: the file's values are in {value}, not {unit}")
        return TravelMatrix(_long(path, df, target, value), value, str(path))
    if unit is not None and unit not in UNITS:
        raise InputError(path, f"unit {unit!r}: one of {', '.join(UNITS)}")
    return TravelMatrix(_wide(path, df), unit or "km", str(path))


def _long(path: Path, df: pd.DataFrame, target: str, value: str) -> pd.DataFrame:
    rows = Rows(path, df)
    rows.flag(df["account_id"] == "", "account_id", "required")
    rows.flag(df[target] == "", target, "required")
    values = numbers(rows, value)
    duplicates(rows, ["account_id", target], "this pair is")
    rows.raise_if_any()
    table = df.assign(value=values).pivot(index="account_id", columns=target, values="value")
    gaps = table.isna()
    if gaps.any().any():
        where = [(a, t) for a, t in zip(*np.nonzero(gaps.to_numpy()), strict=True)]
        pairs = ", ".join(f"{table.index[a]} -> {table.columns[t]}" for a, t in where[:3])
        raise InputError(path, f"{len(where)} account-target pairs have no {value}, e.g. "
                               f"{pairs}: every account needs a value for every target")
    table.index, table.columns = table.index.astype(str), table.columns.astype(str)
    return table.astype(float)


def _wide(path: Path, df: pd.DataFrame) -> pd.DataFrame:
    if len(df.columns) < 2:
        raise InputError(path, "a travel matrix: account_id then one column per base (wide),"
                               " or account_id, base_id and minutes|km|... (long)")
    rows = Rows(path, df)
    rows.flag(df["account_id"] == "", "account_id", "required")
    duplicates(rows, ["account_id"], "account_id")
    cols = [c for c in df.columns if c != "account_id"]
    out = pd.DataFrame({c: numbers(rows, c) for c in cols})
    rows.raise_if_any()
    out.index = df["account_id"].astype(str).to_numpy()
    return out.astype(float)


def load_bases(path: str | Path) -> pd.DataFrame:
    """Each territory's home base: `territory` (or `rep_id`) with `lat, lon`, `base_id` or
    `account_id`, and optional `max_travel`, `max_distance` (blank: no limit)."""
    path = Path(path)
    df = read_table(path, ((), ("territory", "rep_id", "lat", "lon", "base_id", "account_id",
                                "max_travel", "max_distance")))
    rows = Rows(path, df)
    name = "territory" if (df["territory"] != "").any() or (df["rep_id"] == "").all() \
        else "rep_id"
    rows.flag(df[name] == "", name, "required: the territory (rep) this base belongs to")
    duplicates(rows, [name], name)
    out = pd.DataFrame({"territory": df[name]}, index=df.index)
    for col, limit in (("lat", 90.0), ("lon", 180.0)):
        raw = df[col]
        val = pd.to_numeric(raw.where(raw != ""), errors="coerce")
        rows.flag((raw != "") & val.isna(), col, "not a number")
        rows.flag(val.abs() > limit, col, f"degrees between -{limit:g} and {limit:g}")
        out[col] = val
    rows.flag(out["lat"].isna() != out["lon"].isna(), "lat",
              "give both lat and lon, or neither")
    out["base_id"], out["account_id"] = df["base_id"], df["account_id"]
    located = out["lat"].notna() | (df["base_id"] != "") | (df["account_id"] != "")
    rows.flag(~located, name, "where is this base? give lat and lon, a base_id of the travel "
              "matrix, or the account_id it sits at")
    for col in ("max_travel", "max_distance"):
        blank = df[col] == ""
        val = pd.to_numeric(df[col].where(~blank), errors="coerce")
        rows.flag(~blank & ~(val >= 0), col, "a number >= 0, or blank for no limit")
        out[col] = val.where(val >= 0)
    rows.raise_if_any()
    return out.reset_index(drop=True)
