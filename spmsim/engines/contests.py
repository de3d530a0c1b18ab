"""Who wins a contest, and what it costs: figures from a simulation's rep table.

A contest that only ever pays the most productive reps is a bonus for the best; these
figures show it: the prize cost per trial (P10, P50, P90), the chance of winning by decile
of productivity (skill x ramp x territory, averaged over the months in seat), and the
share of the prize money the top decile takes. A plan with several contests has these
figures for each, named by the contest component's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count, takewhile

import numpy as np
import pandas as pd

from spmsim.engines.metrics import contention_column, prize_column
from spmsim.engines.results import Results

DECILES = 10


@dataclass(frozen=True)
class ContestSummary:
    """One contest's figures for one role over a simulation.

    cost: prize money per trial, P10 / P50 / P90 and mean.
    by_decile: per productivity decile (1 = least productive): reps, P(win) and its
        standard error, mean prize.
    top_decile_share: share of all prize money won by the top productivity decile.
    win_share: share of rep-years that won anything.
    contention: after each period of the contest's window, the share of reps in seat
        still in contention (`Contest.contention`); the last is the share who win.
    contest: the contest component's name.
    """

    role: str
    cost: dict[str, float]
    by_decile: pd.DataFrame
    top_decile_share: float
    win_share: float
    contention: tuple[float, ...] = ()
    contest: str = ""


def contest_roles(results: Results) -> list[str]:
    """Roles whose plan has a contest (their reps carry contest prizes)."""
    reps = results.reps
    if reps is None or "contest_prizes" not in reps:
        return []
    has = reps.groupby("role", sort=False)["contest_prizes"].apply(lambda s: s.notna().any())
    return [str(r) for r in has.index[has]]


def contest_names(results: Results, role: str) -> list[str]:
    """The contests of `role`'s plan (or plans), in the plan's order, by component name."""
    if role not in contest_roles(results):
        raise ValueError(f"role {role!r} has no contest in its plan, or the run kept no reps")
    reps = results.reps[results.reps["role"] == role]
    return [name for name in _named(reps.columns) if reps[prize_column(name)].notna().any()]


def _named(columns) -> list[str]:
    """Contest names in the rep table's per-contest prize columns."""
    head = prize_column("")[:-1]  # "contest_prizes["
    return [c[len(head):-1] for c in columns if c.startswith(head) and c.endswith("]")]


def contest_summaries(results: Results, role: str) -> list[ContestSummary]:
    """The figures of every contest in `role`'s plan, each on its own."""
    return [contest_summary(results, role, name) for name in contest_names(results, role)]


def contest_summary(results: Results, role: str, contest: str | None = None) -> ContestSummary:
    """The figures of one contest of `role` (its plan must have one; keep_reps runs only);
    `contest` names it, and may be left out when the plan has only one."""
    names = contest_names(results, role)
    if contest is None:
        if len(names) > 1:
            raise ValueError(f"role {role!r} has {len(names)} contests: name one of "
                             + ", ".join(repr(n) for n in names))
        contest = names[0]
    elif contest not in names:
        raise ValueError(f"role {role!r} has no contest {contest!r}; its contests: "
                         + ", ".join(repr(n) for n in names))
    reps = results.reps[results.reps["role"] == role]
    reps = reps[reps[prize_column(contest)].notna()]
    prizes = reps[prize_column(contest)].to_numpy(float)
    per_trial = reps.groupby("trial")[prize_column(contest)].sum()
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
    window = takewhile(lambda c: c in reps, (contention_column(contest, j) for j in count(1)))
    return ContestSummary(role=role, cost={k: float(v) for k, v in cost.items()},
                          by_decile=by[["decile", "reps", "p_win", "p_win_se", "mean_prize"]],
                          top_decile_share=float(top / total) if total > 0 else float("nan"),
                          win_share=float(won.mean()),
                          contention=tuple(float(reps[c].mean()) for c in window),
                          contest=contest)
