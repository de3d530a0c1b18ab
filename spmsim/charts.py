"""Altair charts. Chart builders take summary tables, never raw draws, and compute nothing
beyond what Vega-Lite encodes."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from .io import atomic_write


def territory_map(accounts: pd.DataFrame, territory: pd.Series | list[str],
                  title: str = "Territories") -> alt.Chart:
    """Accounts as points on a US map (Albers USA), coloured by territory, sized by potential."""
    data = accounts[["account_id", "lat", "lon", "potential", "workload"]].assign(
        territory=list(territory))
    return alt.Chart(data, title=title).mark_circle(opacity=0.7).encode(
        longitude="lon:Q", latitude="lat:Q",
        color=alt.Color("territory:N", legend=None),
        size=alt.Size("potential:Q", legend=None, scale=alt.Scale(range=[4, 120])),
        tooltip=["account_id:N", "territory:N", alt.Tooltip("potential:Q", format=",.0f"),
                 alt.Tooltip("workload:Q", format=",.1f")],
    ).project(type="albersUsa").properties(width=640, height=400)


def balance_bars(table: pd.DataFrame, measure: str = "workload", band: float = 0.1,
                 title: str | None = None) -> alt.LayerChart:
    """Each territory's `measure` as bars, with the mean and the +-band lines."""
    mean = table[measure].mean()
    lines = pd.DataFrame({"value": [mean * (1 - band), mean, mean * (1 + band)],
                          "line": [f"-{band:.0%}", "mean", f"+{band:.0%}"]})
    bars = alt.Chart(table, title=title or f"{measure} by territory").mark_bar().encode(
        x=alt.X("name:N", sort="-y", title="territory", axis=alt.Axis(labels=False)),
        y=alt.Y(f"{measure}:Q", title=measure),
        tooltip=["name:N", alt.Tooltip(f"{measure}:Q", format=",.1f")])
    rules = alt.Chart(lines).mark_rule(strokeDash=[4, 3]).encode(
        y="value:Q", color=alt.Color("line:N", title=None))
    return (bars + rules).properties(width=640, height=220)


def save_html(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """One self-contained HTML file (Vega JavaScript inlined: renders with no network)."""
    return atomic_write(path, lambda tmp: chart.save(str(tmp), format="html", inline=True))


def _inline_svg(spec: dict, **_) -> dict:
    """An Altair renderer: the chart as SVG markup inside HTML (drawn by vl-convert)."""
    import vl_convert

    return {"text/html": f'<div class="spmsim-chart">{vl_convert.vegalite_to_svg(spec)}</div>'}


alt.renderers.register("spmsim_svg", _inline_svg)


def use_static_charts() -> None:
    """Notebook charts as inline SVG elements: they survive nbconvert as markup (not
    images), render with no network, and a browser can count their marks."""
    alt.renderers.enable("spmsim_svg")


def payout_curves_chart(curves: pd.DataFrame, title: str = "Payout curves") -> alt.Chart:
    """Payout as % of TI against attainment, one line per variant."""
    return alt.Chart(curves, title=title).mark_line().encode(
        x=alt.X("attainment:Q", axis=alt.Axis(format="%"), title="attainment"),
        y=alt.Y("pct_of_ti:Q", axis=alt.Axis(format="%"), title="payout, % of TI"),
        color="variant:N").properties(width=560, height=260)


def cost_chart(costs: pd.DataFrame, title: str = "Variable comp cost per plan year"
               ) -> alt.LayerChart:
    """Distribution of variable pay per variant, with P10/P50/P90 ticks and the budget."""
    base = alt.Chart(costs, title=title)
    hist = base.mark_bar(opacity=0.5).encode(
        x=alt.X("variable_pay:Q", bin=alt.Bin(maxbins=40), title="variable pay"),
        y=alt.Y("count():Q", stack=None, title="trials"), color="variant:N")
    marks = costs.groupby("variant", as_index=False)[["p10", "p50", "p90", "budget"]].first()
    lines = marks.melt(id_vars="variant", var_name="mark", value_name="value")
    rules = alt.Chart(lines).mark_rule().encode(
        x="value:Q", color="variant:N",
        strokeDash=alt.condition(alt.datum.mark == "budget", alt.value([6, 3]),
                                 alt.value([1, 0])), tooltip=["variant:N", "mark:N", "value:Q"])
    return (hist + rules).properties(width=560, height=260)


def attainment_chart(dist: pd.DataFrame, title: str = "Attainment distribution") -> alt.Chart:
    return alt.Chart(dist, title=title).mark_line(interpolate="step-after").encode(
        x=alt.X("bin_lo:Q", axis=alt.Axis(format="%"), title="attainment"),
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of reps"),
        color="variant:N").properties(width=560, height=220)


def earnings_chart(earn: pd.DataFrame, title: str = "Earnings vs OTE by rep percentile"
                   ) -> alt.Chart:
    return alt.Chart(earn, title=title).mark_bar().encode(
        x=alt.X("rep_percentile:N", title=None), xOffset="variant:N",
        y=alt.Y("earnings_vs_ote:Q", axis=alt.Axis(format="%"), title="earnings / OTE"),
        color="variant:N").properties(width=360, height=220)


def quota_chart(table: pd.DataFrame, title: str = "Quota methods: at quota and fairness"
                ) -> alt.Chart:
    """Share of reps at quota and fairness (correlation of attainment with potential) by
    quota method."""
    data = table.melt(id_vars=["quota_method"], value_vars=["share_at_quota", "fairness"],
                      var_name="measure", value_name="value")
    return alt.Chart(data, title=title).mark_bar().encode(
        x=alt.X("quota_method:N", title=None), xOffset="measure:N",
        y=alt.Y("value:Q", title=None), color="measure:N",
        tooltip=["quota_method:N", "measure:N", alt.Tooltip("value:Q", format=".3f")],
    ).properties(width=360, height=220)
