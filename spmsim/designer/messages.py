"""A plan's problems in the designer's words, each placed at the control that caused it.

The plan's pydantic models say what is wrong in terms of the file ("components[0].tiers[1]
.upto: tiers must start where the previous one ends and rise (0.8 is not above 1.0)"). The
designer shows "Tier 2 must end above 100 % (where it starts: the end of tier 1)" beside
tier 2's box. Bounds (`ge`, `gt`, `lt`, `le`) are read from pydantic's error context, so new
fields get sentences too; the validators' own messages are matched by pattern, and one
that is not is shown with the control's label instead of its path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from spmsim.designer.form import CAP, Control, Section, Unit, show, suffix
from spmsim.errors import loc_to_path
from spmsim.overrides import parse_path
from spmsim.plans.components import REGISTRY

GENERAL = ""  # problems no control causes: shown in the status line

_LEADING_PATH = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\])?(?:\.[A-Za-z_]\w*|\[\d+\])*): ")
_CAP_PATH = re.compile(r"^(components\[\d+\]\.)?cap(\.|$)")


def in_units(value: Any, unit: Unit, currency: str = "USD") -> str:
    """A number as the control shows it, with its unit: '100 %', '300,000 USD', '2x'."""
    try:
        text = show(float(value), unit)
    except (TypeError, ValueError):
        return repr(value)
    mark = suffix(unit, currency)
    return f"{text}x" if unit == "times" else (f"{text} {mark}" if mark else text)


def locate(where: str, message: str) -> tuple[str, str]:
    """(the most precise path, the message without it): a validator's message may start
    with a path below its location (`components[0].tiers` + `tiers[1].upto: ...`)."""
    m = _LEADING_PATH.match(message)
    if not m:
        return where, message
    inner = m.group(1)
    head = parse_path(inner)[0]
    if where and parse_path(where)[-1] == head:
        where = where[: where.rfind(str(head))].rstrip(".")
    return (f"{where}.{inner}" if where else inner), message[m.end():]


def owner(path: str, controls: dict[str, Control], sections: Iterable[Section]) -> str:
    """The control or section that shows a problem at `path`: the control itself, the cap
    control for any cap, the row or section holding it; GENERAL when none does."""
    if _CAP_PATH.match(path):
        return CAP
    if path in controls:
        return path
    within = [p for p in controls if path.startswith((p + ".", p + "["))]
    if within:
        return max(within, key=len)
    inside = [p for p in controls if p.startswith((path + ".", path + "["))]
    if inside and path.rsplit(".", 1)[-1].startswith(("tiers", "curve")):
        return min(inside)  # a list-wide problem shows at its first box
    keys = [s.key for s in sections if path == s.key or path.startswith(s.key + ".")
            or path.startswith(s.key + "[")]
    return max(keys, key=len) if keys else GENERAL


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _tier(path: str) -> int | None:
    m = re.search(r"tiers\[(\d+)\]", path)
    return int(m.group(1)) if m else None


_VALIDATORS: list[tuple[re.Pattern, Any]] = [
    (re.compile(r"tiers must start where the previous one ends and rise \(([-\d.e+]+) is not "
                r"above ([-\d.e+]+)\)"),
     lambda m, j, c, unit, cur: (f"Tier {j + 1} must end above {in_units(m[2], unit, cur)} "
                                 f"(where it starts: the end of tier {j})")),
    (re.compile(r"only the last tier may be open-ended"),
     lambda m, j, c, unit, cur: f"Give tier {j + 1} an end: only the last tier is open"),
    (re.compile(r"the last tier is open-ended"),
     lambda m, j, c, unit, cur: f"Leave the end of tier {j + 1} empty: the last tier is open"),
    (re.compile(r"give at least one tier"), lambda *a: "Keep at least one tier"),
    (re.compile(r"`weight` is required with `rates: multiplier`"),
     lambda *a: "Give a share of TI: rates that are multiples of the base rate need a target"),
    (re.compile(r"`cap.of_target` needs a `weight`"),
     lambda *a: "A cap in multiples of the target needs a share of TI"),
    (re.compile(r"curve\[(\d+)\]: attainment must rise"),
     lambda m, j, c, unit, cur: (f"Point {int(m[1]) + 1} must be at a higher % of quota than "
                                 f"point {int(m[1])}")),
    (re.compile(r"curve\[(\d+)\]: attainment and fraction must be >= 0"),
     lambda m, *a: f"Point {int(m[1]) + 1}: use 0 or more"),
    (re.compile(r"give at least one \[attainment, fraction\] point"),
     lambda *a: "Keep at least one point"),
    (re.compile(r"give exactly one of `per_unit` or `per_deal`"),
     lambda *a: "Give one amount: per unit or per deal, not both or neither"),
    (re.compile(r"a SPIF has no target"),
     lambda *a: "A SPIF has no target: cap it at an amount in the YAML file"),
    (re.compile(r"give exactly one of `of_target` or `amount`"),
     lambda *a: "Give the cap a multiple of the target, or remove it"),
    (re.compile(r"components: list at least one component"),
     lambda *a: "Keep at least one component"),
    (re.compile(r"'(.*)' is used twice"),
     lambda m, *a: f"Two components are called “{m[1]}”: rename one"),
    (re.compile(r"a (\w+) plan has periods 1-(\d+)"),
     lambda m, *a: f"A {m[1]}ly plan has periods 1-{m[2]}"),
    (re.compile(r"periods are 1-based"), lambda *a: "Periods start at 1: e.g. 1, 2, 3"),
    (re.compile(r"start the plan year on day 1-28"),
     lambda *a: "Start the plan year on day 1-28 of a month"),
]

_BOUNDS = {"greater_than": ("more than", "gt"), "greater_than_equal": ("at least", "ge"),
           "less_than": ("below", "lt"), "less_than_equal": ("at most", "le")}


def sentence(error: dict, path: str, control: Control | None, title: str,
             currency: str = "USD") -> str:
    """One pydantic error as the designer says it."""
    label = (control.label if control else title).split(",")[0]  # "OTE", not "OTE, a year"
    unit: Unit = control.unit if control else "number"
    j = _tier(path)
    if j is not None and control and not control.label.lower().startswith("tier"):
        label = f"Tier {j + 1} {control.label}"
    kind = error.get("type", "")
    got = error.get("input")
    if kind in _BOUNDS:
        word, key = _BOUNDS[kind]
        limit = (error.get("ctx") or {}).get(key)
        shown = f" (got {in_units(got, unit, currency)})" if got is not None else ""
        if key == "ge" and limit == 0:
            return f"{_cap(label)} can't be negative{shown}"
        return f"{_cap(label)} must be {word} {in_units(limit, unit, currency)}" + (
            f" (got {in_units(got, unit, currency)})" if got is not None else "")
    if kind == "missing":
        return f"{_cap(label)} is needed"
    if kind in ("float_parsing", "int_parsing", "float_type", "int_type"):
        return f"{_cap(label)}: type a number"
    if kind == "literal_error":
        return f"{_cap(label)}: choose one of the options"
    if kind == "string_too_short":
        return f"{_cap(label)} can't be empty"
    if kind == "extra_forbidden":
        return f"“{path.rsplit('.', 1)[-1]}” is not a plan field: remove it in the YAML file"
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    _, message = locate(path, message)
    for pattern, words in _VALIDATORS:
        m = pattern.search(message)
        if m:
            return words(m, j or 0, control, unit, currency)
    return f"{_cap(label)}: {message}"


def plan_problems(error: ValidationError, controls: dict[str, Control],
                  sections: list[Section], currency: str = "USD") -> dict[str, list[str]]:
    """Every problem of a plan's ValidationError in words, by the control (or section, or
    GENERAL) that shows it."""
    titles = {s.key: s.title for s in sections}
    out: dict[str, list[str]] = {}
    for e in error.errors():
        where = loc_to_path(e["loc"], frozenset(REGISTRY))
        message = str(e.get("msg", "")).removeprefix("Value error, ")
        path, _ = locate(where, message)
        key = owner(path, controls, sections)
        section = next((t for k, t in titles.items() if path.startswith(k) and k != "plan"),
                       "The plan")
        text = sentence(e, path, controls.get(key), section, currency)
        if key in titles and key != "plan" and not text.startswith(section):
            text = f"{section}: {text}"
        if text not in out.get(key, []):
            out.setdefault(key, []).append(text)
    return out
