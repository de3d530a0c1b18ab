"""Scenario files: a sales organisation and its market for one plan year, typed and checked.

A scenario names each role's plan file; loading inlines the plan into the tree so that a
dotted override (`org.roles.ae.plan.components[0].tiers[1].rate=2.5`) can reach any field.
A scenario file may instead `extends:` another and list overrides under `set:`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from spmsim.config import MEASURE_PATTERN, Frozen, Money, Trials, read_yaml
from spmsim.data.fx import plan_rate
from spmsim.errors import InputError, InputErrors, Problem, problems_from_validation
from spmsim.model.behavior import Behavior, Effort, GivingUp, Quitting, Selection, Timing
from spmsim.model.distributions import DISTRIBUTIONS
from spmsim.model.effortpolicy import EffortChoice
from spmsim.model.files import files_context, named_files, read_named_files
from spmsim.model.market import (
    AttainmentMarket,
    Component,
    DealSize,
    DealStream,
    Market,
    NumericAttribute,
    PipelineMarket,
    Score,
    SizeBand,
    Stage,
    TeamMarket,
)
from spmsim.model.org import Attrition, Hire, Ramp, Role, TerritoryLink
from spmsim.model.quota import QuotaMethod
from spmsim.model.years import MAX_YEARS, NextYears
from spmsim.overrides import apply_overrides
from spmsim.plans import Plan, plan_from_dict
from spmsim.plans.crediting import AttributeRates

RoleName = Annotated[str, Field(pattern=MEASURE_PATTERN)]
VARIANT_KEYS = frozenset({"extends", "scenario", "description", "set"})
ALL = "all"  # the name of the whole organisation in results


class Economics(Frozen):
    """What revenue is worth and what the variable comp budget is."""

    gross_margin: float = Field(1.0, gt=0, le=1, description="profit after comp uses "
                                "revenue x gross margin - base - variable pay")
    budget: Money | None = Field(
        None, gt=0, description="variable comp budget for the year, all roles; "
        "default: the on-target incentive of the reps in seat")


class Org(Frozen):
    roles: dict[RoleName, Role]


class Scenario(Frozen):
    """One plan year of an organisation and its market, and how many years to simulate."""

    scenario: str = Field(min_length=1, description="the scenario's name")
    description: str = ""
    seed: int = Field(ge=0, description="root of the SeedSequence: same seed, same numbers")
    trials: Trials = Field(ge=1, description="simulated plan years")
    org: Org
    market: dict[RoleName, Market]
    economics: Economics = Economics()
    behavior: Behavior = Field(
        default_factory=Behavior, description="agent engine only: how reps respond to plans")
    years: int = Field(1, ge=1, le=MAX_YEARS, description="agent engine only: plan years "
                       "simulated in a row in each trial (quotas, reps and open deals carry "
                       "over)")
    next_years: NextYears = Field(default_factory=NextYears,
                                  description="with `years` above 1: how each next year is set")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        roles = self.org.roles
        if not roles:
            raise ValueError("org.roles: list at least one role")
        if ALL in roles:
            raise ValueError(f"org.roles.{ALL}: `{ALL}` names the whole organisation; rename")
        for name in roles:
            if name not in self.market:
                raise ValueError(f"market.{name}: role {name!r} has no market: say how its "
                                 "credit arrives (model: attainment or pipeline)")
        for name in self.market:
            if name not in roles:
                raise ValueError(f"market.{name}: no role {name!r} in org.roles "
                                 f"({', '.join(roles)})")
        starts = {r.plan.year_start for r in roles.values()}
        if len(starts) > 1:
            raise ValueError("org.roles: every plan must start the same plan year; got "
                             + ", ".join(f"{n}: {r.plan.year_start}" for n, r in roles.items()))
        for name, role in roles.items():
            if isinstance(self.market[name], TeamMarket):
                _check_manager(name, role, self.market[name], roles, self.market)
            _check_role(name, role, self.market[name])
            if self.years > 1 and role.plan_changes:
                raise ValueError(f"org.roles.{name}.plan_changes: plan changes are dated "
                                 "within the first plan year; with `years` above 1 give the "
                                 "role the plan of the later years instead, or set years: 1")
        return self

    @property
    def year_start(self) -> date:
        return next(iter(self.org.roles.values())).plan.year_start

    def echo(self) -> dict[str, Any]:
        """The validated scenario as plain JSON data, for results and reports."""
        return json.loads(self.model_dump_json())


def _check_role(name: str, role: Role, market: Market) -> None:
    where = f"org.roles.{name}"
    if role.seats == 0:
        raise ValueError(f"{where}.headcount: the role has no reps and no hires")
    for c in role.plan.components:
        if c.credit == "team" and role.team_size is None and not isinstance(market, TeamMarket):
            raise ValueError(f"{where}.plan: component {c.name!r} pays on team credit: set "
                             f"`team_size:` on the role (seats per team), or pay a manager "
                             f"role on the team (market `model: team`)")
    for m, rule in role.plan.crediting.items():
        if rule.by is not None:
            _check_rated(name, role, market, m, rule.by)
    streams = market.measures if isinstance(market, PipelineMarket) else {}
    for m, stream in streams.items():
        if stream.currency is not None:
            try:
                plan_rate(role.plan, stream.currency)
            except InputError as e:
                raise ValueError(f"market.{name}.measures.{m}.currency: {e.render()}") from e
    produced = market.produces()
    for m in role.plan.measures:
        if m not in produced:
            fix = "add it under `scores:`" if _is_score(role.plan, m) else \
                ("add a stream for it or `count_as: " + m + "` on one" if
                 isinstance(market, PipelineMarket) else "add it under `measures:`")
            raise ValueError(f"market.{name}: the plan pays on {m!r} but the market credits "
                             f"only {', '.join(produced) or 'nothing'}: {fix}")
    needed = role.plan.quota_measures()
    if isinstance(market, AttainmentMarket):
        needed = list(dict.fromkeys(needed + market.money_measures()))
    for m in needed:
        if m not in role.quota_measures():
            raise ValueError(f"{where}.quota: {m!r} needs an annual quota per rep: add "
                             f"`quota: {{{m}: AMOUNT}}`")
    for m, q in role.quota.items():
        if not q > 0:
            raise ValueError(f"{where}.quota.{m}: a quota is > 0 (got {q})")


def _check_rated(name: str, role: Role, market: Market, measure: str,
                 by: AttributeRates) -> None:
    """A plan's rate by deal attribute needs the attribute on the measure's simulated
    deals: a mix of labels for a rate table, a number for a rate read from the column."""
    where = f"{name}.plan: crediting.{measure} rates deals by {by.column!r}"
    example = f"{{{by.column}: {{mean: 0.6, sd: 0.1}}}}" if by.rates is None else \
        "{" + by.column + ": {" + ", ".join(f"{k}: SHARE" for k in by.rates) + "}}"
    stream = market.measures.get(measure) if isinstance(market, PipelineMarket) else None
    if stream is None:
        raise ValueError(f"org.roles.{where}, but the role's market draws no {measure} "
                         "deals: give it a pipeline stream for the measure with `attributes: "
                         f"{example}`, or replay the plan on real deals")
    field = f"market.{name}.measures.{measure}.attributes"
    spec = stream.attributes.get(by.column)
    if spec is None:
        what = "each label's share of the deals" if by.rates is not None else \
            f"the mean and sd of {by.column} over deals"
        raise ValueError(f"org.roles.{where}, but its simulated deals carry no {by.column}: "
                         f"add to market.{name}.measures.{measure} `attributes: {example}` "
                         f"({what})")
    if by.rates is None and isinstance(spec, dict):
        raise ValueError(f"{field}.{by.column}: the plan reads each deal's {by.column} as its "
                         f"rate, a number: describe it as `{{mean: , sd: }}`, not labels")
    if by.rates is not None and isinstance(spec, NumericAttribute):
        raise ValueError(f"{field}.{by.column}: the plan rates deals by {by.column} label "
                         f"({', '.join(by.rates)}): describe the mix of labels, e.g. "
                         f"`{example}`")
    if by.rates is not None and by.default is None:
        unknown = [k for k in spec if k not in by.rates]
        if unknown:
            raise ValueError(f"{field}.{by.column}: label {unknown[0]!r} has no rate in "
                             f"the plan's crediting.{measure} ({', '.join(by.rates)}) and "
                             "the plan gives no `default`: drop it or rate it")


def _check_manager(name: str, role: Role, market: TeamMarket, roles: dict[str, Role],
                   markets: dict[str, Market]) -> None:
    """A manager role leads the teams of another role: one seat per team."""
    team = roles.get(market.of)
    if team is None or market.of == name:
        raise ValueError(f"market.{name}.of: no other role {market.of!r} in org.roles "
                         f"({', '.join(r for r in roles if r != name)})")
    if isinstance(markets[market.of], TeamMarket):
        raise ValueError(f"market.{name}.of: {market.of!r} is itself a manager role; "
                         "managers of managers are not modelled")
    if team.team_size is None:
        raise ValueError(f"org.roles.{market.of}: managers ({name}) lead its teams: set "
                         "`team_size:` (seats per team)")
    if role.seats != team.teams:
        raise ValueError(f"org.roles.{name}.headcount: {team.teams} teams of "
                         f"{market.of} need {team.teams} managers, one each (got {role.seats})")
    produced = markets[market.of].produces()
    for m in market.measures:
        if m not in produced:
            raise ValueError(f"market.{name}.measures: {market.of} is credited only with "
                             f"{', '.join(produced)}; {m!r} is not among them")


def _is_score(plan: Plan, measure: str) -> bool:
    return measure in plan.score_measures()


# ---- reading files -------------------------------------------------------------------

def _resolve_fx(plan: dict, folder: Path) -> None:
    """A plan's `fx.file`, relative to the file that holds the plan, made absolute."""
    fx = plan.get("fx")
    if isinstance(fx, dict) and isinstance(fx.get("file"), str):
        fx["file"] = str(folder / fx["file"])


