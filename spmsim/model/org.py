"""Reps of a role over the plan year: seats, ramp, skill, attrition with backfill, hires.

Time is in months from the first day of the plan year (0 to 12). Each seat is held by
its incumbent and, when attrition is on, by up to `backfills` successors who start after
the backfill delay; every holder is one rep *slot* of the simulation arrays, so a leaver
and their successor are paid separately. Slots are ordered generation-major: all
incumbents, then all first successors, and so on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from spmsim.config import Count, Frozen, Money, Rate, Spread
from spmsim.data.accounts import align
from spmsim.errors import InputError
from spmsim.model.files import named_table
from spmsim.model.quota import QuotaMethod, allocate
from spmsim.model.territory.geometry import Travel, great_circle, has_map
from spmsim.plans import Plan

MONTHS = 12


class Ramp(Frozen):
    """Productivity of a new rep as a share of full, by months since their start."""

    months: Rate = Field(0.0, ge=0, description="months to full productivity; 0: none")
    curve: Literal["linear", "s_curve", "step"] = "linear"
    start: float = Field(0.0, ge=0, le=1, description="productivity share on the first day")

    def factor(self, tenure_months: np.ndarray) -> np.ndarray:
        """Share of full productivity at the given tenure (months)."""
        if self.months == 0:
            return np.ones_like(tenure_months, dtype=float)
        x = np.clip(tenure_months / self.months, 0.0, 1.0)
        if self.curve == "step":
            shape = (x >= 1.0).astype(float)
        elif self.curve == "s_curve":
            shape = x * x * (3.0 - 2.0 * x)
        else:
            shape = x
        return self.start + (1.0 - self.start) * shape


class Attrition(Frozen):
    """Annual share of reps who leave; each leaver's seat is refilled after a delay."""

    annual: float = Field(0.0, ge=0, lt=1, description="share of reps leaving within a year")
    backfill_months: Rate | None = Field(
        3.0, ge=0, description="months from an exit to the successor's start; null: no backfill"
    )
    backfills: int = Field(1, ge=0, le=5, description="successors modelled per seat per year; "
                           "a seat vacated more often stays empty to year end")
    open_deals: Literal["successor", "lost"] = Field(
        "successor", description="agent engine: a leaver's open deals go to the seat's "
        "successor (credited from their start) or are lost")

    @property
    def monthly_rate(self) -> float:
        """Exit hazard per month of a constant-hazard model with the stated annual share."""
        return -math.log1p(-self.annual) / MONTHS

    @property
    def generations(self) -> int:
        """Holders modelled per seat: the incumbent plus successors."""
        refill = self.annual > 0 and self.backfill_months is not None
        return 1 + (self.backfills if refill else 0)


class PlanChange(Frozen):
    """The role's reps move to another plan on a date (a promotion wave, next half's plan).

    Each plan pays on the credit booked while it is in force, with TI and (prorated) quota
    for its days: separate segments, as replay pays dated roster rows on different plans.
    """

    effective_from: date = Field(description="first day on the new plan")
    plan: Plan
    plan_file: str | None = Field(None, description="where the plan was read")


class Hire(Frozen):
    """Planned hires starting on the first day of plan month `month` (1-12)."""

    month: int = Field(ge=1, le=12)
    count: Count = Field(ge=1)


