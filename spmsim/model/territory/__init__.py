"""Territories: accounts grouped under reps, judged by balance, travel and disruption, and an
optimiser that draws them as planners do (bases, travel matrices, bands on several
measures, locks, groups that stay together, maximum travel).

An alignment is one territory index per account. Balance is the spread of each measure's
territory totals; travel the weighted distance (or time) from accounts to their
territory's base; disruption the share of accounts and of potential that change owner.
The optimiser is `optimise`; `spmsim.studies.designs.design_territories` runs it on files.
"""

from spmsim.model.territory.exact import Solved, constraints, solve
from spmsim.model.territory.geometry import (
    EARTH_KM,
    Travel,
    centres,
    great_circle,
    has_map,
    haversine_km,
    pair_territories,
    pick_bases,
)
from spmsim.model.territory.metrics import (
    alignment_metrics,
    disruption,
    territory_table,
    travel_weights,
)
from spmsim.model.territory.optimise import EXACT_LIMIT, Optimised, optimise
from spmsim.model.territory.problem import Band, Problem, build_problem, parse_band, parse_bands

Measure = str  # a numeric accounts column: workload, potential, ...

__all__ = ["EARTH_KM", "EXACT_LIMIT", "Band", "Measure", "Optimised", "Problem", "Solved",
           "Travel", "alignment_metrics", "build_problem", "centres", "constraints",
           "disruption", "great_circle", "has_map", "haversine_km", "optimise",
           "pair_territories", "parse_band", "parse_bands", "pick_bases", "solve",
           "territory_table", "travel_weights"]
