"""A capacity plan for the report page: the memo, the hiring plan by month and the
figures, in readers' words (`notebooks/capacity_study.ipynb`)."""

from __future__ import annotations

import pandas as pd

from spmsim.capacity.plan import CapacityPlan
from spmsim.format import compact_money, count, percent
from spmsim.report.memo import memo as memo_html
from spmsim.studies.describe import plan_role_label

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def role_name(plan: CapacityPlan) -> str:
    c = plan.capacity
    return plan_role_label(c.scenario.org.roles[c.role].plan.plan, c.role)


def _currency(plan: CapacityPlan) -> str:
    c = plan.capacity
    return c.scenario.org.roles[c.role].plan.currency


def starts(plan: CapacityPlan) -> str:
    """'4 in April, 4 in May and 1 in August' (plan months, calendar names)."""
    first = plan.capacity.scenario.year_start.month - 1
    parts = [f"{h.count} in {MONTHS[(first + h.month - 1) % 12]}" for h in plan.new_hires]
    if len(parts) < 2:
        return parts[0] if parts else "none"
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def memo(plan: CapacityPlan, check: str = "") -> str:
    """The decision memo of a capacity plan; `check` is the independent check's sentence."""
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
    risk = (f"the target is missed in {percent(1 - plan.probability)} of years even with the "
            f"plan; a bad year (P10) books {compact_money(p['P10'], cur)}, "
            f"{percent(1 - p['P10'] / c.annual_target, 0)} short of it.") \
        if p["P10"] < c.annual_target else \
        f"nine years in ten book more than the target (P10 {compact_money(p['P10'], cur)})."
    sure = (f"P(target met) {percent(plan.probability)} +- {percent(plan.se)} (one standard "
            f"error, {plan.trials:,} simulated years). "
            + (check[0].upper() + check[1:] + "." if check else "")).strip()
    return memo_html(
        c.capacity, f"Capacity plan · {who} · {plan.trials:,} simulated years · seed "
        f"{plan.seed}", f"How many {who}s to hire, and when, so that the role books {target} "
        f"in the year with probability {percent(c.probability, 0)} (requisitions open "
        f"{c.hiring.lead_months} months before a start).", rec, why=why, risk=risk, sure=sure)


def schedule_table(plan: CapacityPlan) -> pd.DataFrame:
    """The hiring plan by month for a reader (text)."""
    s, cur = plan.schedule, _currency(plan)
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


def figures(plan: CapacityPlan) -> pd.DataFrame:
    """The plan's figures as label -> value (text)."""
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
