"""A plan in plain words: one sentence per component, for people who do not read YAML.

`describe_plan(plan)` is what the designer shows under its charts and what a study keeps as
a designer-made variant's description ("Enterprise AE: OTE $300,000, 50 % base; New ARR
(90 % of TI) pays 1x to 100 % of quota, 2x above quota up to 150 %, 1.5x above 150 %,
nothing below 40 %, capped at 3x its target ($405,000); ...").

Each registered component type has a describer below, chosen by its `type:`; a type that has
none (a new one) is still named with its measure and weight, so every plan reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spmsim.format import money, multiple, percent_short
from spmsim.format import words as measure_words
from spmsim.plans.components import Cap, Component
from spmsim.plans.model import Plan

PERIOD_WORD = {"month": "month", "quarter": "quarter", "half": "half-year", "year": "year"}


# the house formats (spmsim.format), named for what they say here
times, share = multiple, percent_short


def _curr(plan: Plan) -> Callable[[float], str]:
    return lambda x: money(x, plan.currency, 0)


def describe_cap(cap: Cap | None, plan: Plan, of: str = "its target",
                 target: float | None = None) -> str:
    """'capped at 3x its target ($405,000)', 'capped at $50,000 a year', or ''."""
    if cap is None:
        return ""
    cur = _curr(plan)
    if cap.of_target is not None:
        worth = "" if target is None else f" ({cur(cap.of_target * target)})"
        return f"capped at {times(cap.of_target)} {of}{worth}"
    per = "a year" if cap.per == "year" else f"a {PERIOD_WORD.get(plan.payout_period, 'period')}"
    return f"capped at {cur(cap.amount)} {per}"


def _edge(c: Any, plan: Plan) -> Callable[[float], str]:
    if getattr(c, "tier_basis", "attainment") == "attainment":
        return share
    return _curr(plan)


def _rate(c: Any) -> Callable[[float], str]:
    if getattr(c, "rates", "multiplier") == "percent":
        return lambda r: f"{share(r)} of credit"
    return times


def _commission(c: Any, plan: Plan) -> str:
    edge, rate = _edge(c, plan), _rate(c)
    of_quota = " of quota" if getattr(c, "tier_basis", "attainment") == "attainment" else ""
    tiers = c.tiers
    if len(tiers) == 1:
        pays = "pays " + (rate(tiers[0].rate) if c.rates == "percent"
                          else f"{times(tiers[0].rate)} the base rate (target / quota)")
    else:
        lowers = [0.0] + [t.upto for t in tiers[:-1]]
        parts = []
        for j, (lo, t) in enumerate(zip(lowers, tiers, strict=True)):
            start = "quota" if of_quota and lo == 1.0 else edge(lo)
            if j == 0:
                parts.append(f"{rate(t.rate)} to {edge(t.upto)}{of_quota}")
            elif t.upto is None:
                parts.append(f"{rate(t.rate)} above {start}")
            else:
                parts.append(f"{rate(t.rate)} above {start} up to {edge(t.upto)}")
        how = "pays all credit at the rate of the tier reached: " \
            if c.mode == "retroactive" else "pays "
        pays = how + ", ".join(parts)
    if c.threshold:
        pays += f", nothing below {edge(c.threshold)}{of_quota}"
    return pays


def _bonus(c: Any, plan: Plan) -> str:
    points = ", ".join(f"{share(y)} of target at {share(x)}" for x, y in c.curve)
    how = "in steps" if c.steps else "straight lines between"
    return (f"pays {points} of quota ({how}), nothing below {share(c.curve[0][0])}")


def _mbo(c: Any, plan: Plan) -> str:
    every = {"quarter": "each quarter", "year": "once a year"}.get(
        c.assessed, f"each {PERIOD_WORD.get(plan.payout_period, 'period')}")
    return f"pays its target in proportion to the scores assessed {every}"


def _months(periods: tuple[int, ...] | None, plan: Plan) -> str:
    if not periods:
        return "all year"
    word = PERIOD_WORD.get(plan.payout_period, "period") + "s"
    p = sorted(periods)
    if p == list(range(p[0], p[-1] + 1)) and len(p) > 1:
        return f"in {word} {p[0]}-{p[-1]}"
    return f"in {word} {', '.join(map(str, p))}"


def _spiff(c: Any, plan: Plan) -> str:
    cur = _curr(plan)
    what = f"{cur(c.per_deal)} per deal" if c.per_deal else \
        f"{cur(c.per_unit)} per {measure_words(c.measure).rstrip('s')}"
    return f"pays {what} {_months(c.periods, plan)}"


def _contest(c: Any, plan: Plan) -> str:
    cur = _curr(plan)
    by = {"attainment": "attainment", "credit": "credit",
          "growth": "growth over the same months last year"}[c.rank_by]
    bar = cur(c.qualify) if c.rank_by == "credit" else share(c.qualify)
    when = f"from {c.dates.start:%d %b %Y} to {c.dates.end:%d %b %Y}" if c.dates else \
        _months(c.periods, plan)
    if c.each is not None:
        return f"pays {cur(c.each)} to every rep at or above {bar} of {by} {when}"
    places = ", ".join(cur(p) for p in c.prizes)
    ties = {"split": "tied reps share their places' prizes",
            "duplicate": "tied reps each take the best prize they share",
            "next": "tied reps each take the prize and the next rep the next one"}[c.ties]
    least = f", at least {bar} to qualify" if c.qualify > 0 else ""
    return (f"pays prizes of {places} to the top {len(c.prizes)} by {by} "
            f"{when}{least} ({ties})")


DESCRIBERS: dict[str, Callable[[Any, Plan], str]] = {
    "commission": _commission, "bonus": _bonus, "mbo": _mbo, "spiff": _spiff,
    "contest": _contest}


def describe_component(c: Component, plan: Plan) -> str:
    """One component in words: its name, share of TI, measure and how it pays."""
    weight = getattr(c, "weight", None)
    head = c.name + (f" ({share(weight)} of TI)" if weight else "")
    on = measure_words(c.measure)
    if on.lower() not in c.name.lower():
        head += f" on {on}"
    if getattr(c, "credit", "rep") == "team":
        head += " on the team's credit"
    describer = DESCRIBERS.get(getattr(c, "type", c.kind))
    body = describer(c, plan) if describer else f"a {c.kind} component"
    cap = describe_cap(c.cap, plan, target=plan.ti * weight if weight else None)
    return f"{head} {body}" + (f", {cap}" if cap else "") + _links(c, plan)


def _links(c: Component, plan: Plan) -> str:
    """What ties a component to another measure, and when it is paid if not with the plan."""
    out = ""
    unlock = getattr(c, "unlock", None)
    if unlock is not None:
        what = "its accelerators pay" if unlock.applies_to == "accelerators" else "it pays"
        out += (f", {what} only once {measure_words(unlock.measure)} attainment reaches "
                f"{share(unlock.at)}")
    modifier = getattr(c, "modifier", None)
    if modifier is not None:
        points = ", ".join(f"{times(y)} at {share(x)}" for x, y in modifier.curve)
        out += f", multiplied by {points} {measure_words(modifier.measure)} attainment"
    period = getattr(c, "payout_period", None)
    if period is not None and period != plan.payout_period:
        out += f", paid each {PERIOD_WORD.get(period, period)}"
    return out


def _crediting(plan: Plan) -> list[str]:
    """The plan's crediting rules, one clause per measure."""
    cur, out = _curr(plan), []
    for m, rule in plan.crediting.items():
        words = measure_words(m)
        if rule.windfall is not None:
            w = rule.windfall
            keep = "nothing" if w.rate == 0 else share(w.rate)
            out.append(f"of a {words} deal above {cur(w.above)}, {keep} of the part above "
                       f"counts")
        if rule.by is not None:
            b = rule.by
            if b.rates:
                rates = ", ".join(f"{share(r)} for {label}" for label, r in b.rates.items())
                out.append(f"{words} is credited by {b.column.replace('_', ' ')}: {rates}")
            else:
                out.append(f"{words} is credited at the rate in each deal's "
                           f"{b.column.replace('_', ' ')}")
    return out


