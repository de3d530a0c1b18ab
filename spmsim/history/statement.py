"""A rep's statement: each period's calculation step by step, so a change can be traced."""

from __future__ import annotations

import numpy as np

from spmsim.format import money, percent
from spmsim.history.leaderboard import ranked_standing
from spmsim.history.replay import PlanGroup, ReplayResult
from spmsim.plans import basis
from spmsim.plans.components import Context
from spmsim.plans.engine import attainment_to_date

EPS = 0.005  # half a cent: smaller movements are not worth a line


def _uncapped(c, credit_to_date: np.ndarray, quota: float | None, target: float,
              counts: np.ndarray | None, judged: float, share: float) -> float:
    """The component's earnings to date before its cap, from the same code the engine runs:
    share x E(credit judged / share) on the annual quota and target."""
    credit = credit_to_date[None, :]
    ytd = np.cumsum(credit, axis=-1)
    ytd[0, -1] = judged / share if share > 0 else 0.0
    ctx = Context(ytd=ytd, period_credit=credit,
                  quota=None if quota is None else np.array([[quota]]),
                  target=np.array([[target]]), counts=None if counts is None else counts[None, :])
    return share * float(c.earned_ytd(ctx)[0, -1])


def _judged_terms(g: PlanGroup, i: int, k: int, t: int) -> tuple[float, float, float, list]:
    """(credit judged, share of quota and target it is judged on, earned in earlier pay
    periods, lines saying so) for component k of rep i in period t, as the engine does it."""
    c, p, plan = g.plan.components[k], g.payout, g.plan
    how = c.judged_on(plan.basis) if c.measure in g.inputs.quota else None
    credit = p.credit[k, i]
    if how is None or how == "annual":
        return float(credit[: t + 1].sum()), 1.0, 0.0, []
    active = None if g.inputs.active is None else g.inputs.active[i]
    due = basis.due(plan.calendar, plan.quota_weights, active)
    dated = g.inputs.quota_due.get(c.measure)
    if dated is not None:  # relief or a ramp quota: the dated schedule's shares
        due = dated[i] / dated[i].sum() if dated[i].sum() > 0 else np.zeros_like(dated[i])
    groups = basis.pay_groups(plan.calendar.n_periods, plan.payout_period, c.payout_period)
    judged, share = basis.judged(how, np.cumsum(credit), due, groups)
    judged_t, share_t = float(judged[t]), float(np.broadcast_to(share, judged.shape)[t])
    quota = float(g.inputs.quota[c.measure][i])
    if how == "ytd_prorated":
        words = [f"quota to date: {money(quota)} x {percent(share_t)} due by this period's end "
                 f"= {money(quota * share_t)}; the target to date likewise"]
        return judged_t, share_t, 0.0, words
    start = int(basis.group_starts(groups)[t])
    carried = float(p.earned_ytd[k, i, start - 1] + p.clawback_ytd[k, i, start - 1]) \
        if start else 0.0
    words = [f"judged on this pay period alone: {money(judged_t)} credited against its quota "
             f"{money(quota)} x {percent(share_t)} = {money(quota * share_t)}"]
    return judged_t, share_t, carried, words


def _first_on(g: PlanGroup, measure: str) -> int:
    return next(k for k, c in enumerate(g.plan.components) if c.measure == measure)


def deal_lines(g: PlanGroup, i: int, t: int, measure: str) -> list[str]:
    """The period's deals whose credit is not simply the amount: overlay or split shares,
    credit memos, and deals a crediting rule changed."""
    d = g.deals
    mine = d[(d["member"] == i) & (d["period"] == t) & (d["measure"] == measure)]
    rule = g.plan.crediting.get(measure)
    lines = []
    for deal in mine.itertuples():
        plain = deal.amount * deal.split
        notes = []
        if deal.fx_rate != 1.0:
            notes.append(f"{money(deal.amount_booked, deal.currency)} x {deal.fx_rate:.4f} "
                         f"{deal.currency}->{g.plan.currency} = "
                         f"{money(deal.amount, g.plan.currency)}")
        if deal.overlay:
            notes.append("overlay credit (not revenue again)")
        if deal.amount < 0:
            notes.append("credit memo")
        if rule is not None and abs(deal.credited - plain) > EPS:
            notes += rule.steps(deal.amount, deal._asdict(), money)
        if deal.split != 1:
            notes.append(f"x share {percent(deal.split, 0)}")
        if notes:
            lines.append(f"deal {deal.deal_id}: {money(deal.amount)} -> credited "
                         f"{money(deal.credited)} ({', '.join(notes)})")
    return lines


