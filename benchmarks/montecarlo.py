"""Monte Carlo engine throughput and memory, against a straightforward SimPy model of the same year.

What it measures, in one run:

* the Monte Carlo engine (`spmsim.engines.simulate`, `keep_reps=False`) on the pipeline model:
  one role `ae` of 1,000 reps on the SMB AE plan (`scenarios/plans/smb_ae.yaml`: monthly,
  tiered commission with a cap), quota 600k new ARR, skill sigma 0.25, no attrition; won deals
  Poisson at 1 a month x skill x seasonality, sizes lognormal (median 30k, sigma 1), so expected
  attainment is about 1. 1,000 reps x 12 months x 10,000 trials by default; reported as wall
  time and rep-month-trials per second, with the default worker threads and, in the same run,
  with one worker (the threading speed-up);
* a SimPy baseline of the same process on a small sample (100 reps x 50 trials by default):
  one SimPy process per rep over the 12-month year, deals arriving with exponential gaps at the
  rep's monthly rate (skill x season; the gap is re-drawn at each month boundary, which is exact
  for a Poisson process), a lognormal size per deal, credit summed per month; then each trial's
  reps are paid by `spmsim.plans.evaluate` on the same plan. Its rep-month-trials per second
  (event simulation + payout) and the ratio MC / SimPy; both figures come from the same run,
  so the ratio holds up on a noisy machine better than either rate. Every timed run (MC and
  SimPy) is repeated `--repeat` times (2) with the same seed and the fastest kept;
* a statistical cross-check that both simulate the same process: mean annual credit and mean
  annual variable pay per rep of the two agree within 4 standard errors (exit 1 otherwise);
  also that the engine gives identical per-trial figures with 1 and N workers (same seed);
* two baselines of the same model in the same run (`benchmarks/baselines.py`): the naive
  numpy sketch (one Poisson per rep-month, a lognormal per deal, YTD tiers; 1,000 reps x
  1,000 trials by default) and a pbpython-style pandas loop (a DataFrame per trial, the
  payout `apply`-ed per row; 100 reps x 5 trials), each cross-checked against the engine
  (mean annual credit and pay per rep within 4 standard errors) and printed as ratios;
* a scaling table (`benchmarks/scaling.py`): seats 120 / 1,200 / 12,000 / 24,000 x trials
  1,000 / 10,000, each in a fresh child, with time and peak RSS against the 512 MB budget
  plus the child that only imports (target: within it at 24,000 seats x 1,000 trials);
* peak memory: the engine run for 10,000 and 100,000 trials, each in a fresh subprocess
  (`--child-memory N`) that prints its own peak RSS, next to a child that only imports spmsim
  and builds the scenario (the baseline), and the difference. The child reads VmHWM from
  /proc/self/status, not `ru_maxrss`: on Linux a child's `ru_maxrss` (and the parent's
  RUSAGE_CHILDREN) starts from the parent's high-water mark, carried across exec, so it would
  report this process's size, not the child's (the JSON keeps both); plus the peak
  traced by tracemalloc (numpy arrays included) over one round of chunks in this process,
  next to the engine's own estimate it sizes chunks by.

Targets: >= 2e7 rep-month-trials/s on 2 cores, >= 50x the SimPy baseline, peak RSS < 2 GiB at
100,000 trials, peak RSS within the budget plus the baseline at 24,000 seats x 1,000 trials.
Random numbers come only from `numpy.random.Generator`s seeded by SeedSequence.

Run from the repository root. The default run takes about 15 minutes on 2 quiet cores, most
of them in the scaling table (24,000 seats x 10,000 trials alone is 2.9e9 rep-month-trials) and
the 100,000-trial memory child; `--quick` shrinks everything (200 reps, 1,000 trials, SimPy 50
reps x 20 trials, memory runs at 2,000 and 10,000 trials, scaling 120 and 1,200 seats x 1,000
trials) and finishes in under a minute:

    .venv/bin/python benchmarks/montecarlo.py
    .venv/bin/python benchmarks/montecarlo.py --quick
    .venv/bin/python benchmarks/montecarlo.py --workers 2 --repeat 3 --json /tmp/mc.json
    .venv/bin/python benchmarks/montecarlo.py --memory-trials 10000 100000 --no-progress
    .venv/bin/python benchmarks/montecarlo.py --scaling-trials 1000   # the 1k column only
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy
from tqdm import tqdm

from spmsim.config import read_yaml
from spmsim.engines import simulate
from spmsim.engines.montecarlo import bytes_per_trial, chunk_trials
from spmsim.engines.results import Results
from spmsim.engines.threads import default_workers
from spmsim.model.scenario import Scenario, scenario_from_tree
from spmsim.plans import Plan, PlanInputs, evaluate

from baselines import Model, naive_sketch, pandas_loop  # benchmarks/baselines.py
from machine import fill_sizes, machine_info  # benchmarks/machine.py
from scaling import print_table, scaling_table  # benchmarks/scaling.py

ROOT = Path(__file__).resolve().parent.parent
PLAN_FILE = ROOT / "scenarios" / "plans" / "smb_ae.yaml"
ROLE = "ae"
MEASURE = "new_arr"
QUOTA = 600_000.0
SKILL_SIGMA = 0.25
DEALS_PER_MONTH = 1.0
DEAL_MEDIAN = 30_000.0
DEAL_SIGMA = 1.0
SEASONALITY = [0.8, 0.9, 1.1, 0.9, 1.0, 1.1, 0.8, 0.9, 1.1, 1.0, 1.1, 1.3]
MONTHS = 12

TARGET_RATE = 2e7  # rep-month-trials per second on 2 cores
TARGET_RATIO = 50.0  # MC / SimPy
TARGET_RSS_TRIALS = 100_000
TARGET_RSS_BYTES = 2 * 2**30
Z_LIMIT = 4.0  # standard errors allowed between the two means
CHILD_TAG = "MEMORY-CHILD "
MIB = 2.0**20

BUDGET_MB = 512  # the engine's default memory budget
SCALE_TARGET = (24_000, 1_000)  # seats x trials where peak RSS must stay within budget + base

QUICK = {"reps": 200, "trials": 1000, "simpy_reps": 50, "simpy_trials": 20,
         "memory_trials": [2000, 10_000], "naive_trials": 200, "pandas_reps": 50,
         "pandas_trials": 2, "scaling_seats": [120, 1200], "scaling_trials": [1000]}
FULL = {"reps": 1000, "trials": 10_000, "simpy_reps": 100, "simpy_trials": 50,
        "memory_trials": [10_000, 100_000], "naive_trials": 1000, "pandas_reps": 100,
        "pandas_trials": 5, "scaling_seats": [120, 1200, 12_000, 24_000],
        "scaling_trials": [1000, 10_000]}


# ----------------------------------------------------------------------------- scenario

def scenario_tree(reps: int, seed: int) -> dict[str, Any]:
    return {
        "scenario": "montecarlo benchmark",
        "seed": seed,
        "trials": 1,
        "org": {"roles": {ROLE: {
            "headcount": reps,
            "plan": read_yaml(PLAN_FILE),
            "plan_file": str(PLAN_FILE),
            "quota": {MEASURE: QUOTA},
            "skill_sigma": SKILL_SIGMA,
        }}},
        "market": {ROLE: {
            "model": "pipeline",
            "seasonality": SEASONALITY,
            "measures": {MEASURE: {"deals_per_month": DEALS_PER_MONTH,
                                   "size": {"median": DEAL_MEDIAN, "sigma": DEAL_SIGMA}}},
        }},
    }


def build_scenario(reps: int, seed: int) -> Scenario:
    return scenario_from_tree(scenario_tree(reps, seed), "benchmarks/montecarlo.py")


def baseline_model(plan: Plan) -> Model:
    """The benchmark's model in plain numbers, the tiers read from the plan."""
    c = plan.components[0]
    return Model(quota=QUOTA, target=plan.ti * c.weight, skill_sigma=SKILL_SIGMA,
                 deals_per_month=DEALS_PER_MONTH, deal_median=DEAL_MEDIAN,
                 deal_sigma=DEAL_SIGMA, seasonality=tuple(SEASONALITY),
                 tiers=tuple((t.upto, t.rate) for t in c.tiers), cap=c.cap.of_target)


