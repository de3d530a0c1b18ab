"""Sweep wall time, serially and on a 2-worker Dask LocalCluster, with the same numbers.

What it measures, in one run:

* the example sweep study `scenarios/studies/sweep_accelerator.yaml` (enterprise accelerator,
  cap and quota on `scenarios/acme_baseline.yaml`: 120 seats in three roles) resized to
  `--candidates` Latin hypercube candidates (200) x `--trials` trials each (2,000), no
  refinement round, every candidate on the study seed (common draws);
* serial: `spmsim.studies.sweep.runner.run_sweep` with the serial backend, in this
  process; each candidate runs the Monte Carlo engine with ONE thread (the engine is told
  `workers=1` on every backend, so the comparison is one core against N worker processes
  of one thread each);
* Dask: `spmsim.studies.sweep.backends.local_cluster(--workers)`, the LocalCluster
  `--workers N` starts
  (N processes x 1 thread, Dask's MALLOC_TRIM_THRESHOLD_ unset: it doubles the CPU time); its
  start-up (workers up, `spmsim.studies.sweep.runner` imported on each) is timed apart
  from the sweep,
  and the speed-up is given both ways (sweep only, and including the cluster's start-up);
* that both runs give identical candidate tables (every metric of every candidate, bit for
  bit): exit 1 otherwise.

Each run writes into a fresh folder (no resume), so every candidate is simulated. The
machine is shared: the load average at the start is in the output and the JSON.

Run from the repository root. The full size takes about 6 minutes on 2 idle cores (serial
231 s, 2 workers 129 s: 1.79x); `--quick` (20 candidates x 500 trials) under a minute:

    .venv/bin/python benchmarks/sweep.py
    .venv/bin/python benchmarks/sweep.py --quick
    .venv/bin/python benchmarks/sweep.py --candidates 50 --trials 1000 --json /tmp/sweep.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from spmsim.studies.sweep.backends import local_cluster
from spmsim.studies.sweep.runner import run_sweep

from machine import fill_sizes, machine_info  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "scenarios" / "studies" / "sweep_accelerator.yaml"
MONTHS = 12
QUICK = {"candidates": 20, "trials": 500, "workers": 2}
FULL = {"candidates": 200, "trials": 2000, "workers": 2}


def write_study(folder: Path, candidates: int, trials: int) -> Path:
    """The example sweep at the benchmark's size (base made absolute, no refinement)."""
    spec = yaml.safe_load(STUDY.read_text())
    spec["base"] = str((STUDY.parent / spec["base"]).resolve())
    spec["trials"] = trials
    spec["sweep"]["n"] = candidates
    spec["sweep"].pop("refine", None)
    path = folder / "sweep_benchmark.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def seats(path: Path) -> int:
    from spmsim.model.scenario import load_scenario

    spec = yaml.safe_load(path.read_text())
    scenario = load_scenario(spec["base"])
    return sum(role.seats for role in scenario.org.roles.values())


def timed_sweep(path: Path, out: Path, progress: bool, **backend: Any
                ) -> tuple[float, pd.DataFrame]:
    t0 = time.perf_counter()
    table = run_sweep(path, out, resume=False, progress=progress, log=lambda *_: None,
                      **backend)
    return time.perf_counter() - t0, table


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", type=int, default=None, help="candidates (200; --quick 20)")
    ap.add_argument("--trials", type=int, default=None,
                    help="trials per candidate (2000; --quick 500)")
    ap.add_argument("--workers", type=int, default=None, help="Dask worker processes (2)")
    ap.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    ap.add_argument("--json", type=Path, default=None, metavar="PATH",
                    help="write the figures as JSON here")
    ap.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    args = ap.parse_args(argv)
    fill_sizes(ap, args, QUICK if args.quick else FULL, ("candidates", "trials", "workers"))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    progress = not args.no_progress
    info = machine_info("numpy", "dask", "distributed", "spmsim")
    with tempfile.TemporaryDirectory(prefix="spmsim-sweep-bench-") as tmp:
        folder = Path(tmp)
        path = write_study(folder, args.candidates, args.trials)
        reps = seats(path)
        print(f"sweep benchmark: {args.candidates} candidates x {args.trials:,} trials x "
              f"{reps} seats x {MONTHS} months; {info['nproc']} CPUs "
              f"({info['cpu']}), load average at start {info['loadavg_at_start']}\n")
        serial_s, serial = timed_sweep(path, folder / "serial", progress)
        t0 = time.perf_counter()
        with local_cluster(args.workers) as client:
            client.wait_for_workers(args.workers)
            # workers import spmsim now
            client.run(importlib.import_module, "spmsim.studies.sweep.runner")
            startup_s = time.perf_counter() - t0
            dask_s, dask = timed_sweep(path, folder / "dask", progress, client=client)
    same = serial.equals(dask)
    cells = args.candidates * args.trials * reps * MONTHS
    rows = [("serial (1 process, 1 engine thread)", serial_s),
            (f"Dask LocalCluster, {args.workers} workers x 1 thread", dask_s),
            ("  + cluster start-up", dask_s + startup_s)]
    print(f"\n{'':44} {'seconds':>9} {'candidates/s':>13} {'rep-month-trials/s':>19}")
    for name, s in rows:
        print(f"{name:44} {s:9.1f} {args.candidates / s:13.2f} {cells / s:19.3e}")
    speedup, speedup_all = serial_s / dask_s, serial_s / (dask_s + startup_s)
    print(f"\ncluster start-up: {startup_s:.1f} s")
    print(f"speed-up on {args.workers} workers: {speedup:.2f}x (sweep), {speedup_all:.2f}x "
          "(with start-up)")
    print(f"identical candidate tables (every metric of every candidate): "
          f"{'yes' if same else 'NO'}")
    if args.json is not None:
        figures = {"benchmark": "sweep", "machine": info, "args": {
                       k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                   "seats": reps, "rep_month_trials": cells, "serial_s": serial_s,
                   "dask_s": dask_s, "cluster_startup_s": startup_s, "speedup": speedup,
                   "speedup_with_startup": speedup_all, "identical": same,
                   "feasible": int(serial["feasible"].sum()),
                   "on_front": int(serial["on_front"].sum())}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    if not same:
        print("\nFAILED: the serial and Dask sweeps differ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
