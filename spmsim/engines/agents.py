"""The agent-based engine (SimPy): reps and opportunities as processes, days as time.

Each seat's holder is a process living month by month: at each month start they set
their effort from their plan (see `behavior.py`; with `effort_choice`, looked up in the
role's effort policy, solved once per run by `effortpolicy.py`), prospect (opportunities
created as a Poisson process at deals_per_month / win rate x seasonality x productivity
x effort), and face their exit hazard (raised by the quitting behaviour). Each opportunity is a
process moving through the market's stages (exponential lengths, conversion shares) to
won or lost; a won deal credits the seat's holder on its close date. A leaver's open
deals go to the successor (credited from their start) or are lost, as the scenario says.
Opportunities are created from `warm-up` days before the year so the pipeline is full
on its first day. Deal timing at period ends (or, with a chosen price, at the year end)
and pushes past a cap act on won deals in their last stage; with selection on, hires are
drawn among candidates who accept the plan. Roles on the attainment model are drawn as in
the Monte Carlo engine.

The monthly credit and staffing that come out are paid by the same payout engine and
reduced to the same `Results`, with an event log besides. With every behaviour off and
no attrition or ramp, a rep's won deals form the same Poisson process as in the Monte
Carlo engine (tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import simpy
from tqdm.auto import tqdm

from spmsim.calendar import MONTHS_PER_PERIOD, PlanCalendar
from spmsim.data.fx import plan_rate
from spmsim.engines import DEFAULT_LOGGED_TRIALS
from spmsim.engines.company import company_contests
from spmsim.engines.metrics import ChunkStats, assemble, chunk_stats
from spmsim.engines.montecarlo import (
    BLOCK,
    Chunk,
    deal_rates,
    deal_rule,
    draw_role,
    draw_roles,
    draw_scores,
    stream_rng,
)
from spmsim.engines.payroll import Draws, role_year
from spmsim.engines.results import Results
from spmsim.engines.years import year_rows, years_frame
from spmsim.errors import SpmsimError
from spmsim.model.behavior import (
    PlanView,
    Timing,
    below_market,
    best_discount,
    defers,
    effort_level,
    gives_up,
    hazard_multiplier,
    poach_rate,
    pulls_in,
    pushes_out,
    reach_probability,
    window_rate,
)
from spmsim.model.effortpolicy import ATTAINMENTS as POLICY_GRID
from spmsim.model.effortpolicy import EffortPolicy, build_policy, period_windows, plan_windows
from spmsim.model.market import PipelineMarket
from spmsim.model.org import MONTHS, Role, Staffing
from spmsim.model.pacerpolicy import PacerPolicy, build_pacer, pacer_components
from spmsim.model.scenario import Scenario
from spmsim.model.tournament import prize_line, pulls_into_window, standing_multiplier
from spmsim.plans import basis

WARM_UP_CYCLES = 4.0  # warm-up length in mean sales cycles: the pipeline is full by day 0
YEAR_KEY = 2 ** 31  # spawn-key entry of later plan years' streams (trials are below it)

EVENT_COLUMNS = ("trial", "day", "date", "role", "rep", "event", "measure", "stage",
                 "amount", "discount")


@dataclass
class _Rep:
    slot: int
    seat: int
    start: float  # month-float
    skill: float
    ramps: bool
    name: str
    exit: float = math.inf
    active: bool = False
    effort: float = 1.0
    given_up: bool = False
    expected: float = 0.0  # expected year-end attainment, for ranking top earners
    ytd: float = 0.0  # credit to date on the plan's main measure
    hired: float = math.inf  # month-float of their hire, from this year's start (tenure)
    stays: bool = False  # in seat since an earlier plan year (with `years` above 1)

    @property
    def joins(self) -> bool:
        """A new hire or a successor: not in seat before this plan year."""
        return self.ramps and not self.stays


@dataclass
class _Seat:
    holders: list[_Rep]
    current: _Rep | None = None
    held: list[tuple[str, float]] = field(default_factory=list)  # deals awaiting a successor
    final: list[list] = field(default_factory=list)  # won deals in their last stage


@dataclass
class _Opening:
    """Where a role stands on the first day of a later plan year: the rep who stays in
    each seat (or when a new hire starts), each slot's full-year quota on the main measure,
    and the won deals still to close (seat, measure, amount, day they close)."""

    stays: list[_Rep | None]
    starts: np.ndarray
    quota: np.ndarray
    deals: list[tuple[int, str, float, float]]
    # for contests on growth: each slot's credit the year before, by measure (NaN for a
    # rep who was not in seat all that year)
    last_year: dict[str, np.ndarray] = field(default_factory=dict)


class _Clock:
    """Month-floats (0-12) and days of the plan year, both ways."""

    def __init__(self, calendar: PlanCalendar):
        self.days = calendar.period_days.astype(float)
        self.starts = np.concatenate([[0.0], np.cumsum(self.days)])
        self.year = float(self.starts[-1])

    def day(self, month: float) -> float:
        if month >= MONTHS:
            return self.year + (month - MONTHS) * self.days[-1]
        j = int(math.floor(month))
        return float(self.starts[j] + (month - j) * self.days[j])

    def month(self, day: float) -> int:
        return int(min(max(np.searchsorted(self.starts, day, side="right") - 1, 0), MONTHS - 1))


class _RoleSim:
    """One pipeline role in one trial: its seats, reps and their credit."""

    def __init__(self, sim: _TrialSim, r: int, name: str, opening: _Opening | None = None):
        self.sim, self.r, self.name = sim, r, name
        sc = sim.scenario
        self.role: Role = sc.org.roles[name]
        self.market: PipelineMarket = sc.market[name]
        self.growth = sc.next_years.market_factor(sim.year)  # deal flow against year one
        self.rates = self.market.month_rates(sim.clock.days) * self.growth
        self.creation = sim.creation[name] * self.growth
        self.main = main_measure(self.role, self.market)
        self.first_quota = np.broadcast_to(
            self.role.quota_for(self.main) if self.main in self.role.quota_measures() else 0.0,
            (self.role.slots,))
        self.quota = self.first_quota if opening is None else opening.quota
        self.opening = opening
        self.view = plan_view(self.role, self.market)
        self.policy: EffortPolicy | None = sim.policies.get(name)
        self.win = self.market.win_rate if self.market.stages else 1.0
        self.stage_days = np.array([st.days for st in self.market.stages])
        self.stage_odds = np.array([st.to_next for st in self.market.stages])
        seats, gens = self.role.seats, self.role.attrition.generations
        self.slots = seats * gens
        names = self.role.slot_names(name)
        shape = (self.slots, MONTHS)
        self.credit = {m: np.zeros(shape) for m in self.market.produces()}
        self.counts = {m: np.zeros(shape, dtype=np.int64) for m in self.market.measures}
        # a plan's windfall clause credits each deal; revenue keeps the deals as booked
        self.fx = {m: plan_rate(self.role.plan, s.currency)
                   for m, s in self.market.measures.items()}
        self.rules = {m: rule for m in self.market.measures
                      if (rule := deal_rule(self.role.plan, m, self.fx[m])) is not None}
        # a rate by deal attribute: each deal's attribute drawn as it is credited, from
        # the seat's own stream (the seat's other draws stay as they were without it)
        self.rated = {m: rated for m, s in self.market.measures.items()
                      if (rated := deal_rates(self.role.plan, m, s)) is not None}
        self.booked = {m: np.zeros(shape) for m in {**self.rules, **self.rated}}
        self.active = np.zeros(shape)
        self.productivity = np.zeros(shape)
        self.start = np.full(self.slots, np.inf)
        self.exit = np.full(self.slots, np.inf)
        starts = self.role.seat_starts()
        self.rngs = [stream_rng(sim.root, sim.trial, r, "agent", s) for s in range(seats)]
        self.attribute_rngs = [stream_rng(sim.root, sim.trial, r, "deal_attribute", s)
                               for s in range(seats)] if self.rated else []
        sigma = self.role.skill_sigma
        factors = self.role.seat_factors()  # territory potential
        self.factors = factors
        self.seats = []
        for s in range(seats):
            rng = self.rngs[s]
            reps = []
            for g in range(gens):
                skill = factors[s] * (math.exp(sigma * rng.standard_normal() - sigma ** 2 / 2)
                                      if sigma > 0 else 1.0)
                slot = g * seats + s
                reps.append(_Rep(slot=slot, seat=s, start=starts[s] if g == 0 else math.inf,
                                 skill=skill, ramps=g > 0 or starts[s] > 0, name=names[slot]))
            if opening is not None:
                _open_seat(reps, opening.stays[s], float(opening.starts[s]))
            self.seats.append(_Seat(reps))
        self.ranked: list[float] = []
        contest = sim.behavior.contest
        # deals in their last stage are tracked when a behaviour may pull them in
        self.tracks_final = sim.behavior.timing is not None or (
            contest is not None and contest.pull_share > 0)
        # with a next plan year: won deals due after the year end, and deals pushed past it
        self.beyond: list[tuple[simpy.Process, _Seat, str, float, float]] = []
        self.pushed: list[tuple[_Seat, str, float]] = []

    # ---- the processes -----------------------------------------------------------------

    def start_processes(self) -> None:
        env = self.sim.env
        for seat in self.seats:
            env.process(self._holder(seat, seat.holders[0]))
            if self.opening is None and seat.holders[0].start == 0 and self.market.stages:
                self._warm_up(seat)
        for s, measure, amount, day in (self.opening.deals if self.opening else ()):
            p = env.process(self._carried(self.seats[s], measure, amount, day))
            if self.sim.carry and day >= self.sim.clock.year:  # closes in a later year still
                self.beyond.append((p, self.seats[s], measure, amount, day))
        timing = self.sim.behavior.timing
        if timing is not None:
            env.process(self._period_ends(timing))
        contest = self.sim.behavior.contest
        if contest is not None and contest.pull_share > 0:
            for c in self.role.plan.components:
                if c.ranked:
                    env.process(self._contest_end(c, contest))
        if self.sim.behavior.quitting is not None:
            env.process(self._rank_monthly())

    def _rate(self, month: int) -> float:
        """Creation rate of a full-productivity rep in month `month` (0-11, repeating),
        relative to deals_per_month, so that won deals close at the seasonality."""
        return self.creation[month % MONTHS] / self.win

    def _warm_up(self, seat: _Seat) -> None:
        """Opportunities created before the year, so that the pipeline is full on day 0."""
        rng, rep = self.rngs[seat.holders[0].seat], seat.holders[0]
        length = WARM_UP_CYCLES * self.market.cycle_days
        day, month = 0.0, MONTHS - 1
        while day > -length:
            days = self.sim.clock.days[month]
            lo = max(day - days, -length)
            for m, stream in self.market.measures.items():
                n = rng.poisson(stream.deals_per_month * self._rate(month) * rep.skill
                                * (day - lo) / days)
                self._create(seat, m, stream, lo, day, n, rng)
            day, month = lo, (month - 1) % MONTHS

    def _holder(self, seat: _Seat, rep: _Rep):
        sim, clock, env = self.sim, self.sim.clock, self.sim.env
        if rep.start >= MONTHS:
            return
        yield env.timeout(max(clock.day(rep.start) - env.now, 0.0))
        rng = self.rngs[rep.seat]
        rep.active, seat.current = True, rep
        self.start[rep.slot] = rep.start
        if not rep.stays:
            rep.hired = rep.start
        if rep.start > 0 or (rep.joins and sim.year > 0):
            sim.log(clock.day(rep.start), self.name, rep.name, "hire")
            if sim.behavior.selection is not None:
                rep.skill = self._hired_skill(rep, rng)
        for measure, amount in seat.held:  # deals that closed while the seat was empty
            self._credit(rep, measure, amount, 1, clock.month(env.now))
        seat.held.clear()
        budget = rng.standard_exponential()
        base_hazard = self.role.attrition.monthly_rate
        month = int(math.floor(rep.start))
        while month < MONTHS:
            lo = max(rep.start, float(month))
            self._decide(rep, month, lo)
            hazard = base_hazard * self._quit_multiplier(rep) + self._poach(rep)
            length = month + 1.0 - lo
            if hazard > 0 and budget < hazard * length:
                rep.exit = lo + budget / hazard
            else:
                budget -= hazard * length
            hi = min(rep.exit, month + 1.0)
            tenure = (lo + hi) / 2 - rep.hired
            ramp = float(self.role.ramp.factor(np.array([tenure]))[0]) if rep.ramps else 1.0
            self.active[rep.slot, month] = hi - lo
            self.productivity[rep.slot, month] = rep.skill * ramp
            self._prospect(seat, rep, month, lo, hi, rep.skill * ramp, rng)
            if rep.exit < month + 1.0:
                yield env.timeout(max(clock.day(rep.exit) - env.now, 0.0))
                self._leave(seat, rep)
                return
            yield env.timeout(max(clock.day(month + 1.0) - env.now, 0.0))
            month += 1
        self.exit[rep.slot] = rep.exit

    def _prospect(self, seat: _Seat, rep: _Rep, month: int, lo: float, hi: float,
                  productivity: float, rng: np.random.Generator) -> None:
        """Create this month's opportunities at uniform times in the active part."""
        clock = self.sim.clock
        for m, stream in self.market.measures.items():
            mean = stream.deals_per_month * self._rate(month) * productivity * rep.effort * \
                (hi - lo)
            self._create(seat, m, stream, clock.day(lo), clock.day(hi), rng.poisson(mean), rng)

    def _create(self, seat: _Seat, measure: str, stream, lo: float, hi: float, n: int,
                rng: np.random.Generator) -> None:
        """n opportunities at uniform times in [lo, hi) days, each drawn in full now: its
        size, stage lengths and whether it moves on from each stage. Without an event log,
        only the won ones need a process (what the lost ones do changes nothing else)."""
        if n == 0:
            return
        times = np.sort(rng.uniform(lo, hi, n))
        sizes, odds, cycle = stream.opportunity_sizes(rng, n)
        k = len(self.stage_days)
        lengths = rng.standard_exponential((n, k)) * self.stage_days * cycle[:, None]
        moves = rng.random((n, k)) < self.stage_odds
        if stream.bands and k:  # the band's odds act on the last stage
            last = np.minimum(self.stage_odds[-1] * odds, 1.0)
            moves[:, -1] = rng.random(n) < last
        won = moves.all(axis=1)
        logged = self.sim.events is not None
        due = times + lengths.sum(axis=1)
        for i in range(n):
            if logged:
                p = self.sim.env.process(self._opportunity(seat, measure, float(times[i]),
                                                           float(sizes[i]), lengths[i], moves[i]))
            elif won[i]:
                p = self.sim.env.process(self._won(seat, measure, float(times[i]),
                                                   float(sizes[i]), lengths[i]))
            else:
                continue
            if won[i] and self.sim.carry and due[i] >= self.sim.clock.year:
                self.beyond.append((p, seat, measure, float(sizes[i]), float(due[i])))

    def _leave(self, seat: _Seat, rep: _Rep) -> None:
        sim = self.sim
        rep.active, seat.current = False, None
        self.exit[rep.slot] = rep.exit
        sim.log(sim.env.now, self.name, rep.name, "exit")
        gen = rep.slot // self.role.seats
        backfill = self.role.attrition.backfill_months
        if backfill is not None and gen + 1 < len(seat.holders):
            successor = seat.holders[gen + 1]
            successor.start = rep.exit + backfill
            sim.env.process(self._holder(seat, successor))

    def _opportunity(self, seat: _Seat, measure: str, created: float, amount: float,
                     lengths: np.ndarray, moves: np.ndarray):
        """An opportunity through its stages, logging each move, to won or lost."""
        sim, env = self.sim, self.sim.env
        stages = self.market.stages
        yield env.timeout(max(created - env.now, 0.0))
        if created >= 0:
            sim.log(created, self.name, self._owner(seat), "created", measure, amount=amount)
        for k, stage in enumerate(stages):
            if k == len(stages) - 1 and moves[k]:
                yield from self._final_stage(seat, measure, amount, float(lengths[k]))
                return
            yield env.timeout(float(lengths[k]))
            if not moves[k]:
                if env.now >= 0:
                    sim.log(env.now, self.name, self._owner(seat), "lost", measure,
                            stage=stage.name, amount=amount)
                return
            if env.now >= 0:
                sim.log(env.now, self.name, self._owner(seat), "stage", measure,
                        stage=stages[k + 1].name, amount=amount)
        self._close(seat, measure, amount, 0.0)  # no stages: won when created

    def _won(self, seat: _Seat, measure: str, created: float, amount: float,
             lengths: np.ndarray):
        """A won opportunity, unlogged: straight to its last stage, then as logged ones."""
        env = self.sim.env
        before_last = created + float(lengths[:-1].sum()) if lengths.size else created
        yield env.timeout(max(before_last - env.now, 0.0))
        if lengths.size:
            yield from self._final_stage(seat, measure, amount, float(lengths[-1]))
        else:
            self._close(seat, measure, amount, 0.0)

    def _final_stage(self, seat: _Seat, measure: str, amount: float, length: float):
        """The last stage of a deal that will be won; with timing on, the rep may pull it
        in (it then closes earlier, at a discount)."""
        env = self.sim.env
        discount = 0.0
        if not self.tracks_final:
            yield env.timeout(length)
        else:
            entry = [env.now + length, env.event(), 0.0, amount, measure]
            seat.final.append(entry)
            yield env.timeout(length) | entry[1]
            if entry in seat.final:
                seat.final.remove(entry)
            if entry[1].triggered:
                yield env.timeout(max(entry[1].value - env.now, 0.0))
                discount = entry[2]
        self._close(seat, measure, amount * (1.0 - discount), discount)

    def _carried(self, seat: _Seat, measure: str, amount: float, day: float):
        """A won deal from the year before, closing on `day` of this one (it may be pulled
        in like any deal in its last stage)."""
        env = self.sim.env
        yield env.timeout(max(-env.now, 0.0))
        yield from self._final_stage(seat, measure, amount, max(day - env.now, 0.0))

    def _owner(self, seat: _Seat) -> str:
        return seat.current.name if seat.current is not None else ""

    def _close(self, seat: _Seat, measure: str, amount: float, discount: float) -> None:
        sim, env = self.sim, self.sim.env
        if env.now < 0:
            return
        if env.now >= sim.clock.year:
            return  # closes after the plan year
        rep = seat.current
        day = self._pushed_to(rep, measure, amount) if rep is not None else None
        if day is not None:
            sim.log(env.now, self.name, rep.name, "pushed", measure, amount=amount)
            if day < sim.clock.year:  # into the next window of the year
                env.process(self._deferred(seat, measure, amount, day))
            elif sim.carry:  # past the year end: it closes in the next year's first days
                self.pushed.append((seat, measure, amount))
            return
        if rep is None:
            if self.role.attrition.open_deals == "successor" and self._successor_due(seat):
                seat.held.append((measure, amount))
                sim.log(env.now, self.name, "", "won", measure, amount=amount)
            else:
                sim.log(env.now, self.name, "", "lost", measure, stage="owner left",
                        amount=amount)
            return
        sim.log(env.now, self.name, rep.name, "won", measure, amount=amount, discount=discount)
        self._credit(rep, measure, amount, 1, sim.clock.month(env.now))

    def _pushed_to(self, rep: _Rep, measure: str, amount: float) -> float | None:
        """The day a deal closing now is pushed to, or None if the rep closes it now: past
        the year end (the year's length) at the cap (fixed price); with the price chosen,
        in an assessment window's last `window_days` when it is expected to pay more in
        the next window, whose first day it then closes on (or past the year end)."""
        timing = self.sim.behavior.timing
        if timing is None:
            return None
        year = self.sim.clock.year
        if timing.price == "fixed":
            return year if pushes_out(timing, self.view, self._attainment(rep)) else None
        env, clock = self.sim.env, self.sim.clock
        if measure != self.main:
            return None
        w = self._window_at(env.now)
        end = clock.day(float(self.windows[w][0]))
        if env.now < end - timing.window_days:
            return None
        done, quota = self._window_state(rep, w)
        if not defers(self.view, done / quota, amount / quota,
                      self._rate_in(rep, w + 1, amount / self._rep_quota(rep))):
            return None
        return end if w + 1 < len(self.windows) else year

    def _deferred(self, seat: _Seat, measure: str, amount: float, day: float):
        """A deal pushed into the next window closes on its first day."""
        yield self.sim.env.timeout(max(day - self.sim.env.now, 0.0))
        self._close(seat, measure, amount, 0.0)

    def _successor_due(self, seat: _Seat) -> bool:
        return any(h.start < MONTHS and not h.active and h.exit == math.inf
                   for h in seat.holders if h.start > 0)

    def _credit(self, rep: _Rep, measure: str, amount: float, n: int, month: int) -> None:
        rule, rated = self.rules.get(measure), self.rated.get(measure)
        if measure in self.booked:
            self.booked[measure][rep.slot, month] += amount * self.fx[measure]
        if rule is not None:
            amount = float(rule(np.array(amount)))
        if rated is not None:
            amount *= float(rated(self.attribute_rngs[rep.seat], 1)[0])
        self.credit[measure][rep.slot, month] += amount
        self.counts[measure][rep.slot, month] += n
        units = self.market.measures[measure].count_as
        if units:
            self.credit[units][rep.slot, month] += n
        if measure == self.main:
            rep.ytd += amount

    # ---- behaviour -----------------------------------------------------------------------

    def _rep_quota(self, rep: _Rep) -> float:
        """The rep's quota on the main measure, prorated by days in seat from their start."""
        clock = self.sim.clock
        share = 1.0 - clock.day(min(rep.start, MONTHS)) / clock.year \
            if self.role.prorate_quota else 1.0
        return max(self.quota[rep.slot] * share, 1e-9)

    def _attainment(self, rep: _Rep) -> float:
        return rep.ytd / self._rep_quota(rep)

    def _outlook(self, rep: _Rep, month: int) -> tuple[float, float]:
        """(mean, variance) of the main measure's bookings still to come this year."""
        return self._bookings(rep, month, MONTHS)

    def _bookings(self, rep: _Rep, lo: int, hi: int) -> tuple[float, float]:
        """(mean, variance) of the main measure's bookings in months lo to hi - 1 at the
        rep's skill and current effort (compound Poisson)."""
        stream = self.market.measures.get(self.main)
        if stream is None:
            return 0.0, 0.0
        months = float(self.rates[lo:hi].sum())
        n = stream.deals_per_month * months * rep.skill * rep.effort
        return n * stream.size.mean, n * stream.size.second_moment

    def _chosen_effort(self, rep: _Rep, month: int, now: float) -> float:
        """Effort looked up in the role's policy: by the attainment the rep has committed
        (credit to date and the deals in flight, which close within the policy's lag) and
        their productivity in units of their own quota."""
        policy = self.policy
        stream = self.market.measures.get(self.main)
        quota = self._rep_quota(rep)
        ramp = float(self.role.ramp.factor(np.array([now - rep.hired]))[0]) if rep.ramps \
            else 1.0
        productivity = rep.skill * ramp * self.growth * self.policy_quota / quota
        lands = month + policy.lag  # the month this month's effort closes in
        pacer = isinstance(policy, PacerPolicy)
        if len(policy.windows) == 1 or lands >= MONTHS:
            first, share, done = 0, 1.0, rep.ytd
        else:
            w = next(i for i, (end, _) in enumerate(policy.windows) if lands < end)
            first = policy.windows[w - 1][0] if w else 0
            share = policy.windows[w][1]
            done = float(self.credit[self.main][rep.slot, first:month + 1].sum()) \
                if first <= month else 0.0
        def flight(since: int) -> float:  # expected closes of the deals in flight
            if stream is None:
                return 0.0
            months = self.rates[max(month, since):month + policy.lag]
            return stream.deals_per_month * float(months.sum()) * rep.skill * ramp * \
                rep.effort * stream.size.mean

        if pacer:  # the year's state and the window's, both in units of the annual quota
            return policy.lookup(month, (rep.ytd + flight(0)) / quota,
                                 (done + flight(first)) / quota, productivity)
        return policy.lookup(month, (done + flight(first)) / (share * quota), productivity)

    @property
    def policy_quota(self) -> float:
        """The quota the role's effort policy was solved for (the role's mean)."""
        return policy_quota(self.role, self.main)

    def _decide(self, rep: _Rep, month: int, now: float) -> None:
        """Effort and giving up for the coming month."""
        b = self.sim.behavior
        mean, var = self._outlook(rep, month)
        quota = self._rep_quota(rep)
        rep.expected = (rep.ytd + mean) / quota
        if self.policy is not None:
            effort = self._chosen_effort(rep, month, now)
        else:
            effort = effort_level(b.effort, self.view, rep.expected) if b.effort else 1.0
        if b.contest is not None:
            effort *= self._contest_multiplier(rep, month, mean)
        if b.giving_up is not None:
            p = reach_probability(quota - rep.ytd, mean, var)
            rep.given_up = gives_up(b.giving_up, month + 1, p)
            if rep.given_up:
                effort *= b.giving_up.effort
        rep.effort = effort

    def _contest_multiplier(self, rep: _Rep, month: int, year_left: float) -> float:
        """Effort from the rep's standing in each contest running this month (the product
        over contests; 1 outside every window). A company contest ranks the rep among the
        reps of every role in the trial whose plan holds it."""
        m = 1.0
        for c in self.role.plan.components:
            if not c.ranked:
                continue
            scores, weights, unit = self._window_scores(c, month)
            if not weights[month] > 0:
                continue
            me, field = rep.slot, scores
            if getattr(c, "scope", "role") == "company":
                others = [r._window_scores(c, month)[0] for r in self.sim.roles.values()
                          if r is not self and r._holds(c.name)]
                field = np.concatenate([scores, *others])
            line = _line(c, field, me)
            rates = self.rates[month:]
            left = float((rates * weights[month:]).sum() / max(rates.sum(), 1e-12)) * year_left
            m *= standing_multiplier(self.sim.behavior.contest, line - scores[me],
                                     left * unit[me])
        return m

    def _holds(self, name: str) -> bool:
        """Whether the role's plan holds a contest of this name."""
        return any(c.ranked and c.name == name for c in self.role.plan.components)

    @cached_property
    def _month_calendar(self) -> PlanCalendar:
        return PlanCalendar(self.role.plan.year_start, "month")

    def _month_weights(self, c) -> np.ndarray:
        """(12,) share of each month inside contest c's window: its days inside the dates
        of a dated window, else 1 for the months of its periods."""
        plan = self.role.plan
        if getattr(c, "dates", None) is not None:
            return c.dates.shares(self._month_calendar)
        step = MONTHS // plan.calendar.n_periods
        return np.repeat(c.window(plan.calendar.n_periods), step).astype(float)

    def _last_year(self, measure: str) -> np.ndarray:
        """Last year's bookings of each slot's holder: the year before as simulated (a
        later plan year), else the seat's territory history; NaN for a new hire or a
        successor: they have no last year and cannot win on growth."""
        if self.opening is not None and measure in self.opening.last_year:
            return self.opening.last_year[measure]
        last = np.full(self.slots, np.nan)
        history = self.role.last_year()
        for seat in self.seats:
            for h in seat.holders:
                if not h.joins:
                    last[h.slot] = history[h.slot]
        return last

    def _window_scores(self, c, upto: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scores of every slot in seat over the window's months before `upto`, the
        window's month weights, what one unit of credit adds to a slot's score) for
        contest c: credit, attainment of the window's share of quota, or growth on last
        year's credit in the window to date (-inf with no last year)."""
        weights = self._month_weights(c)
        done = weights * (np.arange(MONTHS) < upto)
        in_seat = np.array([h.active for s in self.seats for h in s.holders])
        slots = np.array([h.slot for s in self.seats for h in s.holders])
        credit = np.zeros(self.slots)
        credit[slots] = np.where(in_seat, self.credit[c.measure][slots] @ done, 0.0)
        unit = np.ones(self.slots)
        if c.rank_by == "attainment":
            unit = 1.0 / np.maximum(self.quota * weights.sum() / MONTHS, 1e-9)
            return credit * unit, weights, unit
        if c.rank_by == "growth":
            plan = self.role.plan
            step = MONTHS // plan.calendar.n_periods
            due = np.repeat(basis.due(plan.calendar, plan.quota_weights, None) / step, step)
            started = done.sum() > 0  # before the window, everyone stands level at 0
            base = self._last_year(c.measure) * float((due * (done if started else weights)).sum())
            ok = np.isfinite(base) & (base > 0)
            unit = np.where(ok, 1.0 / np.where(ok, base, 1.0), 0.0)
            growth = (credit - np.where(ok, base, 0.0)) * unit if started else 0.0
            return np.where(ok, growth, -np.inf), weights, unit
        return credit, weights, unit

    def _contest_end(self, c, response):
        """Near the contest window's end, reps short of the prize line whose won deals due
        soon after it would close the gap pull `pull_share` of them in, at a discount."""
        env, clock, sim = self.sim.env, self.sim.clock, self.sim
        weights = self._month_weights(c)
        end_month = int(np.flatnonzero(weights > 0)[-1]) + 1
        end = clock.day(float(end_month))
        yield env.timeout(max(end - response.pull_days - env.now, 0.0))
        month = min(clock.month(env.now), MONTHS - 1)
        scores, _, unit = self._window_scores(c, month + 1)
        for seat in self.seats:
            rep = seat.current
            if rep is None or not seat.final:
                continue
            line = _line(c, scores, rep.slot)
            due = [e for e in seat.final if e[4] == c.measure and not e[1].triggered and
                   end <= e[0] <= end + response.horizon_days]
            pending = sum(e[3] for e in due) * unit[rep.slot]
            if not pulls_into_window(line - scores[rep.slot], pending):
                continue
            rng = self.rngs[rep.seat]
            for entry in due:
                if rng.random() < response.pull_share:
                    entry[2] = response.discount
                    entry[1].succeed(env.now + rng.uniform(0, end - env.now))
                    sim.log(env.now, self.name, rep.name, "pulled", amount=0.0)

    def _earnings_share(self, attainment: float) -> float:
        """Earnings as a share of OTE at a year-end attainment of the main measure."""
        plan = self.role.plan
        return plan.base_share + (1 - plan.base_share) * self.view.pay_at(attainment)

    def _quit_multiplier(self, rep: _Rep) -> float:
        q, sel = self.sim.behavior.quitting, self.sim.behavior.selection
        share = self._earnings_share(rep.expected) if q is not None or sel is not None \
            else 1.0
        m = hazard_multiplier(q, share) if q is not None else 1.0
        if sel is not None and below_market(sel, share, rep.skill):
            m *= sel.hazard_multiplier
        return m

    def _hired_skill(self, rep: _Rep, rng: np.random.Generator) -> float:
        """A new hire's skill: candidates drawn from the role's skill distribution, the
        first whose expected earnings on this plan (at effort 1, full productivity) reach
        their market wage accepts; the last one asked takes the seat otherwise."""
        sel, sigma = self.sim.behavior.selection, self.role.skill_sigma
        stream = self.market.measures.get(self.main)
        per_skill = 0.0 if stream is None else \
            stream.deals_per_month * float(self.rates.sum()) * stream.size.mean / \
            self._rep_quota(rep) * (MONTHS - rep.start) / MONTHS
        skill = rep.skill
        for _ in range(sel.candidates):
            skill = self.factors[rep.seat] * (
                math.exp(sigma * rng.standard_normal() - sigma ** 2 / 2) if sigma > 0 else 1.0)
            if not below_market(sel, self._earnings_share(skill * per_skill), skill):
                break
        return skill

    def _poach(self, rep: _Rep) -> float:
        q = self.sim.behavior.quitting
        if q is None or not self.ranked:
            return 0.0
        cut = self.ranked[min(int(len(self.ranked) * (1 - q.top_share)), len(self.ranked) - 1)]
        return poach_rate(q, q.top_share > 0 and rep.expected >= cut)

    def _rank_monthly(self):
        """Each month start, the role's expected attainments ranked (for poaching)."""
        env, clock = self.sim.env, self.sim.clock
        for month in range(MONTHS):
            yield env.timeout(max(clock.day(float(month)) - env.now, 0.0))
            self.ranked = sorted(r.expected for s in self.seats for r in s.holders if r.active)

    def _period_ends(self, timing: Timing):
        """Pull deals in near each payout period's end, for reps just short of an edge
        (fixed price), or near each assessment window's end where a discount pays (chosen
        price)."""
        env, clock, sim = self.sim.env, self.sim.clock, self.sim
        if timing.price == "chosen":
            for w, (end_month, _) in enumerate(self.windows):
                end = clock.day(float(end_month))
                yield env.timeout(max(end - timing.window_days - env.now, 0.0))
                self._priced_pulls(timing, w, end)
            return
        step = MONTHS_PER_PERIOD[self.role.plan.payout_period]
        for end_month in range(step, MONTHS + 1, step):
            end = clock.day(float(end_month))
            yield env.timeout(max(end - timing.window_days - env.now, 0.0))
            for seat in self.seats:
                rep = seat.current
                if rep is None or not seat.final:
                    continue
                elapsed = (end_month - rep.start) / (MONTHS - rep.start)
                if not pulls_in(timing, self.view, self._attainment(rep), elapsed):
                    continue
                rng = self.rngs[rep.seat]
                for entry in list(seat.final):
                    due, event = entry[0], entry[1]
                    if end <= due <= end + timing.horizon_days and not event.triggered and \
                            rng.random() < timing.pull_share:
                        entry[2] = timing.discount
                        event.succeed(env.now + rng.uniform(0, end - env.now))
                        sim.log(env.now, self.name, rep.name, "pulled", amount=0.0)

    @cached_property
    def windows(self) -> tuple[tuple[int, float], ...]:
        """The windows the plan assesses attainment on the main measure in: (month the
        window ends, share of the annual quota due in it)."""
        return plan_windows(self.role.plan, self.main)

    def _window_state(self, rep: _Rep, w: int) -> tuple[float, float]:
        """(credit to date in window w, the window's quota) on the main measure."""
        end, share = self.windows[w]
        if len(self.windows) == 1:
            return rep.ytd, self._rep_quota(rep)
        first = self.windows[w - 1][0] if w else 0
        return float(self.credit[self.main][rep.slot, first:end].sum()), \
            share * self._rep_quota(rep)

    def _window_at(self, day: float) -> int:
        """Index of the window a day falls in (len(windows) after the year)."""
        clock = self.sim.clock
        return next((i for i, (end, _) in enumerate(self.windows) if day < clock.day(end)),
                    len(self.windows))

    def _rate_in(self, rep: _Rep, v: int, size: float) -> float:
        """Pay per unit of attainment a deal of `size` (share of the annual quota) is
        expected to earn if it closes in window v: after the year, the plan's rate to
        quota; within it, the rep's expected marginal pay in that window."""
        if v >= len(self.windows):
            return self.view.quota_rate
        lo = self.windows[v - 1][0] if v else 0
        hi, share = self.windows[v]
        mean, var = self._bookings(rep, lo, hi)
        quota = share * self._rep_quota(rep)
        return window_rate(self.view, mean / quota, math.sqrt(var) / quota, size / share)

    def _priced_pulls(self, timing: Timing, w: int, end: float) -> None:
        """Each rep offers the discount that pays best on each deal of the main measure due
        in the `horizon_days` after window w's end, earliest first; the buyer accepts or
        not. Sizes and attainment are in units of the window's quota."""
        env, sim = self.sim.env, self.sim
        share = self.windows[w][1]
        for seat in self.seats:
            rep = seat.current
            if rep is None or not seat.final:
                continue
            done, quota = self._window_state(rep, w)
            mine = sorted((e for e in seat.final if e[4] == self.main and not e[1].triggered),
                          key=lambda e: e[0])
            attainment = (done + sum(e[3] for e in mine if e[0] < end)) / quota
            rng = self.rngs[rep.seat]
            for entry in mine:
                if not end <= entry[0] <= end + timing.horizon_days:
                    continue
                size = entry[3] / quota
                d, p = best_discount(timing, self.view, attainment, size,
                                     self._rate_in(rep, self._window_at(entry[0]),
                                                   size * share))
                if p > 0 and rng.random() < p:
                    entry[2] = d
                    entry[1].succeed(env.now + rng.uniform(0, end - env.now))
                    sim.log(env.now, self.name, rep.name, "pulled", amount=0.0, discount=d)
                    attainment += size * (1 - d)

    # ---- results -----------------------------------------------------------------------

    def draws(self) -> tuple:
        new_hire = np.zeros(self.slots, bool)
        for seat in self.seats:
            for h in seat.holders:
                new_hire[h.slot] = h.joins
        new_hire &= np.isfinite(self.start)  # started within the year
        steady = (self.active.min(axis=-1) == 1.0) & \
            (self.productivity.min(axis=-1) == self.productivity.max(axis=-1))
        last = self.opening.last_year if self.opening is not None else {}
        return (self.start, self.exit, self.active, self.productivity, new_hire, steady,
                self.credit, self.counts, self.booked, np.array(self.quota, float), last)

    def closing(self) -> _Opening:
        """How the role opens next plan year: who stays (their next quota set on this
        year's attainment), when vacant seats fill, and the won deals still to close."""
        rules, year, months = self.sim.scenario.next_years, self.sim.year, float(MONTHS)
        seats = self.role.seats
        quota = np.array(rules.seat_quota(self.first_quota, year + 1), float)
        stays: list[_Rep | None] = []
        starts = np.full(seats, math.inf)
        for s, seat in enumerate(self.seats):
            rep = seat.current
            if rep is not None and rep.active and rep.exit == math.inf:
                stays.append(rep)
                quota[s] = rules.next_quota(self.quota[rep.slot], self._attainment(rep))
                starts[s] = 0.0
                continue
            stays.append(None)
            starts[s] = self._next_start(seat) - months
        index = {id(seat): s for s, seat in enumerate(self.seats)}
        clock = self.sim.clock
        deals = [(index[id(seat)], m, amount, due - clock.year)
                 for p, seat, m, amount, due in self.beyond if p.is_alive]
        push_days = self.sim.behavior.timing.window_days if self.sim.behavior.timing else 0.0
        for seat, m, amount in self.pushed:  # the customer signs in the next year's first days
            s = index[id(seat)]
            deals.append((s, m, amount, float(self.rngs[s].uniform(0, push_days))))
        for s, seat in enumerate(self.seats):
            deals.extend((s, m, amount, 0.0) for m, amount in seat.held)
        return _Opening(stays=stays, starts=np.maximum(starts, 0.0), quota=quota, deals=deals,
                        last_year=self._year_credit(stays))

    def _year_credit(self, stays: list[_Rep | None]) -> dict[str, np.ndarray]:
        """For the plan's contests on growth: the credit of each rep who stays, in the slot
        they take next year, when they were in seat all this year (NaN otherwise)."""
        growth = {c.measure for c in self.role.plan.components
                  if getattr(c, "needs_last_year", False)}
        out = {}
        for m in growth:
            last = np.full(self.slots, np.nan)
            for s, rep in enumerate(stays):
                if rep is not None and self.active[rep.slot].sum() >= MONTHS - 1e-9:
                    last[s] = float(self.credit[m][rep.slot].sum())
            out[m] = last
        return out

    def _next_start(self, seat: _Seat) -> float:
        """When the seat next has a holder, in months from this year's start (inf: never):
        a successor due after the year end, or the backfill of the last leaver."""
        backfill = self.role.attrition.backfill_months
        due = [h.start for h in seat.holders if not h.active and h.exit == math.inf and
               math.isfinite(h.start) and h.start >= MONTHS]
        if due:
            return min(due)
        if backfill is None:
            return math.inf
        gone = [h.exit for h in seat.holders if math.isfinite(h.exit)]
        return (max(gone) if gone else float(MONTHS)) + backfill