def _inline_plan(holder: object, folder: Path, source: Path, where: str) -> None:
    """Replace a `plan:` file name in `holder` by the file's mapping, noting the file; an
    FX file it names is found from the plan file's folder (an inline plan's: this file's)."""
    if isinstance(holder, dict) and isinstance(holder.get("plan"), dict):
        _resolve_fx(holder["plan"], folder)
    if not (isinstance(holder, dict) and isinstance(holder.get("plan"), str)):
        return
    plan_path = folder / holder["plan"]
    if not plan_path.is_file():
        raise InputError(source, [Problem(f"{where}.plan", f"no plan file {plan_path} (paths "
                                          "are relative to this file)")])
    holder["plan_file"] = str(plan_path)
    holder["plan"] = read_yaml(plan_path)
    if not isinstance(holder["plan"], dict):
        raise InputError(plan_path, f"a plan file is a mapping ({where}.plan)")
    _resolve_fx(holder["plan"], plan_path.parent)


def resolve_files(tree: dict, source: Path) -> None:
    """Inline each role's plan file and make the other files a tree names (history,
    territory accounts and alignments) absolute, relative paths being taken from the
    folder of `source` (the file that names them; errors name it too). Resolving again
    changes nothing."""
    folder = source.resolve().parent
    roles = (tree.get("org") or {}).get("roles") or {}
    for name, role in roles.items() if isinstance(roles, dict) else ():
        _inline_plan(role, folder, source, f"org.roles.{name}")
        changes = role.get("plan_changes") if isinstance(role, dict) else None
        for i, change in enumerate(changes if isinstance(changes, list) else ()):
            _inline_plan(change, folder, source, f"org.roles.{name}.plan_changes[{i}]")
    for container, key, _ in named_files(tree):
        container[key] = str(folder / container[key])


