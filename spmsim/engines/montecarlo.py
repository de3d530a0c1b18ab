"""The Monte Carlo engine: whole plan years as numpy arrays shaped (trial, rep, month).

Trials run in chunks sized from a memory budget; a chunk is drawn block by block (BLOCK
trials each) and evaluated by the payout engine in one call per role, then reduced to the
per-trial figures of `Results`. Every block draws from its own generators, spawned from
the scenario's SeedSequence by (block, role, stream, measure), so the same seed gives the
same numbers whatever the chunk size or the number of worker threads, and every plan
variant of a scenario sees the same draws (common random numbers).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np
from tqdm.auto import tqdm

from spmsim.calendar import PlanCalendar
from spmsim.data.fx import plan_rate
from spmsim.engines import DEFAULT_MEMORY_MB
from spmsim.engines.metrics import ChunkStats, assemble, chunk_stats
from spmsim.engines.payroll import Draws, role_year
from spmsim.engines.results import Results
from spmsim.engines.teams import manager_credit
from spmsim.model.market import (
    AttainmentMarket,
    Market,
    MonthTable,
    PipelineMarket,
    TeamMarket,
    attainment_credit,
    monthly_weight,
    pipeline_draws,
    score_credit,
)
from spmsim.model.org import MONTHS, Role, Staffing, staffing
from spmsim.model.scenario import Scenario
from spmsim.plans import Plan

BLOCK = 64  # trials per random-number block: the unit of reproducibility
# Named random streams; append only, so existing streams keep their draws.
STREAMS = ("skill", "exit", "attainment", "arrivals", "deal_size", "score", "deal_month",
           "monthly_arrivals", "other_deal_size", "agent")

# float64 (trial, slot, month) arrays alive at a chunk's peak, plus per expected deal.
ARRAYS_PER_CELL = 14  # measured with tracemalloc: about 11 at 1,000 reps
ARRAYS_PER_DEAL = 3


def stream_rng(root: np.random.SeedSequence, block: int, role: int, stream: str,
         sub: int = 0) -> np.random.Generator:
    """The generator of one stream: the child (block, role, stream, sub) of the root."""
    key = (*root.spawn_key, block, role, STREAMS.index(stream), sub)
    seq = np.random.SeedSequence(root.entropy, spawn_key=key, pool_size=root.pool_size)
    return np.random.Generator(np.random.PCG64(seq))


def assessment_months(role: Role, measure: str) -> np.ndarray:
    """0-based months whose last day closes an assessment of this score."""
    per_year = role.plan.assessments_per_year(measure)
    step = MONTHS // per_year
    return np.arange(step - 1, MONTHS, step)


class Chunk:
    """Trials [start, stop) of a run, cut into the fixed random-number blocks."""

    def __init__(self, root: np.random.SeedSequence, start: int, stop: int,
                 month_days: np.ndarray):
        self.root, self.start, self.stop = root, start, stop
        self.month_days = month_days
        self.blocks = [(b // BLOCK, slice(b - start, min(b + BLOCK, stop) - start))
                       for b in range(start, stop, BLOCK)]

    @property
    def trials(self) -> int:
        return self.stop - self.start

    def fill(self, shape: tuple[int, ...], r: int, stream: str, sub: int,
             draw: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]) -> np.ndarray:
        """(trials, *shape) filled block by block, each from its own generator."""
        out = np.empty((self.trials, *shape))
        for block, rows in self.blocks:
            n = rows.stop - rows.start
            out[rows] = draw(stream_rng(self.root, block, r, stream, sub), (n, *shape))
        return out


def deal_rule(plan: Plan, measure: str, rate: float = 1.0
              ) -> Callable[[np.ndarray], np.ndarray] | None:
    """Each simulated deal's credit in the plan's currency: its size x the plan's FX
    `rate`, then the plan's windfall clause; None when both leave the size as it is.

    Simulated deals carry no attributes, so a rate by deal attribute cannot apply: the
    scenario loader refuses such a plan."""
    rule = plan.crediting.get(measure)
    windfall = None if rule is None else rule.windfall
    if windfall is None:
        return None if rate == 1.0 else (lambda size: size * rate)
    return windfall.credited if rate == 1.0 else (lambda size: windfall.credited(size * rate))


def draw_staff(role: Role, chunk: Chunk, r: int) -> Staffing:
    """Who holds each slot of role r in each trial of the chunk."""
    slots = (role.slots,)
    normals = chunk.fill(slots, r, "skill", 0, lambda g, sh: g.standard_normal(sh)) \
        if role.skill_sigma > 0 else None
    exits = chunk.fill(slots, r, "exit", 0, lambda g, sh: g.standard_exponential(sh)) \
        if role.attrition.annual > 0 else None
    return staffing(role, chunk.trials, normals, exits)


def draw_scores(role: Role, market: Market, chunk: Chunk, r: int,
                staff: Staffing) -> dict[str, np.ndarray]:
    """The role's scored measures (MBO), credited at each assessment."""
    credit = {}
    for i, (m, score) in enumerate(market.scores.items()):
        months = assessment_months(role, m)
        drawn = chunk.fill((role.slots, len(months)), r, "score", i, score.sample)
        credit[m] = score_credit(drawn, staff, months)
    return credit


