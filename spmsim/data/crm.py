"""CRM history in the shape of Salesforce report exports: read, map columns, check rows.

A history folder holds `opportunities.csv` and `roster.csv`, and optionally
`stage_history.csv` (Salesforce OpportunityHistory) and `accounts.csv`; the columns are
listed in `COLUMNS` (and the optional segment columns in `EXTRA_COLUMNS`). A mapping YAML
(`mapping.yaml` in the folder is read by default) renames other column names onto these,
names other files, the stage names and the date formats, gives a value to a column the
export lacks (`defaults`) and derives one from another (`derive`); `IsClosed` and `IsWon`
are derived from the stage names when the export has no such columns. A column the
mapping does not use is refused (a misspelt name is caught) unless the mapping says
`extra_columns: ignore`.

Every row is checked; bad rows are reported with their line in the file (the header is
line 1, so a line is the row number a spreadsheet shows) and a summary by kind; a blank
cell is reported as blank, not as malformed. Open deals may lack a close date, an amount
(imputed: the median won amount of their product, else of their Type) or, when the
export only dates engaged deals, a created date. Every assumption made (defaults, derived
flags, imputed amounts, reps without hire dates) is listed in the report. Reading refuses
a history with bad rows unless asked to go on with the good ones.
"""

from __future__ import annotations

import warnings
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
OPTIONAL_COLUMNS = {"opportunities": ("AccountId", "IsClosed", "IsWon"), "stage_history": (),
                    "roster": ("Name", "StartDate", "EndDate"),
                    "accounts": ("Name", "Segment", "BillingState", "AnnualRevenue")}
# segment columns kept when the export has them (products, regions, teams, managers)
EXTRA_COLUMNS = {"opportunities": ("Product", "Region"), "stage_history": (),
                 "roster": ("Team", "Manager", "Region"), "accounts": ()}
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


class Derived(Frozen):
    """One of our columns computed from one of theirs: `values` maps their value to ours,
    any other value gets `otherwise` (blank: the row is reported)."""

    column: str = Field(min_length=1, description="their column to read")
    values: dict[str, str] = Field(default_factory=dict)
    otherwise: str = ""


class ColumnMapping(Frozen):
    """How an export differs from the Salesforce shape: `<file>: {Column: "their name"}`,
    other file names, stage names, Type values, date formats (strftime codes), values for
    columns the export lacks (`defaults`) and columns derived from others (`derive`)."""

    files: dict[str, str] = Field(default_factory=dict)
    opportunities: dict[str, str] = Field(default_factory=dict)
    stage_history: dict[str, str] = Field(default_factory=dict)
    roster: dict[str, str] = Field(default_factory=dict)
    accounts: dict[str, str] = Field(default_factory=dict)
    stages: StageNames = StageNames()
    types: dict[str, str] = Field(default_factory=dict, description="their Type value -> ours")
    date_format: str = ISO
    date_formats: dict[str, str] = Field(
        default_factory=dict, description="our date column -> its format, when it differs")
    defaults: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="<file>: {Column: value} for columns the export "
        "lacks (each is listed as an assumption)")
    derive: dict[str, dict[str, Derived]] = Field(
        default_factory=dict, description="<file>: {Column: {column, values, otherwise}}")
    extra_columns: Literal["refuse", "ignore"] = Field(
        "refuse", description="columns of an export that the mapping does not use: refused "
        "(a misspelt name is caught), or `ignore`d (exports carry many columns spmsim does "
        "not use)")

    @model_validator(mode="after")
    def _known(self) -> ColumnMapping:
        for theirs, ours in self.types.items():
            if ours not in TYPES:
                raise ValueError(f"types.{theirs}: map onto one of {', '.join(TYPES)}")
        for key in self.files:
            if key not in COLUMNS:
                raise ValueError(f"files.{key}: not a history file (one of {', '.join(COLUMNS)})")
        for kind, columns in COLUMNS.items():
            known = (*columns, *EXTRA_COLUMNS[kind])
            for name in getattr(self, kind):
                if name not in known:
                    raise ValueError(f"{kind}.{name}: not a column of {kind} (one of "
                                     f"{', '.join(known)}); map OUR name to YOUR name")
        for section in ("defaults", "derive"):
            for kind, cols in getattr(self, section).items():
                if kind not in COLUMNS:
                    raise ValueError(f"{section}.{kind}: not a history file (one of "
                                     f"{', '.join(COLUMNS)})")
                for name in cols:
                    if name not in (*COLUMNS[kind], *EXTRA_COLUMNS[kind]):
                        raise ValueError(f"{section}.{kind}.{name}: not a column of {kind}")
        dated = {c for cols in COLUMNS.values() for c in cols if c.endswith("Date")}
        for name in self.date_formats:
            if name not in dated:
                raise ValueError(f"date_formats.{name}: not a date column (one of "
                                 f"{', '.join(sorted(dated))})")
        return self

    def file(self, kind: str) -> str:
        return self.files.get(kind, f"{kind}.csv")

    def column(self, kind: str, name: str) -> str:
        return getattr(self, kind).get(name, name)

    def date(self, name: str) -> str:
        return self.date_formats.get(name, self.date_format)


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
    assumptions: list[str] = field(default_factory=list)
    imputed: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.bad.values())

    def file_summary(self, file: str) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in self.kinds[file].most_common())
        return f"{self.bad[file]:,} of {self.rows[file]:,} rows bad ({kinds}); {LINE_NOTE}"

    def summary(self) -> str:
        lines = [f"{f}: {self.file_summary(f) if self.bad[f] else f'{n:,} rows, all good'}"
                 for f, n in self.rows.items()]
        lines += [f"assumed: {a}" for a in self.assumptions]
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

    def dates(self, column: str, fmt: str, required: bool | pd.Series) -> pd.Series:
        """`column` parsed with `fmt`; a blank cell is reported (as blank) only where
        `required` (a flag, or a mask of the rows that need the date)."""
        raw = self.df[column]
        parsed = pd.to_datetime(raw, format=fmt, errors="coerce").astype("datetime64[ns]")
        shown = fmt.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
        self.flag(parsed.isna() & (raw != ""), column, "bad dates",
                  f"not a date: write it as {shown} (or set date_formats.{column} in the "
                  "mapping)")
        need = required if isinstance(required, pd.Series) else \
            pd.Series(bool(required), index=raw.index)
        self.flag((raw == "") & need, column, "missing dates",
                  "blank: this row needs the date")
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