class _TrialSim:
    """One plan year of every pipeline role, in one SimPy environment."""

    def __init__(self, scenario: Scenario, root: np.random.SeedSequence, trial: int,
                 clock: _Clock, creation: dict[str, np.ndarray], log: list | None,
                 policies: dict[str, EffortPolicy] | None = None, year: int = 0,
                 openings: dict[str, _Opening] | None = None):
        self.year = year  # plan years since the first (0: the first)
        self.scenario, self.root, self.trial, self.clock = \
            scenario, year_root(root, year), trial, clock
        self.carry = year + 1 < scenario.years  # another plan year follows this one
        self.offset = year * clock.year  # days of the logged events from the first year
        self.policies = policies or {}
        self.behavior = scenario.behavior
        self.creation = creation  # per role: opportunity creation rates by month
        self.events = log
        cycle = max((m.cycle_days for m in scenario.market.values()
                     if isinstance(m, PipelineMarket)), default=0.0)
        self.env = simpy.Environment(initial_time=-WARM_UP_CYCLES * cycle)
        self.roles = {name: _RoleSim(self, r, name, (openings or {}).get(name))
                      for r, name in enumerate(scenario.org.roles)
                      if isinstance(scenario.market[name], PipelineMarket)}

    def log(self, day: float, role: str, rep: str, event: str, measure: str = "",
            stage: str = "", amount: float = 0.0, discount: float = 0.0) -> None:
        if self.events is not None:
            self.events.append((self.trial, day + self.offset, role, rep, event, measure,
                                stage, amount, discount))

    def run(self) -> dict[str, tuple]:
        for role in self.roles.values():
            role.start_processes()
        self.env.run(until=self.clock.year)
        return {name: role.draws() for name, role in self.roles.items()}

    def closing(self) -> dict[str, _Opening]:
        """How each pipeline role opens the next plan year."""
        return {name: role.closing() for name, role in self.roles.items()}


