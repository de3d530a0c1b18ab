"""CRM history in the shape of Salesforce report exports: read, map columns, check rows.

A history folder holds `opportunities.csv` and `roster.csv`, and optionally
`stage_history.csv` (Salesforce OpportunityHistory) and `accounts.csv`; the columns are
listed in `COLUMNS`. A mapping YAML (`mapping.yaml` in the folder is read by default)
renames other column names onto these, names other files, the stage names and the date
format. Every row is checked; bad rows are reported with their line in the file (the
header is line 1, so a line is the row number a spreadsheet shows) and a summary by
kind. Reading refuses a history with bad rows unless asked to go on with the good ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from spmsim.config import MAX_MONEY, Frozen, read_yaml
from spmsim.data.rows import read_table, refuse_unknown
from spmsim.errors import InputError, InputErrors, Problem, problems_from_validation

OPEN_STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation")
WON, LOST = "Closed Won", "Closed Lost"
TYPES = ("New Business", "Existing Business", "Renewal")
COLUMNS = {
    "opportunities": ("Id", "AccountId", "OwnerId", "StageName", "Amount", "CreatedDate",
                      "CloseDate", "IsClosed", "IsWon", "Type"),
    "stage_history": ("OpportunityId", "StageName", "Amount", "CloseDate", "CreatedDate"),
    "roster": ("Id", "Name", "Role", "StartDate", "EndDate"),
    "accounts": ("Id", "Name", "Segment", "BillingState", "AnnualRevenue"),
}
OPTIONAL_COLUMNS = {"opportunities": ("AccountId",), "stage_history": (),
                    "roster": ("Name", "EndDate"),
                    "accounts": ("Name", "Segment", "BillingState", "AnnualRevenue")}
OPTIONAL_FILES = ("stage_history", "accounts")
MAPPING_FILE = "mapping.yaml"
ISO = "%Y-%m-%d"
LINE_NOTE = "line numbers count the header as line 1, as a spreadsheet numbers its rows"
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class StageNames(Frozen):
    """The stage names a CRM uses: open stages in order, then the won and lost stages."""

    open: tuple[str, ...] = Field(OPEN_STAGES, min_length=1)
    won: str = WON
    lost: str = LOST

    @model_validator(mode="after")
    def _distinct(self) -> StageNames:
        names = [*self.open, self.won, self.lost]
        if len(set(names)) != len(names) or not all(n.strip() for n in names):
            raise ValueError(f"stage names must be distinct and non-empty (got {names})")
        return self

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.open, self.won, self.lost)


class ColumnMapping(Frozen):
    """How an export differs from the Salesforce shape: `<file>: {Column: "their name"}`,
    other file names, stage names, Type values and the date format (strftime codes)."""

    files: dict[str, str] = Field(default_factory=dict)
    opportunities: dict[str, str] = Field(default_factory=dict)
    stage_history: dict[str, str] = Field(default_factory=dict)
    roster: dict[str, str] = Field(default_factory=dict)
    accounts: dict[str, str] = Field(default_factory=dict)
    stages: StageNames = StageNames()
    types: dict[str, str] = Field(default_factory=dict, description="their Type value -> ours")
    date_format: str = ISO
    extra_columns: Literal["refuse", "ignore"] = Field(
        "refuse", description="columns of an export that are not mapped: refused (a misspelt "
        "name is caught), or `ignore`d (exports often carry many columns spmsim does not use)")

    @model_validator(mode="after")
    def _known(self) -> ColumnMapping:
        for theirs, ours in self.types.items():
            if ours not in TYPES:
                raise ValueError(f"types.{theirs}: map onto one of {', '.join(TYPES)}")
        for key in self.files:
            if key not in COLUMNS:
                raise ValueError(f"files.{key}: not a history file (one of {', '.join(COLUMNS)})")
        for kind, columns in COLUMNS.items():
            for name in getattr(self, kind):
                if name not in columns:
                    raise ValueError(f"{kind}.{name}: not a column of {kind} (one of "
                                     f"{', '.join(columns)}); map OUR name to YOUR name")
        return self

    def file(self, kind: str) -> str:
        return self.files.get(kind, f"{kind}.csv")

    def column(self, kind: str, name: str) -> str:
        return getattr(self, kind).get(name, name)


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read and check a column-mapping YAML."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(path, "a mapping file is a mapping, e.g. `opportunities: {Id: "
                               "\"Opportunity ID\"}`")
    try:
        return ColumnMapping.model_validate(data)
    except ValidationError as e:
        keys = frozenset(ColumnMapping.model_fields) | frozenset(StageNames.model_fields)
        raise InputError(path, problems_from_validation(e, frozenset(), keys)) from e


@dataclass(frozen=True)
class CheckReport:
    """What checking found: problems per file (line-numbered), counts by kind, row totals."""

    problems: dict[str, list[Problem]] = field(default_factory=dict)
    kinds: dict[str, Counter] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    bad: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.bad.values())

    def file_summary(self, file: str) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in self.kinds[file].most_common())
        return f"{self.bad[file]:,} of {self.rows[file]:,} rows bad ({kinds}); {LINE_NOTE}"

    def summary(self) -> str:
        lines = [f"{f}: {self.file_summary(f) if self.bad[f] else f'{n:,} rows, all good'}"
                 for f, n in self.rows.items()]
        return "\n".join(lines)

    def text(self, limit: int = 50) -> str:
        """The summary, then each file's bad rows (the first `limit` of each)."""
        lines = [self.summary()]
        for f, problems in self.problems.items():
            lines += [f"{f}: {p}" for p in problems[:limit]]
            if len(problems) > limit:
                lines.append(f"{f}: ... and {len(problems) - limit:,} more bad rows")
        return "\n".join(lines)


