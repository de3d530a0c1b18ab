"""Deals, quotas and roster CSVs: read, check every row, and report all bad rows at once.

deals:  deal_id, rep_id, date, measure, amount[, split][, cancel_date][, credit_role]
        [, currency][, columns the plans' crediting rules read, such as product]
quotas: rep_id, measure, quota[, from][, reason]   (annual, for the time the rep is on the
        plan; `from` names the roster row it is for, `reason` makes it a dated relief)
roster: rep_id, plan[, team][, start_date][, end_date][, effective_from][, effective_to]
A split deal has one row per rep with the same deal_id and a `split` share; the shares of
a deal's primary rows add up to 1. Rows with `credit_role` overlay credit an overlay rep
on top (no sum-to-1 check; never counted as revenue again). A negative amount is a credit
memo (a refund): it reduces credit in the period booked. `currency` converts with the
plan's FX table. Dates are ISO (YYYY-MM-DD); `end_date` is the last day worked.
A rep may have several roster rows with `effective_from` / `effective_to` (a promotion, a
plan or territory change, a leave as a gap): see `data.assignments`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spmsim.data import assignments
from spmsim.data.fx import FxTable, load_fx
from spmsim.data.rows import Rows, dates, duplicates, numbers, read_table
from spmsim.errors import InputError, InputErrors, Problem
from spmsim.plans import Plan

DEALS = ("deal_id", "rep_id", "date", "measure", "amount"), ("split", "cancel_date",
                                                             "credit_role", "currency")
CREDIT_ROLES = ("primary", "overlay")
QUOTAS = ("rep_id", "measure", "quota"), ("from", "reason")
ROSTER = ("rep_id", "plan"), ("team", "start_date", "end_date", "effective_from", "effective_to")
LAST_YEAR = "last_year_"  # roster columns last_year_<measure>, for contests on growth
SPLIT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Transactions:
    """Checked inputs of a replay; `deals` has a `credit` column (amount x split)."""

    deals: pd.DataFrame
    quotas: pd.DataFrame
    roster: pd.DataFrame
    plans: Mapping[str, Plan]
    fx: Mapping[str, FxTable] = field(default_factory=dict)  # by plan key, plans with `fx:`


def plan_keys(plans: Mapping[str, Plan]) -> dict[str, str]:
    """Names a roster may use for each plan: its key (file stem) and its `plan:` name."""
    names = {key: key for key in plans}
    names.update({plan.plan: key for key, plan in plans.items()})
    return names


def last_year_columns(plans: Mapping[str, Plan]) -> list[str]:
    """Roster columns of last year's credit per rep, `last_year_<measure>`: one for each
    measure a contest ranks on growth (required then; blank for a rep with no last year)."""
    measures = [c.measure for p in plans.values() for c in p.components
                if getattr(c, "needs_last_year", False)]
    return [f"{LAST_YEAR}{m}" for m in dict.fromkeys(measures)]


def _last_year(rows: Rows, columns: list[str]) -> dict[str, pd.Series]:
    """Each last-year column as numbers >= 0, NaN where blank (no last year)."""
    out = {}
    for col in columns:
        given = rows.df[col] != ""
        part = Rows(rows.path, rows.df[given])
        out[col] = numbers(part, col).reindex(rows.df.index)
        rows.problems += part.problems
    return out


def load_roster(path: str | Path, plans: Mapping[str, Plan]) -> pd.DataFrame:
    last_year = last_year_columns(plans)
    rows = Rows(Path(path), read_table(path, (ROSTER[0] + tuple(last_year), ROSTER[1])))
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
    last = _last_year(rows, last_year)
    rows.raise_if_any()
    return pd.DataFrame({"rep_id": df["rep_id"], "plan": df["plan"].map(names),
                         "team": df["team"], "start_date": start,
                         "end_date": end, "effective_from": eff_from,
                         "effective_to": eff_to, **last}).reset_index(drop=True)


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


def _check_splits(rows: Rows, parsed: pd.DataFrame, overlay: pd.Series) -> None:
    """A deal's primary rows share a deal_id and their split shares add to 1; every row of
    a deal (overlay rows too) agrees on the deal's values; no rep is credited twice."""
    df, given = rows.df, rows.df["split"] != ""
    primary = ~overlay
    many = df["deal_id"].where(primary).duplicated(keep=False) & primary
    rows.flag(many & ~given, "deal_id",
              "duplicated deal id: give each deal its own id, or a `split` share on each row")
    twice = Rows(rows.path, df[given | overlay])
    duplicates(twice, ["deal_id", "rep_id"], "deal credited twice to this rep")
    rows.problems += twice.problems
    deal = parsed.groupby(df["deal_id"], sort=False)
    for col in ("date", "measure", "amount", "cancel_date"):
        differ = deal[col].transform("nunique", dropna=False) > 1
        rows.flag(differ & df["deal_id"].duplicated(keep=False), col,
                  "rows of one split deal disagree here: a deal has one value")
    shared = given & primary
    total = parsed["split"][shared].groupby(df["deal_id"][shared]).transform("sum") \
        .reindex(df.index)
    rows.flag(shared & ((total - 1.0).abs() > SPLIT_TOLERANCE), "deal_id",
              lambda r: f"split shares of this deal add up to {total[r.name]:g}, not 1 "
              "(an overlay rep credited on top: set `credit_role` to overlay on their row)")


