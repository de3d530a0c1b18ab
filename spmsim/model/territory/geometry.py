"""Where accounts and bases are: great-circle distance, travel from accounts to territory
bases (a matrix or the map), territory centres, k-means bases, and the pairing of new
territories with current ones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmsim.errors import SpmsimError

EARTH_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km; arguments broadcast (degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass(frozen=True)
class Travel:
    """Distance or time from every account to every territory's base: `to_base[i, k]` is
    account i to the base of territory k, in `unit` (km, minutes, ...)."""

    to_base: np.ndarray  # (accounts, territories)
    unit: str = "km"

    def __post_init__(self):
        d = np.asarray(self.to_base, float)
        if d.ndim != 2 or not np.isfinite(d).all() or (d < 0).any():
            raise SpmsimError("travel: a finite, non-negative (accounts x territories) matrix")
        object.__setattr__(self, "to_base", d)

    @property
    def territories(self) -> int:
        return self.to_base.shape[1]


def has_map(accounts: pd.DataFrame) -> bool:
    """Whether every account has a latitude and longitude."""
    return {"lat", "lon"} <= set(accounts.columns) and \
        bool(accounts[["lat", "lon"]].notna().all().all())


def great_circle(accounts: pd.DataFrame, bases: np.ndarray) -> Travel:
    """Travel in km along the great circle from each account to each base (lat, lon)."""
    if not has_map(accounts):
        raise SpmsimError("accounts: lat and lon are needed for great-circle distances; "
                          "give them, or a travel matrix")
    bases = np.asarray(bases, float)
    if np.isnan(bases).any():
        raise SpmsimError("bases: every territory needs a base (lat, lon)")
    return Travel(haversine_km(accounts["lat"].to_numpy(float)[:, None],
                               accounts["lon"].to_numpy(float)[:, None],
                               bases[None, :, 0], bases[None, :, 1]), "km")


def centres(accounts: pd.DataFrame, owner: np.ndarray, n: int) -> np.ndarray:
    """Workload-weighted centre (lat, lon) of each territory, (n, 2); NaN when empty."""
    w = accounts["workload"].to_numpy(float)
    owner = np.asarray(owner)
    out = np.full((n, 2), np.nan)
    tot = np.bincount(owner, weights=w, minlength=n)
    for k, col in enumerate(("lat", "lon")):
        s = np.bincount(owner, weights=w * accounts[col].to_numpy(float), minlength=n)
        out[:, k] = np.where(tot > 0, s / np.where(tot > 0, tot, 1.0), np.nan)
    return out


def pick_bases(accounts: pd.DataFrame, n: int, seed: int = 0, rounds: int = 20,
               start: np.ndarray | None = None) -> np.ndarray:
    """Territory bases by workload-weighted k-means on the map: from `start` (n, 2) when
    given (the labels then stay those of `start`), else a k-means++ start."""
    xy = accounts[["lat", "lon"]].to_numpy(float)
    w = accounts["workload"].to_numpy(float)
    if start is None:
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        first = rng.choice(len(xy), p=w / w.sum())
        chosen = [first]
        d2 = haversine_km(xy[:, 0], xy[:, 1], xy[first, 0], xy[first, 1]) ** 2
        for _ in range(1, n):
            p = w * d2
            nxt = rng.choice(len(xy), p=p / p.sum()) if p.sum() > 0 else rng.integers(len(xy))
            chosen.append(nxt)
            d2 = np.minimum(d2, haversine_km(xy[:, 0], xy[:, 1], xy[nxt, 0], xy[nxt, 1]) ** 2)
        c = xy[chosen].copy()
    else:
        c = np.asarray(start, float).copy()
    for _ in range(rounds):
        owner = haversine_km(xy[:, None, 0], xy[:, None, 1], c[None, :, 0],
                             c[None, :, 1]).argmin(axis=1)
        moved = centres(accounts, owner, n)
        c = np.where(np.isnan(moved), c, moved)
    return c


def pair_territories(current: np.ndarray, proposed: np.ndarray, n_current: int, n: int,
                     weights: np.ndarray) -> np.ndarray:
    """For each of the `n` proposed territories, the current territory it continues (or -1):
    the pairing that keeps the most `weights` (e.g. potential) with the same territory
    (Hungarian method on the overlap table)."""
    from scipy.optimize import linear_sum_assignment  # scipy only when optimising

    overlap = np.zeros((n, n_current))
    np.add.at(overlap, (np.asarray(proposed), np.asarray(current)), weights)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    out = np.full(n, -1)
    out[rows] = cols
    return out
