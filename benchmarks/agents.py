"""Agent-based (SimPy) engine: wall time of the Acme year, SimPy events per second, and how
much of it is SimPy itself, against the Monte Carlo engine and bare SimPy in the same run.

What it measures, in one run:

* the issue's figure: `spmsim.engines.simulate_agents` on `scenarios/acme_baseline.yaml` (120
  seats in 3 roles: 40 enterprise and 50 SMB AEs on the pipeline model with stages, simulated
  as SimPy processes; 30 account managers on the attainment model, drawn as in the Monte
  Carlo engine) for one plan year x 200 trials with every behaviour off, and the same on
  `scenarios/acme_behavior.yaml` (behaviour on: effort chosen by the role's policy, which is
  solved once per run, deal timing, quitting). Each is timed unpatched with the engine's
  defaults (`keep_reps`, an event log of the first `logged_trials` = 50 trials), and again
  with no event log (`logged_trials=0`): a logged trial gives every opportunity a process, an
  unlogged one only the won deals, so the two cost differently. Wall and CPU seconds;
  `--repeat` (1) runs each, best kept. Target: the default run of each scenario under two
  minutes on 2 cores. The engine runs on one thread, so the second core only absorbs other
  load;
* SimPy events per second: the engine does not count its events, so a few trials
  (`--count-trials`, 10) of each scenario are run again, once all logged and once unlogged,
  with `simpy.Environment` replaced (in this process, for those runs only) by a subclass
  whose `step()` counts each event processed, by SimPy type (Initialize = a process started,
  Timeout, Process = a process ended, Condition, Event), and the length of the event queue at
  each step. They are the first trials of the timed runs (same seed), and the script checks
  that they give the same figures and log, so the counter changes nothing. Events of a run =
  logged trials x events per logged trial + the rest x events per unlogged trial; events per
  second = that / wall seconds of the unpatched timed run. Also the logged events (rows of
  `results.events` per logged trial) by type, from the default run;
* baselines in the same run: the Monte Carlo engine (`spmsim.engines.simulate`) on the same
  scenario file and trials (it ignores behaviour), with its default worker threads and with
  one, best of `--mc-repeat` (3); the ratio agent time / MC time. And bare SimPy: the time
  SimPy takes to process the same number of events (the counted means, logged and unlogged
  trials apart) as plain `env.timeout`s, in one process (a fresh Environment per trial, one
  SimPy process yielding `timeout(1)` in a loop), and the same events shaped like the
  engine's: as many short processes started and ended per trial as the engine's (Initialize
  count), the rest as Timeouts among them, as many alive at a time as the engine's mean queue
  length (each one ending starts the next; exponential gaps drawn beforehand), so the heap is
  as deep. Bare time / agent time estimates SimPy's own share of the engine's time (the
  one-process figure is a floor: the shallowest heap, no process start-up); the rest is
  spmsim's Python logic, its numpy calls, the payout step and the event log. The unlogged
  shape is timed over all the trials and the default run's figure takes its share of them;
* checks (exit 1 if one fails): the counting runs give the same figures (and log) as the
  same trials of the timed runs, and the runs with and without the event log the same
  figures;
* for information, not a test: the mean revenue and variable pay per trial of each role
  from both engines (they differ by design: the agent engine has pipeline lags, warm-up and
  successors inheriting deals, and behaviour in the second scenario).

`--profile N` runs only a profile: N trials of each scenario (`--profile-scenario`) under
cProfile, the first `--logged-trials` of them logged (so all of them for N <= 50; pass
`--logged-trials 0` to profile unlogged trials), printing the top 20 (`--top`) functions by
cumulative and by total (own) time and the own time by package (simpy, spmsim, numpy, ...),
to guide the next optimisation.

Run from the repository root. The default run takes about 4 minutes on 2 cores (mostly the
four 200-trial agent runs); `--quick` (20 trials, 3 counted) about 30 seconds:

    .venv/bin/python benchmarks/agents.py
    .venv/bin/python benchmarks/agents.py --quick
    .venv/bin/python benchmarks/agents.py --trials 200 --json /tmp/agents.json --no-progress
    .venv/bin/python benchmarks/agents.py --profile 20
    .venv/bin/python benchmarks/agents.py --profile 20 --logged-trials 0
    .venv/bin/python benchmarks/agents.py --profile 20 --profile-scenario behavior --top 30
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import pstats
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import simpy

import spmsim.engines.agents as agents_module
from spmsim.engines import simulate, simulate_agents
from spmsim.engines.agents import DEFAULT_LOGGED_TRIALS
from spmsim.engines.results import Results
from spmsim.engines.threads import default_workers
from spmsim.model.market import PipelineMarket
from spmsim.model.scenario import Scenario, load_scenario

from machine import fill_sizes, machine_info  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {"baseline": ROOT / "scenarios" / "acme_baseline.yaml",
             "behavior": ROOT / "scenarios" / "acme_behavior.yaml"}
LABELS = {"baseline": "behaviour off", "behavior": "behaviour on"}
SHORT = {"baseline": "off", "behavior": "on"}
TARGET_SECONDS = 120.0  # 120 reps x one year x 200 trials, on 2 cores
TARGET_TRIALS = 200

QUICK = {"trials": 20, "count_trials": 3}
FULL = {"trials": TARGET_TRIALS, "count_trials": 10}


# ----------------------------------------------------------------------------- counting

@dataclass
class EnvCount:
    """What one Environment (one trial) processed."""

    steps: int = 0
    by_type: Counter = field(default_factory=Counter)
    queue_sum: int = 0
    queue_max: int = 0


class CountingEnvironment(simpy.Environment):
    """simpy.Environment whose step() counts the events it processes (counting run only)."""

    counts: list[EnvCount] = []  # one per Environment created, in order

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._count = EnvCount()
        CountingEnvironment.counts.append(self._count)

    def step(self) -> None:
        queue = self._queue
        if queue:
            c = self._count
            c.steps += 1
            c.by_type[type(queue[0][3]).__name__] += 1
            c.queue_sum += len(queue)
            c.queue_max = max(c.queue_max, len(queue))
        super().step()


@contextlib.contextmanager
def counting_simpy() -> Iterator[list[EnvCount]]:
    """Replace simpy.Environment, as the agent engine sees it, by the counting subclass."""
    original = agents_module.simpy.Environment
    CountingEnvironment.counts = []
    agents_module.simpy.Environment = CountingEnvironment
    try:
        yield CountingEnvironment.counts
    finally:
        agents_module.simpy.Environment = original


@dataclass
class Count:
    trials: int
    steps: np.ndarray  # events processed per trial
    by_type: dict[str, float]  # mean per trial
    queue_mean: float  # mean queue length at a step
    queue_max: int
    seconds: float  # wall time of the counting run (patched: not a benchmark figure)
    results: Results

    @property
    def per_trial(self) -> float:
        return float(self.steps.mean())

    @property
    def per_trial_se(self) -> float:
        n = self.steps.size
        return float(self.steps.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan


def count_events(scenario: Scenario, trials: int, logged: int) -> Count:
    with counting_simpy() as envs:
        t0 = time.perf_counter()
        res = simulate_agents(scenario, trials=trials, progress=False, logged_trials=logged)
        seconds = time.perf_counter() - t0
    if len(envs) != trials:
        raise SystemExit(f"counting run: expected one SimPy Environment per trial ({trials}), "
                         f"got {len(envs)}")
    total: Counter = Counter()
    for e in envs:
        total.update(e.by_type)
    steps = np.array([e.steps for e in envs], dtype=float)
    return Count(trials=trials, steps=steps,
                 by_type={k: v / trials for k, v in total.most_common()},
                 queue_mean=sum(e.queue_sum for e in envs) / max(steps.sum(), 1.0),
                 queue_max=max(e.queue_max for e in envs), seconds=seconds, results=res)


def same_figures(part: Results, full: Results, trials: int) -> bool:
    """Per-trial and per-month figures of `part` equal the first `trials` of `full`."""
    return all(np.array_equal(part.trial[s], full.trial[s][:trials], equal_nan=True)
               for s in part.trial) and \
        all(np.array_equal(part.period[s], full.period[s][:trials], equal_nan=True)
            for s in part.period)


def same_log(part: Results, full: Results, trials: int) -> bool:
    """The event logs of both runs agree on trials [0, trials)."""
    if part.events is None or full.events is None:
        return part.events is None and full.events is None
    a = part.events[part.events["trial"] < trials].reset_index(drop=True)
    b = full.events[full.events["trial"] < trials].reset_index(drop=True)
    return len(a) == len(b) and all(
        np.array_equal(a[c].astype(object).to_numpy(), b[c].astype(object).to_numpy())
        for c in a.columns)


# ----------------------------------------------------------------------------- timed runs

@dataclass
class Timed:
    wall: float
    cpu: float
    all_wall: list[float]
    results: Results | None = None


def _best_of(run: Callable[[], Results], repeat: int) -> Timed:
    """Run `repeat` times; keep the fastest wall time (and its CPU time) and the first result."""
    walls, cpus, res = [], [], None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        r = run()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        if res is None:
            res = r
    best = int(np.argmin(walls))
    return Timed(wall=walls[best], cpu=cpus[best], all_wall=walls, results=res)


def time_agents(scenario: Scenario, trials: int, logged: int, progress: bool,
                repeat: int) -> Timed:
    return _best_of(lambda: simulate_agents(scenario, trials=trials, progress=progress,
                                            logged_trials=logged), repeat)


def time_mc(scenario: Scenario, trials: int, workers: int, repeat: int) -> Timed:
    return _best_of(lambda: simulate(scenario, trials=trials, progress=False,
                                     workers=workers), repeat)


# ----------------------------------------------------------------------------- bare SimPy

def _ticker(env: simpy.Environment, n: int):
    timeout = env.timeout
    for _ in range(n):
        yield timeout(1.0)


class _Spawner:
    """Short processes over given gap lists; each one ending starts the next waiting one."""

    def __init__(self, env: simpy.Environment, gaps: list[list[float]], live: int):
        self.env, self.pending = env, iter(gaps[live:])
        for g in gaps[:live]:
            env.process(self.run(g))

    def run(self, gaps: list[float]):
        timeout = self.env.timeout
        for g in gaps:
            yield timeout(g)
        nxt = next(self.pending, None)
        if nxt is not None:
            self.env.process(self.run(nxt))


def bare_simpy_one(events: int, trials: int) -> float:
    """Seconds for SimPy to process `events` per trial (an Initialize, events - 2 Timeouts and
    the process's end) in one SimPy process, a fresh Environment per trial."""
    n = max(events - 2, 0)
    t0 = time.perf_counter()
    for _ in range(trials):
        env = simpy.Environment()
        env.process(_ticker(env, n))
        env.run()
    return time.perf_counter() - t0


def bare_simpy_shaped(events: int, processes: int, live: int, trials: int,
                      seed: int) -> float:
    """The same events per trial shaped like the engine's: `processes` short SimPy processes
    started and ended (an Initialize and a Process event each) and events - 2 x processes
    Timeouts among them, `live` processes alive at a time (each ending one starts the next),
    so the heap is about as deep as the engine's. Exponential gaps drawn before the clock."""
    processes = max(min(processes, events // 3), 1)
    live = max(min(live, processes), 1)
    timeouts = max(events - 2 * processes, processes)
    rng = np.random.default_rng(seed)
    seconds = 0.0
    for _ in range(trials):
        sizes = np.full(processes, timeouts // processes)
        sizes[: timeouts % processes] += 1
        flat = rng.exponential(1.0, size=timeouts).tolist()
        cuts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        gaps = [flat[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        t0 = time.perf_counter()
        env = simpy.Environment()
        _Spawner(env, gaps, live)
        env.run()
        seconds += time.perf_counter() - t0
    return seconds


# ----------------------------------------------------------------------------- profile

PACKAGES = ("simpy", "spmsim", "numpy", "pandas", "pydantic", "tqdm")


def package_of(key: tuple[str, int, str]) -> str:
    filename, _, name = key
    if filename == "~":  # a C function, listed under its own name
        for p in ("numpy", "_heapq"):
            if p in name:
                return "simpy (heapq, C)" if p == "_heapq" else "numpy (C)"
        return "builtins (C, any caller)"
    parts = Path(filename).parts
    for p in PACKAGES:
        if p in parts:
            return p
    return "python stdlib / other"


def profile_mode(args: argparse.Namespace, scenarios: dict[str, Scenario]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = list(SCENARIOS) if args.profile_scenario == "both" else [args.profile_scenario]
    for name in names:
        sc = scenarios[name]
        simulate_agents(sc, trials=1, progress=False, logged_trials=0)  # warm up
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        simulate_agents(sc, trials=args.profile, progress=False,
                        logged_trials=min(args.logged_trials, args.profile))
        prof.disable()
        wall = time.perf_counter() - t0
        stats = pstats.Stats(prof)
        total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
        print(f"\nprofile: {sc.scenario!r} ({LABELS[name]}), {args.profile} trials "
              f"({min(args.logged_trials, args.profile)} logged) under cProfile, {wall:.1f} s "
              f"wall (profiling slows it); own time {total:.1f} s")
        tables = {}
        for sort in ("cumulative", "tottime"):
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(sort).print_stats(args.top)
            text = buf.getvalue()
            start = text.find("   ncalls")
            print(f"\ntop {args.top} by {'cumulative' if sort == 'cumulative' else 'total (own)'}"
                  " time\n")
            print(text[start:].rstrip())
            tables[sort] = text[start:].rstrip()
        by_pkg: Counter = Counter()
        for key, v in stats.stats.items():  # type: ignore[attr-defined]
            by_pkg[package_of(key)] += v[2]
        print("\nown time by package\n")
        head = f"{'':28} {'seconds':>9} {'share':>7}"
        print(head)
        print("-" * len(head))
        for pkg, s in by_pkg.most_common():
            print(f"{pkg:28} {s:9.2f} {s / total:7.1%}")
        out[name] = {"trials": args.profile, "wall_profiled": wall, "own_total": total,
                     "by_package": dict(by_pkg.most_common()), "tables": tables}
    return out


# ----------------------------------------------------------------------------- report

def describe(scenario: Scenario) -> str:
    parts = []
    for name, role in scenario.org.roles.items():
        market = scenario.market[name]
        model = "pipeline, SimPy" if isinstance(market, PipelineMarket) else "attainment, drawn"
        parts.append(f"{name} {role.seats} seats ({model})")
    seats = sum(r.seats for r in scenario.org.roles.values())
    on = [k for k in ("effort", "effort_choice", "giving_up", "timing", "quitting",
                      "selection")
          if getattr(scenario.behavior, k) is not None]
    return f"{seats} seats: " + ", ".join(parts) + "; behaviour: " + (", ".join(on) or "off")


def role_means(res: Results) -> dict[str, dict[str, float]]:
    return {g: {"revenue": float(res.trial["revenue"][:, i].mean()),
                "variable_pay": float(res.trial["variable_pay"][:, i].mean())}
            for i, g in enumerate(res.groups)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=None,
                    help=f"trials of each timed run ({FULL['trials']}; --quick "
                         f"{QUICK['trials']})")
    ap.add_argument("--count-trials", type=int, default=None,
                    help=f"trials of each event-counting run ({FULL['count_trials']}; --quick "
                         f"{QUICK['count_trials']})")
    ap.add_argument("--logged-trials", type=int, default=DEFAULT_LOGGED_TRIALS,
                    help=f"the engine's logged_trials ({DEFAULT_LOGGED_TRIALS}, its default)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time each agent run this many times, keep the best (1)")
    ap.add_argument("--mc-repeat", type=int, default=3,
                    help="time each MC run this many times, keep the best (3)")
    ap.add_argument("--workers", type=int, default=None,
                    help=f"MC engine worker threads (its default here: {default_workers()})")
    ap.add_argument("--seed", type=int, default=20270101,
                    help="seed of the bare SimPy gaps (the engines use the scenarios' seeds)")
    ap.add_argument("--profile", type=int, default=None, metavar="N",
                    help="only profile: N trials of each scenario under cProfile")
    ap.add_argument("--profile-scenario", choices=[*SCENARIOS, "both"], default="both",
                    help="which scenario --profile runs (both)")
    ap.add_argument("--top", type=int, default=20, help="functions per profile table (20)")
    ap.add_argument("--quick", action="store_true", help="small sizes, well under a minute")
    ap.add_argument("--json", type=Path, default=None, metavar="PATH",
                    help="write the figures as JSON here")
    ap.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    args = ap.parse_args(argv)
    fill_sizes(ap, args, QUICK if args.quick else FULL,
               ("trials", "count_trials", "repeat", "mc_repeat", "workers", "top"))
    if args.count_trials > args.trials:
        ap.error("--count-trials must not exceed --trials (they are its first trials)")
    if args.logged_trials < 0:
        ap.error("--logged-trials must be >= 0")
    if args.profile is not None and args.profile < 1:
        ap.error("--profile must be >= 1")
    return args


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def git_state() -> dict[str, Any]:
    """The commit measured, and whether spmsim/ differs from it (others edit it)."""
    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "spmsim_dirty": bool(git("status", "--porcelain", "--", "spmsim"))}


def row(label: str, wall: float, cpu: float | None, trials: int, events: float | None,
        ratio: float) -> str:
    return (f"{label:48} {wall:8.2f} " + (f"{cpu:8.2f} " if cpu is not None else f"{'':8} ")
            + f"{trials / wall:9.1f} "
            + (f"{events:12,.0f} {events / wall:11.3e} " if events is not None
               else f"{'':12} {'':11} ")
            + f"{ratio:10.1f}x")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    progress = not args.no_progress
    info = {**machine_info("numpy", "pandas", "simpy", "spmsim"), **git_state()}
    scenarios = {k: load_scenario(p) for k, p in SCENARIOS.items()}
    trials = args.trials
    n_log = min(args.logged_trials, trials)  # logged trials of the default run

    print(f"machine: {info['platform']}; {info['cpu']}; {info['cpu_count']} CPUs "
          f"({info['nproc']} usable); Python {info['python']}, numpy {info['numpy']}, "
          f"pandas {info['pandas']}, simpy {info['simpy']}; load average at start "
          + (", ".join(f"{x:.2f}" for x in info["loadavg_at_start"])
             if info["loadavg_at_start"] else "?"))
    print(f"spmsim at commit {info['commit']}"
          + (" with uncommitted changes under spmsim/" if info["spmsim_dirty"] else ""))
    for k, sc in scenarios.items():
        print(f"{SCENARIOS[k].relative_to(ROOT)}: {describe(sc)}")

    if args.profile is not None:
        prof = profile_mode(args, scenarios)
        if args.json is not None:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"benchmark": "agents-profile", "machine": info,
                                             "profile": prof}, indent=2) + "\n")
            print(f"\nfigures written to {args.json}")
        return 0

    # --- warm up both engines (imports, first-call caches)
    for sc in scenarios.values():
        simulate_agents(sc, trials=1, progress=False, logged_trials=1)
        simulate(sc, trials=64, progress=False, workers=args.workers)

    # --- count SimPy events (patched), logged and unlogged trials apart: an unlogged trial
    # gives only won deals a process, so it processes far fewer events
    k_count = args.count_trials
    counts: dict[str, dict[str, Count]] = {}
    for k, sc in scenarios.items():
        counts[k] = {}
        for kind, logged in (("logged", k_count), ("unlogged", 0)):
            print(f"counting SimPy events: {LABELS[k]}, {k_count} {kind} trials (patched "
                  "Environment)", file=sys.stderr, flush=True)
            counts[k][kind] = count_events(sc, k_count, logged)

    def run_events(k: str, logged: int) -> float:
        c = counts[k]
        return logged * c["logged"].per_trial + (trials - logged) * c["unlogged"].per_trial

    # --- timed runs, unpatched
    agent: dict[str, dict[str, Timed]] = {}
    mc: dict[str, Timed] = {}
    mc1: dict[str, Timed] = {}
    for k, sc in scenarios.items():
        agent[k] = {}
        print(f"agent engine: {LABELS[k]}, {trials} trials, logged_trials={args.logged_trials}",
              file=sys.stderr, flush=True)
        agent[k]["log"] = time_agents(sc, trials, args.logged_trials, progress, args.repeat)
        if args.logged_trials > 0:
            print(f"agent engine: {LABELS[k]}, {trials} trials, no event log", file=sys.stderr,
                  flush=True)
            agent[k]["nolog"] = time_agents(sc, trials, 0, progress, args.repeat)
        else:
            agent[k]["nolog"] = agent[k]["log"]
        print(f"MC engine: {SCENARIOS[k].name}, {trials} trials", file=sys.stderr, flush=True)
        mc[k] = time_mc(sc, trials, args.workers, args.mc_repeat)
        mc1[k] = time_mc(sc, trials, 1, args.mc_repeat) if args.workers != 1 else mc[k]

    # --- bare SimPy: the logged shape for the default run's logged trials, the unlogged
    # shape for a full run's worth; the default run's figure is logged + its unlogged share
    bare: dict[str, dict[str, Any]] = {}
    for k in scenarios:
        bare[k] = {}
        for kind, n in (("logged", n_log), ("unlogged", trials)):
            c = counts[k][kind]
            events = round(c.per_trial)
            procs = max(round(c.by_type.get("Initialize", 1.0)), 1)
            live = max(round(c.queue_mean), 1)
            print(f"bare SimPy: {events:,} events x {n} trials ({LABELS[k]}, {kind} shape)",
                  file=sys.stderr, flush=True)
            bare[k][kind] = {
                "trials": n, "events_per_trial": events, "processes": procs, "live": live,
                "one": bare_simpy_one(events, n) if n else 0.0,
                "shaped": bare_simpy_shaped(events, procs, live, n, args.seed) if n else 0.0}
        for v in ("one", "shaped"):
            u = bare[k]["unlogged"][v]
            bare[k][v] = {"log": bare[k]["logged"][v] + u * (trials - n_log) / trials,
                          "nolog": u}
    load_end = list(os.getloadavg()) if hasattr(os, "getloadavg") else None

    # --- checks: the counter changes nothing; logging changes no figure
    checks: dict[str, dict[str, bool]] = {}
    for k in scenarios:
        log_run, nolog_run = agent[k]["log"].results, agent[k]["nolog"].results
        checks[k] = {
            "counted_logged_figures": same_figures(counts[k]["logged"].results, log_run,
                                                   k_count),
            "counted_logged_log": same_log(counts[k]["logged"].results, log_run,
                                           min(k_count, n_log)),
            "counted_unlogged_figures": same_figures(counts[k]["unlogged"].results, nolog_run,
                                                     k_count),
            "logged_vs_unlogged_figures": same_figures(log_run, nolog_run, trials),
        }

    # --- report
    print(f"\nwall time, {trials} trials of one plan year each (agent runs timed "
          f"{args.repeat}x, MC {args.mc_repeat}x, best kept; cpu = process CPU seconds, all "
          "threads; SimPy events = counted per trial x trials)\n")
    head = (f"{'':48} {'wall s':>8} {'cpu s':>8} {'trials/s':>9} {'SimPy events':>12} "
            f"{'events/s':>11} {'agent/this':>11}")
    figures: dict[str, Any] = {}
    for k in scenarios:
        a, a0 = agent[k]["log"], agent[k]["nolog"]
        ev, ev0 = run_events(k, n_log), run_events(k, 0)
        b = bare[k]
        print(f"{LABELS[k]} ({SCENARIOS[k].relative_to(ROOT)})")
        print(head)
        print("-" * len(head))
        print(row(f"agent engine, log of {n_log} trials (defaults)", a.wall, a.cpu, trials, ev,
                  1.0))
        if args.logged_trials > 0:
            print(row("agent engine, no event log (logged_trials=0)", a0.wall, a0.cpu, trials,
                      ev0, a.wall / a0.wall))
        print(row(f"MC engine, same file, {args.workers} workers", mc[k].wall, mc[k].cpu,
                  trials, None, a.wall / mc[k].wall))
        if args.workers != 1:
            print(row("MC engine, same file, 1 worker", mc1[k].wall, mc1[k].cpu, trials, None,
                      a.wall / mc1[k].wall))
        print(row("bare SimPy, same events, one process", b["one"]["log"], None, trials, ev,
                  a.wall / b["one"]["log"]))
        print(row("bare SimPy, same events, engine-shaped", b["shaped"]["log"], None, trials,
                  ev, a.wall / b["shaped"]["log"]))
        print()
        figures[k] = {
            "scenario": str(SCENARIOS[k].relative_to(ROOT)), "trials": trials,
            "logged_trials": n_log,
            "agent": {"wall": a.wall, "cpu": a.cpu, "all_wall": a.all_wall,
                      "trials_per_s": trials / a.wall, "simpy_events": ev,
                      "events_per_s": ev / a.wall},
            "agent_no_log": {"wall": a0.wall, "cpu": a0.cpu, "all_wall": a0.all_wall,
                             "trials_per_s": trials / a0.wall, "simpy_events": ev0,
                             "events_per_s": ev0 / a0.wall},
            "mc": {"workers": args.workers, "wall": mc[k].wall, "cpu": mc[k].cpu,
                   "all_wall": mc[k].all_wall, "ratio_agent_over_mc": a.wall / mc[k].wall,
                   "ratio_agent_no_log_over_mc": a0.wall / mc[k].wall},
            "mc_1_worker": {"wall": mc1[k].wall, "cpu": mc1[k].cpu,
                            "all_wall": mc1[k].all_wall,
                            "ratio_agent_over_mc": a.wall / mc1[k].wall},
            "bare_simpy": {
                **{kind: b[kind] for kind in ("logged", "unlogged")},
                "one": b["one"], "shaped": b["shaped"],
                "share_one": b["one"]["log"] / a.wall,
                "share_shaped": b["shaped"]["log"] / a.wall,
                "share_one_no_log": b["one"]["nolog"] / a0.wall,
                "share_shaped_no_log": b["shaped"]["nolog"] / a0.wall},
            "counted": {kind: {"trials": c.trials, "events_per_trial": c.per_trial,
                               "events_per_trial_se": c.per_trial_se,
                               "by_type_per_trial": c.by_type, "queue_mean": c.queue_mean,
                               "queue_max": c.queue_max, "patched_wall": c.seconds}
                        for kind, c in counts[k].items()},
            "checks": checks[k],
        }

    print("SimPy's share of the agent engine's wall time: bare SimPy time for the same events "
          "/ agent time\n(one process: a floor; engine-shaped: as many processes started and "
          "ended, as deep a heap)\n")
    for k in scenarios:
        f = figures[k]["bare_simpy"]
        print(f"  {LABELS[k]:14} defaults: one process {f['share_one']:5.1%}, engine-shaped "
              f"{f['share_shaped']:5.1%}; no event log: {f['share_one_no_log']:5.1%}, "
              f"{f['share_shaped_no_log']:5.1%}; the rest is spmsim's Python, numpy calls, "
              "the payout step and the log")
    if args.logged_trials > 0 and n_log > 0:
        print("\nper trial (from the two timed runs): ", end="")
        print("; ".join(
            f"{LABELS[k]} {agent[k]['nolog'].wall / trials:.3f} s unlogged, "
            f"+{(agent[k]['log'].wall - agent[k]['nolog'].wall) / n_log:.3f} s per logged trial"
            for k in scenarios))

    cols = [(k, kind) for k in scenarios for kind in ("logged", "unlogged")]
    print(f"\nSimPy events processed per trial (counting runs: the first {k_count} trials, same "
          "seed as the timed runs)\n")
    chead = f"{'':28}" + "".join(f" {SHORT[k] + ', ' + kind:>16}" for k, kind in cols)
    print(f"{'behaviour:':28}" + "".join(f" {'':>16}" for _ in cols))
    print(chead)
    print("-" * len(chead))
    types = sorted({t for k, kind in cols for t in counts[k][kind].by_type},
                   key=lambda t: -max(counts[k][kind].by_type.get(t, 0) for k, kind in cols))
    for t in types:
        print(f"{t:28}" + "".join(f" {counts[k][kind].by_type.get(t, 0):16,.1f}"
                                  for k, kind in cols))
    for label, fmt, get in (
            ("all events", ",.1f", lambda c: c.per_trial),
            ("  +- SE over trials", ",.1f", lambda c: c.per_trial_se),
            ("mean queue length", ",.1f", lambda c: c.queue_mean),
            ("max queue length", ",d", lambda c: c.queue_max),
            ("wall s per trial, counting", ".3f", lambda c: c.seconds / c.trials)):
        print(f"{label:28}" + "".join(f" {get(counts[k][kind]):16{fmt}}" for k, kind in cols))
    print("(Initialize = a SimPy process started, Process = one ended, Condition = a won deal "
          "waiting on its close date or a pull-in, Event = the `until` of env.run and pull-ins; "
          "the counting runs are slowed by the counter)")

    print(f"\nlogged events, rows of results.events per logged trial ({n_log} logged trials of "
          "the default run; payout rows come from the payout step, not SimPy)\n")
    ev_counts = {}
    for k in scenarios:
        ev = agent[k]["log"].results.events
        ev_counts[k] = ev["event"].value_counts().to_dict() if ev is not None else {}
        figures[k]["logged_events"] = {
            "rows": int(len(ev)) if ev is not None else 0,
            "by_type_per_trial": {e: n / max(n_log, 1) for e, n in ev_counts[k].items()}}
    lhead = f"{'':28}" + "".join(f" {LABELS[k]:>16}" for k in scenarios)
    print(lhead)
    print("-" * len(lhead))
    kinds = sorted({e for c in ev_counts.values() for e in c},
                   key=lambda e: -max(c.get(e, 0) for c in ev_counts.values()))
    for e in kinds:
        print(f"{e:28}" + "".join(f" {ev_counts[k].get(e, 0) / max(n_log, 1):16,.1f}"
                                  for k in scenarios))
    print(f"{'all rows':28}" + "".join(f" {sum(ev_counts[k].values()) / max(n_log, 1):16,.1f}"
                                       for k in scenarios))

    print(f"\nfor information, not a test: mean per trial over {trials} trials (the MC engine "
          "has no pipeline lag, warm-up or behaviour)\n")
    head2 = f"{'':34} {'agent revenue':>14} {'MC revenue':>14} {'agent var pay':>14} " \
        f"{'MC var pay':>14}"
    print(head2)
    print("-" * len(head2))
    for k in scenarios:
        am, mm = role_means(agent[k]["log"].results), role_means(mc[k].results)
        figures[k]["means"] = {"agent": am, "mc": mm}
        for g in am:
            print(f"{LABELS[k] + ', ' + g:34} {am[g]['revenue']:14,.0f} "
                  f"{mm[g]['revenue']:14,.0f} {am[g]['variable_pay']:14,.0f} "
                  f"{mm[g]['variable_pay']:14,.0f}")

    print("\nchecks\n")
    for k in scenarios:
        c = checks[k]
        yes = {True: "yes", False: "NO"}
        print(f"  {LABELS[k]:14} counting runs equal the timed runs' first {k_count} trials: "
              f"figures {yes[c['counted_logged_figures']]} (logged), "
              f"{yes[c['counted_unlogged_figures']]} (unlogged), event log "
              f"{yes[c['counted_logged_log']]}; same figures with and without the event log: "
              f"{yes[c['logged_vs_unlogged_figures']]}")

    full_size = trials >= TARGET_TRIALS
    print(f"\ntarget: 120 reps x one year x {TARGET_TRIALS} trials under {TARGET_SECONDS:.0f} s "
          "on 2 cores, with the engine's defaults (the engine runs on one thread); load "
          "average at end " + (", ".join(f"{x:.2f}" for x in load_end) if load_end else "?")
          + "\n")
    targets = {}
    for k in scenarios:
        a, a0 = agent[k]["log"], agent[k]["nolog"]
        projected = a.wall / trials * TARGET_TRIALS
        ok = projected < TARGET_SECONDS
        targets[k] = {"target_seconds": TARGET_SECONDS, "seconds": a.wall,
                      "seconds_no_log": a0.wall, "projected_200_trials": projected,
                      "measured_at_full_size": full_size, "met": ok}
        measured = (f"{a.wall:.1f} s" if full_size else
                    f"{a.wall:.1f} s for {trials} trials, {projected:.0f} s projected to "
                    f"{TARGET_TRIALS}")
        print(f"  {LABELS[k]:14} {measured} (no event log {a0.wall:.1f} s; "
              f"{a.wall / mc[k].wall:,.0f}x the MC engine, {a.wall / mc1[k].wall:,.0f}x with 1 "
              f"worker) -> {verdict(ok)}" + ("" if full_size else " (projected)"))

    if args.json is not None:
        out = {"benchmark": "agents", "machine": {**info, "loadavg_at_end": load_end},
               "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
               "runs": figures, "targets": targets}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")

    if not all(all(c.values()) for c in checks.values()):
        print("\nFAILED: a check failed (see checks): the engine gives different figures for "
              "the same trials", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
