"""Territories: accounts grouped under reps, judged by balance, travel and disruption, and an
optimiser that draws them as planners do (bases, travel matrices, bands on several
measures, locks, groups that stay together, maximum travel).

An alignment is one territory index per account. Balance is the spread of each measure's
territory totals; travel the weighted distance (or time) from accounts to their
territory's base; disruption the share of accounts and of potential that change owner.
The optimiser is `optimise`; `spmsim.studies.designs.design_territories` runs it on files.

Names are loaded on first use, so validating a scenario that links territories does not
import the solver (SciPy).
"""

from __future__ import annotations

from importlib import import_module

_WHERE = {
    "exact": ("Solved", "constraints", "solve"),
    "geometry": ("EARTH_KM", "Travel", "centres", "great_circle", "has_map", "haversine_km",
                 "pair_territories", "pick_bases"),
    "metrics": ("alignment_metrics", "disruption", "territory_table", "travel_weights"),
    "optimiser": ("EXACT_LIMIT", "Optimised", "optimise"),
    "problem": ("Band", "Problem", "build_problem", "parse_band", "parse_bands"),
}
_MODULE = {name: module for module, names in _WHERE.items() for name in names}
Measure = str  # a numeric accounts column: workload, potential, ...

__all__ = sorted([*_MODULE, "Measure"])


def __getattr__(name: str):
    if name not in _MODULE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_MODULE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
