"""Capacity inputs: the question (role, target, probability), the hiring limits, reps
still ramping, and the role's model from a scenario file or a calibration of CRM history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from spmsim.config import Count, Frozen, Money, Rate, Trials, read_yaml
from spmsim.errors import InputError, Problem, problems_from_validation
from spmsim.model.org import MONTHS
from spmsim.model.scenario import Scenario, read_scenario_tree, resolve_files, scenario_from_tree
from spmsim.overrides import apply_overrides

DAYS_PER_MONTH = 365.25 / 12  # as the CRM history and calibration count a month


class Hiring(Frozen):
    """When new hires can start: lead time, first requisition month and limits."""

    lead_months: int = Field(0, ge=0, le=24, description="months from opening a "
                             "requisition to the hire's first day")
    open_from: int = Field(1, ge=-23, le=12, description="first plan month a requisition "
                           "can be opened (0, -1, ...: months before the year)")
    max_per_month: int = Field(ge=1, description="new hires starting in any one month")
    max_total: int | None = Field(None, ge=0, description="new hires in the year "
                                  "(default: as many as the months allow)")

    @property
    def first_start(self) -> int:
        """Plan month (1-12) of the earliest possible start."""
        return max(1, self.open_from + self.lead_months)

    @property
    def limit(self) -> int:
        """New hires the limits allow within the year."""
        months = max(0, MONTHS + 1 - self.first_start)
        room = months * self.max_per_month
        return room if self.max_total is None else min(room, self.max_total)

    def start_months(self, n: int) -> np.ndarray:
        """Plan month (1-12) of each of the first n hires, front-loaded."""
        return self.first_start + np.arange(n) // self.max_per_month


class Ramping(Frozen):
    """Reps in seat on the year's first day who are still ramping."""

    count: Count = Field(ge=1)
    tenure_months: Rate = Field(ge=0, description="months since they started, on day one")


class _Target:
    """The target read at its checks: the year's, or 12 monthly targets to date."""

    target: float | tuple[float, ...]

    @property
    def checks(self) -> np.ndarray:
        """0-based months at whose end bookings to date are compared with the target."""
        return np.arange(MONTHS) if isinstance(self.target, tuple) else np.array([MONTHS - 1])

    @property
    def target_to_date(self) -> np.ndarray:
        """Target to date at each check."""
        if isinstance(self.target, tuple):
            return np.cumsum(self.target)
        return np.array([float(self.target)])

    @property
    def annual_target(self) -> float:
        return float(self.target_to_date[-1])


class Capacity(_Target, Frozen):
    """A capacity question: which hires make `role` book `target` with `probability`."""

    capacity: str = Field(min_length=1, description="the plan's name")
    description: str = ""
    scenario: Scenario
    role: str
    target: Money | tuple[Money, ...] = Field(
        description="bookings for the year on the role's money measures, or 12 monthly "
        "targets (then met when bookings to date reach the target to date at every month end)")
    probability: float = Field(0.8, gt=0, lt=1, description="chance of meeting the target")
    hiring: Hiring
    ramping: tuple[Ramping, ...] = ()
    trials: Trials = Field(2000, ge=1)
    seed: int = Field(0, ge=0)
    _source: str = PrivateAttr("<capacity>")

    @property
    def source(self) -> str:
        """The file it was read from, for messages."""
        return self._source

    @model_validator(mode="after")
    def _consistent(self) -> Capacity:
        roles = self.scenario.org.roles
        if self.role not in roles:
            raise ValueError(f"role: no role {self.role!r} in the scenario "
                             f"({', '.join(roles)})")
        role = roles[self.role]
        for key in ("territory", "quota_method"):
            if getattr(role, key) is not None:
                raise ValueError(f"role: capacity planning treats seats alike and "
                                 f"org.roles.{self.role}.{key} makes them differ: set it to "
                                 "null under `set:` (with a `quota:` if the plan needs one)")
        targets = np.atleast_1d(np.asarray(self.target, dtype=float))
        if targets.size not in (1, MONTHS) or (targets < 0).any() or targets.sum() <= 0:
            raise ValueError("target: the year's bookings (> 0) or 12 monthly targets (>= 0)")
        ramping = sum(r.count for r in self.ramping)
        if ramping > role.headcount:
            raise ValueError(f"ramping: {ramping} ramping reps but org.roles.{self.role} has "
                             f"{role.headcount} in seat (headcount): they are part of it")
        return self



class RoleHiring(Frozen):
    """One role of a several-roles plan: its hiring limits and reps still ramping."""

    hiring: Hiring
    ramping: tuple[Ramping, ...] = ()


