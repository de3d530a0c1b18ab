"""What changed between two plans, in a comp designer's words.

`plan_changes(old, new)` lists each difference as a short phrase ("New ARR pays 3x from
100 % to 150 % of quota (now 2x)"), flagged `structural` when it changes the plan's shape
rather than a number: a component, cap, gate, draw or clawback added or removed, an
accelerator or decelerator above quota added or removed, a change of payout mode.
`describe(changes)` joins them into one sentence. Reports use both: a sentence per study
variant, and a warning when a sweep's chosen plan changes the plan's structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spmsim.format import compact_money, label, multiple, percent_short, words
from spmsim.plans.model import Plan

PERIOD_WORDS = {"month": "monthly", "quarter": "quarterly", "half": "half-yearly",
                "year": "yearly"}


@dataclass(frozen=True)
class Change:
    """One difference between two plans; `structural` when the plan's shape changes."""

    text: str
    structural: bool = False


def describe(changes: list[Change]) -> str:
    """The changes as one clause list: 'a; b; c' (empty when there are none)."""
    return "; ".join(c.text for c in changes)


def _q(name: str) -> str:
    return f"“{name}”"


def _share(x: float) -> str:
    return percent_short(x)


def _edge(value: float, basis: str, currency: str) -> str:
    return _share(value) if basis == "attainment" else compact_money(value, currency)


def _rate(value: float, rates: str) -> str:
    return multiple(value) if rates == "multiplier" else _share(value)


def _bands(c: Any, currency: str) -> list[str]:
    """Each band of a tier table as words: 'to 100 %', 'from 100 % to 150 %', 'above 150 %'."""
    edges = [0.0] + [t.upto for t in c.tiers[:-1]]
    suffix = " of quota" if c.tier_basis == "attainment" else ""
    out = []
    for i, lo in enumerate(edges):
        hi = c.tiers[i].upto
        if hi is None:
            out.append(f"above {_edge(lo, c.tier_basis, currency)}{suffix}" if lo else
                       "on all credit")
        elif lo == 0:
            out.append(f"up to {_edge(hi, c.tier_basis, currency)}{suffix}")
        else:
            out.append(f"from {_edge(lo, c.tier_basis, currency)} to "
                       f"{_edge(hi, c.tier_basis, currency)}{suffix}")
    return out


def above_quota(c: Any) -> str | None:
    """'accelerator' when a commission pays more than its base rate above quota,
    'decelerator' when less, None when neither (or it has no tiers on attainment)."""
    tiers = getattr(c, "tiers", None)
    if not tiers or getattr(c, "tier_basis", None) != "attainment":
        return None
    base = tiers[0].rate
    edges = [0.0] + [t.upto for t in tiers[:-1]]
    above = [t.rate for lo, t in zip(edges, tiers, strict=True) if lo >= 1.0 - 1e-9]
    if any(r > base for r in above):
        return "accelerator"
    if any(r < base for r in above):
        return "decelerator"
    return None


def _cap(cap: Any, currency: str) -> str:
    if cap.of_target is not None:
        return f"{_share(cap.of_target)} of target"
    return f"{compact_money(cap.amount, currency)} a {cap.per}"


def _optional(what: str, old: Any, new: Any, words) -> list[Change]:
    """An optional part (cap, gate, draw, clawback) added, removed or changed."""
    if old == new:
        return []
    if old is None:
        return [Change(f"adds {what} at {words(new)}", True)]
    if new is None:
        return [Change(f"removes {what} (now {words(old)})", True)]
    return [Change(f"{what} at {words(new)} (now {words(old)})")]


def _tiers(name: str, old: Any, new: Any, currency: str) -> list[Change]:
    out: list[Change] = []
    if old.tiers != new.tiers or old.rates != new.rates or old.tier_basis != new.tier_basis:
        bands = _bands(new, currency)
        same_edges = [t.upto for t in old.tiers] == [t.upto for t in new.tiers] and \
            old.tier_basis == new.tier_basis and old.rates == new.rates
        if same_edges:
            parts = [f"{_rate(n.rate, new.rates)} {band} (now {_rate(o.rate, old.rates)})"
                     for band, o, n in zip(bands, old.tiers, new.tiers, strict=True)
                     if o.rate != n.rate]
        else:
            was = ", ".join(f"{_rate(t.rate, old.rates)} {b}"
                            for t, b in zip(old.tiers, _bands(old, currency), strict=True))
            parts = [", ".join(f"{_rate(t.rate, new.rates)} {b}"
                               for t, b in zip(new.tiers, bands, strict=True)) + f" (now {was})"]
        out.append(Change(f"{_q(name)} pays " + ", ".join(parts)))
    before, after = above_quota(old), above_quota(new)
    if before != after:
        if after:
            out.append(Change(f"{_q(name)} gets an {after} above quota", True))
        if before:
            out.append(Change(f"{_q(name)} loses its {before} above quota", True))
    if old.mode != new.mode:
        out.append(Change(f"{_q(name)} pays {new.mode} rates (now {old.mode})", True))
    gate = lambda v: f"{_edge(v, new.tier_basis, currency)}" + (  # noqa: E731
        " of quota" if new.tier_basis == "attainment" else "")
    out += _optional(f"a gate on {_q(name)} (nothing paid below it)", old.threshold,
                     new.threshold, gate)
    return out


