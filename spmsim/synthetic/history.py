"""Synthetic CRM history from known parameters, and a writer of histories to a folder.

The process is the one calibration fits (`fit.py`), so a round trip can check it:
seats are held by reps hired at a date, each with a lognormal productivity (mean 1), a
ramp by months of tenure (`org.Ramp`) and a constant exit hazard; a leaver's seat is
refilled after a fixed delay, and growth hires add seats. Each rep creates opportunities
as a Poisson process, per day at opportunities_per_month x creation seasonality x
productivity x ramp. An opportunity spends an exponential time in each open stage and then
moves on (share `to_next`) or is lost; moving on from the last stage wins it. Its final
amount is lognormal by Type; the amount entered earlier is noisier, and the expected close
date is the rep's guess, pushed out by `slip_days` each time it passes with the deal open.

The company runs `burn_in_months` before the history starts so the pipeline is full; the
export holds the opportunities closed on or after the start or still open at the export
date (the day before `end`), all stage-history rows of those, every rep who worked or owns
one of them, and every account. Seeded by a SeedSequence with one child per purpose.

What real exports show can be switched on: a share of won deals held to their quarter's
last day (`quarter_end_pull`), a company-wide monthly factor on creation (gamma, mean 1:
overdispersed counts and months that move together, `period_dispersion`), deals that sell
one product of a skewed price list (`price_list`, `price_weights`), and the export's own
gaps: no stage history or expected close dates (`stage_history=False`), no amounts on open
deals, open deals not yet dated.
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, model_validator
from scipy.linalg import expm

from spmsim.calendar import add_months
from spmsim.config import Frozen
from spmsim.data.crm import (
    COLUMNS,
    EXTRA_COLUMNS,
    LOST,
    MAPPING_FILE,
    OPEN_STAGES,
    TYPES,
    WON,
    CheckReport,
    ColumnMapping,
    History,
    StageNames,
)
from spmsim.io import atomic_write_text, write_csv
from spmsim.model.market import DealSize, Stage
from spmsim.model.org import Ramp

DAYS_PER_MONTH = 365.25 / 12
STREAMS = ("tenure", "exits", "skill", "arrivals", "type", "size", "stages", "amount_noise",
           "close_noise", "accounts", "account_table", "period", "pull", "product", "blank")
DEFAULT_STAGES = (Stage(name="Prospecting", days=12.0, to_next=0.6),
                  Stage(name="Qualification", days=18.0, to_next=0.7),
                  Stage(name="Proposal", days=20.0, to_next=0.75),
                  Stage(name="Negotiation", days=14.0, to_next=0.8))
# creation per day by calendar month (Jan-Dec): quarter ends are busier, summer and
# December quieter
DEFAULT_SEASONALITY = (0.9, 1.0, 1.15, 0.95, 1.0, 1.15, 0.85, 0.85, 1.1, 1.05, 1.1, 0.85)
STATES = (("CA", 12), ("TX", 9), ("NY", 6), ("FL", 6), ("IL", 4), ("PA", 4), ("OH", 3),
          ("GA", 3), ("NC", 3), ("MI", 3), ("WA", 2), ("MA", 2), ("CO", 2), ("AZ", 2))
FIRST = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery",
         "Quinn", "Drew", "Robin", "Cameron", "Reese", "Hayden", "Parker")
LAST = ("Garcia", "Smith", "Chen", "Patel", "Johnson", "Nguyen", "Kim", "Brown", "Lopez",
        "Müller", "Rossi", "Okafor", "Silva", "Cohen", "Novak", "Ito", "Dubois", "Larsen")
WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
         "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Pied Piper", "Aperture")
SUFFIX = ("Inc", "LLC", "Group", "Systems", "Labs", "Holdings", "Partners", "Co")


class GrowthHire(Frozen):
    """`count` new seats, filled on the first day of month `month` of the history (1-based;
    hires after the export do not happen)."""

    month: int = Field(ge=1)
    count: int = Field(ge=1)


class HistoryParams(Frozen):
    """The known truth behind a synthetic history (one role)."""

    role: str = Field("Account Executive", min_length=1)
    reps: int = Field(40, ge=1, description="seats when the company starts (burn-in start)")
    start: date = date(2025, 1, 1)
    months: int = Field(24, ge=1, description="months of history up to the export")
    burn_in_months: int = Field(12, ge=0)
    opportunities_per_month: float = Field(3.2, gt=0, description="created per rep-month at "
                                           "full productivity (mean 1), averaged over a year")
    stages: tuple[Stage, ...] = Field(DEFAULT_STAGES, min_length=1)
    seasonality: tuple[float, ...] = Field(DEFAULT_SEASONALITY, min_length=12, max_length=12,
                                           description="creation per day by calendar month")
    type_mix: dict[str, float] = Field(
        default_factory=lambda: {"New Business": 0.6, "Existing Business": 0.3, "Renewal": 0.1})
    sizes: dict[str, DealSize] = Field(default_factory=lambda: {
        "New Business": DealSize(median=105_000, sigma=0.9),
        "Existing Business": DealSize(median=60_000, sigma=0.8),
        "Renewal": DealSize(median=150_000, sigma=0.5)})
    skill_sigma: float = Field(0.3, ge=0)
    ramp: Ramp = Ramp(months=6, curve="linear", start=0.2)
    attrition: float = Field(0.3, ge=0, lt=1, description="annual share of reps leaving")
    backfill_months: float = Field(2.0, ge=0)
    hires: tuple[GrowthHire, ...] = (GrowthHire(month=7, count=2), GrowthHire(month=16, count=2))
    max_tenure_years: float = Field(4.0, ge=0, description="incumbents' tenure at the burn-in "
                                    "start, uniform from 0")
    amount_noise: float = Field(0.3, ge=0, description="log-sd of the amount at creation "
                                "around the final one, shrinking stage by stage")
    close_noise: float = Field(0.3, ge=0, description="log-sd of the rep's guess of the rest "
                               "of the cycle")
    slip_days: int = Field(30, ge=1)
    accounts_per_rep: int = Field(25, ge=1)
    seed: int = Field(2025, ge=0)
    # what real exports show (all off by default)
    quarter_end_pull: float = Field(0.0, ge=0, le=1, description="share of won deals whose "
                                    "close is held to the last day of its quarter")
    period_dispersion: float = Field(0.0, ge=0, description="CV of a company-wide monthly "
                                     "factor on opportunity creation (gamma, mean 1): "
                                     "overdispersed counts, months that move together")
    price_list: dict[str, float] = Field(
        default_factory=dict, description="product -> list price; deals then sell one "
        "product (chosen by `price_weights`) at its price times lognormal noise")
    price_weights: dict[str, float] = Field(default_factory=dict)
    price_noise: float = Field(0.1, ge=0, description="log-sd of a deal's price around the "
                               "list price")
    stage_history: bool = Field(True, description="False: an export of created and close "
                                "dates only (no stage history, open deals without an "
                                "expected close date)")
    blank_open_amounts: bool = Field(False, description="open deals have no amount")
    undated_open_share: float = Field(0.0, ge=0, le=1, description="share of open deals in "
                                      "the first stage with no created date")

    @model_validator(mode="after")
    def _consistent(self) -> HistoryParams:
        StageNames(open=tuple(s.name for s in self.stages))
        if min(self.seasonality) < 0 or sum(self.seasonality) <= 0:
            raise ValueError("seasonality: 12 weights >= 0, not all zero")
        if not self.type_mix or any(t not in TYPES or w < 0 for t, w in self.type_mix.items()) \
                or sum(self.type_mix.values()) <= 0:
            raise ValueError(f"type_mix: weights >= 0 of {', '.join(TYPES)}")
        missing = [t for t, w in self.type_mix.items() if w > 0 and t not in self.sizes]
        if missing and not self.price_list:
            raise ValueError(f"sizes: give a deal size for {', '.join(missing)}")
        if self.price_weights and set(self.price_weights) != set(self.price_list):
            raise ValueError("price_weights: one weight per product of price_list")
        return self

    def product_shares(self) -> dict[str, float]:
        w = self.price_weights or {k: 1.0 for k in self.price_list}
        total = sum(w.values())
        return {k: v / total for k, v in w.items()}

    @property
    def mean_price(self) -> float:
        """Mean deal size under the price list."""
        return sum(share * self.price_list[k] for k, share in self.product_shares().items()) * \
            math.exp(self.price_noise ** 2 / 2)

    @property
    def stage_names(self) -> StageNames:
        return StageNames(open=tuple(s.name for s in self.stages))

    @property
    def win_rate(self) -> float:
        return math.prod(s.to_next for s in self.stages)

    @property
    def deals_per_month(self) -> float:
        """Won deals per rep-month at full productivity (the scenario's deals_per_month)."""
        return self.opportunities_per_month * self.win_rate

    @property
    def end(self) -> date:
        """The day after the export date."""
        return add_months(self.start, self.months)

    @property
    def history_start(self) -> date:
        return add_months(self.start, -self.burn_in_months)

    def mix(self) -> dict[str, float]:
        total = sum(self.type_mix.values())
        return {t: w / total for t, w in self.type_mix.items() if w > 0}

    def bookings_seasonality(self, first_month: int = 1) -> np.ndarray:
        """Won deals per day by month (12, mean 1, from `first_month`) that this creation
        seasonality and sales cycle give: the scenario's `seasonality`."""
        return closing_seasonality(self.seasonality, [s.days for s in self.stages], first_month)


def cycle_survival(stage_days: tuple[float, ...], step: float, n: int) -> np.ndarray:
    """P(a won deal's cycle > t) at t = 0, step, ..., (n-1) step: the sum of exponential
    stage lengths (a phase-type distribution), from powers of exp(T step) taken in blocks."""
    rates = 1.0 / np.asarray(stage_days, dtype=float)
    k = rates.size
    move = expm((np.diag(-rates) + np.diag(rates[:-1], 1)) * step)
    block = max(1, math.isqrt(n))
    powers = np.empty((block, k, k))
    powers[0] = np.eye(k)
    for i in range(1, block):
        powers[i] = powers[i - 1] @ move
    jump = powers[-1] @ move
    state = np.eye(k)[0]
    out = []
    for _ in range(-(-n // block)):
        out.append(np.einsum("j,ijl->i", state, powers))
        state = state @ jump
    return np.concatenate(out)[:n]


@lru_cache(maxsize=64)
def won_cycle_pmf(stage_days: tuple[float, ...], year_days: int = 365) -> np.ndarray:
    """P(a won deal closes j days after the day it was created), j folded modulo a year
    (creation uniform within its day; cycle = the sum of exponential stage lengths)."""
    sub = 8
    horizon = int(math.ceil(sum(stage_days) + 40 * max(stage_days))) + 2
    cdf = 1.0 - cycle_survival(stage_days, 1.0 / sub, horizon * sub + 1)  # grid of 1/sub day
    grid = np.concatenate([np.zeros(sub), cdf])  # F(t) from t = -1 day
    u = (np.arange(sub) + 0.5) / sub
    idx = (np.arange(horizon)[:, None] + 1 - u[None, :]) * sub + sub
    lo, frac = np.floor(idx).astype(int), idx - np.floor(idx)
    f_hi = grid[lo] * (1 - frac) + grid[np.minimum(lo + 1, grid.size - 1)] * frac
    f_lo = grid[lo - sub] * (1 - frac) + grid[lo - sub + 1] * frac
    pmf = (f_hi - f_lo).mean(axis=1)  # mean over u of F(j + 1 - u) - F(j - u)
    return np.bincount(np.arange(horizon) % year_days, weights=pmf, minlength=year_days)


def closing_seasonality(creation: list[float] | tuple[float, ...] | np.ndarray,
                        stage_days: list[float] | tuple[float, ...], first_month: int = 1
                        ) -> np.ndarray:
    """Per-day rate of won closes by month (mean 1; months from `first_month`) when
    opportunities are created per day at `creation` (by calendar month, Jan-Dec) every year
    and each takes the sum of exponential stage lengths: a circular convolution of a
    365-day year with the cycle's daily distribution."""
    year = np.arange("2025-01-01", "2026-01-01", dtype="datetime64[D]")
    month = year.astype("datetime64[M]").astype(int) % 12
    per_day = np.asarray(creation, dtype=float)[month]
    folded = won_cycle_pmf(tuple(float(d) for d in stage_days), year.size)
    closes = np.real(np.fft.ifft(np.fft.fft(per_day) * np.fft.fft(folded)))
    rates = np.bincount(month, weights=closes, minlength=12) / np.bincount(month, minlength=12)
    rates = np.roll(rates, -(first_month - 1))
    return rates / rates.mean()


# ---- the generator -------------------------------------------------------------------

def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(c) for name, c in zip(STREAMS, children, strict=True)}


def _staff(p: HistoryParams, rng: dict[str, np.random.Generator], days: int) -> pd.DataFrame:
    """Every holder of every seat: seat, hire day, exit day (first day gone; inf: stays
    past the export), productivity. Days count from the burn-in start."""
    t0 = np.datetime64(p.history_start)
    seats = [(s, -math.floor(rng["tenure"].uniform(0, p.max_tenure_years) * 365.25))
             for s in range(p.reps)]
    for h in p.hires:
        day = int((np.datetime64(add_months(p.start, h.month - 1)) - t0).astype(int))
        seats += [(len(seats) + i, day) for i in range(h.count)]
    hazard = -math.log1p(-p.attrition) / 365.25
    gap = round(p.backfill_months * DAYS_PER_MONTH)
    rows = []
    for seat, hire in seats:
        while hire < days:
            begin = max(hire, 0)
            stay = rng["exits"].standard_exponential() / hazard if hazard > 0 else math.inf
            exit_ = begin + max(1, math.ceil(stay)) if begin + stay < days else math.inf
            rows.append((seat, hire, exit_))
            if math.isinf(exit_):
                break
            hire = int(exit_) + gap
    staff = pd.DataFrame(rows, columns=["seat", "hire", "exit"])
    sigma = p.skill_sigma
    staff["skill"] = np.exp(sigma * rng["skill"].standard_normal(len(staff)) - sigma ** 2 / 2)
    return staff


def _create(p: HistoryParams, staff: pd.DataFrame, rng: dict[str, np.random.Generator],
            days: int) -> tuple[np.ndarray, np.ndarray]:
    """Opportunities created: (holder index, creation time in days), by time."""
    first = np.maximum(staff["hire"].to_numpy(), 0)
    last = np.minimum(staff["exit"].to_numpy(), days).astype(int)
    length = np.maximum(last - first, 0)
    holder = np.repeat(np.arange(len(staff)), length)
    day = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length) + \
        np.repeat(first, length)
    t0 = np.datetime64(p.history_start)
    month = (t0 + day).astype("datetime64[M]").astype(int) % 12
    season = np.asarray(p.seasonality) / (np.asarray(p.seasonality)[
        np.arange("2025-01-01", "2026-01-01", dtype="datetime64[D]")
        .astype("datetime64[M]").astype(int) % 12].mean())
    tenure = (day + 0.5 - staff["hire"].to_numpy()[holder]) / DAYS_PER_MONTH
    mean = p.opportunities_per_month / DAYS_PER_MONTH * season[month] * \
        staff["skill"].to_numpy()[holder] * p.ramp.factor(tenure)
    if p.period_dispersion > 0:  # a company-wide factor per calendar month, mean 1
        index = (t0 + day).astype("datetime64[M]").astype(int)
        shape = 1 / p.period_dispersion ** 2
        factor = rng["period"].gamma(shape, 1 / shape, index.max() - index.min() + 1)
        mean = mean * factor[index - index.min()]
    count = rng["arrivals"].poisson(mean)
    owner = np.repeat(holder, count)
    time = np.repeat(day, count) + rng["arrivals"].random(int(count.sum()))
    order = np.argsort(time, kind="stable")
    return owner[order], time[order]


def synthetic_history(params: HistoryParams | None = None) -> History:
    """A CRM history of one role generated from `params` (see the module docstring)."""
    p = params or HistoryParams()
    rng = _streams(p.seed)
    t0 = np.datetime64(p.history_start)
    days = int((np.datetime64(p.end) - t0).astype(int))
    window = int((np.datetime64(p.start) - t0).astype(int))
    staff = _staff(p, rng, days)
    owner, created = _create(p, staff, rng, days)
    n, k = created.size, len(p.stages)
    mix = p.mix()
    types = np.array(list(mix))[rng["type"].choice(len(mix), n, p=list(mix.values()))]
    final = np.empty(n)
    products = None
    if p.price_list:
        shares = p.product_shares()
        products = np.array(list(shares))[rng["product"].choice(len(shares), n,
                                                                 p=list(shares.values()))]
        price = np.array([p.price_list[k] for k in products])
        final = price * np.exp(p.price_noise * rng["product"].standard_normal(n))
    for t in mix if not p.price_list else ():
        pick = types == t
        final[pick] = p.sizes[t].median * np.exp(p.sizes[t].sigma *
                                                 rng["size"].standard_normal(int(pick.sum())))
    stage_days = np.array([s.days for s in p.stages])
    lengths = rng["stages"].standard_exponential((n, k)) * stage_days
    moves = rng["stages"].random((n, k)) < np.array([s.to_next for s in p.stages])
    last = np.where(moves.all(axis=1), k - 1, np.argmin(moves, axis=1))
    entries = created[:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(lengths, 1)], 1)
    if p.quarter_end_pull > 0:  # held to the quarter's last day: the last stage lengthens
        won_all = moves.all(axis=1)
        held = won_all & (rng["pull"].random(n) < p.quarter_end_pull)
        end_day = (t0 + np.floor(entries[:, -1]).astype(np.int64)).astype("datetime64[D]")
        quarter = end_day.astype("datetime64[M]").astype(int)
        quarter_end = ((quarter // 3 + 1) * 3).astype("datetime64[M]").astype(
            "datetime64[D]") - 1
        entries[held, -1] = (quarter_end[held] - t0).astype(float) + 0.5
    close = entries[np.arange(n), last + 1]
    keep = close >= window
    shrink = (k - np.arange(k)) / k
    amounts = final[:, None] * np.exp(p.amount_noise * shrink *
                                      rng["amount_noise"].standard_normal((n, k)))
    guess = np.cumsum(stage_days[::-1])[::-1] * np.exp(
        p.close_noise * rng["close_noise"].standard_normal((n, k)))
    ids = np.flatnonzero(keep)
    seats = staff["seat"].to_numpy()[owner]
    account = seats * p.accounts_per_rep + rng["accounts"].integers(0, p.accounts_per_rep, n)
    rows, opps = [], []
    names = p.stage_names
    for j, i in enumerate(ids):
        oid = f"006{j + 1:012d}"
        state = _opportunity_rows(oid, entries[i], int(last[i]), bool(moves[i].all()),
                                  np.round(amounts[i], 2), round(float(final[i]), 2),
                                  guess[i], names, p.slip_days, days, rows)
        opps.append((oid, f"001{account[i] + 1:012d}", f"005{owner[i] + 1:012d}", *state,
                     math.floor(created[i]), types[i]))
    history = _frames(p, staff, opps, rows, t0, rng["account_table"])
    if products is not None:
        history.opportunities["Product"] = products[ids]
    return _as_exported(p, history, rng["blank"])


def _as_exported(p: HistoryParams, history: History, rng: np.random.Generator) -> History:
    """The export as some CRMs give it: without stage history (and expected close dates),
    without amounts of open deals, with open deals not yet dated."""
    if p.stage_history and not p.blank_open_amounts and p.undated_open_share == 0:
        return history
    o = history.opportunities.copy()
    open_ = ~o["IsClosed"].to_numpy(bool)
    if not p.stage_history:
        o.loc[open_, "CloseDate"] = pd.NaT
    if p.blank_open_amounts:
        o.loc[open_, "Amount"] = np.nan
    if p.undated_open_share > 0:
        first = open_ & (o["StageName"] == p.stages[0].name).to_numpy()
        pick = first & (rng.random(len(o)) < p.undated_open_share)
        o.loc[pick, ["CreatedDate", "CloseDate"]] = pd.NaT
        o.loc[pick, "Amount"] = np.nan
    return History(opportunities=o, roster=history.roster,
                   stage_history=history.stage_history if p.stage_history else None,
                   accounts=history.accounts, stages=history.stages, report=history.report,
                   source=history.source)


def _opportunity_rows(oid: str, entries: np.ndarray, last: int, won: bool,
                      amounts: np.ndarray, final: float, guess: np.ndarray, names: StageNames,
                      slip: int, days: int, rows: list) -> tuple:
    """Append one opportunity's stage-history rows (days from the burn-in start); return
    its state at the export: stage, amount, close date, closed, won."""
    state = ()
    for k in range(last + 1):
        entry = entries[k]
        if entry >= days:
            break
        day = math.floor(entry)
        expected = math.floor(entry + guess[k])
        amount = float(amounts[k])
        rows.append((oid, names.open[k], amount, expected, day))
        state = (names.open[k], amount, expected, False, False)
        leave = min(entries[k + 1], days)
        while expected + 1 < leave:  # the expected close date passed with the deal open
            pushed_on, expected = expected + 1, expected + slip
            rows.append((oid, names.open[k], amount, expected, pushed_on))
            state = (names.open[k], amount, expected, False, False)
    end = entries[last + 1]
    if end < days:
        stage, amount = (names.won, final) if won else (names.lost, float(amounts[last]))
        rows.append((oid, stage, amount, math.floor(end), math.floor(end)))
        state = (stage, amount, math.floor(end), True, won)
    return state


def _frames(p: HistoryParams, staff: pd.DataFrame, opps: list, rows: list,
            t0: np.datetime64, rng: np.random.Generator) -> History:
    def dates(values) -> pd.Series:
        arr = np.asarray(values, dtype=float)
        out = np.full(arr.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        ok = np.isfinite(arr)
        out[ok] = t0 + arr[ok].astype(np.int64)
        return pd.Series(out.astype("datetime64[ns]"))

    o = pd.DataFrame(opps, columns=["Id", "AccountId", "OwnerId", "StageName", "Amount",
                                    "CloseDate", "IsClosed", "IsWon", "CreatedDate", "Type"])
    o["CloseDate"], o["CreatedDate"] = dates(o["CloseDate"]), dates(o["CreatedDate"])
    o["Amount"] = o["Amount"].astype(float)
    o[["IsClosed", "IsWon"]] = o[["IsClosed", "IsWon"]].astype(bool)
    o = o[list(COLUMNS["opportunities"])].assign(AmountImputed=False)
    h = pd.DataFrame(rows, columns=list(COLUMNS["stage_history"]))
    h["CloseDate"], h["CreatedDate"] = dates(h["CloseDate"]), dates(h["CreatedDate"])
    h["Amount"] = h["Amount"].astype(float)
    h = h.sort_values(["OpportunityId", "CreatedDate"], kind="stable", ignore_index=True)
    n = len(staff)
    roster = pd.DataFrame({
        "Id": [f"005{i + 1:012d}" for i in range(n)],
        "Name": [f"{FIRST[i % len(FIRST)]} {LAST[(i * 7 + i // len(FIRST)) % len(LAST)]}"
                 for i in range(n)],
        "Role": p.role, "StartDate": dates(staff["hire"]),
        "EndDate": dates(staff["exit"].to_numpy() - 1)})
    return History(opportunities=_typed(o),
                   roster=_typed(roster), stage_history=_typed(h),
                   accounts=_typed(_accounts(p, int(staff["seat"].max()) + 1, rng)),
                   stages=p.stage_names, report=CheckReport(), source=f"synthetic seed {p.seed}")


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas strings, as reading a CSV gives them."""
    return df.astype({c: "str" for c in df.columns if df[c].dtype == object})


def _accounts(p: HistoryParams, seats: int, rng: np.random.Generator) -> pd.DataFrame:
    n = seats * p.accounts_per_rep
    revenue = np.round(rng.lognormal(math.log(50e6), 1.5, n), -3)
    weights = np.array([w for _, w in STATES], dtype=float)
    state = np.array([s for s, _ in STATES])[rng.choice(len(STATES), n, p=weights / weights.sum())]
    segment = np.where(revenue >= 500e6, "Enterprise", np.where(revenue >= 50e6, "Mid-Market",
                                                                 "SMB"))
    name = [f"{WORDS[i % len(WORDS)]} {SUFFIX[(i // len(WORDS)) % len(SUFFIX)]} {i + 1}"
            for i in range(n)]
    return pd.DataFrame({"Id": [f"001{i + 1:012d}" for i in range(n)], "Name": name,
                         "Segment": segment, "BillingState": state, "AnnualRevenue": revenue})


# ---- writing -------------------------------------------------------------------------

# the shipped example (scenarios/data/crm): an HR system's roster export, mapped
EXAMPLE_PARAMS = HistoryParams(role="Enterprise AE")
EXAMPLE_MAPPING = ColumnMapping(roster={"Id": "Employee ID", "Name": "Full Name",
                                        "Role": "Job Title", "StartDate": "Hire Date",
                                        "EndDate": "Termination Date"})

def _as_text(df: pd.DataFrame, date_format: str) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            out[c] = col.dt.strftime(date_format).fillna("")
        elif pd.api.types.is_float_dtype(col) and col.isna().any():
            out[c] = col.map(lambda v: "" if pd.isna(v) else repr(float(v)))
        elif pd.api.types.is_bool_dtype(col):
            out[c] = np.where(col, "true", "false")
    return out


def write_history(history: History, folder: str | Path,
                  mapping: ColumnMapping | None = None) -> list[Path]:
    """Write a history as CSV files in the Salesforce shape (or, with `mapping`, under the
    mapped file and column names and date format, with the mapping as mapping.yaml)."""
    folder = Path(folder)
    m = mapping or ColumnMapping()
    written = []
    for kind in COLUMNS:
        df = getattr(history, kind)
        if df is None:
            continue
        columns = [*COLUMNS[kind], *(c for c in EXTRA_COLUMNS[kind] if c in df.columns)]
        text = _as_text(df[columns], m.date_format)
        text = text.rename(columns={c: m.column(kind, c) for c in columns})
        written.append(write_csv(text, folder / m.file(kind)))
    if mapping is not None:
        data = mapping.model_dump(mode="json", exclude_defaults=True)
        written.append(atomic_write_text(folder / MAPPING_FILE,
                                         yaml.safe_dump(data, sort_keys=False, allow_unicode=True)))
    return written


# a history with what real exports show (`spmsim crm synthetic --like-an-export`): a price
# list as skewed as a hardware reseller's, quarter-end holds, months that move together
LIKE_AN_EXPORT = {
    "quarter_end_pull": 0.6, "period_dispersion": 0.15,
    "price_list": {"Basic": 550, "Plus Basic": 1100, "Pro": 4800, "Plus Pro": 5500,
                   "Special": 55, "Advanced": 3400, "Enterprise": 26800},
    "price_weights": {"Basic": 0.22, "Plus Basic": 0.15, "Pro": 0.17, "Plus Pro": 0.11,
                      "Special": 0.19, "Advanced": 0.155, "Enterprise": 0.005},
    "stage_history": False, "blank_open_amounts": True, "undated_open_share": 0.3}


def write_example(folder: str | Path) -> list[Path]:
    """Write the shipped example history (two years, 40 seats, roster mapped)."""
    return write_history(synthetic_history(EXAMPLE_PARAMS), folder, EXAMPLE_MAPPING)


__all__ = ["DEFAULT_STAGES", "LIKE_AN_EXPORT", "GrowthHire", "HistoryParams", "LOST",
           "OPEN_STAGES", "WON",
           "closing_seasonality", "synthetic_history", "write_history"]
