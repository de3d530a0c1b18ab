"""Reduce a chunk of simulated rep-years to the per-trial figures `Results` keeps.

Engines hand over each role's reps as `RoleYear` arrays; everything here is shared so
both engines compute every metric the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmsim.config import EDGE_TOLERANCE
from spmsim.engines.results import (
    HIST_BINS,
    HISTOGRAMS,
    PERIOD_STATS,
    REP_FIELDS,
    TRIAL_STATS,
    Results,
    histogram,
)
from spmsim.model.scenario import ALL

TOP_SHARE = 0.2  # Pareto concentration: revenue share of the top 20 % of reps


@dataclass(frozen=True)
class ContestYear:
    """One contest of a role's plan over a chunk: named by the component's name.

    prizes: (trials, slots) prizes won in the year; contention: (trials, slots, periods of
    the window) in contention after each period of its window (`Contest.contention`).
    """

    name: str
    prizes: np.ndarray
    contention: np.ndarray


@dataclass(frozen=True)
class RoleYear:
    """One role's rep slots over a chunk of trials. Annual arrays are (trials, slots);
    monthly ones (trials, slots, 12). A slot with year_share 0 was never in seat."""

    year_share: np.ndarray
    revenue: np.ndarray  # credit on revenue measures
    quota: np.ndarray  # quota on the attainment measures, prorated as the role says
    attained: np.ndarray  # credit on the attainment measures
    variable_pay: np.ndarray
    base_pay: np.ndarray
    on_target_incentive: np.ndarray
    ote: np.ndarray  # prorated by year share
    new_hire: np.ndarray
    left: np.ndarray
    monthly_revenue: np.ndarray
    monthly_pay: np.ndarray
    active: np.ndarray
    # with a contest in the plan: prizes earned in the year and mean productivity in seat
    # (skill x ramp x territory), for who wins; None otherwise
    prizes: np.ndarray | None = None
    productivity: np.ndarray | None = None
    # each contest of the plan on its own: its prizes and who is in contention
    contests: tuple[ContestYear, ...] = ()

    @property
    def in_seat(self) -> np.ndarray:
        return self.year_share > 0

    @property
    def attainment(self) -> np.ndarray:
        q = np.where(self.quota > 0, self.quota, 1.0)
        return np.where(self.quota > 0, self.attained / q, 0.0)

    @property
    def earnings_vs_ote(self) -> np.ndarray:
        ote = np.where(self.ote > 0, self.ote, 1.0)
        return np.where(self.ote > 0, (self.base_pay + self.variable_pay) / ote, 0.0)


def row_percentiles(values: np.ndarray, valid: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Per-row percentiles (linear, like numpy's default) over the valid entries only.

    values, valid: (rows, n). Returns (len(qs), rows); NaN for a row with nothing valid.
    """
    ordered = np.sort(np.where(valid, values, np.inf), axis=-1)
    k = valid.sum(axis=-1)
    out = np.full((len(qs), values.shape[0]), np.nan)
    has = k > 0
    for i, q in enumerate(qs):
        pos = q * np.maximum(k - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(k - 1, 0))
        a = np.take_along_axis(ordered, lo[:, None], axis=-1)[:, 0]
        b = np.take_along_axis(ordered, hi[:, None], axis=-1)[:, 0]
        with np.errstate(invalid="ignore"):  # rows with nothing valid hold inf
            out[i] = np.where(has, a + (b - a) * (pos - lo), np.nan)
    return out


def top_share(revenue: np.ndarray, valid: np.ndarray, share: float = TOP_SHARE) -> np.ndarray:
    """Per row: revenue of the top ceil(share x reps) reps over all reps' revenue."""
    ordered = -np.sort(-np.where(valid, revenue, 0.0), axis=-1)
    k = np.ceil(share * valid.sum(axis=-1)).astype(np.int64)
    cum = np.cumsum(ordered, axis=-1)
    top = np.take_along_axis(cum, np.maximum(k - 1, 0)[:, None], axis=-1)[:, 0]
    total = cum[:, -1]
    return np.where((k > 0) & (total > 0), top / np.where(total > 0, total, 1.0), np.nan)


def _joined(roles: Sequence[RoleYear]) -> RoleYear:
    """All roles side by side along the slot axis (the `all` group)."""
    if len(roles) == 1:
        return roles[0]
    fields = [f for f in RoleYear.__dataclass_fields__ if f != "contests"]
    return RoleYear(**{f: _side_by_side([getattr(r, f) for r in roles]) for f in fields})


def _side_by_side(arrays: list) -> np.ndarray | None:
    """Concatenate along slots; optional fields (contest prizes) only when every role has
    them."""
    if any(a is None for a in arrays) or len({a.shape[2:] for a in arrays}) > 1:
        return None
    return np.concatenate(arrays, axis=1)


def _group_stats(r: RoleYear) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray],
                                        dict[str, np.ndarray]]:
    seat = r.in_seat
    att, earn = r.attainment, r.earnings_vs_ote
    n = seat.sum(axis=-1)
    a10, a50, a90 = row_percentiles(att, seat, (0.1, 0.5, 0.9))
    e10, e50, e90 = row_percentiles(earn, seat, (0.1, 0.5, 0.9))
    trial = {
        "revenue": r.revenue.sum(-1), "variable_pay": r.variable_pay.sum(-1),
        "base_pay": r.base_pay.sum(-1), "on_target_incentive": r.on_target_incentive.sum(-1),
        "reps": n.astype(float), "fte": r.year_share.sum(-1),
        "at_quota": (seat & (att >= 1.0 - EDGE_TOLERANCE)).sum(-1).astype(float),
        "leavers": (seat & r.left).sum(-1).astype(float),
        "top20_revenue_share": top_share(r.revenue, seat),
        "attainment_p10": a10, "attainment_p50": a50, "attainment_p90": a90,
        "earnings_vs_ote_p10": e10, "earnings_vs_ote_p50": e50, "earnings_vs_ote_p90": e90,
    }
    period = {"revenue": r.monthly_revenue.sum(1), "variable_pay": r.monthly_pay.sum(1),
              "fte": r.active.sum(1)}
    hist = {"attainment": histogram(att[seat]), "earnings_vs_ote": histogram(earn[seat])}
    return trial, period, hist


