"""Studies: a base scenario, named variants, the engine, and the constraints that matter.

`run_study` simulates every variant on the study seed (common random numbers: trial i of
every variant is the same simulated year, so the differences between variants are the
designs' alone and a paired comparison can say how sure the recommendation is; see
`studies.paired`), or, with `common_draws: false`, each on its own seed spawned from the
study's SeedSequence. It stores each variant's results as Parquet under
`variants/<name>/`, a `summary.csv` with the constraint checks and the recommended
variant, and `results.duckdb` with tables `summary`, `status`, `trials`, `periods` and
`reps` (a `variant` column in each) for SQL. A variant that fails records its error and
the study goes on.
"""

from __future__ import annotations

import json
import math
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from spmsim.config import (
    MEASURE_PATTERN,
    SAFE_NAME_RULE,
    Frozen,
    Trials,
    is_safe_name,
    read_yaml,
)
from spmsim.engines import simulate, simulate_agents
from spmsim.engines.montecarlo import Backend
from spmsim.engines.results import Results
from spmsim.errors import InputError, SpmsimError, problems_from_validation
from spmsim.format import label
from spmsim.io import atomic_folder, atomic_write, atomic_write_text, write_csv
from spmsim.model.scenario import ALL, read_scenario_tree, resolve_files, scenario_from_tree
from spmsim.overrides import apply_overrides
from spmsim.studies.paired import Difference, difference
from spmsim.studies.winners import (
    StudyHistory,
    load_history,
    outcome_counts,
    study_changes,
    winners_and_losers,
)
from spmsim.versions import versions

# metric name -> (summary row, direction shown in the report)
METRICS = {
    "variable_pay_p50": "variable pay P50", "variable_pay_p90": "variable pay P90",
    "variable_pay_mean": "variable pay (mean)", "p_over_budget": "P(variable pay > budget)",
    "cost_of_sales": "cost of sales (P50)", "revenue": "revenue (mean)",
    "profit_after_comp": "profit after comp (mean)",
    "share_at_quota": "share of reps at quota", "attainment_p50": "attainment P50",
    "top20_revenue_share": "revenue share of top 20 % reps",
}


# metric -> the per-trial column (Results.trials_frame) whose mean or quantile it is: what
# two variants are compared on, year by year (studies.paired)
TRIAL_COLUMNS = {
    "variable_pay_p50": "variable_pay", "variable_pay_p90": "variable_pay",
    "variable_pay_mean": "variable_pay", "p_over_budget": "over_budget",
    "cost_of_sales": "cost_of_sales", "revenue": "revenue",
    "profit_after_comp": "profit_after_comp", "share_at_quota": "share_at_quota",
    "attainment_p50": "attainment_p50", "top20_revenue_share": "top20_revenue_share",
}


class Variant(Frozen):
    """A design to compare: overrides on the base scenario, or another scenario file."""

    description: str = ""
    set: dict[str, Any] = Field(default_factory=dict, description="dotted path -> value")
    scenario: str | None = Field(None, description="a scenario file instead of the base")


class Constraint(Frozen):
    """A metric of a group (a role or `all`) that must lie within [min, max]."""

    metric: Literal[tuple(METRICS)]  # type: ignore[valid-type]
    group: str = Field(ALL, pattern=MEASURE_PATTERN)
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Constraint:
        if self.min is None and self.max is None:
            raise ValueError("give `min`, `max` or both")
        return self

    def label(self) -> str:
        lo = "" if self.min is None else f"{self.min:g} <= "
        hi = "" if self.max is None else f" <= {self.max:g}"
        return f"{lo}{self.metric}{'' if self.group == ALL else f' ({self.group})'}{hi}"

    def met(self, value: float) -> bool:
        return (not math.isnan(value)) and (self.min is None or value >= self.min) and \
            (self.max is None or value <= self.max)


class Objective(Frozen):
    metric: Literal[tuple(METRICS)] = "profit_after_comp"  # type: ignore[valid-type]
    group: str = ALL
    goal: Literal["max", "min"] = "max"


class Study(Frozen):
    study: str = Field(min_length=1)
    description: str = ""
    base: str = Field(description="the base scenario file (relative to the study file)")
    variants: dict[str, Variant] = Field(min_length=1)
    engine: Literal["montecarlo", "agents"] = "montecarlo"
    trials: Trials | None = Field(None, ge=1, description="default: the base scenario's")
    seed: int = Field(ge=0)
    common_draws: bool = Field(True, description="true (default): every variant on the study "
                               "seed (paired comparison); false: a seed spawned per variant")
    constraints: tuple[Constraint, ...] = ()
    objective: Objective = Objective()
    history: StudyHistory | None = Field(None, description="last year's deals: winners and "
                                               "losers of each variant against the current")

    @model_validator(mode="after")
    def _names(self) -> Study:
        for name in self.variants:
            if not is_safe_name(name):
                raise ValueError(f"variants.{name}: a variant name is a folder name: "
                                 f"{SAFE_NAME_RULE}")
        if self.history and self.history.current and self.history.current not in self.variants:
            raise ValueError(f"history.current: {self.history.current!r} is not a variant "
                             f"({', '.join(self.variants)})")
        return self

    @property
    def current(self) -> str:
        """The variant that stands for today's plans."""
        return (self.history and self.history.current) or next(iter(self.variants))


