"""The Monte Carlo benchmark's scaling table: seats x trials, time and peak RSS.

Each cell runs in a fresh child process (`montecarlo.py --child-memory`), which reports its
own wall time and peak RSS (VmHWM); a child that only imports spmsim and builds the
scenario gives the baseline. The engine runs with its default 512 MB budget, so every
peak should stay under that budget plus the baseline, whatever the organisation's size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

MIB = 2.0 ** 20
MONTHS = 12

Child = Callable[[int, int], dict[str, Any]]  # (trials, reps) -> the child's figures


def scaling_table(child: Child, seats: Sequence[int], trials: Sequence[int]
                  ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(baseline child, one row per seats x trials cell), smallest first."""
    base = child(0, min(seats))
    rows = []
    for n in sorted(trials):
        for s in sorted(seats):
            row = child(n, s)
            row["rate"] = n * s * MONTHS / row["seconds"] if row["seconds"] > 0 else 0.0
            row["minus_base_bytes"] = row["max_rss_bytes"] - base["max_rss_bytes"]
            rows.append(row)
    return base, rows


def print_table(base: dict[str, Any], rows: list[dict[str, Any]], budget_mb: float) -> None:
    print(f"\nscaling (fresh child per cell, {base['source']}; engine budget {budget_mb:g} MB; "
          f"baseline import + scenario {base['max_rss_bytes'] / MIB:,.0f} MiB)\n")
    head = f"{'seats':>7} {'trials':>7} {'seconds':>9} {'per second':>11} " \
        f"{'peak RSS MiB':>13} {'minus base':>11} {'in budget':>10}"
    print(head)
    print("-" * len(head))
    for r in rows:
        ok = r["minus_base_bytes"] <= budget_mb * MIB
        print(f"{r['reps']:7,d} {r['trials']:7,d} {r['seconds']:9.1f} {r['rate']:11.3e} "
              f"{r['max_rss_bytes'] / MIB:13,.0f} {r['minus_base_bytes'] / MIB:11,.0f} "
              f"{'yes' if ok else 'NO':>10}")
