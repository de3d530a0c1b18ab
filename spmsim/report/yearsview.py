"""Plan years in a row, for the years study: the scenario's rule for setting next year's
quotas against another (a ratchet against quotas that only grow), over several years
simulated by the agent engine, in a memo, charts and a table a reader can check.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
from IPython.display import HTML

from spmsim.engines import simulate_agents
from spmsim.engines.results import Results
from spmsim.engines.years import readable, year_over_year
from spmsim.errors import SpmsimError
from spmsim.format import compact_money, label, percent_short, points, signed_money
from spmsim.model.scenario import ALL, Scenario
from spmsim.model.years import NextYears
from spmsim.report.charts import WIDTH
from spmsim.report.studyview import StudyView, esc
from spmsim.report.tables import html_table

NAMES = {"same": "Same growth", "ratchet": "Ratchet"}


def rule_sentence(tree: dict) -> str:
    """How a scenario (its tree, as results echo it) sets the years after the first."""
    n = NextYears.model_validate(tree.get("next_years") or {})
    grows = f"grows {percent_short(n.growth)} a year" if n.growth else "stays as it was"
    said = f"Every rep's quota {grows}."
    if n.quota == "ratchet":
        said = (f"Each rep's quota {grows} and, for a rep who beat it, rises by "
                f"{percent_short(n.ratchet)} of the excess over quota")
        said += f" (and falls by {percent_short(n.relief)} of a shortfall)." if n.relief \
            else "."
    if n.market_growth:
        said += f" Deal flow grows {percent_short(n.market_growth)} a year."
    return said


def with_rule(s: Scenario, rule: str) -> Scenario:
    """The scenario with next years' quotas set by `rule`, its reps expecting it: with
    effort as a choice, they anticipate the ratchet (`effort_choice.ratchet`) under a
    ratchet and none under quotas that only grow."""
    if rule not in NAMES:
        raise SpmsimError(f"alternative: {rule!r} is not a rule for next year's quotas; use "
                          f"one of {', '.join(NAMES)}")
    rules = s.next_years.model_copy(update={"quota": rule})
    b = s.behavior
    if b.effort_choice is not None:
        expects = rules.ratchet if rule == "ratchet" else 0.0
        b = b.model_copy(update={"effort_choice": b.effort_choice.model_copy(
            update={"ratchet": expects})})
    return s.model_copy(update={"next_years": rules, "behavior": b})


def designs(s: Scenario, alternative: str | None, *, trials: int, seed: int | None = None
            ) -> dict[str, Results]:
    """The scenario as written and, with `alternative` (`same` or `ratchet`) other than its
    own rule, the same scenario with next years' quotas set that way (`with_rule`): same
    seed, so the same reps and market draws."""
    if s.years < 2:
        raise SpmsimError(f"scenario {s.scenario!r}: set `years:` to 2 or more for a study of "
                          "plan years in a row")
    runs = {"As written": s}
    if alternative is not None and alternative != s.next_years.quota:
        runs = {NAMES[s.next_years.quota]: s, NAMES[alternative]: with_rule(s, alternative)}
    return {name: simulate_agents(sc, trials=trials, seed=seed, progress=False,
                                  logged_trials=0) for name, sc in runs.items()}


def _currency(r: Results, role: str) -> str:
    return r.currency(role) or "USD"


def _table(r: Results, role: str) -> pd.DataFrame:
    return year_over_year(r.years, role)


def memo(runs: dict[str, Results], role: str = ALL) -> str:
    """The headline: where revenue, pay, quotas and the share at quota go over the years,
    design by design, and each design's difference from the first in the last year."""
    parts = []
    first_name, first_end = None, None
    for name, r in runs.items():
        t, cur = _table(r, role), _currency(r, role)
        start, end = t.iloc[0], t.iloc[-1]
        n = len(t)
        who = "the whole sales force" if role == ALL else r.group_label(role)
        parts.append(
            f"<p><b>{esc(label(name))}</b>: {esc(rule_sentence(r.scenario))} For {esc(who)}, "
            f"revenue goes from {compact_money(start['revenue'], cur)} in year 1 to "
            f"{compact_money(end['revenue'], cur)} in year {n} (mean of "
            f"{r.n_trials:,} simulated runs of {n} years), variable pay from "
            f"{compact_money(start['variable_pay'], cur)} to "
            f"{compact_money(end['variable_pay'], cur)}. Quota per rep moves from "
            f"{compact_money(start['quota_per_rep'], cur)} to "
            f"{compact_money(end['quota_per_rep'], cur)}, and the share of reps at quota "
            f"from {percent_short(start['share_at_quota'])} to "
            f"{percent_short(end['share_at_quota'])}; {end['leavers']:.1f} reps leave in "
            f"year {n}.</p>")
        if first_end is None:
            first_name, first_end = name, end
            continue
        parts.append(
            f"<p>In year {n}, <b>{esc(label(name))}</b> against <b>{esc(label(first_name))}"
            f"</b>: revenue {signed_money(end['revenue'] - first_end['revenue'], cur)}, "
            f"variable pay {signed_money(end['variable_pay'] - first_end['variable_pay'], cur)}"
            f", share of reps at quota "
            f"{points(end['share_at_quota'] - first_end['share_at_quota'])}.</p>")
    return "".join(parts)


