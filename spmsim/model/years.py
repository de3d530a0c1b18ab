"""Plan years that follow each other: how each year after the first is set.

With `years: N` the agent engine simulates N plan years in a row for every trial: reps who
stay keep their skill and tenure, leavers are backfilled across the year end, won deals
still open at a year end (and deals pushed past it) close in the next year, and each rep's
next quota is set from this year's by `next_years`:

* `same`: every quota x (1 + growth);
* `ratchet`: a rep who stays gets their quota x (1 + growth) x (1 + ratchet x (a - 1))
  when their attainment a was above 1, and x (1 - relief x (1 - a)) when below: the
  "ratchet" Misra and Nair (2011) describe, where quotas follow last year's sales.

A new hire in a seat gets the seat's first-year quota x (1 + growth) for each year since.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from spmsim.config import Frozen, Rate

MAX_YEARS = 10


class NextYears(Frozen):
    """How each plan year after the first is set (with `years` above 1)."""

    quota: Literal["same", "ratchet"] = Field(
        "same", description="`same`: every quota grows by `growth`; `ratchet`: a rep who "
        "stays gets a quota set on their attainment this year")
    growth: Rate = Field(0.0, gt=-1, description="quotas rise by this share each year")
    ratchet: float = Field(0.5, ge=0, le=2, description="ratchet: share of a rep's "
                           "attainment above quota added to their next quota")
    relief: float = Field(0.0, ge=0, le=1, description="ratchet: share of a rep's shortfall "
                          "below quota taken off their next quota")
    market_growth: Rate = Field(0.0, gt=-1, description="deal flow rises by this share "
                                "each year (new opportunities, not deal sizes)")

    def next_quota(self, quota: np.ndarray, attainment: np.ndarray) -> np.ndarray:
        """Next year's quota of reps who stay, from this year's quota and attainment."""
        q = np.asarray(quota, float) * (1.0 + self.growth)
        if self.quota == "same":
            return q
        a = np.asarray(attainment, float)
        factor = 1.0 + self.ratchet * np.maximum(a - 1.0, 0.0) \
            - self.relief * np.clip(1.0 - a, 0.0, 1.0)
        return q * factor

    def seat_quota(self, first_year: np.ndarray, year: int) -> np.ndarray:
        """A new hire's quota in `year` (0 = the first plan year)."""
        return np.asarray(first_year, float) * (1.0 + self.growth) ** year

    def market_factor(self, year: int) -> float:
        """Deal flow in `year` relative to the first."""
        return (1.0 + self.market_growth) ** year