def _credit_roles(rows: Rows) -> pd.Series:
    """True on overlay rows; blank is primary."""
    role = rows.df["credit_role"].replace("", "primary")
    rows.flag(~role.isin(CREDIT_ROLES), "credit_role",
              f"one of {', '.join(CREDIT_ROLES)} (blank: primary)")
    return role == "overlay"


def _check_attributes(rows: Rows, plans: Mapping[str, Plan]) -> None:
    """Every deal on a measure with a rate by attribute has a value that rule can rate."""
    df = rows.df
    for key, plan in plans.items():
        for m, rule in plan.crediting.items():
            if rule.by is None:
                continue
            col, by = rule.by.column, rule.by
            bad = (df["measure"] == m) & by.problems(df[col].to_numpy())
            what = (f"plan {key!r} rates {m} by {col}: one of {', '.join(by.rates)}, or give "
                    f"the rule a `default`" if by.rates is not None else
                    f"plan {key!r} credits {m} at the rate in {col}: a number >= 0 (0.35 is "
                    "35 %)")
            rows.flag(bad, col, what)


def deal_columns(plans: Mapping[str, Plan]) -> tuple[str, ...]:
    """The deals columns the loaded plans' crediting rules read, sorted."""
    return tuple(sorted(set().union(*(p.deal_columns() for p in plans.values()))))


def _plans_reading(df: pd.DataFrame, roster: pd.DataFrame, plans: Mapping[str, Plan],
                   row: pd.Series) -> dict[str, pd.Series]:
    """For each plan, the deal rows it reads: those booked on a roster row of the plan, and
    for plans with a team component every deal booked in a team one of its rows is in."""
    row = np.asarray(row)
    on = row >= 0
    owner_plan = pd.Series(np.where(on, roster["plan"].to_numpy()[np.where(on, row, 0)], ""),
                           index=df.index)
    owner_team = pd.Series(np.where(on, roster["team"].to_numpy()[np.where(on, row, 0)], ""),
                           index=df.index)
    out = {}
    for key, plan in plans.items():
        reads = owner_plan == key
        if any(c.credit == "team" for c in plan.components):
            teams = set(roster.loc[(roster["plan"] == key) & (roster["team"] != ""), "team"])
            reads |= owner_team.isin(teams)
        out[key] = reads
    return out