def frame(runs: dict[str, Results], role: str = ALL) -> pd.DataFrame:
    """Tidy figures for the charts: design, year and each year's means."""
    rows = []
    for name, r in runs.items():
        t = _table(r, role).reset_index()
        t.insert(0, "design", label(name))
        t["year_label"] = [f"Year {y}" for y in t["year"]]
        rows.append(t)
    return pd.concat(rows, ignore_index=True)


def revenue_chart(runs: dict[str, Results], role: str = ALL,
                  title: str = "Revenue each plan year: mean and P10-P90") -> alt.LayerChart:
    """Mean revenue by year per design, with its P10-P90 band."""
    df = frame(runs, role)
    x = alt.X("year_label:O", title=None, sort=None)
    axis = alt.Axis(format="$,.3~s")
    band = alt.Chart(df).mark_area(opacity=0.18).encode(
        x=x, y=alt.Y("revenue_p10:Q", axis=axis, title="revenue", scale=alt.Scale(zero=False)),
        y2="revenue_p90:Q", color=alt.Color("design:N", title="design"))
    line = alt.Chart(df).mark_line(point=True, strokeWidth=2.5).encode(
        x=x, y="revenue:Q", color="design:N", strokeDash=alt.StrokeDash("design:N", legend=None))
    return (band + line).properties(width=WIDTH, height=240, title=title)


def quota_chart(runs: dict[str, Results], role: str = ALL,
                title: str = "Share of reps at quota each plan year") -> alt.Chart:
    df = frame(runs, role)
    return alt.Chart(df, title=title).mark_line(point=True, strokeWidth=2.5).encode(
        x=alt.X("year_label:O", title=None, sort=None),
        y=alt.Y("share_at_quota:Q", axis=alt.Axis(format="%"), title="reps at quota",
                scale=alt.Scale(zero=False)),
        color=alt.Color("design:N", title="design"),
        strokeDash=alt.StrokeDash("design:N", legend=None)).properties(width=WIDTH,
                                                                      height=240)


def figures(runs: dict[str, Results], role: str = ALL) -> str:
    """Each design's year-over-year table, readable, as HTML."""
    return "".join(html_table(readable(_table(r, role), _currency(r, role)).rename_axis(None),
                              caption=label(name)) for name, r in runs.items())


def years_section(view: StudyView, role: str = ALL) -> list:
    """The executive report's section on plan years in a row: nothing unless the study's
    designs were simulated for several years (agent engine, `years` above 1)."""
    runs = {v: r for v, r in view.results.items() if r.years is not None}
    if not runs:
        return []
    return [HTML("<h2>Year after year</h2><p>These designs were simulated for several plan "
                 "years in a row: reps who stay keep their skill and tenure, open deals close "
                 "the next year, and quotas are set from the year before. The figures above "
                 "are the first year's.</p>" + memo(runs, role)),
            revenue_chart(runs, role), quota_chart(runs, role), HTML(figures(runs, role))]
