"""The open pipeline as it stood on a day, rebuilt from CRM stage history.

A `spmsim.data.crm.History` becomes arrays (`Frames`, one entry per opportunity, with the
stage-history rows), which can be cut to what was known at the end of a day (`known_on`)
and read for the deals open then (`open_at`, `snapshot`). Without a stage history the
current fields stand in. The forecast (`spmsim.forecast.model`) calibrates and simulates on
these views.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from spmsim.data.crm import History
from spmsim.errors import InputError, Problem

# ---------------------------------------------------------------- history as arrays

_FAR = np.datetime64("9999-12-31")


@dataclass(frozen=True)
class _Rows:
    """Stage-history rows sorted by opportunity then date. `opp` is the opportunity's
    position; `until` the date the opportunity's next row was written: a row describes the
    deal on the days t with created <= t < until."""

    opp: np.ndarray
    stage: np.ndarray
    amount: np.ndarray
    close: np.ndarray
    created: np.ndarray
    until: np.ndarray

    def take(self, mask: np.ndarray) -> _Rows:
        return _Rows(*(getattr(self, k)[mask] for k in self.__dataclass_fields__))


@dataclass(frozen=True)
class Frames:
    """The history as arrays, one entry per opportunity. Stages are codes into `names`
    (the open stages in order, then won and lost); -1 is unknown. Dates are
    datetime64[D]."""

    ids: np.ndarray
    stage: np.ndarray
    amount: np.ndarray
    created: np.ndarray
    close: np.ndarray
    closed: np.ndarray
    won: np.ndarray
    rows: _Rows | None
    names: tuple[str, ...]
    source: str
    expected: np.ndarray | None = None  # dates-only exports: an amount known without outcome
    ratio: np.ndarray | None = None  # won amount / expected amount of the won deals

    @property
    def open_stages(self) -> tuple[str, ...]:
        return self.names[:-2]

    @property
    def dates_only(self) -> bool:
        """No stage history: the pipeline of a past day is approximated from created and
        close dates alone (see `history_frames`)."""
        return self.rows is None

    @cached_property
    def start(self) -> pd.Timestamp:
        """The first day the record is complete: the first close. An export of the deals
        closed since a date (or still open) holds older deals only if they closed later,
        so a pipeline rebuilt before its first close would miss the deals closed then."""
        return pd.Timestamp(self.close[self.closed].min() if self.closed.any()
                            else self.created[~np.isnat(self.created)].min())

    @cached_property
    def end(self) -> pd.Timestamp:
        """The last day the data knows about: the latest creation, change or close."""
        created = self.created[~np.isnat(self.created)]
        dates = [created.max(), self.close[self.closed].max() if self.closed.any()
                 else created.min()]
        if self.rows is not None and self.rows.created.size:
            dates.append(self.rows.created.max())
        return pd.Timestamp(max(dates))

    def state_at(self, day: np.datetime64) -> np.ndarray:
        """Positions of the stage-history rows in force at the end of `day` (one per deal)."""
        return np.flatnonzero((self.rows.created <= day) & (day < self.rows.until))

    def known_on(self, day: pd.Timestamp) -> Frames:
        """The history as it could be read at the end of `day`: later opportunities and
        rows dropped, and opportunities closed since shown open as they stood that day
        (without a stage history their stage is unknown and their close date the actual)."""
        d = day.to_datetime64().astype("datetime64[D]")
        keep = (self.created <= d) | (np.isnat(self.created) & (d >= self.end))
        later = self.closed & (self.close > d)
        stage, amount, close = self.stage.copy(), self.amount.copy(), self.close.copy()
        stage[later] = -1
        rows = None
        if self.rows is not None:
            r = self.state_at(d)
            r = r[later[self.rows.opp[r]]]
            i = self.rows.opp[r]
            stage[i], amount[i], close[i] = self.rows.stage[r], self.rows.amount[r], \
                self.rows.close[r]
            rows = self.rows.take((self.rows.created <= d) & keep[self.rows.opp])
            position = np.cumsum(keep) - 1
            rows = replace(rows, opp=position[rows.opp],
                           until=np.where(rows.until > d, _FAR, rows.until))
        if self.expected is not None:  # an outcome not known on `day`: the expected amount
            amount[later] = self.expected[later]
        return Frames(self.ids[keep], stage[keep], amount[keep], self.created[keep],
                      close[keep], (self.closed & ~later)[keep], (self.won & ~later)[keep],
                      rows, self.names, self.source,
                      None if self.expected is None else self.expected[keep], self.ratio)

    def open_at(self, day: np.datetime64) -> tuple[np.ndarray, ...]:
        """Deals open at the end of `day`: (position, stage, amount, expected close)."""
        if self.rows is None:
            seen = (self.created <= day) | (np.isnat(self.created) & (day >= self.end))
            i = np.flatnonzero(seen & (~self.closed | (self.close > day)))
            if self.expected is not None:  # dates only: stage = age band, no expected close
                age = (day - self.created[i]).astype(float)
                band = np.searchsorted(AGE_BANDS, age, side="left")
                stage = np.where(np.isnan(age), 0, band)
                return i, stage, self.expected[i], np.full(i.size, np.datetime64("NaT"),
                                                           dtype="datetime64[D]")
            stage = np.where(self.closed[i], -1, self.stage[i])
            return i, stage, self.amount[i], self.close[i]
        r = self.state_at(day)
        r = r[(self.rows.stage[r] >= 0) & (self.rows.stage[r] < len(self.open_stages))]
        r = r[self.created[self.rows.opp[r]] <= day]
        return self.rows.opp[r], self.rows.stage[r], self.rows.amount[r], self.rows.close[r]


def _dates(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype="datetime64[D]")


AGE_BANDS = np.array([30.0, 60.0, 90.0, 120.0, 180.0])  # days open: the stages of a
AGE_STAGES = ("open 0-30 days", "open 31-60 days", "open 61-90 days",  # dates-only export
              "open 91-120 days", "open 121-180 days", "open > 180 days")


def expected_amounts(o: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For an export without stage history: each deal's amount as it could be known before
    its outcome (the median won amount of its Product, else of its Type, else of all won
    deals; a lost deal's recorded amount may be 0 and a won one's is the final price), and
    the won deals' ratios of final to expected amount (the amount noise of a win)."""
    won = o[o["IsWon"].to_numpy(bool) & (o["Amount"].to_numpy(float) > 0)]
    fill = pd.Series(float(won["Amount"].median()) if len(won) else 0.0, index=o.index)
    for key in ("Type", "Product"):
        if key in o.columns and o[key].nunique() > 1:
            fill = o[key].map(won.groupby(key)["Amount"].median()).fillna(fill)
    expected = fill.to_numpy(float)
    w = o["IsWon"].to_numpy(bool) & (o["Amount"].to_numpy(float) > 0) & (expected > 0)
    return expected, o["Amount"].to_numpy(float)[w] / expected[w]


