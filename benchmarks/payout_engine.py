"""Payout-engine throughput: vectorised `spmsim.plans.evaluate` against naive pandas per-row code.

What it measures, in one run:

* the vectorised engine on (trials, reps, 12 periods) of random monthly credit for a monthly
  enterprise plan (tiered marginal commission on new ARR with a threshold and a cap, a renewal
  bonus curve, a plan cap), 10,000 reps x 12 periods x 1,000 trials by default (1.2e8
  rep-periods), in trial chunks sized from a memory budget;
* a naive pandas calculation of the same plan on a small sample (one row per trial, rep and
  period, groupby cumsum for YTD credit, `DataFrame.apply` per row, groupby diff for the paid
  increment);
* that both give the same paid amounts on the sample (np.allclose, rtol 1e-9), so the ratio of
  the two throughputs (rep-periods per second) compares equal work.

Input generation is timed apart from evaluation. Every trial draws its credit from its own
`SeedSequence` child, so totals and the checksum do not depend on the chunk size.

Run from the repository root:

    .venv/bin/python benchmarks/payout_engine.py
    .venv/bin/python benchmarks/payout_engine.py --trials 50 --reps 2000 --json /tmp/bench.json
    .venv/bin/python benchmarks/payout_engine.py --trials 20 --profile 15   # cProfile one chunk
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import pstats
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from spmsim.plans import Plan, PlanInputs, evaluate, plan_from_dict
from spmsim.plans.components import Bonus, Commission

from machine import machine_info  # benchmarks/machine.py

Seed = np.random.SeedSequence

PLAN: dict[str, Any] = {
    "plan": "Enterprise AE FY27 (benchmark)",
    "currency": "USD",
    "ote": 300000,
    "base_share": 0.5,
    "payout_period": "month",
    "year_start": "2027-01-01",
    "basis": "annual",  # --basis ytd_prorated: gates, tiers and curve on the quota to date
    "components": [
        {
            "name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 0.8,
            "mode": "marginal", "rates": "multiplier", "tier_basis": "attainment",
            "tiers": [{"upto": 1.0, "rate": 1.0}, {"upto": 1.5, "rate": 2.0}, {"rate": 1.5}],
            "threshold": 0.4, "cap": {"of_target": 2.5},
        },
        {
            "name": "Renewal bonus", "type": "bonus", "measure": "renewals", "weight": 0.2,
            "curve": [[0.9, 0.0], [1.0, 1.0], [1.1, 1.5]], "steps": False,
        },
    ],
    "cap": {"of_target": 2.0},  # binds for top reps, so the cross-check covers it
}

MEASURES = ("new_arr", "renewals")
# Annual quota per rep: median and log-spread across reps.
QUOTA = {"new_arr": (1_200_000.0, 0.15), "renewals": (1_000_000.0, 0.15)}
# Monthly credit = quota / 12 x rep-year skill x month noise, both lognormal with mean 1.
SKILL_SIGMA = {"new_arr": 0.30, "renewals": 0.08}
MONTH_SIGMA = {"new_arr": 0.90, "renewals": 0.25}

# float64 (trials, reps, periods) arrays alive per trial at the peak of one chunk: the credit
# inputs (2) + what `evaluate` holds at its peak (about 13.3 measured with tracemalloc: cumsums,
# attainments, per-component earned, stacked credit/earned, paid, payout fields) + 1 spare.
ARRAYS_PER_TRIAL = len(MEASURES) + 14 + 1


# ----------------------------------------------------------------------------- inputs

def trial_seeds(seed: int, trials: int) -> tuple[Seed, list[Seed]]:
    """(seed of the rep quotas, one seed per trial), all children of SeedSequence(seed)."""
    quota_seed, trials_seed = np.random.SeedSequence(seed).spawn(2)
    return quota_seed, trials_seed.spawn(trials)


def rep_quotas(seed: np.random.SeedSequence, reps: int) -> dict[str, np.ndarray]:
    """Annual quota per rep and measure, rounded to 10k."""
    rng = np.random.default_rng(seed)
    out = {}
    for m in MEASURES:
        median, sigma = QUOTA[m]
        out[m] = np.round(median * rng.lognormal(0.0, sigma, reps), -4)
    return out


def fill_credit(seeds: list[np.random.SeedSequence], quotas: dict[str, np.ndarray],
                out: dict[str, np.ndarray]) -> None:
    """Monthly credit of len(seeds) trials into out[m][:len(seeds)], shape (trials, reps, P)."""
    n = len(seeds)
    reps = next(iter(quotas.values())).size
    skill = {m: np.empty((n, reps)) for m in MEASURES}
    for i, s in enumerate(seeds):
        rng = np.random.default_rng(s)
        for m in MEASURES:
            rng.standard_normal(out=out[m][i])
            rng.standard_normal(out=skill[m][i])
    for m in MEASURES:
        a = out[m][:n]
        sm, ss = MONTH_SIGMA[m], SKILL_SIGMA[m]
        a *= sm
        a += ss * skill[m][..., None] - 0.5 * (sm * sm + ss * ss)
        np.exp(a, out=a)
        a *= (quotas[m] / 12.0)[:, None]


def credit_buffers(trials: int, reps: int, periods: int) -> dict[str, np.ndarray]:
    return {m: np.empty((trials, reps, periods)) for m in MEASURES}


# ----------------------------------------------------------------------------- naive pandas

@dataclass(frozen=True)
class NaivePlan:
    """The plan's figures as plain Python numbers, for the per-row calculation."""

    tiers: list[tuple[float | None, float]]  # (upper edge in attainment or None, rate)
    threshold: float
    commission_target: float
    commission_cap: float
    bonus_target: float
    curve: list[tuple[float, float]]
    plan_cap: float
    due_to_date: list[float]  # share of the annual quota due by each period's end

    @classmethod
    def of(cls, plan: Plan) -> NaivePlan:
        comm, bonus = plan.components
        assert isinstance(comm, Commission) and isinstance(bonus, Bonus)
        assert comm.mode == "marginal" and comm.rates == "multiplier"
        assert comm.tier_basis == "attainment" and not bonus.steps and plan.draw is None
        assert comm.cap is not None and comm.cap.of_target is not None
        assert plan.cap is not None and plan.cap.of_target is not None
        ti = plan.ti
        return cls(
            tiers=[(t.upto, t.rate) for t in comm.tiers], threshold=comm.threshold or 0.0,
            commission_target=ti * comm.target_share(),
            commission_cap=comm.cap.of_target * ti * comm.target_share(),
            bonus_target=ti * bonus.target_share(), curve=[(x, y) for x, y in bonus.curve],
            plan_cap=plan.cap.of_target * ti, due_to_date=_due_to_date(plan),
        )


