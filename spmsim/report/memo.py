"""The decision memo that opens every report page, in one shape: a title and the run's
facts, what to decide, the recommendation, why (in money), the risk, how sure we are,
and any warning. Arguments are plain text (escaped here); `studymemo.memo` writes the
study's memo in the same classes, so every page reads and prints alike."""

from __future__ import annotations

import html
from collections.abc import Sequence


def _p(text: str | None, cls: str = "") -> str:
    if not text:
        return ""
    attr = f" class=\"{cls}\"" if cls else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def warning(title: str, text: str) -> str:
    """A boxed warning: '<b>title.</b> text' (both escaped)."""
    return (f"<div class=\"spmsim-warning\" role=\"note\"><b>{html.escape(title)}.</b> "
            f"{html.escape(text)}</div>")


def memo(title: str, facts: str, decision: str, recommendation: str, *,
         why: Sequence[str] = (), risk: str | None = None, sure: str | None = None,
         warnings: Sequence[tuple[str, str]] = ()) -> str:
    """The memo as HTML (every argument escaped)."""
    parts = [f"<header class=\"spmsim-memo-head\"><h1>{html.escape(title)}</h1>",
             _p(facts, "spmsim-facts"), "</header>",
             "<h2>The decision</h2>", _p(decision),
             f"<h2 class=\"spmsim-rec\">Recommendation: {html.escape(recommendation)}</h2>"]
    parts += [_p("Why: " + w[0].upper() + w[1:] if i == 0 else w) for i, w in enumerate(why)]
    parts.append(_p(f"Risk: {risk[0].upper() + risk[1:]}" if risk else None))
    if sure:
        sure = sure[0].upper() + sure[1:]
        parts.append(f"<p class=\"spmsim-sure\"><b>How sure we are.</b> "
                     f"{html.escape(sure)}</p>")
    parts += [warning(t, x) for t, x in warnings]
    return "<section class=\"spmsim-memo\">" + "".join(parts) + "</section>"