def history_frames(history: History, types: Sequence[str] | None = None) -> Frames:
    """A `spmsim.data.crm.History` as arrays, optionally of some `Type`s only.

    Without a stage history the past is approximated from created and close dates alone:
    a deal was open from its created date to its close; its stage is its age band
    (`AGE_STAGES`), its expected close is unknown and its amount the expected one
    (`expected_amounts`), so no snapshot reads an outcome it could not have known."""
    source = str(getattr(history, "source", "") or "history")
    o = history.opportunities
    if types is not None:
        unknown = sorted(set(types) - set(o["Type"]))
        if unknown:
            raise InputError(source, [Problem("types", f"no opportunity has Type {unknown} "
                                              f"(the history has {sorted(set(o['Type']))})")])
        o = o[o["Type"].isin(types)]
    names = (*history.stages.open, history.stages.won, history.stages.lost)
    code = {n: i for i, n in enumerate(names)}
    ids = o["Id"].to_numpy(dtype=object)
    rows = None
    if history.stage_history is not None:
        sh = history.stage_history
        opp = pd.Index(ids).get_indexer(sh["OpportunityId"])
        sh, opp = sh[opp >= 0], opp[opp >= 0]
        created = _dates(sh["CreatedDate"])
        order = np.lexsort((created, opp))
        sh, opp, created = sh.iloc[order], opp[order], created[order]
        by_opp = pd.Series(opp)  # blank amounts and close dates carry the last known one
        amount = sh["Amount"].reset_index(drop=True).groupby(by_opp).ffill().to_numpy(float)
        close = sh["CloseDate"].reset_index(drop=True).groupby(by_opp).ffill()
        amount = np.where(np.isnan(amount), o["Amount"].to_numpy(float)[opp], amount)
        close = np.where(close.isna(), _dates(o["CloseDate"])[opp], _dates(close))
        last = np.append(opp[1:] != opp[:-1], True)
        until = np.where(last, _FAR, np.roll(created, -1))
        rows = _Rows(opp, sh["StageName"].map(code).to_numpy(int), amount, close, created,
                     until)
    expected = ratio = None
    if rows is None:
        expected, ratio = expected_amounts(o)
        names = (*AGE_STAGES, history.stages.won, history.stages.lost)
        code = {n: i for i, n in enumerate(names)}
    return Frames(ids, o["StageName"].map(code).fillna(-1).to_numpy(int),
                  o["Amount"].to_numpy(float), _dates(o["CreatedDate"]),
                  _dates(o["CloseDate"]), o["IsClosed"].to_numpy(bool),
                  o["IsWon"].to_numpy(bool), rows, names, source, expected, ratio)