class CapacityMix(_Target, Frozen):
    """A capacity question for several roles: which hires of each (`roles:`) make their
    summed bookings reach one `target` with `probability`, at the least cost."""

    capacity: str = Field(min_length=1, description="the plan's name")
    description: str = ""
    scenario: Scenario
    roles: dict[str, RoleHiring] = Field(
        min_length=1, description="the roles planned, each with its `hiring:` and "
        "`ramping:`; the target is on the sum of their bookings")
    target: Money | tuple[Money, ...] = Field(
        description="bookings for the year on the roles' money measures together, or 12 "
        "monthly targets (then met when bookings to date reach the target to date at every "
        "month end)")
    probability: float = Field(0.8, gt=0, lt=1, description="chance of meeting the target")
    trials: Trials = Field(2000, ge=1)
    seed: int = Field(0, ge=0)
    _source: str = PrivateAttr("<capacity>")

    @property
    def source(self) -> str:
        """The file it was read from, for messages."""
        return self._source

    @model_validator(mode="after")
    def _books_revenue(self) -> CapacityMix:
        roles, market = self.scenario.org.roles, self.scenario.market
        for name in self.roles:
            if name not in roles:
                raise ValueError(f"roles.{name}: no role {name!r} in the scenario "
                                 f"({', '.join(roles)})")
            if roles[name].overlay or not market[name].money_measures():
                why = ("an overlay role: its credit is on deals other roles book, not "
                       "revenue of its own") if roles[name].overlay else (
                    "a manager role (market `model: team`): it books no revenue of its own, "
                    "its team's role does")
                raise ValueError(f"roles.{name}: {why}; plan the roles that book the "
                                 "bookings and leave this one out")
        currencies = {roles[n].plan.currency for n in self.roles}
        if len(currencies) > 1:
            raise ValueError(f"roles: the roles' plans are paid in {', '.join(sorted(currencies))}"
                             "; one target and one cost need one currency")
        for name in self.roles:
            self.role_capacity(name)  # each role's own checks (ramping, territory, target)
        return self

    def role_capacity(self, role: str) -> Capacity:
        """The single-role question of one role, on the whole target."""
        spec = self.roles[role]
        try:
            return Capacity(capacity=self.capacity, scenario=self.scenario, role=role,
                            target=self.target, probability=self.probability,
                            hiring=spec.hiring, ramping=spec.ramping, trials=self.trials,
                            seed=self.seed)
        except ValidationError as e:
            message = "; ".join(err["msg"].removeprefix("Value error, ")
                                for err in e.errors())
            raise ValueError(f"roles.{role}: {message}") from None


class FromHistory(Frozen):
    """The role's model calibrated from a CRM history (`spmsim.calibration.calibrate`): deal flow,
    skill spread, ramp, attrition and backfill, headcount on the export date; reps in seat
    then who are still ramping at the plan year's start become `ramping:`."""

    history: str = Field(description="CRM history folder (relative to the capacity file)")
    plan: str = Field(description="the role's plan file (relative to the capacity file)")
    role: str | None = Field(None, description="the roster Role (default: the only one)")
    mapping: str | None = Field(None, description="column-mapping YAML (default: the "
                                "history folder's mapping.yaml)")


def _calibrated(spec: FromHistory, path: Path, seed: int
                ) -> tuple[dict, str, np.ndarray, pd.Timestamp]:
    """Scenario tree of the calibrated role, its key, and the start dates of the reps in
    seat on the export date (and that date)."""
    from spmsim.calibration.calibrate import calibrate_scenario, role_key
    from spmsim.data.crm import read_history

    folder = path.resolve().parent
    history = read_history(folder / spec.history,
                           None if spec.mapping is None else folder / spec.mapping)
    roles = list(pd.unique(history.roster["Role"]))
    name = spec.role or (roles[0] if len(roles) == 1 else None)
    if name not in roles:
        raise ValueError(f"calibrate.role: give the roster Role to plan, one of "
                         f"{', '.join(map(repr, roles))}")
    plan = folder / spec.plan
    cal = calibrate_scenario(history, {r: plan for r in roles}, bootstrap=0, seed=seed)
    tree = cal.scenario_tree(folder / "calibrated.yaml", inline_sizes=True)
    tree["org"]["roles"] = {k: v for k, v in tree["org"]["roles"].items()
                            if k == role_key(name)}
    tree["market"] = {role_key(name): tree["market"][role_key(name)]}
    resolve_files(tree, path)
    reps, as_of = history.roster[history.roster["Role"] == name], history.as_of
    in_seat = (reps["StartDate"] <= as_of) & (reps["EndDate"].isna() | (reps["EndDate"] > as_of))
    return tree, role_key(name), reps.loc[in_seat, "StartDate"].to_numpy(), as_of