@dataclass(frozen=True)
class History:
    """A checked CRM history: typed frames in the Salesforce column names.

    Dates are datetime64 (NaT when blank), `Amount`/`AnnualRevenue` floats (NaN when
    blank), `IsClosed`/`IsWon` booleans; `stage_history` and `accounts` may be None.
    `report` says what checking found (and which rows were dropped, if any).
    """

    opportunities: pd.DataFrame
    roster: pd.DataFrame
    stage_history: pd.DataFrame | None = None
    accounts: pd.DataFrame | None = None
    stages: StageNames = StageNames()
    report: CheckReport = field(default_factory=CheckReport)
    source: str = ""

    @property
    def as_of(self) -> pd.Timestamp:
        """The export date: the latest day on which the CRM recorded something (an
        opportunity created or closed, a stage-history row). Roster dates do not count:
        HR may enter a start or an exit ahead of time."""
        opps = self.opportunities
        dates = [opps["CreatedDate"], opps["CloseDate"][opps["IsClosed"]]]
        if self.stage_history is not None:
            dates.append(self.stage_history["CreatedDate"])
        return max(d.max() for d in dates if d.notna().any())


class _Check:
    """Collects bad rows of one file: each with its line, column, value, kind and fix."""

    def __init__(self, name: str, path: Path, df: pd.DataFrame):
        self.name, self.path, self.df = name, path, df
        self.problems: list[Problem] = []
        self.kinds: Counter = Counter()
        self.bad = pd.Series(False, index=df.index)

    def flag(self, mask: pd.Series, column: str, kind: str,
             message: str | Callable[[pd.Series], str]) -> None:
        mask = mask.fillna(False).astype(bool) & ~self.bad  # one problem per row
        for idx in self.df.index[mask.to_numpy()]:
            row = self.df.loc[idx]
            text = message(row) if callable(message) else message
            self.problems.append(Problem(f"line {idx + 2}, {column}={row[column]!r}", text))
        self.kinds[kind] += int(mask.sum())
        self.bad |= mask

    def dates(self, column: str, fmt: str, required: bool) -> pd.Series:
        raw = self.df[column]
        parsed = pd.to_datetime(raw, format=fmt, errors="coerce").astype("datetime64[ns]")
        shown = fmt.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
        self.flag(parsed.isna() & ((raw != "") | required), column, "bad dates",
                  f"not a date: write it as {shown} (or set date_format in the mapping)")
        return parsed

    def numbers(self, column: str, kind: str = "bad amounts") -> pd.Series:
        raw = self.df[column].str.replace(",", "", regex=False)
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        self.flag((raw != "") & ~np.isfinite(values), column, kind, "not a number")
        self.flag(values < 0, column, kind, "must not be negative")
        self.flag(values > MAX_MONEY, column, kind, f"larger than {MAX_MONEY:,.0f}: check the unit")
        return values.where(np.isfinite(values))

    def flags(self, column: str) -> pd.Series:
        low = self.df[column].str.lower()
        self.flag(~low.isin(_TRUE | _FALSE), column, "bad flags", "write true or false")
        return low.isin(_TRUE)

    def unique_ids(self, column: str) -> None:
        self.flag(self.df[column] == "", column, "missing ids", "give every row an id")
        dup = self.df[column].duplicated(keep="first") & (self.df[column] != "")
        first = {v: i + 2 for i, v in self.df[column][::-1].items()}
        self.flag(dup, column, "duplicate ids",
                  lambda r: f"repeats the id on line {first[r[column]]}: keep one row")