def _linked_attainment(g: PlanGroup, i: int, t: int, measure: str) -> float:
    """What the engine's link reads: attainment to date on the plan's basis."""
    return float(attainment_to_date(g.plan, g.inputs, measure)[i, t])


def link_lines(g: PlanGroup, i: int, t: int, c) -> list[str]:
    """The state of c's unlock and modifier at period t, with the figures they read."""
    lines = []
    if c.unlock is not None:
        u = c.unlock
        a = _linked_attainment(g, i, t, u.measure)
        what = "the component" if u.applies_to == "component" else \
            "accelerators (bands above quota at the rate at quota while locked)"
        state = "unlocked" if u.is_open(np.asarray(a)) else "locked"
        lines.append(f"unlock of {what}: {u.measure} at {percent(a)} of quota to date, "
                     f"needs {percent(u.at)}: {state}")
    if c.modifier is not None:
        m = c.modifier
        a = _linked_attainment(g, i, t, m.measure)
        lines.append(f"modifier: {m.measure} at {percent(a)} of quota to date -> earnings x "
                     f"{float(m.factor(np.asarray(a))):.4g}")
    return lines


def _component_lines(g: PlanGroup, i: int, k: int, t: int) -> list[str]:
    c, p = g.plan.components[k], g.payout
    credit = p.credit[k, i, : t + 1]
    ytd = float(credit.sum())
    quota = g.inputs.quota.get(c.measure)
    q = None if quota is None or np.isnan(quota[i]) else float(quota[i])
    target = float(p.ti[i] * c.target_share())
    earned = float(p.earned_ytd[k, i, t])
    before = float(p.earned_ytd[k, i, t - 1]) if t else 0.0
    claw = float(p.clawback_ytd[k, i, t] - (p.clawback_ytd[k, i, t - 1] if t else 0.0))
    basis_word = " (team)" if c.credit == "team" else ""
    lines = [f"  {c.name} [{c.measure}{basis_word}]: credited {money(credit[-1])} this period, "
             f"{money(ytd)} to date"]
    if k == _first_on(g, c.measure) and c.credit == "rep":
        lines += [f"    {line}" for line in deal_lines(g, i, t, c.measure)]
    judged, share, carried, words = _judged_terms(g, i, k, t)
    lines += [f"    {line}" for line in words]
    if share > 0:
        lines += [f"    {line}" for line in c.explain(
            judged, None if q is None else q * share, target * share, g.plan.calendar.n_periods)]
    else:
        lines.append("    no quota due yet (not on the plan): nothing earned")
    if carried > EPS:
        lines.append(f"    plus {money(carried)} earned in earlier pay periods")
    lines += [f"    {line}" for line in link_lines(g, i, t, c)]
    if c.ranked:  # a contest: the rep's place among the others ranked with them
        standing, start = ranked_standing(g, k)
        lines += [f"    {line}" for line in c.explain_standing(standing, start + i, t)]
    if c.cap is not None:
        counts = g.inputs.counts.get(c.measure)
        raw = carried + _uncapped(c, credit, q, target,
                                  None if counts is None else counts[i, : t + 1], judged, share)
        capped = earned + float(p.clawback_ytd[k, i, t])
        if raw - capped > EPS:
            lines.append(f"    cap {c.cap.model_dump(exclude_none=True)}: {money(raw)} "
                         f"limited to {money(capped)}")
    if abs(claw) > EPS:
        days = g.plan.clawback.within_days
        lines.append(f"    clawback: deals cancelled within {days} days reverse {money(claw)}"
                     if claw > 0 else f"    clawback recomputed without the cancelled deals: "
                     f"{money(-claw)} given back")
    lines.append(f"    earned to date {money(earned)} - paid before {money(before)} = "
                 f"{money(earned - before)} this period")
    return lines


