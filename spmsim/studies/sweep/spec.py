"""Sweep studies: the spec, its checks and the candidates it draws.

A sweep study is a study (base scenario, engine, trials, seed, constraints, objective)
with a `sweep:` section instead of variants: parameters (`values: [...]`, or `low`/`high`
with optional `log`, `integer` and, for a grid, `steps`), sampling (grid, random or Latin
hypercube with `n`), the objectives of the Pareto front, and refinement rounds around the
best candidates (`spmsim.studies.sweep.search`). `spmsim.studies.sweep.runner` runs the candidates.

Candidates are drawn from generators spawned off the study seed, and each is simulated on
a seed that depends only on the study and its index, so the numbers are the same on any
backend.

Sweeps default to common random numbers (`common_draws: true`): every candidate sees the
same deals, skill and attrition draws, so the difference between two candidates is the
design's alone, not noise; the front and the choice stop depending on luck. Set
`common_draws: false` for independent draws per candidate (spawned per index).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from spmsim.config import MEASURE_PATTERN, Frozen, read_yaml
from spmsim.errors import InputError, Problem, problems_from_validation
from spmsim.model.scenario import ALL, resolve_files
from spmsim.overrides import apply_overrides, parse_path
from spmsim.studies.study import METRICS, Constraint, Objective, Study, Variant
from spmsim.studies.sweep import sampling

# Spawn keys of the sweep's streams under the study seed: (SWEEP_KEY, SAMPLING, round) draws
# the candidates of a round, (SWEEP_KEY, CANDIDATE, index) seeds a candidate. Variant seeds
# use the keys (i,), so the two never meet.
SWEEP_KEY = 0x5EE9
SAMPLING, CANDIDATE = 0, 1
RESERVED = frozenset({"candidate", "index", "round", "status", "seed", "feasible",
                      "objective", "on_front", "chosen", *METRICS})  # table columns
DEFAULT_OBJECTIVES = (Objective(metric="revenue", goal="max"),
                      Objective(metric="variable_pay_mean", goal="min"))


class Parameter(Frozen):
    """One swept dotted path: a list of values, or a range `low`..`high`."""

    path: str = Field(description="dotted path in the base scenario, e.g. "
                      "org.roles.ent_ae.plan.components[0].tiers[1].rate")
    values: tuple[Any, ...] | None = Field(None, min_length=1, description="the values to try")
    low: float | None = None
    high: float | None = None
    log: bool = Field(False, description="range sampled evenly in log space (low > 0)")
    integer: bool = Field(False, description="range of whole numbers, both ends included")
    steps: int = Field(5, ge=2, description="grid sampling: points across the range")

    @field_validator("path")
    @classmethod
    def _path(cls, path: str) -> str:
        parse_path(path)  # a malformed path raises ValueError with the position
        return path

    @model_validator(mode="after")
    def _kind(self) -> Parameter:
        ranged = self.low is not None or self.high is not None
        if (self.values is None) == (not ranged):
            raise ValueError("give `values: [...]` or `low` and `high`, not both or neither")
        if self.values is not None:
            extra = {"log", "integer", "steps"} & self.model_fields_set
            if extra:
                raise ValueError(f"{', '.join(sorted(extra))}: only for a `low`/`high` range")
            keys = [canonical(v) for v in self.values]
            if len(set(keys)) < len(keys):
                raise ValueError("values: each value once")
            return self
        if self.low is None or self.high is None:
            raise ValueError("a range needs both `low` and `high`")
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.log and self.low <= 0:
            raise ValueError(f"log: true needs low > 0 (got {self.low:g})")
        if self.integer and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ValueError("integer: true needs whole-number low and high")
        return self

    # The unit interval [0, 1) maps onto the parameter so that samplers stay generic.
    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Values at unit positions `u`: a value of the list, or a point of the range."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, np.nextafter(1.0, 0.0))
        if self.values is not None:
            return [self.values[i] for i in (u * len(self.values)).astype(int)]
        lo, hi = float(self.low), float(self.high)
        if self.integer and not self.log:
            x = np.minimum(np.floor(lo + u * (hi - lo + 1)), hi)
        elif self.log:
            x = np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            x = lo + u * (hi - lo)
        if self.integer:
            return [int(v) for v in np.clip(np.round(x), lo, hi)]
        return [float(v) for v in np.clip(x, lo, hi)]

    def to_unit(self, value: Any) -> float:
        """The unit position of `value` (the middle of its cell for lists and integers)."""
        if self.values is not None:
            keys = [canonical(v) for v in self.values]
            return (keys.index(canonical(value)) + 0.5) / len(keys)
        lo, hi = float(self.low), float(self.high)
        if self.integer and not self.log:
            return (float(value) - lo + 0.5) / (hi - lo + 1)
        if self.log:
            return (math.log(float(value)) - math.log(lo)) / (math.log(hi) - math.log(lo))
        return (float(value) - lo) / (hi - lo)

    def cell(self) -> float:
        """The unit width of one value (lists and integers), 0 for a continuous range."""
        if self.values is not None:
            return 1.0 / len(self.values)
        if self.integer:
            return 1.0 / (float(self.high) - float(self.low) + 1)
        return 0.0

    def grid(self) -> list[Any]:
        """The grid points: every listed value, or `steps` points from low to high."""
        if self.values is not None:
            return list(self.values)
        lo, hi = float(self.low), float(self.high)
        x = np.geomspace(lo, hi, self.steps) if self.log else np.linspace(lo, hi, self.steps)
        if self.integer:
            return sorted({int(v) for v in np.round(x)})
        return [float(v) for v in x]


class Refine(Frozen):
    """Refinement rounds: new candidates in a box around each of the best so far."""

    rounds: int = Field(1, ge=0, description="refinement rounds after the first sampling")
    best: int = Field(3, ge=1, description="candidates refined around in each round")
    n: int = Field(8, ge=1, description="new candidates around each of them")
    shrink: float = Field(0.25, gt=0, lt=1, description="box width as a share of each "
                          "parameter's range in round 1; multiplied by `shrink` each round")


class Sweep(Frozen):
    parameters: dict[str, Parameter] = Field(min_length=1, description="name -> parameter")
    sampling: Literal["grid", "random", "lhs"] = "lhs"
    n: int | None = Field(None, ge=1, description="random/lhs: candidates to draw")
    objectives: tuple[Objective, ...] = Field(
        DEFAULT_OBJECTIVES, min_length=2, description="the axes of the Pareto front")
    refine: Refine | None = None

    @model_validator(mode="after")
    def _check(self) -> Sweep:
        for name in self.parameters:
            if not _is_name(name):
                raise ValueError(f"parameters.{name}: a name is lower case letters, digits "
                                 "and _ (it becomes a column)")
            if name in RESERVED:
                raise ValueError(f"parameters.{name}: the candidates table has a column "
                                 f"{name!r} already; choose another name")
        if self.sampling == "grid" and self.n is not None:
            raise ValueError("n: a grid's size is the product of each parameter's points "
                             "(`values` or `steps`); drop n, or sample random or lhs")
        if self.sampling != "grid" and self.n is None:
            raise ValueError(f"n: {self.sampling} sampling needs the number of candidates")
        return self


class SweepStudy(Study):
    """A study whose candidates come from `sweep:` instead of listed variants."""

    variants: dict[str, Variant] = Field(default_factory=dict)
    common_draws: bool = Field(True, description="sweeps: every candidate on the same "
                               "draws (common random numbers); false: spawned per candidate")
    sweep: Sweep

    @model_validator(mode="after")
    def _no_variants(self) -> SweepStudy:
        if self.variants:
            raise ValueError("variants: a sweep study makes its candidates from `sweep:`; "
                             "compare listed variants in a separate study")
        if self.history is not None:
            raise ValueError("history: winners and losers are for listed variants; give "
                             "them in a study with `variants:`")
        return self


def _is_name(name: str) -> bool:
    return re.fullmatch(MEASURE_PATTERN, name) is not None


def canonical(value: Any) -> str:
    """`value` as stable text (keys sorted): what design keys and run keys hash."""
    return json.dumps(value, sort_keys=True, default=str)


def load_sweep_study(path: str | Path) -> SweepStudy:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(path, "a sweep study is a mapping with `study:`, `base:`, `sweep:`")
    if "sweep" not in data and "variants" in data:
        raise InputError(path, "sweep: this study lists variants: run it with `spmsim study`, "
                         "or give a `sweep:` section instead")
    try:
        return SweepStudy.model_validate(data)
    except ValidationError as e:
        keys = frozenset(name for m in (SweepStudy, Sweep, Parameter, Refine, Constraint,
                                        Objective) for name in m.model_fields)
        raise InputError(path, problems_from_validation(e, frozenset(), keys)) from e


# ---- candidates -----------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """One design of the sweep: its parameter values, numbered in the order drawn."""

    index: int
    round: int
    params: dict[str, Any]

    @property
    def key(self) -> str:
        """A hash of the parameter values: the same design has the same key."""
        return hashlib.sha256(canonical(self.params).encode()).hexdigest()

    @property
    def id(self) -> str:
        return f"c{self.index:04d}-{self.key[:8]}"


def _rng(study: SweepStudy, round_: int) -> np.random.Generator:
    seq = np.random.SeedSequence(study.seed, spawn_key=(SWEEP_KEY, SAMPLING, round_))
    return np.random.Generator(np.random.PCG64(seq))


def candidate_seed(study: SweepStudy, index: int) -> int:
    """The engine seed of candidate `index`: the study seed with common draws, otherwise a
    child spawned off the study seed for that index (never from the order runs finish)."""
    if study.common_draws:
        return study.seed
    seq = np.random.SeedSequence(study.seed, spawn_key=(SWEEP_KEY, CANDIDATE, index))
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))


def unit_design(sweep: Sweep, rng: np.random.Generator) -> np.ndarray:
    """Random or Latin hypercube positions (n, parameters) in the unit cube."""
    d = len(sweep.parameters)
    if sweep.sampling == "lhs":
        return sampling.latin_hypercube(sweep.n, d, rng)
    return rng.random((sweep.n, d))


def _from_units(sweep: Sweep, units: np.ndarray) -> list[dict[str, Any]]:
    columns = {name: p.from_unit(units[:, j]) for j, (name, p) in
               enumerate(sweep.parameters.items())}
    return [{name: columns[name][i] for name in columns} for i in range(units.shape[0])]


def _numbered(designs: Sequence[dict[str, Any]], start: int, round_: int,
              seen: set[str]) -> list[Candidate]:
    """Candidates of new designs only (a design already drawn is not run twice)."""
    out = []
    for params in designs:
        c = Candidate(start + len(out), round_, params)
        if c.key not in seen:
            seen.add(c.key)
            out.append(c)
    return out


def initial_candidates(study: SweepStudy) -> list[Candidate]:
    """The first round: the grid, or n random / Latin hypercube draws."""
    sweep = study.sweep
    if sweep.sampling == "grid":
        grids = [p.grid() for p in sweep.parameters.values()]
        designs = [dict(zip(sweep.parameters, combo, strict=True))
                   for combo in itertools.product(*grids)]
    else:
        designs = _from_units(sweep, unit_design(sweep, _rng(study, 0)))
    return _numbered(designs, 0, 0, set())


def refined_candidates(study: SweepStudy, round_: int, centres: Sequence[dict[str, Any]],
                       existing: Sequence[Candidate]) -> list[Candidate]:
    """Round `round_` of refinement: `refine.n` Latin hypercube draws in a box around each
    centre (best first), the box `shrink ** round_` of each range wide, at least one step
    of a list or an integer either side, and always inside the declared bounds."""
    sweep, refine = study.sweep, study.sweep.refine
    params = list(sweep.parameters.values())
    units = np.array([[p.to_unit(c[name]) for name, p in sweep.parameters.items()]
                      for c in centres]).reshape(len(centres), len(params))
    half = np.array([max(refine.shrink ** round_ / 2, p.cell()) for p in params])
    points = sampling.refine_points(units, refine.n, half, _rng(study, round_))
    start = max(c.index for c in existing) + 1
    return _numbered(_from_units(sweep, points), start, round_, {c.key for c in existing})


def candidate_tree(base: dict, study: SweepStudy, params: dict[str, Any],
                   study_path: Path) -> dict:
    """The base scenario tree with a candidate's values set (files relative to the study)."""
    pairs = [(study.sweep.parameters[name].path, value) for name, value in params.items()]
    tree = apply_overrides(base, pairs)
    resolve_files(tree, study_path)
    return tree


def check_against_base(base: dict, study: SweepStudy, study_path: Path) -> None:
    """Before anything runs: every parameter's path reaches into the base scenario, and
    every objective and constraint names one of its roles (or `all`)."""
    problems = []
    for name, p in study.sweep.parameters.items():
        try:
            apply_overrides(base, [(p.path, p.grid()[0])])
        except ValueError as e:
            problems.append(Problem(f"sweep.parameters.{name}.path", str(e)))
    groups = [*((base.get("org") or {}).get("roles") or {}), ALL]
    named = [("objective", study.objective)] + \
        [(f"sweep.objectives[{i}]", o) for i, o in enumerate(study.sweep.objectives)] + \
        [(f"constraints[{i}]", c) for i, c in enumerate(study.constraints)]
    for where, item in named:
        if item.group not in groups:
            problems.append(Problem(f"{where}.group", f"no role {item.group!r} in the base "
                                    f"scenario ({', '.join(groups)})"))
    if problems:
        raise InputError(study_path, problems)
