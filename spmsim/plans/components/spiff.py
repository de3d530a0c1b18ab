"""SPIF: a fixed amount per unit or per deal credited inside a window of periods."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from spmsim.config import Money
from spmsim.format import money
from spmsim.plans.components.base import Component, Context


class Spiff(Component):
    """Pays `per_unit` x credited units, or `per_deal` x deals, in the listed periods (1-based)."""

    kind: ClassVar[str] = "spiff"
    type: Literal["spiff"] = "spiff"
    per_unit: Money | None = Field(None, gt=0)
    per_deal: Money | None = Field(None, gt=0)
    periods: tuple[int, ...] | None = Field(
        None, description="1-based payout periods; all if omitted"
    )

    @field_validator("periods")
    @classmethod
    def _positive(cls, periods):
        if periods is not None and (not periods or min(periods) < 1):
            raise ValueError("periods are 1-based payout periods, e.g. [1, 2, 3]")
        return periods

    @model_validator(mode="after")
    def _one_rate(self) -> Spiff:
        if (self.per_unit is None) == (self.per_deal is None):
            raise ValueError("give exactly one of `per_unit` or `per_deal`")
        if self.cap is not None and self.cap.of_target is not None:
            raise ValueError("a SPIF has no target: cap it with `amount`")
        return self

    def is_monotone(self) -> bool:
        return True

    def window(self, n_periods: int) -> np.ndarray:
        mask = np.ones(n_periods, dtype=bool)
        if self.periods is not None:
            mask[:] = False
            mask[[p - 1 for p in self.periods]] = True
        return mask

    def earned_ytd(self, ctx: Context) -> np.ndarray:
        if self.per_deal is not None:
            if ctx.counts is None:
                raise ValueError(f"SPIF {self.name!r} pays per deal: pass deal counts")
            units, rate = ctx.counts, self.per_deal
        else:
            units, rate = ctx.period_credit, self.per_unit
        return rate * np.cumsum(units * self.window(ctx.n_periods), axis=-1)

    def explain(self, ytd: float, quota: float | None, target: float,
                n_periods: int = 12) -> list[str]:
        what = f"{money(self.per_deal)} per deal" if self.per_deal else \
            f"{money(self.per_unit)} per unit"
        return [f"{what} in periods {list(self.periods or ['all'])}"]
