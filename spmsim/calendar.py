"""The plan year cut into payout periods: boundaries, labels, dates to periods, proration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Literal

import numpy as np

PayoutPeriod = Literal["month", "quarter", "year"]
MONTHS_PER_PERIOD: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}


def add_months(d: date, months: int) -> date:
    """The same day `months` later (or earlier, when negative); the day must be <= 28."""
    total = d.year * 12 + d.month - 1 + months
    return date(total // 12, total % 12 + 1, d.day)


@dataclass(frozen=True)
class PlanCalendar:
    """Payout periods of one plan year, starting at `year_start` (day 1-28 of a month)."""

    year_start: date
    payout_period: PayoutPeriod = "month"

    @property
    def n_periods(self) -> int:
        return 12 // MONTHS_PER_PERIOD[self.payout_period]

    @cached_property
    def bounds(self) -> np.ndarray:
        """Period boundaries as datetime64[D], n_periods + 1 of them (end exclusive)."""
        step = MONTHS_PER_PERIOD[self.payout_period]
        days = [add_months(self.year_start, i * step) for i in range(self.n_periods + 1)]
        return np.array(days, dtype="datetime64[D]")

    @property
    def year_end(self) -> date:
        """Last day of the plan year (inclusive)."""
        return (self.bounds[-1] - np.timedelta64(1, "D")).astype(date)

    @cached_property
    def period_days(self) -> np.ndarray:
        return np.diff(self.bounds).astype(np.int64)

    @property
    def year_days(self) -> int:
        return int(self.period_days.sum())

    @cached_property
    def labels(self) -> list[str]:
        """`2027-03` for months, `2027-Q1` for quarters, `FY2027` for a year."""
        starts = self.bounds[:-1].astype(date)
        if self.payout_period == "month":
            return [f"{d.year}-{d.month:02d}" for d in starts]
        if self.payout_period == "quarter":
            return [f"{self.year_start.year}-Q{i + 1}" for i in range(self.n_periods)]
        return [f"FY{self.year_start.year}"]

    def period_index(self, dates: np.ndarray) -> np.ndarray:
        """0-based period of each date; -1 before the year, n_periods after it."""
        d = np.asarray(dates, dtype="datetime64[D]")
        idx = np.searchsorted(self.bounds, d, side="right") - 1
        return np.where(d >= self.bounds[-1], self.n_periods, idx)

    def active_share(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Share of each period's days a rep is on the plan, shape (reps, periods).

        `start` and `end` are datetime64[D] arrays (NaT = open); `end` is the last day worked.
        """
        lo = np.where(np.isnat(start), self.bounds[0], start).astype("datetime64[D]")
        hi = np.where(np.isnat(end), self.bounds[-1], end + np.timedelta64(1, "D"))
        hi = hi.astype("datetime64[D]")
        p_lo, p_hi = self.bounds[:-1], self.bounds[1:]
        overlap = np.minimum(hi[:, None], p_hi[None, :]) - np.maximum(lo[:, None], p_lo[None, :])
        days = np.clip(overlap.astype(np.int64), 0, None)
        return days / self.period_days[None, :]

    def year_share(self, active: np.ndarray) -> np.ndarray:
        """Share of the plan year's days active, from per-period shares (..., periods)."""
        return (np.asarray(active) * self.period_days).sum(axis=-1) / self.year_days
