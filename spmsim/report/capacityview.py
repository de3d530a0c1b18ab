"""A capacity plan for the report page: the memo, the hiring plan by month and the
figures, in readers' words (`notebooks/capacity_study.ipynb`), for one role's plan or a mix
of several roles' against one target."""

from __future__ import annotations

from datetime import date

import altair as alt
import numpy as np
import pandas as pd

from spmsim.capacity.mix import MixPlan
from spmsim.capacity.plan import CapacityPlan
from spmsim.capacity.seats import hires_of
from spmsim.format import compact_money, count, percent, plan_role_label
from spmsim.model.org import Hire
from spmsim.report import charts
from spmsim.report.memo import memo as memo_html

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def role_name(plan: CapacityPlan) -> str:
    c = plan.capacity
    return plan_role_label(c.scenario.org.roles[c.role].plan.plan, c.role)


def _currency(plan: CapacityPlan) -> str:
    return plan.currency


def starts(plan: CapacityPlan) -> str:
    """'4 in April, 4 in May and 1 in August' (plan months, calendar names)."""
    return _starts(plan.new_hires, plan.capacity.scenario.year_start)


def _starts(hires: tuple[Hire, ...], year_start: date) -> str:
    first = year_start.month - 1
    parts = [f"{h.count} in {MONTHS[(first + h.month - 1) % 12]}" for h in hires]
    if len(parts) < 2:
        return parts[0] if parts else "none"
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def memo(plan: CapacityPlan | MixPlan, check: str = "") -> str:
    """The decision memo of a capacity plan; `check` is the independent check's sentence."""
    if isinstance(plan, MixPlan):
        return _mix_memo(plan, check)
    c, cur = plan.capacity, _currency(plan)
    who, p = role_name(plan), plan.percentiles()
    target = compact_money(c.annual_target, cur)
    rec = (f"hire {count(plan.hires, 'new ' + who, 'new ' + who + 's')}, starting "
           f"{starts(plan)}" if plan.hires else "no new hires: the reps in seat suffice")
    why = [f"with this plan the year books {compact_money(p['P50'], cur)} in a typical year "
           f"({compact_money(p['P10'], cur)} to {compact_money(p['P90'], cur)}, 8 years in "
           f"10) and meets the {target} target in {percent(plan.probability)} of simulated "
           "years."]
    if plan.naive_hires is not None:
        why.append(f"Sizing hires so that effective headcount x productivity equals the "
                   f"target would hire {plan.naive_hires} and meet it in only "
                   f"{percent(plan.naive_probability, 0)} of years.")
    return memo_html(
        c.capacity, f"Capacity plan · {who} · {plan.trials:,} simulated years · seed "
        f"{plan.seed}", f"How many {who}s to hire, and when, so that the role books {target} "
        f"in the year with probability {percent(c.probability, 0)} (requisitions open "
        f"{c.hiring.lead_months} months before a start).", rec, why=why,
        risk=_risk(plan, cur), sure=_sure(plan, check))


def _sure(plan: CapacityPlan | MixPlan, check: str) -> str:
    return (f"P(target met) {percent(plan.probability)} +- {percent(plan.se)} (one standard "
            f"error, {plan.trials:,} simulated years). "
            + (check[0].upper() + check[1:] + "." if check else "")).strip()


def _risk(plan: CapacityPlan | MixPlan, cur: str) -> str:
    p, target = plan.percentiles(), plan.capacity.annual_target
    if p["P10"] >= target:
        return f"nine years in ten book more than the target (P10 {compact_money(p['P10'], cur)})."
    return (f"the target is missed in {percent(1 - plan.probability)} of years even with the "
            f"plan; a bad year (P10) books {compact_money(p['P10'], cur)}, "
            f"{percent(1 - p['P10'] / target, 0)} short of it.")


def _mix_label(plan: MixPlan, role: str) -> str:
    sc = plan.capacity.scenario
    return plan_role_label(sc.org.roles[role].plan.plan, role)


def _mix_memo(plan: MixPlan, check: str) -> str:
    c, cur, p = plan.capacity, plan.currency, plan.percentiles()
    target = compact_money(c.annual_target, cur)
    whos = [_mix_label(plan, r) for r in c.roles]
    when = {r: _starts(hires_of(np.array(m, dtype=int)), c.scenario.year_start)
            for r, m in plan.start_months.items()}
    hired = [f"{count(k, 'new ' + w, 'new ' + w + 's')} (starting {when[r]})"
             for (r, k), w in zip(plan.hires.items(), whos, strict=True) if k]
    rec = ("hire " + " and ".join(hired) if hired else
           "no new hires: the reps in seat suffice")
    shares = ", ".join(f"{w}s {compact_money(float(plan.by_role[r].mean()), cur)}"
                       for r, w in zip(c.roles, whos, strict=True))
    why = [f"this is the mix of new hires that meets the {target} target in "
           f"{percent(plan.probability)} of simulated years for the least pay this year "
           f"({compact_money(plan.cost, cur)}), of the {len(plan.mixes):,} mixes weighed "
           "cheapest first.",
           f"The year books {compact_money(p['P50'], cur)} in a typical year "
           f"({compact_money(p['P10'], cur)} to {compact_money(p['P90'], cur)}, 8 years in "
           f"10); on average {shares}."]
    return memo_html(
        c.capacity, f"Capacity plan · {', '.join(w + 's' for w in whos)} · {plan.trials:,} "
        f"simulated years · seed {plan.seed}",
        f"Which {' and '.join(w + 's' for w in whos)} to hire, and when, so that together "
        f"they book {target} in the year with probability {percent(c.probability, 0)} at the "
        "least cost.", rec, why=why, risk=_risk(plan, cur), sure=_sure(plan, check))


