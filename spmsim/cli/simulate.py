"""Simulation: `spmsim simulate` runs a scenario's plan year many times."""

from __future__ import annotations

import argparse
from pathlib import Path

from spmsim.cli.common import (
    add_dask,
    add_out,
    add_progress,
    add_seed,
    add_set,
    add_trials,
    notes,
    number,
    overrides,
    whole,
)
from spmsim.config import MAX_TRIALS
from spmsim.engines import DEFAULT_LOGGED_TRIALS, DEFAULT_MEMORY_MB
from spmsim.errors import SpmsimError
from spmsim.format import percent


def cmd_simulate(args) -> int:
    from spmsim.engines import simulate, simulate_agents
    from spmsim.engines.eventlog import even_share, period_end_share
    from spmsim.io import csv_text, text_writer
    from spmsim.model.scenario import load_scenario
    from spmsim.studies.sweep.backends import open_backend

    scenario = load_scenario(args.scenario, overrides(args), trials=args.trials, seed=args.seed)
    if args.engine == "agents":
        if args.workers or args.scheduler:
            raise SpmsimError("--workers and --scheduler run the montecarlo engine on Dask; "
                              "the agents engine runs in this process: drop them")
        results = simulate_agents(scenario, keep_reps=not args.no_rep_detail,
                                  progress=not args.no_progress, logged_trials=args.log_trials)
    else:
        dask = args.workers is not None or args.scheduler is not None
        with notes(), open_backend(args.workers, args.scheduler) as backend:
            if dask:
                print(f"running on {backend.description}")
                if backend.note:
                    print(f"note: {backend.note}")
            results = simulate(scenario, memory_mb=args.memory_mb,
                               workers=None if dask else args.threads,
                               keep_reps=not args.no_rep_detail, progress=not args.no_progress,
                               backend=backend if dask else None)
    out = Path(args.out)
    text = results.summary_text()
    if results.years is not None:
        from spmsim.engines.years import years_text
        text += "\n\n" + years_text(results)
    table = csv_text(results.summary().reset_index(names="metric"))
    results.save(out, also={"summary.csv": text_writer(table),
                            "summary.txt": text_writer(text + "\n")})
    print(text)
    if results.events is not None:
        share = period_end_share(results.events, scenario.year_start)
        print(f"\nwon bookings in the last 14 days of a quarter: {percent(share)} "
              f"(even over the year: {percent(even_share(scenario.year_start))}; logged trials)")
    tables = "trials, periods, histograms" + ("" if args.no_rep_detail else ", reps") + \
        (", events" if results.events is not None else "") + \
        (", years" if results.years is not None else "")
    print(f"\nwrote {out}/ ({tables} as Parquet; meta.json; summary.csv, summary.txt)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("simulate", help="simulate a scenario's plan year many times")
    m.add_argument("scenario", help="scenario YAML file")
    add_out(m, help="output folder for the results")
    add_trials(m, help="simulated plan years (default: the scenario's)")
    add_seed(m, help="random seed (default: the scenario's)")
    add_set(m)
    m.add_argument("--memory-mb", type=number(0, 1e7, above=True), default=DEFAULT_MEMORY_MB,
                   help="memory budget for the working arrays (sets the chunk size)")
    add_dask(m, what="the trials (montecarlo engine)", threads=True)
    m.add_argument("--no-rep-detail", action="store_true",
                   help="keep per-trial summaries only, not every rep of every trial")
    add_progress(m)
    m.add_argument("--engine", choices=["montecarlo", "agents"], default="montecarlo",
                   help="montecarlo (vectorised, fast) or agents (SimPy, with behaviour)")
    m.add_argument("--log-trials", type=whole(0, MAX_TRIALS), default=DEFAULT_LOGGED_TRIALS,
                   help="agents: trials whose events are logged (events.parquet)")
    m.set_defaults(func=cmd_simulate)