def year_root(root: np.random.SeedSequence, year: int) -> np.random.SeedSequence:
    """The root of plan year `year`'s streams: the run's root for the first year (so a
    one-year run draws what it always did), a child of it keyed beyond any trial's for the
    next ones."""
    if year == 0:
        return root
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, YEAR_KEY, year),
                                  pool_size=root.pool_size)


def _line(c, scores: np.ndarray, me: int) -> float:
    """The score rep `me` must reach for a prize in contest c: the bar of a prize each,
    else the last prize place among the others in the running (growth may be negative),
    and never below the qualifying bar."""
    if c.each is not None:
        return c.qualify
    floor = -np.inf if c.rank_by == "growth" else 0.0
    return max(prize_line(scores, me, len(c.prizes), floor), c.qualify)


def _open_seat(holders: list[_Rep], stays: _Rep | None, start: float) -> None:
    """A seat's holders on a later plan year's first day: the rep who stays takes the
    first slot (their skill and tenure kept, this year's figures reset), otherwise a new
    hire starts on `start` (inf: the seat stays empty)."""
    first = holders[0]
    if stays is None:
        first.start, first.ramps = start, True
        return
    holders[0] = replace(stays, slot=first.slot, seat=first.seat, start=0.0, name=first.name,
                         exit=math.inf, active=False, given_up=False, expected=0.0, ytd=0.0,
                         hired=stays.hired - MONTHS, stays=True)