def load_study(path: str | Path) -> Study:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(path, "a study file is a mapping with `study:`, `base:`, `variants:`")
    if "sweep" in data:
        raise InputError(path, "sweep: a sweep study (spmsim.studies.sweep.runner): run it "
                               "with `spmsim sweep`")
    try:
        return Study.model_validate(data)
    except ValidationError as e:
        keys = frozenset(name for m in (Study, Variant, Constraint, Objective, StudyHistory)
                         for name in m.model_fields)
        raise InputError(path, problems_from_validation(e, frozenset(), keys)) from e


def variant_seeds(study: Study) -> dict[str, int]:
    """Each variant's seed: the study's (common draws), or spawned children of the study's
    SeedSequence in file order (`common_draws: false`)."""
    if study.common_draws:
        return dict.fromkeys(study.variants, study.seed)
    children = np.random.SeedSequence(study.seed).spawn(len(study.variants))
    return {name: int(c.generate_state(1, np.uint64)[0] >> np.uint64(1))
            for name, c in zip(study.variants, children, strict=True)}


def variant_scenario(study: Study, name: str, study_path: Path):
    """The validated scenario of one variant (the base with its overrides, or its file)."""
    v = study.variants[name]
    path = study_path.parent / (v.scenario or study.base)
    tree = read_scenario_tree(path)
    if v.set:
        try:
            tree = apply_overrides(tree, v.set)
        except ValueError as e:
            raise SpmsimError(f"variants.{name}.set: {e}") from e
        resolve_files(tree, study_path)  # files named in `set:` are relative to the study
    return scenario_from_tree(tree, path)


def _metrics(results: Results) -> dict[str, dict[str, float]]:
    summary = results.summary()
    return {group: {m: float(summary.loc[row, group]) for m, row in METRICS.items()}
            for group in summary.columns}


def summarise(study: Study, metrics: dict[str, dict[str, dict[str, float]]],
              status: dict[str, str]) -> pd.DataFrame:
    """One row per variant: the objective and constraint metrics, each constraint met or
    not, and which variant is recommended (best objective among those meeting all)."""
    rows = []
    for name in study.variants:
        row: dict[str, Any] = {"variant": name, "status": status[name]}
        m = metrics.get(name, {})
        groups = {study.objective.group} | {c.group for c in study.constraints} | {ALL}
        for g in sorted(groups):
            for key, value in m.get(g, {}).items():
                row[key if g == ALL else f"{key} ({g})"] = value
        met = []
        for c in study.constraints:
            value = m.get(c.group, {}).get(c.metric, float("nan"))
            row[c.label()] = c.met(value)
            met.append(c.met(value))
        row["meets_all"] = status[name] == "ok" and all(met)
        row["objective"] = m.get(study.objective.group, {}).get(study.objective.metric,
                                                                 float("nan"))
        rows.append(row)
    df = pd.DataFrame(rows)
    ok = df[df["meets_all"]]
    best = None
    if len(ok):
        pick = ok["objective"].idxmax() if study.objective.goal == "max" else \
            ok["objective"].idxmin()
        best = df.loc[pick, "variant"]
    df["recommended"] = df["variant"] == best
    return df


def runner_up(summary: pd.DataFrame, goal: str = "max") -> str | None:
    """The variant the recommended one is compared with: the best other variant meeting
    every constraint, else the best other one that ran."""
    rec = summary.loc[summary["recommended"], "variant"]
    s = summary[(summary["status"] == "ok") & ~summary["variant"].isin(rec)]
    if s.empty or rec.empty:
        return None
    pool = s[s["meets_all"]] if s["meets_all"].any() else s
    best = pool["objective"].idxmax() if goal == "max" else pool["objective"].idxmin()
    return str(pool.loc[best, "variant"])


def comparison(study: Study, summary: pd.DataFrame, results: dict[str, Results],
               seeds: dict[str, int]) -> Difference | None:
    """The recommended variant against the runner-up on the objective, trial by trial
    (paired when both ran on the same seed and trials)."""
    rec = summary.loc[summary["recommended"], "variant"]
    other = runner_up(summary, study.objective.goal)
    if rec.empty or other is None:
        return None
    rec = str(rec.iloc[0])
    column, group = TRIAL_COLUMNS[study.objective.metric], study.objective.group
    values = []
    for v in (rec, other):
        t = results[v].trials_frame()
        values.append(t.loc[t["group"] == group, column].to_numpy(dtype=float))
    paired = seeds[rec] == seeds[other] and len(values[0]) == len(values[1])
    return difference(values[0], values[1], paired=paired, goal=study.objective.goal,
                      names=(rec, other))