class TerritoryLink(Frozen):
    """A role's territories: each seat (in the order of the territory names) works one.

    A seat's productivity is multiplied by (its potential / the mean potential) ^
    elasticity and by its workload coverage (capacity hours / workload, at most 1), and
    quota methods read its potential and last year's bookings.
    """

    accounts: str = Field(description="accounts CSV (relative to the scenario file)")
    alignment: str = Field("current", description="`current` (the accounts' rep_id) or a "
                           "CSV of account_id, territory (e.g. the optimiser's alignment.csv)")
    elasticity: Rate = Field(1.0, ge=0)
    capacity_hours: Money | None = Field(
        None, gt=0, description="hours a rep can give their accounts a year; a territory "
        "with more workload is covered only in part and books that much less")
    history: str | None = Field("last_year", description="accounts column of last year's "
                                "bookings, for the flat_growth quota method and contests "
                                "on growth")
    bases: str | None = Field(None, description="CSV of each territory's home base: territory "
                              "(or rep_id) and lat, lon, base_id or account_id; travel is "
                              "measured from these")
    travel: str | None = Field(None, description="travel matrix CSV (long: account_id, "
                               "base_id, minutes|km|...; or wide) used instead of great-circle "
                               "km from the bases")
    travel_unit: str | None = Field(None, description="unit of a wide travel matrix (default "
                                    "km)")
    travel_weight: str | None = Field("workload", description="accounts column that weights "
                                      "travel (null: each account once)")
    _table: pd.DataFrame = PrivateAttr(default_factory=pd.DataFrame)
    _travel: Travel | None = PrivateAttr(default=None)
    _accounts: pd.DataFrame = PrivateAttr(default_factory=pd.DataFrame)
    _owner: np.ndarray = PrivateAttr(default_factory=lambda: np.zeros(0, dtype=object))

    @model_validator(mode="after")
    def _link(self, info: ValidationInfo) -> TerritoryLink:
        accounts = named_table(info, self.accounts)
        owner = accounts["rep_id"] if self.alignment == "current" else \
            align(named_table(info, self.alignment), accounts["account_id"], self.alignment)
        if (owner == "").any():
            raise ValueError(f"{self.accounts}: every account needs an owner (rep_id) for the "
                             "current alignment")
        cols = {"potential": accounts["potential"], "workload": accounts["workload"]}
        if self.history is not None:
            if self.history not in accounts.columns:
                raise ValueError(f"{self.accounts} has no column {self.history!r} for last "
                                 "year's bookings: add it or set `history: null`")
            cols["history"] = pd.to_numeric(accounts[self.history], errors="coerce")
            if cols["history"].isna().any() or (cols["history"] < 0).any():
                raise ValueError(f"{self.accounts}: column {self.history!r} must hold "
                                 "numbers >= 0")
        self._table = pd.DataFrame(cols).groupby(owner.to_numpy()).sum().sort_index()
        self._accounts = accounts
        self._owner = owner.to_numpy()
        self._travel = self._link_travel(info)
        return self

    def _link_travel(self, info: ValidationInfo) -> Travel | None:
        """Travel from every account to every territory's base (names in table order)."""
        names = list(self._table.index)
        if self.travel_weight is not None and self.travel_weight not in self._accounts:
            raise ValueError(f"travel_weight: {self.accounts} has no column "
                             f"{self.travel_weight!r}")
        if self.bases is None:
            if self.travel is None:
                return None
            targets = names
        else:
            table = named_table(info, self.bases).set_index("territory")
            missing = [t for t in names if t not in table.index]
            if missing:
                raise ValueError(f"{self.bases}: no base for the territories "
                                 f"{', '.join(missing[:5])}: add a row for each")
            table = table.loc[names]
            if self.travel is None:
                points = table[["lat", "lon"]].to_numpy(float)
                at = self._accounts.set_index("account_id")
                for i, acc in enumerate(table["account_id"]):
                    if np.isnan(points[i]).any() and acc in at.index and "lat" in at:
                        points[i] = at.loc[acc, ["lat", "lon"]].to_numpy(float)
                if np.isnan(points).any() or not has_map(self._accounts):
                    raise ValueError(f"{self.bases}: bases need lat and lon (or an account "
                                     "on the map) unless a travel matrix is given")
                return great_circle(self._accounts, points)
            targets = [b or a or t for t, b, a in zip(names, table["base_id"],
                                                      table["account_id"], strict=True)]
        matrix = named_table(info, self.travel)
        try:
            to = matrix.to(self._accounts["account_id"], targets, "territories' bases")
        except InputError as e:
            raise ValueError(str(e)) from None
        return Travel(to, self.travel_unit or matrix.unit)

    def travel_to_bases(self) -> Travel | None:
        """Distance or time from each account to each territory's base (None without
        bases or a travel matrix)."""
        return self._travel

    @property
    def accounts_table(self) -> pd.DataFrame:
        return self._accounts

    def owners(self) -> np.ndarray:
        """Territory index (in the order of the names) of each account."""
        return np.searchsorted(self._table.index.to_numpy(), self._owner)

    def current_owners(self) -> np.ndarray | None:
        """Each account's territory under its current owner (rep_id), when all have one."""
        reps = self._accounts["rep_id"]
        names = self._table.index.to_numpy()
        if (reps == "").any() or not np.isin(reps, names).all():
            return None
        return np.searchsorted(names, reps.to_numpy())

    @property
    def table(self) -> pd.DataFrame:
        """Potential, workload (and history) per territory, by territory name."""
        return self._table

    def factors(self) -> np.ndarray:
        """(potential / mean potential) ^ elasticity x workload coverage, per territory:
        deals_per_month is the rate of a rep on a mean-potential, fully covered territory."""
        potential = self._table["potential"].to_numpy(float)
        factor = (potential / potential.mean()) ** self.elasticity
        if self.capacity_hours is not None:
            workload = self._table["workload"].to_numpy(float)
            factor = factor * np.minimum(1.0, self.capacity_hours / np.maximum(workload, 1e-9))
        return factor


