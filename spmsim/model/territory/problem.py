"""The assignment problem a territory optimiser solves, built from what a planner brings.

Accounts that must stay together (a group) become one unit; a locked account's unit may
only go to its territory; a maximum distance forbids far pairs. Each unit u and territory
k has a cost (travel weight x distance, plus the disruption price when u would change
owner), a travel (weight x distance), and each banded measure a value. A territory's total
of each banded measure must lie in its band; its travel under its maximum.

Checks that need no solver run here, each naming the constraint and what to relax.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmsim.errors import SpmsimError
from spmsim.format import amount as _amount
from spmsim.format import percent

TOL = 1e-9


def amount(x: float) -> str:
    """1234567.8 -> '1,234,568'; below 1,000 one decimal when it has one (3.3, 120)."""
    return _amount(x) if abs(x) >= 1000 else f"{x:,.1f}".removesuffix(".0")


@dataclass(frozen=True)
class Band:
    """Where each territory's total of a measure must lie: within +-`within` (a share) of
    the mean over territories, and/or between absolute `min` and `max`."""

    within: float | None = None
    min: float | None = None
    max: float | None = None

    def __post_init__(self):
        if self.within is None and self.min is None and self.max is None:
            raise SpmsimError("band: give a share around the mean (0.1 for +-10 %), a min, "
                              "or a max")
        if self.within is not None and self.within < 0:
            raise SpmsimError(f"band: the share around the mean is negative ({self.within})")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise SpmsimError(f"band: min {self.min:g} is above max {self.max:g}")

    def limits(self, total: float, n: int) -> tuple[float, float]:
        """(lowest, highest) total a territory may have."""
        lo, hi = -np.inf, np.inf
        if self.within is not None:
            mean = total / n
            lo, hi = (1 - self.within) * mean, (1 + self.within) * mean
        if self.min is not None:
            lo = max(lo, self.min)
        if self.max is not None:
            hi = min(hi, self.max)
        return lo, hi

    def describe(self, measure: str = "") -> str:
        """'within +-10% of the mean workload', 'at most 120', ..."""
        w = self.within
        parts = [] if w is None else \
            [f"within +-{percent(w, 0 if round(w * 100, 6).is_integer() else 1)} of the mean "
             f"{measure}".rstrip()]
        if self.min is not None and self.max is not None:
            parts.append(f"between {amount(self.min)} and {amount(self.max)}")
        elif self.min is not None:
            parts.append(f"at least {amount(self.min)}")
        elif self.max is not None:
            parts.append(f"at most {amount(self.max)}")
        return ", ".join(parts)


def parse_band(text: str | float | Band) -> Band:
    """`0.1` or `10%` (+-10 % of the mean), `..120` (at most 120), `80..120`, `80..`."""
    if isinstance(text, Band):
        return text
    if isinstance(text, int | float):
        return Band(within=float(text))
    s = str(text).strip()
    try:
        if ".." in s:
            lo, hi = (float(v.strip().replace(",", "")) if v.strip() else None
                      for v in s.split("..", 1))
            return Band(min=lo, max=hi)
        return Band(within=float(s[:-1]) / 100 if s.endswith("%") else float(s))
    except ValueError:
        raise SpmsimError(f"band {text!r}: write 0.1 or 10% (+-10 % of the mean), ..120 "
                          "(at most 120), 80..120 or 80.. (at least 80)") from None


def parse_bands(specs: Sequence[str]) -> dict[str, Band]:
    """`measure=band` strings (CLI `--band workload=10%`) as a mapping."""
    out: dict[str, Band] = {}
    for spec in specs:
        measure, sep, band = str(spec).partition("=")
        if not sep or not measure.strip():
            raise SpmsimError(f"--band {spec!r}: write MEASURE=BAND, e.g. workload=10% or "
                              "workload=..120")
        out[measure.strip()] = parse_band(band)
    return out


@dataclass(frozen=True)
class Problem:
    """Units (accounts, or groups that stay together) x territories."""

    n: int
    unit: np.ndarray  # (accounts,) unit of each account
    names: list[str]  # a readable name per unit: account id, or "group G"
    cost: np.ndarray  # (U, n), meaningful where allowed
    allowed: np.ndarray  # (U, n) bool
    measures: tuple[str, ...]
    values: np.ndarray  # (m, U) banded measures per unit
    lo: np.ndarray  # (m,)
    hi: np.ndarray  # (m,)
    bands: tuple[Band, ...]
    travel: np.ndarray  # (U, n) weight x distance
    cap: np.ndarray  # (n,) maximum travel, inf for none
    unit_label: str = "km"

    @property
    def units(self) -> int:
        return self.cost.shape[0]

    def objective(self, owner: np.ndarray) -> float:
        return float(self.cost[np.arange(self.units), owner].sum())

    def loads(self, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """((m, n) banded totals, (n,) travel) of a unit assignment."""
        load = np.stack([np.bincount(owner, weights=v, minlength=self.n) for v in self.values])
        tl = np.bincount(owner, weights=self.travel[np.arange(self.units), owner],
                         minlength=self.n)
        return load, tl

    def feasible(self, owner: np.ndarray, tol: float = 1e-7) -> bool:
        if not self.allowed[np.arange(self.units), owner].all():
            return False
        load, tl = self.loads(owner)
        scale = np.maximum(np.abs(self.values).sum(axis=1), 1.0)[:, None] * tol
        return bool((load >= self.lo[:, None] - scale).all() and
                    (load <= self.hi[:, None] + scale).all() and
                    (tl <= self.cap * (1 + tol) + tol).all())

    def account_owner(self, unit_owner: np.ndarray) -> np.ndarray:
        return np.asarray(unit_owner)[self.unit]


def _per_territory(value, n: int, what: str) -> np.ndarray:
    if value is None:
        return np.full(n, np.inf)
    arr = np.broadcast_to(np.asarray(value, float), (n,)).copy()
    arr[np.isnan(arr)] = np.inf
    if (arr < 0).any():
        raise SpmsimError(f"{what}: must not be negative")
    return arr


def build_problem(accounts: pd.DataFrame, n: int, distance: np.ndarray, *,
                  bands: Mapping[str, Band], weight: np.ndarray,
                  continuing: np.ndarray | None = None, disruption_weight: float = 0.0,
                  locked: np.ndarray | None = None, groups: Sequence | None = None,
                  max_travel=None, max_distance=None, territory_names: Sequence[str] | None
                  = None, unit_label: str = "km") -> Problem:
    """The problem for `optimise`, with the checks that need no solver.

    distance: (accounts, n); weight: (accounts,) travel weight; continuing: each account's
    current territory in the new labels (-1 when its territory does not continue);
    locked: territory per account or -1; groups: a label per account (blank: alone).
    """
    a = len(accounts)
    names = list(territory_names) if territory_names is not None else \
        [f"territory {k + 1}" for k in range(n)]
    ids = accounts["account_id"].astype(str).to_numpy() if "account_id" in accounts \
        else np.array([str(i) for i in range(a)])
    unit, unit_names = _units(ids, groups)
    u_count = len(unit_names)
    dist = np.asarray(distance, float)
    travel_acc = weight[:, None] * dist
    cost_acc = travel_acc.copy()
    if continuing is not None and disruption_weight > 0:
        pot = accounts["potential"].to_numpy(float)
        nearest = travel_acc.min(axis=1).sum()
        scale = nearest / max(pot.sum(), 1e-12) if nearest > 0 else 1.0
        moved = np.asarray(continuing)[:, None] != np.arange(n)[None, :]
        cost_acc = cost_acc + disruption_weight * scale * pot[:, None] * moved
    cost = _sum_rows(cost_acc, unit, u_count)
    travel = _sum_rows(travel_acc, unit, u_count)
    maxd = _per_territory(max_distance, n, "max_distance")
    near = dist <= maxd[None, :] + TOL
    allowed = np.ones((u_count, n), bool)
    np.logical_and.at(allowed, unit, near)
    for u in np.flatnonzero(~allowed.any(axis=1)):
        raise SpmsimError(f"{unit_names[u]}: no territory's base is within max_distance "
                          f"(the nearest is {amount(dist[unit == u].max(axis=0).min())} "
                          f"{unit_label} away): raise max_distance")
    if locked is not None:
        allowed = _apply_locks(allowed, np.asarray(locked), unit, unit_names, names, ids,
                               unit_label)
    measures = tuple(bands)
    values = np.stack([_sum_rows(accounts[m].to_numpy(float)[:, None], unit, u_count)[:, 0]
                       for m in measures]) if measures else np.zeros((0, u_count))
    limits = [bands[m].limits(float(values[j].sum()), n) for j, m in enumerate(measures)]
    lo = np.array([x[0] for x in limits])
    hi = np.array([x[1] for x in limits])
    cap = _per_territory(max_travel, n, "max_travel")
    p = Problem(n, unit, unit_names, cost, allowed, measures, values, lo, hi,
                tuple(bands[m] for m in measures), travel, cap, unit_label)
    _check(p, names)
    return p


def _units(ids: np.ndarray, groups: Sequence | None) -> tuple[np.ndarray, list[str]]:
    if groups is None:
        return np.arange(len(ids)), list(ids)
    g = pd.Series(groups, dtype=object).fillna("").astype(str).str.strip().to_numpy()
    key = np.where(g == "", "\0" + ids, "g:" + g)
    unit, uniques = pd.factorize(key)
    names = [f"account {k[1:]}" if k.startswith("\0") else f"group {k[2:]}" for k in uniques]
    return unit, names


def _sum_rows(x: np.ndarray, unit: np.ndarray, u: int) -> np.ndarray:
    out = np.zeros((u, x.shape[1]))
    np.add.at(out, unit, x)
    return out


def _apply_locks(allowed, locked, unit, unit_names, names, ids, unit_label) -> np.ndarray:
    allowed = allowed.copy()
    for u in np.unique(unit[locked >= 0]):
        ks = np.unique(locked[(unit == u) & (locked >= 0)])
        if len(ks) > 1:
            who = [f"{ids[i]} to {names[locked[i]]}" for i in np.flatnonzero(unit == u)
                   if locked[i] >= 0]
            raise SpmsimError(f"{unit_names[u]}: its accounts are locked to different "
                              f"territories ({', '.join(who[:4])}): lock them to one, or "
                              "take them out of the group")
        k = int(ks[0])
        if not allowed[u, k]:
            raise SpmsimError(f"{unit_names[u]}: locked to {names[k]} but farther than its "
                              f"max_distance: raise that territory's max_distance or unlock")
        allowed[u] = False
        allowed[u, k] = True
    return allowed


def _check(p: Problem, names: list[str]) -> None:
    only = np.where(p.allowed.sum(axis=1) == 1, p.allowed.argmax(axis=1), -1)
    for j, m in enumerate(p.measures):
        lo, hi = p.lo[j], p.hi[j]
        band = p.bands[j].describe(m)
        if lo > hi + TOL:
            raise SpmsimError(f"balance band on {m} ({band}): its lowest total {amount(lo)} "
                              f"is above its highest {amount(hi)}: widen it")
        big = np.flatnonzero(p.values[j] > hi + TOL)
        if big.size:
            u = big[np.argmax(p.values[j, big])]
            raise SpmsimError(f"{p.names[u]} alone has {m} {amount(p.values[j, u])}, above the "
                              f"top of the {m} balance band {amount(hi)} ({band}): widen the "
                              f"{m} band, use fewer territories" + (", or split the group"
                                                     if p.names[u].startswith("group") else ""))
        total = p.values[j].sum()
        if total > p.n * hi + TOL or total < p.n * lo - TOL:
            raise SpmsimError(f"balance band on {m} ({band}): {p.n} territories cannot share "
                              f"a total of {amount(total)}: widen the band or change the "
                              "number of territories")
        fixed = np.bincount(only[only >= 0], weights=p.values[j, only >= 0], minlength=p.n)
        for k in np.flatnonzero(fixed > hi + TOL):
            raise SpmsimError(f"locks put {m} {amount(fixed[k])} in {names[k]}, above the "
                              f"top of the {m} balance band {amount(hi)} ({band}): unlock "
                              f"some of its accounts or widen the {m} band")
    fixed_t = np.zeros(p.n)
    idx = np.flatnonzero(only >= 0)
    np.add.at(fixed_t, only[idx], p.travel[idx, only[idx]])
    for k in np.flatnonzero(fixed_t > p.cap * (1 + TOL) + TOL):
        raise SpmsimError(f"locks give {names[k]} travel {amount(fixed_t[k])}, above its "
                          f"max_travel {amount(p.cap[k])}: unlock some of its accounts or "
                          "raise its max_travel")
    lone = p.travel.min(axis=1, where=p.allowed, initial=np.inf)
    for u in np.flatnonzero(lone > p.cap.max() * (1 + TOL) + TOL):
        raise SpmsimError(f"{p.names[u]} alone needs travel {amount(lone[u])}, above every "
                          "territory's max_travel: raise max_travel")
