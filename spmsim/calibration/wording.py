"""Fitted figures in the analyst's words: each estimate's label and its value with its
unit (money, per cent, days, counts), for `spmsim calibrate`'s printout. The field paths
stay in the `.calibration.json` beside the scenario, for whoever edits it."""

from __future__ import annotations

import re

from spmsim.calibration.fit import SIZE_MODELS, Estimate
from spmsim.format import label, money, percent, words

# parameter -> (label, kind); kinds: count, rate (a plain number), share, money, days, months
FIXED = {
    "headcount": ("Reps in seat on the export date", "count"),
    "inactive_reps": ("Reps with no opportunity in the window", "count"),
    "opportunities_per_month": ("Opportunities a rep a month", "rate"),
    "win_rate": ("Win rate", "share"),
    "skill_sigma": ("Spread of rep productivity (lognormal sigma)", "rate"),
    "ramp.months": ("Ramp: months to full productivity", "months"),
    "ramp.start": ("Ramp: productivity in the first month", "share"),
    "attrition.annual": ("Reps leaving a year", "share"),
    "attrition.backfill_months": ("Months to fill a vacated seat", "months"),
    "stale_open_deals": ("Open deals past their expected close", "count"),
    "bands": ("Deal-size bands", "count"),
}
PATTERNS = [
    (r"deals_per_month\.(\w+)", "Won deals a rep a month, {0}", "rate"),
    (r"size\.(\w+)\.median", "Deal size, median, {0}", "money"),
    (r"size\.(\w+)\.mean", "Deal size, mean, {0}", "money"),
    (r"size\.(\w+)\.sigma", "Deal size spread (lognormal sigma), {0}", "rate"),
    (r"size\.(\w+)\.ks_statistic", "Lognormal fit to {0} sizes: Kolmogorov-Smirnov statistic",
     "rate"),
    (r"size\.(\w+)\.ks_pvalue", "Lognormal fit to {0} sizes: p-value", "rate"),
    (r"size\.(\w+)\.(\w+)\.mean_error", "Deal size, {1} model: mean error, {0}",
     "signed share"),
    (r"size\.(\w+)\.model", "Deal-size model, {0}", "model"),
    (r"quota\.(\w+)", "Quota a rep, {0}", "money"),
    (r"stages\.(.+)\.days", "Stage {0}: mean days in it", "days"),
    (r"stages\.(.+)\.to_next", "Stage {0}: share moving on", "share"),
]


def wording(parameter: str) -> tuple[str, str] | None:
    """(label, kind) of a fitted parameter, or None for those the printout leaves out."""
    if parameter in FIXED:
        return FIXED[parameter]
    for pattern, text, kind in PATTERNS:
        m = re.fullmatch(pattern, parameter)
        if m:
            parts = [words(g) if "_" in g or g.islower() else g for g in m.groups()]
            return text.format(*parts), kind
    return None


def value_text(kind: str, value: float, se: float | None = None,
               currency: str | None = None) -> str:
    """A value (and its standard error) in its unit."""
    def one(x: float, digits: int) -> str:
        if kind == "count":
            return f"{x:,.0f}"
        if kind == "share":
            return percent(x)
        if kind == "signed share":
            return f"{x:+.1%}"
        if kind == "money":
            return money(x, currency, 0)
        # significant digits, never more than three decimals
        return f"{round(x, 3):.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"
    if kind == "model":
        return label(list(SIZE_MODELS)[int(value)])
    text = one(value, 3)
    if se is not None and kind not in ("count", "model"):
        text += f" ± {one(se, 2).lstrip('+')}"
    if kind in ("days", "months"):
        text += f" {kind}"
    return text


def estimate_line(e: Estimate, currency: str | None = None) -> str | None:
    """One printout line: label, value ± standard error, and the sample it rests on."""
    found = wording(e.parameter)
    if found is None:
        return None
    name, kind = found
    sample = f"n = {e.n:,}" if e.n else "given"
    return f"  {name:<62} {value_text(kind, e.estimate, e.se, currency):<22} {sample}"
