"""Sweeps: a study whose designs are generated from ranges and lists of dotted paths.

A sweep study is a study (base scenario, engine, trials, seed, constraints, objective)
with a `sweep:` section instead of variants: parameters (`values: [...]`, or `low`/`high`
with optional `log`, `integer` and, for a grid, `steps`), sampling (grid, random or Latin
hypercube with `n`), the objectives of the Pareto front, and refinement rounds around the
best candidates (`spmsim.search`).

Every candidate is a whole task for a backend (`spmsim.backends`): the scenario tree with
its overrides applied goes out, one row of metrics comes back and is written at once to
`candidates/<id>.json`, so an interrupted sweep resumes where it stopped. Candidates are
drawn from generators spawned off the study seed, and each is simulated on a seed that
depends only on the study and its index, so the numbers are the same on any backend.

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
import shutil
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, field_validator, model_validator

from . import search
from .backends import DaskClient, open_backend, run_tasks
from .engines import simulate, simulate_agents
from .errors import InputError, Problem, SpmsimError, problems_from_validation
from .io import atomic_write_text, write_csv, write_parquet
from .overrides import apply_overrides, parse_path
from .plans.components.base import MEASURE_PATTERN, Frozen
from .plans.io import read_yaml
from .results import Results
from .scenario import ALL, read_scenario_tree, resolve_files, scenario_from_tree
from .study import METRICS, Constraint, Objective, Study, Variant, write_duckdb

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
            keys = [_canonical(v) for v in self.values]
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
            keys = [_canonical(v) for v in self.values]
            return (keys.index(_canonical(value)) + 0.5) / len(keys)
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


def _canonical(value: Any) -> str:
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
        return hashlib.sha256(_canonical(self.params).encode()).hexdigest()

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
        return search.latin_hypercube(sweep.n, d, rng)
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
    points = search.refine_points(units, refine.n, half, _rng(study, round_))
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


# ---- one candidate's run (a backend task) ----------------------------------------------

@dataclass(frozen=True)
class Task:
    """What a worker needs for one candidate: small, plain data."""

    candidate: str
    tree: dict
    source: str
    engine: str
    trials: int
    seed: int


def metric_row(results: Results) -> dict[str, float]:
    """Every study metric of every group, as one flat row (`metric` or `metric (role)`)."""
    summary = results.summary()
    return {search.metric_column(m, g): float(summary.loc[row, g])
            for g in summary.columns for m, row in METRICS.items()}


def run_candidate(task: Task) -> dict[str, Any]:
    """Validate and simulate one candidate (one engine thread: the backend is the
    parallelism); a candidate that fails records its error and the sweep goes on."""
    try:
        scenario = scenario_from_tree(task.tree, task.source)
        if task.engine == "agents":
            results = simulate_agents(scenario, trials=task.trials, seed=task.seed,
                                      keep_reps=False, progress=False, logged_trials=0)
        else:
            results = simulate(scenario, trials=task.trials, seed=task.seed, workers=1,
                               keep_reps=False, progress=False)
        return {"status": "ok", "metrics": metric_row(results)}
    except (SpmsimError, ValueError, KeyError) as e:
        return {"status": f"failed: {e}", "metrics": {}}
    except Exception as e:  # a bug: keep its name and message in the table
        return {"status": "failed: " + "".join(traceback.format_exception_only(e)).strip(),
                "metrics": {}}


# ---- finished candidates on disk (resume) ----------------------------------------------

class CandidateStore:
    """`candidates/<id>.json`, one per finished candidate, each written atomically."""

    def __init__(self, folder: Path, resume: bool):
        self.folder = folder
        if not resume and folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.records: dict[int, dict[str, Any]] = {}
        for f in sorted(folder.glob("c*.json")):
            record = json.loads(f.read_text())
            self.records[int(record["index"])] = record

    def finished(self, c: Candidate, run_key: str) -> dict[str, Any] | None:
        """The stored record of `c` if it ran with the same settings and succeeded;
        a record of another design under the same number means the sweep changed."""
        record = self.records.get(c.index)
        if record is None:
            return None
        fix = "run with --no-resume (or resume=False) to start again, or use another --out"
        if record["candidate"] != c.id:
            raise SpmsimError(f"{self.folder / (record['candidate'] + '.json')}: candidate "
                              f"{c.index} was {record['params']}, the study now gives "
                              f"{c.params}: the sweep changed since; {fix}")
        if record["run_key"] != run_key:
            raise SpmsimError(f"{self.folder / (c.id + '.json')}: candidate {c.id} ran with "
                              "other trials, seed, engine or base scenario; " + fix)
        return record if record["status"] == "ok" else None

    def save(self, record: dict[str, Any]) -> None:
        self.records[int(record["index"])] = record
        atomic_write_text(self.folder / f"{record['candidate']}.json",
                          json.dumps(record, indent=1) + "\n")


# ---- the sweep ---------------------------------------------------------------------------

@dataclass
class _Run:
    """One sweep in progress: what every round needs."""

    study: SweepStudy
    path: Path
    base: dict
    trials: int
    store: CandidateStore
    backend: Any
    progress: bool
    log: Callable[[str], None]
    on_candidate: Callable[[dict[str, Any]], None] | None
    base_hash: str

    def run_key(self, c: Candidate, seed: int) -> str:
        text = _canonical({"params": c.params, "seed": seed, "trials": self.trials,
                           "engine": self.study.engine, "base": self.base_hash})
        return hashlib.sha256(text.encode()).hexdigest()

    def round(self, candidates: Sequence[Candidate], number: int) -> list[dict[str, Any]]:
        """Run the candidates not finished yet; returns every candidate's record."""
        records, todo, tasks = {}, [], []
        for c in candidates:
            seed = candidate_seed(self.study, c.index)
            key = self.run_key(c, seed)
            done = self.store.finished(c, key)
            if done is not None:
                records[c.index] = done
                continue
            tree = candidate_tree(self.base, self.study, c.params, self.path)
            todo.append((c, seed, key))
            tasks.append(Task(c.id, tree, f"{self.path} (candidate {c.id})",
                              self.study.engine, self.trials, seed))
        self.log(f"round {number}: {len(candidates)} candidates, {len(records)} already "
                 f"finished, {len(todo)} to run on {self.backend.description}")
        if todo and self.backend.note:
            self.log(f"note: {self.backend.note}")
        keys = [f"spmsim-{c.id}-{key[:12]}" for c, _, key in todo]
        outcomes = run_tasks(self.backend, run_candidate, tasks, keys, progress=self.progress,
                             desc=f"sweep round {number}")
        for i, outcome in outcomes:
            c, seed, key = todo[i]
            record = {"candidate": c.id, "index": c.index, "round": c.round,
                      "params": c.params, "seed": seed, "trials": self.trials,
                      "run_key": key, **outcome}
            self.store.save(record)
            records[c.index] = record
            if self.on_candidate:
                self.on_candidate(record)
        return [records[c.index] for c in candidates]