def main_measure(role: Role, market: PipelineMarket) -> str:
    """The measure a rep reads their plan by: the plan's first quota measure."""
    return (role.plan.quota_measures() or list(market.measures))[0]


def policy_quota(role: Role, measure: str) -> float:
    """The role's mean quota on `measure` (1 when the plan sets none)."""
    if measure not in role.quota_measures():
        return 1.0
    return max(float(np.mean(role.quota_for(measure))), 1e-9)


def plan_view(role: Role, market: PipelineMarket) -> PlanView:
    """A role's plan as its reps read it (mean quotas, MBOs at their mean score)."""
    mbo = next(iter(market.scores.values()), None)
    return PlanView(role.plan, tuple((m, float(np.mean(role.quota_for(m))))
                                     for m in role.quota_measures()),
                    mbo.mean if mbo is not None else 1.0)


def effort_policies(scenario: Scenario,
                    clock: _Clock) -> dict[str, EffortPolicy | PacerPolicy]:
    """With effort_choice on, each pipeline role's effort policy, solved once per run."""
    params = scenario.behavior.effort_choice
    if params is None:
        return {}
    out = {}
    for name, market in scenario.market.items():
        if not isinstance(market, PipelineMarket):
            continue
        role = scenario.org.roles[name]
        main = main_measure(role, market)
        stream = market.measures.get(main)
        if stream is None:
            continue
        view = plan_view(role, market)
        rates = stream.deals_per_month * market.month_rates(clock.days)
        args = (rates, stream.size.quantile, policy_quota(role, main), market.cycle_days,
                view.quota_rate)
        pay = view.pay_on(POLICY_GRID)
        pacer = pacer_components(role.plan, main)
        if pacer is None:
            out[name] = build_policy(params, pay, *args, plan_windows(role.plan, main))
            continue
        names, period = pacer  # judged both per period and on the year: two states
        window = view.pay_of(POLICY_GRID, names)
        out[name] = build_pacer(params, pay - window, window, *args,
                                period_windows(role.plan, period))
    return out


