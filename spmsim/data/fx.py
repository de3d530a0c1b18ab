"""Exchange rates: a plan's FX table read and checked, and deal amounts converted with it.

fx file: currency, rate[, date]   (rate: units of the plan's currency per unit of
`currency`). `policy: plan_rate` takes one row per currency, no dates: the budget rate of
the year. `policy: dated` takes dated rows; a deal converts at the latest rate on or
before its own date (a credit memo at its own date; a cancellation reverses the credit at
the rate the deal was booked at, so a clawback takes back exactly what the deal earned).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spmsim.data.rows import Rows, dates, duplicates, numbers, read_table
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
    path = Path(plan.fx.file)
    rows = Rows(path, read_table(path, FX))
    df = rows.df
    rows.flag(~df["currency"].str.fullmatch(r"[A-Z]{3}"), "currency",
              "a three-letter currency code such as EUR")
    rows.flag(df["currency"] == plan.currency, "currency",
              f"the plan pays in {plan.currency}: its rate is 1, leave it out")
    rate = numbers(rows, "rate", positive=True)
    if plan.fx.policy == "dated":
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
    return FxTable(path, plan.currency, plan.fx.policy, rates)
