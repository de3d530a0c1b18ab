"""The search over hiring plans on common random numbers, and the plan it finds."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmsim.calendar import PlanCalendar
from spmsim.capacity.inputs import Capacity
from spmsim.capacity.seats import (
    SeatDraws,
    Seats,
    hires_of,
    ramped_rep_month,
    seat_headcount,
    seats_of,
    simulate_seats,
)
from spmsim.errors import InputError, Problem
from spmsim.format import money, percent, plan_role_label
from spmsim.io import csv_text, text_writer, write_files
from spmsim.model.org import MONTHS, Hire
from spmsim.versions import versions


class YearBookings:
    """What a plan's simulated years say, for a `CapacityPlan` or a `MixPlan`: both hold
    `capacity` (with `annual_target`), `bookings` (trials,) and `expected`."""

    capacity: Any
    bookings: np.ndarray
    expected: float

    @property
    def trials(self) -> int:
        return int(self.bookings.size)

    def percentiles(self) -> dict[str, float]:
        p10, p50, p90 = np.percentile(self.bookings, [10, 50, 90])
        return {"P10": float(p10), "P50": float(p50), "P90": float(p90)}

    def distribution(self, bins: int = 40) -> pd.DataFrame:
        """Histogram of the year's bookings: bin_lo, bin_hi, trials, share."""
        counts, edges = np.histogram(self.bookings, bins=bins)
        return pd.DataFrame({"bin_lo": edges[:-1], "bin_hi": edges[1:], "trials": counts,
                             "share": counts / counts.sum()})

    def marks(self) -> pd.DataFrame:
        """P10, P50, P90, the target and the deterministic figure, for the chart."""
        rows = {**self.percentiles(), "target": self.capacity.annual_target,
                "deterministic": self.expected}
        return pd.DataFrame({"mark": list(rows), "value": list(rows.values())})

    @property
    def currency(self) -> str:
        raise NotImplementedError

    def cash(self, x: float) -> str:
        """Money in whole units with the plan's currency, for the printed summary."""
        return money(x, self.currency, 0)

    def summary_text(self) -> str:
        raise NotImplementedError

    def summary_html(self) -> str:
        """The summary text as an escaped <pre> block, for notebooks and reports."""
        return f"<pre>{html.escape(self.summary_text())}</pre>"


@dataclass(frozen=True)
class CapacityPlan(YearBookings):
    """The hiring plan found, its bookings distribution and the deterministic figure."""

    capacity: Capacity
    hires: int  # new hires in the plan
    start_months: tuple[int, ...]  # plan month (1-12) each new hire starts
    probability: float  # estimated P(target met) under the plan
    se: float  # its Monte Carlo standard error
    bookings: np.ndarray  # (trials,) the year's bookings under the plan
    schedule: pd.DataFrame  # the hiring plan by month
    curve: pd.DataFrame  # by number of new hires: probability, bookings, deterministic
    expected: float  # deterministic figure of the plan
    effective_headcount: float  # its rate-weighted year average
    rep_year: float  # mean bookings of a ramped rep-year
    naive_hires: int | None  # fewest hires whose deterministic figure meets the target
    naive_probability: float | None  # P(target met) under that plan
    seed: int

    @property
    def new_hires(self) -> tuple[Hire, ...]:
        return hires_of(np.array(self.start_months, dtype=int))

    def summary(self) -> pd.DataFrame:
        c = self.capacity
        rows = {
            "role": c.role, "target": c.annual_target, "probability wanted": c.probability,
            "new hires": self.hires, "P(target met)": self.probability,
            "P(target met) SE": self.se,
            **{f"bookings {k}": v for k, v in self.percentiles().items()},
            "bookings mean": float(self.bookings.mean()),
            "deterministic bookings": self.expected,
            "effective headcount": self.effective_headcount,
            "bookings per ramped rep-year": self.rep_year,
            "naive hires (deterministic)": self.naive_hires,
            "P(target met), naive plan": self.naive_probability,
            "trials": self.trials, "seed": self.seed,
        }
        return pd.DataFrame({"metric": list(rows), "value": list(rows.values())})

    @property
    def currency(self) -> str:
        """The role's plan's currency."""
        c = self.capacity
        return c.scenario.org.roles[c.role].plan.currency

    def summary_text(self) -> str:
        c, p = self.capacity, self.percentiles()
        amount = self.cash
        who = plan_role_label(c.scenario.org.roles[c.role].plan.plan, c.role)
        starts = ", ".join(f"{h.count} in month {h.month}" for h in self.new_hires) or "none"
        naive = "not within the hiring limits" if self.naive_hires is None else (
            f"{self.naive_hires} hires, which meet the target with P = "
            f"{percent(self.naive_probability)}")
        return "\n".join([
            f"{c.capacity}: {who}, target {amount(c.annual_target)} with probability "
            f"{percent(c.probability, 0)}",
            f"plan: {self.hires} new hires starting {starts} "
            f"(requisitions {c.hiring.lead_months} months ahead)",
            f"P(target met) = {percent(self.probability)} +- {percent(self.se)} "
            f"(SE; {self.trials:,} trials)",
            f"year bookings P10 {amount(p['P10'])}  P50 {amount(p['P50'])}  P90 {amount(p['P90'])}",
            f"deterministic: effective headcount {self.effective_headcount:.1f} x "
            f"{amount(self.rep_year)} per ramped rep-year = {amount(self.expected)}",
            f"naive plan (deterministic figure = target): {naive}",
        ])

    def save(self, out: str | Path) -> list[Path]:
        """hiring_plan.csv, bookings.csv (one row per trial), curve.csv, summary.csv and
        capacity.json (the inputs, scenario included, and the versions of spmsim and numpy),
        all written before any replaces the previous run's."""
        out = Path(out)
        bookings = pd.DataFrame({"trial": np.arange(self.trials), "bookings": self.bookings})
        return write_files(out, {
            "hiring_plan.csv": text_writer(csv_text(self.schedule.round(6))),
            "bookings.csv": text_writer(csv_text(bookings.round(2))),
            "curve.csv": text_writer(csv_text(self.curve.round(6))),
            "summary.csv": text_writer(csv_text(self.summary())),
            "capacity.json": text_writer(json.dumps(
                {**self.capacity.model_dump(mode="json"), **versions()}, indent=1) + "\n")})


