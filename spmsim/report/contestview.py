"""The report's contest section: for each design with a contest, what it costs, who wins
and how concentrated the prizes are (a contest only the best reps win is a bonus for the
best)."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from spmsim.engines.contests import ContestSummary, contest_roles
from spmsim.engines.contests import contest_summaries as role_contests
from spmsim.format import compact_money, label, money, percent_short
from spmsim.report.studyview import StudyView, esc
from spmsim.report.tables import html_table
from spmsim.studies.describe import role_label


def contest_summaries(view: StudyView) -> list[tuple[str, ContestSummary]]:
    """(variant, summary) for every contest of every design and role."""
    return [(v, s) for v, r in view.results.items() for role in contest_roles(r)
            for s in role_contests(r, role)]


def contest_sentence(view: StudyView, variant: str, s: ContestSummary) -> str:
    cur = view.currency
    who = role_label(view.results[variant].scenario, s.role)
    by = s.by_decile
    top, bottom = by.iloc[-1], by.iloc[0]
    cost = s.cost
    spread = "the same every year (every prize is always won)" if cost["p10"] == cost["p90"] \
        else f"from {compact_money(cost['p10'], cur)} to {compact_money(cost['p90'], cur)} " \
             f"in 8 years of 10"
    return (f"<p><b>{esc(label(variant))}</b>, {esc(who)}: the contest "
            f"<i>{esc(label(s.contest))}</i> costs "
            f"{compact_money(cost['p50'], cur)} in a typical year, {spread}. "
            f"{percent_short(s.win_share)} of reps win a prize in a year. The most productive "
            f"tenth of reps win {percent_short(s.top_decile_share)} of the prize money, with a "
            f"{percent_short(top['p_win'])} chance of a prize each, against "
            f"{percent_short(bottom['p_win'])} for the least productive tenth."
            f"{_contention(s)}</p>")


def _contention(s: ContestSummary) -> str:
    """Who is still in the race as the window runs (empty without figures)."""
    if len(s.contention) < 2:
        return ""
    shares = ", ".join(percent_short(x) for x in s.contention[:-1])
    return (f" Still in contention (on their own pace, able to reach a prize) after each "
            f"period of the window but the last: {shares}.")


def decile_table(view: StudyView, s: ContestSummary) -> pd.DataFrame:
    by = s.by_decile
    return pd.DataFrame({
        "Productivity tenth": [("least productive" if d == 1 else "most productive"
                                if d == len(by) else _ordinal(d)) for d in by["decile"]],
        "Chance of a prize": [percent_short(p) for p in by["p_win"]],
        "Average prize a year": [money(v, view.currency, 0) for v in by["mean_prize"]]})


def _ordinal(n: int) -> str:
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n if n < 20 else n % 10, 'th')}"


def contest_section(view: StudyView) -> list:
    """The section's parts: nothing when no design has a contest."""
    found = contest_summaries(view)
    if not found:
        return []
    parts = [HTML("<h2>Contests</h2><p>Who wins each design's contest over the simulated "
                  "years. Reps are grouped into tenths by how productive they are (skill, "
                  "ramp and territory); a contest that only the most productive tenth wins "
                  "pays the best, and gives the rest little reason to push.</p>")]
    for variant, s in found:
        parts.append(HTML(contest_sentence(view, variant, s)))
        parts.append(HTML(html_table(decile_table(view, s), row_header=False,
                                     caption=f"Who wins: {label(variant)}, "
                                             f"{label(s.contest)}")))
    return parts