def _ramping(starts: np.ndarray, scenario: Scenario, role: str) -> list[dict]:
    """Reps who started on `starts` and are still ramping on the plan year's first day."""
    ramp = scenario.org.roles[role].ramp
    first = np.datetime64(scenario.year_start, "D")
    tenure = np.round((first - starts.astype("datetime64[D]")).astype(float) /
                      DAYS_PER_MONTH, 2)
    values, counts = np.unique(tenure[(tenure >= 0) & (tenure < ramp.months)],
                               return_counts=True)
    return [{"count": int(c), "tenure_months": float(v)} for v, c in zip(values, counts,
                                                                          strict=True)]


def _base_tree(tree: dict, path: Path) -> tuple[dict, Path, dict | None]:
    """The scenario tree the capacity file names (`scenario:`) or calibrates
    (`calibrate:`), the file errors in it are reported against, and calibration facts."""
    ref, spec = tree.pop("scenario", None), tree.pop("calibrate", None)
    folder = path.resolve().parent
    if (ref is None) == (spec is None):
        raise InputError(path, [Problem("scenario", "required: the scenario file whose role "
                                        "is planned (relative to this file), or `calibrate:` "
                                        "a CRM history instead (not both)")])
    if spec is not None:
        try:
            spec = FromHistory.model_validate(spec)
            seed = tree.get("seed")
            base, key, starts, _ = _calibrated(spec, path, seed if isinstance(seed, int) else 0)
        except ValidationError as e:
            raise InputError(path, problems_from_validation(
                e, frozenset(), frozenset(FromHistory.model_fields),
                lambda loc: ("calibrate", *loc))) from e
        except ValueError as e:
            raise InputError(path, [Problem("", str(e))]) from e
        return base, path, {"role": key, "starts": starts}
    if not isinstance(ref, str) or not (folder / ref).is_file():
        raise InputError(path, [Problem("scenario", f"no scenario file {folder / str(ref)}")])
    return read_scenario_tree(folder / ref), folder / ref, None


def load_capacity(path: str | Path, *, probability: float | None = None,
                  trials: int | None = None, seed: int | None = None
                  ) -> Capacity | CapacityMix:
    """Read a capacity file: `scenario:` (relative to it) or `calibrate:` (a CRM history),
    optional `set:` overrides on that scenario, then `role:`, `target:`, `probability:`,
    `hiring:`, `ramping:`, `trials:` and `seed:`; or, for several roles, `roles:` (each with
    its `hiring:` and `ramping:`) in place of `role:`, `hiring:` and `ramping:`."""
    path = Path(path)
    tree = read_yaml(path)
    if not isinstance(tree, dict):
        raise InputError(path, "a capacity file is a mapping with `capacity:`, `scenario:`, "
                         "`role:`, `target:` and `hiring:`")
    tree = dict(tree)
    changes = tree.pop("set", None) or {}
    if not isinstance(changes, dict):
        raise InputError(path, [Problem("set", "a mapping of dotted paths to values")])
    base, scenario_path, calibrated = _base_tree(tree, path)
    for key, value in changes.items():
        try:
            base = apply_overrides(base, [(str(key), value)])
        except ValueError as e:
            raise InputError(path, [Problem(f"set.{key}", str(e))]) from e
    try:
        tree["scenario"] = scenario_from_tree(base, scenario_path)
    except InputError as e:
        if not changes:
            raise
        raise InputError(path, [Problem("set", f"{scenario_path.name} with these overrides: "
                                        f"{p}") for p in e.problems]) from e
    if calibrated is not None and "roles" not in tree:
        tree.setdefault("role", calibrated["role"])
        if "ramping" not in tree and tree["role"] in tree["scenario"].org.roles:
            tree["ramping"] = _ramping(calibrated["starts"], tree["scenario"], tree["role"])
    for key, value in (("probability", probability), ("trials", trials), ("seed", seed)):
        if value is not None:
            tree[key] = value
    model = CapacityMix if "roles" in tree else Capacity
    try:
        capacity = model.model_validate(tree)
    except ValidationError as e:
        keys = frozenset(n for m in (model, Hiring, Ramping, RoleHiring)
                         for n in m.model_fields)
        raise InputError(path, problems_from_validation(e, frozenset(), keys)) from e
    capacity._source = str(path)
    return capacity
