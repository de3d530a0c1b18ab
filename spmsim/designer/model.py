"""The plan designer's logic, without widgets: a plan file edited field by field (dotted-path
edits on the parsed YAML, validated like a file), one role of a scenario drawn once and paid
under each edited plan, the tables the designer's charts show, and saving (`plansave`).

The Monte Carlo engine's credit does not depend on the plan (it has no behaviour), so the
designer draws the role's credit, staffing and deal counts once and re-runs only the payout
step on every change; its figures equal the engine's for the same seed and trials.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from spmsim.calendar import PlanCalendar
from spmsim.config import SAFE_NAME_RULE, is_safe_name, read_yaml
from spmsim.designer.save import add_variant, is_plan_file_name, save_plan
from spmsim.engines.metrics import assemble, chunk_stats
from spmsim.engines.montecarlo import BLOCK, Chunk, chunk_trials, draw_role
from spmsim.engines.payroll import Draws, role_year
from spmsim.engines.results import Results
from spmsim.errors import InputError, Problem
from spmsim.io import atomic_write_text, resolve_path
from spmsim.model.scenario import Scenario, read_scenario_tree, scenario_from_tree
from spmsim.overrides import parse_path, set_path
from spmsim.plans import Plan, payout_curve, plan_from_dict
from spmsim.plans.components import Commission
from spmsim.studies.study import load_study

Kind = Literal["money", "share", "edge", "rate", "multiple"]
CURRENT, EDITED = "current", "edited"
# (summary row of Results.summary(), label in the designer's table)
TABLE_ROWS = (("variable pay P10", "cost P10"), ("variable pay P50", "cost P50"),
              ("variable pay P90", "cost P90"), ("cost of sales (P50)", "cost of sales"),
              ("share of reps at quota", "share at quota"),
              ("earnings/OTE, P50 rep", "earnings/OTE, median rep"))


def existing_file(path: str | Path, what: str) -> Path:
    """`resolve_path`, or InputError naming where it looked."""
    found = resolve_path(path)
    if not found.is_file():
        raise InputError(path, f"no {what} file in {Path.cwd()} or a folder above it: give "
                         "a path from the repository root, or an absolute one")
    return found


# ---- the fields a designer edits ------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """A number in a plan file that the designer edits.

    path: where it lives in the plan (`components[0].tiers[1].rate`); for a cap, the cap
    itself (`components[0].cap`) and `key` the number inside it (`of_target` or `amount`).
    optional: 0 removes the field (no threshold, no cap)."""

    path: str
    label: str
    kind: Kind
    value: float
    group: str
    key: str | None = None
    optional: bool = False

    def edit(self, value: float, original: Any) -> Any:
        """The value to set at `path` for the control's `value` (None: remove the field)."""
        if self.optional and value == 0:
            return None
        if self.kind == "money" and float(value).is_integer():
            value = int(value)
        if self.key is None:
            return value
        kept = {k: v for k, v in (original or {}).items() if k in ("per",)}
        return {**kept, self.key: value}


def _cap_field(path: str, cap, group: str, what: str) -> Field:
    if cap is not None and cap.amount is not None:
        return Field(path, f"cap, amount per {cap.per}", "money", cap.amount, group, "amount",
                     optional=True)
    return Field(path, f"cap, x {what} (0: none)", "multiple",
                 0.0 if cap is None else cap.of_target, group, "of_target", optional=True)


def _tier_label(c: Commission, j: int) -> str:
    lower = c.edges[j]
    above = c.tier_basis == "attainment" and lower >= 1.0 and c.rate_values[j] > 1.0
    return f"tier {j + 1} rate" + (" (accelerator)" if above else "")


def plan_fields(plan: Plan) -> list[Field]:
    """The fields the designer shows for `plan`, grouped by the plan and each component."""
    top = "plan"
    fields = [Field("ote", "OTE", "money", plan.ote, top),
              Field("base_share", "base share (pay mix)", "share", plan.base_share, top),
              _cap_field("cap", plan.cap, top, "TI")]
    for i, c in enumerate(plan.components):
        at, group = f"components[{i}]", f"{c.name} ({c.type})"
        if c.weight is not None:
            fields.append(Field(f"{at}.weight", "weight of TI", "share", c.weight, group))
        if c.type == "commission":
            edge = "edge, x quota" if c.tier_basis == "attainment" else "edge, amount"
            for j, tier in enumerate(c.tiers):
                if tier.upto is not None:
                    fields.append(Field(f"{at}.tiers[{j}].upto", f"tier {j + 1} {edge}",
                                        "edge", tier.upto, group))
                fields.append(Field(f"{at}.tiers[{j}].rate", _tier_label(c, j), "rate",
                                    tier.rate, group))
            fields.append(Field(f"{at}.threshold", "threshold (0: none)", "edge",
                                c.threshold or 0.0, group, optional=True))
        if c.type == "spiff":
            key = "per_unit" if c.per_unit is not None else "per_deal"
            fields.append(Field(f"{at}.{key}", key.replace("_", " "), "money",
                                getattr(c, key), group))
        elif c.weight is not None:
            fields.append(_cap_field(f"{at}.cap", c.cap, group, "target"))
    return fields


