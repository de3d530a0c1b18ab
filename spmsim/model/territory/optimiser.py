"""`optimise`: accounts to territories with fixed bases, every band kept, least travel plus
priced disruption; exact (MILP) or LP rounding with local search, and how good it is known
to be (the gap to a proven lower bound)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmsim.errors import SpmsimError
from spmsim.model.territory.exact import solve
from spmsim.model.territory.geometry import (
    Travel,
    centres,
    great_circle,
    pair_territories,
    pick_bases,
)
from spmsim.model.territory.metrics import travel_weights
from spmsim.model.territory.problem import Band, Problem, build_problem, parse_band
from spmsim.model.territory.search import State, local_search, repair, round_lp

EXACT_LIMIT = 4000  # allowed (account, territory) pairs solved exactly by default
SEARCH_SHARE = 0.8  # of the time limit, the heuristic's (the rest is margin)


@dataclass(frozen=True)
class Optimised:
    """An optimised alignment and how good it is known to be."""

    owner: np.ndarray  # territory per account
    bases: np.ndarray | None  # (n, 2) lat, lon of each territory's base, when known
    objective: float  # travel plus priced disruption
    bound: float | None  # a proven lower bound on the optimum, when there is one
    method: str  # "exact", "milp-time-limit" or "lp-rounding"
    seconds: float
    travel: Travel | None = None  # the distances the objective used
    paired: np.ndarray | None = None  # current territory each territory continues, or -1

    @property
    def gap(self) -> float:
        """(objective - bound) / bound: 0 for a proven optimum, NaN when nothing is proven."""
        if self.bound is None:
            return 0.0 if self.method == "exact" else float("nan")
        if self.objective <= self.bound * (1 + 1e-12) + 1e-9:
            return 0.0
        return (self.objective - self.bound) / self.bound if self.bound > 0 else float("inf")

    def describe(self) -> str:
        if self.method == "exact":
            return "exact (MILP), proven optimal"
        gap = "nothing proven" if np.isnan(self.gap) else f"gap {self.gap:.2%} to the bound"
        what = {"lp-rounding": "LP rounding and local search",
                "milp-time-limit": "MILP stopped at its time limit"}.get(self.method, self.method)
        return f"{what}, {gap}"


def _bands(accounts, bands, balance, on) -> dict[str, Band]:
    out = {on: Band(within=balance)} if bands is None else \
        {m: parse_band(b) for m, b in bands.items()}
    for m in out:
        if m not in accounts.columns:
            raise SpmsimError(f"band on {m!r}: the accounts have no such column (they have "
                              f"{', '.join(map(str, accounts.columns))})")
        if not pd.api.types.is_numeric_dtype(accounts[m]):
            raise SpmsimError(f"band on {m!r}: the column is not numeric")
    return out


def _where(accounts, n, bases, travel, current, seed):
    """(distances, bases, continuing labels, paired) with labels keyed by territory."""
    n_cur = int(np.max(current)) + 1 if current is not None else 0
    if travel is not None:
        if travel.territories != n or travel.to_base.shape[0] != len(accounts):
            raise SpmsimError(f"travel: {travel.to_base.shape} but there are {len(accounts)} "
                              f"accounts and {n} territories")
        bases = None if bases is None else np.asarray(bases, float)
    elif bases is not None:
        bases = np.asarray(bases, float)
        if bases.shape != (n, 2):
            raise SpmsimError(f"bases: one (lat, lon) per territory, {n}, got {bases.shape}")
        travel = great_circle(accounts, bases)
    else:
        start = centres(accounts, current, n) if current is not None and n_cur == n else None
        if start is not None and np.isnan(start).any():
            start = None
        bases = pick_bases(accounts, n, seed, start=start)
        travel = great_circle(accounts, bases)
        if current is not None:  # label the picked bases after the territories they continue
            pot = accounts["potential"].to_numpy(float) + 1e-9
            paired = pair_territories(current, travel.to_base.argmin(axis=1), n_cur, n, pot)
            if n == n_cur:
                order = np.argsort(paired)
                bases = bases[order]
                travel = Travel(travel.to_base[:, order], travel.unit)
            else:
                inv = np.full(n_cur, -1)
                inv[paired[paired >= 0]] = np.flatnonzero(paired >= 0)
                return travel, bases, inv[current], paired
    if current is None:
        return travel, bases, None, None
    paired = np.where(np.arange(n) < n_cur, np.arange(n), -1)
    return travel, bases, np.where(np.asarray(current) < n, current, -1), paired


def optimise(accounts: pd.DataFrame, n: int, *, balance: float = 0.1, on: str = "workload",
             bands: Mapping[str, Band | float | str] | None = None,
             bases: np.ndarray | None = None, travel: Travel | None = None,
             weight: str | None = "workload", current: np.ndarray | None = None,
             disruption_weight: float = 0.0, locked: np.ndarray | None = None,
             groups: Sequence | None = None, max_travel=None, max_distance=None,
             exact: bool | None = None, time_limit: float = 60.0, seed: int = 0,
             names: Sequence[str] | None = None, rounds: int = 1) -> Optimised:
    """Assign accounts to `n` territories, each inside every band, at the least travel plus
    `disruption_weight` x the moved potential against `current`.

    Territory k is the same territory everywhere: `bases[k]` (lat, lon), column k of
    `travel`, label k in `current` and `locked`. Without bases or travel, bases are picked
    by k-means and paired with the current territories (the pairing that keeps the most
    potential), so disruption is measured against the territory each one continues.

    bands: measure -> Band (or a share around the mean, or '..120'); default
    {on: +-balance}. weight: the accounts column that weights travel (None: 1 each).
    locked: territory per account (-1 free); groups: a label per account, accounts sharing
    one stay together; max_travel: a territory's total travel (weight x distance);
    max_distance: the farthest an account may be from its base (scalars or one per
    territory). `exact` defaults to True when the allowed pairs number <= EXACT_LIMIT; an
    exact run stops at `time_limit` seconds with the gap it proved. `rounds`: sweeps of the
    heuristic's large neighbourhood (re-splitting neighbouring territories by MILP; 0 for
    the quick search alone).
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    if n < 1 or n > len(accounts):
        raise SpmsimError(f"territories: between 1 and the {len(accounts)} accounts, got {n}")
    spec = _bands(accounts, bands, balance, on)
    if current is not None:
        current = np.asarray(current, int)
    travel, bases, continuing, paired = _where(accounts, n, bases, travel, current, seed)
    kw = {"bands": spec, "weight": travel_weights(accounts, weight), "continuing": continuing,
          "disruption_weight": disruption_weight, "locked": None if locked is None else
          np.asarray(locked, int), "groups": groups, "max_travel": max_travel,
          "max_distance": max_distance, "territory_names": names, "unit_label": travel.unit}
    p = build_problem(accounts, n, travel.to_base, **kw)
    pairs = int(p.allowed.sum())
    exact = pairs <= EXACT_LIMIT if exact is None else exact
    why = lambda kind: _infeasible(p, kind, accounts, n, travel, kw)  # noqa: E731
    if not exact:
        unit_owner, bound, method = _heuristic(p, t0 + SEARCH_SHARE * time_limit, why, rounds)
    else:
        first = _heuristic(p, t0 + 0.3 * time_limit, why, rounds) if pairs > EXACT_LIMIT \
            else None
        done = _exact(p, deadline, why)
        if done is not None and done[2] == "exact":
            unit_owner, bound, method = done
        else:
            if first is None:
                first = _heuristic(p, time.perf_counter() + max(5.0, 0.2 * time_limit), why,
                                   rounds)
            found = [r for r in (first, done) if r is not None]
            unit_owner = min((r[0] for r in found if r[0] is not None), key=p.objective)
            bounds = [r[1] for r in found if r[1] is not None]
            bound, method = (max(bounds) if bounds else None), "milp-time-limit"
    owner = p.account_owner(unit_owner)
    return Optimised(owner, bases, p.objective(unit_owner), bound, method,
                     time.perf_counter() - t0, travel, paired)


