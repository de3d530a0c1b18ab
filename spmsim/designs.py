"""Territory alignments and quota methods side by side, judged by simulation.

For each pair of an alignment and a quota method, one Monte Carlo run of the scenario on
the same draws (common random numbers) gives a row: balance and disruption of the
alignment, then share at quota, attainment spread, fairness (correlation of attainment
with territory potential) and the comp cost P50/P90 of the role. The table is what the
quota and territory study notebooks show.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .engines import simulate
from .errors import SpmsimError
from .quota import fairness
from .scenario import Scenario, with_overrides
from .territory import alignment_metrics


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

    alignments: name -> `current` or an alignment CSV (account_id, territory); default the
    current one. quota_methods: name -> a `quota_method:` mapping (method, target, ...).
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
