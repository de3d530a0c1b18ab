"""Contest: prizes by rank over a window of periods, or a prize for everyone over a bar.

Reps are ranked on the window's credit, on attainment of the window's share of the quota,
or on growth: (window credit - last year's credit in the same window) / last year's, where
last year's is the annual figure prorated to the window by the plan's quota weights; a rep
with no last year (a new hire) is not in the running.

The window is consecutive payout periods (`periods`) or dates (`dates`, both days
inclusive). A dated window is placed on the plan's calendar when the plan is validated:
the periods it touches are its window, and the credit it is ranked on is the credit
inside the dates, which the caller supplies (replay: by deal dates exactly; the engines:
each month's credit x the share of its days inside; otherwise each period's credit x the
share of its days inside).

Reps are ranked against the other reps evaluated with them (the rep axis, second to last:
the reps on the plan in replay, a role's seats in a simulated trial). On team credit the
teams are ranked and a team's prize is split equally among its members. A rep is in the
running when their score over the window is above zero and at least `qualify`. The prize is
earned in the window's last period. Ties, by `ties`:

- `split`: the tied reps share the prizes of the places they fill (two tied for first with
  prizes 10,000 and 5,000 get 7,500 each), so the prizes paid never exceed the list;
- `duplicate`: each tied rep gets the prize of the best place they share, and the places
  they fill are used up (ranks 1, 1, 3: "standard competition ranking");
- `next`: each tied rep gets that prize and the next rep takes the next place (ranks
  1, 1, 2: "dense ranking"); the two last can pay more than the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, PrivateAttr, field_validator, model_validator

from spmsim.calendar import PlanCalendar
from spmsim.config import EDGE_TOLERANCE, Frozen, Money
from spmsim.format import money, percent
from spmsim.plans.components.base import Component, Context


@dataclass(frozen=True)
class Standing:
    """Each rep's place after every period of the window; arrays (..., reps, periods).

    score: window credit (or attainment) to date; 0 before the window opens.
    rank: 1-based place among the reps in the running (0: not in the running).
    prize: what the rep would win if the contest ended then.
    """

    score: np.ndarray
    rank: np.ndarray
    prize: np.ndarray


class ContestDates(Frozen):
    """A contest window by dates, both days inclusive."""

    start: date = Field(description="the window's first day")
    end: date = Field(description="the window's last day (inclusive)")

    @model_validator(mode="after")
    def _ordered(self) -> ContestDates:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def shares(self, calendar: PlanCalendar) -> np.ndarray:
        """(periods,) share of each of the calendar's periods' days inside the window."""
        return calendar.active_share(np.array([self.start], "M8[D]"),
                                     np.array([self.end], "M8[D]"))[0]


class Contest(Component):
    """Prizes by rank of credit or attainment over a window of payout periods."""

    kind: ClassVar[str] = "contest"
    type: Literal["contest"] = "contest"
    ranked: ClassVar[bool] = True
    rank_by: Literal["credit", "attainment", "growth"] = Field(
        "credit", description="rank on the window's credit (or units), on attainment of "
        "the window's share of the annual quota, or on growth over the same window last "
        "year (reps with no last year do not qualify)")
    periods: tuple[int, ...] | None = Field(
        None, description="1-based payout periods the contest runs over, consecutive; "
        "the whole year if omitted")
    dates: ContestDates | None = Field(
        None, description="instead of periods: the window's first and last day, e.g. "
        "{start: 2027-10-15, end: 2027-11-30}; credit counts by deal date")
    prizes: tuple[Money, ...] | None = Field(
        None, description="prize by place: [first, second, ...]")
    each: Money | None = Field(
        None, gt=0, description="instead of places: this prize for every rep who qualifies")
    qualify: Money = Field(
        0.0, ge=0, description="least score to be in the running: credit, attainment "
        "as a fraction (1.0 = the window's quota), or growth as a fraction (0.1 = 10 % "
        "over last year)")
    scope: Literal["role", "company"] = Field(
        "role", description="rank the reps evaluated together (a role's seats, the reps on "
        "the plan), or the reps of every role (every plan in replay) whose plan has a "
        "company contest of this name, together")
    ties: Literal["split", "duplicate", "next"] = Field(
        "split", description="tied reps share the prizes of their places (split), each take "
        "the best one and use up the places (duplicate), or each take it and the next rep "
        "takes the next place (next)")

    @field_validator("periods")
    @classmethod
    def _window(cls, periods):
        if periods is None:
            return periods
        if not periods or min(periods) < 1:
            raise ValueError("periods are 1-based payout periods, e.g. [10, 11, 12]")
        if list(periods) != list(range(periods[0], periods[0] + len(periods))):
            raise ValueError(f"a contest runs over consecutive periods, e.g. "
                             f"[{periods[0]}, {periods[0] + 1}]; got {list(periods)}")
        return periods

    # share of each payout period's days inside `dates`, set by the plan (`place_dates`)
    _shares: tuple[float, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _one_way_to_win(self) -> Contest:
        if self.dates is not None and self.periods is not None:
            raise ValueError("give the window as `periods` or as `dates`, not both")
        if (self.prizes is None) == (self.each is None):
            raise ValueError("give `prizes` by place or one prize `each` for every qualifier")
        if self.prizes is not None and (not self.prizes or min(self.prizes) < 0):
            raise ValueError("prizes are amounts by place, e.g. [10000, 5000, 2500]")
        if self.prizes is not None and list(self.prizes) != sorted(self.prizes, reverse=True):
            raise ValueError("prizes run from first place down: each no larger than the one "
                             "before")
        if self.each is not None and self.qualify <= 0:
            raise ValueError("a prize for each qualifier needs the bar: set `qualify`")
        if self.cap is not None:
            raise ValueError("a contest pays fixed prizes: it takes no cap")
        if self.scope == "company" and self.credit == "team":
            raise ValueError("a company contest ranks reps across roles: it takes no "
                             "`credit: team`")
        return self

    @property
    def needs_quota(self) -> bool:
        return self.rank_by == "attainment"

    def agrees_with(self, other: Contest) -> bool:
        """The same contest but for the measure: what company contests of one name in
        several plans must be, since their reps are ranked together."""
        return self.model_dump(exclude={"measure"}) == other.model_dump(exclude={"measure"})

    @property
    def needs_last_year(self) -> bool:
        """Ranked on growth: the evaluation needs last year's credit on the measure."""
        return self.rank_by == "growth"

    def is_monotone(self) -> bool:
        return True  # a rep's prize never falls as their own credit rises

    def place_dates(self, shares: np.ndarray) -> None:
        """Place a dated window on the plan's calendar: the share of each payout period's
        days inside it (the plan calls this when it is validated)."""
        self._shares = tuple(float(x) for x in shares)

    def shares(self, n_periods: int) -> np.ndarray:
        """(n_periods,) share of each period's days inside the window (1 or 0 for a window
        of periods)."""
        if self.dates is None:
            return self.window(n_periods).astype(float)
        if len(self._shares) != n_periods:
            raise ValueError(f"contest {self.name!r} runs by dates: evaluate it in its plan, "
                             "which places them on its calendar")
        return np.array(self._shares)

    def window(self, n_periods: int) -> np.ndarray:
        """(n_periods,) True for the periods the contest's window touches."""
        if self.dates is not None:
            return self.shares(n_periods) > 0
        mask = np.zeros(n_periods, dtype=bool)
        first, last = (1, n_periods) if self.periods is None else \
            (self.periods[0], self.periods[-1])
        if last > n_periods:
            raise ValueError(f"contest {self.name!r} runs to period {last}, past the plan's "
                             f"{n_periods}")
        mask[first - 1:last] = True
        return mask

    def total_prizes(self) -> float | None:
        """The prize list's sum (None for a prize each: it depends on who qualifies)."""
        return None if self.prizes is None else float(sum(self.prizes))

    def _scores(self, ctx: Context) -> np.ndarray:
        """Window credit (attainment, growth) to date, (..., reps, periods); growth is NaN
        for a rep with no last year."""
        n = ctx.n_periods
        inside = self.window(n)
        score = np.cumsum(ctx.period_credit * inside, axis=-1)
        if self.rank_by == "attainment":
            window_quota = ctx.quota * (self.shares(n).sum() / n)
            score = score / np.where(window_quota > 0, window_quota, np.nan)
            score = np.nan_to_num(score, nan=0.0)
        elif self.rank_by == "growth":
            last = self._last_year_to_date(ctx)
            score = (score - last) / np.where(last > 0, last, np.nan)
        return np.where(np.cumsum(inside) > 0, score, 0.0)

    def _last_year_to_date(self, ctx: Context) -> np.ndarray:
        """Last year's credit in the window to date, (..., reps, periods)."""
        if ctx.last_year is None:
            raise ValueError(f"contest {self.name!r} ranks on growth: pass last year's "
                             f"{self.measure!r} credit (`last_year`)")
        return np.cumsum(np.broadcast_to(ctx.last_year, ctx.period_credit.shape)
                         * self.window(ctx.n_periods), axis=-1)

    def standing(self, ctx: Context) -> Standing:
        """Places and prizes as they stand after each period (the leaderboard)."""
        score = self._scores(ctx)
        if self.credit == "team":
            return self._team_standing(score, ctx.team)
        single = score.ndim == 1  # one rep on its own
        s = score[None] if single else score
        rank, prize = self._places(np.swapaxes(s, -1, -2))  # reps last for the ranking
        out = [np.swapaxes(a, -1, -2) for a in (rank, prize)]
        if single:
            out = [a[0] for a in out]
        return Standing(score=score, rank=out[0], prize=out[1])

    def _team_standing(self, score: np.ndarray, team: np.ndarray | None) -> Standing:
        """Teams ranked on their team credit (every member holds it), each team's prize
        split equally among its members."""
        if team is None:
            raise ValueError(f"contest {self.name!r} ranks teams: pass `team` labels")
        if score.ndim == 1:
            score = score[None]
        _, first, codes, size = np.unique(np.asarray(team), return_index=True,
                                          return_inverse=True, return_counts=True)
        rank, prize = self._places(np.swapaxes(score[..., first, :], -1, -2))
        rank, prize = (np.swapaxes(a, -1, -2)[..., codes, :] for a in (rank, prize))
        return Standing(score=score, rank=rank, prize=prize / size[codes][:, None])

    def _places(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rank, prize) of scores s (..., reps), ranked along the last axis."""
        running = (s > 0) & (s + EDGE_TOLERANCE >= self.qualify)
        if self.each is not None:
            return running.astype(np.int64), np.where(running, self.each, 0.0)
        key = np.where(running, s, -np.inf)
        order = np.argsort(-key, axis=-1, kind="stable")
        ranked = np.take_along_axis(key, order, axis=-1)  # best first
        reps = s.shape[-1]
        pos = np.broadcast_to(np.arange(reps), ranked.shape)
        new = np.ones(ranked.shape, dtype=bool)
        new[..., 1:] = ranked[..., 1:] != ranked[..., :-1]
        first = np.maximum.accumulate(np.where(new, pos, 0), axis=-1)  # first place of a tie
        ends = np.ones(ranked.shape, dtype=bool)
        ends[..., :-1] = new[..., 1:]
        last = np.flip(np.minimum.accumulate(
            np.flip(np.where(ends, pos, reps), axis=-1), axis=-1), axis=-1)
        dense = np.cumsum(new, axis=-1) - 1
        table = np.zeros(reps + 1)
        table[:min(reps, len(self.prizes))] = self.prizes[:reps]
        if self.ties == "split":
            sums = np.concatenate([[0.0], np.cumsum(table[:reps])])
            prize_sorted = (sums[last + 1] - sums[first]) / (last - first + 1)
        else:
            prize_sorted = table[dense if self.ties == "next" else first]
        place = (dense if self.ties == "next" else first) + 1
        inverse = np.argsort(order, axis=-1, kind="stable")
        prize = np.take_along_axis(prize_sorted, inverse, axis=-1)
        rank = np.take_along_axis(place, inverse, axis=-1)
        return np.where(running, rank, 0), np.where(running, prize, 0.0)

    def contention(self, ctx: Context) -> np.ndarray:
        """(..., reps, periods) True where a rep is in contention after the period: inside
        the window, booking for the periods left at their own pace in the window so far
        would reach today's prize line (the last paid place's score, or the bar); after the
        window's last period, where they win a prize. False outside the window."""
        n = ctx.n_periods
        inside = self.window(n)
        s = self.standing(ctx)
        share = self.shares(n)  # a dated window's first and last periods count in part
        elapsed = np.cumsum(share)
        left = share.sum() - elapsed
        reach = self._reach(ctx, s.score, elapsed, left)
        if self.each is not None:
            line = np.full(s.score.shape, max(self.qualify, 0.0))
        else:
            k = len(self.prizes)
            scores = s.score if s.score.ndim > 1 else s.score[None]
            reps = scores.shape[-2]
            if reps <= k:
                kth = np.zeros(scores.shape[:-2] + (1, n))
            else:
                known = np.where(np.isnan(scores), -np.inf, scores)  # no last year
                kth = -np.partition(-known, k - 1, axis=-2)[..., k - 1:k, :]
            line = np.maximum(np.broadcast_to(kth, scores.shape), self.qualify)
            line = line if s.score.ndim > 1 else line[0]
        near = (reach > 0) & (reach + EDGE_TOLERANCE >= line)
        out = np.where(left > 0, near, s.prize > 0)
        return out & inside

    def _reach(self, ctx: Context, score: np.ndarray, elapsed: np.ndarray,
               left: np.ndarray) -> np.ndarray:
        """The score at the window's end if the rep books at their pace so far."""
        if self.rank_by != "growth":  # credit and attainment grow with window credit
            return score + score / np.maximum(elapsed, 1e-9) * left
        inside = self.window(ctx.n_periods)
        credit = np.cumsum(ctx.period_credit * inside, axis=-1)
        whole = self._last_year_to_date(ctx)[..., -1:]  # last year's whole window
        at_end = credit * (elapsed + left) / np.maximum(elapsed, 1e-9)
        return (at_end - whole) / np.where(whole > 0, whole, np.nan)

    def earned_ytd(self, ctx: Context) -> np.ndarray:
        n = ctx.n_periods
        return self.paid_at_end(self.final_prizes(self.standing(ctx)), n)

    def final_prizes(self, standing: Standing) -> np.ndarray:
        """(..., reps) the prizes as the window closes."""
        return standing.prize[..., np.flatnonzero(self.window(standing.prize.shape[-1]))[-1]]

    def paid_at_end(self, final: np.ndarray, n_periods: int) -> np.ndarray:
        """Earned to date (..., reps, periods) of prizes `final` (..., reps): earned in the
        window's last period."""
        end = np.flatnonzero(self.window(n_periods))[-1]
        return np.asarray(final)[..., None] * (np.arange(n_periods) >= end)

    def explain(self, ytd: float, quota: float | None, target: float,
                n_periods: int = 12) -> list[str]:
        window = f"{self.dates.start:%d %b %Y} to {self.dates.end:%d %b %Y}" if self.dates \
            else "the year" if self.periods is None else \
            f"periods {self.periods[0]}-{self.periods[-1]}"
        how = f"{money(self.each)} to every rep at or above {self._bar()}" if self.each else \
            "prizes " + ", ".join(money(p) for p in self.prizes) + f" by place (ties: {self.ties})"
        return [f"contest over {window} on {self.rank_by}: {how}"]

    def _bar(self) -> str:
        return money(self.qualify) if self.rank_by == "credit" else percent(self.qualify)

    def explain_standing(self, standing: Standing, i: int, t: int) -> list[str]:
        """One rep's place after period t (0-based) and the gap to the next better prize."""
        score, rank = standing.score[..., t], standing.rank[..., t]
        prize = standing.prize[..., t]
        show = money if self.rank_by == "credit" else percent
        if not self.window(standing.score.shape[-1])[t]:
            return []
        if np.isnan(score[i]):
            return ["not in the running: no credit last year to grow from (a new hire)"]
        if rank[i] == 0:
            lines = [f"not in the running: {show(float(score[i]))}, the bar is "
                     f"{self._bar() if self.qualify > 0 else 'above zero'}"]
        else:
            lines = [f"place {int(rank[i])} of {int((rank > 0).sum())} with "
                     f"{show(float(score[i]))}: prize {money(float(prize[i]))} if it ended now"]
        better = prize > prize[i] + EDGE_TOLERANCE
        if better.any():  # the least score that wins more: draw level with it
            gap = max(float(score[better].min() - score[i]), self.qualify - float(score[i]))
            more = "more growth" if self.rank_by == "growth" else "more"
            lines.append(f"{show(gap)} {more} to draw level with a larger prize "
                         f"({money(float(prize[better].min()))})")
        return lines