def _due_to_date(plan: Plan) -> list[float]:
    """1.0 every period on the annual basis; days to date / days in the year when prorated."""
    if plan.basis == "annual":
        return [1.0] * plan.calendar.n_periods
    days = plan.calendar.period_days
    return list(np.cumsum(days) / days.sum())


def naive_commission(ytd: float, quota: float, p: NaivePlan, share: float = 1.0) -> float:
    """Marginal tiers on YTD credit against the quota to date (quota x share), each band of
    attainment paid at its rate x base rate; the cap is on the year's target."""
    quota = quota * share
    attainment = ytd / quota
    if attainment < p.threshold:
        return 0.0
    base_rate = p.commission_target * share / quota  # currency per unit of credit at rate 1.0
    earned, lower = 0.0, 0.0
    for upper, rate in p.tiers:
        top = attainment if upper is None else min(attainment, upper)
        if top <= lower:
            break
        earned += rate * base_rate * (top - lower) * quota
        if upper is None:
            break
        lower = upper
    return min(earned, p.commission_cap)


def naive_curve(attainment: float, curve: list[tuple[float, float]]) -> float:
    """Linear between points, nothing below the first, flat past the last."""
    if attainment < curve[0][0]:
        return 0.0
    for (x0, y0), (x1, y1) in zip(curve, curve[1:], strict=False):
        if attainment < x1:
            return y0 + (y1 - y0) * (attainment - x0) / (x1 - x0)
    return curve[-1][1]


def naive_row(row: pd.Series, p: NaivePlan) -> float:
    """Total earned YTD for one (trial, rep, period) row, after the plan cap."""
    share = p.due_to_date[int(row["period"])]
    commission = naive_commission(row["ytd_new_arr"], row["quota_new_arr"], p, share)
    bonus = p.bonus_target * share * naive_curve(
        row["ytd_renewals"] / (row["quota_renewals"] * share), p.curve)
    return min(commission + bonus, p.plan_cap)


