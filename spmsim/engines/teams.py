"""Managers' credit: each manager slot is credited with the team it leads, month by month.

A manager role (market `model: team`, `of: ROLE`) has one seat per team of ROLE (teams of
`team_size` consecutive seats). A manager in seat for part of a month is credited with that
share of the team's credit that month, so a successor picks up where a leaver stopped.
"""

from __future__ import annotations

import numpy as np

from spmsim.model.org import Role, Staffing


def team_totals(values: np.ndarray, codes: np.ndarray, teams: int) -> np.ndarray:
    """(trials, slots, months) summed into (trials, teams, months) by each slot's team."""
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(teams))
    return np.add.reduceat(values[:, order], starts, axis=1)


def manager_credit(team_role: Role, values: np.ndarray, manager: Role,
                   staff: Staffing) -> np.ndarray:
    """A manager role's credit (trials, manager slots, months) from its teams' slots."""
    totals = team_totals(values, team_role.team_codes(), team_role.teams)
    seat_of_slot = np.tile(np.arange(manager.seats), manager.attrition.generations)
    return totals[:, seat_of_slot] * staff.active