def _trials(study: SweepStudy, base: dict, trials: int | None) -> int:
    n = trials or study.trials or base.get("trials")
    if not isinstance(n, int) or n < 1:
        raise SpmsimError("trials: give the number of trials (study, scenario or --trials)")
    return n


def run_sweep(path: str | Path, out: str | Path, *, trials: int | None = None,
              workers: int | None = None, scheduler: str | None = None,
              client: DaskClient | None = None, resume: bool = True, progress: bool = True,
              log: Callable[[str], None] = print,
              on_candidate: Callable[[dict[str, Any]], None] | None = None) -> pd.DataFrame:
    """Run a sweep study into `out`; returns the candidates table (also written there).

    Backends: serial by default; `workers=N` starts a Dask LocalCluster of N processes;
    `scheduler="tcp://host:8786"` or `client=` uses an existing Dask cluster. Finished
    candidates are kept in `out/candidates/` and skipped on the next run unless
    `resume=False`. `on_candidate(record)` is called as each candidate finishes.
    """
    path, out = Path(path), Path(out)
    study = load_sweep_study(path)
    base = read_scenario_tree(path.parent / study.base)
    check_against_base(base, study, path)
    n_trials = _trials(study, base, trials)
    store = CandidateStore(out / "candidates", resume)
    with open_backend(workers=workers, scheduler=scheduler, client=client) as backend:
        run = _Run(study, path, base, n_trials, store, backend, progress, log, on_candidate,
                   hashlib.sha256(_canonical(base).encode()).hexdigest())
        candidates = initial_candidates(study)
        records = run.round(candidates, 0)
        for r in range(1, (study.sweep.refine.rounds if study.sweep.refine else 0) + 1):
            table = search.candidates_table(study, records)
            centres = search.refine_centres(table, study, study.sweep.refine.best)
            params = {rec["index"]: rec["params"] for rec in records}
            new = refined_candidates(study, r, [params[i] for i in centres],
                                     candidates) if centres else []
            if not new:
                log(f"round {r}: nothing new to try")
                break
            candidates += new
            records += run.round(new, r)
    table = search.candidates_table(study, records)
    _write(out, study, path, base, n_trials, table, records)
    return table