HANDLED = {"name", "type", "tiers", "rates", "tier_basis", "mode", "threshold", "cap", "weight",
           "unlock", "modifier"}


def _component(old: Any, new: Any, ti: float, currency: str) -> list[Change]:
    name = new.name
    if old.kind != new.kind:
        return [Change(f"{_q(name)} becomes a {words(new.kind)} (now a "
                       f"{words(old.kind)})", True)]
    out: list[Change] = []
    if old.target_share() != new.target_share():
        out.append(Change(f"{_q(name)} is {_share(new.target_share())} of target incentive "
                          f"(now {_share(old.target_share())})"))
    if getattr(new, "tiers", None) is not None:
        out += _tiers(name, old, new, currency)
    out += _optional(f"a cap on {_q(name)}", old.cap, new.cap, lambda c: _cap(c, currency))
    out += _optional(f"an unlock of {_q(name)}", old.unlock, new.unlock, _unlock)
    out += _optional(f"a modifier on {_q(name)}", old.modifier, new.modifier,
                     lambda m: f"the curve of {label(m.measure)} attainment "
                               f"({', '.join(f'{x:.0%} x{y:g}' for x, y in m.curve)})")
    a, b = old.model_dump(), new.model_dump()
    for key in sorted(set(a) | set(b)):
        if key not in HANDLED and a.get(key) != b.get(key):
            out.append(Change(f"{_q(name)} {words(key)} {_value(b.get(key), currency)} "
                              f"(now {_value(a.get(key), currency)})"))
    return out


def _unlock(u: Any) -> str:
    what = "its accelerators" if u.applies_to == "accelerators" else "all of it"
    return f"{percent_short(u.at)} of {label(u.measure)} ({what})"


def _crediting(old: Plan, new: Plan) -> list[Change]:
    """Windfall clauses, attribute rates, FX tables and unit measures changed."""
    cur, out = new.currency, []
    for m in sorted(set(old.crediting) | set(new.crediting)):
        a, b = old.crediting.get(m), new.crediting.get(m)
        out += _optional(f"a windfall clause on {label(m)}",
                         a and a.windfall, b and b.windfall,
                         lambda w: f"{percent_short(w.rate)} of each deal's amount above "
                                   f"{compact_money(w.above, cur)}")
        out += _optional(f"credit rates by deal attribute on {label(m)}",
                         a and a.by, b and b.by, lambda r: f"the {r.column} column")
    out += _optional("an FX table", old.fx, new.fx,
                     lambda f: f"{words(f.policy)} rates from {f.file}")
    if old.unit_measures != new.unit_measures:
        words = lambda ms: ", ".join(ms) or "none"  # noqa: E731
        out.append(Change(f"measures counted in units: {words(new.unit_measures)} (now "
                          f"{words(old.unit_measures)})"))
    return out


def _value(v: Any, currency: str) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float):
        return compact_money(v, currency) if abs(v) >= 100 else f"{v:g}"
    if isinstance(v, list | tuple):
        return ", ".join(_value(x, currency) for x in v)
    return words(str(v)) if "_" in str(v) else str(v)


def plan_changes(old: Plan, new: Plan) -> list[Change]:
    """Every difference from `old` to `new`, structural ones flagged."""
    cur = new.currency
    out: list[Change] = []
    if old.plan != new.plan:
        out.append(Change(f"moves to the plan {_q(new.plan)} (now {_q(old.plan)})"))
    if old.ote != new.ote:
        out.append(Change(f"OTE {compact_money(new.ote, cur)} (now "
                          f"{compact_money(old.ote, old.currency)})"))
    if old.base_share != new.base_share:
        mix = lambda p: f"{p.base_share * 100:.0f}/{(1 - p.base_share) * 100:.0f}"  # noqa: E731
        out.append(Change(f"pay mix {mix(new)} base/variable (now {mix(old)})"))
    if old.payout_period != new.payout_period:
        out.append(Change(f"paid {PERIOD_WORDS.get(new.payout_period, new.payout_period)} "
                          f"(now {PERIOD_WORDS.get(old.payout_period, old.payout_period)})"))
    out += _optional("a plan cap", old.cap, new.cap, lambda c: _cap(c, cur))
    out += _optional("a draw", old.draw, new.draw,
                     lambda d: f"{compact_money(d.per_period, cur)} a period for "
                               f"{d.periods} periods")
    out += _optional("a clawback", old.clawback, new.clawback,
                     lambda c: f"{_share(c.share)} of a deal's pay within {c.within_days} days")
    out += _crediting(old, new)
    before = {c.name: c for c in old.components}
    after = {c.name: c for c in new.components}
    for name in before.keys() - after.keys():
        out.append(Change(f"drops the {_q(name)} component", True))
    for name, c in after.items():
        if name not in before:
            out.append(Change(f"adds a {words(c.kind)} component {_q(name)}", True))
            if above_quota(c) == "accelerator":
                out.append(Change(f"{_q(name)} has an accelerator above quota", True))
        else:
            out += _component(before[name], c, new.ti, cur)
    return out