def _get(tree: Any, path: str) -> Any:
    node = tree
    for part in parse_path(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _remove(tree: dict, path: str) -> dict:
    """A copy of `tree` without the key at `path` (a missing key is fine)."""
    *head, last = parse_path(path)
    parent_path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in head)
    parent = _get(tree, parent_path.lstrip(".")) if head else tree
    if not isinstance(parent, dict) or last not in parent:
        return tree
    kept = {k: v for k, v in parent.items() if k != last}
    return set_path(tree, parent_path.lstrip("."), kept) if head else kept


def edited_tree(tree: dict, edits: dict[str, Any]) -> dict:
    """The plan file's data with the edits applied (None removes a key); never mutates."""
    for path, value in edits.items():
        tree = _remove(tree, path) if value is None else set_path(tree, path, value)
    return tree


_LEADING_PATH = re.compile(r"^([A-Za-z_][\w]*(?:\[\d+\])?(?:\.[A-Za-z_]\w*|\[\d+\])*): ")


def locate(problem: Problem) -> tuple[str, str]:
    """(the most precise field path, the message without it): a validator's message may
    start with a path below its location (`components[0].tiers` + `tiers[1].upto: ...`)."""
    m = _LEADING_PATH.match(problem.message)
    if not m:
        return problem.where, problem.message
    inner = m.group(1)
    head = parse_path(inner)[0]
    where = problem.where
    if where and parse_path(where)[-1] == head:
        where = where[: where.rfind(str(head))].rstrip(".")
    return (f"{where}.{inner}" if where else inner), problem.message[m.end():]


def field_for(path: str, fields: list[Field]) -> Field | None:
    """The field a problem at `path` belongs to: the field itself, the field holding it (a
    cap), or the first field inside it; None when no field edits it."""
    def within(inner: str, outer: str) -> bool:
        return inner == outer or inner.startswith((outer + ".", outer + "["))
    holding = [f for f in fields if within(path, f.path)]
    if holding:
        return max(holding, key=lambda f: len(f.path))
    return next((f for f in fields if path and within(f.path, path)), None)


# ---- the role, drawn once and paid under any plan -------------------------------------

def role_scenario(scenario_path: str | Path, role: str, plan_tree: dict,
                  plan_path: str | Path) -> Scenario:
    """The scenario with `role` on the plan of `plan_tree`, validated as a whole (the plan
    must pay on measures the role's market credits, with quotas where it needs them)."""
    tree = read_scenario_tree(scenario_path)
    roles = (tree.get("org") or {}).get("roles") or {}
    if role not in roles:
        raise InputError(scenario_path, [Problem("org.roles", f"no role {role!r}; roles: "
                                                 f"{', '.join(roles) or 'none'}")])
    tree = set_path(tree, f"org.roles.{role}.plan", plan_tree)
    tree = set_path(tree, f"org.roles.{role}.plan_file", str(plan_path))
    return scenario_from_tree(tree, scenario_path)