def _read(folder: Path, kind: str, mapping: ColumnMapping) -> tuple[Path, pd.DataFrame]:
    """The file's cells as stripped strings under OUR column names; '' for blank."""
    path = folder / mapping.file(kind)
    df = read_table(path, ((), ()), extra="ignore")
    names = {mapping.column(kind, c): c for c in COLUMNS[kind]}
    missing = [c for c in COLUMNS[kind] if c not in OPTIONAL_COLUMNS[kind]
               and mapping.column(kind, c) not in df.columns]
    if missing:
        shown = [f"{mapping.column(kind, c)!r}" + (f" (our {c})" if mapping.column(kind, c) != c
                                                  else "") for c in missing]
        raise InputError(path, f"missing column{'s' if len(shown) > 1 else ''} "
                               f"{', '.join(shown)}; found "
                               f"{list(df.columns)}. Rename the column, or map it in a mapping "
                               f"YAML: `{kind}: {{{missing[0]}: \"Your Column\"}}`")
    if mapping.extra_columns == "refuse":
        refuse_unknown(path, list(df.columns), list(names), fix="; or skip the columns "
                       "spmsim does not use with `extra_columns: ignore` in the mapping YAML")
    df = df.rename(columns=names)
    for c in COLUMNS[kind]:
        if c not in df.columns:
            df[c] = ""
    return path, df[list(COLUMNS[kind])]


def _roster(check: _Check, fmt: str) -> pd.DataFrame:
    df = check.df
    check.unique_ids("Id")
    check.flag(df["Role"] == "", "Role", "missing roles", "give the rep's role (job title)")
    start, end = check.dates("StartDate", fmt, True), check.dates("EndDate", fmt, False)
    check.flag(end < start, "EndDate", "bad dates", "is before StartDate")
    return pd.DataFrame({"Id": df["Id"], "Name": df["Name"], "Role": df["Role"],
                         "StartDate": start, "EndDate": end})


def _accounts(check: _Check) -> pd.DataFrame:
    df = check.df
    check.unique_ids("Id")
    revenue = check.numbers("AnnualRevenue", "bad amounts")
    return pd.DataFrame({"Id": df["Id"], "Name": df["Name"], "Segment": df["Segment"],
                         "BillingState": df["BillingState"], "AnnualRevenue": revenue})


def _opportunities(check: _Check, fmt: str, stages: StageNames, owners: pd.Index,
                   accounts: pd.Index | None, types: dict[str, str]) -> pd.DataFrame:
    df = check.df
    kind = df["Type"].replace(types) if types else df["Type"]
    check.unique_ids("Id")
    created, close = check.dates("CreatedDate", fmt, True), check.dates("CloseDate", fmt, True)
    check.flag(close < created, "CloseDate", "bad dates", "is before CreatedDate")
    amount = check.numbers("Amount")
    closed, won = check.flags("IsClosed"), check.flags("IsWon")
    check.flag(~df["StageName"].isin(stages.all), "StageName", "unknown stages",
               f"not a stage ({', '.join(stages.all)}); name the stages in the mapping")
    expect_closed = df["StageName"].isin([stages.won, stages.lost])
    check.flag((closed != expect_closed) | (won != (df["StageName"] == stages.won)), "StageName",
               "flags disagree with stage", lambda r: f"IsClosed={r['IsClosed']}, IsWon="
               f"{r['IsWon']} do not fit this stage")
    check.flag(won & ~(amount > 0), "Amount", "closed-won without amount",
               "a won deal needs its amount (> 0)")
    check.flag(~df["OwnerId"].isin(owners), "OwnerId", "unknown owners",
               "not in the roster (or on a bad roster row): add the rep to roster.csv")
    check.flag(~kind.isin(TYPES), "Type", "unknown types",
               f"one of {', '.join(TYPES)}; map other values under `types:` in the mapping")
    if accounts is not None:
        check.flag((df["AccountId"] != "") & ~df["AccountId"].isin(accounts), "AccountId",
                   "unknown accounts", "not in accounts.csv")
    return pd.DataFrame({"Id": df["Id"], "AccountId": df["AccountId"], "OwnerId": df["OwnerId"],
                         "StageName": df["StageName"], "Amount": amount, "CreatedDate": created,
                         "CloseDate": close, "IsClosed": closed, "IsWon": won,
                         "Type": kind})