def parse_day(value, what: str, source: str) -> pd.Timestamp:
    """`value` as a day (midnight); an InputError on field `what` of `source` if it is not
    a date."""
    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError):
        day = pd.NaT
    if pd.isna(day):
        raise InputError(source, [Problem(what, f"{value!r} is not a date: write YYYY-MM-DD")])
    return day.normalize()


def check_period(f: Frames, as_of, period_end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(as_of, period_end) as days, checked: as_of inside the data, period_end after it."""
    as_of = parse_day(as_of, "as_of", f.source)
    period_end = parse_day(period_end, "period_end", f.source)
    if not f.start <= as_of <= f.end:
        raise InputError(f.source, [Problem("as_of", (
            f"{as_of:%Y-%m-%d} is outside the data: the history is complete from "
            f"{f.start:%Y-%m-%d} (its first close) to {f.end:%Y-%m-%d}; pick a date inside"))])
    if period_end <= as_of:
        raise InputError(f.source, [Problem("period_end", (
            f"{period_end:%Y-%m-%d} is not after as_of {as_of:%Y-%m-%d}: the period is "
            "(as_of, period_end]"))])
    return as_of, period_end


def close_bucket(close: np.ndarray, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """0 overdue (expected close <= start), 1 in period (<= end), 2 later (or unknown)."""
    close = np.asarray(close, dtype="datetime64[D]")
    s, e = (d.to_datetime64().astype("datetime64[D]") for d in (start, end))
    return np.where(close <= s, 0, np.where(close <= e, 1, 2))


# ---------------------------------------------------------------- snapshot

@dataclass(frozen=True)
class Snapshot:
    """The open pipeline at the end of day `as_of`: Id, StageName, Amount, CloseDate (the
    expected close that day), CreatedDate. `reconstructed` is False when there was no stage
    history: the current fields stand in (stage unknown for deals closed since)."""

    as_of: pd.Timestamp
    deals: pd.DataFrame
    reconstructed: bool
    stages: tuple[str, ...]

    def by_stage(self) -> pd.DataFrame:
        """Deals and amount per open stage, in stage order."""
        stage = self.deals["StageName"].fillna("(unknown)")
        table = self.deals.groupby(stage)["Amount"].agg(deals="size", amount="sum")
        order = [s for s in (*self.stages, "(unknown)") if s in table.index]
        return table.reindex(order).rename_axis("stage").reset_index()


def snapshot_at(known: Frames, as_of: pd.Timestamp) -> Snapshot:
    """The open pipeline at the end of `as_of` from a history already cut to that day
    (`Frames.known_on`); warns when the current fields stand in or amounts are blank."""
    day = as_of.to_datetime64().astype("datetime64[D]")
    i, stage, amount, close = known.open_at(day)
    names = np.array([*known.names, None], dtype=object)
    deals = pd.DataFrame({"Id": known.ids[i], "StageName": names[stage], "Amount": amount,
                          "CloseDate": pd.to_datetime(close),
                          "CreatedDate": pd.to_datetime(known.created[i])})
    if known.rows is None:
        warnings.warn(f"{known.source}: no stage history, so the pipeline at {as_of:%Y-%m-%d} "
                      "is approximated from created and close dates (stage: days open; "
                      "amount: the expected one; expected close unknown)", stacklevel=3)
    if deals["Amount"].isna().any():
        warnings.warn(f"{known.source}: {deals['Amount'].isna().sum()} open deal(s) at "
                      f"{as_of:%Y-%m-%d} without an amount count as 0", stacklevel=3)
        deals["Amount"] = deals["Amount"].fillna(0.0)
    return Snapshot(as_of, deals, known.rows is not None, known.open_stages)


def snapshot(history: History, as_of, *, types: Sequence[str] | None = None) -> Snapshot:
    """The open pipeline as it stood at the end of day `as_of`, from the stage history."""
    f = history_frames(history, types)
    day = parse_day(as_of, "as_of", f.source)
    check_period(f, day, day + pd.Timedelta(days=1))
    return snapshot_at(f.known_on(day), day)