def _exact(p: Problem, deadline: float, why):
    """(unit owner, bound, method) of the MILP, or None when it found nothing in time."""
    res = solve(p, integral=True, time_limit=deadline - time.perf_counter())
    if res.status == 2:
        raise SpmsimError(why("exact"))
    if res.x is None or not p.feasible(res.owner(p.units)):
        return None if res.bound is None else (None, res.bound, "milp-time-limit")
    owner = res.owner(p.units)
    return owner, res.bound, "exact" if res.optimal else "milp-time-limit"


def _heuristic(p: Problem, deadline: float, why, rounds: int = 1):
    """(unit owner, LP bound when proven, method): LP rounding, repair, local search."""
    lp = solve(p, integral=False, time_limit=max(deadline - time.perf_counter(), 1.0))
    if lp.status == 2:
        raise SpmsimError(why("relaxed"))
    if lp.x is not None:
        owner = round_lp(p, lp)
    else:  # no relaxation in time: the cheapest allowed territory of each unit
        owner = np.where(p.allowed, p.cost, np.inf).argmin(axis=1)
    state = State(p, owner)
    try:
        repair(state, deadline + 30.0)
    except SpmsimError:  # greedy shifts stuck: any feasible point of the MILP instead
        res = solve(p, integral=True, gap=0.5,
                    time_limit=max(deadline - time.perf_counter(), 10.0))
        if res.status == 2:
            raise SpmsimError(why("exact")) from None
        if res.x is None or not p.feasible(res.owner(p.units)):
            raise
        state = State(p, res.owner(p.units))
    local_search(state, deadline, rounds)
    if not p.feasible(state.owner):  # every step keeps the bands: this is a bug if it fails
        raise RuntimeError("the territory search left a band; please report this instance")
    return state.owner, lp.bound, "lp-rounding"


