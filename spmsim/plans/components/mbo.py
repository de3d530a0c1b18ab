"""MBO / KPI scorecard: each assessed score in [0, 1] pays its share of the target."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from spmsim.config import Rate
from spmsim.format import money
from spmsim.plans.components.base import Component, Context

ASSESSMENTS_PER_YEAR = {"quarter": 4, "year": 1}


class MBO(Component):
    """Each score credited in a period is one assessment and pays target x score / n.

    n is the number of assessments a year: one per payout period (`assessed: period`),
    4 (`quarter`) or 1 (`year`).
    """

    kind: ClassVar[str] = "mbo"
    scored: ClassVar[bool] = True
    type: Literal["mbo"] = "mbo"
    weight: Rate = Field(gt=0, description="share of TI; target = TI x weight")
    assessed: Literal["period", "quarter", "year"] = "period"

    def assessments(self, n_periods: int) -> int:
        return ASSESSMENTS_PER_YEAR.get(self.assessed, n_periods)

    def is_monotone(self) -> bool:
        return True

    def earned_ytd(self, ctx: Context) -> np.ndarray:
        return ctx.target * ctx.ytd / self.assessments(ctx.n_periods)

    def explain(self, ytd: float, quota: float | None, target: float,
                n_periods: int = 12) -> list[str]:
        n = self.assessments(n_periods)
        return [f"scores to date {ytd:.2f} / {n} assessments a year x target {money(target)}"
                f" = {money(target * ytd / n)}"]
