"""Capacity for several roles against one bookings target: each role's seats simulated once
(as `plan.search` does for one role), and the cheapest hiring mix whose summed bookings meet
the target with the probability (`confirm.confirm` checks it independently)."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmsim.capacity.inputs import Capacity, CapacityMix
from spmsim.capacity.plan import (
    CapacityPlan,
    Search,
    YearBookings,
    _prefix,
    _schedule,
    plan_capacity,
    search,
)
from spmsim.capacity.seats import hires_of
from spmsim.errors import InputError, Problem
from spmsim.format import money, percent, plan_role_label
from spmsim.io import csv_text, text_writer, write_files
from spmsim.model.org import MONTHS
from spmsim.versions import versions

MAX_MIXES = 200_000  # hiring mixes a search may weigh


def role_root(seed: int, index: int) -> np.random.SeedSequence:
    """The random streams of the index-th role (file order): the seed's own for the first,
    so a one-role mix draws what the single-role plan draws, its index-th child for the
    others, so no two roles share a draw."""
    return np.random.SeedSequence(seed, spawn_key=(index,) if index else ())


def new_seat_cost(searched: Search) -> np.ndarray:
    """Cost of the plans with 0, 1, ... new hires: each new seat's OTE / 12 x its expected
    months in seat in the year (attrition and backfills included: the seat is paid while
    someone sits in it)."""
    ote = searched.capacity.scenario.org.roles[searched.capacity.role].plan.ote
    months = searched.headcount[searched.seats.fixed:].sum(1)
    return np.concatenate([[0.0], np.cumsum(months * ote / MONTHS)])


def _mixes(limits: list[int], costs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every mix (k1, k2, ...) within the limits, cheapest first (fewer hires first on a
    tie), and its cost."""
    grid = np.array(list(itertools.product(*(range(k + 1) for k in limits))), dtype=int)
    cost = sum(c[grid[:, r]] for r, c in enumerate(costs))
    order = np.lexsort((grid.sum(1), cost))
    return grid[order], np.asarray(cost)[order]


@dataclass(frozen=True)
class MixPlan(YearBookings):
    """The cheapest hiring mix found, its bookings distribution and deterministic figure."""

    capacity: CapacityMix
    hires: dict[str, int]  # new hires of each role
    start_months: dict[str, tuple[int, ...]]  # plan month (1-12) each new hire starts
    probability: float  # estimated P(target met) under the mix
    se: float  # its Monte Carlo standard error
    bookings: np.ndarray  # (trials,) the year's bookings of all the roles
    by_role: dict[str, np.ndarray]  # (trials,) each role's share of them
    schedule: pd.DataFrame  # the hiring plan by role and month
    mixes: pd.DataFrame  # every mix weighed, cheapest first
    cost: float  # the new hires' pay in the year
    expected: float  # deterministic figure of the mix
    expected_by_role: dict[str, float]
    seed: int

    def summary(self) -> pd.DataFrame:
        c = self.capacity
        rows: dict[str, Any] = {
            "roles": ", ".join(c.roles), "target": c.annual_target,
            "probability wanted": c.probability,
            **{f"new hires {r}": k for r, k in self.hires.items()},
            "new hires cost": self.cost, "P(target met)": self.probability,
            "P(target met) SE": self.se,
            **{f"bookings {k}": v for k, v in self.percentiles().items()},
            "bookings mean": float(self.bookings.mean()),
            **{f"bookings mean {r}": float(b.mean()) for r, b in self.by_role.items()},
            "deterministic bookings": self.expected,
            **{f"deterministic bookings {r}": v for r, v in self.expected_by_role.items()},
            "trials": self.trials, "seed": self.seed}
        return pd.DataFrame({"metric": list(rows), "value": list(rows.values())})

    @property
    def currency(self) -> str:
        """The roles' plans' currency (one: `CapacityMix` checks)."""
        c = self.capacity
        return c.scenario.org.roles[next(iter(c.roles))].plan.currency

    def summary_text(self) -> str:
        c, p = self.capacity, self.percentiles()
        amount = self.cash

        roles = c.scenario.org.roles
        who = {r: plan_role_label(roles[r].plan.plan, r) for r in c.roles}
        lines = [f"{c.capacity}: {', '.join(who.values())} together, target "
                 f"{amount(c.annual_target)} with probability "
                 f"{percent(c.probability, 0)}",
                 f"cheapest mix: {amount(self.cost)} of new hires' pay in the year"]
        for role, k in self.hires.items():
            starts = ", ".join(f"{h.count} in month {h.month}" for h in
                               hires_of(np.array(self.start_months[role], dtype=int)))
            hired = (f"{k} new hires starting {starts} (requisitions "
                     f"{c.roles[role].hiring.lead_months} months ahead)") if k else \
                "no new hires"
            lines.append(f"  {who[role]}: {hired}; "
                         f"books {amount(float(self.by_role[role].mean()))} on average, "
                         f"deterministic {amount(self.expected_by_role[role])}")
        lines += [f"P(target met) = {percent(self.probability)} +- {percent(self.se)} "
                  f"(SE; {self.trials:,} trials; {len(self.mixes):,} mixes weighed)",
                  f"year bookings P10 {amount(p['P10'])}  P50 {amount(p['P50'])}  "
                  f"P90 {amount(p['P90'])}",
                  f"deterministic: {amount(self.expected)}"]
        return "\n".join(lines)

    def save(self, out: str | Path) -> list[Path]:
        """hiring_plan.csv (by role and month), bookings.csv (one row per trial, each role
        and the total), mixes.csv, summary.csv and capacity.json, all written before any
        replaces the previous run's."""
        bookings = pd.DataFrame({"trial": np.arange(self.trials),
                                 **{r: b for r, b in self.by_role.items()},
                                 "bookings": self.bookings})
        return write_files(Path(out), {
            "hiring_plan.csv": text_writer(csv_text(self.schedule.round(6))),
            "bookings.csv": text_writer(csv_text(bookings.round(2))),
            "mixes.csv": text_writer(csv_text(self.mixes.round(6))),
            "summary.csv": text_writer(csv_text(self.summary())),
            "capacity.json": text_writer(json.dumps(
                {**self.capacity.model_dump(mode="json"), **versions()}, indent=1) + "\n")})


