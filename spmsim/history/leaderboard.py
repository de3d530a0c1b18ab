"""Contest leaderboards from a replay: every rep's place after each period of a window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmsim.history.replay import PlanGroup, ReplayResult
from spmsim.plans import last_year_series
from spmsim.plans.components import Context

COLUMNS = ["contest", "plan", "period", "period_label", "rank", "rep_id", "credit",
           "attainment", "growth", "prize"]


def group_standing(g: PlanGroup, k: int):
    """The standing of component k (a contest) over the reps on g's plan."""
    c = g.plan.components[k]
    return c.standing(Context.of_credit(g.payout.credit[k], g.inputs.quota.get(c.measure),
                                        g.inputs.team, last_year_series(g.plan, g.inputs, c)))


def _contest_rows(g: PlanGroup, k: int) -> pd.DataFrame:
    c = g.plan.components[k]
    s = group_standing(g, k)
    n = g.plan.calendar.n_periods
    quota = g.inputs.quota.get(c.measure)
    frames = []
    window_credit = np.cumsum(g.payout.credit[k] * c.window(n), axis=-1)
    for t in np.flatnonzero(c.window(n)):
        credit = window_credit[:, t]
        frames.append(pd.DataFrame({
            "contest": c.name, "plan": g.key, "period": t + 1,
            "period_label": g.plan.calendar.labels[t], "rank": s.rank[:, t],
            "rep_id": g.reps["rep_id"].to_numpy(), "credit": credit,
            "attainment": np.nan if quota is None else
            credit / (np.asarray(quota, dtype=float) * c.shares(n).sum() / n),
            "growth": s.score[:, t] if c.rank_by == "growth" else np.nan,
            "prize": s.prize[:, t]}))
    return pd.concat(frames, ignore_index=True)


def leaderboard(result: ReplayResult) -> pd.DataFrame:
    """One row per contest, period of its window and rep, best place first (0: not in the
    running, listed last); empty when no plan has a contest."""
    frames = [_contest_rows(g, k) for g in result.groups.values()
              for k, c in enumerate(g.plan.components) if c.ranked]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.concat(frames, ignore_index=True)[COLUMNS]
    df["order"] = np.where(df["rank"] > 0, df["rank"], np.iinfo(np.int64).max)
    df = df.sort_values(["contest", "plan", "period", "order", "rep_id"], kind="stable")
    return df.drop(columns="order").reset_index(drop=True)