class Role(Frozen):
    """A role in the sales organisation: how many reps, on which plan, with which quota."""

    headcount: Count = Field(ge=0, description="reps in seat, fully ramped, on the year's "
                             "first day")
    plan: Plan
    plan_file: str | None = Field(None, description="where the plan was read (before overrides)")
    quota: dict[str, Money] = Field(
        default_factory=dict, description="annual quota per rep, by measure")
    prorate_quota: bool = Field(
        True, description="scale a partial-year rep's quota by their share of the year")
    skill_sigma: Spread = Field(0.0, ge=0, description="lognormal sigma of productivity; 0: off")
    ramp: Ramp = Ramp()
    attrition: Attrition = Attrition()
    hires: tuple[Hire, ...] = ()
    territory: TerritoryLink | None = None
    quota_method: QuotaMethod | None = None
    team_size: Count | None = Field(
        None, ge=1, description="seats per team, in seat order (the last team may be "
        "smaller): pays `credit: team` components on the team's credit and gives a manager "
        "role (market `model: team`) its teams")
    overlay: bool = Field(False, description="an overlay role (product specialists, partner "
                          "managers): credited on deals other roles book, so its credit is "
                          "never counted as revenue again")
    plan_changes: tuple[PlanChange, ...] = Field(
        (), description="planned plan changes on dates, in date order")

    @model_validator(mode="after")
    def _changes_in_the_year(self) -> Role:
        cal = self.plan.calendar
        previous = self.plan.year_start
        for i, change in enumerate(self.plan_changes):
            if not previous < change.effective_from <= cal.year_end:
                raise ValueError(f"plan_changes[{i}].effective_from: a day after "
                                 f"{previous} and within the plan year (to {cal.year_end})")
            starts = change.plan.calendar.bounds[:-1]
            if change.plan.segments == "blend" and \
                    np.datetime64(change.effective_from) not in starts:
                raise ValueError(f"plan_changes[{i}].effective_from: the plan blends segments, "
                                 "so the change falls on the first day of one of its pay "
                                 "periods")
            if change.plan.year_start != self.plan.year_start:
                raise ValueError(f"plan_changes[{i}].plan: its year starts "
                                 f"{change.plan.year_start}; the role's plan year starts "
                                 f"{self.plan.year_start}")
            previous = change.effective_from
        return self

    def segments(self) -> list[tuple[Plan, date | None, date | None]]:
        """(plan, first day, last day) in force, None for the year's ends."""
        starts = [None, *(c.effective_from for c in self.plan_changes)]
        plans = [self.plan, *(c.plan for c in self.plan_changes)]
        ends = [s - timedelta(days=1) for s in starts[1:]] + [None]
        return list(zip(plans, starts, ends, strict=True))

    @model_validator(mode="after")
    def _territories_fit(self) -> Role:
        if self.territory is not None and len(self.territory.table) != self.seats:
            raise ValueError(f"territory: {len(self.territory.table)} territories for "
                             f"{self.seats} seats (headcount + hires): one each")
        if self.quota_method is not None:
            if self.quota_method.method != "equal" and self.territory is None:
                raise ValueError(f"quota_method: {self.quota_method.method!r} reads "
                                 "territories: add `territory:` to the role")
            uses_history = self.quota_method.method == "flat_growth" or \
                self.quota_method.weights.get("flat_growth", 0) > 0
            if uses_history and self.territory is not None and self.territory.history is None:
                raise ValueError("quota_method: flat growth needs territory.history")
        self._check_growth_contests()
        return self

    def _check_growth_contests(self) -> None:
        """A contest on growth compares with each seat's last year: its territory history."""
        if self.territory is not None and self.territory.history is not None:
            return
        for where, plan in (("plan", self.plan), *((f"plan_changes[{i}].plan", c.plan)
                                                   for i, c in enumerate(self.plan_changes))):
            for k, c in enumerate(plan.components):
                if getattr(c, "needs_last_year", False):
                    raise ValueError(
                        f"{where}.components[{k}]: contest {c.name!r} ranks on growth over "
                        "last year: give the role `territory:` with last year's bookings "
                        "per account (`history`, a column of the accounts file)")

    def last_year(self) -> np.ndarray:
        """Last year's bookings of each slot's seat, (slots,): its territory's history
        (who holds the seat this year is the engine's to say: a new hire has none)."""
        history = self.territory.table["history"].to_numpy(float)
        return np.tile(history, self.attrition.generations)

    @property
    def quota_measure(self) -> str | None:
        """The measure the quota method sets, if any."""
        if self.quota_method is None:
            return None
        return self.quota_method.measure or (self.plan.quota_measures() or [None])[0]

    def quota_measures(self) -> list[str]:
        return list(dict.fromkeys([*self.quota, *([self.quota_measure]
                                                   if self.quota_measure else [])]))

    @cached_property
    def seat_quotas(self) -> np.ndarray | None:
        """Quota per seat from the quota method (ramp relief for hires), or None."""
        if self.quota_method is None:
            return None
        table = self.territory.table if self.territory is not None else None
        return allocate(self.quota_method, n=self.seats,
                        potential=None if table is None else table["potential"].to_numpy(),
                        history=None if table is None or "history" not in table
                        else table["history"].to_numpy(),
                        start_month=self.seat_starts(), ramp=self.ramp,
                        hired=np.arange(self.seats) >= self.headcount)

    def quota_for(self, measure: str) -> float | np.ndarray:
        """Full-year quota on `measure`: a number, or one per slot from the quota method."""
        if measure == self.quota_measure and self.seat_quotas is not None:
            return np.tile(self.seat_quotas, self.attrition.generations)
        return self.quota[measure]

    def seat_factors(self) -> np.ndarray:
        """Productivity multiplier of each seat from its territory (1 without one)."""
        return np.ones(self.seats) if self.territory is None else self.territory.factors()

    @property
    def seats(self) -> int:
        return self.headcount + sum(h.count for h in self.hires)

    @property
    def slots(self) -> int:
        return self.seats * self.attrition.generations

    def seat_starts(self) -> np.ndarray:
        """Month each seat's incumbent starts: 0 for reps in seat, month - 1 for hires."""
        hires = [np.full(h.count, h.month - 1.0) for h in self.hires]
        return np.concatenate([np.zeros(self.headcount), *hires])

    @property
    def teams(self) -> int:
        """Teams of `team_size` seats (0 without teams)."""
        return 0 if self.team_size is None else math.ceil(self.seats / self.team_size)

    def team_codes(self) -> np.ndarray | None:
        """Team of every slot (a successor joins their seat's team), or None."""
        if self.team_size is None:
            return None
        return np.tile(np.arange(self.seats) // self.team_size, self.attrition.generations)

    def slot_names(self, role: str) -> list[str]:
        """`ent_ae-007` for an incumbent, `ent_ae-007.1` for their first successor."""
        return [f"{role}-{s + 1:03d}" + (f".{g}" if g else "")
                for g in range(self.attrition.generations) for s in range(self.seats)]


@dataclass(frozen=True)
class Staffing:
    """Who holds each slot in each trial. Arrays are (trials, slots[, months])."""

    start: np.ndarray  # month the holder starts (inf: never within the year)
    exit: np.ndarray  # month the holder leaves (inf: stays past the year)
    active: np.ndarray  # share of each month in seat
    productivity: np.ndarray  # skill x ramp in each month (0 when not in seat)
    new_hire: np.ndarray  # started after the year's first day
    steady: np.ndarray  # in seat all year at a constant productivity

    @property
    def left(self) -> np.ndarray:
        return self.exit < MONTHS

    @property
    def always_active(self) -> bool:
        return bool(self.steady.all())


def staffing(role: Role, trials: int, skill_normals: np.ndarray | None,
             exit_exponentials: np.ndarray | None) -> Staffing:
    """Staffing of `trials` plan years of one role from its random draws, (trials, slots):
    standard normals for skill (None when skill_sigma is 0) and standard exponentials for
    the time to exit (None without attrition)."""
    seats, gens = role.seats, role.attrition.generations
    shape = (trials, role.slots)
    sigma = role.skill_sigma
    skill = np.exp(sigma * skill_normals - sigma * sigma / 2) if sigma > 0 else np.ones(shape)
    skill = skill * np.tile(role.seat_factors(), gens)  # territory potential
    first = role.seat_starts()
    rate = role.attrition.monthly_rate
    if rate == 0 and not role.hires:  # everyone in seat all year, ramped
        return Staffing(start=np.zeros(shape), exit=np.full(shape, np.inf),
                        active=np.ones(shape + (MONTHS,)),
                        productivity=np.repeat(skill[..., None], MONTHS, axis=-1),
                        new_hire=np.zeros(shape, dtype=bool), steady=np.ones(shape, dtype=bool))
    stay = exit_exponentials / rate if rate > 0 else np.full(shape, np.inf)
    start = np.empty(shape)
    start[:, :seats] = first
    for g in range(1, gens):
        previous = slice((g - 1) * seats, g * seats)
        start[:, g * seats:(g + 1) * seats] = start[:, previous] + stay[:, previous] + \
            role.attrition.backfill_months
    exit_ = start + stay
    month = np.arange(MONTHS, dtype=float)
    lo = np.maximum(start[..., None], month)
    hi = np.minimum(exit_[..., None], month + 1.0)
    active = np.clip(hi - lo, 0.0, 1.0)
    ramps = np.zeros(shape, dtype=bool)
    ramps[:, role.headcount:] = True  # hires (even on the first day) and successors ramp
    tenure = np.where(active > 0, (lo + hi) / 2 - start[..., None], 0.0)
    ramp = np.where(ramps[..., None], role.ramp.factor(tenure), 1.0)
    productivity = np.where(active > 0, skill[..., None] * ramp, 0.0)
    steady = (active.min(axis=-1) == 1.0) & (ramp.min(axis=-1) == ramp.max(axis=-1))
    return Staffing(start=start, exit=exit_, active=active, productivity=productivity,
                    new_hire=start > 0, steady=steady)