def _unreachable(mix: CapacityMix, best: float, se: float) -> InputError:
    currency = mix.scenario.org.roles[next(iter(mix.roles))].plan.currency
    return InputError(mix.source, [Problem("target", (
        f"{money(mix.annual_target, currency, 0)} is met with probability {percent(best)} +- "
        f"{percent(se)} at most, below {percent(mix.probability, 0)}, even with every new "
        "hire each role's hiring limits allow: lower the target or the probability, or allow "
        "more or earlier hires"))])


def plan_mix(mix: CapacityMix, *, progress: bool = True) -> MixPlan:
    """The cheapest mix of new hires, each role's front-loaded, that meets the target with
    the probability: mixes are weighed cheapest first on every role's draws (common random
    numbers), the first that reaches it wins."""
    names = list(mix.roles)
    single = [mix.role_capacity(r) for r in names]
    size = math.prod(c.hiring.limit + 1 for c in single)
    if size > MAX_MIXES:
        raise InputError(mix.source, [Problem("roles", f"{size:,} hiring mixes to weigh, "
                                              f"more than {MAX_MIXES:,}: lower the roles' "
                                              "`hiring.max_total`")])
    found = [search(c, progress=progress, root=role_root(mix.seed, i))
             for i, c in enumerate(single)]
    target = mix.target_to_date
    prefix = [_prefix(s.draws.fixed, s.draws.new) for s in found]  # (trials, k, checks)
    grid, cost = _mixes([s.seats.new_months.size for s in found],
                        [new_seat_cost(s) for s in found])
    every = sum(p[:, -1] for p in prefix)  # every hire allowed: P is highest there (CRN)
    best = float((every >= target).all(-1).mean())
    if best < mix.probability:
        raise _unreachable(mix, best, math.sqrt(best * (1 - best) / mix.trials))
    weighed = []
    for k in grid:
        total = sum(p[:, j] for p, j in zip(prefix, k, strict=True))  # (trials, checks)
        weighed.append(float((total >= target).all(-1).mean()))
        if weighed[-1] >= mix.probability:
            break
    chosen = len(weighed) - 1
    k = grid[chosen]
    probs = np.array(weighed)
    table = pd.DataFrame({**{f"hires_{r}": grid[:chosen + 1, i] for i, r in enumerate(names)},
                          "cost": cost[:chosen + 1], "probability": probs,
                          "se": np.sqrt(probs * (1 - probs) / mix.trials)})
    by_role = {r: found[i].year[:, k[i]].copy() for i, r in enumerate(names)}
    schedules = []
    for i, r in enumerate(names):
        s = found[i]
        part = _schedule(single[i], s.seats, int(k[i]), s.draws, s.headcount, s.effective,
                         s.expected)
        schedules.append(part.assign(role=r)[["role", *part.columns]])
    p = probs[-1]
    return MixPlan(
        capacity=mix, hires={r: int(k[i]) for i, r in enumerate(names)},
        start_months={r: tuple(int(m) for m in found[i].seats.new_months[:k[i]])
                      for i, r in enumerate(names)},
        probability=float(p), se=float(math.sqrt(p * (1 - p) / mix.trials)),
        bookings=sum(by_role.values()), by_role=by_role,
        schedule=pd.concat(schedules, ignore_index=True), mixes=table,
        cost=float(cost[chosen]),
        expected=float(sum(found[i].deterministic[k[i], -1] for i in range(len(names)))),
        expected_by_role={r: float(found[i].deterministic[k[i], -1])
                          for i, r in enumerate(names)},
        seed=mix.seed)


def plan_for(capacity: Capacity | CapacityMix, *, progress: bool = True
             ) -> CapacityPlan | MixPlan:
    """The plan a capacity file asks for: one role's (`plan_capacity`) or the cheapest mix
    of several roles' (`plan_mix`)."""
    if isinstance(capacity, CapacityMix):
        return plan_mix(capacity, progress=progress)
    return plan_capacity(capacity, progress=progress)
