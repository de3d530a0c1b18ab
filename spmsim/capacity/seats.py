"""The seats a capacity plan may use, simulated with the org and market models, and each
seat's expected (deterministic) headcount."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import stats
from tqdm.auto import tqdm

from spmsim.calendar import PlanCalendar
from spmsim.capacity.inputs import Capacity
from spmsim.engines.montecarlo import stream_rng
from spmsim.model.market import (
    AttainmentMarket,
    Market,
    MonthTable,
    PipelineMarket,
    attainment_credit,
    monthly_weight,
    pipeline_draws,
)
from spmsim.model.org import MONTHS, Hire, Role, Staffing, staffing

BLOCK = 256  # trials per random-number block: the unit of reproducibility
GRID = 60  # time steps per month of the expected-headcount integral


@dataclass(frozen=True)
class Seats:
    """Every seat a plan may use, in order: reps in seat, committed hires, new hires."""

    role: Role  # the role with every seat's hire
    tenure: np.ndarray  # (seats,) ramp tenure on the first day in seat; nan: ramped
    fixed: int  # seats in every plan (in seat and committed)
    new_months: np.ndarray  # (new,) start month (1-12) of each new hire, in order


def hires_of(months: np.ndarray) -> tuple[Hire, ...]:
    """Start months (1-12), one per hire, as the role's `hires:` entries."""
    values, counts = np.unique(months, return_counts=True)
    return tuple(Hire(month=int(m), count=int(c)) for m, c in zip(values, counts, strict=True))


def seats_of(capacity: Capacity) -> Seats:
    """The role with every hire the limits allow appended; ramping reps come first among
    the reps in seat, and a hire starting on day one ramps from zero (in `org.staffing`
    itself: `ramp_in_seat` leaves hires alone)."""
    role = capacity.scenario.org.roles[capacity.role]
    new = capacity.hiring.start_months(capacity.hiring.limit)
    pool = role.model_copy(update={"hires": role.hires + hires_of(new)})
    tenure = np.full(pool.seats, np.nan)
    tenure[:sum(r.count for r in capacity.ramping)] = np.repeat(
        [r.tenure_months for r in capacity.ramping], [r.count for r in capacity.ramping])
    tenure[(pool.seat_starts() == 0) & (np.arange(pool.seats) >= role.headcount)] = 0.0
    return Seats(pool, tenure, role.seats, new)


def ramp_in_seat(staff: Staffing, role: Role, tenure: np.ndarray) -> Staffing:
    """Staffing whose reps in seat on day one with a tenure ramp from it (a month's
    mid-point in seat is month + active / 2); hires ramp in `org.staffing` already."""
    ramping = ~np.isnan(tenure) & (np.arange(tenure.size) < role.headcount)
    if not ramping.any() or role.ramp.months == 0:
        return staff
    seats = tenure.size
    active = staff.active[:, :seats]
    month = np.arange(MONTHS, dtype=float)
    factor = role.ramp.factor(np.nan_to_num(tenure)[None, :, None] + month + active / 2)
    productivity = staff.productivity.copy()
    productivity[:, :seats] *= np.where(ramping[None, :, None], factor, 1.0)
    steady = (staff.active.min(-1) == 1.0) & \
        (productivity.min(-1) == productivity.max(-1))
    return replace(staff, productivity=productivity, steady=steady)


# ---- the deterministic figure -------------------------------------------------------------

def ramped_rep_month(market: Market, role: Role) -> float:
    """Mean bookings of a fully ramped rep of mean skill in a month of average rate."""
    if isinstance(market, PipelineMarket):
        return sum(s.deals_per_month * s.size.mean for s in market.measures.values())
    return sum(d.expected() * role.quota[m] for m, d in market.measures.items()) / MONTHS