def draw_manager(scenario: Scenario, chunk: Chunk, r: int, name: str,
                 team: Draws) -> Draws:
    """A manager role's draws: its own staffing, its teams' credit and counts."""
    role, market = scenario.org.roles[name], scenario.market[name]
    team_role = scenario.org.roles[market.of]
    staff = draw_staff(role, chunk, r)
    credit = {m: manager_credit(team_role, team.credit[m], role, staff)
              for m in market.measures}
    counts = {m: manager_credit(team_role, team.counts[m], role, staff)
              for m in market.measures if m in team.counts}
    return Draws(staff, {**credit, **draw_scores(role, market, chunk, r, staff)}, counts)


def draw_roles(scenario: Scenario, chunk: Chunk,
               drawn: Callable[[int, str], Draws] | None = None) -> dict[str, Draws]:
    """Every role's draws for the chunk: the reps' roles (by `drawn`, default
    `draw_role`), then the managers from their teams."""
    names = list(scenario.org.roles)
    managers = {n for n in names if isinstance(scenario.market[n], TeamMarket)}
    out = {n: (drawn or (lambda r, n: draw_role(scenario, chunk, r, n)))(r, n)
           for r, n in enumerate(names) if n not in managers}
    for r, n in enumerate(names):
        if n in managers:
            out[n] = draw_manager(scenario, chunk, r, n, out[scenario.market[n].of])
    return {n: out[n] for n in names}


def draw_role(scenario: Scenario, chunk: Chunk, r: int, name: str) -> Draws:
    role, market = scenario.org.roles[name], scenario.market[name]
    slots = (role.slots,)
    staff = draw_staff(role, chunk, r)
    rates = market.month_rates(chunk.month_days)
    counts: dict[str, np.ndarray] = {}
    booked: dict[str, np.ndarray] = {}
    if isinstance(market, AttainmentMarket):
        drawn = {m: chunk.fill(slots, r, "attainment", i, dist.sample)
                 for i, (m, dist) in enumerate(market.measures.items())}
        credit = attainment_credit(market, staff, rates, role.quota, drawn)
    else:
        credit = {}
        weight = monthly_weight(rates, staff)
        table = MonthTable(rates)
        for i, (m, stream) in enumerate(market.measures.items()):
            counts[m] = np.empty(weight.shape, dtype=np.int64)
            credit[m] = np.empty(weight.shape)
            fx = plan_rate(role.plan, stream.currency)
            rule = deal_rule(role.plan, m, fx)
            if rule is not None:
                booked[m] = np.empty(weight.shape)
            for block, rows in chunk.blocks:
                def rng(purpose: str, block: int = block, i: int = i) -> np.random.Generator:
                    return stream_rng(chunk.root, block, r, purpose, i)
                counts[m][rows], credit[m][rows], sizes = pipeline_draws(
                    stream, weight[rows], staff.steady[rows], table, rng, rule)
                if rule is not None:
                    booked[m][rows] = sizes * fx  # revenue in the plan's currency
            if stream.count_as:
                credit[stream.count_as] = credit.get(stream.count_as, 0.0) + counts[m]
    credit.update(draw_scores(role, market, chunk, r, staff))
    return Draws(staff, credit, counts, booked)


