"""The Monte Carlo engine: whole plan years as numpy arrays shaped (trial, rep, month).

Trials run in chunks sized from a memory budget; a chunk is drawn block by block (BLOCK
trials each) and evaluated by the payout engine in one call per role, then reduced to the
per-trial figures of `Results`. Every block draws from its own generators, spawned from
the scenario's SeedSequence by (block, role, stream, measure), so the same seed gives the
same numbers whatever the chunk size or the number of worker threads, and every plan
variant of a scenario sees the same draws (common random numbers).

When one block of a large organisation does not fit the budget, the block is evaluated in
pieces of fewer trials, one after the other, each continuing the block's generators where
the previous piece stopped. Every draw is made trial after trial (rows of (trial, ...)
arrays, deals in (trial, slot, month) order), so a block drawn in pieces gives the same
numbers as the block drawn at once; a trial keeps all its reps, so the per-trial figures
(percentiles, shares) are unchanged too.
"""

from __future__ import annotations

import math
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from tqdm.auto import tqdm

from spmsim.calendar import PlanCalendar
from spmsim.data.fx import plan_rate
from spmsim.engines import DEFAULT_MEMORY_MB
from spmsim.engines.metrics import ChunkStats, assemble, chunk_stats, merge_chunks
from spmsim.engines.payroll import Draws, role_year
from spmsim.engines.results import Results
from spmsim.engines.teams import manager_credit
from spmsim.engines.threads import cpu_budget, default_workers
from spmsim.errors import SpmsimError
from spmsim.format import amount, count
from spmsim.model.market import (
    AttainmentMarket,
    DealStream,
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

MB = 2 ** 20


class Backend(Protocol):
    """Where tasks run (see `spmsim.studies.sweep.backends`): yields (task number, result)
    as tasks finish; `workers` processes run at once."""

    workers: int

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any],
            keys: Sequence[str]) -> Iterator[tuple[int, Any]]: ...

BLOCK = 64  # trials per random-number block: the unit of reproducibility
# Named random streams; append only, so existing streams keep their draws.
STREAMS = ("skill", "exit", "attainment", "arrivals", "deal_size", "score", "deal_month",
           "monthly_arrivals", "other_deal_size", "agent", "deal_component",
           "other_deal_component", "deal_attribute", "other_deal_attribute")

