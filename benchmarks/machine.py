"""What every benchmark script shares: the machine it ran on, and its size flags."""

from __future__ import annotations

import argparse
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any


def machine_info(*packages: str) -> dict[str, Any]:
    """Platform, CPU model and count, load average, and the versions of `packages`."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    info: dict[str, Any] = {
        "platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(),
        "nproc": len(affinity) if affinity is not None else os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    for name in packages:
        info[name] = metadata.version(name)
    return info


def fill_sizes(ap: argparse.ArgumentParser, args: argparse.Namespace,
               sizes: dict[str, Any], positive: tuple[str, ...]) -> None:
    """Size flags left unset take `sizes` (the full or --quick set), `--workers` the
    engine's default; each flag in `positive` must be at least 1."""
    from spmsim.engines.threads import default_workers

    for name, value in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if getattr(args, "workers", 0) is None:
        args.workers = default_workers()
    for name in positive:
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
