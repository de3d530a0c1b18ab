"""Territories: accounts grouped under reps, judged by balance, compactness and disruption,
and an optimiser that balances them.

An alignment is one territory index per account. Balance is the spread of potential and
workload across territories; compactness the workload-weighted distance (great-circle
km) from accounts to their territory's base (the rep's location, or the territory's
centre when no bases are given); disruption the share of accounts and of potential that
change owner against a current alignment.

`optimise` assigns accounts to territories with fixed bases so that every territory's
workload (or potential) lies within +-`balance` of the mean, minimising distance plus a
weighted disruption: exactly as a mixed-integer programme (`scipy.optimize.milp`, HiGHS)
when the instance is small, otherwise by its linear relaxation (a transportation LP) with
rounding and a local search, reporting the gap to the LP bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from spmsim.errors import SpmsimError
from spmsim.format import percent

EARTH_KM = 6371.0088
EXACT_LIMIT = 4000  # accounts x territories solved exactly by default
Measure = Literal["workload", "potential"]


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km; arguments broadcast (degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def centres(accounts: pd.DataFrame, owner: np.ndarray, n: int) -> np.ndarray:
    """Workload-weighted centre (lat, lon) of each territory, (n, 2); NaN when empty."""
    w = accounts["workload"].to_numpy(float)
    out = np.full((n, 2), np.nan)
    tot = np.bincount(owner, weights=w, minlength=n)
    for k, col in enumerate(("lat", "lon")):
        s = np.bincount(owner, weights=w * accounts[col].to_numpy(float), minlength=n)
        out[:, k] = np.where(tot > 0, s / np.where(tot > 0, tot, 1.0), np.nan)
    return out


def territory_table(accounts: pd.DataFrame, owner: np.ndarray, n: int,
                    bases: np.ndarray | None = None) -> pd.DataFrame:
    """One row per territory: accounts, potential, workload, and the workload-weighted mean
    distance (km) of its accounts to its base (or centre)."""
    owner = np.asarray(owner)
    where = centres(accounts, owner, n) if bases is None else np.asarray(bases, float)
    w = accounts["workload"].to_numpy(float)
    d = haversine_km(accounts["lat"].to_numpy(float), accounts["lon"].to_numpy(float),
                     where[owner, 0], where[owner, 1])
    workload = np.bincount(owner, weights=w, minlength=n)
    dist = np.bincount(owner, weights=w * d, minlength=n)
    return pd.DataFrame({
        "territory": np.arange(n),
        "accounts": np.bincount(owner, minlength=n),
        "potential": np.bincount(owner, weights=accounts["potential"].to_numpy(float),
                                 minlength=n),
        "workload": workload,
        "mean_km": np.where(workload > 0, dist / np.where(workload > 0, workload, 1.0), 0.0),
        "base_lat": where[:, 0], "base_lon": where[:, 1]})


def _spread(values: np.ndarray) -> tuple[float, float]:
    """(coefficient of variation, max / min) of per-territory totals."""
    mean = values.mean()
    cv = float(values.std() / mean) if mean > 0 else float("nan")
    low = values.min()
    return cv, float(values.max() / low) if low > 0 else float("inf")


def disruption(current: np.ndarray, proposed: np.ndarray,
               potential: np.ndarray) -> tuple[float, float]:
    """(share of accounts, share of potential) whose owner changes."""
    moved = np.asarray(current) != np.asarray(proposed)
    total = potential.sum()
    return float(moved.mean()), float(potential[moved].sum() / total) if total > 0 else 0.0


def alignment_metrics(accounts: pd.DataFrame, owner: np.ndarray, n: int,
                      bases: np.ndarray | None = None,
                      current: np.ndarray | None = None) -> dict[str, float]:
    """Balance, compactness and (against `current`) disruption of an alignment."""
    table = territory_table(accounts, owner, n, bases)
    cv_p, ratio_p = _spread(table["potential"].to_numpy())
    cv_w, ratio_w = _spread(table["workload"].to_numpy())
    w = table["workload"].to_numpy()
    out = {"territories": n, "cv_potential": cv_p, "max_min_potential": ratio_p,
           "cv_workload": cv_w, "max_min_workload": ratio_w,
           "max_deviation_workload": float(np.abs(w / w.mean() - 1).max()),
           "mean_km": float((table["mean_km"] * w).sum() / w.sum())}
    if current is not None:
        out["moved_accounts"], out["moved_potential"] = disruption(
            current, owner, accounts["potential"].to_numpy(float))
    return out


@dataclass(frozen=True)
class Optimised:
    """An optimised alignment and how good it is known to be."""

    owner: np.ndarray  # territory per account
    bases: np.ndarray  # (n, 2) lat, lon
    objective: float  # workload-km plus weighted disruption
    bound: float | None  # a lower bound on the optimum (LP relaxation), when known
    method: str  # "exact" or "lp-rounding"
    seconds: float

    @property
    def gap(self) -> float:
        """(objective - bound) / bound; 0 for a proven optimum."""
        if self.bound is None or self.bound <= 0:
            return 0.0 if self.method == "exact" else float("nan")
        return max(self.objective - self.bound, 0.0) / self.bound


def pick_bases(accounts: pd.DataFrame, n: int, seed: int = 0, rounds: int = 20) -> np.ndarray:
    """Territory bases by workload-weighted k-means on the map (k-means++ start)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    xy = accounts[["lat", "lon"]].to_numpy(float)
    w = accounts["workload"].to_numpy(float)
    first = rng.choice(len(xy), p=w / w.sum())
    chosen = [first]
    d2 = haversine_km(xy[:, 0], xy[:, 1], xy[first, 0], xy[first, 1]) ** 2
    for _ in range(1, n):
        p = w * d2
        nxt = rng.choice(len(xy), p=p / p.sum()) if p.sum() > 0 else rng.integers(len(xy))
        chosen.append(nxt)
        d2 = np.minimum(d2, haversine_km(xy[:, 0], xy[:, 1], xy[nxt, 0], xy[nxt, 1]) ** 2)
    c = xy[chosen].copy()
    for _ in range(rounds):
        owner = haversine_km(xy[:, None, 0], xy[:, None, 1], c[None, :, 0],
                             c[None, :, 1]).argmin(axis=1)
        c = np.where(np.isnan(centres(accounts, owner, n)), c, centres(accounts, owner, n))
    return c