def _check(scenario: Scenario) -> None:
    if not any(isinstance(m, PipelineMarket) for m in scenario.market.values()):
        raise SpmsimError(f"scenario {scenario.scenario!r}: the agent engine needs at least "
                          "one role on the pipeline model (market.<role>.model: pipeline)")


def _stack(per_trial: list[dict[str, tuple]], name: str, role: Role, market: PipelineMarket,
           chunk: Chunk, r: int, year_quota: Callable[[str], np.ndarray] | None = None
           ) -> Draws:
    """One role's trials of a chunk as engine arrays; MBO scores drawn as in Monte Carlo.
    In a later plan year, `year_quota(measure)` gives the year's quota of each measure but
    the main one, which comes from the agents (set on each rep's year before)."""
    parts = [t[name] for t in per_trial]
    start, exit_, active, prod, new_hire, steady = (np.stack([p[i] for p in parts])
                                                     for i in range(6))
    staff = Staffing(start=start, exit=exit_, active=active, productivity=prod,
                     new_hire=new_hire, steady=steady)
    credit = {m: np.stack([p[6][m] for p in parts]) for m in parts[0][6]}
    counts = {m: np.stack([p[7][m] for p in parts]) for m in parts[0][7]}
    booked = {m: np.stack([p[8][m] for p in parts]) for m in parts[0][8]}
    credit.update(draw_scores(role, market, chunk, r, staff))
    quota, last = {}, {}
    if year_quota is not None:
        main = main_measure(role, market)
        quota = {m: np.stack([p[9] for p in parts]) if m == main else year_quota(m)
                 for m in role.quota_measures()}
        last = {m: np.stack([p[10][m] for p in parts]) for m in parts[0][10]}
    return Draws(staff, credit, counts, booked, quota, last)


