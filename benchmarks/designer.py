"""Plan designer latency, Python side: what opening the designer and one change cost before
the browser draws.

Opening: a fresh Python process imports the designer and builds it (`PlanDesigner(...)`:
the role drawn once, the controls, the first charts), timed in wall and CPU seconds (the
CPU figure does not depend on how loaded the machine is).

Changes: for each fast trial count, the designer takes `--changes` edits alternating the
enterprise plan's tier-2 rate and its cap, as the browser test does, and times each
update's parts:

* check: the edited plan validated, for the role, with its problems in words;
* curve: the payout curves computed and drawn to SVG (what the page shows first);
* simulate: the role paid under the edited plan on the draws made once, the table's
  figures and the distributions;
* update: the whole `refresh` (all of the above and the three charts drawn, in parallel),
  in wall and in CPU seconds.

Each is reported as a median and 90th percentile in ms and as a ratio to a baseline measured
in the same run: one payout evaluation of the role (`role_year` on the same draws). Ratios
travel between machines better than milliseconds. The browser's share (comm round trip and
DOM update) is measured by tests/designer/test_designer_browser.py.

    .venv/bin/python benchmarks/designer.py
    .venv/bin/python benchmarks/designer.py --trials 256 512 --changes 20 --json /tmp/d.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from spmsim.designer.widgets import PlanDesigner
from spmsim.engines.payroll import role_year

from machine import machine_info  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "scenarios" / "plans" / "enterprise_ae.yaml"
SCENARIO = ROOT / "scenarios" / "acme_baseline.yaml"
STUDY = ROOT / "scenarios" / "studies" / "default.yaml"
RATE = "components[0].tiers[1].rate"
OPEN = f"""
import time
from spmsim.designer.widgets import PlanDesigner
d = PlanDesigner({str(PLAN)!r}, {str(SCENARIO)!r}, "ent_ae", study={str(STUDY)!r})
print(time.perf_counter(), time.process_time(), d.opened_s)
"""


def _timed(f) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    f()
    return time.perf_counter() - wall, time.process_time() - cpu


def _stats(seconds: list[float], base: float) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    median = statistics.median(ms)
    return {"median_ms": round(median, 1), "p90_ms": round(p90, 1),
            "median_vs_baseline": round(median / (base * 1000), 2)}


def opening() -> dict[str, float]:
    """Import and open the designer in a fresh process: wall and CPU seconds."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", OPEN], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    end, cpu, opened = map(float, out.stdout.split()[-3:])
    return {"wall_s": round(time.perf_counter() - start, 2), "cpu_s": round(cpu, 2),
            "open_designer_s": round(opened, 2)}


def measure(trials: int, changes: int) -> dict:
    designer = PlanDesigner(PLAN, SCENARIO, "ent_ae", trials_fast=trials, study=STUDY)
    design = designer.design
    sim = design.sim
    role = sim.scenario.org.roles["ent_ae"]
    market = sim.scenario.market["ent_ae"]
    baseline = statistics.median(
        _timed(lambda: role_year(role, market, sim.draws, sim.months))[0]
        for _ in range(changes))
    parts: dict[str, list[float]] = {"check": [], "curve": [], "simulate": [], "update": [],
                                     "update_cpu": []}
    for i in range(changes):
        if i % 2 == 0:
            design.set(RATE, round(2.1 + 0.1 * i, 2))
        else:
            design.set_cap("components[0].cap", f"{2.0 + 0.25 * i:g}")
        parts["check"].append(_timed(design.check)[0])
        plan = design.check().plan
        parts["simulate"].append(_timed(lambda p=plan: design.figures(p))[0])
        wall, cpu = _timed(designer.refresh)
        parts["update"].append(wall)
        parts["update_cpu"].append(cpu)
        parts["curve"].append(designer.timings["curve"])
    return {"trials_fast": trials, "baseline_payout_ms": round(baseline * 1000, 1),
            **{k: _stats(v, baseline) for k, v in parts.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, nargs="+", default=[128, 256, 512])
    ap.add_argument("--changes", type=int, default=10)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.changes < 2 or min(args.trials) < 1:
        ap.error("--changes must be >= 2 and --trials >= 1")
    out = {"machine": machine_info("numpy", "altair", "vl-convert-python", "ipywidgets"),
           "changes": args.changes,
           "opening": opening(), "runs": [measure(t, args.changes) for t in args.trials],
           "loadavg_at_end": list(os.getloadavg())}
    o = out["opening"]
    print(f"opening (fresh process, imports included): {o['wall_s']:.1f} s wall, "
          f"{o['cpu_s']:.1f} s CPU; load {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    for r in out["runs"]:
        print(f"trials {r['trials_fast']:>5}: update {r['update']['median_ms']:7.1f} ms "
              f"(p90 {r['update']['p90_ms']:.1f}, CPU {r['update_cpu']['median_ms']:.1f}): "
              f"curve {r['curve']['median_ms']:.1f}, check {r['check']['median_ms']:.1f}, "
              f"simulate {r['simulate']['median_ms']:.1f}; baseline payout "
              f"{r['baseline_payout_ms']:.1f} ms; update = "
              f"{r['update']['median_vs_baseline']:.1f} x baseline")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