def _costs(accounts: pd.DataFrame, bases: np.ndarray, current: np.ndarray | None,
           disruption_weight: float) -> np.ndarray:
    """(accounts, territories) cost: workload x km to the base, plus, when the account
    moves, disruption_weight x its share of all potential x the travel of the nearest-base
    alignment (so weight 1 prices moving everything like that whole travel)."""
    w = accounts["workload"].to_numpy(float)
    km = haversine_km(accounts["lat"].to_numpy(float)[:, None],
                      accounts["lon"].to_numpy(float)[:, None],
                      bases[None, :, 0], bases[None, :, 1])
    cost = w[:, None] * km
    if current is not None and disruption_weight > 0:
        pot = accounts["potential"].to_numpy(float)
        nearest = cost.min(axis=1).sum()  # the travel of the best unbalanced alignment
        scale = nearest / max(pot.sum(), 1e-12) if nearest > 0 else 1.0
        moved = np.asarray(current)[:, None] != np.arange(bases.shape[0])[None, :]
        cost = cost + disruption_weight * scale * pot[:, None] * moved
    return cost


def _band(values: np.ndarray, n: int, balance: float) -> tuple[float, float]:
    mean = values.sum() / n
    lo, hi = (1 - balance) * mean, (1 + balance) * mean
    if values.max() > hi:
        raise SpmsimError(f"one account alone ({values.max():,.1f}) exceeds the balance band's "
                          f"top ({hi:,.1f}): widen `balance` or use more territories")
    return lo, hi


def _constraints(values: np.ndarray, n: int, lo: float, hi: float):
    a, t = values.size, n
    rows = np.repeat(np.arange(a), t)
    one = sparse.csr_matrix((np.ones(a * t), (rows, np.arange(a * t))), shape=(a, a * t))
    cols = np.arange(a * t)
    band = sparse.csr_matrix((np.repeat(values, t), (np.tile(np.arange(t), a), cols)),
                             shape=(t, a * t))
    return [LinearConstraint(one, 1, 1), LinearConstraint(band, lo, hi)]


