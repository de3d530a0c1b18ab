"""Plan designer update latency, Python side: what one change costs before the browser draws.

For each fast trial count, the designer (`spmsim.designer.widgets.PlanDesigner`, outside a kernel)
takes `--changes` edits alternating the enterprise plan's tier-2 rate and its cap, as the
browser test does, and times each update's parts:

* simulate: `Design.view`: the role paid under the edited plan on the draws made once
  (payout engine, annual figures, per-trial reduction), the cost table's summary, the
  payout curves and the distributions;
* charts: the payout curve and the earnings distribution drawn to SVG by vl-convert;
* update: the whole `refresh` (validation, simulation, both charts, the table, the status).

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
import statistics
import time
from pathlib import Path

from spmsim.designer.widgets import PlanDesigner, svg
from spmsim.engines.payroll import role_year
from spmsim.report import charts

from machine import machine_info  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "scenarios" / "plans" / "enterprise_ae.yaml"
SCENARIO = ROOT / "scenarios" / "acme_baseline.yaml"
RATE, CAP = "components[0].tiers[1].rate", "components[0].cap"


def _timed(f) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def _stats(seconds: list[float], base: float) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    median = statistics.median(ms)
    return {"median_ms": round(median, 1), "p90_ms": round(p90, 1),
            "median_vs_baseline": round(median / (base * 1000), 2)}


def measure(trials: int, changes: int) -> dict:
    designer = PlanDesigner(PLAN, SCENARIO, "ent_ae", trials_fast=trials)
    design = designer.design
    sim = design.sim
    role = sim.scenario.org.roles["ent_ae"]
    market = sim.scenario.market["ent_ae"]
    baseline = statistics.median(
        _timed(lambda: role_year(role, market, sim.draws, sim.months)) for _ in range(changes))
    parts: dict[str, list[float]] = {"simulate": [], "charts": [], "update": []}
    for i in range(changes):
        path, value = (RATE, 2.1 + 0.1 * i) if i % 2 == 0 else (CAP, 2.0 + 0.25 * i)
        design.set(path, value)
        plan = design.plan()
        start = time.perf_counter()
        view = design.view(plan)
        parts["simulate"].append(time.perf_counter() - start)
        curve = charts.payout_curves_chart(view.curves)
        payout = charts.attainment_chart(view.payout)
        start = time.perf_counter()
        svg(curve, 0), svg(payout, 0)
        parts["charts"].append(time.perf_counter() - start)
        parts["update"].append(_timed(designer.refresh))
    return {"trials_fast": trials, "baseline_payout_ms": round(baseline * 1000, 1),
            **{k: _stats(v, baseline) for k, v in parts.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, nargs="+", default=[128, 256, 512, 1024])
    ap.add_argument("--changes", type=int, default=10)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.changes < 2 or min(args.trials) < 1:
        ap.error("--changes must be >= 2 and --trials >= 1")
    out = {"machine": machine_info("numpy", "altair", "vl-convert-python", "ipywidgets"),
           "changes": args.changes, "runs": [measure(t, args.changes) for t in args.trials]}
    for r in out["runs"]:
        print(f"trials {r['trials_fast']:>5}: update {r['update']['median_ms']:7.1f} ms "
              f"(p90 {r['update']['p90_ms']:.1f}): simulate {r['simulate']['median_ms']:.1f}, "
              f"two charts {r['charts']['median_ms']:.1f}; baseline payout "
              f"{r['baseline_payout_ms']:.1f} ms; update = "
              f"{r['update']['median_vs_baseline']:.1f} x baseline")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
