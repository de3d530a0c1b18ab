"""The plan designer's logic, without widgets: a plan file's data edited value by value and
tier by tier (with undo, redo and reset), checked like a file and for the role it is meant
for, its problems in the designer's words, and the figures the charts and table show.

A `Design` holds the plan as data (`tree`). Every edit makes a new tree and keeps the old
one for undo; the file's own tree is `file_tree`, so reset and "back to the original" are
exact. The role's credit is drawn once (`simulation.RoleSimulation`) and the plans are
paid on the same draws (common random numbers), so the difference between the file's plan
and the edited one is the design's alone.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spmsim.config import SAFE_NAME_RULE, is_safe_name, read_yaml
from spmsim.designer.form import CAP, Control, Section, cap_control, parse, parse_list, plan_form
from spmsim.designer.messages import plan_problems
from spmsim.designer.save import add_variant, is_plan_file_name, save_plan
from spmsim.designer.simulation import (
    TABLE_ROWS,
    Columns,
    Limit,
    RoleSimulation,
    budget_share,
    columns,
    cost_bins,
    curve_quotas,
    curves,
    distributions,
    quick_summary,
    role_scenario,
    stack,
    study_limits,
)
from spmsim.engines.results import Results
from spmsim.errors import InputError, Problem, SpmsimError
from spmsim.io import atomic_write_text, resolve_path
from spmsim.model.scenario import read_scenario_tree
from spmsim.overrides import parse_path
from spmsim.plans import Plan, plan_from_dict
from spmsim.plans.components import REGISTRY
from spmsim.plans.describe import describe_plan
from spmsim.studies.study import load_study

CURRENT, EDITED = "current", "edited"
HISTORY = 100  # undo steps kept


def existing_file(path: str | Path, what: str) -> Path:
    """`resolve_path`, or InputError naming where it looked."""
    found = resolve_path(path)
    if not found.is_file():
        raise InputError(path, f"no {what} file in {Path.cwd()} or a folder above it: give "
                         "a path from the repository root, or an absolute one")
    return found


# ---- the plan's data, edited -------------------------------------------------------------

def get(tree: Any, path: str) -> Any:
    """The value at `path`, or None when any step is missing."""
    node = tree
    for part in parse_path(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def with_value(tree: dict, path: str, value: Any) -> dict:
    """A copy of `tree` with `path` set to `value` (None removes a key, and deletes a list
    item); missing mappings on the way are made."""
    root = copy.deepcopy(tree)
    parts = parse_path(path)
    node: Any = root
    for part, nxt in zip(parts[:-1], parts[1:], strict=True):
        if isinstance(node, dict) and not isinstance(node.get(part), dict | list):
            node[part] = [] if isinstance(nxt, int) else {}
        node = node[part]
    last = parts[-1]
    if value is None:
        if isinstance(node, dict):
            node.pop(last, None)
        elif isinstance(node, list) and isinstance(last, int) and last < len(node):
            del node[last]
    elif isinstance(node, list) and isinstance(last, int) and last == len(node):
        node.append(value)
    else:
        node[last] = value
    return root


def leaves(tree: Any, at: str = "") -> dict[str, Any]:
    """Every plain value of a tree by its path: `components[0].tiers[1].rate` -> 2.0."""
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(leaves(v, f"{at}.{k}" if at else str(k)))
        return out
    if isinstance(tree, list) and any(isinstance(v, dict | list) for v in tree):
        out = {}
        for i, v in enumerate(tree):
            out.update(leaves(v, f"{at}[{i}]"))
        return out
    return {at: tree}


def tree_key(tree: dict) -> str:
    return json.dumps(tree, sort_keys=True, default=str)


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name} {n}" in taken:
        n += 1
    return f"{name} {n}"


# ---- what the designer shows --------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """The edited plan checked: the plan when valid, and the problems in words by the
    control (path), section (`components[i]`) or GENERAL ("") that shows them."""

    plan: Plan | None
    problems: dict[str, list[str]]

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.problems


@dataclass(frozen=True)
class Figures:
    """What the simulation gives the charts and the table for both plans."""

    payout: Columns  # variant, bin_lo, share: earnings / OTE across reps
    cost: Columns  # variant, bin_lo, bin_hi, share: variable pay per plan year
    marks: Columns  # mark, value: the budget and the cost-of-sales limit in money
    table: dict[str, dict[str, float]]  # plan -> row key -> value
    checks: dict[str, dict[str, bool]]  # row key -> plan -> limit met
    trials: int


class Design:
    """A plan file being edited for one role of a scenario, simulated as it changes.

    plan: a plan file, or None for the plan the scenario gives the role. `current` is the
    plan as its file has it, `edited` the plan being designed; both are paid on the same
    draws. study: a study file whose constraints are checked (and which a saved plan can
    join as a variant)."""

    def __init__(self, plan: str | Path | None, scenario: str | Path, role: str, *,
                 trials: int = 256, seed: int | None = None,
                 save_dir: str | Path | None = None, study: str | Path | None = None,
                 sim: RoleSimulation | None = None):
        self.scenario_path = existing_file(scenario, "scenario")
        self.role = role
        if plan is None:  # the role's plan as the scenario has it (overrides applied)
            plan, tree = self.role_plan(self.scenario_path, role)
            self.plan_path = existing_file(plan, "plan")
        else:
            self.plan_path = existing_file(plan, "plan")
            tree = read_yaml(self.plan_path)
        self.original = plan_from_dict(tree, self.plan_path)
        self.file_tree: dict = tree  # type: ignore[assignment]  # a mapping: validated above
        self.tree: dict = copy.deepcopy(self.file_tree)
        self.undo_stack: list[dict] = []
        self.redo_stack: list[dict] = []
        self.scenario = role_scenario(self.scenario_path, role, self.tree, self.plan_path)
        self.sim = sim if sim is not None and sim.role == role else RoleSimulation(
            self.scenario, role, trials, seed)
        self.quotas = curve_quotas(self.scenario, role)
        market = self.scenario.market[role]
        self.measures = tuple(market.produces())
        self.money_measures = tuple(market.money_measures())
        self.score_measures = tuple(getattr(market, "scores", {}) or ())
        self.save_dir = resolve_path(save_dir) if save_dir else self.plan_path.parent
        self.study_path = resolve_path(study) if study else None
        self.budget, self.budget_note = budget_share(self.scenario, role)
        self.limits = self._limits()
        self._current: tuple[Columns, Results] | None = None
        self._runs: OrderedDict[str, Results] = OrderedDict()

    @staticmethod
    def role_plan(scenario: Path, role: str) -> tuple[Path, dict]:
        """The plan file the scenario names for `role` and the plan's data as the scenario
        has it (with the changes a scenario that `extends:` another makes)."""
        roles = (read_scenario_tree(scenario).get("org") or {}).get("roles") or {}
        spec = roles.get(role) or {}
        if not spec.get("plan_file") or not isinstance(spec.get("plan"), dict):
            raise InputError(scenario, [Problem(f"org.roles.{role}.plan", "the designer edits "
                                                "plan files: name one here")])
        return Path(spec["plan_file"]), spec["plan"]

    def _limits(self) -> list[Limit]:
        if self.study_path is None or not self.study_path.is_file():
            return []
        try:
            return study_limits(load_study(self.study_path).constraints, self.role)
        except SpmsimError:
            return []

    # ---- the form ------------------------------------------------------------------------

    def form(self) -> tuple[list[Section], Control, list[str]]:
        """The sections of controls for the edited plan, the one cap control and notes on
        further caps the file states."""
        cap, notes = cap_control(self.tree)
        return plan_form(self.tree, self.measures), cap, notes

    def controls(self) -> dict[str, Control]:
        sections, cap, _ = self.form()
        found = {c.path: c for s in sections for c in s.controls}
        found.update({c.path: c for s in sections for r in s.rows for c in r.controls})
        found[CAP] = cap
        return found

    # ---- edits (each one undoable) --------------------------------------------------------

    def _apply(self, tree: dict) -> None:
        if tree == self.tree:
            return
        self.undo_stack = [*self.undo_stack[-HISTORY + 1:], self.tree]
        self.redo_stack = []
        self.tree = tree

    def set(self, path: str, value: Any) -> None:
        """Set one value of the plan (None removes it)."""
        self._apply(with_value(self.tree, path, value))

    def enter(self, control: Control, text: str) -> None:
        """Set a control's value from what a person typed or chose; ValueError (in words)
        when it cannot be read, and nothing changes then."""
        if control.kind == "number":
            value = parse(text, control.unit)
            if value is None and not control.optional:
                raise ValueError("type a number" + (" (it can't be empty)"))
            self.set(control.path, value)
        elif control.kind == "list":
            self.set(control.path, parse_list(text))
        elif control.kind == "text":
            self.set(control.path, text.strip() or (None if control.optional else ""))
        else:
            self.set(control.path, text)

    def set_cap(self, where: str, text: str, unit: str = "times") -> None:
        """Put the one cap at `where` ("" for none, "cap" for the plan, a component's cap
        path) at the multiple (or amount) typed; the cap it replaces is removed."""
        caps = [p for p in ("cap", *(f"components[{i}].cap" for i in
                                      range(len(self.tree.get("components") or []))))
                if isinstance(get(self.tree, p), dict)]
        old = caps[0] if caps else ""
        value = parse(text, "money" if unit == "money" else "times")
        tree = with_value(self.tree, old, None) if old else self.tree
        if where and value is None:
            raise ValueError("type the cap's multiple, e.g. 3 (or choose “no cap”)")
        if where:
            kept = get(self.tree, old) or {}
            key = "amount" if unit == "money" and where == old else "of_target"
            cap = {key: value, **({"per": kept["per"]} if key == "amount" and "per" in kept
                                  else {})}
            tree = with_value(tree, where, cap)
        self._apply(tree)

    def add_row(self, rows_path: str) -> None:
        """Add a tier (just before the open last one, at its rate: the payout does not
        change until its edge or rate does) or a curve point, or copy a list's last item."""
        items = list(get(self.tree, rows_path) or [])
        if rows_path.endswith(".tiers"):
            comp = get(self.tree, rows_path.rsplit(".", 1)[0]) or {}
            ends = [t["upto"] for t in items if isinstance(t, dict) and t.get("upto")]
            start = ends[-1] if ends else 0.0
            amount = comp.get("tier_basis") == "amount"
            step = (start * 0.5 or 100000.0) if amount else 0.5
            edge = round(start + step, 10) if start else (100000 if amount else 1.0)
            rate = items[-1].get("rate", 1.0) if items else 1.0
            items.insert(max(len(items) - 1, 0), {"upto": edge, "rate": rate})
        elif rows_path.endswith(".curve") and items:
            x, y = items[-1]
            items.append([round(x + 0.1, 10), y])
        elif items:
            items.append(copy.deepcopy(items[-1]))
        else:
            return
        self.set(rows_path, items)

    def remove_row(self, item_path: str) -> None:
        """Remove a tier (removing the last makes the one before it open-ended), a point
        or an item."""
        rows_path, _, index = item_path.rpartition("[")
        j = int(index.rstrip("]"))
        items = copy.deepcopy(list(get(self.tree, rows_path) or []))
        if not 0 <= j < len(items) or len(items) < 2:
            return
        del items[j]
        if rows_path.endswith(".tiers") and j == len(items) and isinstance(items[-1], dict):
            items[-1].pop("upto", None)
        self.set(rows_path, items)

    def component_kinds(self) -> list[str]:
        """The registered component types a new component can be."""
        return list(REGISTRY)

    def new_component(self, kind: str) -> dict:
        """A new component of a registered type, valid on its own: named, on a measure the
        role's market credits (a score for scored types), with 10 % of TI when it takes a
        weight."""
        cls = REGISTRY[kind]
        taken = {str(c.get("name")) for c in self.tree.get("components") or []}
        scored = getattr(cls, "scored", False)
        pool = (self.score_measures if scored else self.money_measures) or self.measures
        node: dict[str, Any] = {"name": _unique(f"New {kind}", taken), "type": kind,
                                "measure": pool[0] if pool else "new_arr"}
        fields = cls.model_fields
        if "weight" in fields:
            node["weight"] = 0.1
        if "tiers" in fields:
            node["tiers"] = [{"rate": 1.0}]
        if kind == "bonus" or ("curve" in fields and fields["curve"].is_required()):
            node["curve"] = [[1.0, 1.0]]
        if "per_deal" in fields and "per_unit" in fields:
            node["per_deal"] = 500
        if "prizes" in fields and "each" in fields:
            node["prizes"] = [5000, 2500, 1000]
        return node

    def add_component(self, kind: str) -> None:
        comps = list(self.tree.get("components") or [])
        self.set("components", [*comps, self.new_component(kind)])

    def remove_component(self, i: int) -> None:
        comps = list(self.tree.get("components") or [])
        if len(comps) > 1 and 0 <= i < len(comps):
            self.set("components", comps[:i] + comps[i + 1:])

    def reset(self) -> None:
        """Back to the plan file's plan (undoable)."""
        self._apply(copy.deepcopy(self.file_tree))

    def undo(self) -> bool:
        if not self.undo_stack:
            return False
        self.redo_stack.append(self.tree)
        self.tree = self.undo_stack.pop()
        return True

    def redo(self) -> bool:
        if not self.redo_stack:
            return False
        self.undo_stack.append(self.tree)
        self.tree = self.redo_stack.pop()
        return True

    def changes(self) -> list[str]:
        """The edits in words: `components[0].tiers[1].rate: 2.0 -> 2.5`."""
        before, after = leaves(self.file_tree), leaves(self.tree)
        out = []
        for path in dict.fromkeys([*before, *after]):
            old, new = before.get(path), after.get(path)
            if old != new:
                out.append(f"{path}: {'none' if old is None else old} -> "
                           f"{'none' if new is None else new}")
        return out

    # ---- checking ----------------------------------------------------------------------------

    def check(self) -> Check:
        """The edited plan validated like a file, and for the role: it must pay on measures
        the role's market credits, with quotas where it needs them."""
        sections, cap, _ = self.form()
        controls = {c.path: c for s in sections for c in s.controls}
        controls.update({c.path: c for s in sections for r in s.rows for c in r.controls})
        controls[CAP] = cap
        currency = str(self.tree.get("currency", "USD"))
        try:
            plan = Plan.model_validate(self.tree)
        except ValidationError as e:
            return Check(None, plan_problems(e, controls, sections, currency))
        problems: dict[str, list[str]] = {}
        quota_measures = self.scenario.org.roles[self.role].quota_measures()
        for i, c in enumerate(plan.components):
            at = f"components[{i}].measure"
            if getattr(c, "credit", "rep") == "team":
                problems.setdefault(f"components[{i}].credit", []).append(
                    "Team credit is not simulated for a role yet: choose “the rep”")
            if c.measure not in self.measures:
                problems.setdefault(at, []).append(
                    f"The {self.role} reps are not credited with {c.measure.replace('_', ' ')}"
                    f": choose one of {', '.join(m.replace('_', ' ') for m in self.measures)}")
            elif c.needs_quota and c.measure not in quota_measures:
                problems.setdefault(at, []).append(
                    f"The {self.role} reps have no quota on {c.measure.replace('_', ' ')}: "
                    f"this component needs one (choose {', '.join(quota_measures)})")
        return Check(plan, problems)

    def plan(self) -> Plan:
        """The edited plan, validated; InputError names the field paths at fault."""
        return plan_from_dict(self.tree, self.plan_path)

    # ---- figures ------------------------------------------------------------------------------

    def describe(self, plan: Plan) -> str:
        return describe_plan(plan)

    def curves(self, plan: Plan) -> Columns:
        """The payout curves of the file's plan and of `plan` (% of TI against attainment)."""
        return stack([self.current()[0], curves({EDITED: plan}, self.quotas)])

    def current(self) -> tuple[Columns, Results]:
        """The file's plan: its curve and results on the fast draws."""
        if self._current is None:
            self._current = (curves({CURRENT: self.original}, self.quotas),
                             self.sim.run(self.original))
        return self._current

    def run(self, plan: Plan) -> Results:
        """`plan` paid on the fast draws (the last few plans are remembered, so undo and
        redo are immediate)."""
        key = plan.model_dump_json()
        if key in self._runs:
            self._runs.move_to_end(key)
            return self._runs[key]
        results = self.sim.run(plan)
        self._runs[key] = results
        while len(self._runs) > 16:
            self._runs.popitem(last=False)
        return results

    def figures(self, plan: Plan, full: tuple[Results, Results] | None = None) -> Figures:
        """Earnings, cost and the table for the file's plan against `plan`: on the fast
        draws, or on full-count results (edited, current) when given."""
        edited, now = full if full is not None else (self.run(plan), self.current()[1])
        results = {CURRENT: now, EDITED: edited}
        sums = {k: quick_summary(r, self.budget) for k, r in results.items()}
        table = {k: {key: float(s[key]) for key, _, _ in TABLE_ROWS} for k, s in sums.items()}
        limits = {lim.row: lim for lim in self.limits}
        checks = {row: {k: lim.met(table[k][row]) for k in results}
                  for row, lim in limits.items()}
        pays = {k: r.trial["variable_pay"][:, 0] for k, r in results.items()}
        marks = []
        if self.budget is not None:
            marks.append(("budget share", self.budget))
        cos = limits.get("cost_of_sales")
        if cos is not None and cos.max is not None:
            marks.append((f"cost of sales limit ({cos.max:.0%} of median revenue)",
                          cos.max * sums[CURRENT]["revenue_p50"]))
        return Figures(payout=distributions(results, "earnings_vs_ote", self.role),
                       cost=cost_bins(pays),
                       marks=columns(mark=[m for m, _ in marks],
                                     value=[float(v) for _, v in marks]),
                       table=table, checks=checks, trials=edited.n_trials)

    def attainment(self) -> Columns:
        """The role's attainment across reps (the same under every plan)."""
        return distributions({"simulated": self.current()[1]}, "attainment", self.role)

    def run_full(self, plan: Plan, trials: int,
                 on_chunk: Callable[[int], None] | None = None) -> tuple[Results, Results]:
        """(edited plan, file's plan) over `trials` plan years, chunk by chunk."""
        return (self.sim.run_more(plan, trials, on_chunk=on_chunk),
                self.sim.run_more(self.original, trials, on_chunk=on_chunk))

    # ---- saving ----------------------------------------------------------------------------------

    def save(self, file_name: str, plan_name: str, *, variant: str | None = None,
             description: str = "", overwrite: bool = False) -> list[Path]:
        """Write the edited plan to `save_dir/file_name`; with `variant`, add it to the study
        as a variant putting the role on it, described in words (`describe_plan`) unless a
        description is given. Everything is checked first: on any error nothing is written
        (a plan written before a failing study edit is taken back)."""
        tree = {**self.tree, "plan": plan_name or self.original.plan}
        path = self.save_dir / file_name
        plan = plan_from_dict(tree, path)
        if not is_plan_file_name(file_name):
            raise InputError(path, "a plan file name is letters, digits, `_.-`, ending in .yaml")
        if path.exists() and not overwrite:
            raise InputError(path, "the file exists: choose another name or overwrite it")
        if variant is not None:
            self._check_study(variant, tree, path)
        header = [f"{plan.plan}: made with the spmsim plan designer from "
                  f"{self.plan_path.name}.", *(f"  {c}" for c in self.changes())]
        before = path.read_text() if path.exists() else None
        written = [save_plan(tree, path, header="\n".join(header), overwrite=overwrite)]
        if variant is not None:
            try:
                written.append(add_variant(self.study_path, variant, path, self.role,
                                           description or describe_plan(plan)))
            except BaseException:
                if before is None:
                    path.unlink(missing_ok=True)
                else:
                    atomic_write_text(path, before)
                raise
        return written

    def _check_study(self, variant: str, tree: dict, plan_path: Path) -> None:
        if self.study_path is None:
            raise InputError("<study>", "name a study file to add the variant to")
        study = load_study(self.study_path)
        if not is_safe_name(variant):
            raise InputError(self.study_path, [Problem(
                f"variants.{variant}", f"a variant name is {SAFE_NAME_RULE}")])
        if variant in study.variants:
            raise InputError(self.study_path, [Problem(f"variants.{variant}",
                                                       "exists: choose another variant name")])
        role_scenario(self.study_path.parent / study.base, self.role, tree, plan_path)
