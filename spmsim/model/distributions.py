"""Distributions a scenario states in YAML, selected by `type:`; each draws with a given rng.

Used for a rep's annual attainment in the attainment bookings model. Every distribution
knows its mean, so scenario summaries and closed-form tests need no sampling.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from spmsim.config import Frozen, Money, Spread
from spmsim.model.files import named_table


class Normal(Frozen):
    """Normal with `mean` and `sd`; draws below zero count as zero (no negative bookings)."""

    type: Literal["normal"] = "normal"
    mean: Money = Field(ge=0)
    sd: Money = Field(ge=0)

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return np.maximum(rng.normal(self.mean, self.sd, shape), 0.0)

    def expected(self) -> float:
        """Mean of max(X, 0) = mean x Phi(z) + sd x phi(z), z = mean / sd."""
        if self.sd == 0:
            return self.mean
        z = self.mean / self.sd
        phi = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
        return self.mean * cdf + self.sd * phi


class Lognormal(Frozen):
    """Lognormal stated by its `mean` and coefficient of variation `cv` (sd / mean)."""

    type: Literal["lognormal"] = "lognormal"
    mean: Money = Field(gt=0)
    cv: Spread = Field(ge=0)

    @property
    def sigma(self) -> float:
        return math.sqrt(math.log1p(self.cv ** 2))

    @property
    def mu(self) -> float:
        return math.log(self.mean) - self.sigma ** 2 / 2

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, shape)

    def expected(self) -> float:
        return self.mean


class History(Frozen):
    """Resampled with replacement from a column of a CSV file (e.g. last years' attainment).

    `file` is relative to the scenario file that names it.
    """

    type: Literal["history"] = "history"
    file: str
    column: str = "attainment"
    _values: np.ndarray = PrivateAttr(default_factory=lambda: np.zeros(0))

    @model_validator(mode="after")
    def _sample(self, info: ValidationInfo) -> History:
        path, table = self.file, named_table(info, self.file)
        if self.column not in table.columns:
            raise ValueError(f"{path} has no column {self.column!r} (columns: "
                             f"{', '.join(map(str, table.columns))}); set `column:`")
        values = pd.to_numeric(table[self.column], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
        if bad.size:
            raise ValueError(f"{path} line {bad[0] + 2}, column {self.column!r}: not a number "
                             f">= 0 ({table[self.column].iloc[bad[0]]!r})")
        if values.size == 0:
            raise ValueError(f"{path} has no rows to resample")
        self._values = values
        return self

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return self._values[rng.integers(0, self._values.size, shape)]

    def expected(self) -> float:
        return float(self._values.mean())


Distribution = Annotated[Normal | Lognormal | History, Field(discriminator="type")]
DISTRIBUTIONS = {m.model_fields["type"].default: m for m in (Normal, Lognormal, History)}
