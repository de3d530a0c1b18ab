"""How credit arrives for a role: the attainment model and the pipeline model.

Both turn a role's staffing (who is in seat, how productive) into monthly credit per
measure, shaped (trials, slots, 12), drawing only from the generators they are given.

* attainment: each rep's annual attainment per measure is drawn from a distribution,
  times their quota, spread over the months by seasonality and scaled by the months in
  seat and productivity (skill x ramp). The comp analyst's classic cost model.
* pipeline: won deals arrive per rep and month as Poisson counts with rate
  deals_per_month x seasonality x productivity x share of the month in seat; every deal's
  size is drawn from the stream's size distribution (lognormal, a mixture of lognormals,
  or resampled from past won amounts). Several measures (new, expansion, renewal) each have
  their own stream; a stream may also credit its deal count to a units measure. A stream
  may describe a deal attribute (a mix of labels such as products, or a number such as
  gross margin), drawn per deal independently of its size, for a plan's rate by attribute.

Scores (e.g. an MBO score in [0, 1]) are drawn per assessment for either model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from spmsim.config import MAX_RATE, MEASURE_PATTERN, Frozen, Money, Rate, Spread
from spmsim.model.distributions import Distribution
from spmsim.model.files import named_table
from spmsim.model.org import MONTHS, Staffing
from spmsim.plans.crediting import COLUMN_PATTERN

Measure = Annotated[str, Field(pattern=MEASURE_PATTERN)]


class Score(Frozen):
    """A score per assessment, normal with `mean` and `sd`, clipped to [0, 1]."""

    mean: float = Field(ge=0, le=1)
    sd: Rate = Field(0.0, ge=0)

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return np.clip(rng.normal(self.mean, self.sd, shape), 0.0, 1.0)


class _Market(Frozen):
    seasonality: tuple[Rate, ...] = Field(
        (1.0,) * MONTHS, description="12 monthly weights, relative; normalised to mean 1")
    scores: dict[Measure, Score] = Field(
        default_factory=dict, description="scores credited at each assessment, e.g. mbo_score")

    @field_validator("seasonality")
    @classmethod
    def _twelve(cls, weights: tuple[float, ...]) -> tuple[float, ...]:
        if len(weights) != MONTHS or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError("give 12 monthly weights >= 0, not all zero")
        return weights

    def month_rates(self, month_days: np.ndarray) -> np.ndarray:
        """Each month's share of a full year's bookings x 12 (mean 1 over the months).

        The weights are relative bookings rates in each month, so a month also counts by
        its days: flat weights spread a year evenly over its days, and a rep in seat from
        April books the same share of the year as their prorated quota and TI.
        """
        w = np.asarray(self.seasonality, dtype=float) * month_days
        return MONTHS * w / w.sum()

    def money_measures(self) -> list[str]:
        raise NotImplementedError

    def produces(self) -> list[str]:
        """Every measure this market credits."""
        return self.money_measures() + list(self.scores)


class AttainmentMarket(_Market):
    """Annual attainment per measure from a distribution, spread by seasonality."""

    model: Literal["attainment"] = "attainment"
    measures: dict[Measure, Distribution] = Field(
        description="measure -> distribution of a full-year rep's annual attainment")

    def money_measures(self) -> list[str]:
        return list(self.measures)


class Component(Frozen):
    """One lognormal component of a mixture of deal sizes: its share, median and log-sd."""

    weight: Rate = Field(gt=0)
    median: Money = Field(gt=0)
    sigma: Spread = Field(ge=0)


class DealSize(Frozen):
    """The size of a won deal. `type` lognormal (default): `median` and log-sd `sigma`;
    mixture: lognormal `components` (weights relative); empirical: resampled with
    replacement from the `column` of a CSV `file` (relative to the scenario; read by the
    scenario loader), e.g. the won amounts calibration saw."""

    type: Literal["lognormal", "mixture", "empirical"] = "lognormal"
    median: float | None = Field(None, gt=0)
    sigma: float | None = Field(None, ge=0)
    components: tuple[Component, ...] = ()
    file: str | None = None
    column: str = "amount"
    values: tuple[float, ...] = Field((), description="empirical sizes given inline instead "
                                      "of a file")
    _values: np.ndarray = PrivateAttr(default_factory=lambda: np.zeros(0))

    @model_validator(mode="after")
    def _fields(self, info: ValidationInfo) -> DealSize:
        need = {"lognormal": ("median", "sigma"), "mixture": ("components",),
                "empirical": ()}[self.type]
        missing = [k for k in need if getattr(self, k) in (None, ())]
        if missing:
            raise ValueError(f"a {self.type} deal size needs {' and '.join(missing)}")
        if self.type == "empirical" and (self.file is None) == (not self.values):
            raise ValueError("an empirical deal size needs a `file` of past amounts, or "
                             "`values` inline (one of the two)")
        if self.type == "empirical" and self.values:
            values = np.asarray(self.values, dtype=float)
            if not np.all(np.isfinite(values) & (values > 0)):
                raise ValueError("values: every deal size must be a number > 0")
            self._values = values
        elif self.type == "empirical":
            table = named_table(info, self.file)
            if self.column not in table.columns:
                raise ValueError(f"{self.file} has no column {self.column!r} (columns: "
                                 f"{', '.join(map(str, table.columns))}); set `column:`")
            values = pd.to_numeric(table[self.column], errors="coerce").to_numpy(float)
            bad = np.flatnonzero(~np.isfinite(values) | (values <= 0))
            if bad.size:
                raise ValueError(f"{self.file} line {bad[0] + 2}, column {self.column!r}: "
                                 f"not an amount > 0 ({table[self.column].iloc[bad[0]]!r})")
            if values.size == 0:
                raise ValueError(f"{self.file} has no deal sizes to resample")
            self._values = values
        return self

    def __eq__(self, other: object) -> bool:  # the resampled values are an array
        return isinstance(other, DealSize) and self.model_dump() == other.model_dump() and \
            np.array_equal(self._values, other._values)

    __hash__ = Frozen.__hash__

    def _parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(weights, log-medians, sigmas) of the lognormal components."""
        if self.type == "lognormal":
            return np.ones(1), np.array([math.log(self.median)]), np.array([self.sigma])
        w = np.array([c.weight for c in self.components])
        return (w / w.sum(), np.log([c.median for c in self.components]),
                np.array([c.sigma for c in self.components]))

    @property
    def mean(self) -> float:
        if self.type == "empirical":
            return float(self._values.mean())
        w, mu, sigma = self._parts()
        return float((w * np.exp(mu + sigma ** 2 / 2)).sum())

    @property
    def second_moment(self) -> float:
        """E[X^2]."""
        if self.type == "empirical":
            return float((self._values ** 2).mean())
        w, mu, sigma = self._parts()
        return float((w * np.exp(2 * mu + 2 * sigma ** 2)).sum())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n deal sizes (float64)."""
        if self.type == "empirical":
            return self._values[rng.integers(0, self._values.size, n)]
        w, mu, sigma = self._parts()
        k = rng.choice(w.size, n, p=w) if w.size > 1 else np.zeros(n, dtype=int)
        return np.exp(mu[k] + sigma[k] * rng.standard_normal(n))

    def quantile(self, q) -> np.ndarray:
        """Size quantiles (by a large fixed sample for mixtures)."""
        q = np.asarray(q, dtype=float)
        if self.type == "empirical":
            return np.quantile(self._values, q)
        if self.type == "lognormal":
            from scipy.special import ndtri

            return self.median * np.exp(self.sigma * ndtri(q))
        return np.quantile(self.sample(np.random.default_rng(0), 200_000), q)


class SizeBand(Frozen):
    """Won deals of sizes up to `upto` (the last band: any size) win `win` times and take
    `cycle` times the stream's average (relative to the won deals' mix): the agent engine
    draws opportunity sizes, odds and stage lengths by band."""

    upto: float | None = Field(None, gt=0)
    win: float = Field(gt=0)
    cycle: float = Field(1.0, gt=0)


class NumericAttribute(Frozen):
    """A number per deal (gross margin 0.35), normal with `mean` and `sd`, clipped to
    [0, 1,000] (a rate by it credits amount x the number)."""

    mean: float = Field(ge=0, le=MAX_RATE, description="mean value over deals")
    sd: float = Field(0.0, ge=0, description="standard deviation over deals")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.clip(rng.normal(self.mean, self.sd, n), 0.0, MAX_RATE)


LabelMix = dict[Annotated[str, Field(min_length=1)], Annotated[float, Field(ge=0)]]
DealAttribute = Annotated[NumericAttribute | LabelMix, Field(union_mode="left_to_right")]


class DealStream(Frozen):
    """Won deals of one measure: rate per month for a full-productivity rep, size, and
    the deal attributes a plan may rate deals by."""

    deals_per_month: Rate = Field(ge=0)
    size: DealSize
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="currency the "
                                 "sizes are in (default: the plan's), converted at the plan's "
                                 "fx plan rate")
    count_as: Measure | None = Field(
        None, description="also credit the number of deals to this units measure")
    bands: tuple[SizeBand, ...] = Field(
        (), description="win odds and cycle by deal-size band, ascending; the last has no "
        "`upto`")
    attributes: dict[Annotated[str, Field(pattern=COLUMN_PATTERN)], DealAttribute] = Field(
        default_factory=dict, description="deal attribute -> its mix of labels and their "
        "shares (`product: {software: 0.7, services: 0.3}`, relative) or, for a number, "
        "`{mean: , sd: }` (`gross_margin: {mean: 0.6, sd: 0.1}`); drawn per deal, "
        "independently of its size, for a plan's rate by deal attribute")

    @field_validator("attributes")
    @classmethod
    def _mixes(cls, attributes: dict) -> dict:
        for name, spec in attributes.items():
            if isinstance(spec, dict) and (not spec or sum(spec.values()) <= 0):
                raise ValueError(f"{name}: give each label its share, e.g. "
                                 "{software: 0.7, services: 0.3}, not all zero")
        return attributes

    def labels(self, column: str) -> list[str]:
        """The labels of a mix attribute, in the order `draw_attribute` indexes them."""
        return list(self.attributes[column])

    def draw_attribute(self, column: str, rng: np.random.Generator, n: int) -> np.ndarray:
        """n deals' values of `column`: indices into `labels(column)` for a mix (one
        uniform a deal), the numbers themselves for a numeric attribute."""
        spec = self.attributes[column]
        if isinstance(spec, NumericAttribute):
            return spec.sample(rng, n)
        share = np.array(list(spec.values()), dtype=float)
        edges = np.cumsum(share / share.sum())[:-1]
        return np.searchsorted(edges, rng.random(n), side="right")

    @model_validator(mode="after")
    def _bands(self) -> DealStream:
        if not self.bands:
            return self
        edges = [b.upto for b in self.bands[:-1]]
        if self.bands[-1].upto is not None or any(e is None for e in edges) or \
                edges != sorted(edges):
            raise ValueError("bands: ascending `upto`, the last band without one")
        return self

    def band_of(self, sizes: np.ndarray) -> np.ndarray:
        edges = np.array([b.upto for b in self.bands[:-1]], dtype=float)
        return np.searchsorted(edges, sizes, side="left")

    def opportunity_sizes(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
        """n opportunity sizes with their relative win odds and cycle factors. Without
        bands an opportunity's size is a won deal's. With bands, won sizes are resampled
        with weights 1 / win (rejection), so that opportunities of a band that wins less are
        more common and the won deals still follow `size`."""
        if not self.bands or n == 0:
            return self.size.sample(rng, n), np.ones(n), np.ones(n)
        win = np.array([b.win for b in self.bands])
        cycle = np.array([b.cycle for b in self.bands])
        out = np.empty(0)
        while out.size < n:
            x = self.size.sample(rng, 2 * n)
            keep = rng.random(x.size) < win.min() / win[self.band_of(x)]
            out = np.concatenate([out, x[keep]])
        out = out[:n]
        band = self.band_of(out)
        return out, win[band], cycle[band]


class Stage(Frozen):
    """A pipeline stage: its mean length in days (exponential) and the share of deals that
    move on from it (to the next stage; from the last one, to won)."""

    name: str = Field(min_length=1)
    days: float = Field(gt=0, le=3650, description="mean days in the stage (at most ten years)")
    to_next: float = Field(gt=0, le=1)


class PipelineMarket(_Market):
    """Poisson deal counts per rep-month and a lognormal size per deal.

    `stages` matter to the agent engine only: opportunities are created at
    deals_per_month / win rate and move through the stages, so won deals still arrive at
    `deals_per_month`. Without stages an opportunity is won when it is created.
    """

    model: Literal["pipeline"] = "pipeline"
    measures: dict[Measure, DealStream]
    stages: tuple[Stage, ...] = ()

    @property
    def win_rate(self) -> float:
        return math.prod(s.to_next for s in self.stages)

    @property
    def cycle_days(self) -> float:
        """Mean days from an opportunity's creation to its close."""
        return sum(s.days for s in self.stages)

    def creation_rates(self, month_days: np.ndarray, step: float = 0.25) -> np.ndarray:
        """Opportunity creation rate by month (relative, like `month_rates`) whose won deals,
        after a random sales cycle, close at `month_rates`: the seasonality of bookings.

        With A[j, i] the chance that a deal created in month i (uniformly over its days)
        closes in month j (cycle = the sum of exponential stage lengths, the year
        repeating), solve A c = month rates for c >= 0 (non-negative least squares): c is
        each month's relative creation count, as the month rates are each month's relative
        bookings. Without stages c is the month rates. A season steeper than the cycle
        lets creation alone produce (a spike in one month with a cycle of two) is met as
        closely as it can be; the rest of such a spike comes from reps timing deals (the
        timing behaviour).
        """
        rates = self.month_rates(month_days)
        if not self.stages:
            return rates
        year = float(month_days.sum())
        horizon = 10 * self.cycle_days
        grid = np.arange(0.0, horizon + step, step)
        pdf = np.zeros_like(grid)
        pdf[0] = 1.0 / step
        for stage in self.stages:  # density of the cycle: convolve exponential densities
            expo = np.exp(-grid / stage.days) / stage.days
            pdf = np.convolve(pdf, expo)[:grid.size] * step
        cdf = np.concatenate([[0.0], np.cumsum(pdf[:-1]) * step])
        cdf /= cdf[-1]
        starts = np.concatenate([[0.0], np.cumsum(month_days)])
        days = np.arange(int(year)) + 0.5
        wraps = np.arange(int(math.ceil(horizon / year)) + 1) * year
        # P(close in month j | created on day d), over every wrap of the year
        lo = starts[None, :-1, None] + wraps[None, None, :] - days[:, None, None]
        hi = starts[None, 1:, None] + wraps[None, None, :] - days[:, None, None]
        p = (np.interp(hi, grid, cdf, left=0.0) - np.interp(lo, grid, cdf, left=0.0)).sum(-1)
        created_in = np.searchsorted(starts, days, side="right") - 1
        a = np.zeros((MONTHS, MONTHS))
        np.add.at(a.T, created_in, p)  # a[j, i]: closes in j from creations across month i
        from scipy.optimize import nnls  # only here: importing SciPy costs seconds

        c, _ = nnls(a / month_days[None, :], rates)  # a deal a month, spread over its days
        return c * rates.sum() / c.sum()

    def money_measures(self) -> list[str]:
        return list(self.measures)

    def produces(self) -> list[str]:
        units = [s.count_as for s in self.measures.values() if s.count_as]
        return super().produces() + units