def _read(folder: Path, kind: str, mapping: ColumnMapping, assumptions: list[str]
          ) -> tuple[Path, pd.DataFrame]:
    """The file's cells as stripped strings under OUR column names; '' for blank. Columns
    the mapping does not name are ignored; defaults and derived columns are filled in
    (each noted in `assumptions`)."""
    path = folder / mapping.file(kind)
    df = read_table(path, ((), ()), extra="ignore")
    defaults, derive = mapping.defaults.get(kind, {}), mapping.derive.get(kind, {})
    for name, rule in derive.items():
        if rule.column not in df.columns:
            raise InputError(path, f"derive.{kind}.{name}: no column {rule.column!r} (found "
                                   f"{list(df.columns)})")
    ours = (*COLUMNS[kind], *EXTRA_COLUMNS[kind])
    names = {c: mapping.column(kind, c) for c in ours
             if c not in derive and mapping.column(kind, c) in df.columns}
    missing = [c for c in COLUMNS[kind] if c not in OPTIONAL_COLUMNS[kind]
               and c not in defaults and c not in derive
               and mapping.column(kind, c) not in df.columns]
    if missing:
        shown = [f"{mapping.column(kind, c)!r}" + (f" (our {c})" if mapping.column(kind, c) != c
                                                  else "") for c in missing]
        raise InputError(path, f"missing column{'s' if len(shown) > 1 else ''} "
                               f"{', '.join(shown)}; found "
                               f"{list(df.columns)}. Rename the column, or map it in a mapping "
                               f"YAML: `{kind}: {{{missing[0]}: \"Your Column\"}}`")
    if mapping.extra_columns == "refuse":
        used = {*names.values(), *(r.column for r in derive.values())}
        refuse_unknown(path, list(df.columns), sorted(used), fix=f"; or map it (`{kind}: "
                       "{Column: ...}`), or skip the columns spmsim does not use with "
                       "`extra_columns: ignore` in the mapping YAML")
    out = pd.DataFrame({ours: df[theirs] for ours, theirs in names.items()}, index=df.index)
    for name, rule in derive.items():
        values = df[rule.column].map(rule.values).fillna(rule.otherwise)
        out[name] = values
        assumptions.append(f"{path.name}: {name} derived from {rule.column!r} ("
                           + ", ".join(f"{k} -> {v}" for k, v in rule.values.items())
                           + (f", otherwise {rule.otherwise}" if rule.otherwise else "") + ")")
    for name, value in defaults.items():
        if name not in out.columns:
            out[name] = value
            assumptions.append(f"{path.name}: no {name} column, every row taken as {value!r}")
    absent = [c for c in COLUMNS[kind] if c not in out.columns]
    for c in absent:
        out[c] = ""
    extra = [c for c in EXTRA_COLUMNS[kind] if c in out.columns]
    out = out[[*COLUMNS[kind], *extra]]
    out.attrs["absent"] = absent
    return path, out


