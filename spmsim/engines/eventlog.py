"""Reading the agent engine's event log: when bookings land, the "hockey stick"."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from spmsim.calendar import PlanCalendar


def period_end_days(year_start: date, period: str = "quarter", days: int = 14) -> np.ndarray:
    """Day numbers (0 = the year's first day) in the last `days` days of each period."""
    cal = PlanCalendar(year_start, period)
    ends = (cal.bounds[1:] - cal.bounds[0]).astype(int)
    return np.concatenate([np.arange(e - days, e) for e in ends])


def period_end_share(events: pd.DataFrame, year_start: date, period: str = "quarter",
                     days: int = 14, role: str | None = None) -> float:
    """Share of won bookings (amount) closed in the last `days` days of each period.

    With bookings spread evenly over the year the share is about days x periods / 365
    (15 % for two weeks of each quarter); above that is the end-of-period hockey stick.
    """
    won = events[(events["event"] == "won") & (events["amount"] > 0)]
    if role is not None:
        won = won[won["role"] == role]
    total = won["amount"].sum()
    if total == 0:
        return float("nan")
    last = np.isin(np.floor(won["day"].to_numpy()).astype(int),
                   period_end_days(year_start, period, days))
    return float(won.loc[last, "amount"].sum() / total)


def even_share(year_start: date, period: str = "quarter", days: int = 14) -> float:
    """The share `period_end_share` would show with bookings even over the year's days."""
    cal = PlanCalendar(year_start, period)
    return period_end_days(year_start, period, days).size / cal.year_days