def optimise(accounts: pd.DataFrame, n: int, *, balance: float = 0.1,
             on: Measure = "workload", bases: np.ndarray | None = None,
             current: np.ndarray | None = None, disruption_weight: float = 0.0,
             exact: bool | None = None, time_limit: float = 60.0, seed: int = 0) -> Optimised:
    """Assign accounts to `n` territories within +-`balance` of the mean of `on`.

    Minimises workload-weighted km to fixed bases (given, or from `pick_bases`) plus
    `disruption_weight` x moved potential against `current`. `exact` defaults to True
    when accounts x territories <= EXACT_LIMIT.
    """
    t0 = time.perf_counter()
    if n < 1 or n > len(accounts):
        raise SpmsimError(f"territories: between 1 and the {len(accounts)} accounts, got {n}")
    bases = pick_bases(accounts, n, seed) if bases is None else np.asarray(bases, float)
    values = accounts[on].to_numpy(float)
    lo, hi = _band(values, n, balance)
    cost = _costs(accounts, bases, current, disruption_weight)
    cons = _constraints(values, n, lo, hi)
    a = len(accounts)
    exact = a * n <= EXACT_LIMIT if exact is None else exact
    if exact:
        res = milp(cost.ravel(), constraints=cons, integrality=np.ones(a * n),
                   bounds=Bounds(0, 1), options={"time_limit": time_limit, "mip_rel_gap": 0.0})
        if res.x is None:
            raise SpmsimError(f"no alignment puts every territory within "
                              f"+-{percent(balance, 0)} of the mean {on}: {res.message}")
        owner = res.x.reshape(a, n).argmax(axis=1)
        proven = res.status == 0  # optimal with no gap tolerance
        bound = getattr(res, "mip_dual_bound", None)
        return Optimised(owner, bases, float(res.fun), float(res.fun) if proven else
                         (None if bound is None else float(bound)),
                         "exact" if proven else "milp-time-limit", time.perf_counter() - t0)
    lp = linprog(cost.ravel(), A_ub=sparse.vstack([cons[1].A, -cons[1].A]),
                 b_ub=np.concatenate([np.full(n, hi), np.full(n, -lo)]),
                 A_eq=cons[0].A, b_eq=np.ones(a), bounds=(0, 1), method="highs",
                 options={"time_limit": time_limit})
    if lp.x is None:
        raise SpmsimError(f"no alignment puts every territory within +-{percent(balance, 0)} "
                          f"of the mean {on}: {lp.message}")
    owner = _repair(lp.x.reshape(a, n).argmax(axis=1), cost, values, lo, hi)
    owner = _local_search(owner, cost, values, lo, hi)
    objective = float(cost[np.arange(a), owner].sum())
    return Optimised(owner, bases, objective, float(lp.fun), "lp-rounding",
                     time.perf_counter() - t0)


def _repair(owner: np.ndarray, cost: np.ndarray, values: np.ndarray, lo: float,
            hi: float) -> np.ndarray:
    """Move the cheapest accounts out of territories above the band and into those below."""
    owner = owner.copy()
    n = cost.shape[1]
    load = np.bincount(owner, weights=values, minlength=n)
    for _ in range(10 * len(owner)):
        over, under = np.flatnonzero(load > hi + 1e-9), np.flatnonzero(load < lo - 1e-9)
        if not over.size and not under.size:
            return owner
        if over.size:
            src = over[0]
            members = np.flatnonzero(owner == src)
            fits = load[None, :] + values[members, None] <= hi + 1e-9
            fits[:, src] = False
            extra = np.where(fits, cost[members] - cost[members, src][:, None], np.inf)
        else:
            dst = under[0]
            members = np.flatnonzero((owner != dst) & (load[owner] - values >= lo - 1e-9))
            extra = np.full((members.size, n), np.inf)
            extra[:, dst] = cost[members, dst] - cost[members, owner[members]]
        if not np.isfinite(extra).any():
            raise SpmsimError("could not round the relaxed alignment into the balance band: "
                              "widen `balance`")
        i, dst_ = np.unravel_index(np.argmin(extra), extra.shape)
        acc = members[i]
        load[owner[acc]] -= values[acc]
        load[dst_] += values[acc]
        owner[acc] = dst_
    raise SpmsimError("could not balance the territories: widen `balance`")


def _local_search(owner: np.ndarray, cost: np.ndarray, values: np.ndarray, lo: float,
                  hi: float, passes: int = 5) -> np.ndarray:
    """Single-account moves that lower cost and keep both territories inside the band."""
    owner = owner.copy()
    n = cost.shape[1]
    load = np.bincount(owner, weights=values, minlength=n)
    idx = np.arange(owner.size)
    for _ in range(passes):
        gain = cost[idx, owner][:, None] - cost
        ok = (load[None, :] + values[:, None] <= hi + 1e-9) & \
            ((load[owner] - values) >= lo - 1e-9)[:, None]
        ok[idx, owner] = False
        gain = np.where(ok, gain, 0.0)
        best = gain.argmax(axis=1)
        order = np.argsort(-gain[idx, best])
        moved = False
        for acc in order:
            dst = best[acc]
            if gain[acc, dst] <= 1e-9:
                break
            src = owner[acc]
            if load[dst] + values[acc] <= hi + 1e-9 and load[src] - values[acc] >= lo - 1e-9:
                load[src] -= values[acc]
                load[dst] += values[acc]
                owner[acc] = dst
                moved = True
        if not moved:
            break
    return owner