def _period(year_start: date, month: int) -> str:
    """`2027-03` for plan month 3 of a year starting in January 2027 (0: `2026-12`)."""
    total = year_start.year * MONTHS + year_start.month - 1 + month - 1
    return f"{total // MONTHS}-{total % MONTHS + 1:02d}"


def _schedule(capacity: Capacity, seats: Seats, k: int, draws: SeatDraws,
              headcount: np.ndarray, effective: np.ndarray, expected: np.ndarray
              ) -> pd.DataFrame:
    """The plan with k new hires by month, from the first requisition to month 12; figures
    of the year are blank before it. Exits and backfills are simulated means."""
    role = capacity.scenario.org.roles[capacity.role]
    used = seats.fixed + k
    starts = seats.new_months[:k]
    requisitions = starts - capacity.hiring.lead_months
    months = np.arange(min(1, int(requisitions.min()) if k else 1), MONTHS + 1)
    year = months >= 1
    committed = np.zeros(MONTHS, dtype=int)
    for h in role.hires:
        committed[h.month - 1] += h.count

    def in_year(values: np.ndarray) -> np.ndarray:
        out = np.full(months.size, np.nan)
        out[year] = values
        return out

    table = pd.DataFrame({
        "month": months, "period": [_period(capacity.scenario.year_start, m) for m in months],
        "requisitions": [(requisitions == m).sum() for m in months],
        "new_hires": [(starts == m).sum() for m in months],
        "committed_hires": in_year(committed),
        "expected_exits": in_year(draws.exits[:used].sum(0)),
        "expected_backfills": in_year(draws.backfills[:used].sum(0)),
        "headcount": in_year(headcount[:used].sum(0)),
        "effective_headcount": in_year(effective[:used].sum(0)),
        "deterministic_bookings": in_year(expected[:used].sum(0)),
        "mean_bookings": in_year(draws.monthly[:used].sum(0)),
    })
    if isinstance(capacity.target, tuple):
        table["target"] = in_year(np.asarray(capacity.target))
    return table


def _unreachable(capacity: Capacity, seats: Seats, best: float, se: float) -> InputError:
    h = capacity.hiring
    currency = capacity.scenario.org.roles[capacity.role].plan.currency
    return InputError(capacity.source, [Problem("target", (
        f"{money(capacity.annual_target, currency, 0)} is met with probability {percent(best)} +- "
        f"{percent(se)} at most, below {percent(capacity.probability, 0)}, even with all "
        f"{seats.new_months.size} new hires the hiring limits allow (hiring: first start in "
        f"month {h.first_start}, "
        f"max_per_month {h.max_per_month}, max_total {h.max_total or 'none'}): lower the "
        "target or the probability, or allow more or earlier hires"))])