def duckdb_writer(tables: dict[str, pd.DataFrame]) -> Callable[[Path], None]:
    """A writer of each frame as a table of a new DuckDB file at the path it is given."""
    def write(tmp: Path) -> None:
        import duckdb  # only when writing: importing it costs a second

        tmp.unlink(missing_ok=True)  # duckdb creates its own file
        con = duckdb.connect(str(tmp))
        try:
            for name, df in tables.items():
                con.register("frame", df)
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
                con.unregister("frame")
        finally:
            con.close()
    return write


def write_duckdb(path: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Each frame as a table of a new DuckDB file, written atomically (studies, sweeps)."""
    atomic_write(path, duckdb_writer(tables))


# what a study folder holds; an existing folder holding anything else is not replaced
OWNED = frozenset({"variants", "summary.csv", "results.duckdb", "study.json",
                   "winners_losers.csv", "winners_losers_summary.csv"})


def run_study(path: str | Path, out: str | Path, *, trials: int | None = None,
              progress: bool = True, log: Callable[[str], None] = print,
              backend: Backend | None = None) -> pd.DataFrame:
    """Run every variant; returns the summary (also written to `out`).

    The folder is written as a unit: built beside `out` and swapped into place when every
    variant has run, so an interrupted or failed run (a full disk) leaves the previous
    study whole. With a `backend` (`spmsim.studies.sweep.backends.open_backend`), the
    Monte Carlo variants' trial chunks run as its tasks (Dask); the figures are the
    serial run's.
    """
    path, out = Path(path), Path(out)
    study = load_study(path)
    with atomic_folder(out, OWNED) as tmp:
        return _run(study, path, tmp, trials, progress, log, backend)


def _run(study: Study, path: Path, out: Path, trials: int | None, progress: bool,
         log: Callable[[str], None], backend: Backend | None = None) -> pd.DataFrame:
    seeds = variant_seeds(study)
    metrics, status, frames = {}, {}, {"trials": [], "periods": [], "reps": []}
    done: dict[str, Results] = {}
    history = current = None
    if study.history:  # bad history stops the study before any variant runs
        current = variant_scenario(study, study.current, path)
        history = load_history(study.history, path, current)
    changes = {}
    for name in study.variants:
        try:
            scenario = variant_scenario(study, name, path)
            if history is not None and name != study.current:
                changes[name] = winners_and_losers(history, current, scenario)
            n = trials or study.trials
            if study.engine == "agents":  # SimPy runs in this process
                results = simulate_agents(scenario, trials=n, seed=seeds[name],
                                          progress=progress)
            else:
                results = simulate(scenario, trials=n, seed=seeds[name], progress=progress,
                                   backend=backend)
            results.save(out / "variants" / name)
            metrics[name], status[name], done[name] = _metrics(results), "ok", results
            frames["trials"].append(results.trials_frame().assign(variant=name))
            frames["periods"].append(results.periods_frame().assign(variant=name))
            if results.reps is not None:
                frames["reps"].append(results.reps.assign(variant=name))
            log(f"{label(name)}: ok ({results.n_trials:,} trials, seed {seeds[name]})")
        except OSError:  # the disk, not the variant: stop, leaving the previous study
            raise
        except (SpmsimError, ValueError, KeyError) as e:
            status[name] = f"failed: {e}"
            log(f"{label(name)}: FAILED\n{e}")
        except Exception as e:  # a bug: keep the traceback in the status table
            status[name] = "failed: " + "".join(traceback.format_exception_only(e)).strip()
            log(f"{label(name)}: FAILED\n{traceback.format_exc()}")
    summary = summarise(study, metrics, status)
    write_csv(summary, out / "summary.csv")
    tables = {"summary": summary,
              "status": pd.DataFrame({"variant": list(status), "status": list(status.values()),
                                      "seed": [seeds[v] for v in status]})}
    for key, parts in frames.items():
        if parts:
            tables[key] = pd.concat(parts, ignore_index=True)
    if history is not None:
        table = study_changes(changes)
        tables["winners_losers"] = table
        write_csv(table, out / "winners_losers.csv")
        write_csv(outcome_counts(table), out / "winners_losers_summary.csv")
    write_duckdb(out / "results.duckdb", tables)
    diff = comparison(study, summary, done, seeds)
    meta = {"study": study.study, "file": str(path), "seed": study.seed, "seeds": seeds,
            "engine": study.engine, "trials": trials or study.trials, "current": study.current,
            "comparison": None if diff is None else diff.as_dict(),
            "descriptions": {name: v.description for name, v in study.variants.items()},
            "study_spec": json.loads(study.model_dump_json()), **versions()}
    atomic_write_text(out / "study.json", json.dumps(meta, indent=2) + "\n")
    return summary
