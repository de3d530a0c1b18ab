"""Plan years in a row: each year's per-trial figures, and how they move year over year.

The agent engine with `years: N` pays every plan year of every trial; the first year's
figures are the run's `Results` as always, and this module keeps every year's per-trial
figures besides (`Results.years`), reduced the same way (`metrics.chunk_stats`) with the
quota and the new hires each year added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from spmsim.engines.metrics import ChunkStats, RoleYear
from spmsim.engines.results import TRIAL_STATS, Results
from spmsim.format import money, percent
from spmsim.model.scenario import ALL

YEAR_STATS = (*TRIAL_STATS, "quota", "hires")


def year_rows(year: int, roles: Mapping[str, RoleYear], stats: ChunkStats) -> pd.DataFrame:
    """One chunk's figures for plan year `year` (0-based), a row per trial and group: its
    per-trial figures (`stats`, from `metrics.chunk_stats`) with the quota and hires."""
    start = stats.start
    groups = (*roles, ALL)
    n = stats.trial["revenue"].shape[0]
    extra = {"quota": [], "hires": []}
    for r in roles.values():
        extra["quota"].append(np.where(r.in_seat, r.quota, 0.0).sum(-1))
        extra["hires"].append((r.in_seat & r.new_hire).sum(-1).astype(float))
    for per_role in extra.values():
        per_role.append(sum(per_role))
    df = pd.DataFrame({"trial": np.repeat(np.arange(start, start + n), len(groups)),
                       "year": year + 1,
                       "group": np.tile(np.array(groups, dtype=object), n)})
    for s in TRIAL_STATS:
        df[s] = stats.trial[s].ravel()
    for k, per_role in extra.items():
        df[k] = np.stack(per_role, axis=1).ravel()
    return df


def years_frame(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' rows in trial, year and group order."""
    df = pd.concat(parts, ignore_index=True)
    return df.sort_values(["trial", "year"], kind="stable", ignore_index=True)


def year_over_year(years: pd.DataFrame, group: str = ALL) -> pd.DataFrame:
    """Means over trials for each plan year of one group (a role or `all`): revenue and
    its P10 and P90, variable pay, cost of sales, quota, share of reps at quota, median
    attainment, reps, leavers and hires."""
    d = years[years["group"] == group]
    if d.empty:
        raise ValueError(f"no plan-year figures for {group!r}")
    rows = {}
    for year, y in d.groupby("year", sort=True):
        reps = y["reps"].where(y["reps"] > 0)
        revenue = y["revenue"]
        rows[int(year)] = {
            "revenue": revenue.mean(), "revenue_p10": revenue.quantile(0.1),
            "revenue_p90": revenue.quantile(0.9), "variable_pay": y["variable_pay"].mean(),
            "cost_of_sales": (y["variable_pay"] / revenue.where(revenue > 0)).median(),
            "quota": y["quota"].mean(), "quota_per_rep": (y["quota"] / reps).mean(),
            "share_at_quota": (y["at_quota"] / reps).mean(),
            "attainment_p50": y["attainment_p50"].mean(), "reps": y["reps"].mean(),
            "leavers": y["leavers"].mean(), "hires": y["hires"].mean()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("year")


LABELS = {"revenue": "revenue (mean)", "revenue_p10": "revenue P10",
          "revenue_p90": "revenue P90", "variable_pay": "variable pay (mean)",
          "cost_of_sales": "cost of sales (P50)", "quota": "quota (mean)",
          "quota_per_rep": "quota per rep", "share_at_quota": "share of reps at quota",
          "attainment_p50": "attainment, median rep", "reps": "reps in seat",
          "leavers": "leavers", "hires": "hires"}


def readable(table: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """`year_over_year` for readers: labelled rows, one column per year, money with its
    currency, shares in per cent, counts to one decimal."""
    out = {}
    for year, row in table.iterrows():
        col = {}
        for k, name in LABELS.items():
            v = float(row[k])
            if not np.isfinite(v):
                col[name] = "-"
            elif k in ("cost_of_sales", "share_at_quota", "attainment_p50"):
                col[name] = percent(v)
            elif k in ("reps", "leavers", "hires"):
                col[name] = f"{v:,.1f}"
            else:
                col[name] = money(v, currency, decimals=0)
        out[f"Year {year}"] = col
    return pd.DataFrame(out)


def years_text(results: Results) -> str:
    """Every group's plan years side by side, as printable tables (`spmsim simulate`)."""
    blocks = []
    for group in results.groups:
        table = readable(year_over_year(results.years, group), results.currency(group))
        blocks.append(f"{results.group_label(group)}, plan years in a row (means of "
                      f"{results.n_trials:,} runs)\n" + table.to_string())
    return "\n\n".join(blocks)