def schedule_table(plan: CapacityPlan | MixPlan) -> pd.DataFrame:
    """The hiring plan by month (and role, for a mix) for a reader (text)."""
    if isinstance(plan, MixPlan):
        parts = [_schedule_rows(plan.schedule[plan.schedule["role"] == r], plan.currency)
                 .assign(Role=_mix_label(plan, r)).set_index("Role", append=True)
                 .reorder_levels(["Role", "Month"]) for r in plan.capacity.roles]
        return pd.concat(parts)
    return _schedule_rows(plan.schedule, _currency(plan))


def _schedule_rows(s: pd.DataFrame, cur: str) -> pd.DataFrame:
    one = lambda v: f"{v:,.1f}" if v % 1 else f"{v:,.0f}"  # noqa: E731
    return pd.DataFrame({
        "Month": s["period"].astype(str).tolist(),
        "Requisitions opened": s["requisitions"].map(one).tolist(),
        "New hires starting": s["new_hires"].map(one).tolist(),
        "Committed hires": s["committed_hires"].map(one).tolist(),
        "Expected exits": s["expected_exits"].map(lambda v: f"{v:.1f}").tolist(),
        "Backfills": s["expected_backfills"].map(lambda v: f"{v:.1f}").tolist(),
        "Reps in seat": s["headcount"].map(lambda v: f"{v:.1f}").tolist(),
        "Effective reps": s["effective_headcount"].map(lambda v: f"{v:.1f}").tolist(),
        "Bookings, plan figure": [compact_money(v, cur) for v in s["deterministic_bookings"]],
        "Bookings, simulated mean": [compact_money(v, cur) for v in s["mean_bookings"]],
    }).set_index("Month")


def headcount_chart(plan: CapacityPlan | MixPlan) -> alt.TopLevelMixin:
    """Reps in seat and effective by month with the new hires (each role's, for a mix)."""
    if isinstance(plan, CapacityPlan):
        return charts.capacity_headcount_chart(plan.schedule)
    return alt.vconcat(*(charts.capacity_headcount_chart(
        plan.schedule[plan.schedule["role"] == r],
        title=f"{_mix_label(plan, r)}s: headcount by month, in seat and effective")
        for r in plan.capacity.roles))


def choice_chart(plan: CapacityPlan | MixPlan) -> alt.TopLevelMixin:
    """P(target met) by number of new hires, or by the cost of each mix weighed."""
    if isinstance(plan, MixPlan):
        return charts.capacity_mix_chart(plan.mixes, plan.capacity.probability)
    return charts.capacity_curve_chart(plan.curve, plan.capacity.probability)


def figures(plan: CapacityPlan | MixPlan) -> pd.DataFrame:
    """The plan's figures as label -> value (text)."""
    if isinstance(plan, MixPlan):
        return _mix_figures(plan)
    c, cur, p = plan.capacity, _currency(plan), plan.percentiles()
    rows = {
        "Target for the year": compact_money(c.annual_target, cur),
        "Probability wanted": percent(c.probability, 0),
        "New hires in the plan": f"{plan.hires}",
        "P(target met)": f"{percent(plan.probability)} +- {percent(plan.se)}",
        "Bookings P10 / P50 / P90": " / ".join(compact_money(p[k], cur)
                                               for k in ("P10", "P50", "P90")),
        "Bookings, deterministic figure": compact_money(plan.expected, cur),
        "Effective headcount (year average)": f"{plan.effective_headcount:.1f}",
        "Bookings per ramped rep-year": compact_money(plan.rep_year, cur),
        "Deterministic plan: hires": "-" if plan.naive_hires is None else f"{plan.naive_hires}",
        "Deterministic plan: P(target met)": "-" if plan.naive_probability is None else
        percent(plan.naive_probability),
        "Simulated years": f"{plan.trials:,}", "Seed": f"{plan.seed}"}
    return pd.DataFrame({"Value": list(rows.values())}, index=pd.Index(list(rows),
                                                                       name="Figure"))


def _mix_figures(plan: MixPlan) -> pd.DataFrame:
    c, cur, p = plan.capacity, plan.currency, plan.percentiles()
    rows = {"Target for the year": compact_money(c.annual_target, cur),
            "Probability wanted": percent(c.probability, 0)}
    for r, k in plan.hires.items():
        who = _mix_label(plan, r)
        rows[f"New {who}s"] = f"{k}"
        rows[f"{who}s' bookings, mean / deterministic"] = (
            f"{compact_money(float(plan.by_role[r].mean()), cur)} / "
            f"{compact_money(plan.expected_by_role[r], cur)}")
    rows |= {
        "New hires' pay in the year": compact_money(plan.cost, cur),
        "P(target met)": f"{percent(plan.probability)} +- {percent(plan.se)}",
        "Bookings P10 / P50 / P90": " / ".join(compact_money(p[k], cur)
                                               for k in ("P10", "P50", "P90")),
        "Bookings, deterministic figure": compact_money(plan.expected, cur),
        "Mixes weighed": f"{len(plan.mixes):,}",
        "Simulated years": f"{plan.trials:,}", "Seed": f"{plan.seed}"}
    return pd.DataFrame({"Value": list(rows.values())}, index=pd.Index(list(rows),
                                                                       name="Figure"))
