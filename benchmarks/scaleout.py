"""The Monte Carlo benchmark's scale-out part: one large run serial, on threads and on a
Dask LocalCluster, with the figures checked identical.

The same model as the rest of the benchmark at `seats` reps (20,000 by default) for
`trials` plan years (10,000), `keep_reps=False`: once on one thread (the serial
reference), once on N threads, once on a LocalCluster of N single-threaded worker
processes (the cluster's start-up timed apart). Rates are rep-month-trials per wall
second; the ratios to the serial run come from the same run, so they hold up better on a
shared machine than the rates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from spmsim.engines import simulate
from spmsim.engines.results import Results
from spmsim.model.scenario import Scenario
from spmsim.studies.sweep.backends import DaskBackend, local_cluster

MONTHS = 12


def _timed(fn: Callable[[], Results]) -> tuple[float, Results]:
    t0 = time.perf_counter()
    res = fn()
    return time.perf_counter() - t0, res


def scale_out(scenario: Scenario, trials: int, workers: int, progress: bool,
              same: Callable[[Results, Results], bool]) -> dict[str, Any]:
    """Serial, threads and a LocalCluster on one run; `same` compares two results."""
    seats = sum(r.seats for r in scenario.org.roles.values())
    cells = trials * seats * MONTHS
    run = dict(trials=trials, keep_reps=False, progress=progress)
    serial_s, serial = _timed(lambda: simulate(scenario, workers=1, **run))
    threads_s, threaded = _timed(lambda: simulate(scenario, workers=workers, **run))
    t0 = time.perf_counter()
    with local_cluster(workers) as client:
        start_s = time.perf_counter() - t0
        backend = DaskBackend(client, f"LocalCluster ({workers} processes)")
        dask_s, on_dask = _timed(lambda: simulate(scenario, backend=backend, **run))
    rows = {"serial (1 thread)": serial_s, f"{workers} threads": threads_s,
            f"Dask LocalCluster, {workers} processes": dask_s}
    return {"seats": seats, "trials": trials, "workers": workers, "cells": cells,
            "cluster_start_s": start_s, "note": backend.note,
            "runs": {k: {"seconds": v, "rate": cells / v, "vs_serial": serial_s / v}
                     for k, v in rows.items()},
            "identical_threads": same(serial, threaded),
            "identical_dask": same(serial, on_dask)}


def print_scale_out(r: dict[str, Any]) -> None:
    print(f"\nscale-out: {r['seats']:,} seats x {r['trials']:,} trials "
          f"({r['cells']:,} rep-month-trials), keep_reps off\n")
    head = f"{'':36} {'seconds':>9} {'per second':>11} {'vs serial':>10}"
    print(head)
    print("-" * len(head))
    for name, v in r["runs"].items():
        print(f"{name:36} {v['seconds']:9.1f} {v['rate']:11.3e} {v['vs_serial']:9.2f}x")
    print(f"(cluster start-up {r['cluster_start_s']:.1f} s, not counted; figures identical to "
          f"serial: threads {'yes' if r['identical_threads'] else 'NO'}, Dask "
          f"{'yes' if r['identical_dask'] else 'NO'})")
    if r["note"]:
        print(f"note: {r['note']}")
