"""Numbers as people read them, one formatter for every surface (CLI text, statements,
reports, the designer): amounts with thousands separators, shares in per cent, money with
its currency and a compact form ($11.6M) for headlines."""

from __future__ import annotations

import math

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}


def amount(x: float, decimals: int = 0) -> str:
    """1234567.8 -> '1,234,568' (or with `decimals` places)."""
    return f"{x:,.{decimals}f}"


def percent(x: float, decimals: int = 1) -> str:
    """0.4213 -> '42.1%'."""
    return f"{x:.{decimals}%}"


def money(x: float, currency: str | None = None, decimals: int = 2) -> str:
    """1234.5 -> '1,234.50', or with a currency '$1,234.50' / '1,234.50 SEK'."""
    text, sign = amount(abs(x), decimals), "-" if x < 0 else ""
    if currency is None:
        return sign + text
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def compact_money(x: float, currency: str | None = "USD") -> str:
    """11_600_000 -> '$11.6M', 84_000 -> '$84K', 950 -> '$950' (three figures at most)."""
    if not math.isfinite(x):
        return "-"
    size = abs(x)
    scale, suffix = next(((s, u) for s, u in ((1e9, "B"), (1e6, "M"), (1e3, "K"))
                          if size >= s * 0.9995), (1.0, ""))
    value = size / scale
    text = f"{value:.3g}" if value < 1000 else f"{value:,.0f}"
    sign = "-" if x < 0 else ""
    symbol = SYMBOLS.get(currency or "", "")
    body = f"{text}{suffix}"
    if currency and not symbol:
        return f"{sign}{body} {currency}"
    return f"{sign}{symbol}{body}"
