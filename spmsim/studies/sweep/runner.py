"""Sweeps: run a sweep study's candidates on a backend, resumably, and write the results.

The study file, its parameters and the drawing of candidates and their seeds are in
`spmsim.studies.sweep.spec` (its names are exported here too). Every candidate is a whole
task for a backend (`spmsim.studies.sweep.backends`): the scenario tree with its overrides
applied goes out, one row of metrics comes back and is written at once to
`candidates/<id>.json`, so an interrupted sweep resumes where it stopped. After the first
round, refinement rounds run candidates around the best so far
(`spmsim.studies.sweep.search`); the candidates table, the Pareto front and the choice are
written to the output folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from spmsim.engines import simulate, simulate_agents
from spmsim.engines.results import Results
from spmsim.errors import SpmsimError
from spmsim.io import atomic_write_text, csv_text, sha256_file, text_writer, write_files
from spmsim.model.scenario import ALL, read_scenario_tree, scenario_from_tree
from spmsim.overrides import parse_path
from spmsim.studies.study import METRICS, duckdb_writer
from spmsim.studies.sweep import search
from spmsim.studies.sweep.backends import DaskClient, open_backend, run_tasks
from spmsim.studies.sweep.spec import (
    Candidate,
    Parameter,
    Refine,
    Sweep,
    SweepStudy,
    candidate_seed,
    candidate_tree,
    canonical,
    check_against_base,
    initial_candidates,
    load_sweep_study,
    refined_candidates,
)
from spmsim.versions import versions

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
            try:
                record = json.loads(f.read_text(encoding="utf-8"))
                self.records[int(record["index"])] = record
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError,
                    ValueError) as e:
                raise SpmsimError(f"{f}: not a finished candidate's record ({e}); remove it "
                                  "(or run with --no-resume)") from e

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
        text = canonical({"params": c.params, "seed": seed, "trials": self.trials,
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
                   hashlib.sha256(canonical(base).encode()).hexdigest())
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
    """candidates.parquet, summary.csv, results.duckdb and sweep.json (with the SHA-256 of
    the others), all written before any replaces the previous run's."""
    parameters = pd.DataFrame([
        {"name": name, "path": p.path, "kind": "values" if p.values is not None else "range",
         "low": p.low, "high": p.high, "log": p.log, "integer": p.integer,
         "values": None if p.values is None else canonical(list(p.values))}
        for name, p in study.sweep.parameters.items()])
    objectives = pd.DataFrame([{"metric": o.metric, "group": o.group, "goal": o.goal,
                                "column": search.metric_column(o.metric, o.group)}
                               for o in study.sweep.objectives])
    chosen = table.loc[table["chosen"], "candidate"]
    meta = {
        "study": study.study, "file": str(path.resolve()), "seed": study.seed, **versions(),
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
    digests: dict[str, str] = {}

    def hashed(name: str, write: Callable[[Path], object]) -> Callable[[Path], None]:
        def write_and_hash(tmp: Path) -> None:
            write(tmp)
            digests[name] = sha256_file(tmp)
        return write_and_hash

    writers = {
        "candidates.parquet": lambda p: table.to_parquet(p, index=False, engine="pyarrow"),
        "summary.csv": text_writer(csv_text(table)),
        "results.duckdb": duckdb_writer({"candidates": table, "parameters": parameters,
                                         "objectives": objectives})}
    write_files(out, {**{name: hashed(name, w) for name, w in writers.items()},
                      "sweep.json": lambda p: text_writer(json.dumps(
                          {**meta, "files": digests}, indent=2, default=str) + "\n")(p)})


def default_role(study: SweepStudy, base: dict) -> str:
    """The role whose plan the sweep changes first (`org.roles.<role>...`), else the first."""
    for p in study.sweep.parameters.values():
        parts = parse_path(p.path)
        if parts[:2] == ["org", "roles"] and len(parts) > 2 and isinstance(parts[2], str):
            return parts[2]
    roles = list((base.get("org") or {}).get("roles") or {})
    return roles[0] if roles else ALL


__all__ = ["Candidate", "CandidateStore", "Parameter", "Refine", "Sweep", "SweepStudy", "Task",
           "candidate_seed", "default_role", "initial_candidates", "load_sweep_study",
           "metric_row", "refined_candidates", "run_candidate", "run_sweep"]