def read_scenario_tree(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict:
    """The scenario as plain data with plans inlined and `extends:` applied."""
    path = Path(path)
    if path.resolve() in _chain:
        raise InputError(path, "extends: the chain of scenarios loops back to this file")
    tree = read_yaml(path)
    if not isinstance(tree, dict):
        raise InputError(path, "a scenario file is a mapping with `scenario:`, `org:`, `market:`")
    if "extends" not in tree:
        resolve_files(tree, path)
        return tree
    unknown = sorted(set(tree) - VARIANT_KEYS)
    if unknown:
        raise InputError(path, [Problem(k, "a scenario with `extends:` takes only "
                                        "scenario, description and set") for k in unknown])
    base = read_scenario_tree(path.parent / str(tree["extends"]), _chain + (path.resolve(),))
    changes = tree.get("set") or {}
    if not isinstance(changes, dict):
        raise InputError(path, "set: a mapping of dotted paths to values")
    for key, value in changes.items():
        try:
            base = apply_overrides(base, [(str(key), value)])
        except ValueError as e:
            raise InputError(path, [Problem(f"set.{key}", str(e))]) from e
    for key in ("scenario", "description"):
        if key in tree:
            base[key] = tree[key]
    resolve_files(base, path)  # files named by `set:` are relative to this file
    return base


_TAGS = frozenset({"attainment", "pipeline", *DISTRIBUTIONS})
_KEYS = frozenset(name for model in (Scenario, Org, Role, Ramp, Attrition, Hire, Economics,
                                     AttainmentMarket, PipelineMarket, DealStream, DealSize,
                                     Component, SizeBand,
                                     Score, Stage, Behavior, Effort, EffortChoice, GivingUp, Timing,
                                     Quitting, Selection,
                                     TerritoryLink, QuotaMethod,
                                     *DISTRIBUTIONS.values())
                  for name in model.model_fields)


def _clean_loc(loc: tuple) -> tuple:
    """Drop the union tags pydantic inserts after `market.<role>` and `measures.<m>`."""
    out: list = []
    for i, part in enumerate(loc):
        tag_spot = (i == 2 and loc[0] == "market") or (i >= 2 and loc[i - 2] == "measures")
        if tag_spot and part in _TAGS and loc[0] == "market":
            continue
        out.append(part)
    return tuple(out)


def _planned(change: object, source, where: str, errors: list) -> object:
    """A plan change with its plan validated (errors name the plan file)."""
    if not (isinstance(change, dict) and isinstance(change.get("plan"), dict)):
        return change
    change = dict(change)
    try:
        change["plan"] = plan_from_dict(change["plan"], f"{change.get('plan_file') or source}"
                                                        f" ({where}.plan)")
    except InputError as e:
        errors.append(e)
    return change


def scenario_from_tree(tree: dict, source: str | Path = "<scenario>") -> Scenario:
    """Validate a scenario tree; plan errors name the plan file, the rest the scenario."""
    tree = dict(tree)
    roles = (tree.get("org") or {}).get("roles")
    if isinstance(roles, dict):
        roles, errors = dict(roles), []
        for name, role in roles.items():
            if isinstance(role, dict) and isinstance(role.get("plan"), dict):
                role = dict(role)
                where = f"{role.get('plan_file') or source} (org.roles.{name}.plan)"
                try:
                    role["plan"] = plan_from_dict(role["plan"], where)
                except InputError as e:
                    errors.append(e)
                if isinstance(role.get("plan_changes"), list):
                    role["plan_changes"] = [
                        _planned(c, source, f"org.roles.{name}.plan_changes[{i}]", errors)
                        for i, c in enumerate(role["plan_changes"])]
                roles[name] = role
        if errors:
            raise InputErrors(errors)
        tree["org"] = {**tree["org"], "roles": roles}
    context = files_context(read_named_files(tree))
    try:
        return Scenario.model_validate(tree, context=context)
    except ValidationError as e:
        problems = problems_from_validation(e, _TAGS, _KEYS, _clean_loc)
        raise InputError(source, problems) from e


def load_scenario(path: str | Path,
                  overrides: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
                  trials: int | None = None, seed: int | None = None) -> Scenario:
    """Read, override and validate a scenario file."""
    tree = read_scenario_tree(path)
    items: Sequence[tuple[str, Any]] = list(
        overrides.items() if isinstance(overrides, Mapping) else overrides)
    if trials is not None:
        items.append(("trials", trials))
    if seed is not None:
        items.append(("seed", seed))
    for key, value in items:
        try:
            tree = apply_overrides(tree, [(key, value)])
        except ValueError as e:
            raise InputError(path, [Problem(f"--set {key}", str(e))]) from e
    return scenario_from_tree(tree, path)


def scenario_json_schema() -> str:
    """JSON Schema of scenario files (plans inline), for editors' autocompletion."""
    return json.dumps(Scenario.model_json_schema(), indent=2)


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario with dotted-path overrides applied to a validated one."""
    tree = apply_overrides(scenario.echo(), overrides)
    return scenario_from_tree(tree)