def _timing_lines(g: PlanGroup, i: int, t: int) -> list[str]:
    """Pay held back this period: deferred to a component's pay date, or the holdback."""
    p, lines = g.payout, []
    for k, c in enumerate(g.plan.components):
        owed = float(p.earned_ytd[k, i, t] - p.payable_ytd[k, i, t])
        if owed > EPS:
            lines.append(f"  {c.name} is paid by {c.payout_period}: {money(owed)} earned to date "
                         "waits for the end of its pay period")
    held, before = float(p.held_ytd[i, t]), float(p.held_ytd[i, t - 1]) if t else 0.0
    if held > EPS or before > EPS:
        hb = g.plan.holdback
        lines.append(f"  holdback {percent(hb.share, 0)} of earnings to date: {money(held)} held"
                     + (f", {money(before - held)} released" if before - held > EPS else ""))
    return lines


def statement(result: ReplayResult, rep_id: str) -> str:
    """The full-year statement of one rep as text: one part per plan they were on."""
    return "\n\n".join(_plan_statement(g, i, rep_id) for g, i in result.groups_of(rep_id))


def _plan_statement(g: PlanGroup, i: int, rep_id: str) -> str:
    plan, p = g.plan, g.payout
    rep = g.reps.iloc[i]
    lines = [f"Statement for {rep_id} on {plan.plan} ({plan.currency})",
             f"team: {rep['team'] or '-'}; on the plan {g.inputs.active[i].round(3).tolist()} "
             f"of each period",
             f"OTE {money(plan.ote)}, base share {percent(plan.base_share, 0)}: "
             f"TI {money(plan.ti)} a year, prorated to {money(p.ti[i])} for days on the plan"]
    for m in plan.quota_measures():
        lines.append(f"quota {m}: {money(g.inputs.quota[m][i])}")
        if m in g.inputs.quota_due:  # relief or a ramp quota: what is due when
            due = ", ".join(f"{label} {money(v)}" for label, v in
                            zip(plan.calendar.labels, g.inputs.quota_due[m][i], strict=True))
            lines.append(f"  due by period (relief and ramp applied): {due}")
    for m, rule in plan.crediting.items():
        lines += [f"crediting {m}: {line}" for line in rule.explain(money)]
    if plan.fx is not None:
        when = "the plan rate" if plan.fx.policy == "plan_rate" else "the rate of its date"
        lines.append(f"a deal in another currency is converted to {plan.currency} at {when} "
                     f"from {plan.fx.file}")
    for t, label in enumerate(plan.calendar.labels):
        lines.append(f"\n{label} (period {t + 1})")
        for k in range(len(plan.components)):
            lines += _component_lines(g, i, k, t)
        lines += _timing_lines(g, i, t)
        cut = p.plan_cap_ytd[i, t] - (p.plan_cap_ytd[i, t - 1] if t else 0.0)
        if abs(cut) > EPS:
            lines.append(f"  plan cap {plan.cap.model_dump(exclude_none=True)}: {money(cut)}")
        if p.draw[i, t] > EPS:
            lines.append(f"  draw: pay is guaranteed at least {money(plan.draw.per_period)} "
                         f"(prorated); advanced {money(p.draw[i, t])}")
        if p.recovered[i, t] > EPS:
            lines.append(f"  draw recovered from earnings above the guarantee: "
                         f"{money(p.recovered[i, t])}")
        lines.append(f"  net paid: {money(p.paid[i, t])} earned + {money(p.draw[i, t])} draw - "
                     f"{money(p.recovered[i, t])} recovered = {money(p.net_paid[i, t])}"
                     + (f"; draw outstanding {money(p.draw_balance[i, t])}"
                        if p.draw_balance[i, t] > EPS else ""))
    lines.append(f"\nYear: earned {money(p.total_earned_ytd[i, -1])}, net paid "
                 f"{money(p.net_paid[i].sum())} "
                 f"({percent(p.total_earned_ytd[i, -1] / p.ti[i])} of TI)")
    return "\n".join(lines)
