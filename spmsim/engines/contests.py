"""Who wins a contest, and what it costs: figures from a simulation's rep table.

A contest that only ever pays the most productive reps is a bonus for the best; these
figures show it: the prize cost per trial (P10, P50, P90), the chance of winning by decile
of productivity (skill x ramp x territory, averaged over the months in seat), and the
share of the prize money the top decile takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmsim.engines.results import Results

DECILES = 10


@dataclass(frozen=True)
class ContestSummary:
    """One role's contest figures over a simulation.

    cost: prize money per trial, P10 / P50 / P90 and mean.
    by_decile: per productivity decile (1 = least productive): reps, P(win) and its
        standard error, mean prize.
    top_decile_share: share of all prize money won by the top productivity decile.
    win_share: share of rep-years that won anything.
    contention: after each period of the (first) contest's window, the share of reps in
        seat still in contention (`Contest.contention`); the last is the share who win.
    """

    role: str
    cost: dict[str, float]
    by_decile: pd.DataFrame
    top_decile_share: float
    win_share: float
    contention: tuple[float, ...] = ()


def contest_roles(results: Results) -> list[str]:
    """Roles whose plan has a contest (their reps carry contest prizes)."""
    reps = results.reps
    if reps is None or "contest_prizes" not in reps:
        return []
    has = reps.groupby("role", sort=False)["contest_prizes"].apply(lambda s: s.notna().any())
    return [str(r) for r in has.index[has]]


def contest_summary(results: Results, role: str) -> ContestSummary:
    """The contest figures of `role` (its plan must have a contest; keep_reps runs only)."""
    if role not in contest_roles(results):
        raise ValueError(f"role {role!r} has no contest in its plan, or the run kept no reps")
    reps = results.reps[results.reps["role"] == role]
    prizes = reps["contest_prizes"].to_numpy(float)
    per_trial = reps.groupby("trial")["contest_prizes"].sum()
    per_trial = per_trial.reindex(range(int(results.n_trials)), fill_value=0.0)
    cost = dict(zip(("p10", "p50", "p90"), np.percentile(per_trial, [10, 50, 90]),
                    strict=True))
    cost["mean"] = float(per_trial.mean())
    rank = reps["productivity"].rank(method="first").to_numpy()
    decile = np.minimum((rank - 1) * DECILES // len(reps), DECILES - 1).astype(int) + 1
    won = prizes > 0
    frame = pd.DataFrame({"decile": decile, "won": won, "prize": prizes})
    by = frame.groupby("decile").agg(reps=("won", "size"), p_win=("won", "mean"),
                                     mean_prize=("prize", "mean")).reset_index()
    by["p_win_se"] = np.sqrt(by["p_win"] * (1 - by["p_win"]) / by["reps"])
    total = prizes.sum()
    top = prizes[decile == DECILES].sum()
    return ContestSummary(role=role, cost={k: float(v) for k, v in cost.items()},
                          by_decile=by[["decile", "reps", "p_win", "p_win_se", "mean_prize"]],
                          top_decile_share=float(top / total) if total > 0 else float("nan"),
                          win_share=float(won.mean()),
                          contention=tuple(float(reps[c].mean()) for c in reps.columns
                                           if c.startswith("in_contention_")))