@dataclass(frozen=True)
class ChunkStats:
    """A chunk's contribution to Results: trials [start, start + n)."""

    start: int
    trial: dict[str, np.ndarray]  # (n, groups)
    period: dict[str, np.ndarray]  # (n, groups, 12)
    histograms: dict[str, np.ndarray]  # (groups, bins)
    reps: pd.DataFrame | None


def chunk_stats(start: int, roles: Mapping[str, RoleYear],
                slot_names: Mapping[str, list[str]] | None = None) -> ChunkStats:
    """Reduce one chunk; with `slot_names`, also keep every rep (the drill-down table)."""
    parts = [_group_stats(r) for r in roles.values()]
    parts.append(parts[0] if len(parts) == 1 else _group_stats(_joined(list(roles.values()))))
    trial = {s: np.stack([p[0][s] for p in parts], axis=1) for s in TRIAL_STATS}
    period = {s: np.stack([p[1][s] for p in parts], axis=1) for s in PERIOD_STATS}
    hist = {h: np.stack([p[2][h] for p in parts]) for h in HISTOGRAMS}
    reps = None if slot_names is None else rep_frame(start, roles, slot_names)
    return ChunkStats(start, trial, period, hist, reps)


def merge_chunks(parts: Sequence[ChunkStats]) -> ChunkStats:
    """Consecutive chunks (pieces of one task, in order) as one: the per-trial arrays
    joined, the histogram counts added. Keeps a task's result small however many pieces
    it took (a histogram is groups x HIST_BINS counts per chunk)."""
    if len(parts) == 1:
        return parts[0]
    trial = {s: np.concatenate([p.trial[s] for p in parts]) for s in parts[0].trial}
    period = {s: np.concatenate([p.period[s] for p in parts]) for s in parts[0].period}
    hist = {h: sum(p.histograms[h] for p in parts) for h in parts[0].histograms}
    reps = None if parts[0].reps is None else \
        pd.concat([p.reps for p in parts], ignore_index=True)
    return ChunkStats(parts[0].start, trial, period, hist, reps)


def prize_column(contest: str) -> str:
    """The rep table's column of one contest's prizes (`contest_prizes` sums them all)."""
    return f"contest_prizes[{contest}]"


def contention_column(contest: str, period: int) -> str:
    """The rep table's column: in contention for `contest` after the window's `period`
    (1-based)."""
    return f"in_contention[{contest}]_{period}"


def rep_frame(start: int, roles: Mapping[str, RoleYear],
              slot_names: Mapping[str, list[str]]) -> pd.DataFrame:
    """Every slot in seat in every trial: trial, role, rep and the annual figures."""
    frames = []
    for role, r in roles.items():
        t, s = r.year_share.shape
        seat = r.in_seat.ravel()
        df = pd.DataFrame({
            "trial": np.repeat(np.arange(start, start + t), s)[seat],
            "role": role,
            "rep": np.tile(np.array(slot_names[role], dtype=object), t)[seat]})
        for f in REP_FIELDS:
            df[f] = getattr(r, f).ravel()[seat]
        df["earnings"] = (r.base_pay + r.variable_pay).ravel()[seat]
        if r.prizes is not None:  # a contest: who won, by how productive they were
            df["contest_prizes"] = r.prizes.ravel()[seat]
            df["productivity"] = r.productivity.ravel()[seat]
        for c in r.contests:  # each contest's own columns, named by the contest
            df[prize_column(c.name)] = c.prizes.ravel()[seat]
            for j in range(c.contention.shape[-1]):
                df[contention_column(c.name, j + 1)] = c.contention[..., j].ravel()[seat]
        frames.append(df)
    rows = pd.concat(frames, ignore_index=True)  # trial, then role, then rep
    return rows.sort_values("trial", kind="stable", ignore_index=True)


def assemble(chunks: Sequence[ChunkStats], n_trials: int, *, scenario: dict, engine: str,
             seed: int, roles: Sequence[str], months: Sequence[str]) -> Results:
    """Results from the chunks of one run (any order)."""
    groups = (*roles, ALL)
    g, m = len(groups), len(months)
    trial = {s: np.full((n_trials, g), np.nan) for s in TRIAL_STATS}
    period = {s: np.zeros((n_trials, g, m)) for s in PERIOD_STATS}
    hist = {h: np.zeros((g, HIST_BINS), dtype=np.int64) for h in HISTOGRAMS}
    for c in chunks:
        n = c.trial["revenue"].shape[0]
        for s in TRIAL_STATS:
            trial[s][c.start:c.start + n] = c.trial[s]
        for s in PERIOD_STATS:
            period[s][c.start:c.start + n] = c.period[s]
        for h in HISTOGRAMS:
            hist[h] += c.histograms[h]
    ordered = sorted((c for c in chunks if c.reps is not None), key=lambda c: c.start)
    reps = pd.concat([c.reps for c in ordered], ignore_index=True) if ordered else None
    return Results(scenario=scenario, engine=engine, seed=seed, groups=groups,
                   months=tuple(months), trial=trial, period=period, histograms=hist, reps=reps)