def _extra(df: pd.DataFrame, kind: str) -> dict[str, pd.Series]:
    return {c: df[c] for c in EXTRA_COLUMNS[kind] if c in df.columns}


def _roster(check: _Check, mapping: ColumnMapping) -> pd.DataFrame:
    df = check.df
    check.unique_ids("Id")
    check.flag(df["Role"] == "", "Role", "missing roles", "give the rep's role (job title), "
               "or one role for all under `defaults: {roster: {Role: ...}}` in the mapping")
    start = check.dates("StartDate", mapping.date("StartDate"), False)
    end = check.dates("EndDate", mapping.date("EndDate"), False)
    check.flag(end < start, "EndDate", "bad dates", "is before StartDate")
    return pd.DataFrame({"Id": df["Id"], "Name": df["Name"], "Role": df["Role"],
                         "StartDate": start, "EndDate": end, **_extra(df, "roster")})


def _accounts(check: _Check) -> pd.DataFrame:
    df = check.df
    check.unique_ids("Id")
    revenue = check.numbers("AnnualRevenue", "bad amounts")
    return pd.DataFrame({"Id": df["Id"], "Name": df["Name"], "Segment": df["Segment"],
                         "BillingState": df["BillingState"], "AnnualRevenue": revenue})


def _opportunities(check: _Check, mapping: ColumnMapping, owners: pd.Index,
                   accounts: pd.Index | None, derived_flags: bool) -> pd.DataFrame:
    df, stages, types = check.df, mapping.stages, mapping.types
    kind = df["Type"].replace(types) if types else df["Type"]
    check.unique_ids("Id")
    expect_closed = df["StageName"].isin([stages.won, stages.lost])
    created = check.dates("CreatedDate", mapping.date("CreatedDate"), expect_closed)
    close = check.dates("CloseDate", mapping.date("CloseDate"), expect_closed)
    check.flag(close < created, "CloseDate", "bad dates", "is before CreatedDate")
    amount = check.numbers("Amount")
    check.flag(~df["StageName"].isin(stages.all), "StageName", "unknown stages",
               f"not a stage ({', '.join(stages.all)}); name the stages in the mapping")
    if derived_flags:
        closed, won = expect_closed, df["StageName"] == stages.won
    else:
        closed, won = check.flags("IsClosed"), check.flags("IsWon")
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
                         "CloseDate": close, "IsClosed": closed.astype(bool),
                         "IsWon": won.astype(bool), "Type": kind, **_extra(df, "opportunities")})


def _stage_history(check: _Check, mapping: ColumnMapping, opportunities: pd.Index
                   ) -> pd.DataFrame:
    stages = mapping.stages
    df = check.df
    check.flag(~df["OpportunityId"].isin(opportunities), "OpportunityId",
               "unknown opportunities", "not in opportunities.csv (or on a bad row there)")
    check.flag(~df["StageName"].isin(stages.all), "StageName", "unknown stages",
               f"not a stage ({', '.join(stages.all)}); name the stages in the mapping")
    amount = check.numbers("Amount")
    close = check.dates("CloseDate", mapping.date("CloseDate"), False)
    created = check.dates("CreatedDate", mapping.date("CreatedDate"), True)
    return pd.DataFrame({"OpportunityId": df["OpportunityId"], "StageName": df["StageName"],
                         "Amount": amount, "CloseDate": close, "CreatedDate": created})