def expected_credit() -> float:
    """Mean annual credit of a rep: 12 months x rate x mean deal size (skill and season mean 1)."""
    return MONTHS * DEALS_PER_MONTH * DEAL_MEDIAN * math.exp(DEAL_SIGMA**2 / 2)


# ----------------------------------------------------------------------------- MC engine

class _Rated:
    """Throughput of a run with `trials`, `reps` and `seconds`."""

    trials: int
    reps: int

    @property
    def cells(self) -> int:
        return self.trials * self.reps * MONTHS

    @property
    def rate(self) -> float:
        return self.cells / self.seconds


@dataclass
class MCRun(_Rated):
    workers: int
    trials: int
    reps: int
    seconds: float  # best of the repeats
    all_seconds: list[float]
    results: Results


def run_mc(scenario: Scenario, trials: int, workers: int, progress: bool) -> tuple[float, Results]:
    t0 = time.perf_counter()
    res = simulate(scenario, trials=trials, keep_reps=False, progress=progress, workers=workers)
    return time.perf_counter() - t0, res


def per_rep_trial_means(res: Results) -> dict[str, np.ndarray]:
    """Per trial: mean annual credit and variable pay per rep of the role."""
    g = res.groups.index(ROLE)
    reps = res.trial["reps"][:, g]
    return {"credit": res.trial["revenue"][:, g] / reps,
            "variable_pay": res.trial["variable_pay"][:, g] / reps}