def describe_plan(plan: Plan) -> str:
    """The whole plan in plain words, a clause per component (see the module's docstring)."""
    cur = _curr(plan)
    head = (f"{plan.plan}: OTE {cur(plan.ote)}, {share(plan.base_share)} base "
            f"(TI {cur(plan.ti)}), paid each {PERIOD_WORD.get(plan.payout_period, 'period')}")
    parts = [describe_component(c, plan) for c in plan.components]
    extra = []
    if plan.cap is not None:
        extra.append("total variable pay " + describe_cap(plan.cap, plan, "TI", plan.ti))
    if plan.draw is not None:
        d = plan.draw
        who = "new hires get" if d.applies_to == "new_hires" else "every rep gets"
        kind = "a recoverable" if d.recoverable else "a non-recoverable"
        word = PERIOD_WORD.get(plan.payout_period, "period")
        extra.append(f"{who} {kind} draw of {cur(d.per_period)} a {word} for "
                     f"{d.periods} {word}{'s' if d.periods > 1 else ''}")
    if plan.clawback is not None:
        extra.append(f"{share(plan.clawback.share)} of a deal's pay is clawed back if it is "
                     f"cancelled within {plan.clawback.within_days} days")
    if plan.holdback is not None:
        h = plan.holdback
        extra.append(f"{share(h.share)} of earnings is held back until the year end "
                     f"({'paid' if h.on_leaving == 'release' else 'forfeited'} on leaving)")
    if plan.basis == "annual":
        extra.append("gates and tiers read attainment against the annual quota")
    elif plan.basis == "period":
        extra.append("gates and tiers read each pay period's own quota")
    extra += _crediting(plan)
    return "; ".join([head, *parts, *extra]) + "."
