"""Territory optimiser: the heuristic against the exact optimum on small instances, and wall
time and gap to the LP bound at scale.

What it measures, in one run:

* small (the baseline): `--small-count` random instances (default 20) of synthetic accounts
  at US cities (`synthetic_accounts`, seeds 2027, 2028, ...), 40 accounts owned today by 4
  reps, re-aligned into 4 territories with +-10 % balance on workload, bases at today's
  territories' workload-weighted centres, disruption weight 0 and 0.5 alternately. Each is
  solved exactly (`exact=True`: MILP, HiGHS, proven optimal) and by the heuristic
  (`exact=False`: LP rounding, repair, shift/swap/ejection-chain search and one round of
  re-splitting neighbouring territories by small MILPs), and by its quick search alone
  (`rounds=0`). Reported: heuristic / exact - 1, mean and worst, for both;
* large: 5,000 accounts owned today by 60 reps, re-aligned into 60 territories (same
  balance and bases; today's owner as the continuity reference) at disruption weight 0
  and 0.5, with the default time limit (60 s, of which the heuristic uses at most 80 %):
  wall time, gap of the objective to the LP bound, the largest workload deviation and the
  share of accounts and potential moved.

Targets (exit 1 when one is missed): small mean excess <= 1 % and every instance <= 3 %;
large < 60 s and gap < 0.5 % with every territory inside +-10 %. The machine's load is
printed: the large runs share 2 cores with whatever else runs.

Run from the repository root:

    .venv/bin/python benchmarks/territory.py
    .venv/bin/python benchmarks/territory.py --quick          # 1,000 x 20, 5 small instances
    .venv/bin/python benchmarks/territory.py --json /tmp/territory.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np

from spmsim.model.territory import alignment_metrics, centres, optimise
from spmsim.synthetic.accounts import synthetic_accounts

from machine import machine_info  # benchmarks/machine.py

TIME_TARGET_S = 60.0
GAP_TARGET = 0.005
SMALL_MEAN_TARGET, SMALL_WORST_TARGET = 0.01, 0.03


def instance(n_accounts: int, n_territories: int, seed: int):
    """Synthetic accounts, the current owner index per account, and its centres."""
    accounts = synthetic_accounts(n_accounts, n_territories, seed)
    reps = sorted(accounts["rep_id"].unique())
    current = accounts["rep_id"].map({r: i for i, r in enumerate(reps)}).to_numpy()
    n = len(reps)  # a rep may own nothing if no account is nearest to its base
    return accounts, current, n, centres(accounts, current, n)


def run(accounts, current, n, bases, balance: float, weight: float, exact: bool,
        time_limit: float, rounds: int = 1) -> dict[str, Any]:
    t0 = time.perf_counter()
    res = optimise(accounts, n, balance=balance, on="workload", bases=bases, current=current,
                   disruption_weight=weight, exact=exact, time_limit=time_limit, rounds=rounds)
    wall = time.perf_counter() - t0
    m = alignment_metrics(accounts, res.owner, n, bases, current)
    return {"method": res.method, "disruption_weight": weight, "seconds": wall,
            "objective": res.objective, "bound": res.bound, "gap": res.gap,
            "max_deviation_workload": m["max_deviation_workload"],
            "cv_workload": m["cv_workload"], "mean_km": m["mean_km"],
            "moved_accounts": m["moved_accounts"], "moved_potential": m["moved_potential"]}


def small_runs(count: int, accounts: int, territories: int, seed: int, balance: float,
               time_limit: float) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        sa, sc, sn, sb = instance(accounts, territories, seed + i)
        w = 0.5 * (i % 2)
        ex = run(sa, sc, sn, sb, balance, w, True, time_limit)
        heur = run(sa, sc, sn, sb, balance, w, False, time_limit)
        quick = run(sa, sc, sn, sb, balance, w, False, time_limit, rounds=0)
        out.append({"seed": seed + i, "disruption_weight": w, "exact": ex, "heuristic": heur,
                    "quick": quick, "excess": heur["objective"] / ex["objective"] - 1,
                    "quick_excess": quick["objective"] / ex["objective"] - 1})
        print(f"  small {i + 1:>2}: seed {seed + i}, weight {w:g}: heuristic "
              f"{out[-1]['excess']:+.3%}, quick search {out[-1]['quick_excess']:+.3%}, exact "
              f"{ex['seconds']:.2f} s, heuristic {heur['seconds']:.2f} s", flush=True)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=5000)
    p.add_argument("--territories", type=int, default=60)
    p.add_argument("--small-accounts", type=int, default=40)
    p.add_argument("--small-territories", type=int, default=4)
    p.add_argument("--small-count", type=int, default=20)
    p.add_argument("--balance", type=float, default=0.1)
    p.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.5],
                   help="disruption weights of the large runs (default 0 0.5)")
    p.add_argument("--seed", type=int, default=2027)
    p.add_argument("--time-limit", type=float, default=60.0, help="optimiser limit (s)")
    p.add_argument("--quick", action="store_true", help="1,000 x 20, 5 small instances")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    if args.quick:
        args.accounts, args.territories, args.small_count = 1000, 20, 5

    info = machine_info("numpy", "scipy", "pandas")
    load = os.getloadavg()
    print(f"machine: {info['cpu']} ({info['nproc']} cpus), python {info['python']}, "
          f"scipy {info['scipy']}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")

    print(f"\nsmall: {args.small_count} instances of {args.small_accounts} accounts x "
          f"{args.small_territories} territories, balance +-{args.balance:.0%}")
    small = small_runs(args.small_count, args.small_accounts, args.small_territories,
                       args.seed, args.balance, args.time_limit)
    excess = np.array([s["excess"] for s in small])
    quick = np.array([s["quick_excess"] for s in small])
    print(f"heuristic above the exact optimum: mean {excess.mean():.3%}, worst "
          f"{excess.max():.3%}; quick search alone: mean {quick.mean():.3%}, worst "
          f"{quick.max():.3%}")

    t0 = time.perf_counter()
    accounts, current, n, bases = instance(args.accounts, args.territories, args.seed)
    setup = time.perf_counter() - t0
    cur = alignment_metrics(accounts, current, n, bases)
    print(f"\nlarge: {len(accounts):,} accounts, {n} territories (asked {args.territories}), "
          f"balance +-{args.balance:.0%} on workload; accounts built in {setup:.1f} s; "
          f"current alignment: max deviation {cur['max_deviation_workload']:.1%}, "
          f"mean {cur['mean_km']:.0f} km")
    large = []
    for w in args.weights:
        before = os.getloadavg()[0]
        large.append({**run(accounts, current, n, bases, args.balance, w, False,
                            args.time_limit), "load_before": before,
                      "load_after": os.getloadavg()[0]})

    head = (f"{'run':<26}{'weight':>7}{'seconds':>9}{'objective':>14}{'gap':>8}"
            f"{'max dev':>9}{'moved':>8}{'moved pot':>10}{'load':>7}")
    print("\n" + head + "\n" + "-" * len(head))
    for r in large:
        print(f"{f'{len(accounts)}x{n} ' + r['method']:<26}{r['disruption_weight']:>7g}"
              f"{r['seconds']:>9.2f}{r['objective']:>14,.0f}{r['gap']:>8.2%}"
              f"{r['max_deviation_workload']:>9.1%}{r['moved_accounts']:>8.1%}"
              f"{r['moved_potential']:>10.1%}{r['load_before']:>7.1f}")

    checks = {f"small: mean excess <= {SMALL_MEAN_TARGET:.0%}": excess.mean() <=
              SMALL_MEAN_TARGET,
              f"small: every instance <= {SMALL_WORST_TARGET:.0%}": excess.max() <=
              SMALL_WORST_TARGET,
              "small: exact <= heuristic on every instance": bool((excess >= -1e-9).all())}
    for r in large:
        w = r["disruption_weight"]
        checks[f"large: time < {TIME_TARGET_S:g} s (weight {w:g})"] = r["seconds"] < TIME_TARGET_S
        checks[f"large: gap < {GAP_TARGET:.1%} (weight {w:g})"] = r["gap"] < GAP_TARGET
        checks[f"large: every territory within +-{args.balance:.0%} (weight {w:g})"] = \
            r["max_deviation_workload"] <= args.balance + 1e-9
    print()
    for name, ok in checks.items():
        print(f"  {'met   ' if ok else 'MISSED'} {name}")

    if args.json:
        out = {"machine": info, "load": load, "args": vars(args), "current": cur,
               "large": large, "small": small, "checks": checks}
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2, default=float)
        print(f"\nwrote {args.json}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