def _assume(opps: pd.DataFrame, roster: pd.DataFrame, stages: StageNames, derived: bool,
            checks: dict[str, _Check], assumptions: list[str]) -> dict[str, int]:
    """Fill what open deals may lack and note every assumption: flags derived from stage
    names, blank amounts of open deals imputed (median won amount of the same Product, else
    Type, else all won deals; `AmountImputed` marks them), open deals without dates, reps
    without hire dates. Returns the counts of imputed values."""
    name = checks["opportunities"].path.name
    if derived:
        assumptions.append(f"{name}: no IsClosed/IsWon columns; derived from the stage names "
                           f"(won: {stages.won!r}, lost: {stages.lost!r}, open: "
                           f"{', '.join(stages.open)})")
    blank = ~opps["IsClosed"] & opps["Amount"].isna()
    opps["AmountImputed"] = blank
    won = opps[opps["IsWon"] & (opps["Amount"] > 0)]
    if blank.any() and not won.empty:
        fill = pd.Series(float(won["Amount"].median()), index=opps.index)
        by = "all won deals"
        for key in ("Type", "Product"):
            if key in opps.columns and opps[key].nunique() > 1:
                medians = won.groupby(key)["Amount"].median()
                fill = opps[key].map(medians).fillna(fill)
                by = f"won deals of the same {key}"
        opps.loc[blank, "Amount"] = fill[blank]
        assumptions.append(f"{name}: {int(blank.sum()):,} open deal(s) without an amount; "
                           f"imputed with the median amount of {by}")
    undated = ~opps["IsClosed"] & opps["CreatedDate"].isna()
    if undated.any():
        assumptions.append(f"{name}: {int(undated.sum()):,} open deal(s) without a created "
                           "date; counted in the pipeline at the export only")
    no_close = ~opps["IsClosed"] & opps["CloseDate"].isna()
    if no_close.any():
        assumptions.append(f"{name}: {int(no_close.sum()):,} open deal(s) without an expected "
                           "close date")
    no_start = roster["StartDate"].isna()
    if no_start.any():
        assumptions.append(f"{checks['roster'].path.name}: {int(no_start.sum()):,} rep(s) "
                           "without a hire date; taken as fully ramped before the history")
    return {"amounts": int(blank.sum()), "created_dates": int(undated.sum()),
            "close_dates": int(no_close.sum()), "hire_dates": int(no_start.sum())}


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
    stages = mapping.stages
    checks: dict[str, _Check] = {}
    assumptions: list[str] = []
    flags: dict[str, bool] = {}

    def run(kind: str, parse: Callable[[_Check], pd.DataFrame]) -> pd.DataFrame | None:
        if kind in OPTIONAL_FILES and not (folder / mapping.file(kind)).is_file():
            return None
        path, df = _read(folder, kind, mapping, assumptions)
        if kind == "opportunities":
            flags["derived"] = {"IsClosed", "IsWon"} <= set(df.attrs["absent"])
        check = checks[kind] = _Check(kind, path, df)
        out = parse(check)
        return out[~check.bad].reset_index(drop=True)

    roster = run("roster", lambda c: _roster(c, mapping))
    accounts = run("accounts", _accounts)
    opps = run("opportunities", lambda c: _opportunities(
        c, mapping, pd.Index(roster["Id"]),
        None if accounts is None else pd.Index(accounts["Id"]), flags.get("derived", False)))
    history = run("stage_history", lambda c: _stage_history(c, mapping, pd.Index(opps["Id"])))
    if history is not None:
        history = history.sort_values(["OpportunityId", "CreatedDate"], kind="stable",
                                      ignore_index=True)
    imputed = _assume(opps, roster, stages, flags.get("derived", False), checks, assumptions)
    report = CheckReport(problems={c.path.name: c.problems for c in checks.values()},
                         kinds={c.path.name: +c.kinds for c in checks.values()},
                         rows={c.path.name: len(c.df) for c in checks.values()},
                         bad={c.path.name: int(c.bad.sum()) for c in checks.values()},
                         assumptions=assumptions, imputed=imputed)
    return History(opportunities=opps, roster=roster, stage_history=history, accounts=accounts,
                   stages=stages, report=report, source=str(folder)), report


def read_history(folder: str | Path, mapping: str | Path | ColumnMapping | None = None,
                 drop_bad: bool = False) -> History:
    """Read a history folder; with bad rows, raise (naming each with its line and a
    summary) unless `drop_bad`, which goes on with the good rows only."""
    history, report = check_history(folder, mapping)
    if report.ok or drop_bad:
        if report.assumptions:
            warnings.warn(f"{folder}: assumed\n  " + "\n  ".join(report.assumptions),
                          stacklevel=2)
        return history
    errors = [InputError(Path(folder) / name, [Problem(
        "summary", report.file_summary(name) + "; fix them, or go on with the good rows "
        "only (--drop-bad, drop_bad=True)"), *problems])
        for name, problems in report.problems.items() if report.bad[name]]
    raise errors[0] if len(errors) == 1 else InputErrors(errors)
