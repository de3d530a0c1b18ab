"""How good an alignment is: balance of every measure, travel, disruption.

Travel of an account is its travel weight (a column such as workload or visits, or 1 each)
x its distance or time to its territory's base; a territory's mean travel is that total
over the weights (the weighted mean distance of its accounts to its base)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from spmsim.model.territory.geometry import Travel, centres, great_circle, has_map

BALANCED = ("potential", "workload")  # measures every report shows


def travel_weights(accounts: pd.DataFrame, weight: str | None) -> np.ndarray:
    """The weight of each account's distance: a column, or 1 each when `weight` is None."""
    return np.ones(len(accounts)) if weight is None else accounts[weight].to_numpy(float)


def _travel(accounts, owner, n, bases, travel) -> Travel | None:
    if travel is not None:
        return travel
    if not has_map(accounts):
        return None
    return great_circle(accounts, centres(accounts, owner, n) if bases is None else bases)


def territory_table(accounts: pd.DataFrame, owner: np.ndarray, n: int,
                    bases: np.ndarray | None = None, *, travel: Travel | None = None,
                    weight: str | None = "workload",
                    measures: Sequence[str] = ()) -> pd.DataFrame:
    """One row per territory: accounts, potential, workload (and `measures`), its travel
    (weight x distance to its base; the base is given, or the territory's centre) and the
    weighted mean distance `mean_travel` (also `mean_km` when the unit is km)."""
    owner = np.asarray(owner)
    out = {"territory": np.arange(n), "accounts": np.bincount(owner, minlength=n)}
    for m in dict.fromkeys((*BALANCED, *measures)):
        out[m] = np.bincount(owner, weights=accounts[m].to_numpy(float), minlength=n)
    t = _travel(accounts, owner, n, bases, travel)
    if t is not None:
        w = travel_weights(accounts, weight)
        d = t.to_base[np.arange(len(owner)), owner]
        wsum = np.bincount(owner, weights=w, minlength=n)
        out["travel"] = np.bincount(owner, weights=w * d, minlength=n)
        out["mean_travel"] = np.where(wsum > 0, out["travel"] / np.where(wsum > 0, wsum, 1), 0.0)
        if t.unit == "km":
            out["mean_km"] = out["mean_travel"]
    where = bases if bases is not None else (centres(accounts, owner, n) if has_map(accounts)
                                             else None)
    if where is not None:
        out["base_lat"], out["base_lon"] = np.asarray(where, float)[:, 0], \
            np.asarray(where, float)[:, 1]
    return pd.DataFrame(out)


def _spread(values: np.ndarray) -> tuple[float, float, float]:
    """(coefficient of variation, max / min, largest deviation from the mean) of totals."""
    mean = values.mean()
    if mean <= 0:
        return float("nan"), float("nan"), float("nan")
    low = values.min()
    return (float(values.std() / mean), float(values.max() / low) if low > 0 else float("inf"),
            float(np.abs(values / mean - 1).max()))


def disruption(current: np.ndarray, proposed: np.ndarray,
               potential: np.ndarray) -> tuple[float, float]:
    """(share of accounts, share of potential) whose owner changes."""
    moved = np.asarray(current) != np.asarray(proposed)
    total = potential.sum()
    return float(moved.mean()), float(potential[moved].sum() / total) if total > 0 else 0.0


def alignment_metrics(accounts: pd.DataFrame, owner: np.ndarray, n: int,
                      bases: np.ndarray | None = None,
                      current: np.ndarray | None = None, *, travel: Travel | None = None,
                      weight: str | None = "workload",
                      measures: Sequence[str] = ()) -> dict[str, float]:
    """Balance of potential, workload and `measures` (cv_, max_min_, max_deviation_ each),
    travel (total, and the weighted mean `mean_travel`, `mean_km` in km) and, against
    `current` (territory labels shared with `owner`), disruption."""
    table = territory_table(accounts, owner, n, bases, travel=travel, weight=weight,
                            measures=measures)
    out: dict[str, float] = {"territories": n}
    for m in dict.fromkeys((*BALANCED, *measures)):
        out[f"cv_{m}"], out[f"max_min_{m}"], out[f"max_deviation_{m}"] = \
            _spread(table[m].to_numpy(float))
    if "travel" in table:
        wsum = travel_weights(accounts, weight).sum()
        out["travel"] = float(table["travel"].sum())
        out["mean_travel"] = out["travel"] / wsum if wsum > 0 else 0.0
        if "mean_km" in table:
            out["mean_km"] = out["mean_travel"]
    if current is not None:
        out["moved_accounts"], out["moved_potential"] = disruption(
            current, owner, accounts["potential"].to_numpy(float))
    return out
