"""Deals, quotas and roster CSVs: read, check every row, and report all bad rows at once.

deals:  deal_id, rep_id, date, measure, amount[, split][, cancel_date]
quotas: rep_id, measure, quota[, from][, reason]   (annual, for the time the rep is on the
        plan; `from` names the roster row it is for, `reason` makes it a dated relief)
roster: rep_id, plan[, team][, start_date][, end_date][, effective_from][, effective_to]
A split deal has one row per rep with the same deal_id and a `split` share; the shares of
a deal add up to 1. Dates are ISO (YYYY-MM-DD); `end_date` is the last day worked.
A rep may have several roster rows with `effective_from` / `effective_to` (a promotion, a
plan or territory change, a leave as a gap): see `data.assignments`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spmsim.data import assignments
from spmsim.data.rows import Rows, dates, duplicates, numbers, read_table
from spmsim.errors import InputError, InputErrors, Problem
from spmsim.plans import Plan

DEALS = ("deal_id", "rep_id", "date", "measure", "amount"), ("split", "cancel_date")
QUOTAS = ("rep_id", "measure", "quota"), ("from", "reason")
ROSTER = ("rep_id", "plan"), ("team", "start_date", "end_date", "effective_from", "effective_to")
SPLIT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Transactions:
    """Checked inputs of a replay; `deals` has a `credit` column (amount x split)."""

    deals: pd.DataFrame
    quotas: pd.DataFrame
    roster: pd.DataFrame
    plans: Mapping[str, Plan]


def plan_keys(plans: Mapping[str, Plan]) -> dict[str, str]:
    """Names a roster may use for each plan: its key (file stem) and its `plan:` name."""
    names = {key: key for key in plans}
    names.update({plan.plan: key for key, plan in plans.items()})
    return names


def load_roster(path: str | Path, plans: Mapping[str, Plan]) -> pd.DataFrame:
    rows = Rows(Path(path), read_table(path, ROSTER))
    df = rows.df
    rows.flag(df["rep_id"] == "", "rep_id", "empty rep_id")
    eff_from, eff_to = dates(rows, "effective_from", False), dates(rows, "effective_to", False)
    rows.flag(eff_from.notna() & eff_to.notna() & (eff_to < eff_from), "effective_to",
              "is before effective_from")
    assignments.check_rows(rows, eff_from, eff_to)
    names = plan_keys(plans)
    rows.flag(~df["plan"].isin(names), "plan",
              f"unknown plan: use one of {sorted(plans)} or pass its file with --plan")
    start, end = dates(rows, "start_date", False), dates(rows, "end_date", False)
    rows.flag(start.notna() & end.notna() & (end < start), "end_date", "is before start_date")
    rows.raise_if_any()
    return pd.DataFrame({"rep_id": df["rep_id"], "plan": df["plan"].map(names),
                         "team": df["team"], "start_date": start,
                         "end_date": end, "effective_from": eff_from,
                         "effective_to": eff_to}).reset_index(drop=True)


def load_quotas(path: str | Path, roster: pd.DataFrame,
                plans: Mapping[str, Plan]) -> pd.DataFrame:
    rows = Rows(Path(path), read_table(path, QUOTAS))
    df = rows.df
    relief = df["reason"] != ""
    quotas = Rows(rows.path, df[~relief])
    quota = numbers(quotas, "quota", positive=True).reindex(df.index)
    rows.problems += quotas.problems
    change = pd.to_numeric(df["quota"], errors="coerce")
    rows.flag(relief & ~np.isfinite(change), "quota", "not a number: a relief is a signed "
              "change of the annual quota, e.g. -150000")
    quota = quota.where(~relief, change)
    start = dates(rows, "from", False)
    rows.flag(relief & start.isna(), "from", "a relief row needs the date it applies from")
    rows.flag(~df["rep_id"].isin(roster["rep_id"]), "rep_id", "rep not in the roster")
    row = assignments.row_of_quotas(roster, df["rep_id"], start)
    rows.flag(df["rep_id"].isin(roster["rep_id"]) & start.notna() & (row < 0), "from",
              "no roster row of this rep is in force on this date")
    base = pd.DataFrame({"row": row, "measure": df["measure"]})[~relief]
    base_rows = Rows(rows.path, base.assign(rep_id=df["rep_id"])[["rep_id", "row", "measure"]])
    duplicates(base_rows, ["rep_id", "row", "measure"], "quota for this rep and measure")
    rows.problems += base_rows.problems
    plan_of = roster["plan"].to_numpy()[base["row"].clip(lower=0).to_numpy()]
    have = set(zip(df["rep_id"][~relief], plan_of, base["measure"], strict=True))
    rows.problems += _missing_quotas(roster, plans, have)
    rows.raise_if_any()
    return pd.DataFrame({"rep_id": df["rep_id"], "measure": df["measure"], "quota": quota,
                         "row": row, "from": start, "reason": df["reason"]}).reset_index(drop=True)


def _missing_quotas(roster: pd.DataFrame, plans: Mapping[str, Plan],
                    have: set[tuple[str, str, str]]) -> list[Problem]:
    """A problem for each rep and plan that needs a quota row it does not have."""
    problems = []
    firsts = roster.drop_duplicates(["rep_id", "plan"])
    several = firsts["rep_id"].duplicated(keep=False).to_numpy()
    for i, (rep, key) in enumerate(zip(firsts["rep_id"], firsts["plan"], strict=True)):
        for m in plans[key].quota_measures():
            if (rep, key, m) not in have:
                start = firsts["effective_from"].iloc[i]
                when = f",{start:%Y-%m-%d}" if several[i] and pd.notna(start) else ""
                problems.append(Problem(f"rep {rep}", f"plan {key!r} pays on {m!r}: add a row "
                                        f"`{rep},{m},<annual quota>{when}`"))
    return problems


def _check_splits(rows: Rows, parsed: pd.DataFrame) -> None:
    """Split rows share a deal_id, agree on the deal's values, and their shares add to 1."""
    df, given = rows.df, rows.df["split"] != ""
    many = df["deal_id"].duplicated(keep=False)
    rows.flag(many & ~given, "deal_id",
              "duplicated deal id: give each deal its own id, or a `split` share on each row")
    split_rows = Rows(rows.path, df[given])
    duplicates(split_rows, ["deal_id", "rep_id"], "deal credited twice to this rep")
    rows.problems += split_rows.problems
    groups = parsed[given].groupby(df["deal_id"][given], sort=False)
    for col in ("date", "measure", "amount", "cancel_date"):
        differ = groups[col].transform("nunique", dropna=False) > 1
        rows.flag(differ.reindex(df.index, fill_value=False), col,
                  "rows of one split deal disagree here: a deal has one value")
    total = groups["split"].transform("sum").reindex(df.index)
    rows.flag(given & ((total - 1.0).abs() > SPLIT_TOLERANCE), "deal_id",
              lambda r: f"split shares of this deal add up to {total[r.name]:g}, not 1")


