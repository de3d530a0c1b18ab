"""What the benchmarks report about the machine they ran on (shared by every script)."""

from __future__ import annotations

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