class RoleSimulation:
    """One role of a scenario over `trials` plan years, its draws made once."""

    def __init__(self, scenario: Scenario, role: str, trials: int, seed: int | None = None):
        if trials < 1:
            raise ValueError("trials must be at least 1")
        self.scenario, self.role, self.trials = scenario, role, trials
        self.seed = scenario.seed if seed is None else seed
        self.months = PlanCalendar(scenario.year_start, "month")
        self.index = list(scenario.org.roles).index(role)
        self._root = np.random.SeedSequence(self.seed)
        self._echo = scenario.echo()
        self.draws = self._draw(0, trials)

    def _draw(self, start: int, stop: int) -> Draws:
        chunk = Chunk(self._root, start, stop, self.months.period_days)
        return draw_role(self.scenario, chunk, self.index, self.role)

    def _stats(self, plan: Plan, draws: Draws, start: int):
        role = self.scenario.org.roles[self.role].model_copy(update={"plan": plan})
        year = role_year(role, self.scenario.market[self.role], draws, self.months)
        return chunk_stats(start, {self.role: year})

    def _results(self, plan: Plan, chunks: list, trials: int) -> Results:
        echo = dict(self._echo)
        roles = {**echo["org"]["roles"]}
        roles[self.role] = {**roles[self.role], "plan": plan.model_dump(mode="json")}
        echo["org"] = {**echo["org"], "roles": roles}
        return assemble(chunks, trials, scenario=echo, engine="montecarlo",
                        seed=int(self._root.entropy), roles=[self.role],
                        months=self.months.labels)

    def run(self, plan: Plan) -> Results:
        """Results of the role (group `role`; `all` is the role alone) under `plan`."""
        return self._results(plan, [self._stats(plan, self.draws, 0)], self.trials)

    def run_more(self, plan: Plan, trials: int, *, memory_mb: float = 256,
                 on_chunk: Callable[[int], None] | None = None) -> Results:
        """`trials` plan years under `plan`, drawn chunk by chunk (bounded memory), not
        kept; the first trials are the same draws as this simulation's."""
        size = chunk_trials(self.scenario, memory_mb, 1)
        size = BLOCK * max(1, min(size, 4 * BLOCK) // BLOCK)  # small chunks: visible progress
        chunks = []
        for start in range(0, trials, size):
            stop = min(start + size, trials)
            chunks.append(self._stats(plan, self._draw(start, stop), start))
            if on_chunk:
                on_chunk(stop - start)
        return self._results(plan, chunks, trials)


# ---- what the charts and the table show -----------------------------------------------

def curve_quotas(scenario: Scenario, role: str) -> dict[str, float]:
    """The role's mean quota per measure, for plans with amount tiers or percent rates."""
    r = scenario.org.roles[role]
    return {m: float(np.mean(r.quota_for(m))) for m in r.quota_measures()}


def curves(plans: dict[str, Plan], quotas: dict[str, float]) -> pd.DataFrame:
    """Each plan's total payout curve (% of TI against attainment), one `variant` each."""
    frames = []
    for name, plan in plans.items():
        c = payout_curve(plan, quotas=quotas)
        frames.append(c[c["component"] == "Total"].assign(variant=name))
    return pd.concat(frames, ignore_index=True)[["variant", "attainment", "pct_of_ti"]]


def distributions(results: dict[str, Results], name: str, group: str, step: float = 0.05,
                  upto: float = 3.0) -> pd.DataFrame:
    """Share of reps per bin of width `step` (pooled over trials) below `upto`, per variant:
    the Results histograms (0.01 wide) summed into fewer, steadier bins."""
    per = round(step / 0.01)
    frames = []
    for variant, r in results.items():
        d = r.distribution(name, group)
        d = d[d["bin_lo"] < upto - 1e-9]
        share = d["share"].to_numpy()
        share = share[: len(share) // per * per].reshape(-1, per).sum(axis=1)
        frames.append(pd.DataFrame({"variant": variant,
                                    "bin_lo": np.arange(len(share)) * step, "share": share}))
    return pd.concat(frames, ignore_index=True)


def cost_table(summaries: dict[str, pd.Series]) -> pd.DataFrame:
    """Cost P10/P50/P90 per plan year, cost of sales, share at quota and the median rep's
    earnings/OTE: one column per variant (its column of `Results.summary()`), one row per
    metric."""
    table = pd.DataFrame({v: [s[row] for row, _ in TABLE_ROWS] for v, s in summaries.items()},
                         index=[label for _, label in TABLE_ROWS])
    table.index.name = "metric"
    return table


# ---- a design session -------------------------------------------------------------------

@dataclass(frozen=True)
class View:
    """What the designer shows for one state of the plan."""

    curves: pd.DataFrame  # variant, attainment, pct_of_ti
    payout: pd.DataFrame  # variant, bin_lo, share: earnings / OTE across reps
    attainment: pd.DataFrame  # variant, bin_lo, share
    table: pd.DataFrame  # metric x variant
    trials: int


class Design:
    """A plan file being edited for one role of a scenario, simulated as it changes.

    `current` is the plan as the file has it, `edited` the plan with the edits; both are
    paid on the same draws (common random numbers), so their difference is the design's."""

    def __init__(self, plan: str | Path, scenario: str | Path, role: str, *,
                 trials: int = 256, seed: int | None = None,
                 save_dir: str | Path | None = None, study: str | Path | None = None):
        self.plan_path = existing_file(plan, "plan")
        tree = read_yaml(self.plan_path)
        self.original = plan_from_dict(tree, self.plan_path)
        self.tree: dict = tree  # type: ignore[assignment]  # a mapping: validated above
        self.scenario_path = existing_file(scenario, "scenario")
        self.role = role
        self.scenario = role_scenario(self.scenario_path, role, self.tree, self.plan_path)
        self.fields = plan_fields(self.original)
        self.edits: dict[str, Any] = {}
        self.sim = RoleSimulation(self.scenario, role, trials, seed)
        self.quotas = curve_quotas(self.scenario, role)
        self.save_dir = resolve_path(save_dir) if save_dir else self.plan_path.parent
        self.study_path = resolve_path(study) if study else None
        self._current: tuple[pd.DataFrame, Results, pd.Series] | None = None

    def field(self, path: str) -> Field:
        found = next((f for f in self.fields if f.path == path), None)
        if found is None:
            raise KeyError(f"no field {path!r}; fields: {', '.join(f.path for f in self.fields)}")
        return found

    def set(self, path: str, value: float) -> None:
        """Edit one field (0 on an optional field removes it); back to the file's value
        drops the edit."""
        original = _get(self.tree, path)
        new = self.field(path).edit(value, original)
        if new == original:
            self.edits.pop(path, None)
        else:
            self.edits[path] = new

    def edited_tree(self, name: str | None = None) -> dict:
        tree = edited_tree(self.tree, self.edits)
        return tree if name is None else {**tree, "plan": name}

    def plan(self) -> Plan:
        """The edited plan, validated; InputError names the field paths at fault."""
        return plan_from_dict(self.edited_tree(), self.plan_path)

    def problems(self, error: InputError) -> dict[str | None, list[str]]:
        """An error's messages by the field path that shows them (None: no field edits it)."""
        out: dict[str | None, list[str]] = {}
        for p in error.problems:
            path, message = locate(p)
            f = field_for(path, self.fields)
            out.setdefault(f.path if f else None, []).append(f"{path}: {message}"
                                                             if path else message)
        return out

    def changes(self) -> list[str]:
        """The edits in words: `components[0].tiers[1].rate: 2.0 -> 2.5`."""
        def show(v: Any, key: str | None) -> str:
            v = v.get(key) if key and isinstance(v, dict) else v
            return "none" if v is None else str(v)
        out = []
        for path, v in self.edits.items():
            key = self.field(path).key
            out.append(f"{path}{'.' + key if key else ''}: {show(_get(self.tree, path), key)}"
                       f" -> {show(v, key)}")
        return out

    def current(self) -> tuple[pd.DataFrame, Results, pd.Series]:
        """The file's plan: its curve, results on the fast draws and their summary."""
        if self._current is None:
            results = self.sim.run(self.original)
            self._current = (curves({CURRENT: self.original}, self.quotas), results,
                             results.summary()[self.role])
        return self._current

    def view(self, plan: Plan, full: Results | None = None,
             full_current: Results | None = None) -> View:
        """Curves, distributions and the cost table of the file's plan against `plan`:
        on the fast draws, or on full-count results when given."""
        curve_now, results_now, summary_now = self.current()
        group = self.role
        if full is not None and full_current is not None:
            results = {CURRENT: full_current, EDITED: full}
            summaries = {CURRENT: full_current.summary()[group]}
        else:
            results = {CURRENT: results_now, EDITED: self.sim.run(plan)}
            summaries = {CURRENT: summary_now}
        summaries[EDITED] = results[EDITED].summary()[group]
        both = pd.concat([curve_now, curves({EDITED: plan}, self.quotas)], ignore_index=True)
        return View(curves=both,
                    payout=distributions(results, "earnings_vs_ote", group),
                    attainment=distributions({"simulated": results[CURRENT]}, "attainment",
                                             group),
                    table=cost_table(summaries),
                    trials=results[EDITED].n_trials)

    def run_full(self, plan: Plan, trials: int,
                 on_chunk: Callable[[int], None] | None = None) -> tuple[Results, Results]:
        """(file's plan, edited plan) over `trials` plan years, chunk by chunk."""
        return (self.sim.run_more(self.original, trials, on_chunk=on_chunk),
                self.sim.run_more(plan, trials, on_chunk=on_chunk))

    def save(self, file_name: str, plan_name: str, *, variant: str | None = None,
             description: str = "", overwrite: bool = False) -> list[Path]:
        """Write the edited plan to `save_dir/file_name`; with `variant`, add it to the study
        as a variant putting the role on it. Everything is checked first: on any error
        nothing is written (a plan written before a failing study edit is taken back)."""
        tree = self.edited_tree(plan_name or self.original.plan)
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
                                           description))
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