def expected_headcount(role: Role, start: float, tenure: float | None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Expected (in seat, effective) headcount of one seat by month, each (12,).

    The first holder starts at `start` (months from the year's start) and ramps from
    `tenure` (None: ramped); each leaves after an exponential time and the seat is refilled
    `backfill_months` later by a successor who ramps from zero, up to `backfills` times. The
    g-th successor starts at start + g x delay + a Gamma(g, rate) time, so its share is the
    integral of that density against survival x ramp, on a grid of GRID steps a month.
    """
    rate, attrition = role.attrition.monthly_rate, role.attrition
    t = (np.arange(MONTHS * GRID) + 0.5) / GRID
    x = t - start
    alive = np.where(x >= 0, np.exp(-rate * np.maximum(x, 0.0)), 0.0)
    seat = alive.copy()
    eff = alive * (1.0 if tenure is None else role.ramp.factor(tenure + np.maximum(x, 0.0)))
    if attrition.generations > 1:
        u = np.arange(MONTHS * GRID + 1) / GRID  # successor starts: cells u +- 1/(2 GRID)
        lag = t  # t_i - u_j = (i - j + 1/2) / GRID: the whole cell precedes t_i when j <= i
        kernel = np.exp(-rate * lag)
        ramped = kernel * role.ramp.factor(lag)
        for g in range(1, attrition.generations):
            edges = np.append(u - 0.5 / GRID, u[-1] + 0.5 / GRID) - start - \
                g * attrition.backfill_months
            mass = np.diff(stats.gamma.cdf(edges, g, scale=1.0 / rate))
            seat += np.convolve(mass, kernel)[:t.size]
            eff += np.convolve(mass, ramped)[:t.size]
    return seat.reshape(MONTHS, GRID).mean(1), eff.reshape(MONTHS, GRID).mean(1)


def seat_headcount(seats: Seats) -> tuple[np.ndarray, np.ndarray]:
    """Expected (in seat, effective) headcount of every seat by month, (seats, 12) each."""
    starts = seats.role.seat_starts()
    cache: dict[tuple[float, float | None], tuple[np.ndarray, np.ndarray]] = {}
    rows = []
    for start, tenure in zip(starts, seats.tenure, strict=True):
        key = (float(start), None if np.isnan(tenure) and start == 0 else
               float(np.nan_to_num(tenure)))
        if key not in cache:
            cache[key] = expected_headcount(seats.role, *key)
        rows.append(cache[key])
    return np.array([r[0] for r in rows]), np.array([r[1] for r in rows])


# ---- simulation -----------------------------------------------------------------------

@dataclass(frozen=True)
class SeatDraws:
    """Simulated bookings of every seat: to date at the checks, and monthly means."""

    fixed: np.ndarray  # (trials, checks) seats in every plan, summed
    new: np.ndarray  # (trials, new hires, checks) each new hire's seat
    monthly: np.ndarray  # (seats, 12) mean bookings
    exits: np.ndarray  # (seats, 12) mean leavers
    backfills: np.ndarray  # (seats, 12) mean successors starting


def _credit(market: Market, role: Role, staff: Staffing, rates: np.ndarray,
            root: np.random.SeedSequence, block: int) -> np.ndarray:
    """Monthly bookings (trials, slots, 12) on the money measures, each seat drawing from
    its own streams."""
    n, seats, gens = staff.active.shape[0], role.seats, role.attrition.generations
    if isinstance(market, AttainmentMarket):
        drawn = {}
        for i, (m, dist) in enumerate(market.measures.items()):
            drawn[m] = np.empty((n, role.slots))
            for s in range(seats):
                rng = stream_rng(root, block, s, "attainment", i)
                drawn[m][:, s::seats] = dist.sample(rng, (n, gens))
        return sum(attainment_credit(market, staff, rates, role.quota, drawn).values())
    weight = monthly_weight(rates, staff)
    table = MonthTable(rates)
    out = np.zeros(staff.active.shape)
    for i, stream in enumerate(market.measures.values()):
        for s in range(seats):
            def rng(purpose: str, s: int = s, i: int = i) -> np.random.Generator:
                return stream_rng(root, block, s, purpose, i)
            _, credit, _ = pipeline_draws(stream, weight[:, s::seats], staff.steady[:, s::seats],
                                       table, rng)
            out[:, s::seats] += credit
    return out


def _by_seat_month(months: np.ndarray, seats: int) -> np.ndarray:
    """Counts of events (trials, slots) in months [0, 12) by seat and month."""
    seat = np.broadcast_to(np.arange(months.shape[1]) % seats, months.shape)
    inside = months < MONTHS
    idx = seat[inside] * MONTHS + months[inside].astype(np.int64)
    return np.bincount(idx, minlength=seats * MONTHS).reshape(seats, MONTHS).astype(float)


def simulate_seats(capacity: Capacity, seats: Seats, trials: int,
                   seed: int | np.random.SeedSequence, progress: bool = True) -> SeatDraws:
    """Draw every seat's bookings for `trials` plan years (see the module's docstring);
    `seed` is the root of the streams, or an int for `SeedSequence(seed)`."""
    role, market = seats.role, capacity.scenario.market[capacity.role]
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rates = market.month_rates(PlanCalendar(capacity.scenario.year_start).period_days)
    checks, n_seats, gens = capacity.checks, role.seats, role.attrition.generations
    fixed = np.zeros((trials, checks.size))
    new = np.zeros((trials, seats.new_months.size, checks.size))
    monthly, exits, backfills = (np.zeros((n_seats, MONTHS)) for _ in range(3))
    blocks = range(0, trials, BLOCK)
    for b, lo in enumerate(tqdm(blocks, desc=f"capacity {capacity.role}", unit="block",
                                delay=2.0, disable=not progress)):
        n = min(lo + BLOCK, trials) - lo
        draws = {}
        for name, on in (("skill", role.skill_sigma > 0), ("exit", role.attrition.annual > 0)):
            if on:
                draws[name] = np.empty((n, role.slots))
                for s in range(n_seats):
                    g = stream_rng(root, b, s, name)
                    draws[name][:, s::n_seats] = g.standard_normal((n, gens)) \
                        if name == "skill" else g.standard_exponential((n, gens))
        staff = staffing(role, n, draws.get("skill"), draws.get("exit"))
        staff = ramp_in_seat(staff, role, seats.tenure)
        credit = _credit(market, role, staff, rates, root, b)
        per_seat = credit.reshape(n, gens, n_seats, MONTHS).sum(1)
        to_date = np.cumsum(per_seat, axis=-1)[..., checks]
        fixed[lo:lo + n] = to_date[:, :seats.fixed].sum(1)
        new[lo:lo + n] = to_date[:, seats.fixed:]
        monthly += per_seat.sum(0)
        exits += _by_seat_month(np.floor(staff.exit), n_seats)
        backfills += _by_seat_month(np.floor(staff.start[:, n_seats:]) if gens > 1
                                    else np.full((n, 0), np.inf), n_seats)
    return SeatDraws(fixed, new, monthly / trials, exits / trials, backfills / trials)
