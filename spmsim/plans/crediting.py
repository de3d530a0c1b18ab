"""Crediting rules: how much of each deal a plan pays on, deal by deal, before any tier.

A plan's `crediting:` maps a measure to a rule. The rule turns a whole deal's amount into
its credited value: the windfall clause first, on the deal's size as booked (the amount
above a deal size counts at a reduced rate; rate 0 caps each deal), then the rate of its
deal attribute (a table keyed by a deals.csv column such as `product`, or the number in a
column such as `gross_margin`). A rep's split or overlay share is taken of the credited value. The
same function serves replay (deals read from a file) and simulation (deal sizes drawn).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import Field, model_validator

from spmsim.config import MAX_RATE, Frozen, Money, Rate

COLUMN_PATTERN = r"^[a-z][a-z0-9_]*$"


class Windfall(Frozen):
    """Large-deal clause: of a deal's amount above `above`, only `rate` is credited."""

    above: Money = Field(gt=0, description="deal size (whole deal, before splits) above "
                         "which credit is reduced")
    rate: float = Field(ge=0, lt=1, description="share of the amount above `above` that is "
                        "credited; 0 caps each deal's credit at `above`")

    def credited(self, amount: np.ndarray) -> np.ndarray:
        """Credited value of whole deals; a credit memo (negative) mirrors a deal."""
        size = np.abs(amount)
        above = np.maximum(size - self.above, 0.0)
        return np.sign(amount) * (size - (1.0 - self.rate) * above)


class AttributeRates(Frozen):
    """A credit rate per deal, read from a deals.csv column.

    With `rates`, the column holds a label (product, contract type) and each label has its
    rate; labels not listed take `default`, or are an error without one. Without `rates`,
    the column holds the rate itself, a number (gross margin 0.35 credits 35 % of the deal).
    """

    column: str = Field(pattern=COLUMN_PATTERN, description="the deals.csv column to read")
    rates: dict[str, Rate] | None = Field(None, description="label -> credit rate (1.0: "
                                          "the whole amount)")
    default: Rate | None = Field(None, ge=0, description="rate of labels not in `rates`")

    @model_validator(mode="after")
    def _rates(self) -> AttributeRates:
        if self.rates is not None:
            if not self.rates:
                raise ValueError("rates: list at least one label, e.g. {software: 1.0}")
            bad = [k for k, v in self.rates.items() if v < 0]
            if bad:
                raise ValueError(f"rates.{bad[0]}: a rate is >= 0")
        elif self.default is not None:
            raise ValueError("`default` goes with a `rates` table; without one the column "
                             "holds each deal's rate")
        return self

    def rate_of(self, values: np.ndarray) -> np.ndarray:
        """Each deal's rate from its column value (labels, or numbers as text or floats)."""
        if self.rates is None:
            return np.asarray(values, dtype=float)
        fallback = np.nan if self.default is None else self.default
        return np.array([self.rates.get(str(v), fallback) for v in values], dtype=float)

    def problems(self, values: np.ndarray) -> np.ndarray:
        """True where a value cannot be rated (an unknown label, or not a number)."""
        if self.rates is None:
            rate = np.array([_number(v) for v in values])
            return ~np.isfinite(rate) | (rate < 0) | (rate > MAX_RATE)
        if self.default is not None:
            return np.zeros(len(values), dtype=bool)
        return ~np.isin(np.asarray(values, dtype=str), list(self.rates))


def _number(text: object) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return np.nan


class CreditRule(Frozen):
    """How one measure's deals are credited: a windfall clause, then an attribute rate."""

    by: AttributeRates | None = Field(None, description="a credit rate by deal attribute")
    windfall: Windfall | None = Field(None, description="reduced credit above a deal size")

    @model_validator(mode="after")
    def _something(self) -> CreditRule:
        if self.by is None and self.windfall is None:
            raise ValueError("give `by` (a rate by deal attribute), `windfall`, or both")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """deals.csv columns this rule reads."""
        return () if self.by is None else (self.by.column,)

    def credited(self, amount: np.ndarray, attributes: Mapping[str, np.ndarray]
                 | None = None) -> np.ndarray:
        """Credited value of whole deals (before split shares)."""
        value = np.asarray(amount, dtype=float)
        if self.windfall is not None:
            value = self.windfall.credited(value)
        if self.by is not None:
            value = value * self.by.rate_of(np.asarray((attributes or {})[self.by.column]))
        return value

    def steps(self, amount: float, attributes: Mapping[str, object], money) -> list[str]:
        """One deal's credited value step by step (`money` formats amounts)."""
        out, value = [], float(amount)
        w = self.windfall
        if w is not None and abs(value) > w.above:
            sign = "-" if value < 0 else ""
            value = float(w.credited(np.array(value)))
            out.append(f"windfall: {sign}({money(w.above)} + {w.rate:.0%} x "
                       f"{money(abs(amount) - w.above)}) = {money(value)}")
        if self.by is not None:
            label = attributes[self.by.column]
            rate = float(self.by.rate_of(np.array([label]))[0])
            what = f"{self.by.column} {label}" if self.by.rates is not None else self.by.column
            out.append(f"{what}: {money(value)} x {rate:g} = {money(value * rate)}")
        return out

    def explain(self, currency_money) -> list[str]:
        """The rule in words, for a statement."""
        lines = []
        if self.windfall is not None:
            w = self.windfall
            lines.append(f"windfall: of a deal above {currency_money(w.above)}, the part above "
                         f"counts at {w.rate:.0%}")
        if self.by is not None:
            if self.by.rates is None:
                lines.append(f"credit = amount x the deal's {self.by.column}")
            else:
                table = ", ".join(f"{k} {v:g}" for k, v in self.by.rates.items())
                other = "" if self.by.default is None else f", others {self.by.default:g}"
                lines.append(f"credit = amount x rate by {self.by.column} ({table}{other})")
        return lines


def credit_deals(crediting: Mapping[str, CreditRule], measure: np.ndarray, amount: np.ndarray,
                 attributes: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Credited value of whole deals of several measures; measures without a rule keep
    their amount. `attributes` holds the columns the rules read, one value per deal."""
    value = np.array(amount, dtype=float)
    attributes = attributes or {}
    for m, rule in crediting.items():
        sel = np.asarray(measure) == m
        if sel.any():
            value[sel] = rule.credited(value[sel], {c: np.asarray(attributes[c])[sel]
                                                    for c in rule.columns})
    return value