def load_deals(path: str | Path, roster: pd.DataFrame, plans: Mapping[str, Plan]) -> pd.DataFrame:
    rows = Rows(Path(path), read_table(path, DEALS))
    df = rows.df
    rows.flag(df["deal_id"] == "", "deal_id", "empty deal_id")
    amount = numbers(rows, "amount")
    split = pd.to_numeric(df["split"].replace("", "1"), errors="coerce")
    rows.flag(split.isna() | (split <= 0) | (split > 1), "split", "a share in (0, 1]")
    date, cancel = dates(rows, "date", True), dates(rows, "cancel_date", False)
    rows.flag(cancel.notna() & date.notna() & (cancel < date), "cancel_date", "is before date")
    known = {m for p in plans.values() for m in p.measures}
    rows.flag(~df["measure"].isin(known), "measure",
              f"no loaded plan pays on this measure (known: {sorted(known)})")
    scores = set().union(*(p.score_measures() for p in plans.values()))
    rows.flag(df["measure"].isin(scores) & (amount > 1), "amount", "an MBO score is in [0, 1]")
    _check_splits(rows, pd.DataFrame({"date": date, "measure": df["measure"], "amount": amount,
                                      "cancel_date": cancel, "split": split}))
    known_rep = df["rep_id"].isin(roster["rep_id"])
    rows.flag(~known_rep, "rep_id", "rep not in the roster")
    cal = next(iter(plans.values())).calendar
    start, end = np.datetime64(cal.year_start), np.datetime64(cal.year_end)
    rows.flag(date.notna() & ((date < start) | (date > end)), "date",
              f"outside the plan year {cal.year_start} to {cal.year_end}")
    first, last = assignments.rep_span(roster)
    rep_start = pd.to_datetime(df["rep_id"].map(first).where(known_rep))
    rep_end = pd.to_datetime(df["rep_id"].map(last).where(known_rep))
    rows.flag(date.notna() & (date < rep_start), "date", "before the rep's start_date: credit "
              "it to the rep who owned the deal then")
    rows.flag(date.notna() & (date > rep_end), "date", "after the rep's end_date: credit it "
              "to the rep who owned the deal then")
    row = assignments.row_of_deals(roster, df["rep_id"], date.fillna(pd.Timestamp(start)))
    rows.flag(date.notna() & known_rep & (date >= rep_start) & (date <= rep_end) & (row < 0),
              "date", "between the rep's roster rows (a leave or a gap): credit it to the rep "
              "who owned the deal then, or extend a row's effective dates")
    rows.raise_if_any()
    return pd.DataFrame({"deal_id": df["deal_id"], "rep_id": df["rep_id"], "date": date,
                         "measure": df["measure"], "amount": amount, "split": split,
                         "credit": amount * split, "cancel_date": cancel,
                         "row": row}).reset_index(drop=True)


def load_transactions(plans: Mapping[str, Plan], deals: str | Path, quotas: str | Path,
                      roster: str | Path) -> Transactions:
    """Read and check the three files against the loaded plans."""
    starts = {p.year_start for p in plans.values()}
    if len(starts) > 1:
        raise InputError(", ".join(plans), f"plans start their years on different days "
                         f"{sorted(map(str, starts))}: replay one plan year at a time")
    r = load_roster(roster, plans)
    loaded, errors = {}, []
    for name, load, path in (("deals", load_deals, deals), ("quotas", load_quotas, quotas)):
        try:
            loaded[name] = load(path, r, plans)
        except InputError as e:
            errors.append(e)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)
    return Transactions(roster=r, plans=dict(plans), **loaded)