def _drawn_from(per_trial: list[dict[str, tuple]], scenario: Scenario,
                chunk: Chunk, year: int = 0) -> Callable[[int, str], Draws]:
    """Draws of role r from the agents' trials (pipeline roles) or as Monte Carlo does."""
    def drawn(r: int, name: str) -> Draws:
        role, market = scenario.org.roles[name], scenario.market[name]
        grown = None if year == 0 else \
            (lambda m: scenario.next_years.seat_quota(role.quota_for(m), year))
        return _stack(per_trial, name, role, market, chunk, r, grown) \
            if isinstance(market, PipelineMarket) else draw_role(scenario, chunk, r, name)
    return drawn


def _payout_events(events: list, trials: range, name: str, year, slot_names: list[str],
                   clock: _Clock, logged: int, offset: float = 0.0) -> None:
    """A payout event per rep and month with pay, for the logged trials of a chunk (days
    from `offset`, the start of a later plan year)."""
    pay = year.monthly_pay
    for i, t in enumerate(trials):
        if t >= logged:
            return
        for slot, month in zip(*np.nonzero(pay[i]), strict=True):
            events.append((t, offset + float(clock.starts[month + 1] - 1), name,
                           slot_names[slot], "payout", "", "", float(pay[i, slot, month]),
                           0.0))


