"""Exchange rates: a plan's FX table read and checked, and deal amounts converted with it.

fx file: currency, rate[, date]   (rate: units of the plan's currency per unit of
`currency`). `policy: plan_rate` takes one row per currency, no dates: the budget rate of
the year. `policy: dated` takes dated rows; a deal converts at the latest rate on or
before its own date (a credit memo at its own date; a cancellation reverses the credit at
the rate the deal was booked at, so a clawback takes back exactly what the deal earned).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from spmsim.data.rows import Rows, dates, duplicates, numbers, read_table
from spmsim.errors import InputError
from spmsim.plans import Plan

FX = ("currency", "rate"), ("date",)
CURRENCY = r"^[A-Z]{3}$"


@dataclass(frozen=True)
class FxTable:
    """A plan's rates into its currency: per currency, dates (NaT for plan rates) and rates
    sorted by date."""

    path: Path
    currency: str
    policy: str
    rates: dict[str, tuple[np.ndarray, np.ndarray]]

    def rate(self, currency: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Rate of each deal (NaN where none applies: unknown currency, before the first
        dated rate); the plan's own currency (or blank) is 1."""
        currency = np.asarray(currency, dtype=str)
        day = np.asarray(day, dtype="datetime64[D]")
        out = np.where((currency == self.currency) | (currency == ""), 1.0, np.nan)
        for cur, (when, rate) in self.rates.items():
            sel = currency == cur
            if not sel.any():
                continue
            if self.policy == "plan_rate":
                out[sel] = rate[0]
                continue
            k = np.searchsorted(when, day[sel], side="right") - 1
            out[sel] = np.where(k >= 0, rate[np.clip(k, 0, None)], np.nan)
        return out


def load_fx(plan: Plan) -> FxTable:
    """Read and check the plan's `fx.file`; every bad row reported with its line."""
    return read_fx(plan.fx.file, plan.currency, plan.fx.policy)


def read_fx(file: str, plan_currency: str, policy: str) -> FxTable:
    """An FX table into `plan_currency`."""
    path = Path(file)
    rows = Rows(path, read_table(path, FX))
    df = rows.df
    rows.flag(~df["currency"].str.fullmatch(r"[A-Z]{3}"), "currency",
              "a three-letter currency code such as EUR")
    rows.flag(df["currency"] == plan_currency, "currency",
              f"the plan pays in {plan_currency}: its rate is 1, leave it out")
    rate = numbers(rows, "rate", positive=True)
    if policy == "dated":
        day = dates(rows, "date", True)
        duplicates(rows, ["currency", "date"], "rate for this currency and date")
    else:
        rows.flag(df["date"] != "", "date", "a plan rate has no date: leave the column "
                  "blank, or set `fx.policy: dated`")
        day = pd.Series(pd.NaT, index=df.index)
        duplicates(rows, ["currency"], "plan rate for this currency")
    rows.raise_if_any()
    table = pd.DataFrame({"currency": df["currency"], "date": day, "rate": rate})
    rates = {cur: (g["date"].to_numpy("datetime64[D]"), g["rate"].to_numpy(float))
             for cur, g in table.sort_values("date", kind="stable").groupby("currency")}
    return FxTable(path, plan_currency, policy, rates)


_cached_fx = lru_cache(maxsize=64)(read_fx)  # simulation asks once per role and chunk


def plan_rate(plan: Plan, currency: str | None) -> float:
    """The plan rate converting `currency` (None: the plan's own) into the plan's currency,
    for simulated deals; InputError naming the file when there is none."""
    if currency is None or currency == plan.currency:
        return 1.0
    if plan.fx is None or plan.fx.policy != "plan_rate":
        raise InputError(plan.plan, f"deals drawn in {currency} need the plan's `fx:` with "
                         f"`policy: plan_rate` (simulated deals have months, not dates)")
    rate = _cached_fx(plan.fx.file, plan.currency, plan.fx.policy).rates.get(currency)
    if rate is None:
        raise InputError(plan.fx.file, f"no plan rate for {currency}: add a row "
                         f"`{currency},<rate>`")
    return float(rate[1][0])