def bytes_per_trial(scenario: Scenario) -> int:
    """Estimated peak bytes one trial needs while its chunk is evaluated."""
    total = 0.0
    for name, role in scenario.org.roles.items():
        market = scenario.market[name]
        deals = sum(s.deals_per_month for s in market.measures.values()) \
            if isinstance(market, PipelineMarket) else 0.0
        total += role.slots * MONTHS * 8 * (ARRAYS_PER_CELL + ARRAYS_PER_DEAL * deals)
    return int(total)


def chunk_trials(scenario: Scenario, memory_mb: float, workers: int) -> int:
    """Trials per chunk: as many whole blocks as the memory budget allows each worker."""
    per_worker = memory_mb * 2 ** 20 / max(workers, 1)
    blocks = int(per_worker // (bytes_per_trial(scenario) * BLOCK))
    return BLOCK * max(blocks, 1)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def simulate(scenario: Scenario, *, trials: int | None = None, seed: int | None = None,
             memory_mb: float = DEFAULT_MEMORY_MB, chunk: int | None = None,
             workers: int | None = None, keep_reps: bool = True, progress: bool = True,
             on_chunk: Callable[[int], None] | None = None) -> Results:
    """Simulate `trials` plan years of `scenario` (its own count and seed unless given).

    Args:
        scenario: the scenario, as `load_scenario` returns it.
        trials: simulated plan years (default: the scenario's).
        seed: root of every random stream (default: the scenario's).
        memory_mb: memory budget of a chunk's working arrays; sets the chunk size.
        chunk: trials per chunk (rounded up to whole blocks); by default from `memory_mb`.
        workers: threads evaluating chunks at once (numpy releases the GIL in its kernels).
        keep_reps: keep every rep of every trial (trials x reps rows) besides the summaries.
        progress: show a progress bar on runs longer than two seconds.
        on_chunk: called with the number of trials of each chunk as it finishes.
    """
    n = scenario.trials if trials is None else trials
    if n < 1:
        raise ValueError("trials must be at least 1")
    root = np.random.SeedSequence(scenario.seed if seed is None else seed)
    workers = default_workers() if workers is None else max(1, workers)
    size = chunk_trials(scenario, memory_mb, workers) if chunk is None else \
        BLOCK * max(1, math.ceil(chunk / BLOCK))
    names = list(scenario.org.roles)
    months = PlanCalendar(scenario.year_start, "month")
    slot_names = {k: scenario.org.roles[k].slot_names(k) for k in names} if keep_reps else None

    def run(start: int) -> ChunkStats:
        chunk = Chunk(root, start, min(start + size, n), months.period_days)
        draws = draw_roles(scenario, chunk)
        roles = {name: role_year(scenario.org.roles[name], scenario.market[name],
                                  draws[name], months) for name in names}
        return chunk_stats(start, roles, slot_names)

    starts = list(range(0, n, size))
    chunks: list[ChunkStats] = []
    with tqdm(total=n, unit="trial", desc=scenario.scenario, delay=2.0,
              disable=not progress) as bar, ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(run, s) for s in starts]
        try:
            for f in as_completed(futures):
                c = f.result()
                chunks.append(c)
                done = c.trial["revenue"].shape[0]
                bar.update(done)
                if on_chunk:
                    on_chunk(done)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    return assemble(chunks, n, scenario=scenario.echo(), engine="montecarlo",
                    seed=int(root.entropy), roles=names, months=months.labels)
