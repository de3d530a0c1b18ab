"""Dated assignments: several roster rows per rep, and the quota rows that go with them.

A roster row holds from `effective_from` to `effective_to` (blank: the year's start or end),
within the rep's `start_date` and `end_date`. Rows of one rep never overlap; a gap between
two rows on the same plan is a leave. Each deal belongs to the row in force on its date.

Quota rows name the row they belong to by `from` (the row in force on that date; blank:
the rep's first row). A row with a `reason` is quota relief (or an increase): a signed
change of the annual quota, due from `from` on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmsim.data.rows import Rows, duplicates

FAR_PAST, FAR_FUTURE = np.datetime64("1900-01-01"), np.datetime64("2999-12-31")


def windows(roster: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(first day, last day) each roster row is in force, datetime64[D], open ends far away."""
    def day(col: str, fill: np.datetime64) -> np.ndarray:
        d = roster[col].to_numpy("datetime64[D]")
        return np.where(np.isnat(d), fill, d).astype("datetime64[D]")

    lo = np.maximum(day("start_date", FAR_PAST), day("effective_from", FAR_PAST))
    hi = np.minimum(day("end_date", FAR_FUTURE), day("effective_to", FAR_FUTURE))
    return lo, hi


def check_rows(rows: Rows, eff_from: pd.Series, eff_to: pd.Series) -> None:
    """Flag a rep's rows that overlap (or repeat a rep without dates to tell them apart)."""
    dated_rep = rows.df["rep_id"].isin(rows.df["rep_id"][eff_from.notna() | eff_to.notna()])
    undated = Rows(rows.path, rows.df[~dated_rep])
    duplicates(undated, ["rep_id"], "rep_id")
    rows.problems += undated.problems
    df = pd.DataFrame({"rep_id": rows.df["rep_id"],
                       "lo": eff_from.fillna(pd.Timestamp(FAR_PAST)),
                       "hi": eff_to.fillna(pd.Timestamp(FAR_FUTURE))}, index=rows.df.index)
    df = df.sort_values(["rep_id", "lo"], kind="stable")
    prev_hi = df.groupby("rep_id")["hi"].shift()
    prev_line = pd.Series(df.index + 2, index=df.index).groupby(df["rep_id"]).shift()
    clash = (prev_hi.notna() & (df["lo"] <= prev_hi)).reindex(rows.df.index, fill_value=False)
    clash &= dated_rep
    rows.flag(clash, "rep_id", lambda r: f"this rep's row overlaps line "
              f"{int(prev_line[r.name])}: give each row of a rep `effective_from` and "
              "`effective_to` dates that do not overlap (a rep has one assignment a day)")


def row_of_deals(roster: pd.DataFrame, rep_id: pd.Series, date: pd.Series) -> pd.Series:
    """The roster row in force on each deal's date (-1: none), indexed like the deals."""
    lo, hi = windows(roster)
    rows = pd.DataFrame({"rep_id": roster["rep_id"].to_numpy(), "row": np.arange(len(roster)),
                         "lo": lo, "hi": hi})
    deals = pd.DataFrame({"rep_id": rep_id.to_numpy(), "date": date.to_numpy("datetime64[D]"),
                          "deal": np.arange(len(rep_id))})
    pairs = deals.merge(rows, on="rep_id")
    hit = pairs[(pairs["date"] >= pairs["lo"]) & (pairs["date"] <= pairs["hi"])]
    out = np.full(len(rep_id), -1)
    out[hit["deal"].to_numpy()] = hit["row"].to_numpy()
    return pd.Series(out, index=rep_id.index)


def rep_span(roster: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(first day, last day) of each rep over all their rows, indexed by rep_id."""
    lo, hi = windows(roster)
    frame = pd.DataFrame({"rep_id": roster["rep_id"].to_numpy(), "lo": lo, "hi": hi})
    g = frame.groupby("rep_id", sort=False)
    return g["lo"].min(), g["hi"].max()


def row_of_quotas(roster: pd.DataFrame, rep_id: pd.Series, start: pd.Series) -> pd.Series:
    """The roster row each quota row belongs to: in force on `start`, or the rep's first."""
    lo, _ = windows(roster)
    order = pd.DataFrame({"rep_id": roster["rep_id"].to_numpy(), "lo": lo,
                          "row": np.arange(len(roster))}).sort_values("lo", kind="stable")
    first = order.drop_duplicates("rep_id").set_index("rep_id")["row"]
    dated = row_of_deals(roster, rep_id, start.fillna(pd.Timestamp(FAR_PAST)))
    undated = rep_id.map(first).fillna(-1).astype(int)
    return dated.where(start.notna(), undated)
