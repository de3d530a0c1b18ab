"""Capacity planning: the monthly hiring plan that meets a bookings target with a chosen
probability, the distribution of the year's bookings under it, and beside it the classic
deterministic figure, effective headcount x productivity.

Model: one role of a scenario, simulated with the product's own models. `org.staffing`
draws who is in seat and how productive each month (lognormal skill of mean 1, the ramp,
exits at the annual attrition hazard, each seat refilled after the backfill delay up to
`backfills` times) and `market.pipeline_draws` (or `attainment_credit`) turns that into
monthly bookings on the role's money measures, as the Monte Carlo engine does. On top:
reps in seat on day one who are still ramping (`ramping:`, by tenure), which the scenario
model cannot say (`org.Role` has no tenure for reps in seat).

Plans: a requisition opened in month m starts in m + `hiring.lead_months`; the first may
be opened in `hiring.open_from` (0, -1, ...: before the year). New hires are front-loaded,
each month filled up to `hiring.max_per_month` from the earliest feasible start, because
an earlier start books more (ramp): the plan with k + 1 hires is the plan with k and one
more start no earlier than theirs. The role's own `hires:` are committed and kept.

Search: every seat that any plan may use (reps in seat, committed hires, then the allowed
new hires in order) is simulated once, each from its own random streams keyed by (trial
block, seat, purpose), so a seat's draws do not depend on how many hires are allowed. The
plan with k hires books, trial by trial, the seats it uses: common random numbers, so its
bookings and the estimated P(bookings >= target) never fall as k grows, and the plan is
the smallest k whose estimate reaches the probability, found by scanning k = 0, 1, ...
on prefix sums. Its Monte Carlo SE is sqrt(p (1 - p) / trials). The estimate is read on
the draws that chose k, so it leans optimistic (selection); `confirm` re-estimates it on
an independent run of the Monte Carlo engine with the plan as the role's hires.

Deterministic figure: each seat's expected effective headcount by month (ramp-weighted,
attrition-adjusted with its backfills: an integral over exit times on a fine grid) x the
mean bookings of a fully ramped rep-month x the month's seasonal rate. It is the expected
bookings of the plan; the naive plan, the fewest hires whose figure reaches the target,
meets the target about half the time or less.

Several roles (`roles:`, `CapacityMix`, `plan_mix`): one target on the sum of the roles'
bookings (roles that book revenue of their own: no manager or overlay role). Each role's
seats are simulated as above from streams of its own (`role_root`), so the mix (k1, k2, ...)
books, trial by trial, the sum of each role's plan with k_r hires. Mixes are weighed
cheapest first (each new seat's OTE for its expected months in seat) and the first whose
estimate reaches the probability is the plan; `confirm` runs it with the engine as above.
"""

from spmsim.capacity.confirm import (
    Confirmation,
    Z,
    confirm,
    confirm_html,
    confirm_text,
    plan_scenario,
)
from spmsim.capacity.inputs import (
    Capacity,
    CapacityMix,
    FromHistory,
    Hiring,
    Ramping,
    RoleHiring,
    load_capacity,
)
from spmsim.capacity.mix import MixPlan, new_seat_cost, plan_for, plan_mix, role_root
from spmsim.capacity.plan import CapacityPlan, Search, plan_capacity, search
from spmsim.capacity.seats import (
    BLOCK,
    GRID,
    SeatDraws,
    Seats,
    expected_headcount,
    ramp_in_seat,
    ramped_rep_month,
    seat_headcount,
    seats_of,
    simulate_seats,
)

__all__ = ["BLOCK", "GRID", "Z", "Capacity", "CapacityMix", "CapacityPlan", "Confirmation",
           "FromHistory", "Hiring", "MixPlan", "Ramping", "RoleHiring", "Search", "SeatDraws",
           "Seats", "confirm", "confirm_html", "confirm_text", "expected_headcount",
           "load_capacity", "new_seat_cost", "plan_capacity", "plan_for", "plan_mix",
           "plan_scenario", "ramp_in_seat", "ramped_rep_month", "role_root", "search",
           "seat_headcount", "seats_of", "simulate_seats"]
