"""Historical replay: what the plans would have paid on a year of credited deals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmsim.data.fx import FxTable
from spmsim.data.transactions import LAST_YEAR, Transactions
from spmsim.history import assignments
from spmsim.plans import Payout, Plan, PlanInputs, evaluate
from spmsim.plans.crediting import credit_deals


@dataclass(frozen=True)
class PlanGroup:
    """The reps on one plan, with the arrays the plan was evaluated on and its payout."""

    key: str
    plan: Plan
    reps: pd.DataFrame  # roster rows, in array order
    inputs: PlanInputs
    payout: Payout
    # revenue behind the pay, per measure and member, (reps,): own primary credit as
    # booked (no overlay, before crediting rules), and the member's team total of it
    revenue: Mapping[str, np.ndarray]
    team_revenue: Mapping[str, np.ndarray]
    # the members' own deal rows with `member` (member index), `period` (0-based) and
    # `credited` (the rep's share after the crediting rules), for statements
    deals: pd.DataFrame


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


def in_plan_currency(deals: pd.DataFrame, fx: FxTable | None) -> pd.DataFrame:
    """Deals with amounts and credit in the plan's currency and the `fx_rate` used: each
    deal at its own date's rate (the loader checked that every deal a plan reads has one)."""
    if fx is None:
        return deals.assign(fx_rate=1.0, amount_booked=deals["amount"])
    rate = fx.rate(deals["currency"].to_numpy(), deals["date"].to_numpy("datetime64[D]"))
    return deals.assign(amount=deals["amount"] * rate, credit=deals["credit"] * rate,
                        fx_rate=rate, amount_booked=deals["amount"])


def _credited(plan: Plan, deals: pd.DataFrame) -> np.ndarray:
    """Each row's credit under the plan's crediting rules: the rule on the whole deal,
    then the row's split or overlay share."""
    return deals["split"].to_numpy() * credit_deals(
        plan.crediting, deals["measure"].to_numpy(), deals["amount"].to_numpy(),
        {c: deals[c].to_numpy() for c in plan.deal_columns()})


def _measure_arrays(plan: Plan, deals: pd.DataFrame, rows: np.ndarray, n_rows: int) -> dict:
    """Credit, counts and (clawback-window) cancellations, binned by row and plan period.

    Cancellations are (rows, booked period, cancelled-in period), so the engine can reverse
    exactly what each deal earned (SPIF windows, per-period caps).
    """
    cal, n = plan.calendar, plan.calendar.n_periods
    measure = deals["measure"].to_numpy()
    booked = cal.period_index(deals["date"].to_numpy())
    split, amount = deals["split"].to_numpy(), deals["amount"].to_numpy()
    credit = _credited(plan, deals)
    deal_count = np.where(amount < 0, 0.0, split)  # a credit memo is not a deal
    arrays = {"credit": _binned(measure, (rows, booked), (n_rows, n), credit, plan.measures),
              "counts": _binned(measure, (rows, booked), (n_rows, n), deal_count,
                                plan.measures),
              "window_credit": _dated_windows(plan, deals, rows, n_rows, credit)}
    if plan.clawback is not None:
        lag = (deals["cancel_date"] - deals["date"]).dt.days.to_numpy()
        clawed = deals["cancel_date"].notna().to_numpy() & (lag <= plan.clawback.within_days)
        # not clawed -> index -1, left out; a cancellation after the plan year -> n, left out
        at = np.where(clawed, cal.period_index(deals["cancel_date"].to_numpy()), -1)
        pair = (rows, booked, at)
        arrays["cancelled"] = _binned(measure, pair, (n_rows, n, n), credit, [])
        arrays["cancelled_counts"] = _binned(measure, pair, (n_rows, n, n), deal_count, [])
    return arrays


