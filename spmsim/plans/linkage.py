"""Linkages between measures: a component unlocked, or its pay scaled, by another measure.

`unlock` holds back a component (or only its accelerators) until the rep's year-to-date
attainment on another measure reaches a level, e.g. accelerators on new business only once
renewals reach 90 % of their quota. `modifier` multiplies a component's earnings by a
curve of another measure's year-to-date attainment, e.g. a margin or retention modifier.
Both are judged period by period on year-to-date figures, so pay held back while a link
is closed is paid (trued up) in the period it opens, as any YTD plan pays.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from spmsim.config import EDGE_TOLERANCE, MEASURE_PATTERN, Frozen, Rate
from spmsim.plans.points import rising_points


class Unlock(Frozen):
    """Pay `applies_to` only once YTD attainment on `measure` reaches `at`."""

    measure: str = Field(pattern=MEASURE_PATTERN, description="the measure that unlocks")
    at: Rate = Field(gt=0, description="its YTD attainment needed, a fraction of its quota "
                     "(0.9 is 90 %)")
    applies_to: Literal["component", "accelerators"] = Field(
        "component", description="component: nothing is paid while locked; accelerators: "
        "bands above quota pay the rate at quota while locked (commission on attainment)")

    def is_open(self, attainment: np.ndarray) -> np.ndarray:
        return attainment + EDGE_TOLERANCE >= self.at


class Modifier(Frozen):
    """Earnings x curve(YTD attainment on `measure`), linear between points, flat beyond."""

    measure: str = Field(pattern=MEASURE_PATTERN, description="the measure read")
    curve: tuple[tuple[Rate, Rate], ...] = Field(
        description="[[attainment, multiplier], ...], attainment rising")

    @field_validator("curve")
    @classmethod
    def _rising(cls, curve):
        return rising_points(curve, "multiplier")

    def factor(self, attainment: np.ndarray) -> np.ndarray:
        xs = np.array([x for x, _ in self.curve])
        ys = np.array([y for _, y in self.curve])
        return np.interp(attainment, xs, ys)


def without_accelerators(tiers: tuple, above: float = 1.0) -> list[dict]:
    """Tiers with every band from `above` (quota) up paid at the rate of the band below."""
    rate_below = next((t.rate for t in tiers if t.upto is None or t.upto >= above),
                      tiers[-1].rate)
    kept = [t.model_dump() for t in tiers if t.upto is not None and t.upto < above]
    return [*kept, {"rate": rate_below}]


def linked_measures(component) -> list[str]:
    """Measures a component reads besides its own."""
    return [link.measure for link in (component.unlock, component.modifier)
            if link is not None]