# float64 (trial, slot, month) arrays alive at a chunk's peak, plus per expected deal.
ARRAYS_PER_CELL = 14  # measured with tracemalloc: about 11 at 1,000 reps
ARRAYS_PER_DEAL = 3
RATED_ARRAYS_PER_DEAL = 2  # a deal's attribute draw and its rate, where a plan rates by one
CELLS_PER_PIECE = 2 ** 18  # (trial, slot, month) cells evaluated at once: 2 MiB per float64 array


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
    """Trials [start, stop) of a run, cut at the fixed random-number blocks.

    `streams` holds the generators of the blocks being drawn, keyed by (block, role,
    stream, sub), with the next trial each block draws: pass the same dict to the pieces
    of a block, in order, so each piece continues the block's streams.
    """

    def __init__(self, root: np.random.SeedSequence, start: int, stop: int,
                 month_days: np.ndarray, streams: dict | None = None):
        self.root, self.start, self.stop = root, start, stop
        self.month_days = month_days
        self.streams = {} if streams is None else streams
        edges = sorted({start, stop, *range((start // BLOCK + 1) * BLOCK, stop, BLOCK)})
        self.blocks = [(a // BLOCK, slice(a - start, b - start))
                       for a, b in zip(edges, edges[1:], strict=False)]
        for block, rows in self.blocks:
            first = self.start + rows.start
            expected = self.streams.get(("next", block), block * BLOCK)
            if first != expected:
                raise ValueError(f"block {block} is drawn from trial {expected}, not {first}: "
                                 "pieces of a block must come in order with the same streams")
            self.streams[("next", block)] = self.start + rows.stop

    @property
    def trials(self) -> int:
        return self.stop - self.start

    def rng(self, block: int, r: int, stream: str, sub: int = 0) -> np.random.Generator:
        """The generator of (block, role, stream, sub), continued if an earlier piece used it."""
        key = (block, r, stream, sub)
        if key not in self.streams:
            self.streams[key] = stream_rng(self.root, block, r, stream, sub)
        return self.streams[key]

    def fill(self, shape: tuple[int, ...], r: int, stream: str, sub: int,
             draw: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]) -> np.ndarray:
        """(trials, *shape) filled block by block, each from its own generator."""
        out = np.empty((self.trials, *shape))
        for block, rows in self.blocks:
            n = rows.stop - rows.start
            out[rows] = draw(self.rng(block, r, stream, sub), (n, *shape))
        return out


def deal_rule(plan: Plan, measure: str, rate: float = 1.0
              ) -> Callable[[np.ndarray], np.ndarray] | None:
    """Each simulated deal's credit in the plan's currency: its size x the plan's FX
    `rate`, then the plan's windfall clause; None when both leave the size as it is. A
    rate by deal attribute multiplies this (`deal_rates`), as `CreditRule.credited` does."""
    rule = plan.crediting.get(measure)
    windfall = None if rule is None else rule.windfall
    if windfall is None:
        return None if rate == 1.0 else (lambda size: size * rate)
    return windfall.credited if rate == 1.0 else (lambda size: windfall.credited(size * rate))


def deal_rates(plan: Plan, measure: str, stream: DealStream
               ) -> Callable[[np.random.Generator, int], np.ndarray] | None:
    """Draws n simulated deals' credit rates under the plan's rate by deal attribute: the
    stream's attribute drawn per deal, looked up in the plan's table (a mix of labels) or
    taken as the rate (a number); None without such a rule. The scenario loader has checked
    that the stream describes the attribute."""
    rule = plan.crediting.get(measure)
    if rule is None or rule.by is None:
        return None
    by = rule.by
    if by.rates is None:
        return lambda rng, n: stream.draw_attribute(by.column, rng, n)
    table = by.rate_of(np.array(stream.labels(by.column)))
    return lambda rng, n: table[stream.draw_attribute(by.column, rng, n)]


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
            rated = deal_rates(role.plan, m, stream)
            if rule is not None or rated is not None:
                booked[m] = np.empty(weight.shape)
            for block, rows in chunk.blocks:
                def rng(purpose: str, block: int = block, i: int = i) -> np.random.Generator:
                    return chunk.rng(block, r, purpose, i)
                counts[m][rows], credit[m][rows], sizes = pipeline_draws(
                    stream, weight[rows], staff.steady[rows], table, rng, rule, rated)
                if m in booked:
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
        streams = market.measures if isinstance(market, PipelineMarket) else {}
        deals = sum(s.deals_per_month for s in streams.values())
        rated = sum(s.deals_per_month for m, s in streams.items()
                    if deal_rates(role.plan, m, s) is not None)
        total += role.slots * MONTHS * 8 * (ARRAYS_PER_CELL + ARRAYS_PER_DEAL * deals
                                            + RATED_ARRAYS_PER_DEAL * rated)
    return int(total)


def chunk_trials(scenario: Scenario, memory_mb: float, workers: int) -> int:
    """Trials evaluated at once: as many whole blocks as the memory budget allows each
    worker; when not even one block fits (a large organisation), the trials of a block
    that fit, drawn as pieces of the block; one trial (with a warning) if none fits."""
    per_worker = memory_mb * MB / max(workers, 1)
    per_trial = bytes_per_trial(scenario)
    blocks = int(per_worker // (per_trial * BLOCK))
    if blocks >= 1:
        return BLOCK * blocks
    fit = int(per_worker // per_trial)
    if fit < 1:
        warnings.warn(
            f"one simulated year of this organisation needs about {amount(per_trial / MB, 1)} "
            f"MB, more than the {amount(per_worker / MB, 1)} MB of the memory budget that "
            f"{count(max(workers, 1), 'worker')} each get: running one trial at a time, over "
            "the budget. Raise the memory budget (--memory-mb) or use fewer workers.",
            stacklevel=2)
    return max(fit, 1)


def cache_trials(scenario: Scenario) -> int:
    """Trials whose (trial, slot, month) arrays hold about CELLS_PER_PIECE cells: pieces of
    this size keep the working arrays near the CPU's caches (measured: about 1.2x less CPU
    per cell than 128-trial chunks at 1,000 reps)."""
    slots = sum(role.slots for role in scenario.org.roles.values())
    return max(1, CELLS_PER_PIECE // max(1, slots * MONTHS))


def task_trials(piece: int) -> int:
    """Trials of one task (the unit of parallel work): whole blocks, so that pieces of a
    block are drawn in order by one worker."""
    return BLOCK * max(1, math.ceil(piece / BLOCK))


@dataclass(frozen=True)
class Task:
    """Trials [start, stop) of a run, in pieces of `piece` trials: the unit of parallel
    work, picklable so a Dask worker can run it (`run_task`)."""

    scenario: Scenario
    entropy: int
    start: int
    stop: int
    piece: int
    keep_reps: bool


def run_task(task: Task) -> list[ChunkStats]:
    """A task's pieces, one after another, each continuing its blocks' generators."""
    scenario = task.scenario
    root = np.random.SeedSequence(task.entropy)
    names = list(scenario.org.roles)
    months = PlanCalendar(scenario.year_start, "month")
    slot_names = {k: scenario.org.roles[k].slot_names(k) for k in names} \
        if task.keep_reps else None
    streams: dict = {}
    out = []
    for a in range(task.start, task.stop, task.piece):
        chunk = Chunk(root, a, min(a + task.piece, task.stop), months.period_days, streams)
        draws = draw_roles(scenario, chunk)
        roles = {name: role_year(scenario.org.roles[name], scenario.market[name],
                                  draws[name], months) for name in names}
        out.append(chunk_stats(a, roles, slot_names))
    return [merge_chunks(out)]


def _threaded(tasks: list[Task], workers: int) -> Iterator[list[ChunkStats]]:
    """Tasks on a pool of threads in this process (numpy releases the GIL), as they end."""
    with cpu_budget(workers), ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(run_task, t) for t in tasks]
        try:
            for f in as_completed(futures):
                yield f.result()
        finally:
            for f in futures:
                f.cancel()


def _on_backend(tasks: list[Task], backend: Backend) -> Iterator[list[ChunkStats]]:
    keys = [f"montecarlo-{t.entropy}-{t.start}-{uuid.uuid4().hex[:8]}" for t in tasks]
    for _, pieces in backend.run(run_task, tasks, keys):
        yield pieces


def simulate(scenario: Scenario, *, trials: int | None = None, seed: int | None = None,
             memory_mb: float = DEFAULT_MEMORY_MB, chunk: int | None = None,
             workers: int | None = None, keep_reps: bool = True, progress: bool = True,
             on_chunk: Callable[[int], None] | None = None,
             backend: Backend | None = None) -> Results:
    """Simulate `trials` plan years of `scenario` (its own count and seed unless given).

    Args:
        scenario: the scenario, as `load_scenario` returns it.
        trials: simulated plan years (default: the scenario's).
        seed: root of every random stream (default: the scenario's).
        memory_mb: memory budget of a chunk's working arrays, shared by the workers; sets
            the chunk size.
        chunk: trials evaluated at once (by default from `memory_mb`): rounded up to whole
            blocks, or, under BLOCK, pieces of each block drawn one after the other.
        workers: threads evaluating chunks at once (numpy releases the GIL in its kernels);
            BLAS is held to cores // workers threads meanwhile. With a `backend`, the
            worker processes that share the memory budget (default: its `workers`).
        keep_reps: keep every rep of every trial (trials x reps rows) besides the summaries.
        progress: show a progress bar on runs longer than two seconds.
        on_chunk: called with the number of trials of each task (whole blocks) as it
            finishes.
        backend: where the tasks run instead of this process's threads: anything with
            `run(fn, tasks, keys)` yielding (task number, result) as tasks finish, such as
            `spmsim.studies.sweep.backends.open_backend(workers=2)` (Dask). The figures
            are identical to a serial run.
    """
    n = scenario.trials if trials is None else trials
    if n < 1:
        raise ValueError("trials must be at least 1")
    if scenario.years > 1:
        raise SpmsimError(f"scenario {scenario.scenario!r}: years: {scenario.years} (plan years "
                          "in a row) runs in the agent engine: simulate with --engine agents, "
                          "or set years: 1")
    root = np.random.SeedSequence(scenario.seed if seed is None else seed)
    if backend is None:
        workers = default_workers() if workers is None else max(1, workers)
    else:
        workers = max(1, getattr(backend, "workers", 1) if workers is None else workers)
    if chunk is None:  # tasks from the budget, evaluated in cache-sized pieces
        size = task_trials(chunk_trials(scenario, memory_mb, workers))
        piece = min(chunk_trials(scenario, memory_mb, workers), cache_trials(scenario))
    else:
        piece = max(1, chunk) if chunk < BLOCK else task_trials(chunk)
        size = task_trials(piece)
    tasks = [Task(scenario, int(root.entropy), a, min(a + size, n), piece, keep_reps)
             for a in range(0, n, size)]
    chunks: list[ChunkStats] = []
    finished = _threaded(tasks, workers) if backend is None else _on_backend(tasks, backend)
    with tqdm(total=n, unit="trial", desc=scenario.scenario, delay=2.0,
              disable=not progress) as bar:
        try:
            for pieces in finished:
                chunks.extend(pieces)
                done = sum(c.trial["revenue"].shape[0] for c in pieces)
                bar.update(done)
                if on_chunk:
                    on_chunk(done)
        finally:
            finished.close()  # an error or Ctrl-C: the pending tasks are cancelled
    return assemble(chunks, n, scenario=scenario.echo(), engine="montecarlo",
                    seed=int(root.entropy), roles=list(scenario.org.roles),
                    months=PlanCalendar(scenario.year_start, "month").labels)