def _dated_windows(plan: Plan, deals: pd.DataFrame, rows: np.ndarray, n_rows: int,
                   credit: np.ndarray) -> dict[str, np.ndarray]:
    """Credit inside each dated contest's window by deal date, (rows, periods), by the
    contest's name."""
    out = {}
    day = deals["date"].to_numpy("datetime64[D]")
    booked = plan.calendar.period_index(day)
    for c in plan.components:
        if getattr(c, "dates", None) is None:
            continue
        inside = (day >= np.datetime64(c.dates.start, "D")) & \
            (day <= np.datetime64(c.dates.end, "D"))
        out[c.name] = _binned(deals["measure"].to_numpy(), (rows, booked),
                              (n_rows, plan.calendar.n_periods),
                              np.where(inside, credit, 0.0), [c.measure])[c.measure]
    return out


def _team_codes(roster: pd.DataFrame) -> np.ndarray:
    """Integer team per roster row; a rep with no team is a team of one."""
    team = roster["team"].where(roster["team"] != "", "rep:" + roster["rep_id"])
    return pd.factorize(team)[0]


def _group(key: str, plan: Plan, tx: Transactions) -> PlanGroup:
    roster = tx.roster
    reps, member = assignments.members(roster, key)
    counted, paid_from = assignments.blended(plan, roster, member, len(reps))
    all_deals = in_plan_currency(tx.deals, tx.fx.get(key))
    deal_member = counted[all_deals["row"].to_numpy()]
    mine = deal_member >= 0
    own_deals = all_deals[mine]
    own = _measure_arrays(plan, own_deals, deal_member[mine], len(reps))
    deals = own_deals.assign(member=deal_member[mine],
                             period=plan.calendar.period_index(own_deals["date"].to_numpy()),
                             credited=_credited(plan, own_deals))
    # team totals over the whole roster, binned in this plan's periods, then read per member
    # (by the team of the member's latest row on this plan); overlay credit is the overlay
    # rep's own: it never adds to a team's total
    codes = _team_codes(roster)
    primary = all_deals[~all_deals["overlay"]]
    team_all = _measure_arrays(plan, primary, codes[primary["row"].to_numpy()],
                               codes.max() + 1)
    member_codes = codes[reps["_row"].to_numpy()]
    team = {field: {m: a[member_codes] for m, a in arrays.items()}
            for field, arrays in team_all.items()}
    booked = _booked_revenue(primary, codes.max() + 1, codes[primary["row"].to_numpy()])
    own_primary = mine & ~all_deals["overlay"].to_numpy()
    own_booked = _booked_revenue(all_deals[own_primary], len(reps), deal_member[own_primary])
    active = assignments.active(plan, roster, counted, len(reps))
    first_start = roster.groupby("rep_id")["start_date"].min()
    start = reps["rep_id"].map(first_start)
    quota, quota_due = assignments.quotas(plan, roster, tx.quotas, member, active,
                                          assignments.tenure_start(plan, start), counted)
    hired = start.to_numpy("datetime64[D]") > np.datetime64(plan.year_start)
    last, team_last = _last_year(roster, reps["rep_id"], codes, member_codes)
    inputs = PlanInputs(quota=quota, quota_due=quota_due, active=active, new_hire=hired,
                        paid_from=paid_from, team=member_codes, last_year=last,
                        team_inputs=PlanInputs(**team, last_year=team_last), **own)
    return PlanGroup(key, plan, reps.drop(columns="_row"), inputs, evaluate(plan, inputs),
                     revenue=own_booked,
                     team_revenue={m: a[member_codes] for m, a in booked.items()},
                     deals=deals.reset_index(drop=True))


