"""Simulation engines; each takes a Scenario and returns Results (`engines.results`).

`simulate` (Monte Carlo, numpy) and `simulate_agents` (SimPy, with behaviour) are loaded
on first use, so the defaults below can be read (by the command line's help, say) without
importing either engine.
"""

from __future__ import annotations

import importlib
from typing import Any

DEFAULT_MEMORY_MB = 512  # Monte Carlo: memory budget of a chunk's working arrays
DEFAULT_LOGGED_TRIALS = 50  # agents: trials whose events are logged

_LAZY = {"simulate": "spmsim.engines.montecarlo", "simulate_agents": "spmsim.engines.agents"}

__all__ = ["DEFAULT_LOGGED_TRIALS", "DEFAULT_MEMORY_MB", "simulate", "simulate_agents"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'spmsim.engines' has no attribute {name!r}")
