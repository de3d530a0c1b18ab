"""The designer's form: which controls a plan file gets, read from the plan's pydantic models.

Nothing here knows a component type by name: every registered type (`REGISTRY`) is walked
field by field. A number, a choice (`Literal`), a yes/no, a name or a list of sub-models
(tiers) or of number pairs (curve points) becomes a control; anything else is shown with
"edit in the YAML file". Known field names get people's labels and units (`LABELS`); a
new field gets its description as label, so a component type or field added to the plan
language appears in the designer without a change here.

Values shown to people are in their units: edges of quota and shares as per cent ("150"),
money with thousands separators, rates as multiples ("2x"). `parse` reads them back and
explains what it cannot read.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from spmsim.plans.components import REGISTRY
from spmsim.plans.model import Plan

Unit = Literal["percent", "money", "times", "number", "count"]
CAP = "@cap"  # the one cap control's path

# field name -> (label, unit); units that depend on the component are in `_unit`
LABELS: dict[str, tuple[str, Unit]] = {
    "plan": ("plan name", "number"), "ote": ("OTE, a year", "money"),
    "base_share": ("base salary, % of OTE", "percent"),
    "payout_period": ("paid each", "number"), "currency": ("currency", "number"),
    "name": ("name", "number"), "measure": ("pays on", "number"),
    "weight": ("share of TI, %", "percent"),
    "credit": ("credit of", "number"),
    "mode": ("tiers pay", "number"), "rates": ("rates are", "number"),
    "tier_basis": ("tier edges in", "number"),
    "threshold": ("threshold (gate)", "percent"),
    "upto": ("up to", "percent"), "rate": ("rate", "times"),
    "steps": ("pays in steps", "number"), "assessed": ("assessed each", "number"),
    "per_unit": ("per unit", "money"), "per_deal": ("per deal", "money"),
    "periods": ("only in periods", "count"),
    "per_period": ("draw a period", "money"), "recoverable": ("recoverable", "number"),
    "applies_to": ("draw for", "number"), "within_days": ("clawback window, days", "count"),
    "share": ("clawed back, %", "percent"),
}
CHOICE_WORDS = {"marginal": "each tier at its rate (marginal)",
                "retroactive": "all credit at the tier reached (retroactive)",
                "multiplier": "multiples of the base rate", "percent": "% of credit",
                "attainment": "% of quota", "amount": "amounts", "rep": "the rep",
                "team": "the team", "new_hires": "new hires", "all": "every rep"}
PAIR_LABELS = {"curve": (("at, % of quota", "percent"), ("pays, % of target", "percent"))}
SKIP = {"type", "cap", "components", "year_start"}


@dataclass(frozen=True)
class Control:
    """One editable value of the plan file.

    path: where it lives (`components[0].tiers[1].rate`; `@cap` for the one cap control);
    kind: number, choice, flag, text, list (numbers separated by commas), or yaml (shown,
    edited in the file); optional: an empty box removes it from the plan."""

    path: str
    label: str
    kind: str
    value: Any
    unit: Unit = "number"
    choices: tuple[tuple[str, Any], ...] = ()
    optional: bool = False
    help: str = ""


@dataclass(frozen=True)
class Row:
    """A tier or a curve point: its controls and whether it can be removed."""

    label: str
    controls: tuple[Control, ...]
    path: str  # the item's path, what `remove` takes away
    removable: bool = True


@dataclass(frozen=True)
class Section:
    """The plan's own fields, or one component's."""

    key: str  # "plan" or "components[i]"
    title: str
    controls: tuple[Control, ...] = ()
    rows: tuple[Row, ...] = ()
    rows_path: str = ""  # the list the rows are (`components[0].tiers`)
    add_row: str = ""  # the add button's label, when rows can be added
    notes: tuple[str, ...] = ()
    removable: bool = False
    extra: dict = field(default_factory=dict)


def _bare(annotation: Any) -> Any:
    """The type under `Annotated[...]` bounds (`config.Money`, `Rate`, ...)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _args(annotation: Any) -> tuple[Any, bool]:
    """(the type without None and bounds, whether None is allowed)."""
    annotation = _bare(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [_bare(a) for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), len(args) < len(
            typing.get_args(annotation))
    return annotation, False


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _label(name: str, info: Any) -> tuple[str, Unit]:
    if name in LABELS:
        return LABELS[name]
    text = (info.description or name.replace("_", " ")).split(";")[0]
    return text, "number"


def _unit(name: str, unit: Unit, node: dict, cls: type | None) -> Unit:
    """Units that depend on the component: edges follow `tier_basis`, rates `rates`."""
    def setting(key: str, default: str) -> str:
        if key in node:
            return node[key]
        f = (cls.model_fields.get(key) if cls else None)
        return f.default if f is not None and isinstance(f.default, str) else default
    if name in ("upto", "threshold"):
        return "percent" if setting("tier_basis", "attainment") == "attainment" else "money"
    if name == "rate":
        return "times" if setting("rates", "multiplier") == "multiplier" else "percent"
    return unit


def _scalar(path: str, name: str, info: Any, value: Any, node: dict,
            cls: type | None, measures: tuple[str, ...]) -> Control | None:
    """A control for one field, or None when it is not a plain value."""
    t, optional = _args(info.annotation)
    label, unit = _label(name, info)
    unit = _unit(name, unit, node, cls)
    optional = optional or (not info.is_required() and info.default is None)
    help_ = info.description or ""
    if typing.get_origin(t) is Literal:
        return Control(path, label, "choice", value,
                       choices=tuple((CHOICE_WORDS.get(str(a), str(a)), a)
                                     for a in typing.get_args(t)), help=help_)
    if t is bool:
        return Control(path, label, "flag", bool(value), help=help_)
    if t in (int, float):
        return Control(path, label, "number", value, "count" if t is int and unit == "number"
                       else unit, optional=optional, help=help_)
    if t is str:
        if name == "measure" and measures:
            choices = tuple((m.replace("_", " "), m) for m in
                            dict.fromkeys((*measures, value)) if m)
            return Control(path, label, "choice", value, choices=choices, help=help_)
        return Control(path, label, "text", value, optional=optional, help=help_)
    inner = tuple(_bare(a) for a in typing.get_args(t))
    if typing.get_origin(t) is tuple and inner and inner[0] is int:
        return Control(path, label, "list", value, "count", optional=optional, help=help_)
    return None


def _rows(path: str, name: str, t: Any, items: list, node: dict, cls: type | None,
          measures: tuple[str, ...]) -> tuple[list[Row], str] | None:
    """Rows for a list of sub-models (tiers) or of number pairs (curve points)."""
    inner = tuple(_bare(a) for a in typing.get_args(t))
    if typing.get_origin(t) is not tuple or not inner:
        return None
    item = inner[0]
    word = name.rstrip("s") if name != "curve" else "point"
    rows = []
    if _is_model(item):
        for j, it in enumerate(items):
            controls = []
            for fname, finfo in item.model_fields.items():
                c = _scalar(f"{path}[{j}].{fname}", fname, finfo, it.get(fname), node, cls,
                            measures)
                if c is not None:
                    controls.append(c)
            rows.append(Row(f"{word.capitalize()} {j + 1}", tuple(controls), f"{path}[{j}]",
                            len(items) > 1))
        return rows, f"add a {word}"
    pair = typing.get_args(item)
    if typing.get_origin(item) is tuple and len(pair) == 2 and all(
            p in (int, float) for p in pair):
        labels = PAIR_LABELS.get(name, (("x", "number"), ("y", "number")))
        for j, it in enumerate(items):
            controls = tuple(Control(f"{path}[{j}][{k}]", lab, "number", it[k], unit)
                             for k, (lab, unit) in enumerate(labels))
            rows.append(Row(f"{word.capitalize()} {j + 1}", controls, f"{path}[{j}]",
                            len(items) > 1))
        return rows, f"add a {word}"
    return None


def plain(value: Any) -> Any:
    """A default as plan-file data: models as mappings, tuples as lists."""
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_defaults=True)
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def _fields(cls: type[BaseModel], node: dict, at: str, measures: tuple[str, ...]
            ) -> tuple[list[Control], list[Row], str, str, list[str]]:
    controls, rows, rows_path, add, notes = [], [], "", "", []
    for name, info in cls.model_fields.items():
        if name in SKIP:
            continue
        path = f"{at}.{name}" if at else name
        value = node.get(name, plain(info.default) if not info.is_required() else None)
        c = _scalar(path, name, info, value, node, cls, measures)
        if c is not None:
            controls.append(c)
            continue
        t, _ = _args(info.annotation)
        made = _rows(path, name, t, list(value or ()), node, cls, measures)
        if made is not None and not rows:
            rows, add = made
            rows_path = path
            continue
        if _is_model(t):
            if name in node:
                sub = [_scalar(f"{path}.{k}", k, i, node[name].get(k, i.default), node[name],
                               t, measures) for k, i in t.model_fields.items()]
                controls += [s for s in sub if s is not None]
            else:
                notes.append(f"no {name.replace('_', ' ')} (add one in the YAML file)")
            continue
        label, _ = _label(name, info)
        if name in node:
            notes.append(f"{label}: {node[name]!r} (edit in the YAML file)")
    return controls, rows, rows_path, add, notes