@dataclass(frozen=True)
class Search:
    """Every plan of k = 0 .. limit new hires on the same draws, and the deterministic
    figures; `curve` tabulates them."""

    capacity: Capacity
    seats: Seats
    draws: SeatDraws
    year: np.ndarray  # (trials, k) the year's bookings of the plan with k new hires
    probability: np.ndarray  # (k,) estimated P(target met)
    se: np.ndarray  # (k,) its Monte Carlo standard error
    headcount: np.ndarray  # (seats, 12) expected in seat
    effective: np.ndarray  # (seats, 12) expected effective headcount
    expected: np.ndarray  # (seats, 12) deterministic bookings
    deterministic: np.ndarray  # (k, checks) deterministic bookings to date
    rates: np.ndarray  # (12,) month rates
    rep_month: float  # mean bookings of a ramped rep-month

    @property
    def deterministic_meets(self) -> np.ndarray:
        return (self.deterministic >= self.capacity.target_to_date).all(-1)

    @property
    def curve(self) -> pd.DataFrame:
        p10, p50, p90 = np.percentile(self.year, [10, 50, 90], axis=0)
        return pd.DataFrame({
            "hires": np.arange(self.probability.size), "probability": self.probability,
            "se": self.se, "bookings_mean": self.year.mean(0), "bookings_p10": p10,
            "bookings_p50": p50, "bookings_p90": p90,
            "deterministic": self.deterministic[:, -1],
            "deterministic_meets": self.deterministic_meets})


def _prefix(fixed: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Bookings of the plans with 0, 1, ... new hires: fixed seats + the first k new ones."""
    zero = np.zeros((*new.shape[:-2], 1, new.shape[-1]))
    return fixed[..., None, :] + np.concatenate([zero, np.cumsum(new, axis=-2)], axis=-2)


def search(capacity: Capacity, *, progress: bool = True,
           root: np.random.SeedSequence | None = None) -> Search:
    """Simulate every seat once and evaluate every plan on those draws; `root` is the
    streams' root (default: `SeedSequence(capacity.seed)`)."""
    seats = seats_of(capacity)
    n = capacity.trials
    draws = simulate_seats(capacity, seats, n, capacity.seed if root is None else root,
                           progress)
    to_date = _prefix(draws.fixed, draws.new)  # (trials, k, checks)
    probability = (to_date >= capacity.target_to_date).all(-1).mean(0)
    market = capacity.scenario.market[capacity.role]
    rates = market.month_rates(PlanCalendar(capacity.scenario.year_start).period_days)
    headcount, effective = seat_headcount(seats)
    rep_month = ramped_rep_month(market, seats.role)
    expected = effective * rates * rep_month
    to_date_det = np.cumsum(expected, axis=1)[:, capacity.checks]
    return Search(capacity, seats, draws, to_date[..., -1], probability,
                  np.sqrt(probability * (1 - probability) / n), headcount, effective,
                  expected, _prefix(to_date_det[:seats.fixed].sum(0), to_date_det[seats.fixed:]),
                  rates, rep_month)


def plan_capacity(capacity: Capacity, *, progress: bool = True) -> CapacityPlan:
    """The fewest new hires, front-loaded, that meet the target with the probability."""
    if not isinstance(capacity, Capacity):  # a CapacityMix: `roles:` in the file
        raise InputError(capacity.source, [Problem("roles", (
            "several roles are planned together by `spmsim capacity FILE` (or "
            "`spmsim.capacity.plan_mix`); this plan and the capacity report take one role: "
            "give `role:` and `hiring:` instead of `roles:`"))])
    s = search(capacity, progress=progress)
    enough = np.flatnonzero(s.probability >= capacity.probability)
    if not enough.size:
        raise _unreachable(capacity, s.seats, float(s.probability[-1]), float(s.se[-1]))
    k = int(enough[0])
    naive = np.flatnonzero(s.deterministic_meets)
    naive_k = int(naive[0]) if naive.size else None
    used = s.seats.fixed + k
    return CapacityPlan(
        capacity=capacity, hires=k,
        start_months=tuple(int(m) for m in s.seats.new_months[:k]),
        probability=float(s.probability[k]), se=float(s.se[k]), bookings=s.year[:, k].copy(),
        schedule=_schedule(capacity, s.seats, k, s.draws, s.headcount, s.effective,
                           s.expected),
        curve=s.curve, expected=float(s.deterministic[k, -1]),
        effective_headcount=float((s.effective[:used].sum(0) * s.rates).sum() / MONTHS),
        rep_year=s.rep_month * MONTHS, naive_hires=naive_k,
        naive_probability=None if naive_k is None else float(s.probability[naive_k]),
        seed=capacity.seed)
