"""Historical replay: what the plans would have paid on a year of credited deals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmsim.data.transactions import Transactions
from spmsim.history import assignments
from spmsim.plans import Payout, Plan, PlanInputs, evaluate


@dataclass(frozen=True)
class PlanGroup:
    """The reps on one plan, with the arrays the plan was evaluated on and its payout."""

    key: str
    plan: Plan
    reps: pd.DataFrame  # roster rows, in array order
    inputs: PlanInputs
    payout: Payout


@dataclass(frozen=True)
class ReplayResult:
    """Replay tables: per rep, period and component; per rep and period; per rep."""

    groups: Mapping[str, PlanGroup]
    by_component: pd.DataFrame
    by_period: pd.DataFrame
    by_rep: pd.DataFrame

    def group_of(self, rep_id: str) -> tuple[PlanGroup, int]:
        return self.groups_of(rep_id)[0]

    def groups_of(self, rep_id: str) -> list[tuple[PlanGroup, int]]:
        """Each plan the rep was on in the year (dated roster rows), with their position."""
        found = []
        for g in self.groups.values():
            hits = np.flatnonzero(g.reps["rep_id"].to_numpy() == rep_id)
            if hits.size:
                found.append((g, int(hits[0])))
        if not found:
            raise KeyError(f"rep {rep_id!r} is not in the roster")
        return found


def _binned(measure: np.ndarray, index: tuple[np.ndarray, ...], shape: tuple[int, ...],
            values: np.ndarray, measures: list[str]) -> dict[str, np.ndarray]:
    """Sum `values` per measure into arrays of `shape` at `index` (rows, period, ...).

    Entries with an index outside the shape (a date outside the plan year) are left out;
    `measures` get an array of zeros even when no deal is on them.
    """
    inside = np.all([(i >= 0) & (i < size) for i, size in zip(index, shape, strict=True)],
                    axis=0)
    out = {}
    for m in dict.fromkeys([*measures, *np.unique(measure)]):
        sel = (measure == m) & inside
        arr = np.zeros(shape)
        np.add.at(arr, tuple(i[sel] for i in index), values[sel])
        out[m] = arr
    return out


def _measure_arrays(plan: Plan, deals: pd.DataFrame, rows: np.ndarray, n_rows: int) -> dict:
    """Credit, counts and (clawback-window) cancellations, binned by row and plan period.

    Cancellations are (rows, booked period, cancelled-in period), so the engine can reverse
    exactly what each deal earned (SPIF windows, per-period caps).
    """
    cal, n = plan.calendar, plan.calendar.n_periods
    measure = deals["measure"].to_numpy()
    booked = cal.period_index(deals["date"].to_numpy())
    credit, split = deals["credit"].to_numpy(), deals["split"].to_numpy()
    arrays = {"credit": _binned(measure, (rows, booked), (n_rows, n), credit, plan.measures),
              "counts": _binned(measure, (rows, booked), (n_rows, n), split, plan.measures)}
    if plan.clawback is not None:
        lag = (deals["cancel_date"] - deals["date"]).dt.days.to_numpy()
        clawed = deals["cancel_date"].notna().to_numpy() & (lag <= plan.clawback.within_days)
        # not clawed -> index -1, left out; a cancellation after the plan year -> n, left out
        at = np.where(clawed, cal.period_index(deals["cancel_date"].to_numpy()), -1)
        pair = (rows, booked, at)
        arrays["cancelled"] = _binned(measure, pair, (n_rows, n, n), credit, [])
        arrays["cancelled_counts"] = _binned(measure, pair, (n_rows, n, n), split, [])
    return arrays


def _team_codes(roster: pd.DataFrame) -> np.ndarray:
    """Integer team per roster row; a rep with no team is a team of one."""
    team = roster["team"].where(roster["team"] != "", "rep:" + roster["rep_id"])
    return pd.factorize(team)[0]


def _group(key: str, plan: Plan, tx: Transactions) -> PlanGroup:
    roster = tx.roster
    reps, member = assignments.members(roster, key)
    deal_member = member[tx.deals["row"].to_numpy()]
    mine = deal_member >= 0
    own = _measure_arrays(plan, tx.deals[mine], deal_member[mine], len(reps))
    # team totals over the whole roster, binned in this plan's periods, then read per member
    # (by the team of the member's latest row on this plan)
    codes = _team_codes(roster)
    team_all = _measure_arrays(plan, tx.deals, codes[tx.deals["row"].to_numpy()],
                               codes.max() + 1)
    member_codes = codes[reps["_row"].to_numpy()]
    team = {field: {m: a[member_codes] for m, a in arrays.items()}
            for field, arrays in team_all.items()}
    active = assignments.active(plan, roster, member, len(reps))
    first_start = roster.groupby("rep_id")["start_date"].min()
    start = reps["rep_id"].map(first_start)
    quota, quota_due = assignments.quotas(plan, roster, tx.quotas, member, active,
                                          assignments.tenure_start(plan, start))
    hired = start.to_numpy("datetime64[D]") > np.datetime64(plan.year_start)
    inputs = PlanInputs(quota=quota, quota_due=quota_due, active=active, new_hire=hired,
                        team_inputs=PlanInputs(**team), **own)
    return PlanGroup(key, plan, reps.drop(columns="_row"), inputs, evaluate(plan, inputs))


def _period_frame(g: PlanGroup, **columns: np.ndarray) -> pd.DataFrame:
    """Long frame from (reps, periods) arrays: rep_id, plan, period, period_label, columns."""
    r, n = len(g.reps), g.plan.calendar.n_periods
    frame = pd.DataFrame({"rep_id": np.repeat(g.reps["rep_id"].to_numpy(), n), "plan": g.key,
                          "period": np.tile(np.arange(1, n + 1), r),
                          "period_label": np.tile(g.plan.calendar.labels, r)})
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=float).reshape(r * n)
    return frame


def _by_component(g: PlanGroup) -> pd.DataFrame:
    p, frames = g.payout, []
    for i, comp in enumerate(g.plan.components):
        quota = g.inputs.quota.get(comp.measure)
        q = np.full(len(g.reps), np.nan) if quota is None else quota
        f = _period_frame(
            g, credited=p.credit[i], quota=np.repeat(q[:, None], p.credit.shape[-1], axis=1),
            attainment_ytd=np.cumsum(p.credit[i], axis=-1) / q[:, None],
            earned_ytd=p.earned_ytd[i],
            clawback=np.diff(p.clawback_ytd[i], axis=-1, prepend=0.0),
            paid=np.diff(p.payable_ytd[i], axis=-1, prepend=0.0))
        f.insert(4, "component", comp.name)
        f.insert(5, "measure", comp.measure)
        f.insert(6, "credit_basis", comp.credit)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _by_period(g: PlanGroup) -> pd.DataFrame:
    p = g.payout
    return _period_frame(
        g, earned_ytd=p.total_earned_ytd, plan_cap=np.diff(p.plan_cap_ytd, axis=-1, prepend=0.0),
        clawback=np.diff(p.clawback_ytd.sum(axis=0), axis=-1, prepend=0.0),
        deferred=p.deferred_ytd, held=p.held_ytd, paid=p.paid, draw=p.draw,
        recovered=p.recovered, net_paid=p.net_paid, draw_balance=p.draw_balance)


def _by_rep(g: PlanGroup) -> pd.DataFrame:
    p = g.payout
    frame = g.reps[["rep_id", "plan", "team"]].copy()
    frame["active_share"] = g.plan.calendar.year_share(
        np.broadcast_to(g.inputs.active, p.paid.shape))
    frame["base"] = p.base
    frame["ti"] = p.ti
    for m in g.plan.measures:  # the credit the plan pays on: team totals for team components
        first = next(i for i, c in enumerate(g.plan.components) if c.measure == m)
        frame[f"credit_{m}"] = p.credit[first].sum(axis=-1)
    for m in g.plan.quota_measures():
        frame[f"attainment_{m}"] = frame[f"credit_{m}"] / g.inputs.quota[m]
    frame["earned"] = p.total_earned_ytd[..., -1]
    frame["clawback"] = p.clawback_ytd.sum(axis=0)[..., -1]
    frame["draw"] = p.draw.sum(axis=-1)
    frame["recovered"] = p.recovered.sum(axis=-1)
    frame["net_paid"] = p.annual_net_paid
    frame["draw_balance"] = p.draw_balance[..., -1]
    frame["pct_of_ti"] = frame["earned"] / frame["ti"]
    frame["total_earnings"] = frame["base"] + frame["net_paid"]
    return frame


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    """Money to cents, shares to 6 decimals: stable bytes for CSV output."""
    out = df.copy()
    for col in out.select_dtypes("float").columns:
        share = col.startswith(("attainment", "pct_", "active_"))
        out[col] = out[col].round(6 if share else 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return out


def replay(tx: Transactions) -> ReplayResult:
    """Evaluate every rep's plan on their credited deals."""
    groups = {key: _group(key, plan, tx) for key, plan in tx.plans.items()
              if (tx.roster["plan"] == key).any()}
    order = {rep: i for i, rep in enumerate(tx.roster["rep_id"])}

    def collect(make, extra: list[str]) -> pd.DataFrame:
        frames = [make(g) for g in groups.values()]
        df = pd.concat(frames, ignore_index=True)
        df = df.sort_values(["rep_id", *extra], key=lambda s: s.map(order) if s.name ==
                            "rep_id" else s, kind="stable")
        return _rounded(df.reset_index(drop=True))

    return ReplayResult(groups=groups, by_component=collect(_by_component, ["period"]),
                        by_period=collect(_by_period, ["period"]),
                        by_rep=collect(_by_rep, []))


def revenue_measures(plans: Mapping[str, Plan]) -> list[str]:
    """Measures counted as revenue by default: those commissions or bonuses pay on."""
    return sorted({c.measure for p in plans.values() for c in p.components
                   if c.type in ("commission", "bonus")})


def plan_summary(result: ReplayResult, revenue: list[str]) -> pd.DataFrame:
    """Per plan: reps, revenue, pay, cost of sales, share of reps at or above quota."""
    rows = []
    for key, g in result.groups.items():
        reps = result.by_rep[result.by_rep["plan"] == key]
        rev = sum(reps[f"credit_{m}"].sum() for m in revenue if f"credit_{m}" in reps)
        first = g.plan.quota_measures()[:1]
        at_quota = (reps[f"attainment_{first[0]}"] >= 1.0).mean() if first else np.nan
        rows.append({"plan": key, "reps": len(reps), "revenue": rev, "ti": reps["ti"].sum(),
                     "earned": reps["earned"].sum(), "net_paid": reps["net_paid"].sum(),
                     "pct_of_ti": reps["earned"].sum() / reps["ti"].sum(),
                     "cost_of_sales": reps["net_paid"].sum() / rev if rev else np.nan,
                     "share_at_quota": at_quota})
    return pd.DataFrame(rows)