class TeamMarket(_Market):
    """A manager role's credit: the summed credit of the team they manage in another role
    (`of`, which sets `team_size`), on the listed measures. It books no revenue of its own,
    so the organisation's revenue counts each deal once."""

    model: Literal["team"] = "team"
    of: Measure = Field(description="the role whose teams the managers lead")
    measures: tuple[Measure, ...] = Field(
        min_length=1, description="that role's measures the managers are credited with")

    def money_measures(self) -> list[str]:
        return []

    def produces(self) -> list[str]:
        return list(self.measures) + list(self.scores)


Market = Annotated[AttainmentMarket | PipelineMarket | TeamMarket,
                   Field(discriminator="model")]


def monthly_weight(rates: np.ndarray, staff: Staffing) -> np.ndarray:
    """Output per month in months of a full year's average: month rate x productivity x
    share of the month in seat."""
    if staff.always_active:
        return staff.productivity * rates
    return staff.productivity * staff.active * rates


def attainment_credit(market: AttainmentMarket, staff: Staffing, rates: np.ndarray,
                      quota: dict[str, float],
                      attainment: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Monthly credit per measure from annual attainment draws (trials, slots):
    attainment x full-year quota x monthly weight / 12."""
    weight = monthly_weight(rates, staff) / MONTHS
    return {m: attainment[m][..., None] * quota[m] * weight for m in market.measures}


class MonthTable:
    """Draws the month of a deal for reps whose monthly rate follows the seasonality.

    A 4,096-bin lookup on a uniform gives the month at the bin's start, and a second
    lookup the month edge inside the bin, if any, to compare with. Exact whenever no bin
    holds two edges (every month weighs at least 1/2,048 of the year); else a search.
    """

    BINS = 4096

    def __init__(self, rates: np.ndarray):
        share = rates / rates.sum()
        self.edges = np.cumsum(share)[:-1].astype(np.float32)
        self.exact = bool(share.min() >= 2.0 / self.BINS)
        lo = (np.arange(self.BINS) / self.BINS).astype(np.float32)
        self.lut = np.searchsorted(self.edges, lo, side="right").astype(np.int8)
        inner = np.full(self.BINS, 2.0, dtype=np.float32)  # 2.0: no edge inside the bin
        bins = (self.edges * self.BINS).astype(np.int64)
        inside = self.lut[bins] <= np.arange(self.edges.size)  # not already counted at the start
        inner[bins[inside]] = self.edges[inside]
        self.inner = inner

    def months(self, u: np.ndarray) -> np.ndarray:
        if not self.exact:
            return np.searchsorted(self.edges, u, side="right")
        k = (u * np.float32(self.BINS)).astype(np.int32)
        month = self.lut[k]
        month += u >= self.inner[k]
        return month


def pipeline_draws(stream: DealStream, weight: np.ndarray, steady: np.ndarray,
                   table: MonthTable, rng: Callable[[str], np.random.Generator],
                   credited: Callable[[np.ndarray], np.ndarray] | None = None,
                   rated: Callable[[np.random.Generator, int], np.ndarray] | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(deal counts, summed credit, summed deal sizes) per rep-month, (trials, slots, 12),
    for one stream. `credited` turns each deal's size into its credit (a plan's windfall
    clause); `rated(generator, n)` draws n deals' credit rates (a plan's rate by deal
    attribute), which multiply it. Without either, credit is the size and the same array
    is returned twice.

    Counts are Poisson with mean deals_per_month x weight. A steady rep's year (in seat all
    year at constant productivity) draws one Poisson total and a month per deal from the
    seasonality, which is the same process (Poisson splitting) at a twelfth of the Poisson
    draws; other reps draw each month's count. Every deal's size is drawn, lognormal.
    `rng(purpose)` gives the generator of each purpose, so that the draws of the first
    trials of a block do not depend on how many trials follow them.
    """
    shape = weight.shape
    cells = weight.reshape(-1, MONTHS)
    cell, size, rate = deal_draws(stream, weight, steady, table, rng, rated)
    counts = np.bincount(cell, minlength=cells.size).reshape(shape)
    booked = np.bincount(cell, weights=size, minlength=cells.size).reshape(shape)
    if credited is None and rated is None:
        return counts, booked, booked
    value = size.astype(float) if credited is None else credited(size.astype(float))
    if rate is not None:
        value *= rate
    credit = np.bincount(cell, weights=value, minlength=cells.size).reshape(shape)
    return counts, credit, booked


def deal_draws(stream: DealStream, weight: np.ndarray, steady: np.ndarray, table: MonthTable,
               rng: Callable[[str], np.random.Generator],
               rated: Callable[[np.random.Generator, int], np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Every won deal of one stream: (its rep-month cell in the flattened (trials, slots,
    12) array, its size, its `rated` draw or None), steady reps' deals first. The
    attribute draws come from streams of their own (`deal_attribute` for steady reps',
    `other_deal_attribute` for the others'), so the counts, months and sizes are the same
    with or without them."""
    cells = weight.reshape(-1, MONTHS)
    steady = steady.ravel()
    rows = np.flatnonzero(steady)
    others = np.flatnonzero(~steady)
    rate = stream.deals_per_month
    year_cells = cells if others.size == 0 else cells[rows]
    per_year = rng("arrivals").poisson(rate * np.einsum("cm->c", year_cells))  # no BLAS
    n_year = int(per_year.sum())
    cell = np.repeat(rows * MONTHS, per_year)
    cell += table.months(rng("deal_month").random(n_year, dtype=np.float32))
    size = _sizes(stream.size, rng, "deal_size", n_year)
    drawn = None if rated is None else rated(rng("deal_attribute"), n_year)
    if others.size:
        per_month = rng("monthly_arrivals").poisson(rate * cells[others]).ravel()
        other_cells = (others[:, None] * MONTHS + np.arange(MONTHS)).ravel()
        n_other = int(per_month.sum())
        cell = np.concatenate([cell, np.repeat(other_cells, per_month)])
        size = np.concatenate([size, _sizes(stream.size, rng, "other_deal_size", n_other)])
        if rated is not None:
            drawn = np.concatenate([drawn, rated(rng("other_deal_attribute"), n_other)])
    return cell, size, drawn


def _sizes(size: DealSize, rng: Callable[[str], np.random.Generator], purpose: str,
           n: int) -> np.ndarray:
    """n deal sizes from the stream `purpose`; lognormal ones drawn in single precision
    (summed in double). A mixture draws its components from a stream of their own, so
    each stream is consumed deal after deal and a block drawn in pieces gets the same
    sizes as the block drawn at once."""
    if size.type == "empirical":
        return size.sample(rng(purpose), n)
    if size.type == "mixture":
        w, mu, sigma = size._parts()
        k = rng(purpose.replace("size", "component")).choice(w.size, n, p=w)
        return np.exp(mu[k] + sigma[k] * rng(purpose).standard_normal(n))
    out = rng(purpose).standard_normal(n, dtype=np.float32)
    out *= np.float32(size.sigma)
    out += np.float32(math.log(size.median))
    return np.exp(out, out=out)


def score_credit(scores: np.ndarray, staff: Staffing, months: np.ndarray) -> np.ndarray:
    """Scores (trials, slots, assessments) credited in the assessment `months` (0-based)
    to reps in seat then."""
    out = np.zeros(staff.active.shape)
    out[..., months] = np.where(staff.active[..., months] > 0, scores, 0.0)
    return out
