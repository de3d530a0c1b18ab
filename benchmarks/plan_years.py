"""Several plan years in a row with the agent engine: the cap-and-ratchet effect year by
year, and what the years cost in time.

* Misra and Nair (2011), +9 % revenue after the firm removed its quota ratchet and its
  cap: the SMB AEs of `scenarios/acme_years.yaml` (decelerator above 120 %, cap at 2x
  target; each rep's next quota ratcheted by `ratchet` of their excess over quota, which
  the reps expect) against the same scenario with no cap and quotas that grow alike for
  everyone (reps expect no ratchet); same seed, so the same reps and market draws. The
  change in each year's SMB revenue with its paired z over trials.
* Speed: trial-years a second of the three-year run against the one-year run of the same
  scenario in the same process (a ratio: the machines are noisy).

Run from the repository root (the load average is printed with the figures):

    env -u OPENBLAS_CORETYPE .venv/bin/python benchmarks/plan_years.py          # 30 trials
    env -u OPENBLAS_CORETYPE .venv/bin/python benchmarks/plan_years.py --trials 10 --ratchet 0.5
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from spmsim.engines import simulate_agents
from spmsim.engines.results import Results
from spmsim.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "acme_years.yaml"
CAP = "org.roles.smb_ae.plan.components[0].cap"


def run(overrides: dict, trials: int) -> tuple[Results, float]:
    s = load_scenario(SCENARIO, overrides, trials=trials)
    t0 = time.perf_counter()
    r = simulate_agents(s, trials=trials, progress=False, logged_trials=0)
    return r, time.perf_counter() - t0


def smb_by_year(r: Results) -> np.ndarray:
    """(trials, years) SMB AE revenue."""
    d = r.years[r.years["group"] == "smb_ae"]
    return d.pivot(index="trial", columns="year", values="revenue").to_numpy()


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--ratchet", type=float, default=0.3,
                    help="the old plan's ratchet (and what its reps expect)")
    args = ap.parse_args(argv)
    n, ratchet = args.trials, args.ratchet
    print(f"{SCENARIO.relative_to(ROOT)}, {n} trials, load average at start {load()}\n")
    old, t_old = run({"next_years.quota": "ratchet", "next_years.ratchet": ratchet,
                      "behavior.effort_choice.ratchet": ratchet}, n)
    new, t_new = run({CAP: None, "next_years.quota": "same",
                      "behavior.effort_choice.ratchet": 0.0}, n)
    one, t_one = run({"years": 1}, n)
    years = old.scenario["years"]
    b, a = smb_by_year(old), smb_by_year(new)
    print(f"Misra and Nair 2011 (+9 % revenue after removing the cap and the ratchet), SMB AEs, "
          f"ratchet {ratchet}")
    for y in range(years):
        d = a[:, y] - b[:, y]
        z = d.mean() / (d.std(ddof=1) / np.sqrt(d.size))
        print(f"  year {y + 1}: with cap and ratchet {b[:, y].mean():,.0f}; without "
              f"{a[:, y].mean():,.0f}: {a[:, y].mean() / b[:, y].mean() - 1:+.1%} "
              f"(paired z {z:.1f})")
    total = a.sum(axis=1) / b.sum(axis=1) - 1
    print(f"  all {years} years: {total.mean():+.1%}")
    rate_years, rate_one = n * years / t_old, n / t_one
    print(f"\nspeed: {rate_years:.2f} trial-years/s over {years} years, {rate_one:.2f} trials/s "
          f"for one year ({rate_years / rate_one:.2f}x); runs took {t_old:.0f} s, "
          f"{t_new:.0f} s and {t_one:.0f} s; load average at end {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