def naive_paid(plan: Plan, credit: dict[str, np.ndarray],
               quotas: dict[str, np.ndarray]) -> np.ndarray:
    """Paid per (trial, rep, period) the straightforward pandas way; returns (T, R, P)."""
    p = NaivePlan.of(plan)
    trials, reps, periods = credit["new_arr"].shape
    # Long data as monthly extracts arrive: period-major, one row per trial, rep and period.
    n = trials * reps * periods
    df = pd.DataFrame({
        "period": np.repeat(np.arange(periods), trials * reps),
        "trial": np.tile(np.repeat(np.arange(trials), reps), periods),
        "rep": np.tile(np.arange(reps), trials * periods),
        **{m: credit[m].transpose(2, 0, 1).reshape(n) for m in MEASURES},
    })
    quota_df = pd.DataFrame({"rep": np.arange(reps),
                             **{f"quota_{m}": quotas[m] for m in MEASURES}})
    df = df.merge(quota_df, on="rep", how="left")
    df = df.sort_values(["trial", "rep", "period"], ignore_index=True)
    ytd = df.groupby(["trial", "rep"])[list(MEASURES)].cumsum()
    for m in MEASURES:
        df[f"ytd_{m}"] = ytd[m]
    df["total_ytd"] = df.apply(naive_row, axis=1, args=(p,))
    df["paid"] = df.groupby(["trial", "rep"])["total_ytd"].diff().fillna(df["total_ytd"])
    return df["paid"].to_numpy().reshape(trials, reps, periods)


# ----------------------------------------------------------------------------- vectorised

def evaluate_paid(plan: Plan, credit: dict[str, np.ndarray],
                  quotas: dict[str, np.ndarray]) -> np.ndarray:
    return evaluate(plan, PlanInputs(credit=credit, quota=quotas)).paid


