"""How reps respond to their standing in a contest (agent engine).

Tournament theory (Lazear and Rosen 1981) says effort in a rank-order contest follows the
marginal chance of changing one's prize. Casas-Arce and Martinez-Jerez (2009), on the sales
contests of a commodities company, find that contests raise effort on average (less so
with more participants), that winning participants decrease their effort as their lead
extends, and that trailing participants' effort fades only when the gap to a winning
position is very large. The rule here has those three regions: within reach of the prize
line (behind or ahead), effort rises by `in_reach`; far behind, it falls by `out_of_reach`;
safely ahead, it returns to normal. The sizes are not the paper's (its estimates are for its
own setting): they are the scenario's to set, with small defaults, and `reach` says how far
is "very large".
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from spmsim.config import Frozen, Rate


class ContestResponse(Frozen):
    """Effort while a contest runs, by how far the rep stands from a prize."""

    in_reach: Rate = Field(0.10, ge=0, description="extra effort (a share) while a prize is "
                           "within reach, behind or just ahead of the prize line")
    out_of_reach: Rate = Field(0.10, ge=0, le=1, description="effort given up (a share) when "
                               "the prize line is out of reach")
    reach: Rate = Field(1.0, gt=0, description="a prize is within reach when the gap to the "
                        "prize line is at most this many times the credit the rep expects "
                        "in the contest's months left")
    pull_share: float = Field(0.0, ge=0, le=1, description="near the window's end, the share "
                              "of a rep's won deals due soon after it that they pull into it, "
                              "when those deals would lift them to the prize line (0: none)")
    pull_days: int = Field(14, ge=1, le=60, description="days before the window's end when "
                           "reps pull deals in")
    horizon_days: int = Field(45, ge=1, le=365, description="deals due within this many days "
                              "after the window's end can be pulled in")
    discount: float = Field(0.1, ge=0, lt=1, description="price discount on a deal pulled in")


def prize_line(scores: np.ndarray, me: int, places: int, floor: float = 0.0) -> float:
    """The score the rep must pass to hold a prize: the `places`-th best of the others in
    the running, those scoring above `floor` (0 when fewer are: growth, which may be
    negative, passes -inf, so that only reps with no last year are out)."""
    others = np.delete(scores, me)
    others = others[others > floor]
    if others.size < places:
        return 0.0
    return float(np.partition(others, others.size - places)[others.size - places])


def pulls_into_window(gap: float, pending: float) -> bool:
    """Pull deals into the window when the rep is short of the prize line (gap > 0) and the
    deals due soon after it would close the gap."""
    return 0 < gap <= pending


def standing_multiplier(r: ContestResponse, gap: float, expected_left: float) -> float:
    """Effort multiplier from the gap to the prize line (line minus own score; negative
    when holding a prize) and the credit the rep expects in the window's months left."""
    reach = r.reach * max(expected_left, 0.0)
    if gap > reach:
        return 1.0 - r.out_of_reach  # out of reach behind
    if gap < -reach:
        return 1.0  # safely ahead: no reason to push
    return 1.0 + r.in_reach