def simulate_agents(scenario: Scenario, *, trials: int | None = None, seed: int | None = None,
                    keep_reps: bool = True, progress: bool = True,
                    logged_trials: int = DEFAULT_LOGGED_TRIALS) -> Results:
    """Simulate `trials` plan years with reps and deals as SimPy processes.

    Returns Results whose `events` is the event log of the first `logged_trials` trials
    (created, stage, won, lost, pulled, pushed, hire, exit, payout).
    """
    _check(scenario)
    n = scenario.trials if trials is None else trials
    root = np.random.SeedSequence(scenario.seed if seed is None else seed)
    months = PlanCalendar(scenario.year_start, "month")
    clock = _Clock(months)
    names = list(scenario.org.roles)
    slot_names = {k: scenario.org.roles[k].slot_names(k) for k in names} if keep_reps else None
    creation = {name: m.creation_rates(clock.days) for name, m in scenario.market.items()
                if isinstance(m, PipelineMarket)}
    policies = effort_policies(scenario, clock)
    events: list = []
    chunks: list[ChunkStats] = []
    later: list[pd.DataFrame] = []  # the figures of plan years after the first
    with tqdm(total=n * scenario.years, unit="trial-year", delay=2.0, disable=not progress,
              desc=f"{scenario.scenario} (agents)") as bar:
        for start in range(0, n, BLOCK):
            stop = min(start + BLOCK, n)
            per_year: list[list[dict[str, tuple]]] = [[] for _ in range(scenario.years)]
            for t in range(start, stop):
                log = events if t < logged_trials else None
                openings = None
                for y in range(scenario.years):
                    sim = _TrialSim(scenario, root, t, clock, creation, log, policies, y,
                                    openings)
                    per_year[y].append(sim.run())
                    openings = sim.closing() if sim.carry else None
                    bar.update(1)
            for y, per_trial in enumerate(per_year):
                chunk = Chunk(year_root(root, y), start, stop, months.period_days)
                paid = {}
                drawn = draw_roles(scenario, chunk, _drawn_from(per_trial, scenario, chunk, y))
                company = company_contests(scenario, drawn, months)
                for name in names:
                    role, market = scenario.org.roles[name], scenario.market[name]
                    paid[name] = role_year(role, market, drawn[name], months,
                                           company.get(name))
                    _payout_events(events, range(start, stop), name, paid[name],
                                   role.slot_names(name), clock, logged_trials,
                                   y * clock.year)
                stats = chunk_stats(start, paid, slot_names if y == 0 else None)
                if y == 0:
                    chunks.append(stats)
                if scenario.years > 1:
                    later.append(year_rows(y, paid, stats))
    results = assemble(chunks, n, scenario=scenario.echo(), engine="agents",
                       seed=int(root.entropy), roles=names, months=months.labels)
    return replace(results, events=_event_frame(events, months),
                   years=years_frame(later) if later else None)


def _event_frame(events: list, months: PlanCalendar) -> pd.DataFrame:
    """The event log as a DataFrame, in time order within each trial."""
    df = pd.DataFrame(events, columns=[c for c in EVENT_COLUMNS if c != "date"])
    df = df.sort_values(["trial", "day"], kind="stable", ignore_index=True)
    dates = months.bounds[0] + np.floor(df["day"].to_numpy()).astype("timedelta64[D]")
    df.insert(2, "date", dates.astype("datetime64[ms]"))  # the unit Parquet keeps
    for c in ("role", "rep", "event", "measure", "stage"):
        df[c] = df[c].astype("category")
    return df