def chunk_trials(memory_mb: float, trials: int, reps: int, periods: int) -> tuple[int, int]:
    """(trials per chunk within the budget, estimated bytes per trial)."""
    per_trial = ARRAYS_PER_TRIAL * reps * periods * np.dtype(np.float64).itemsize
    return max(1, min(trials, int(memory_mb * 2**20) // per_trial)), per_trial


@dataclass
class FullRun:
    trials: int
    reps: int
    periods: int
    chunk: int
    chunks: int
    generate_s: float
    evaluate_s: float
    accumulate_s: float
    wall_s: float
    total_cost: float
    checksum: float


def run_full(plan: Plan, seed: int, trials: int, reps: int, chunk: int,
             progress: bool) -> FullRun:
    """Evaluate every trial chunk by chunk; accumulate per-trial cost and weighted checksum."""
    periods = plan.calendar.n_periods
    quota_seed, seeds = trial_seeds(seed, trials)
    quotas = rep_quotas(quota_seed, reps)
    weights = np.arange(1.0, periods + 1.0)  # period-weighted sum: catches shifted payments
    cost = np.zeros(trials)
    check = np.zeros(trials)
    buffers = credit_buffers(chunk, reps, periods)
    t_gen = t_eval = t_acc = 0.0
    wall0 = time.perf_counter()
    n_chunks = 0
    with tqdm(total=trials, unit="trial", desc="vectorised", disable=not progress,
              file=sys.stderr) as bar:
        for lo in range(0, trials, chunk):
            hi = min(trials, lo + chunk)
            t0 = time.perf_counter()
            fill_credit(seeds[lo:hi], quotas, buffers)
            credit = {m: buffers[m][: hi - lo] for m in MEASURES}
            t1 = time.perf_counter()
            paid = evaluate_paid(plan, credit, quotas)
            t2 = time.perf_counter()
            cost[lo:hi] = paid.sum(axis=(1, 2))
            check[lo:hi] = (paid @ weights).sum(axis=1)
            del paid
            t3 = time.perf_counter()
            t_gen, t_eval, t_acc = t_gen + t1 - t0, t_eval + t2 - t1, t_acc + t3 - t2
            n_chunks += 1
            bar.update(hi - lo)
    wall = time.perf_counter() - wall0
    return FullRun(trials=trials, reps=reps, periods=periods, chunk=chunk, chunks=n_chunks,
                   generate_s=t_gen, evaluate_s=t_eval, accumulate_s=t_acc, wall_s=wall,
                   total_cost=math.fsum(cost), checksum=math.fsum(check))


def traced_chunk(plan: Plan, seed: int, trials: int, reps: int, chunk: int) -> int:
    """Peak bytes traced by tracemalloc while generating and evaluating the first chunk."""
    periods = plan.calendar.n_periods
    quota_seed, seeds = trial_seeds(seed, trials)
    quotas = rep_quotas(quota_seed, reps)
    n = min(chunk, trials)
    tracemalloc.start()
    try:
        buffers = credit_buffers(n, reps, periods)
        fill_credit(seeds[:n], quotas, buffers)
        paid = evaluate_paid(plan, buffers, quotas)
        paid.sum()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def profile_chunk(plan: Plan, seed: int, reps: int, chunk: int, top: int) -> list[dict[str, Any]]:
    """cProfile one chunk of `evaluate`; print and return the top functions by own time."""
    periods = plan.calendar.n_periods
    quota_seed, seeds = trial_seeds(seed, chunk)
    quotas = rep_quotas(quota_seed, reps)
    buffers = credit_buffers(chunk, reps, periods)
    fill_credit(seeds, quotas, buffers)
    prof = cProfile.Profile()
    prof.enable()
    evaluate_paid(plan, buffers, quotas)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (file, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{Path(file).name}:{line}({func})", "calls": ncalls,
                     "tottime_s": tottime, "cumtime_s": cumtime,
                     "share_of_total": tottime / total if total else 0.0})
    rows.sort(key=lambda r: r["tottime_s"], reverse=True)
    print(f"\ncProfile of one chunk ({chunk} trials x {reps} reps x {periods} periods), "
          f"{total:.3f} s, by own time:")
    print(f"  {'own s':>7} {'share':>6} {'cum s':>7} {'calls':>6}  function")
    for r in rows[:top]:
        print(f"  {r['tottime_s']:7.3f} {r['share_of_total']:6.1%} {r['cumtime_s']:7.3f} "
              f"{r['calls']:6d}  {r['function']}")
    return rows[:top]


# ----------------------------------------------------------------------------- report

def max_rss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB


def best_time(fn: Any, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=1000, help="simulated plan years (1000)")
    ap.add_argument("--reps", type=int, default=10_000, help="reps per trial (10000)")
    ap.add_argument("--memory-mb", type=float, default=512.0,
                    help="budget for one chunk's arrays, sets trials per chunk (512)")
    ap.add_argument("--seed", type=int, default=20270101)
    ap.add_argument("--basis", choices=["annual", "ytd_prorated"], default="annual",
                    help="attainment basis of the plan (annual: the plan measured since 2026-11)")
    ap.add_argument("--sample-trials", type=int, default=5, help="naive sample trials (5)")
    ap.add_argument("--sample-reps", type=int, default=200, help="naive sample reps (200)")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="also cProfile one chunk and print the top N functions")
    ap.add_argument("--json", type=Path, default=None, metavar="PATH",
                    help="write the figures as JSON here")
    ap.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    args = ap.parse_args(argv)
    for name in ("trials", "reps", "sample_trials", "sample_reps"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
    args.sample_trials = min(args.sample_trials, args.trials)
    args.sample_reps = min(args.sample_reps, args.reps)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = plan_from_dict({**PLAN, "basis": args.basis}, "benchmark plan")
    periods = plan.calendar.n_periods
    info = machine_info("numpy", "pandas")

    # Naive sample: the first trials and reps of the same draws the full run uses.
    quota_seed, seeds = trial_seeds(args.seed, args.sample_trials)
    quotas_all = rep_quotas(quota_seed, args.reps)
    buffers = credit_buffers(args.sample_trials, args.reps, periods)
    fill_credit(seeds, quotas_all, buffers)
    s_credit = {m: np.ascontiguousarray(buffers[m][:, : args.sample_reps]) for m in MEASURES}
    s_quotas = {m: quotas_all[m][: args.sample_reps] for m in MEASURES}
    del buffers
    sample_rp = args.sample_trials * args.sample_reps * periods

    t0 = time.perf_counter()
    naive = naive_paid(plan, s_credit, s_quotas)
    naive_s = time.perf_counter() - t0
    vec_sample = evaluate_paid(plan, s_credit, s_quotas)
    agree = bool(np.allclose(naive, vec_sample, rtol=1e-9))
    max_abs = float(np.max(np.abs(naive - vec_sample)))
    if not agree:
        raise SystemExit(f"naive and vectorised paid DISAGREE on the sample "
                         f"(max |diff| {max_abs:.3g}); the comparison is void")
    print(f"check: naive pandas and vectorised paid agree on {sample_rp:,} rep-periods "
          f"(np.allclose rtol=1e-9; max |diff| {max_abs:.2e}, total paid "
          f"{naive.sum():,.2f} vs {vec_sample.sum():,.2f})")
    vec_sample_s = best_time(lambda: evaluate_paid(plan, s_credit, s_quotas), repeat=20)

    # Full vectorised run.
    chunk, est_per_trial = chunk_trials(args.memory_mb, args.trials, args.reps, periods)
    traced_peak = traced_chunk(plan, args.seed, args.trials, args.reps, chunk)  # also warms up
    full = run_full(plan, args.seed, args.trials, args.reps, chunk, not args.no_progress)
    full_rp = full.trials * full.reps * full.periods
    profile = profile_chunk(plan, args.seed, args.reps, chunk, args.profile) \
        if args.profile else None
    rss = max_rss_bytes()

    naive_rate = sample_rp / naive_s
    vec_rate = full_rp / full.evaluate_s
    e2e_rate = full_rp / full.wall_s
    ratio, e2e_ratio = vec_rate / naive_rate, e2e_rate / naive_rate
    mib = 2.0**20

    print(f"\nplan {plan.plan!r}: TI {plan.ti:,.0f}, {periods} periods; "
          f"machine: {info['nproc']} CPUs ({info['cpu']}), numpy {info['numpy']}, "
          f"pandas {info['pandas']}, Python {info['python']}")
    print(f"full run: {full.trials:,} trials x {full.reps:,} reps x {periods} periods = "
          f"{full_rp:,} rep-periods in {full.chunks} chunks of {full.chunk} trials "
          f"(--memory-mb {args.memory_mb:g})\n")
    rows = [
        ("naive pandas apply (sample)", sample_rp, naive_s, naive_rate),
        ("vectorised evaluate (sample)", sample_rp, vec_sample_s, sample_rp / vec_sample_s),
        ("vectorised evaluate (full)", full_rp, full.evaluate_s, vec_rate),
        ("  + input generation, sums", full_rp, full.wall_s, e2e_rate),
    ]
    print(f"{'':30} {'rep-periods':>13} {'seconds':>9} {'rep-periods/s':>15}")
    for name, n, secs, rate in rows:
        print(f"{name:30} {n:13,d} {secs:9.3f} {rate:15,.0f}")
    verdict = "meets" if ratio >= 100 else "MISSES"
    print(f"\nratio vectorised / naive: {ratio:,.0f}x engine only, {e2e_ratio:,.0f}x end to end "
          f"({verdict} the >= 100x target)")
    print(f"wall time of the full run: {full.wall_s:.2f} s (generate {full.generate_s:.2f} s, "
          f"evaluate {full.evaluate_s:.2f} s, sums {full.accumulate_s:.2f} s)")
    print(f"memory: peak RSS {rss / mib:,.0f} MiB; one chunk traced {traced_peak / mib:,.0f} MiB "
          f"= {traced_peak / chunk / mib:.1f} MiB/trial (estimated "
          f"{est_per_trial / mib:.1f} MiB/trial, {ARRAYS_PER_TRIAL} arrays)")
    per_rep_year = full.total_cost / (full.trials * full.reps)
    print(f"total incentive paid {full.total_cost:,.2f} ({per_rep_year:,.0f} per rep-year, "
          f"{per_rep_year / plan.ti:.1%} of TI); checksum {full.checksum:.6e}")

    if args.json is not None:
        figures = {
            "benchmark": "payout_engine", "machine": info, "plan": PLAN,
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "check": {"agree": agree, "rtol": 1e-9, "max_abs_diff": max_abs,
                      "rep_periods": sample_rp},
            "naive": {"rep_periods": sample_rp, "seconds": naive_s,
                      "rep_periods_per_s": naive_rate},
            "vectorised_sample": {"rep_periods": sample_rp, "seconds": vec_sample_s,
                                  "rep_periods_per_s": sample_rp / vec_sample_s},
            "vectorised": {"rep_periods": full_rp, "evaluate_s": full.evaluate_s,
                           "generate_s": full.generate_s, "accumulate_s": full.accumulate_s,
                           "wall_s": full.wall_s, "rep_periods_per_s": vec_rate,
                           "end_to_end_rep_periods_per_s": e2e_rate, "chunk_trials": full.chunk,
                           "chunks": full.chunks},
            "ratio": ratio, "ratio_end_to_end": e2e_ratio, "target_ratio": 100,
            "memory": {"max_rss_bytes": rss, "traced_chunk_peak_bytes": traced_peak,
                       "traced_bytes_per_trial": traced_peak / chunk,
                       "estimated_bytes_per_trial": est_per_trial,
                       "memory_budget_mb": args.memory_mb},
            "totals": {"total_paid": full.total_cost, "checksum": full.checksum},
            "profile": profile,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
