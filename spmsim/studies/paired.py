"""How sure we are that one design beats another: the paired difference on common draws.

When two variants are simulated on the same draws (common random numbers: a study's
variants share the study seed unless it says `common_draws: false`), trial i of each is
the same simulated year: the same deals, skills and exits, paid under two plans. The
difference d_i = (recommended - other)_i, turned so that a positive d means the
recommended is better, is then the design's effect in that year, free of the noise two
separate runs would add. From the n differences:

* the mean advantage and its standard error s_d / sqrt(n) (a 95 % interval of +-1.96 SE);
* P10 and P90 of d: the range of a single year's advantage (8 years in 10 fall inside);
* P(recommended better): the share of simulated years in which it comes out ahead (a tie
  counts half);
* too close to call when the 95 % interval of the mean includes zero, and the trials that
  would separate the two if the advantage stays this size: n = ((1.96 + 0.84) s_d / mean)^2,
  the usual sample size for a two-sided 5 % test with 80 % power.

On independent draws (`paired=False`) the trials cannot be matched: the standard error is
Welch's, sqrt(s_a^2 / n_a + s_b^2 / n_b), and no single-year figures are given.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

Z_95 = 1.959963984540054  # two-sided 5 %
Z_POWER = 0.8416212335729143  # 80 % power


@dataclass(frozen=True)
class Difference:
    """The advantage of `better` over `other` on one metric (positive: `better` is better)."""

    better: str
    other: str
    paired: bool
    n: int
    mean: float
    se: float
    p10: float | None  # a single year's advantage (paired only)
    p90: float | None
    prob_better: float | None  # share of years `better` comes out ahead (paired only)

    def as_dict(self) -> dict:
        """Every figure, the derived ones included (for study.json)."""
        return {**asdict(self), "low": self.low, "high": self.high,
                "too_close": self.too_close, "identical": self.identical,
                "trials_needed": self.trials_needed}

    @property
    def low(self) -> float:
        """Lower end of the 95 % interval of the mean advantage."""
        return self.mean - Z_95 * self.se

    @property
    def high(self) -> float:
        return self.mean + Z_95 * self.se

    @property
    def identical(self) -> bool:
        """The two give the same result in every simulated year."""
        return self.paired and self.se == 0 and self.mean == 0

    @property
    def too_close(self) -> bool:
        """True when the 95 % interval of the mean advantage includes zero."""
        return self.identical or self.low <= 0 <= self.high

    @property
    def trials_needed(self) -> int | None:
        """Trials (per variant) at which an advantage of this size would be told apart from
        zero with 80 % power; None when there is no advantage to find."""
        if self.mean == 0 or not math.isfinite(self.se):
            return None
        spread = self.se * math.sqrt(self.n)  # s_d (paired) or sqrt(s_a^2 + s_b^2)
        return max(self.n, math.ceil(((Z_95 + Z_POWER) * spread / abs(self.mean)) ** 2))


def difference(better: np.ndarray, other: np.ndarray, *, paired: bool, goal: str = "max",
               names: tuple[str, str] = ("recommended", "runner-up")) -> Difference:
    """The advantage of `better` over `other` per trial (`goal` max: higher is better;
    min: lower is better); trials with a missing value in either are left out."""
    a, b = np.asarray(better, dtype=float), np.asarray(other, dtype=float)
    sign = 1.0 if goal == "max" else -1.0
    if paired:
        if a.shape != b.shape:
            raise ValueError("paired: both variants need the same trials")
        keep = np.isfinite(a) & np.isfinite(b)
        d = sign * (a[keep] - b[keep])
        n = len(d)
        if n < 2:
            raise ValueError("a paired difference needs at least two trials")
        se = float(d.std(ddof=1) / math.sqrt(n))
        p10, p90 = (float(v) for v in np.percentile(d, [10, 90]))
        prob = float((np.sum(d > 0) + 0.5 * np.sum(d == 0)) / n)
        return Difference(names[0], names[1], True, n, float(d.mean()), se, p10, p90, prob)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        raise ValueError("a difference needs at least two trials of each variant")
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return Difference(names[0], names[1], False, min(len(a), len(b)),
                      float(sign * (a.mean() - b.mean())), se, None, None, None)
