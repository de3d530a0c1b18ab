"""When earnings are paid: components paid less often than the plan, and the holdback.

A component with its own `payout_period` (a quarterly bonus on a monthly plan) accrues
every plan period but is paid only at the end of each of its own periods: what it earned
to date is *deferred* until then. A `holdback` withholds a share of the plan's earnings to
date and releases it at year end, or in the period a rep leaves (or forfeits it, as the
plan says). Both only move pay between periods: the year's total is unchanged unless a
leaver forfeits.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from spmsim.config import Frozen


class Holdback(Frozen):
    """Withhold `share` of earnings to date; release it at year end or when the rep leaves."""

    share: float = Field(gt=0, lt=1, description="share of earnings to date withheld")
    on_leaving: Literal["release", "forfeit"] = Field(
        "release", description="release: paid in the period a rep leaves; forfeit: never paid"
    )


def settlement_index(groups: np.ndarray) -> np.ndarray:
    """For each period, the last period paid by then (the end of a pay group), or -1 (P,)."""
    ends = np.r_[groups[1:] != groups[:-1], True]
    return np.maximum.accumulate(np.where(ends, np.arange(groups.size), -1))


def settled(earned_ytd: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Earned to date as paid by then: held until the end of each pay group (..., P)."""
    idx = settlement_index(groups)
    if np.array_equal(idx, np.arange(groups.size)):
        return earned_ytd
    return np.where(idx >= 0, earned_ytd[..., np.maximum(idx, 0)], 0.0)


def release_period(active: np.ndarray | None, lead: tuple[int, ...], n: int) -> np.ndarray:
    """Period of the holdback's release (...,): year end, or a leaver's last period on the
    plan (a rep on leave who comes back is not a leaver)."""
    if active is None:
        return np.full(lead, n - 1)
    on = np.broadcast_to(np.asarray(active) > 0, lead + (n,))
    last = n - 1 - np.argmax(on[..., ::-1], axis=-1)
    return np.where(on.any(axis=-1), last, n - 1)


def held(payable_ytd: np.ndarray, holdback: Holdback, release: np.ndarray) -> np.ndarray:
    """Amount withheld and not yet released, to date (..., P)."""
    n = payable_ytd.shape[-1]
    withholding = np.arange(n) < release[..., None]
    if holdback.on_leaving == "forfeit":
        withholding = withholding | (release < n - 1)[..., None]
    return holdback.share * payable_ytd * withholding
