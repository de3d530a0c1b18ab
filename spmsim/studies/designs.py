"""Territory alignments and quota methods side by side, judged by simulation.

For each pair of an alignment and a quota method, one Monte Carlo run of the scenario on
the same draws (common random numbers) gives a row: balance and disruption of the
alignment, then share at quota, attainment spread, fairness (correlation of attainment
with territory potential) and the comp cost P50/P90 of the role. The table is what the
quota and territory study notebooks show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmsim.data.accounts import load_accounts
from spmsim.engines import simulate
from spmsim.errors import InputError, SpmsimError
from spmsim.format import percent
from spmsim.model.quota import fairness
from spmsim.model.scenario import Scenario, load_scenario, with_overrides
from spmsim.model.territory import (
    Measure,
    Optimised,
    alignment_metrics,
    centres,
    optimise,
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
                                    current=t.current_owners())
            rows.append({
                "alignment": a_name, "quota_method": q_name,
                "cv_workload": geo["cv_workload"], "cv_potential": geo["cv_potential"],
                "moved_accounts": geo.get("moved_accounts", np.nan),
                "moved_potential": geo.get("moved_potential", np.nan),
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
    """An optimised alignment against the current one."""

    accounts: pd.DataFrame
    alignment: pd.DataFrame  # account_id, territory (name)
    territories: pd.DataFrame  # one row per territory: name, accounts, potential, ...
    metrics: pd.DataFrame  # metric x (current, proposed)
    result: Optimised

    def describe(self, balance: float, on: str) -> str:
        r = self.result
        gap = "proven optimal" if r.method == "exact" else f"gap to LP bound {percent(r.gap, 2)}"
        return (f"{len(self.territories)} territories, {on} within +-{percent(balance, 0)} of the "
                f"mean: {r.method}, {gap}, {r.seconds:.1f} s")


def design_territories(accounts_path: str | Path, n: int | None = None, *,
                       balance: float = 0.1, on: Measure = "workload",
                       disruption: float = 0.0) -> TerritoryDesign:
    """Optimise the accounts' alignment; keeps the current reps (and their territories'
    centres as bases) when `n` is their number."""
    accounts = load_accounts(accounts_path)
    reps = sorted(r for r in accounts["rep_id"].unique() if r)
    current = None
    if reps and (accounts["rep_id"] != "").all():
        current = accounts["rep_id"].map({r: i for i, r in enumerate(reps)}).to_numpy()
    n = n or len(reps)
    if not n:
        raise InputError(accounts_path, "how many territories? (the accounts name no current "
                                        "reps): give --reps")
    keep = current is not None and n == len(reps)
    bases = centres(accounts, current, n) if keep else None
    try:
        result = optimise(accounts, n, balance=balance, on=on, bases=bases,
                          current=current if keep else None, disruption_weight=disruption)
    except InputError:
        raise
    except SpmsimError as e:  # the accounts cannot be balanced so: say which file
        raise InputError(accounts_path, str(e)) from e
    names = reps if keep else [f"T{k + 1:03d}" for k in range(n)]
    table = territory_table(accounts, result.owner, n, result.bases)
    table.insert(0, "name", names)
    alignment = accounts[["account_id"]].assign(territory=[names[k] for k in result.owner])
    rows = {"proposed": alignment_metrics(accounts, result.owner, n, result.bases,
                                          current if keep else None)}
    if current is not None:
        rows = {"current": alignment_metrics(accounts, current, len(reps),
                                             centres(accounts, current, len(reps))), **rows}
    return TerritoryDesign(accounts, alignment, table, pd.DataFrame(rows), result)