def _last_year(roster: pd.DataFrame, rep_ids: pd.Series, codes: np.ndarray,
               member_codes: np.ndarray) -> tuple[dict, dict]:
    """Last year's credit per measure from the roster's `last_year_<measure>` columns:
    each member's (the first figure on any of their rows; NaN: none) and their team's
    total (each rep once, in the team of their latest row; reps with none add nothing)."""
    own, team = {}, {}
    latest = roster.drop_duplicates("rep_id", keep="last")
    for col in (c for c in roster.columns if c.startswith(LAST_YEAR)):
        per_rep = roster.groupby("rep_id")[col].first()
        m = col[len(LAST_YEAR):]
        own[m] = rep_ids.map(per_rep).to_numpy(float)
        totals = np.bincount(codes[latest.index.to_numpy()],
                             np.nan_to_num(latest["rep_id"].map(per_rep).to_numpy(float)),
                             minlength=codes.max() + 1)
        team[m] = totals[member_codes]
    return own, team


def _booked_revenue(deals: pd.DataFrame, n_rows: int, rows: np.ndarray) -> dict:
    """Credit as booked (amount x split, before crediting rules) per measure and row, (rows,),
    inside the plan year's dates as the loader checked them."""
    out = {}
    for m, sel in deals.groupby("measure").indices.items():
        out[m] = np.bincount(rows[sel], weights=deals["credit"].to_numpy()[sel],
                             minlength=n_rows)
    return out


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
        first = next((i for i, c in enumerate(g.plan.components) if c.measure == m), None)
        frame[f"credit_{m}"] = g.inputs.credit[m].sum(axis=-1) if first is None else \
            p.credit[first].sum(axis=-1)  # a measure only linked to: the rep's own credit
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
    order = {rep: i for i, rep in enumerate(dict.fromkeys(tx.roster["rep_id"]))}

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
    """Measures counted as revenue by default: money measures commissions or bonuses pay on
    (never a plan's unit measures, such as meetings or logos, nor MBO scores)."""
    units = {m for p in plans.values() for m in (*p.unit_measures, *p.score_measures())}
    return sorted({c.measure for p in plans.values() for c in p.components
                   if c.type in ("commission", "bonus") and c.measure not in units})


def _team_measures(plan: Plan) -> set[str]:
    return {c.measure for c in plan.components if c.credit == "team"}


def plan_revenue(g: PlanGroup, revenue: list[str]) -> float:
    """Revenue behind one plan's pay, each deal counted once: the members' own credit as
    booked on rep-credited measures (overlay credit and crediting rules left out); each
    team's total once (not once per member) on team ones."""
    team_measures = _team_measures(g.plan)
    money = set(g.plan.money_measures())
    first_of_team = ~pd.Series(_team_codes(g.reps)).duplicated().to_numpy()
    total = 0.0
    for m in revenue:
        if m not in money:
            continue
        if m in team_measures:
            total += float(g.team_revenue.get(m, np.zeros(len(g.reps)))[first_of_team].sum())
        else:
            total += float(g.revenue.get(m, np.zeros(len(g.reps))).sum())
    return total


def share_at_quota(g: PlanGroup, reps: pd.DataFrame) -> float:
    """Share of the plan's reps at or above quota on its first quota measure (unit quotas
    included: meetings against a meeting quota); NaN for a plan without quotas."""
    first = g.plan.quota_measures()[:1]
    if not first:
        return np.nan
    attained = reps[f"attainment_{first[0]}"]
    return float((attained >= 1.0 - 1e-9).mean())


def plan_summary(result: ReplayResult, revenue: list[str]) -> pd.DataFrame:
    """Per plan: reps, revenue (each deal once, money measures only), pay, cost of sales,
    share of reps at or above quota."""
    rows = []
    for key, g in result.groups.items():
        reps = result.by_rep[result.by_rep["plan"] == key]
        rev = plan_revenue(g, revenue)
        rows.append({"plan": key, "reps": len(reps), "revenue": rev, "ti": reps["ti"].sum(),
                     "earned": reps["earned"].sum(), "net_paid": reps["net_paid"].sum(),
                     "pct_of_ti": reps["earned"].sum() / reps["ti"].sum(),
                     "cost_of_sales": reps["net_paid"].sum() / rev if rev else np.nan,
                     "share_at_quota": share_at_quota(g, reps)})
    return pd.DataFrame(rows)
