"""Numbers as people read them, one formatter for every surface (CLI text, statements,
reports, the designer): amounts with thousands separators, shares in per cent, money with
its currency and a compact form ($11.6M) for headlines."""

from __future__ import annotations

import math
import re

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


def signed_money(x: float, currency: str | None = "USD") -> str:
    """A change in money, compact and signed: +$1.2M, -$84K, $0."""
    text = compact_money(abs(x), currency)
    if text == "-" or abs(x) < 0.5:
        return text if text == "-" else compact_money(0.0, currency)
    return ("+" if x > 0 else "-") + text


def points(x: float, decimals: int = 1) -> str:
    """A change of a share in percentage points: 0.0123 -> '+1.2 pts'."""
    value = round(x * 100, decimals)
    return f"{value:+.{decimals}f} pts" if value else f"{0:.{decimals}f} pts"


def multiple(x: float) -> str:
    """A rate multiplier as people write it: 2.0 -> '2x', 1.5 -> '1.5x', 0.875 -> '0.88x'."""
    return f"{x:.3g}x" if x >= 1 else f"{x:.2g}x"


def count(n: float, word: str, plural: str | None = None) -> str:
    """3, 'rep' -> '3 reps'; 1, 'rep' -> '1 rep' (whole numbers with separators)."""
    n = int(round(n))
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def tick(ok: bool | None) -> str:
    """A check shown to a reader: ✓ met, ✗ missed, - unknown."""
    return "-" if ok is None else ("✓" if ok else "✗")


# words written in capitals when an identifier is turned into a label
ACRONYMS = {"ae", "am", "arr", "acv", "mrr", "mbo", "kpi", "smb", "sdr", "bdr", "ote", "ti",
            "spif", "spiff", "crm", "cv", "id", "p10", "p50", "p90", "usd", "fte", "ltv",
            "emea", "apac", "us", "uk"}


# words readers spell otherwise than the identifier (the component type `spiff`)
SPELLED = {"spiff": "SPIF"}


def label(name: str) -> str:
    """An identifier as a label: 'flat_growth_quotas' -> 'Flat growth quotas',
    'new_arr' -> 'New ARR', 'smb_ae' -> 'SMB AE'. Text with spaces is left as it is."""
    text = str(name)
    if " " in text.strip() or not text:
        return text
    words = [w for w in text.replace("-", "_").split("_") if w]
    out = [SPELLED.get(w.lower(), w.upper() if w.lower() in ACRONYMS else w.lower())
           for w in words]
    if out and out[0].islower():
        out[0] = out[0][0].upper() + out[0][1:]
    return " ".join(out)


def words(name: str) -> str:
    """An identifier mid-sentence: 'new_arr' -> 'new ARR', 'spiff' -> 'SPIF' (`label`,
    lower case first unless it is an acronym)."""
    text = label(name)
    first = text.split(" ", 1)[0]
    return text if not text or first.isupper() else text[0].lower() + text[1:]


def percent_short(x: float) -> str:
    """A share without a needless decimal: 0.09 -> '9%', 0.095 -> '9.5%'."""
    whole = abs(x * 100 - round(x * 100)) < 1e-9
    return percent(x, 0) if whole else percent(x, 1)


def plan_role_label(plan_name: str, role: str) -> str:
    """A role as a reader names it, from its plan's name: without the year and any note in
    brackets ('Enterprise AE FY27 (proposed)' -> 'Enterprise AE'), else the id as a label."""
    name = re.sub(r"\s*\(.*?\)", "", plan_name)
    name = re.sub(r"\s+(FY\s?\d{2,4}|\d{4}|H[12]|Q[1-4])\b.*$", "", name).strip()
    return name or label(role)