def component_title(node: dict, i: int) -> str:
    kind = str(node.get("type", "?"))
    return f"{node.get('name') or f'Component {i + 1}'} ({kind})"


def plan_form(tree: dict, measures: tuple[str, ...] = ()) -> list[Section]:
    """The sections of the form for a plan file's data (valid or not): the plan's own
    fields, then one section per component."""
    controls, _, _, _, notes = _fields(Plan, tree, "", measures)
    sections = [Section("plan", "The plan", tuple(controls), notes=tuple(notes))]
    comps = tree.get("components") or []
    for i, node in enumerate(comps):
        at = f"components[{i}]"
        cls = REGISTRY.get(str(node.get("type")))
        if cls is None:
            sections.append(Section(at, component_title(node, i), notes=(
                f"type {node.get('type')!r}: edit in the YAML file",), removable=True))
            continue
        c, rows, rows_path, add, notes = _fields(cls, node, at, measures)
        sections.append(Section(at, component_title(node, i), tuple(c), tuple(rows),
                                rows_path, add, tuple(notes), removable=len(comps) > 1))
    return sections


# ---- the one cap -----------------------------------------------------------------------

def cap_places(tree: dict) -> list[tuple[str, str]]:
    """(label, path) of where a cap can go: the plan (x TI) and each component that has a
    target (a weight) and a `cap` field."""
    places = [("no cap", ""), ("total variable pay (x TI)", "cap")]
    for i, node in enumerate(tree.get("components") or []):
        cls = REGISTRY.get(str(node.get("type")))
        if cls is not None and "cap" in cls.model_fields and node.get("weight") is not None:
            places.append((f"{node.get('name', f'component {i + 1}')} (x its target)",
                           f"components[{i}].cap"))
    return places