def same_figures(a: Results, b: Results) -> bool:
    return all(np.array_equal(a.trial[s], b.trial[s], equal_nan=True) for s in a.trial) and \
        all(np.array_equal(a.period[s], b.period[s]) for s in a.period)


def traced_round(scenario: Scenario, workers: int) -> dict[str, float]:
    """tracemalloc peak over one round of chunks (chunk x workers trials), and the estimate."""
    chunk = chunk_trials(scenario, 512, workers)  # the engine's default memory budget
    trials = chunk * workers
    tracemalloc.start()
    try:
        simulate(scenario, trials=trials, keep_reps=False, progress=False, workers=workers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"trials": trials, "chunk_trials": chunk, "workers": workers,
            "traced_peak_bytes": peak,
            "estimated_bytes": bytes_per_trial(scenario) * chunk * workers}


# ----------------------------------------------------------------------------- SimPy

def rep_year(env: simpy.Environment, rate: np.ndarray, rng: np.random.Generator,
             credit: np.ndarray, counts: np.ndarray):
    """One rep's year: deals arrive with exponential gaps at the month's rate; each adds a
    lognormal size to that month's credit. At a month boundary the pending gap is dropped and
    re-drawn at the next month's rate (memoryless, so still a Poisson process)."""
    mu = math.log(DEAL_MEDIAN)
    for m in range(MONTHS):
        end = m + 1.0
        lam = rate[m]
        while True:
            gap = rng.exponential(1.0 / lam) if lam > 0 else math.inf
            if env.now + gap >= end:
                yield env.timeout(max(end - env.now, 0.0))
                break
            yield env.timeout(gap)
            credit[m] += rng.lognormal(mu, DEAL_SIGMA)
            counts[m] += 1


@dataclass
class SimpyRun(_Rated):
    reps: int
    trials: int
    events_s: float
    payout_s: float
    credit: np.ndarray  # (trials, reps, 12)
    deals: int
    variable_pay: np.ndarray  # (trials, reps)

    @property
    def seconds(self) -> float:
        return self.events_s + self.payout_s


def run_simpy(plan: Plan, reps: int, trials: int, seed: int, progress: bool) -> SimpyRun:
    """The SimPy baseline: a SimPy event simulation of each trial's year, then the payout."""
    season = np.asarray(SEASONALITY, dtype=float)
    season = season / season.mean()
    # Independent of the engine's streams: its keys are (block, role, stream, sub) under seed.
    seeds = np.random.SeedSequence([seed, 0x51]).spawn(trials)
    credit = np.zeros((trials, reps, MONTHS))
    counts = np.zeros((trials, reps, MONTHS), dtype=np.int64)
    t0 = time.perf_counter()
    for t in tqdm(range(trials), desc="SimPy baseline", unit="trial", disable=not progress,
                  file=sys.stderr):
        rng = np.random.default_rng(seeds[t])
        skill = np.exp(SKILL_SIGMA * rng.standard_normal(reps) - SKILL_SIGMA**2 / 2)
        env = simpy.Environment()
        for r in range(reps):
            rate = DEALS_PER_MONTH * skill[r] * season
            env.process(rep_year(env, rate, rng, credit[t, r], counts[t, r]))
        env.run(until=MONTHS)
    events_s = time.perf_counter() - t0
    quota = {MEASURE: np.full(reps, QUOTA)}
    pay = np.empty((trials, reps))
    t0 = time.perf_counter()
    for t in range(trials):
        payout = evaluate(plan, PlanInputs(credit={MEASURE: credit[t]}, quota=quota))
        pay[t] = payout.net_paid.sum(axis=-1)
    payout_s = time.perf_counter() - t0
    return SimpyRun(reps=reps, trials=trials, events_s=events_s, payout_s=payout_s,
                    credit=credit, deals=int(counts.sum()), variable_pay=pay)


