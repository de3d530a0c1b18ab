"""Bonus paid as a fraction of target from a curve of attainment (linear or steps)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from spmsim.config import EDGE_TOLERANCE, Rate
from spmsim.format import money, percent
from spmsim.plans.basis import Basis
from spmsim.plans.components.base import Component, Context


class Bonus(Component):
    """Pays target x curve(YTD attainment); nothing below the first point, flat past the last.

    With `steps: true` it pays the value of the last point reached instead of interpolating.
    """

    kind: ClassVar[str] = "bonus"
    type: Literal["bonus"] = "bonus"
    weight: Rate = Field(gt=0, description="share of TI; target = TI x weight")
    curve: tuple[tuple[Rate, Rate], ...] = Field(
        description="[[attainment, fraction of target], ...], attainment rising"
    )
    steps: bool = False
    basis: Basis | None = Field(
        None, description="what attainment is judged on: ytd_prorated (quota to date), annual "
        "or period; the plan's `basis` if omitted"
    )

    @field_validator("curve")
    @classmethod
    def _rising(cls, curve):
        if not curve:
            raise ValueError("give at least one [attainment, fraction] point")
        for i, (x, y) in enumerate(curve):
            if x < 0 or y < 0:
                raise ValueError(f"curve[{i}]: attainment and fraction must be >= 0")
            if i and x <= curve[i - 1][0]:
                raise ValueError(f"curve[{i}]: attainment must rise ({x} is not above "
                                 f"{curve[i - 1][0]})")
        return curve

    def judged_on(self, plan_basis: Basis) -> Basis | None:
        return self.basis or plan_basis

    @property
    def needs_quota(self) -> bool:
        return True

    def is_monotone(self) -> bool:
        return bool(np.all(np.diff([y for _, y in self.curve]) >= 0))

    def fraction(self, attainment: np.ndarray) -> np.ndarray:
        xs = np.array([x for x, _ in self.curve])
        ys = np.array([y for _, y in self.curve])
        reach = attainment + EDGE_TOLERANCE
        if self.steps:
            idx = np.searchsorted(xs, reach, side="right") - 1
            f = ys[np.clip(idx, 0, None)]
        else:
            f = np.interp(attainment, xs, ys)
        return np.where(reach >= xs[0], f, 0.0)

    def earned_ytd(self, ctx: Context) -> np.ndarray:
        return ctx.target * self.fraction(ctx.ytd / ctx.quota)

    def explain(self, ytd: float, quota: float | None, target: float,
                n_periods: int = 12) -> list[str]:
        a = ytd / quota
        f = float(self.fraction(np.asarray(a)))
        how = "step reached" if self.steps else "curve, linear between points"
        return [f"attainment {percent(a)} of quota {money(quota)} -> {percent(f)} of target "
                f"({how})",
                f"target {money(target)} x {percent(f)} = {money(target * f)}"]
