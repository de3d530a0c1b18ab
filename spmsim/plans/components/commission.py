"""Commission on credited amounts: tiered (marginal or retroactive), gated, capped."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from spmsim.config import EDGE_TOLERANCE, MAX_RATE, Frozen, Money, Rate
from spmsim.format import money, percent
from spmsim.plans.basis import Basis
from spmsim.plans.components.base import Component, Context


class Tier(Frozen):
    """A band of the rate table; `upto` is its upper edge, omitted on the last (open) band."""

    upto: Money | None = Field(None, gt=0)
    rate: Rate = Field(ge=0)


class Commission(Component):
    """Pays a rate on credit, band by band of a tier table.

    Band edges are fractions of quota (`tier_basis: attainment`) or currency
    (`tier_basis: amount`). Rates are multiples of the base rate, target / quota
    (`rates: multiplier`), or shares of the credited amount (`rates: percent`).
    `marginal` pays each band at its own rate; `retroactive` pays all credit at the rate
    of the band reached (a band runs from its lower edge, inclusive, to `upto`, exclusive).
    Below `threshold` (same basis as the edges) nothing is paid; at it, from the first dollar.
    """

    kind: ClassVar[str] = "commission"
    type: Literal["commission"] = "commission"
    weight: Rate | None = Field(None, gt=0, description="share of TI; target = TI x weight")
    mode: Literal["marginal", "retroactive"] = "marginal"
    rates: Literal["multiplier", "percent"] = "multiplier"
    tier_basis: Literal["attainment", "amount"] = "attainment"
    tiers: tuple[Tier, ...] = (Tier(rate=1.0),)
    threshold: Money | None = Field(None, ge=0)
    basis: Basis | None = Field(
        None, description="what attainment is judged on: ytd_prorated (quota to date), annual "
        "or period; the plan's `basis` if omitted"
    )

    @field_validator("tiers")
    @classmethod
    def _contiguous(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        if not tiers:
            raise ValueError("give at least one tier, e.g. [{rate: 1.0}]")
        for i, tier in enumerate(tiers[:-1]):
            if tier.upto is None:
                raise ValueError(f"tiers[{i}].upto: only the last tier may be open-ended")
            if i and tier.upto <= tiers[i - 1].upto:
                raise ValueError(
                    f"tiers[{i}].upto: tiers must start where the previous one ends and rise "
                    f"({tier.upto} is not above {tiers[i - 1].upto})"
                )
        if tiers[-1].upto is not None:
            raise ValueError(
                f"tiers[{len(tiers) - 1}].upto: the last tier is open-ended; remove its `upto`"
            )
        return tiers

    @model_validator(mode="after")
    def _target_when_needed(self) -> Commission:
        if self.weight is None and self.rates == "multiplier":
            raise ValueError("`weight` is required with `rates: multiplier` (rate = target/quota)")
        if self.weight is None and self.cap is not None and self.cap.of_target is not None:
            raise ValueError("`cap.of_target` needs a `weight` to define the target")
        if self.tier_basis == "attainment":
            edges = [t.upto for t in self.tiers if t.upto is not None] + [self.threshold or 0]
            if max(edges) > MAX_RATE:
                raise ValueError(f"tiers: with `tier_basis: attainment` edges and threshold are "
                                 f"fractions of quota, at most {MAX_RATE:g} (1.5 is 150 %)")
        if self.basis is not None and self.tier_basis == "amount":
            raise ValueError("`basis` judges attainment; with `tier_basis: amount` the edges are "
                             "amounts of credit to date: remove `basis`")
        return self

    def judged_on(self, plan_basis: Basis) -> Basis | None:
        return (self.basis or plan_basis) if self.tier_basis == "attainment" else None

    @property
    def needs_quota(self) -> bool:
        return self.rates == "multiplier" or self.tier_basis == "attainment"

    @property
    def edges(self) -> np.ndarray:
        """Lower edges of the bands, starting at 0."""
        return np.array([0.0] + [t.upto for t in self.tiers[:-1]])

    @property
    def rate_values(self) -> np.ndarray:
        return np.array([t.rate for t in self.tiers])

    def is_monotone(self) -> bool:
        """True when earnings never fall as credit rises (marginal, or rising retro rates)."""
        return self.mode == "marginal" or bool(np.all(np.diff(self.rate_values) >= 0))

    def _scale(self, quota, target):
        """(unit of the band axis, currency paid per unit of x at rate 1.0)."""
        unit = quota if self.tier_basis == "attainment" else 1.0
        per_credit = target / quota if self.rates == "multiplier" else 1.0
        return unit, per_credit * unit

    def _g(self, x: np.ndarray) -> np.ndarray:
        """Rate-weighted position on the band axis: earnings = scale x g(x)."""
        edges, rates = self.edges, self.rate_values
        if self.mode == "retroactive":
            band = np.searchsorted(edges, x + EDGE_TOLERANCE, side="right") - 1
            g = rates[np.clip(band, 0, None)] * np.maximum(x, 0.0)
        else:
            cum = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(edges))])
            g = np.interp(x, edges, cum)
            above = x - edges[-1]
            np.maximum(above, 0.0, out=above)
            above *= rates[-1]
            g += above
        if self.threshold:
            reach = x + EDGE_TOLERANCE
            g *= reach >= self.threshold
        return g

    def earned_ytd(self, ctx: Context) -> np.ndarray:
        unit, scale = self._scale(ctx.quota, ctx.target)
        return scale * self._g(ctx.ytd / unit)

    def explain(self, ytd: float, quota: float | None, target: float,
                n_periods: int = 12) -> list[str]:
        unit, scale = self._scale(quota, target)
        x = ytd / unit
        basis = "of quota" if self.tier_basis == "attainment" else ""
        fmt = (lambda v: f"{percent(v)}") if self.tier_basis == "attainment" else money
        lines = []
        if self.rates == "multiplier":
            lines.append(f"base rate = target {money(target)} / quota {money(quota)}"
                         f" = {target / quota:.4%} of credit")
        if self.threshold and x + EDGE_TOLERANCE < self.threshold:
            return lines + [f"{fmt(x)} {basis} is below the threshold {fmt(self.threshold)}:"
                            " nothing earned"]
        if self.threshold:
            lines.append(f"{fmt(x)} {basis} reaches the threshold {fmt(self.threshold)}: paid "
                         "from the first dollar")
        rate_word = "x base rate" if self.rates == "multiplier" else "of credit"
        per_credit = scale / unit
        edges, rates = self.edges, self.rate_values
        uppers = list(edges[1:]) + [np.inf]
        if self.mode == "retroactive":
            band = int(np.searchsorted(edges, x + EDGE_TOLERANCE, side="right") - 1)
            lines.append(f"{fmt(x)} {basis} reaches band {band + 1}: all credit at "
                         f"{rates[band]:g} {rate_word} = {money(scale * self._g(x))}")
            return lines
        for i, (lo, hi, rate) in enumerate(zip(edges, uppers, rates, strict=True)):
            in_band = min(max(x - lo, 0.0), hi - lo)
            if in_band <= 0:
                break
            top = "" if hi == np.inf else f"-{fmt(hi)}"
            lines.append(f"band {i + 1} ({fmt(lo)}{top}): {money(in_band * unit)} credit x "
                         f"{rate:g} {rate_word} = {money(in_band * unit * rate * per_credit)}")
        return lines
