"""Territory alignments and quota methods side by side, judged by simulation.

For each pair of an alignment and a quota method, one Monte Carlo run of the scenario on
the same draws (common random numbers) gives a row: balance and disruption of the
alignment, then share at quota, attainment spread, fairness (correlation of attainment
with territory potential) and the comp cost P50/P90 of the role. The table is what the
quota and territory study notebooks show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmsim.data.accounts import load_accounts
from spmsim.data.travel import load_bases, read_travel_matrix
from spmsim.engines import simulate
from spmsim.errors import SpmsimError
from spmsim.format import amount, percent
from spmsim.io import resolve_path
from spmsim.model.quota import fairness
from spmsim.model.scenario import Scenario, load_scenario, with_overrides
from spmsim.model.territory import (
    Band,
    Optimised,
    Travel,
    alignment_metrics,
    centres,
    great_circle,
    has_map,
    optimise,
    parse_band,
    parse_bands,
    territory_table,
)


def _seat_means(results, role: str, column: str) -> np.ndarray:
    reps = results.reps_frame()
    reps = reps[(reps["role"] == role) & ~reps["rep"].str.contains(".", regex=False)]
    seat = reps["rep"].str.rsplit("-", n=1).str[1].astype(int) - 1
    return reps.groupby(seat)[column].mean().sort_index().to_numpy()


def compare_designs(scenario: Scenario, role: str, *,
                    alignments: Mapping[str, str] | None = None,
                    quota_methods: Mapping[str, Mapping[str, Any]],
                    trials: int | None = None, seed: int | None = None) -> pd.DataFrame:
    """One row per (alignment, quota method) for `role`.

    Args:
        scenario: a scenario whose `role` has `territory:`.
        role: the role to compare designs for.
        alignments: name -> `current` or an alignment CSV (account_id, territory); default
            the current one.
        quota_methods: name -> a `quota_method:` mapping (method, target, ...).
        trials: simulated plan years per design (default: the scenario's).
        seed: random seed (default: the scenario's).
    """
    link = scenario.org.roles[role].territory if role in scenario.org.roles else None
    if link is None:
        raise SpmsimError(f"org.roles.{role}.territory: the role needs territories to compare "
                          "alignments and quota methods")
    rows = []
    for a_name, alignment in (alignments or {"current": "current"}).items():
        for q_name, method in quota_methods.items():
            s = with_overrides(scenario, {f"org.roles.{role}.territory.alignment": alignment,
                                          f"org.roles.{role}.quota_method": dict(method)})
            t = s.org.roles[role].territory
            r = simulate(s, trials=trials, seed=seed, progress=False)
            g = r.groups.index(role)
            pay = r.trial["variable_pay"][:, g]
            revenue = r.trial["revenue"][:, g]
            att = _seat_means(r, role, "attainment")
            geo = alignment_metrics(t.accounts_table, t.owners(), len(t.table),
                                    current=t.current_owners(), travel=t.travel_to_bases(),
                                    weight=t.travel_weight)
            rows.append({
                "alignment": a_name, "quota_method": q_name,
                "cv_workload": geo["cv_workload"], "cv_potential": geo["cv_potential"],
                "moved_accounts": geo.get("moved_accounts", np.nan),
                "moved_potential": geo.get("moved_potential", np.nan),
                **({"mean_travel": geo["mean_travel"]} if t.travel_to_bases() is not None
                   else {}),
                "share_at_quota": float(np.nanmean(r.trial["at_quota"][:, g]
                                                   / r.trial["reps"][:, g])),
                "attainment_p10": r.percentile("attainment", 0.1, role),
                "attainment_p50": r.percentile("attainment", 0.5, role),
                "attainment_p90": r.percentile("attainment", 0.9, role),
                "fairness": fairness(att, t.table["potential"].to_numpy()),
                "cost_p50": float(np.percentile(pay, 50)),
                "cost_p90": float(np.percentile(pay, 90)),
                "cost_of_sales": float(pay.mean() / revenue.mean()),
            })
    return pd.DataFrame(rows)


def compare_quota_methods(scenario_path: str | Path, role: str, methods: list[str], *,
                          target: float | None = None, over_assignment: float = 0.0,
                          growth: float = 0.0, trials: int | None = None) -> pd.DataFrame:
    """`compare_designs` for quota methods on a role's current alignment: the target is the
    role's own quota method's unless given."""
    scenario = load_scenario(scenario_path, trials=trials)
    spec = scenario.org.roles.get(role)
    if spec is None:
        raise SpmsimError(f"role {role!r}: the scenario's roles are "
                          f"{', '.join(scenario.org.roles)}")
    target = target or (spec.quota_method.target if spec.quota_method else None)
    if target is None:
        raise SpmsimError("target: the company target to allocate (the role has no "
                          "quota_method to take it from)")
    quota_methods = {m: {"method": m, "target": target, "over_assignment": over_assignment,
                         "growth": growth} for m in methods}
    return compare_designs(scenario, role, quota_methods=quota_methods)


@dataclass(frozen=True)
class TerritoryDesign:
    """An optimised alignment against the current one, with what the report shows."""

    accounts: pd.DataFrame
    alignment: pd.DataFrame  # account_id, territory (name), current (name or ''), moved
    territories: pd.DataFrame  # one row per territory: name, accounts, measures, travel, base
    metrics: pd.DataFrame  # metric x (current, proposed)
    result: Optimised
    bands: dict[str, Band] = field(default_factory=dict)
    unit: str = "km"  # of travel
    weight: str | None = "workload"  # the column weighting travel
    current_territories: pd.DataFrame | None = None  # the same table for today's alignment

    def describe(self, *_ignored) -> str:
        """One sentence: territories, bands, method, gap and time."""
        r = self.result
        bands = "; ".join(f"{m} {b.describe(m)}" for m, b in self.bands.items())
        return (f"{len(self.territories)} territories, {bands}: {r.describe()}, "
                f"{r.seconds:.1f} s")

    def moves(self) -> dict[str, float]:
        """Accounts and potential that change owner (counts and shares)."""
        if "moved" not in self.alignment:
            return {}
        moved = self.alignment["moved"].to_numpy(bool)
        pot = self.accounts["potential"].to_numpy(float)
        return {"accounts_moved": int(moved.sum()), "accounts": len(moved),
                "share_moved": float(moved.mean()), "potential_moved": float(pot[moved].sum()),
                "share_potential_moved": float(pot[moved].sum() / pot.sum()) if pot.sum() else 0.0}

    def base_table(self) -> pd.DataFrame | None:
        """name, lat, lon of each proposed territory's base (None when not on the map)."""
        if not {"base_lat", "base_lon"} <= set(self.territories.columns):
            return None
        return self.territories[["name", "base_lat", "base_lon"]].set_axis(
            ["name", "lat", "lon"], axis=1).dropna()

    def travel(self) -> pd.DataFrame:
        """Mean travel per territory (weighted distance or time to its base): territory,
        alignment (current, proposed), mean_travel, travel."""
        frames = [("current", self.current_territories), ("proposed", self.territories)]
        return pd.concat([t[["name", "mean_travel", "travel"]].rename(columns={
            "name": "territory"}).assign(alignment=a) for a, t in frames
            if t is not None and "travel" in t], ignore_index=True) \
            if any(t is not None and "travel" in t for _, t in frames) else pd.DataFrame()

    def summary(self) -> pd.DataFrame:
        """What changes, in readers' words: travel, moves and the worst deviation of each
        measure, today against proposed (text, formatted for the page)."""
        m = self.metrics
        has_now = "current" in m
        what = "travel" if self.weight is None else f"{self.weight}-weighted travel"
        rows = []
        if "mean_travel" in m.index:
            rows.append((f"mean {what} to the base ({self.unit})",
                         amount(m.loc["mean_travel", "current"], 1) if has_now else "",
                         amount(m.loc["mean_travel", "proposed"], 1)))
            rows.append((f"total travel ({'accounts' if self.weight is None else self.weight}"
                         f" x {self.unit})",
                         amount(m.loc["travel", "current"]) if has_now else "",
                         amount(m.loc["travel", "proposed"])))
        for measure in dict.fromkeys(("potential", "workload", *self.bands)):
            key = f"max_deviation_{measure}"
            band = f" (band: {self.bands[measure].describe(measure)})" \
                if measure in self.bands else ""
            rows.append((f"largest {measure} deviation from the mean{band}",
                         percent(m.loc[key, "current"]) if has_now else "",
                         percent(m.loc[key, "proposed"])))
        moves = self.moves()
        if moves:
            rows.append(("accounts that change rep", "",
                         f"{moves['accounts_moved']:,} of {moves['accounts']:,} "
                         f"({percent(moves['share_moved'])})"))
            rows.append(("potential that changes rep", "",
                         f"{amount(moves['potential_moved'])} "
                         f"({percent(moves['share_potential_moved'])})"))
        return pd.DataFrame(rows, columns=["", "today", "proposed"])

    def rep_table(self) -> pd.DataFrame:
        """One row per proposed territory, for reading: accounts, each measure's total and
        its deviation from the mean (today's beside it), mean travel today and proposed."""
        now = None if self.current_territories is None else \
            self.current_territories.set_index("name")
        t = self.territories.set_index("name")
        out = pd.DataFrame({"territory": t.index, "accounts": t["accounts"].map(
            lambda v: f"{v:,}").to_numpy()})
        for m in dict.fromkeys(("potential", "workload", *self.bands)):
            dev = t[m] / t[m].mean() - 1
            out[m] = t[m].map(amount).to_numpy()
            out[f"{m} vs mean"] = dev.map(lambda v: f"{v:+.1%}").to_numpy()
            if now is not None:
                dev_now = (now[m] / now[m].mean() - 1).reindex(t.index)
                out[f"{m} vs mean today"] = dev_now.map(
                    lambda v: "-" if pd.isna(v) else f"{v:+.1%}").to_numpy()
        if "mean_travel" in t:
            out[f"mean travel ({self.unit})"] = t["mean_travel"].map(
                lambda v: amount(v, 1)).to_numpy()
            if now is not None and "mean_travel" in now:
                out[f"today ({self.unit})"] = now["mean_travel"].reindex(t.index).map(
                    lambda v: "-" if pd.isna(v) else amount(v, 1)).to_numpy()
        return out

    def balance(self) -> pd.DataFrame:
        """Per territory and measure (potential, workload and every banded one): the total,
        its deviation from the mean and the band, today and proposed."""
        measures = list(dict.fromkeys(("potential", "workload", *self.bands)))
        frames = [(("proposed", self.territories))]
        if self.current_territories is not None:
            frames.insert(0, ("current", self.current_territories))
        rows = []
        for alignment, table in frames:
            for m in measures:
                values = table[m].to_numpy(float)
                mean = values.mean()
                lo, hi = self.bands[m].limits(values.sum(), len(values)) if m in self.bands \
                    else (np.nan, np.nan)
                rows.append(pd.DataFrame({
                    "alignment": alignment, "territory": table["name"], "measure": m,
                    "value": values, "deviation": values / mean - 1 if mean else np.nan,
                    "band_low": lo, "band_high": hi}))
        return pd.concat(rows, ignore_index=True)


def band_spec(on: str | None = None, balance: float | None = None,
              bands: Sequence[str] = ()) -> dict[str, Band]:
    """Bands from `measure=band` strings (`workload=10%`, `potential=..5e6`) plus `on` within
    +-`balance`; workload +-10 % when neither is given (the CLI's --band, --on, --balance)."""
    out = parse_bands(bands)
    if on is not None or balance is not None or not out:
        out.setdefault(on or "workload", parse_band(0.1 if balance is None else balance))
    return out


def _names_and_current(accounts: pd.DataFrame, n: int | None, bases: pd.DataFrame | None):
    """(territory names or None, current owner in those names' labels (-1: its territory
    does not continue) or None, current rep names)."""
    reps = sorted(r for r in accounts["rep_id"].unique() if r)
    owned = bool(reps) and (accounts["rep_id"] != "").all()
    if bases is not None:
        names = list(bases["territory"])
        if n is not None and n != len(names):
            raise SpmsimError(f"territories: {n} asked but the bases file names {len(names)}")
    elif n is None or (owned and n == len(reps)):
        names = reps
    else:
        names = None
    if names is not None and not names:
        raise SpmsimError("how many territories? (the accounts name no current reps)")
    if not owned:
        return names, None, reps
    if names is None:  # picked bases: the optimiser pairs them with today's territories
        return None, accounts["rep_id"].map({r: i for i, r in enumerate(reps)}).to_numpy(), reps
    index = {r: i for i, r in enumerate(names)}
    return names, accounts["rep_id"].map(lambda r: index.get(r, -1)).to_numpy(int), reps


def _base_points(accounts: pd.DataFrame, bases: pd.DataFrame) -> np.ndarray | None:
    """(n, 2) lat, lon of each base: its own, or the account it sits at; None if unknown."""
    where = accounts.set_index("account_id")[["lat", "lon"]] if has_map(accounts) else None
    out = []
    for _, b in bases.iterrows():
        if pd.notna(b["lat"]):
            out.append((b["lat"], b["lon"]))
        elif b["account_id"] and where is not None and b["account_id"] in where.index:
            out.append(tuple(where.loc[b["account_id"]]))
        else:
            return None
    return np.array(out, float)


def _travel(accounts, names, bases, matrix, base_points) -> Travel | None:
    """Travel from each account to each named territory's base, from the matrix when given."""
    if matrix is None:
        return None if base_points is None else great_circle(accounts, base_points)
    if bases is None:
        targets = names
    else:
        targets = [b["base_id"] or b["account_id"] or b["territory"] for _, b in bases.iterrows()]
    return Travel(matrix.to(accounts["account_id"], targets, "territories' bases"), matrix.unit)


def design_territories(accounts_path: str | Path, n: int | None = None, *,
                       balance: float = 0.1, on: str = "workload",
                       bands: Mapping[str, Band | float | str] | None = None,
                       disruption: float = 0.0, matrix: str | Path | None = None,
                       unit: str | None = None, bases: str | Path | None = None,
                       weight: str | None = "workload", max_travel: float | None = None,
                       max_distance: float | None = None, exact: bool | None = None,
                       time_limit: float = 60.0, seed: int = 0) -> TerritoryDesign:
    """Optimise the accounts' alignment from files, as a planner brings them.

    Territories are the bases file's (by name), else the current reps' when `n` is their
    number (their bases: the centres of today's territories), else `n` new ones around
    k-means bases paired with today's. `matrix` (long or wide CSV, see
    `spmsim.data.travel`) replaces great-circle km; accounts flagged `locked` stay with
    their rep; accounts sharing a `group` stay together; the bases file may set each
    territory's max_travel and max_distance (`max_travel`, `max_distance` apply to the
    others). bands: measure -> band (default `on` +-`balance`). Relative paths are found
    from the working directory or a folder above it (a notebook runs in `notebooks/`).
    """
    accounts = load_accounts(resolve_path(accounts_path))
    table = load_bases(resolve_path(bases)) if bases is not None else None
    tm = read_travel_matrix(resolve_path(matrix), unit) if matrix is not None else None
    names, current, reps = _names_and_current(accounts, n, table)
    n = len(names) if names is not None else n
    if n is None:
        raise SpmsimError("how many territories? (the accounts name no current reps)")
    base_points = _base_points(accounts, table) if table is not None else None
    if table is None and names is not None and names == reps and has_map(accounts):
        base_points = centres(accounts, current, n)
    travel = _travel(accounts, names, table, tm, base_points)
    locked = None
    if accounts["locked"].any():
        if names is None:
            raise SpmsimError("locked accounts stay with their rep: keep the current reps as "
                              "territories (or name them in a bases file)")
        locked = np.where(accounts["locked"], current, -1)
        lost = accounts.loc[accounts["locked"] & (locked < 0), ["account_id", "rep_id"]]
        if len(lost):
            raise SpmsimError(f"account {lost.iloc[0, 0]} is locked to {lost.iloc[0, 1]}, which "
                              "is not one of the territories: add it, or unlock the account")
    groups = accounts["group"] if (accounts["group"] != "").any() else None
    limits = {k: _limits(table, k, v) for k, v in (("max_travel", max_travel),
                                                    ("max_distance", max_distance))}
    result = optimise(accounts, n, balance=balance, on=on, bands=bands, bases=base_points,
                      travel=travel, weight=weight, current=current,
                      disruption_weight=disruption if current is not None else 0.0,
                      locked=locked, groups=groups, exact=exact, time_limit=time_limit,
                      seed=seed, names=names, **limits)
    spec = {m: parse_band(b) for m, b in (bands or {on: balance}).items()}
    if names is None:
        names = _new_names(result.paired, reps, n)
        if current is not None:
            inv = {int(c): k for k, c in enumerate(result.paired) if c >= 0}
            current = np.array([inv.get(int(c), -1) for c in current])
    measures = tuple(m for m in spec if m not in ("potential", "workload"))
    proposed = territory_table(accounts, result.owner, n, result.bases, travel=result.travel,
                               weight=weight, measures=measures)
    proposed.insert(0, "name", names)
    alignment = accounts[["account_id"]].assign(territory=[names[k] for k in result.owner])
    rows = {"proposed": alignment_metrics(accounts, result.owner, n, result.bases, current,
                                          travel=result.travel, weight=weight,
                                          measures=measures)}
    now = None
    if current is not None:
        alignment["current"] = accounts["rep_id"].to_numpy()
        alignment["moved"] = current != result.owner
        now_travel, now_bases = _current_travel(accounts, current, reps, names, result)
        now_owner, now_n, now_names = _current_labels(accounts, current, reps, names)
        now = territory_table(accounts, now_owner, now_n, now_bases, travel=now_travel,
                              weight=weight, measures=measures)
        now.insert(0, "name", now_names)
        rows = {"current": alignment_metrics(accounts, now_owner, now_n, now_bases,
                                             travel=now_travel, weight=weight,
                                             measures=measures), **rows}
    return TerritoryDesign(accounts, alignment, proposed, pd.DataFrame(rows), result, spec,
                           result.travel.unit if result.travel is not None else "km",
                           weight, now)


def _limits(table: pd.DataFrame | None, column: str, default: float | None):
    if table is None or table[column].isna().all():
        return default
    values = table[column].to_numpy(float)
    return np.where(np.isnan(values), np.inf if default is None else default, values)


def _new_names(paired: np.ndarray | None, reps: list[str], n: int) -> list[str]:
    """A picked territory continuing a current one keeps its rep's name; new ones T001..."""
    names, fresh = [], 0
    for k in range(n):
        if paired is not None and paired[k] >= 0 and paired[k] < len(reps):
            names.append(reps[paired[k]])
        else:
            fresh += 1
            names.append(f"T{fresh:03d}")
    return names


def _current_labels(accounts, current, reps, names):
    """Today's alignment as labels: the proposed territories first, then dissolved reps."""
    if (current >= 0).all():
        return current, len(names), names
    gone = sorted(set(accounts["rep_id"][current < 0]))
    extra = {r: len(names) + i for i, r in enumerate(gone)}
    owner = np.where(current >= 0, current, accounts["rep_id"].map(extra).fillna(-1)
                     .to_numpy(int))
    return owner, len(names) + len(gone), [*names, *gone]


def _current_travel(accounts, current, reps, names, result):
    """Travel and bases of today's alignment: each rep from the same base, when every
    current rep is a territory; otherwise (great-circle) from today's centres."""
    if (current >= 0).all() and result.travel is not None:
        return result.travel, result.bases
    if has_map(accounts):
        owner, n, _ = _current_labels(accounts, current, reps, names)
        return None, centres(accounts, owner, n)
    return None, None
