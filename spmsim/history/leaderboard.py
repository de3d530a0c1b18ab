"""Contest leaderboards from a replay: every rep's place after each period of a window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmsim.history.replay import PlanGroup, ReplayResult
from spmsim.plans import last_year_series
from spmsim.plans.components import Context
from spmsim.plans.components.contest import Standing

COLUMNS = ["contest", "plan", "period", "period_label", "rank", "rep_id", "credit",
           "attainment", "growth", "prize"]


def ranked_standing(g: PlanGroup, k: int) -> tuple[Standing, int]:
    """The standing component k (a contest) ranks g's reps in, and where they start in it:
    the reps on g's plan, or for a company contest every plan's reps together."""
    c = g.plan.components[k]
    if c.name in g.company:
        return g.company[c.name]
    return c.standing(Context.of_credit(g.payout.credit[k], g.inputs.quota.get(c.measure),
                                        g.inputs.team, last_year_series(g.plan, g.inputs, c))), 0


def group_standing(g: PlanGroup, k: int) -> Standing:
    """The standing of component k (a contest) for the reps on g's plan (their places
    among all the reps ranked with them)."""
    s, start = ranked_standing(g, k)
    rows = slice(start, start + len(g.reps))
    return Standing(score=s.score[rows], rank=s.rank[rows], prize=s.prize[rows])


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
    # a company contest's reps in one list across plans; a plan's own contest by plan
    company = {c.name for g in result.groups.values() for c in g.plan.components
               if getattr(c, "scope", "role") == "company"}
    df["board"] = df["plan"].where(~df["contest"].isin(company), "")
    df = df.sort_values(["contest", "board", "period", "order", "rep_id"], kind="stable")
    return df.drop(columns=["order", "board"]).reset_index(drop=True)