def _check_currencies(rows: Rows, date: pd.Series, roster: pd.DataFrame,
                      plans: Mapping[str, Plan], fx: Mapping[str, FxTable],
                      row: pd.Series) -> pd.Series:
    """Every deal a plan reads converts into that plan's currency; returns the codes."""
    df = rows.df
    currency = df["currency"]
    rows.flag((currency != "") & ~currency.str.fullmatch(r"[A-Z]{3}"), "currency",
              "a three-letter currency code such as EUR (blank: the plan's currency)")
    day = date.to_numpy("datetime64[D]")
    for key, reads in _plans_reading(df, roster, plans, row).items():
        plan = plans[key]
        other = reads & (currency != "") & (currency != plan.currency)
        if key not in fx:
            rows.flag(other, "currency", f"plan {key!r} pays in {plan.currency}: convert the "
                      f"amount, or give the plan `fx: {{file: rates.csv, policy: plan_rate}}`")
            continue
        rate = fx[key].rate(currency.to_numpy(), day)
        missing = other & pd.Series(np.isnan(rate), index=df.index) & date.notna()
        need = "plan rate for this currency" if fx[key].policy == "plan_rate" else \
            "rate for this currency on or before this date"
        rows.flag(missing, "currency", f"{fx[key].path} has no {need}: add a row")
    return currency


def load_deals(path: str | Path, roster: pd.DataFrame, plans: Mapping[str, Plan],
               fx: Mapping[str, FxTable] | None = None) -> pd.DataFrame:
    extra = deal_columns(plans)
    rows = Rows(Path(path), read_table(path, (DEALS[0], DEALS[1] + extra)))
    df = rows.df
    rows.flag(df["deal_id"] == "", "deal_id", "empty deal_id")
    scores = set().union(*(p.score_measures() for p in plans.values()))
    amount = numbers(rows, "amount", negative=~df["measure"].isin(scores))
    overlay = _credit_roles(rows)
    split = pd.to_numeric(df["split"].replace("", "1"), errors="coerce")
    rows.flag(split.isna() | (split <= 0) | (split > 1), "split", "a share in (0, 1]")
    date, cancel = dates(rows, "date", True), dates(rows, "cancel_date", False)
    rows.flag(cancel.notna() & date.notna() & (cancel < date), "cancel_date", "is before date")
    rows.flag(cancel.notna() & (amount < 0), "cancel_date", "a credit memo (negative amount) "
              "is not cancelled: book a memo of the opposite sign instead, or remove the date")
    known = {m for p in plans.values() for m in p.measures}
    rows.flag(~df["measure"].isin(known), "measure",
              f"no loaded plan pays on this measure (known: {sorted(known)})")
    rows.flag(df["measure"].isin(scores) & (amount > 1), "amount", "an MBO score is in [0, 1]")
    rows.flag(df["measure"].isin(scores) & overlay, "credit_role", "an MBO score is the rep's "
              "own: no overlay credit")
    _check_splits(rows, pd.DataFrame({"date": date, "measure": df["measure"], "amount": amount,
                                      "cancel_date": cancel, "split": split}), overlay)
    _check_attributes(rows, plans)
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
    currency = _check_currencies(rows, date, roster, plans, fx or {}, row)
    rows.flag(df["measure"].isin(scores) & (currency != ""), "currency",
              "an MBO score has no currency: leave it blank")
    rows.raise_if_any()
    out = pd.DataFrame({"deal_id": df["deal_id"], "rep_id": df["rep_id"], "date": date,
                        "measure": df["measure"], "amount": amount, "split": split,
                        "credit": amount * split, "cancel_date": cancel, "overlay": overlay,
                        "currency": currency, "row": row, **{col: df[col] for col in extra}})
    return out.reset_index(drop=True)


def load_transactions(plans: Mapping[str, Plan], deals: str | Path, quotas: str | Path,
                      roster: str | Path) -> Transactions:
    """Read and check the three files against the loaded plans."""
    starts = {p.year_start for p in plans.values()}
    if len(starts) > 1:
        raise InputError(", ".join(plans), f"plans start their years on different days "
                         f"{sorted(map(str, starts))}: replay one plan year at a time")
    r = load_roster(roster, plans)
    fx = {key: load_fx(plan) for key, plan in plans.items() if plan.fx is not None}
    loaded, errors = {}, []
    for name, load, path in (("deals", load_deals, deals), ("quotas", load_quotas, quotas)):
        try:
            loaded[name] = load(path, r, plans, **({"fx": fx} if name == "deals" else {}))
        except InputError as e:
            errors.append(e)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)
    return Transactions(roster=r, plans=dict(plans), fx=fx, **loaded)
