"""Territory optimiser: wall time, gap to the LP bound, balance and disruption at scale, and
the LP rounding against the exact MILP on a small instance.

What it measures, in one run:

* `spmsim.model.territory.optimise` (LP rounding plus local search, `exact=False`) on synthetic
  accounts at US cities (`synthetic_accounts`, seed 2027): 5,000 accounts owned today by 60
  reps (nearest base), re-aligned into 60 territories with +-10 % balance on workload, the
  bases fixed at the current alignment's workload-weighted centres, and the current owner
  as the continuity reference, at disruption weight 0 and 0.5. For each: wall time, the
  gap of the objective to the LP bound, the largest deviation of a territory's workload from
  the mean (the current alignment's too), and the share of accounts and of potential moved;
* a baseline on a small instance (40 accounts x 4 territories by default, same balance,
  bases and weights): the exact MILP (`exact=True`, HiGHS) and the LP rounding on the same
  instance; the ratio of their objectives (LP rounding / exact, >= 1) and both times.

Targets: each large run < 60 s on 2 cores, every territory inside +-10 % of the mean workload.
Exit 1 when a target is missed. `--quick` shrinks the large instance to 1,000 accounts x 20
territories (a few seconds).

Run from the repository root:

    .venv/bin/python benchmarks/territory.py
    .venv/bin/python benchmarks/territory.py --quick
    .venv/bin/python benchmarks/territory.py --accounts 10000 --territories 100 --json /tmp/t.json
    .venv/bin/python benchmarks/territory.py --small-accounts 60 --small-territories 5
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from spmsim.model.territory import alignment_metrics, centres, optimise
from spmsim.synthetic.accounts import synthetic_accounts

from machine import machine_info  # benchmarks/machine.py

TIME_TARGET_S = 60.0


def instance(n_accounts: int, n_territories: int, seed: int):
    """Synthetic accounts, the current owner index per account, and its centres."""
    accounts = synthetic_accounts(n_accounts, n_territories, seed)
    reps = sorted(accounts["rep_id"].unique())
    current = accounts["rep_id"].map({r: i for i, r in enumerate(reps)}).to_numpy()
    n = len(reps)  # a rep may own nothing if no account is nearest to its base
    return accounts, current, n, centres(accounts, current, n)


def run(accounts, current, n, bases, balance: float, weight: float, exact: bool,
        time_limit: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    res = optimise(accounts, n, balance=balance, on="workload", bases=bases, current=current,
                   disruption_weight=weight, exact=exact, time_limit=time_limit)
    wall = time.perf_counter() - t0
    m = alignment_metrics(accounts, res.owner, n, bases, current)
    return {"method": res.method, "disruption_weight": weight, "seconds": wall,
            "objective": res.objective, "bound": res.bound, "gap": res.gap,
            "max_deviation_workload": m["max_deviation_workload"],
            "cv_workload": m["cv_workload"], "mean_km": m["mean_km"],
            "moved_accounts": m["moved_accounts"], "moved_potential": m["moved_potential"]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=5000)
    p.add_argument("--territories", type=int, default=60)
    p.add_argument("--small-accounts", type=int, default=40)
    p.add_argument("--small-territories", type=int, default=4)
    p.add_argument("--balance", type=float, default=0.1)
    p.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.5],
                   help="disruption weights (default 0 0.5)")
    p.add_argument("--seed", type=int, default=2027)
    p.add_argument("--time-limit", type=float, default=120.0, help="solver limit per run (s)")
    p.add_argument("--quick", action="store_true", help="1,000 accounts x 20 territories")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    if args.quick:
        args.accounts, args.territories = 1000, 20

    info = machine_info("numpy", "scipy", "pandas", "highspy") if _has("highspy") else \
        machine_info("numpy", "scipy", "pandas")
    print(f"machine: {info['cpu']} ({info['nproc']} cpus), python {info['python']}, "
          f"scipy {info['scipy']}")

    t0 = time.perf_counter()
    accounts, current, n, bases = instance(args.accounts, args.territories, args.seed)
    setup = time.perf_counter() - t0
    cur = alignment_metrics(accounts, current, n, bases)
    print(f"\nlarge: {len(accounts):,} accounts, {n} territories (asked {args.territories}), "
          f"balance +-{args.balance:.0%} on workload; accounts built in {setup:.1f} s; "
          f"current alignment: max deviation {cur['max_deviation_workload']:.1%}, "
          f"mean {cur['mean_km']:.0f} km")
    large = [run(accounts, current, n, bases, args.balance, w, False, args.time_limit)
             for w in args.weights]

    sa, sc, sn, sb = instance(args.small_accounts, args.small_territories, args.seed)
    small = []
    for w in args.weights:
        ex = run(sa, sc, sn, sb, args.balance, w, True, args.time_limit)
        lp = run(sa, sc, sn, sb, args.balance, w, False, args.time_limit)
        small.append({"disruption_weight": w, "exact": ex, "lp_rounding": lp,
                      "ratio": lp["objective"] / ex["objective"]})

    head = (f"{'run':<26}{'weight':>7}{'seconds':>9}{'objective':>14}{'gap':>8}"
            f"{'max dev':>9}{'moved':>8}{'moved pot':>10}")
    print("\n" + head + "\n" + "-" * len(head))

    def row(name: str, r: dict[str, Any]) -> None:
        print(f"{name:<26}{r['disruption_weight']:>7g}{r['seconds']:>9.2f}"
              f"{r['objective']:>14,.0f}{r['gap']:>8.2%}{r['max_deviation_workload']:>9.1%}"
              f"{r['moved_accounts']:>8.1%}{r['moved_potential']:>10.1%}")

    for r in large:
        row(f"{len(accounts)}x{n} {r['method']}", r)
    for s in small:
        row(f"{len(sa)}x{sn} {s['exact']['method']}", s["exact"])
        row(f"{len(sa)}x{sn} {s['lp_rounding']['method']}", s["lp_rounding"])
    print("\nsmall instance, LP rounding / exact objective: " +
          ", ".join(f"weight {s['disruption_weight']:g}: {s['ratio']:.4f}" for s in small))

    checks = {}
    for r in large:
        w = r["disruption_weight"]
        checks[f"time < {TIME_TARGET_S:g} s (weight {w:g})"] = r["seconds"] < TIME_TARGET_S
        checks[f"every territory within +-{args.balance:.0%} (weight {w:g})"] = \
            r["max_deviation_workload"] <= args.balance + 1e-9
    for s in small:
        checks[f"small: exact <= LP rounding (weight {s['disruption_weight']:g})"] = \
            s["ratio"] >= 1 - 1e-9
    print()
    for name, ok in checks.items():
        print(f"  {'met   ' if ok else 'MISSED'} {name}")

    if args.json:
        out = {"machine": info, "args": vars(args), "current": cur, "large": large,
               "small": small, "checks": checks}
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2, default=float)
        print(f"\nwrote {args.json}")
    return 0 if all(checks.values()) else 1


def _has(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(name) is not None


if __name__ == "__main__":
    sys.exit(main())
