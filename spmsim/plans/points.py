"""Curves written as [attainment, value] points: the check every such curve shares."""

from __future__ import annotations


def rising_points(curve: tuple, value: str) -> tuple:
    """`curve` unchanged if it has points, none negative, attainment strictly rising;
    ValueError naming the point otherwise (`value` names the second number)."""
    if not curve:
        raise ValueError(f"give at least one [attainment, {value}] point")
    for i, (x, y) in enumerate(curve):
        if x < 0 or y < 0:
            raise ValueError(f"curve[{i}]: attainment and {value} must be >= 0")
        if i and x <= curve[i - 1][0]:
            raise ValueError(f"curve[{i}]: attainment must rise ({x} is not above "
                             f"{curve[i - 1][0]})")
    return curve