# ----------------------------------------------------------------------------- cross-check

def mean_se(x: np.ndarray) -> tuple[float, float]:
    x = np.asarray(x, dtype=float).ravel()
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


def cross_check(mc: Results, credit: np.ndarray, variable_pay: np.ndarray
                ) -> list[dict[str, Any]]:
    """MC per-trial means (iid over trials) vs another model's per-rep annual values (iid
    over reps and trials: reps share no random shocks in this model)."""
    mc_means = per_rep_trial_means(mc)
    sp_values = {"credit": credit, "variable_pay": variable_pay}
    rows = []
    for name in ("credit", "variable_pay"):
        m_mean, m_se = mean_se(mc_means[name])
        s_mean, s_se = mean_se(sp_values[name])
        se = math.hypot(m_se, s_se)
        z = (m_mean - s_mean) / se if se > 0 else (0.0 if m_mean == s_mean else math.inf)
        rows.append({"quantity": f"annual {name.replace('_', ' ')} per rep",
                     "mc_mean": m_mean, "mc_se": m_se, "simpy_mean": s_mean, "simpy_se": s_se,
                     "z": z, "agree": abs(z) <= Z_LIMIT})
    return rows


# ----------------------------------------------------------------------------- memory

def peak_rss() -> tuple[int, str]:
    """(peak RSS bytes of this process, how it was read).

    On Linux, VmHWM from /proc/self/status: the high-water mark of this process's own address
    space. Not `ru_maxrss`: Linux carries the parent's high-water mark across fork/vfork + exec
    into the child's `ru_maxrss` (and so into the parent's RUSAGE_CHILDREN), so a child of a
    300 MiB parent reports at least 300 MiB whatever it does itself.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024, "VmHWM"
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (rss if sys.platform == "darwin" else rss * 1024), "ru_maxrss"


def child_main(args: argparse.Namespace) -> int:
    """Child mode: build the scenario, run `--child-memory N` trials (0: none), print peak RSS."""
    scenario = build_scenario(args.reps, args.seed)
    n = args.child_memory
    seconds = 0.0
    if n > 0:
        t0 = time.perf_counter()
        simulate(scenario, trials=n, keep_reps=False, progress=not args.no_progress,
                 workers=args.workers)
        seconds = time.perf_counter() - t0
    rss, source = peak_rss()
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(CHILD_TAG + json.dumps({
        "trials": n, "reps": args.reps, "workers": args.workers, "seconds": seconds,
        "max_rss_bytes": rss, "source": source,
        "ru_maxrss_bytes": ru if sys.platform == "darwin" else ru * 1024}), flush=True)
    return 0


def run_child(trials: int, reps: int, workers: int, seed: int, progress: bool) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-memory", str(trials),
           "--reps", str(reps), "--workers", str(workers), "--seed", str(seed)]
    if not progress:
        cmd.append("--no-progress")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"memory child for {trials} trials failed (exit {proc.returncode}): "
                         f"{' '.join(cmd)}\n{proc.stdout}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith(CHILD_TAG))
    return json.loads(line[len(CHILD_TAG):])


# ----------------------------------------------------------------------------- report

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=None, help="reps (1000; --quick 200)")
    ap.add_argument("--trials", type=int, default=None,
                    help="MC trials for throughput and the cross-check (10000; --quick 1000)")
    ap.add_argument("--workers", type=int, default=None,
                    help=f"engine worker threads (the engine's default here: {default_workers()})")
    ap.add_argument("--repeat", type=int, default=2,
                    help="time each MC and SimPy run this many times, keep the best (2)")
    ap.add_argument("--simpy-reps", type=int, default=None, help="SimPy reps (100; --quick 50)")
    ap.add_argument("--simpy-trials", type=int, default=None,
                    help="SimPy trials (50; --quick 20)")
    ap.add_argument("--memory-trials", type=int, nargs="*", default=None, metavar="N",
                    help="trials of each memory child (10000 100000; --quick 2000 10000); "
                         "none: skip")
    ap.add_argument("--naive-trials", type=int, default=None,
                    help="trials of the naive numpy sketch, at --reps (1000; --quick 200)")
    ap.add_argument("--pandas-reps", type=int, default=None,
                    help="reps of the pandas loop (100; --quick 50)")
    ap.add_argument("--pandas-trials", type=int, default=None,
                    help="trials of the pandas loop (5; --quick 2)")
    ap.add_argument("--scaling-seats", type=int, nargs="*", default=None, metavar="N",
                    help="seats of the scaling table (120 1200 12000 24000; --quick 120 "
                         "1200); none: skip")
    ap.add_argument("--scaling-trials", type=int, nargs="*", default=None, metavar="N",
                    help="trials of the scaling table (1000 10000; --quick 1000)")
    ap.add_argument("--seed", type=int, default=20270101)
    ap.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    ap.add_argument("--json", type=Path, default=None, metavar="PATH",
                    help="write the figures as JSON here")
    ap.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    ap.add_argument("--child-memory", type=int, default=None, metavar="N",
                    help=argparse.SUPPRESS)  # internal: run as a memory child
    args = ap.parse_args(argv)
    fill_sizes(ap, args, QUICK if args.quick else FULL,
               ("reps", "trials", "workers", "repeat", "simpy_reps", "simpy_trials",
                "naive_trials", "pandas_reps", "pandas_trials"))
    for name in ("memory_trials", "scaling_seats", "scaling_trials"):
        if any(n < 1 for n in getattr(args, name)):
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def workers_text(n: int) -> str:
    return f"{n} worker" + ("" if n == 1 else "s")


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("meets" if ok else "MISSES")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_memory is not None:
        return child_main(args)
    progress = not args.no_progress
    info = machine_info("numpy", "simpy", "spmsim")
    scenario = build_scenario(args.reps, args.seed)
    plan = scenario.org.roles[ROLE].plan

    print(f"machine: {info['platform']}; {info['cpu']}; {info['cpu_count']} CPUs "
          f"({info['nproc']} usable); Python {info['python']}, numpy {info['numpy']}, "
          f"simpy {info['simpy']}; load average at start "
          + (", ".join(f"{x:.2f}" for x in info["loadavg_at_start"])
             if info["loadavg_at_start"] else "?"))
    print(f"model: {args.reps:,} reps on {plan.plan!r} (TI {plan.ti:,.0f}), quota "
          f"{QUOTA:,.0f}, skill sigma {SKILL_SIGMA}, {DEALS_PER_MONTH:g} deal/month x season, "
          f"size lognormal median {DEAL_MEDIAN:,.0f} sigma {DEAL_SIGMA:g} "
          f"(expected credit {expected_credit():,.0f} = {expected_credit() / QUOTA:.3f} x quota)")

    # --- MC engine: warm up, then 1 worker and N workers, alternating, best of --repeat.
    simulate(scenario, trials=64, keep_reps=False, progress=False, workers=args.workers)
    worker_counts = [1] if args.workers == 1 else [1, args.workers]
    times: dict[int, list[float]] = {w: [] for w in worker_counts}
    results: dict[int, Results] = {}
    for i in range(args.repeat):
        for w in worker_counts:
            print(f"MC engine: {args.trials:,} trials, {workers_text(w)}"
                  + (f" (run {i + 1}/{args.repeat})" if args.repeat > 1 else ""),
                  file=sys.stderr, flush=True)
            secs, res = run_mc(scenario, args.trials, w, progress)
            times[w].append(secs)
            results.setdefault(w, res)
    mc = {w: MCRun(workers=w, trials=args.trials, reps=args.reps, seconds=min(times[w]),
                   all_seconds=times[w], results=results[w]) for w in worker_counts}
    main_run = mc[args.workers]
    deterministic = same_figures(mc[1].results, main_run.results)

    # --- SimPy baseline
    # Same seeds each repeat, so the same figures; the fastest timing is kept.
    sp_runs = [run_simpy(plan, args.simpy_reps, args.simpy_trials, args.seed, progress)
               for _ in range(args.repeat)]
    sp = min(sp_runs, key=lambda r: r.seconds)
    sp_all_seconds = [r.seconds for r in sp_runs]
    checks = cross_check(main_run.results, sp.credit.sum(axis=-1), sp.variable_pay)

    # --- the naive numpy sketch and the pbpython-style pandas loop, same model
    model = baseline_model(plan)
    print(f"naive numpy sketch: {args.naive_trials:,} trials x {args.reps:,} reps",
          file=sys.stderr, flush=True)
    naive = min((naive_sketch(model, args.reps, args.naive_trials, args.seed)
                 for _ in range(args.repeat)), key=lambda r: r.seconds)
    print(f"pandas loop: {args.pandas_trials:,} trials x {args.pandas_reps:,} reps",
          file=sys.stderr, flush=True)
    pandas_run = pandas_loop(model, args.pandas_reps, args.pandas_trials, args.seed)
    baseline_checks = {"naive numpy sketch": cross_check(main_run.results, naive.credit,
                                                         naive.variable_pay),
                       "pandas loop": cross_check(main_run.results, pandas_run.credit,
                                                  pandas_run.variable_pay)}

    # --- scaling: seats x trials, each in a fresh child
    scale_base, scale_rows = (None, [])
    if args.scaling_seats and args.scaling_trials:
        def child(n: int, seats: int) -> dict[str, Any]:
            print(f"scaling child: {n:,} trials x {seats:,} seats", file=sys.stderr, flush=True)
            return run_child(n, seats, args.workers, args.seed, False)
        scale_base, scale_rows = scaling_table(child, args.scaling_seats, args.scaling_trials)

    # --- memory
    traced = traced_round(scenario, args.workers)
    mem_base = run_child(0, args.reps, args.workers, args.seed, False) \
        if args.memory_trials else None
    mem_runs = []
    for n in args.memory_trials:
        print(f"memory child: {n:,} trials x {args.reps:,} reps, {args.workers} workers",
              file=sys.stderr, flush=True)
        mem_runs.append(run_child(n, args.reps, args.workers, args.seed, progress))

    # --- report
    ratio = main_run.rate / sp.rate
    ratio_1 = mc[1].rate / sp.rate
    speedup = mc[1].seconds / main_run.seconds
    print(f"\nthroughput ({args.repeat} timing run{'s' if args.repeat > 1 else ''} each, best "
          "kept; rate = rep-month-trials / wall second)\n")
    head = f"{'':34} {'reps':>6} {'trials':>8} {'rep-month-trials':>17} {'seconds':>9} " \
        f"{'per second':>12} {'vs SimPy':>9}"
    print(head)
    print("-" * len(head))
    for w in worker_counts:
        r = mc[w]
        print(f"{'MC engine, ' + workers_text(w):34} {r.reps:6,d} "
              f"{r.trials:8,d} {r.cells:17,d} {r.seconds:9.2f} {r.rate:12.3e} "
              f"{r.rate / sp.rate:8,.0f}x")
    print(f"{'SimPy baseline (events + payout)':34} {sp.reps:6,d} {sp.trials:8,d} "
          f"{sp.cells:17,d} {sp.seconds:9.2f} {sp.rate:12.3e} {1:8,.0f}x")
    print(f"{'  of which SimPy events':34} {'':6} {'':8} {'':17} {sp.events_s:9.2f} "
          f"{sp.cells / sp.events_s:12.3e}")
    print(f"{'  of which payout (evaluate)':34} {'':6} {'':8} {'':17} {sp.payout_s:9.2f} "
          f"{sp.cells / sp.payout_s:12.3e}")
    for name, b in (("naive numpy sketch", naive), ("pandas loop (pbpython style)", pandas_run)):
        print(f"{name:34} {b.reps:6,d} {b.trials:8,d} {b.cells:17,d} {b.seconds:9.2f} "
              f"{b.rate:12.3e} {b.rate / sp.rate:8,.0f}x")
    print(f"\nMC engine ({workers_text(args.workers)}) / naive numpy sketch: "
          f"{main_run.rate / naive.rate:.2f}x; / pandas loop: "
          f"{main_run.rate / pandas_run.rate:,.0f}x; with 1 worker: "
          f"{mc[1].rate / naive.rate:.2f}x and "
          f"{mc[1].rate / pandas_run.rate:,.0f}x")
    if len(worker_counts) > 1:
        print(f"\nthreading speed-up {workers_text(args.workers)} / 1 worker: {speedup:.2f}x")
        print("engine figures identical with 1 and "
              f"{args.workers} workers (same seed): {'yes' if deterministic else 'NO'}")
    print(f"SimPy: {sp.deals:,} deals = {sp.deals / (sp.reps * sp.trials):.2f} per rep-year "
          f"(expected {MONTHS * DEALS_PER_MONTH:g})")

    print(f"\ncross-check, mean per rep-year against the MC engine ({args.trials:,} trials x "
          f"{args.reps:,} reps); must agree within {Z_LIMIT:g} SE\n")
    head = f"{'':44} {'MC':>10} {'+- SE':>7} {'baseline':>10} {'+- SE':>7} {'z':>6}  result"
    print(head)
    print("-" * len(head))
    sizes = {"SimPy": sp, "naive numpy sketch": naive, "pandas loop": pandas_run}
    for name, rows in {"SimPy": checks, **baseline_checks}.items():
        for c in rows:
            what = c["quantity"].replace("annual ", "").replace(" per rep", "")
            b = sizes[name]
            label = f"{what}, {name} ({b.trials:,}x{b.reps:,})"
            print(f"{label:44} {c['mc_mean']:10,.0f} {c['mc_se']:7,.0f} "
                  f"{c['simpy_mean']:10,.0f} {c['simpy_se']:7,.0f} {c['z']:6.2f}  "
                  f"{'agree' if c['agree'] else 'DISAGREE'}")
    print(f"(analytic mean annual credit per rep: {expected_credit():,.0f})")
    scale_ok: bool | None = None
    if scale_base is not None:
        print_table(scale_base, scale_rows, BUDGET_MB)
        at = [r for r in scale_rows if (r["reps"], r["trials"]) == SCALE_TARGET]
        if at:
            scale_ok = at[0]["minus_base_bytes"] <= BUDGET_MB * MIB

    rss_target: bool | None = None
    rss_note = ""
    print()
    if mem_base is not None:
        print(f"memory (peak RSS of a fresh child process, {mem_base['source']}; "
              f"{workers_text(args.workers)}, {args.reps:,} reps, engine default 512 MB "
              "budget)\n")
        head = f"{'':34} {'trials':>8} {'seconds':>9} {'peak RSS MiB':>13} {'minus base MiB':>15}"
        print(head)
        print("-" * len(head))
        base = mem_base["max_rss_bytes"]
        print(f"{'import spmsim + build scenario':34} {'-':>8} {'-':>9} {base / MIB:13,.0f} "
              f"{0:15,.0f}")
        for m in mem_runs:
            m["minus_base_bytes"] = m["max_rss_bytes"] - base
            rate = m["trials"] * m["reps"] * MONTHS / m["seconds"]
            m["rate"] = rate
            print(f"{'MC engine':34} {m['trials']:8,d} {m['seconds']:9.1f} "
                  f"{m['max_rss_bytes'] / MIB:13,.0f} {m['minus_base_bytes'] / MIB:15,.0f}")
        if len(mem_runs) >= 2:
            a, b = sorted(mem_runs, key=lambda m: m["trials"])[-2:]
            if b["trials"] > a["trials"]:
                per_trial = (b["max_rss_bytes"] - a["max_rss_bytes"]) / (b["trials"] - a["trials"])
                print(f"peak RSS growth between {a['trials']:,} and {b['trials']:,} trials: "
                      f"{per_trial / 1024:,.1f} KiB per trial")
        at_target = [m for m in mem_runs if m["trials"] >= TARGET_RSS_TRIALS
                     and m["reps"] >= FULL["reps"]]
        if at_target:
            rss_target = all(m["max_rss_bytes"] < TARGET_RSS_BYTES for m in at_target)
        else:
            rss_note = (f" (not measured at that size: largest run "
                        f"{max(m['trials'] for m in mem_runs):,} trials x {args.reps:,} reps)"
                        if mem_runs else "")
    print(f"tracemalloc peak over one round of chunks ({traced['trials']:,} trials = "
          f"{workers_text(traced['workers'])} x {traced['chunk_trials']} trials): "
          f"{traced['traced_peak_bytes'] / MIB:,.0f} MiB; the engine's estimate "
          f"{traced['estimated_bytes'] / MIB:,.0f} MiB")

    full_size = args.reps == FULL["reps"]
    rate_ok = main_run.rate >= TARGET_RATE
    ratio_ok = ratio >= TARGET_RATIO
    print("\ntargets\n")
    print(f"  MC rate >= {TARGET_RATE:.0e} rep-month-trials/s on 2 cores: "
          f"{main_run.rate:.3e} with {workers_text(args.workers)} on {info['nproc']} CPUs -> "
          f"{verdict(rate_ok)}" + ("" if full_size else " (not the full-size model)"))
    print(f"  MC / SimPy >= {TARGET_RATIO:g}x: {ratio:,.0f}x ({ratio_1:,.0f}x with 1 worker) -> "
          f"{verdict(ratio_ok)}")
    peak_line = ", ".join(f"{m['trials']:,} trials {m['max_rss_bytes'] / MIB:,.0f} MiB"
                          for m in mem_runs) or "no memory runs"
    print(f"  peak RSS < 2 GiB at {TARGET_RSS_TRIALS:,} trials x {FULL['reps']:,} reps: "
          f"{peak_line} -> {verdict(rss_target)}{rss_note}")
    print(f"  peak RSS within the {BUDGET_MB} MB budget + the import baseline at "
          f"{SCALE_TARGET[0]:,} seats x {SCALE_TARGET[1]:,} trials: {verdict(scale_ok)}"
          + ("" if scale_ok is not None else " (not in this run's scaling table)"))
    agree = all(c["agree"] for c in checks) and \
        all(c["agree"] for rows in baseline_checks.values() for c in rows)
    same = "n/a" if args.workers == 1 else ("yes" if deterministic else "NO")
    print(f"  cross-check MC vs SimPy within {Z_LIMIT:g} SE: "
          f"{'passes' if agree else 'FAILS'}; figures identical with 1 and "
          f"{workers_text(args.workers)}: {same}")

    if args.json is not None:
        figures = {
            "benchmark": "montecarlo", "machine": info,
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "model": {"plan_file": str(PLAN_FILE.relative_to(ROOT)), "reps": args.reps,
                      "quota": QUOTA, "skill_sigma": SKILL_SIGMA,
                      "deals_per_month": DEALS_PER_MONTH, "deal_median": DEAL_MEDIAN,
                      "deal_sigma": DEAL_SIGMA, "seasonality": SEASONALITY,
                      "expected_credit": expected_credit()},
            "mc": {str(w): {"workers": w, "trials": r.trials, "reps": r.reps,
                            "rep_month_trials": r.cells, "seconds": r.seconds,
                            "all_seconds": r.all_seconds, "rate": r.rate,
                            "ratio_vs_simpy": r.rate / sp.rate}
                   for w, r in mc.items()},
            "speedup_workers_vs_1": speedup, "deterministic_across_workers": deterministic,
            "simpy": {"reps": sp.reps, "trials": sp.trials, "rep_month_trials": sp.cells,
                      "events_s": sp.events_s, "payout_s": sp.payout_s, "seconds": sp.seconds,
                      "all_seconds": sp_all_seconds, "rate": sp.rate, "deals": sp.deals},
            "ratio": ratio, "ratio_1_worker": ratio_1,
            "cross_check": checks,
            "baselines": {name: {"reps": b.reps, "trials": b.trials, "seconds": b.seconds,
                                 "rate": b.rate, "mc_ratio": main_run.rate / b.rate,
                                 "mc_ratio_1_worker": mc[1].rate / b.rate,
                                 "cross_check": baseline_checks[key]}
                          for name, key, b in (("naive_numpy", "naive numpy sketch", naive),
                                               ("pandas_loop", "pandas loop", pandas_run))},
            "scaling": {"budget_mb": BUDGET_MB, "baseline": scale_base, "rows": scale_rows,
                        "target": list(SCALE_TARGET), "met": scale_ok},
            "memory": {"baseline": mem_base, "runs": mem_runs, "traced_round": traced},
            "targets": {"rate": {"target": TARGET_RATE, "value": main_run.rate, "met": rate_ok},
                        "ratio": {"target": TARGET_RATIO, "value": ratio, "met": ratio_ok},
                        "rss_100k": {"target_bytes": TARGET_RSS_BYTES, "met": rss_target}},
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")

    if not agree:
        print("\nFAILED: the MC engine and a baseline disagree (see the cross-check)",
              file=sys.stderr)
        return 1
    if not deterministic:
        print(f"\nFAILED: the engine's figures differ between 1 and {args.workers} workers",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