def _constraints_text(p: Problem) -> list[str]:
    out = [f"{m} {b.describe(m)}" for m, b in zip(p.measures, p.bands, strict=True)]
    if np.isfinite(p.cap).any():
        out.append("max_travel")
    if (~p.allowed).any():
        out.append("max_distance and locks")
    return out


def _infeasible(p: Problem, kind: str, accounts=None, n=None, travel=None, kw=None) -> str:
    """Which constraint makes the problem infeasible, by re-solving the relaxation without
    each family in turn."""
    head = (f"no alignment keeps every territory {', '.join(_constraints_text(p))}" +
            (" even splitting accounts between territories" if kind == "relaxed" else ""))
    if kw is None:
        return head + ": widen a band, or use fewer locks and groups"
    culprits = []
    trials = {f"the {m} band": {"bands": {k: v for k, v in kw["bands"].items() if k != m}}
              for m in kw["bands"]}
    trials.update({"max_travel": {"max_travel": None}, "max_distance": {"max_distance": None},
                   "the locks": {"locked": None}, "the groups": {"groups": None}})
    for name, change in trials.items():
        if all(kw.get(k) is None for k in change if k != "bands") and "bands" not in change:
            continue
        try:
            q = build_problem(accounts, n, travel.to_base, **{**kw, **change})
        except SpmsimError:
            continue
        res = solve(q, integral=kind == "exact", gap=1.0, time_limit=10.0)
        if res.status != 2 and (kind != "exact" or res.x is not None):
            culprits.append(name)
    if culprits:
        return head + f"; it would without {' or without '.join(culprits)}: relax that"
    return head + ": relax several constraints at once (bands, max_travel, locks, groups)"