def _stage_history(check: _Check, fmt: str, stages: StageNames,
                   opportunities: pd.Index) -> pd.DataFrame:
    df = check.df
    check.flag(~df["OpportunityId"].isin(opportunities), "OpportunityId",
               "unknown opportunities", "not in opportunities.csv (or on a bad row there)")
    check.flag(~df["StageName"].isin(stages.all), "StageName", "unknown stages",
               f"not a stage ({', '.join(stages.all)}); name the stages in the mapping")
    amount = check.numbers("Amount")
    close, created = check.dates("CloseDate", fmt, False), check.dates("CreatedDate", fmt, True)
    return pd.DataFrame({"OpportunityId": df["OpportunityId"], "StageName": df["StageName"],
                         "Amount": amount, "CloseDate": close, "CreatedDate": created})


def check_history(folder: str | Path, mapping: str | Path | ColumnMapping | None = None
                  ) -> tuple[History, CheckReport]:
    """Read every file of a history folder and check every row; the History holds the good
    rows only (a row referring to a bad row of another file is bad too)."""
    folder = Path(folder)
    if mapping is None and (folder / MAPPING_FILE).is_file():
        mapping = folder / MAPPING_FILE
    if not isinstance(mapping, ColumnMapping):
        mapping = ColumnMapping() if mapping is None else load_mapping(mapping)
    if not folder.is_dir():
        raise InputError(folder, "no such history folder (it holds opportunities.csv, "
                                 "roster.csv[, stage_history.csv, accounts.csv])")
    fmt, stages = mapping.date_format, mapping.stages
    checks: dict[str, _Check] = {}

    def run(kind: str, parse: Callable[[_Check], pd.DataFrame]) -> pd.DataFrame | None:
        if kind in OPTIONAL_FILES and not (folder / mapping.file(kind)).is_file():
            return None
        path, df = _read(folder, kind, mapping)
        check = checks[kind] = _Check(kind, path, df)
        out = parse(check)
        return out[~check.bad].reset_index(drop=True)

    roster = run("roster", lambda c: _roster(c, fmt))
    accounts = run("accounts", _accounts)
    opps = run("opportunities", lambda c: _opportunities(
        c, fmt, stages, pd.Index(roster["Id"]),
        None if accounts is None else pd.Index(accounts["Id"]), mapping.types))
    history = run("stage_history", lambda c: _stage_history(c, fmt, stages, pd.Index(opps["Id"])))
    if history is not None:
        history = history.sort_values(["OpportunityId", "CreatedDate"], kind="stable",
                                      ignore_index=True)
    report = CheckReport(problems={c.path.name: c.problems for c in checks.values()},
                         kinds={c.path.name: +c.kinds for c in checks.values()},
                         rows={c.path.name: len(c.df) for c in checks.values()},
                         bad={c.path.name: int(c.bad.sum()) for c in checks.values()})
    return History(opportunities=opps, roster=roster, stage_history=history, accounts=accounts,
                   stages=stages, report=report, source=str(folder)), report


def read_history(folder: str | Path, mapping: str | Path | ColumnMapping | None = None,
                 drop_bad: bool = False) -> History:
    """Read a history folder; with bad rows, raise (naming each with its line and a
    summary) unless `drop_bad`, which goes on with the good rows only."""
    history, report = check_history(folder, mapping)
    if report.ok or drop_bad:
        return history
    errors = [InputError(Path(folder) / name, [Problem(
        "summary", report.file_summary(name) + "; fix them, or go on with the good rows "
        "only (--drop-bad, drop_bad=True)"), *problems])
        for name, problems in report.problems.items() if report.bad[name]]
    raise errors[0] if len(errors) == 1 else InputErrors(errors)
