"""A study variant (or a sweep's chosen plan) described against the current plans, in one
sentence a reader can check: what changed, role by role, in the plan, the quotas and the
headcount.

Works on the resolved scenario trees that results echo (`Results.scenario`), so it needs
no files. Plan differences come from `spmsim.plans.diff`; the rest of a role (quota
method, quotas, headcount, hires) and the economics are described here; anything else
that differs is named by its field.
"""

from __future__ import annotations

from typing import Any

from spmsim.format import compact_money, count, label, percent, plan_role_label, words
from spmsim.plans import plan_from_dict
from spmsim.plans.diff import Change, describe, plan_changes

QUOTA_METHODS = {"flat_growth": "last year's bookings plus growth",
                 "potential": "territory potential", "equal": "equal shares",
                 "blended": "a blend of history and potential", "history": "last year's bookings"}
SKIP = {"plan_file", "plan"}


def role_label(tree: dict, role: str) -> str:
    """A role as a reader names it: its plan's name without the year and any note in
    brackets ('Enterprise AE FY27 (proposed)' -> 'Enterprise AE'), else the id as a label."""
    spec = tree.get("org", {}).get("roles", {}).get(role, {})
    return plan_role_label(str((spec.get("plan") or {}).get("plan", "")), role)


def _quota_method(spec: dict | None) -> str:
    if not spec:
        return "stated per rep"
    method = spec.get("method", "")
    said = QUOTA_METHODS.get(method, words(method))
    if method == "flat_growth" and spec.get("growth"):
        said = f"last year's bookings plus {percent(spec['growth'], 0)}"
    return said


def _leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(_leaves(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: tree}


def _field(path: str) -> str:
    return " ".join(words(p) if "_" in p else p for p in path.split("."))


def _plain(v: Any, currency: str) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float):
        return compact_money(v, currency) if abs(v) >= 1000 else f"{v:g}"
    if isinstance(v, list):
        return f"{len(v)} entries"
    return "none" if v is None else (words(v) if "_" in str(v) else str(v))


def role_changes(current: dict, variant: dict, role: str) -> list[Change]:
    """What changed for one role: its plan, quota method, quotas, headcount and the rest."""
    old = current.get("org", {}).get("roles", {}).get(role)
    new = variant["org"]["roles"][role]
    if old is None:
        return [Change(f"a new role with {count(new.get('headcount', 0), 'rep')}", True)]
    cur = (new.get("plan") or {}).get("currency", "USD")
    out: list[Change] = []
    if old.get("plan") and new.get("plan") and old["plan"] != new["plan"]:
        out += plan_changes(plan_from_dict(old["plan"]), plan_from_dict(new["plan"]))
    if old.get("quota_method") != new.get("quota_method"):
        a, b = old.get("quota_method") or {}, new.get("quota_method") or {}
        if a.get("method") != b.get("method") or a.get("growth") != b.get("growth"):
            out.append(Change(f"quotas from {_quota_method(b)} (now {_quota_method(a)})"))
        for key in sorted((set(a) | set(b)) - {"method", "growth"}):
            if a.get(key) != b.get(key):
                out.append(Change(f"quota {_field(key)} {_plain(b.get(key), cur)} "
                                  f"(now {_plain(a.get(key), cur)})"))
    if old.get("headcount") != new.get("headcount"):
        out.append(Change(f"{count(new.get('headcount', 0), 'rep')} in seat "
                          f"(now {old.get('headcount', 0):,})"))
    if old.get("quota") != new.get("quota"):
        q = lambda d: ", ".join(f"{label(m)} {compact_money(v, cur)}"  # noqa: E731
                                for m, v in (d or {}).items())
        out.append(Change(f"quota {q(new.get('quota'))} a rep (now {q(old.get('quota'))})"))
    rest_old = {k: v for k, v in old.items() if k not in SKIP | {"quota_method", "headcount",
                                                                  "quota"}}
    rest_new = {k: v for k, v in new.items() if k not in SKIP | {"quota_method", "headcount",
                                                                  "quota"}}
    a, b = _leaves(rest_old), _leaves(rest_new)
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            out.append(Change(f"{_field(key)} {_plain(b.get(key), cur)} "
                              f"(now {_plain(a.get(key), cur)})"))
    return out


def variant_changes(current: dict, variant: dict) -> dict[str, list[Change]]:
    """Role label (or 'Economics', 'Market') -> the changes of `variant` from `current`."""
    out: dict[str, list[Change]] = {}
    for role in variant.get("org", {}).get("roles", {}):
        changes = role_changes(current, variant, role)
        if changes:
            out[role_label(variant, role)] = changes
    for role in current.get("org", {}).get("roles", {}):
        if role not in variant.get("org", {}).get("roles", {}):
            out[role_label(current, role)] = [Change("the role is dropped", True)]
    for section in ("economics", "market"):
        a, b = _leaves(current.get(section, {})), _leaves(variant.get(section, {}))
        diffs = [Change(f"{_field(k)} {_plain(b.get(k), 'USD')} (now {_plain(a.get(k), 'USD')})")
                 for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        if diffs:
            out[label(section)] = diffs
    return out


def variant_sentence(current: dict, variant: dict) -> str:
    """One sentence: 'Enterprise AE: ...; SMB AE: ...' or 'The same plans as today.'"""
    changes = variant_changes(current, variant)
    if not changes:
        return "The same plans, quotas and headcount as today."
    parts = [f"{who}: {describe(c)}" for who, c in changes.items()]
    text = ". ".join(parts)
    return text[0].upper() + text[1:] + "."


def structural_changes(current: dict, variant: dict) -> list[str]:
    """The structural changes only ('Enterprise AE: adds a cap on “New ARR” ...')."""
    return [f"{who}: {c.text}" for who, cs in variant_changes(current, variant).items()
            for c in cs if c.structural]
