"""The payout engine: one vectorised evaluation of a plan over arrays of any leading shape.

Arrays are (..., reps, periods) with the plan's payout periods last; the same call serves
historical replay (reps, periods) and simulation (trials, reps, periods). Commissions and
bonuses accrue on YTD credit, judged against the quota to date, the annual quota or each
period's own quota (`plans.basis`); each period pays the YTD increment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from spmsim.plans import basis, timing
from spmsim.plans.components import Component, Context, Tier
from spmsim.plans.linkage import linked_measures, without_accelerators
from spmsim.plans.model import Plan


@dataclass(frozen=True)
class PlanInputs:
    """What a plan is evaluated on. Every array is (..., reps, periods) unless noted.

    Attributes:
        credit: credited amount per measure and period (a rep's share after splits).
        quota: annual quota per measure, broadcastable to (..., reps).
        paid_from: first period each rep is paid by this plan, broadcastable to (...,
            reps): a blended segment is evaluated on the year's credit since its start and
            pays what it earns from that period on (None: from the first).
        quota_due: quota due in each period per measure, (..., reps, periods): a dated
            schedule (relief from a date, a ramp quota, a leave) that replaces `quota` for
            its measure; the annual quota is its sum and gates judge its share to date.
        active: share of each period's days the rep is on the plan (None: all of it).
        cancelled: credit of deals cancelled inside the clawback window, as (..., reps,
            booked, cancelled-in) periods; or (..., reps, periods) by cancellation period,
            taken as booked then (exact for tiers and curves on YTD credit, not for SPIF
            windows or per-period caps).
        counts: deals per period, for per-deal SPIFs.
        cancelled_counts: cancelled deals, shaped like `cancelled`, for per-deal SPIFs.
        new_hire: True for reps who start after the year's first day, broadcastable to
            (..., reps); needed by draws for new hires when `active` is given.
        team: integer team label per rep, shape (reps,): team totals summed within these
            arrays (unless `team_inputs` holds them), and teams ranked by team contests.
        team_inputs: precomputed team totals, shaped like `credit` (its credit, counts and
            cancelled fields), for teams that span reps outside these arrays (replay across
            plans).
        last_year: last year's annual credit per measure, broadcastable to (..., reps), NaN
            for a rep with none (a new hire): what contests on growth compare with.
        window_credit: credit inside a dated contest's window per period, by the contest's
            name: by deal date in replay, each month's credit x the share of its days
            inside in the engines. Without it, each period's credit x that share.
    """

    credit: Mapping[str, np.ndarray]
    quota: Mapping[str, np.ndarray] = field(default_factory=dict)
    quota_due: Mapping[str, np.ndarray] = field(default_factory=dict)
    paid_from: np.ndarray | None = None
    active: np.ndarray | None = None
    cancelled: Mapping[str, np.ndarray] = field(default_factory=dict)
    counts: Mapping[str, np.ndarray] = field(default_factory=dict)
    cancelled_counts: Mapping[str, np.ndarray] = field(default_factory=dict)
    new_hire: np.ndarray | None = None
    team: np.ndarray | None = None
    team_inputs: PlanInputs | None = None
    last_year: Mapping[str, np.ndarray] = field(default_factory=dict)
    window_credit: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Payout:
    """A plan's payouts. Per-component arrays are (components, ..., reps, periods).

    Attributes:
        plan: the plan evaluated.
        components: the components' names, in the plan's order.
        credit: credit each component paid on, per period (team sums for team components).
        earned_ytd: earned to date per component, after component caps and clawback, before
            the plan cap.
        payable_ytd: the same as paid by each period: a component paid less often than the
            plan holds what it earned until the end of its own pay period.
        clawback_ytd: amount reversed to date by the clawback, per component.
        plan_cap_ytd: (..., periods), <= 0: the plan cap's cut to date.
        ti: (...,) target incentive prorated by active days.
        base: (...,) base salary prorated by active days.
        deferred_ytd: (..., periods) earned but not yet due (components paid less often).
        held_ytd: (..., periods) withheld by the holdback and not yet released.
        paid: (..., periods) increment of total payable to date (earned, less deferred and
            held), before draws.
        draw: (..., periods) advanced by the draw guarantee.
        recovered: (..., periods) earlier draws recovered.
        net_paid: (..., periods) paid + draw - recovered.
        draw_balance: (..., periods) recoverable draw still outstanding.
    """

    plan: Plan
    components: tuple[str, ...]
    credit: np.ndarray  # credit each component paid on, per period (team sums for team ones)
    earned_ytd: np.ndarray  # after component caps and clawback, before the plan cap
    payable_ytd: np.ndarray  # earned_ytd as due by each period (pay frequency)
    clawback_ytd: np.ndarray  # amount reversed to date by the clawback
    plan_cap_ytd: np.ndarray  # (..., P), <= 0: the plan cap's cut to date
    ti: np.ndarray  # (...,) target incentive prorated by active days
    base: np.ndarray  # (...,) base salary prorated by active days
    deferred_ytd: np.ndarray  # (..., P) earned, not yet due
    held_ytd: np.ndarray  # (..., P) withheld by the holdback, not yet released
    paid: np.ndarray  # (..., P) increment of total payable YTD, before draws
    draw: np.ndarray  # (..., P) advanced by the draw guarantee
    recovered: np.ndarray  # (..., P) earlier draws recovered
    net_paid: np.ndarray  # (..., P) paid + draw - recovered
    draw_balance: np.ndarray  # (..., P) recoverable draw still outstanding

    @property
    def total_earned_ytd(self) -> np.ndarray:
        return self.earned_ytd.sum(axis=0) + self.plan_cap_ytd

    @property
    def annual_net_paid(self) -> np.ndarray:
        return self.net_paid.sum(axis=-1)


def team_sum(values: np.ndarray, team: np.ndarray) -> np.ndarray:
    """Each rep's team total of `values` (..., reps, periods), by a one-hot matrix product."""
    _, codes = np.unique(team, return_inverse=True)
    onehot = np.zeros((codes.max() + 1, codes.size))
    onehot[codes, np.arange(codes.size)] = 1.0
    return onehot.T @ (onehot @ values)


def last_year_series(plan: Plan, inputs: PlanInputs, c: Component) -> np.ndarray | None:
    """Last year's credit on c's measure per period (..., reps, P): the annual figure
    prorated by the plan's quota weights (days without them), and for a dated window by
    the share of each period's days inside it; a team component's is the
    team's total (from `team_inputs` when given; members with none add nothing). None when
    c does not rank on growth."""
    if not getattr(c, "needs_last_year", False):
        return None
    team = c.credit == "team"
    src = inputs.team_inputs if team and inputs.team_inputs is not None else inputs
    if c.measure not in src.last_year:
        raise ValueError(f"contest {c.name!r} ranks on growth: pass last year's "
                         f"{c.measure!r} credit per rep (`last_year`)")
    annual = np.asarray(src.last_year[c.measure], dtype=float)[..., None]
    inside = c.shares(plan.calendar.n_periods)  # a dated window's part of each period
    series = annual * basis.due(plan.calendar, plan.quota_weights, None) * inside
    if team and src is inputs:
        if inputs.team is None:
            raise ValueError(f"component {c.name!r} pays on team credit: pass `team` labels")
        series = team_sum(np.nan_to_num(series), np.asarray(inputs.team))
    return series


def _lead_shape(inputs: PlanInputs) -> tuple[tuple[int, ...], int]:
    shapes = {np.shape(a) for a in inputs.credit.values()}
    if len(shapes) != 1:
        raise ValueError(f"credit arrays must share one shape, got {sorted(shapes)}")
    (shape,) = shapes
    if len(shape) < 2:
        raise ValueError("credit arrays are (..., reps, periods)")
    return shape[:-1], shape[-1]


class _Evaluator:
    """Holds the shared arrays of one evaluation so each component is one short call."""

    def __init__(self, plan: Plan, inputs: PlanInputs, lead: tuple[int, ...], ti: np.ndarray):
        self.plan, self.inputs, self.lead, self.ti = plan, inputs, lead, ti
        self.n = plan.calendar.n_periods
        self._zeros = np.zeros(lead + (self.n,))
        self.due = basis.due(plan.calendar, plan.quota_weights, inputs.active)

    def _source(self, c: Component) -> PlanInputs:
        """Where c's figures come from: precomputed team totals for team components if given."""
        team_inputs = self.inputs.team_inputs
        return team_inputs if c.credit == "team" and team_inputs is not None else self.inputs

    def _series(self, field: str, c: Component, minus: str | None = None) -> np.ndarray:
        """Per-period values of `field` (credit, counts) for c's measure, less `minus`."""
        team = c.credit == "team"
        src = self._source(c)
        values = np.asarray(getattr(src, field).get(c.measure, self._zeros), dtype=float)
        if minus:  # one variant per period t: without the deals cancelled by t
            cancelled = getattr(src, minus).get(c.measure)
            values = np.broadcast_to(values, (self.n,) + values.shape) if cancelled is None \
                else values - self._removed_by(np.asarray(cancelled, dtype=float), values.ndim)
        if team and src is self.inputs:
            if self.inputs.team is None:
                raise ValueError(f"component {c.name!r} pays on team credit: pass `team` labels")
            values = team_sum(values, np.asarray(self.inputs.team))
        return values

    def _window_credit(self, c: Component, credit: np.ndarray) -> np.ndarray:
        """The credit inside a dated contest's window: given (`window_credit`, team totals
        for a team contest), or each period's credit x the share of its days inside."""
        src = self._source(c)
        if c.name not in src.window_credit:
            return credit * c.shares(self.n)
        values = np.asarray(src.window_credit[c.name], dtype=float)
        if c.credit == "team" and src is self.inputs:
            values = team_sum(values, np.asarray(self.inputs.team))
        return np.broadcast_to(values, credit.shape)

    def _removed_by(self, cancelled: np.ndarray, ndim: int) -> np.ndarray:
        """Credit removed from each booking period once the cancellations up to t count.

        `cancelled` is (..., booked, cancelled-in) or, without booking periods, (..., P)
        taken as booked in the period of the cancellation. Returns (t, ..., booked).
        """
        pairs = cancelled if cancelled.ndim == ndim + 1 else \
            cancelled[..., None, :] * np.eye(self.n)
        return np.moveaxis(np.cumsum(pairs, axis=-1), -1, 0)

    def _quota(self, c: Component) -> np.ndarray | None:
        if c.measure in self.inputs.quota_due:
            due = np.asarray(self.inputs.quota_due[c.measure], dtype=float)
            return np.broadcast_to(due.sum(axis=-1), self.lead)[..., None]
        if c.measure not in self.inputs.quota:
            if c.needs_quota:
                raise ValueError(f"component {c.name!r} needs a quota for measure {c.measure!r}")
            return None
        q = np.broadcast_to(np.asarray(self.inputs.quota[c.measure], dtype=float), self.lead)
        return q[..., None]

    def attainment(self, measure: str, without_cancelled: bool) -> np.ndarray:
        """The rep's own attainment to date on `measure` (..., P), on the plan's basis: the
        annual quota (`annual`) or the quota due to date (otherwise); one variant per
        period t without the deals cancelled by t (t, ..., P) when it has cancellations."""
        values = np.asarray(self.inputs.credit.get(measure, self._zeros), dtype=float)
        cancelled = self.inputs.cancelled.get(measure)
        if without_cancelled and cancelled is not None:
            values = values - self._removed_by(np.asarray(cancelled, dtype=float), values.ndim)
        if measure not in self.inputs.quota and measure not in self.inputs.quota_due:
            raise ValueError(f"a component links to {measure!r}: pass its quota")
        if measure in self.inputs.quota_due:
            quota = np.asarray(self.inputs.quota_due[measure], dtype=float).sum(axis=-1)
        else:
            quota = np.asarray(self.inputs.quota[measure], dtype=float)
        quota = np.broadcast_to(quota, self.lead)[..., None]
        if self.plan.basis != "annual":
            quota = quota * basis.due_to_date(self._due(measure))
        ytd = np.cumsum(values, axis=-1)
        return np.divide(ytd, quota, out=np.zeros(np.broadcast_shapes(ytd.shape, quota.shape)),
                         where=quota > 0)

    def _linked(self, c: Component, judged: tuple, earned: np.ndarray,
                without_cancelled: bool) -> np.ndarray:
        """Earnings after c's unlock (held back while closed) and modifier (scaled);
        `judged` is what c's own earnings were judged on (credit, quota, target, ...)."""
        if c.unlock is not None:
            is_open = c.unlock.is_open(self.attainment(c.unlock.measure, without_cancelled))
            if c.unlock.applies_to == "accelerators":
                tiers = tuple(Tier(**t) for t in without_accelerators(c.tiers))
                locked = self._judged(c.model_copy(update={"tiers": tiers}), *judged)
            else:
                locked = 0.0
            earned = np.where(is_open, earned, locked)
        if c.modifier is not None:
            earned = earned * c.modifier.factor(
                self.attainment(c.modifier.measure, without_cancelled))
        return earned

    def component(self, c: Component, without_cancelled: bool) -> tuple[np.ndarray, np.ndarray]:
        """(credit per period, earned YTD after the component cap).

        Without cancelled: one variant per period t, leading axis t; a component with no
        cancellations on its measure is evaluated once and broadcast over t.
        """
        src = self._source(c)
        linked = linked_measures(c)
        if without_cancelled and c.measure not in src.cancelled and \
                c.measure not in src.cancelled_counts and \
                not any(m in self.inputs.cancelled for m in linked):
            credit, earned = self.component(c, without_cancelled=False)
            return tuple(np.broadcast_to(a, (self.n,) + a.shape) for a in (credit, earned))
        credit = self._series("credit", c, "cancelled" if without_cancelled else None)
        if getattr(c, "dates", None) is not None:
            credit = self._window_credit(c, credit)
        counts = None
        if c.measure in self._source(c).counts:
            counts = self._series("counts", c, "cancelled_counts" if without_cancelled else None)
        target = self.ti * c.target_share()
        team = None if c.credit != "team" or self.inputs.team is None else \
            np.asarray(self.inputs.team)
        quota = self._quota(c)
        last = last_year_series(self.plan, self.inputs, c)
        earned = self._judged(c, credit, quota, target[..., None], counts, team, last)
        if linked:
            judged = (credit, quota, target[..., None], counts, team)
            earned = self._linked(c, judged, earned, without_cancelled)
        if c.cap is not None:
            earned = c.cap.apply(earned, target)
        return credit, earned

    def _judged(self, c: Component, credit: np.ndarray, quota: np.ndarray | None,
                target: np.ndarray, counts: np.ndarray | None,
                team: np.ndarray | None, last_year: np.ndarray | None = None) -> np.ndarray:
        """c's earnings to date on its attainment basis: s x E(credit judged / s)."""
        how = c.judged_on(self.plan.basis) if quota is not None else None
        ytd = np.cumsum(credit, axis=-1)
        if how is None or how == "annual":
            return c.earned_ytd(Context(ytd, credit, quota, target, counts, team, last_year))
        groups = basis.pay_groups(self.n, self.plan.payout_period, c.payout_period)
        judged, share = basis.judged(how, ytd, self._due(c.measure), groups)
        if self.inputs.active is None and c.measure not in self.inputs.quota_due:
            judged /= share
        else:
            judged = np.divide(judged, share, out=np.zeros(np.broadcast_shapes(
                judged.shape, share.shape)), where=share > 0)
        earned = c.earned_ytd(Context(judged, credit, quota, target, counts, team))
        earned *= share
        return earned if how == "ytd_prorated" else basis.carried(earned, groups)

    def _due(self, measure: str) -> np.ndarray:
        """Share of the annual quota due in each period: a dated schedule's, or the plan's."""
        if measure not in self.inputs.quota_due:
            return self.due
        due = np.asarray(self.inputs.quota_due[measure], dtype=float)
        total = due.sum(axis=-1, keepdims=True)
        return np.divide(due, total, out=np.zeros_like(due), where=total > 0)

    def all_components(self, without_cancelled: bool) -> tuple[np.ndarray, np.ndarray]:
        pairs = [self.component(c, without_cancelled) for c in self.plan.components]
        if len(pairs) == 1:  # a view, not a copy
            return pairs[0][0][None], pairs[0][1][None]
        return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])

    def plan_totals(self, earned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(sum of component earnings to date, the same after the plan cap)."""
        total = earned[0] if earned.shape[0] == 1 else earned.sum(axis=0)
        return total, (total if self.plan.cap is None else self.plan.cap.apply(total, self.ti))


def _new_hires(inputs: PlanInputs, shape: tuple[int, ...]) -> np.ndarray:
    """Who counts as a new hire, shape `shape` (..., reps)."""
    if inputs.new_hire is not None:
        return np.broadcast_to(np.asarray(inputs.new_hire, dtype=bool), shape)
    if inputs.active is None:
        return np.zeros(shape, dtype=bool)  # everyone on the plan all year
    raise ValueError("the draw applies to new hires: pass `new_hire` (who started after the "
                     "year's first day); shares of periods active cannot tell a hire from a leaver")


def _draws(plan: Plan, paid: np.ndarray, active: np.ndarray, new_hire: np.ndarray | None):
    """Advance the guarantee where earnings fall short; recover it from earnings above it."""
    zeros = np.broadcast_to(0.0, paid.shape)  # read-only, no allocation
    if plan.draw is None:
        return zeros, zeros, zeros
    d = plan.draw
    on = active > 0
    in_draw = on & (np.cumsum(on, axis=-1) <= d.periods)
    if d.applies_to == "new_hires":
        in_draw &= new_hire[..., None]
    guarantee = np.where(in_draw, d.per_period * active, 0.0)
    advanced = np.where(in_draw, np.maximum(guarantee - paid, 0.0), 0.0)
    if not d.recoverable:
        return advanced, zeros, zeros
    recovered, balance = np.zeros_like(paid), np.zeros_like(paid)
    outstanding = np.zeros(paid.shape[:-1])
    for t in range(paid.shape[-1]):
        room = np.maximum(paid[..., t] - guarantee[..., t], 0.0)
        recovered[..., t] = np.minimum(outstanding, room)
        outstanding = outstanding + advanced[..., t] - recovered[..., t]
        balance[..., t] = outstanding
    return advanced, recovered, balance


def _payable(plan: Plan, earned: np.ndarray, total: np.ndarray,
             active: np.ndarray | None, lead: tuple[int, ...]):
    """(payable per component, deferred, held, total payable), all to date.

    Deferred: what components paid less often than the plan earned but is not yet due.
    Held: the holdback's share of the rest, until its release.
    """
    n = plan.calendar.n_periods
    payable, deferred = earned, np.broadcast_to(0.0, total.shape)
    slow = [k for k, c in enumerate(plan.components) if c.payout_period not in
            (None, plan.payout_period)]
    if slow:
        payable = earned.copy()
        for k in slow:
            c = plan.components[k]
            groups = basis.pay_groups(n, plan.payout_period, c.payout_period)
            payable[k] = timing.settled(earned[k], groups)
        deferred = (earned - payable).sum(axis=0)
    due = total - deferred if slow else total
    held = np.broadcast_to(0.0, total.shape)
    if plan.holdback is not None:
        held = timing.held(due, plan.holdback, timing.release_period(active, lead, n))
        due = due - held
    return payable, deferred, held, due


def _from_period(to_date: np.ndarray, start: np.ndarray) -> np.ndarray:
    """To-date figures counted from period `start` (..., P): nothing before it, and the
    value before it taken off after (start 0: unchanged)."""
    n = to_date.shape[-1]
    t = np.arange(n)
    before = np.take_along_axis(
        to_date, np.broadcast_to(np.maximum(start - 1, 0)[..., None],
                                 to_date.shape[:-1] + (1,)), axis=-1)
    before = np.where((start > 0)[..., None], before, 0.0)
    return np.where(t >= start[..., None], to_date - before, 0.0)


def _has_cancellations(inputs: PlanInputs | None) -> bool:
    """Any cancelled credit or deals, the rep's own or in precomputed team totals."""
    if inputs is None:
        return False
    return bool(inputs.cancelled or inputs.cancelled_counts) or \
        _has_cancellations(inputs.team_inputs)


def attainment_to_date(plan: Plan, inputs: PlanInputs, measure: str) -> np.ndarray:
    """A measure's attainment to date on the plan's basis, (..., reps, periods): what a
    linkage (unlock, modifier) reads, for statements."""
    lead, _ = _lead_shape(inputs)
    return _Evaluator(plan, inputs, lead, np.zeros(lead)).attainment(measure, False)


def evaluate(plan: Plan, inputs: PlanInputs) -> Payout:
    """Evaluate `plan` on whole arrays; no per-rep Python loops, inputs never mutated."""
    lead, n = _lead_shape(inputs)
    if n != plan.calendar.n_periods:
        raise ValueError(f"plan {plan.plan!r} pays by {plan.payout_period}: the last axis must "
                         f"have {plan.calendar.n_periods} periods, got {n}")
    if inputs.active is None:
        active, year_share = np.broadcast_to(1.0, lead + (n,)), np.ones(lead)
    else:
        active = np.broadcast_to(np.asarray(inputs.active, dtype=float), lead + (n,))
        year_share = plan.calendar.year_share(active)
    ti = plan.ti * year_share
    ev = _Evaluator(plan, inputs, lead, ti)

    credit, earned = ev.all_components(without_cancelled=False)
    raw, total = ev.plan_totals(earned)
    clawback = np.broadcast_to(0.0, earned.shape)
    if plan.clawback is not None and _has_cancellations(inputs):
        share = plan.clawback.share
        _, variants = ev.all_components(without_cancelled=True)  # (C, t, ..., P)
        raw_without, total_without = (np.diagonal(a, axis1=0, axis2=-1)
                                      for a in ev.plan_totals(variants))
        earned_without = np.diagonal(variants, axis1=1, axis2=-1)
        clawback = share * (earned - earned_without)
        raw = (1.0 - share) * raw + share * raw_without
        total = (1.0 - share) * total + share * total_without
        earned = earned - clawback
    if inputs.paid_from is not None:  # blended segment: pay only what accrues from then on
        start = np.broadcast_to(np.asarray(inputs.paid_from), lead)
        earned, clawback, raw, total = (_from_period(a, start)
                                        for a in (earned, clawback, raw, total))
    payable, deferred, held, due = _payable(plan, earned, total, inputs.active, lead)
    paid = np.array(due, dtype=float)  # the YTD increment of each period
    paid[..., 1:] -= due[..., :-1]
    hires = None
    if plan.draw is not None and plan.draw.applies_to == "new_hires":
        hires = _new_hires(inputs, lead)
    draw, recovered, balance = _draws(plan, paid, active, hires)
    net_paid = paid if plan.draw is None else paid + draw - recovered
    return Payout(
        plan=plan, components=tuple(c.name for c in plan.components), credit=credit,
        earned_ytd=earned, payable_ytd=payable, clawback_ytd=clawback, plan_cap_ytd=total - raw,
        deferred_ytd=deferred, held_ytd=held, ti=ti, base=plan.base_salary * year_share,
        paid=paid, draw=draw, recovered=recovered, net_paid=net_paid, draw_balance=balance,
    )