def caps_in(tree: dict) -> list[tuple[str, dict]]:
    """(path, cap) of every cap the plan file states, the plan's first."""
    found = [("cap", tree["cap"])] if isinstance(tree.get("cap"), dict) else []
    for i, node in enumerate(tree.get("components") or []):
        if isinstance(node.get("cap"), dict):
            found.append((f"components[{i}].cap", node["cap"]))
    return found


def cap_control(tree: dict) -> tuple[Control, list[str]]:
    """The one cap control (where the cap sits, and the multiple or amount), and notes on
    any further caps the file states (edited in the YAML file)."""
    caps = caps_in(tree)
    where, cap = caps[0] if caps else ("", {})
    unit: Unit = "money" if cap.get("amount") is not None else "times"
    value = cap.get("amount", cap.get("of_target"))
    labels = dict((p, lab) for lab, p in cap_places(tree))
    notes = [f"also capped: {labels.get(p, p)} at "
             f"{c.get('of_target', c.get('amount'))} (edit in the YAML file)" for p, c in caps[1:]]
    return Control(CAP, "cap", "cap", (where, value), unit,
                   choices=tuple(cap_places(tree)), optional=True,
                   help="pay stops growing at this multiple of the target"), notes


# ---- values in people's units -----------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$", re.I)


def show(value: Any, unit: Unit) -> str:
    """A value as its control shows it: 1.5 -> '150' (percent), 300000 -> '300,000'."""
    if value is None:
        return ""
    if unit == "percent":
        return f"{float(value) * 100:.10g}"
    if unit == "money":
        v = float(value)
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    if unit == "count" and isinstance(value, list | tuple):
        return ", ".join(str(int(v)) for v in value)
    return f"{float(value):.10g}" if isinstance(value, int | float) else str(value)


def suffix(unit: Unit, currency: str = "USD") -> str:
    return {"percent": "%", "money": currency, "times": "x"}.get(unit, "")


def parse(text: str, unit: Unit) -> float | int | None:
    """What a person typed, in the control's unit, as the plan file's value; None for an
    empty box. ValueError says in words what could not be read."""
    raw = text.strip()
    if not raw:
        return None
    cleaned = raw.replace(",", "").replace("_", "").replace(" ", "")
    cleaned = re.sub(r"^[$€£¥]|(%|x|×|[A-Z]{3})$", "", cleaned, flags=re.I)
    if not _NUMBER.match(cleaned):
        example = {"percent": "150 (for 150 %)", "money": "300,000", "times": "2.5",
                   "count": "3"}.get(unit, "2.5")
        raise ValueError(f"“{raw}” is not a number: type digits, e.g. {example}")
    value = float(cleaned)
    if unit == "percent":
        return round(value / 100, 12)
    if unit in ("money", "count") and value.is_integer():
        return int(value)
    if unit == "count":
        raise ValueError(f"“{raw}” is not a whole number")
    return value


def parse_list(text: str) -> list[int] | None:
    """'1, 2, 3' -> [1, 2, 3]; empty -> None."""
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    if not parts:
        return None
    if not all(p.isdigit() for p in parts):
        raise ValueError(f"“{text.strip()}”: type whole numbers separated by commas, "
                         "e.g. 1, 2, 3")
    return [int(p) for p in parts]