def _write(out: Path, study: SweepStudy, path: Path, base: dict, trials: int,
           table: pd.DataFrame, records: Sequence[dict[str, Any]]) -> None:
    """candidates.parquet, summary.csv, results.duckdb and sweep.json (last)."""
    write_parquet(table, out / "candidates.parquet")
    write_csv(table, out / "summary.csv")
    parameters = pd.DataFrame([
        {"name": name, "path": p.path, "kind": "values" if p.values is not None else "range",
         "low": p.low, "high": p.high, "log": p.log, "integer": p.integer,
         "values": None if p.values is None else _canonical(list(p.values))}
        for name, p in study.sweep.parameters.items()])
    objectives = pd.DataFrame([{"metric": o.metric, "group": o.group, "goal": o.goal,
                                "column": search.metric_column(o.metric, o.group)}
                               for o in study.sweep.objectives])
    write_duckdb(out / "results.duckdb", {"candidates": table, "parameters": parameters,
                                          "objectives": objectives})
    chosen = table.loc[table["chosen"], "candidate"]
    meta = {
        "study": study.study, "file": str(path.resolve()), "seed": study.seed,
        "engine": study.engine, "trials": trials, "common_draws": study.common_draws,
        "candidates": len(table), "feasible": int(table["feasible"].sum()),
        "on_front": int(table["on_front"].sum()),
        "role": default_role(study, base),
        "chosen": None if chosen.empty else str(chosen.iloc[0]),
        "chosen_params": next((r["params"] for r in records if not chosen.empty
                               and r["candidate"] == chosen.iloc[0]), None),
        "parameters": {name: p.path for name, p in study.sweep.parameters.items()},
        "objectives": objectives.to_dict("records"),
        "objective": {**study.objective.model_dump(),
                      "column": search.metric_column(study.objective.metric,
                                                     study.objective.group)},
        "constraints": [c.label() for c in study.constraints],
        "base_tree": base, "study_spec": json.loads(study.model_dump_json()),
    }
    atomic_write_text(out / "sweep.json", json.dumps(meta, indent=2, default=str) + "\n")


def default_role(study: SweepStudy, base: dict) -> str:
    """The role whose plan the sweep changes first (`org.roles.<role>...`), else the first."""
    for p in study.sweep.parameters.values():
        parts = parse_path(p.path)
        if parts[:2] == ["org", "roles"] and len(parts) > 2 and isinstance(parts[2], str):
            return parts[2]
    roles = list((base.get("org") or {}).get("roles") or {})
    return roles[0] if roles else ALL
