"""Altair charts. Chart builders take summary tables, never raw draws, and compute nothing
beyond what Vega-Lite encodes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from spmsim.format import percent
from spmsim.io import atomic_write


def territory_map(accounts: pd.DataFrame, territory: pd.Series | list[str],
                  title: str = "Territories", bases: pd.DataFrame | None = None,
                  legend: bool = True) -> alt.Chart | alt.LayerChart:
    """Accounts as points on a US map (Albers USA), coloured by territory, sized by potential;
    `bases` (name, lat, lon) drawn as labelled black diamonds; a legend of territories."""
    data = accounts[["account_id", "lat", "lon", "potential", "workload"]].assign(
        territory=list(territory))
    colour = alt.Legend(title="territory", columns=2 if data["territory"].nunique() > 12
                        else 1, symbolLimit=80, labelLimit=90) if legend else None
    points = alt.Chart(data, title=title).mark_circle(opacity=0.7).encode(
        longitude="lon:Q", latitude="lat:Q",
        color=alt.Color("territory:N", legend=colour),
        size=alt.Size("potential:Q", legend=None, scale=alt.Scale(range=[4, 120])),
        tooltip=["account_id:N", "territory:N", alt.Tooltip("potential:Q", format=",.0f"),
                 alt.Tooltip("workload:Q", format=",.1f")],
    ).project(type="albersUsa").properties(width=640, height=400)
    if bases is None or bases.empty:
        return points
    marks = alt.Chart(bases[["name", "lat", "lon"]]).mark_point(
        shape="diamond", filled=True, color="black", size=70).encode(
        longitude="lon:Q", latitude="lat:Q", tooltip=[alt.Tooltip("name:N", title="base of")])
    return alt.layer(points, marks).project(type="albersUsa")


def balance_bars(table: pd.DataFrame, measure: str = "workload", band: float = 0.1,
                 title: str | None = None) -> alt.LayerChart:
    """Each territory's `measure` as bars, with the mean and the +-band lines."""
    mean = table[measure].mean()
    lines = pd.DataFrame({"value": [mean * (1 - band), mean, mean * (1 + band)],
                          "line": [f"-{percent(band, 0)}", "mean", f"+{percent(band, 0)}"]})
    bars = alt.Chart(table, title=title or f"{measure} by territory").mark_bar().encode(
        x=alt.X("name:N", sort="-y", title="territory", axis=alt.Axis(labels=False)),
        y=alt.Y(f"{measure}:Q", title=measure),
        tooltip=["name:N", alt.Tooltip(f"{measure}:Q", format=",.1f")])
    rules = alt.Chart(lines).mark_rule(strokeDash=[4, 3]).encode(
        y="value:Q", color=alt.Color("line:N", title=None))
    return (bars + rules).properties(width=640, height=220)


def html_writer(chart: alt.TopLevelMixin) -> Callable[[Path], None]:
    """A writer of the chart as one self-contained HTML file at the path it is given."""
    return lambda path: chart.save(str(path), format="html", inline=True)


def territory_balance_chart(balance: pd.DataFrame, measure: str,
                            title: str | None = None) -> alt.LayerChart:
    """One measure's deviation from the mean per territory, today and proposed (from
    `TerritoryDesign.balance()`), with the band as dashed lines when the measure has one."""
    data = balance[balance["measure"] == measure]
    bars = alt.Chart(data, title=title or f"{measure}: each territory against the mean").mark_bar(
    ).encode(
        x=alt.X("territory:N", sort="-y", title="territory", axis=alt.Axis(labels=False)),
        xOffset="alignment:N",
        y=alt.Y("deviation:Q", axis=alt.Axis(format="%"), title="deviation from the mean"),
        color=alt.Color("alignment:N", title=None, sort=["current", "proposed"]),
        tooltip=["territory:N", "alignment:N", alt.Tooltip("value:Q", format=",.1f"),
                 alt.Tooltip("deviation:Q", format="+.1%")])
    band = data.dropna(subset=["band_low"]).query("alignment == 'proposed'")
    if band.empty:
        lines = pd.DataFrame({"deviation": [0.0], "line": ["mean"]})
    else:
        mean_value = band["value"].mean()
        lines = pd.DataFrame({"deviation": [band["band_low"].iloc[0] / mean_value - 1,
                                            band["band_high"].iloc[0] / mean_value - 1],
                              "line": ["band low", "band high"]})
        lines = lines[lines["deviation"].abs() < 10]
    rules = alt.Chart(lines).mark_rule(strokeDash=[4, 3], color="black").encode(
        y="deviation:Q", tooltip=["line:N", alt.Tooltip("deviation:Q", format="+.1%")])
    return (bars + rules).properties(width=640, height=200)


def territory_travel_chart(travel: pd.DataFrame, unit: str,
                           title: str = "Mean travel per territory, today and proposed"
                           ) -> alt.Chart:
    """Mean travel (weighted distance or time to the base) per territory, from
    `TerritoryDesign.travel()`: one bar per alignment."""
    return alt.Chart(travel, title=title).mark_bar().encode(
        x=alt.X("territory:N", sort="-y", title="territory", axis=alt.Axis(labels=False)),
        xOffset="alignment:N",
        y=alt.Y("mean_travel:Q", title=f"mean travel ({unit})"),
        color=alt.Color("alignment:N", title=None, sort=["current", "proposed"]),
        tooltip=["territory:N", "alignment:N",
                 alt.Tooltip("mean_travel:Q", format=",.1f", title=f"mean travel ({unit})")],
    ).properties(width=640, height=200)


def territory_page(design, path: str | Path) -> Path:
    """The territory design as one self-contained HTML file (`territory_page_chart`)."""
    return save_html(territory_page_chart(design), path)


def territory_page_chart(design) -> alt.VConcatChart:
    """The territory design's charts, one above the other: the map (when the accounts have
    coordinates), balance on every measure, and travel, today against proposed."""
    charts = []
    if {"lat", "lon"} <= set(design.accounts.columns):
        charts.append(territory_map(design.accounts, design.alignment["territory"],
                                    "Proposed territories and their bases", design.base_table()))
    balance = design.balance()
    charts += [territory_balance_chart(balance, m) for m in balance["measure"].unique()]
    travel = design.travel()
    if not travel.empty:
        charts.append(territory_travel_chart(travel, design.unit))
    return alt.vconcat(*charts)


def save_html(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """One self-contained HTML file (Vega JavaScript inlined: renders with no network)."""
    return atomic_write(path, html_writer(chart))


def _inline_svg(spec: dict, **_) -> dict:
    """An Altair renderer: the chart as SVG markup inside HTML (drawn by vl-convert)."""
    import vl_convert

    return {"text/html": f'<div class="spmsim-chart">{vl_convert.vegalite_to_svg(spec)}</div>'}


alt.renderers.register("spmsim_svg", _inline_svg)

# Report charts are drawn about 420 px wide with large type, legends below: the page
# scales an SVG down to a phone's width (390 px) and its labels stay legible (10-11 px).
WIDTH = 420
FONT = 14


@alt.theme.register("spmsim_report", enable=False)
def _report_theme() -> alt.theme.ThemeConfig:
    text = {"labelFontSize": FONT, "titleFontSize": FONT}
    return {"config": {
        # measured by vl-convert and drawn by the browser with the same wide font (DejaVu
        # Sans; Verdana has its metrics), so no label runs past the chart's edge
        "font": "DejaVu Sans, Verdana, Geneva, sans-serif",
        "view": {"continuousWidth": WIDTH, "continuousHeight": 240, "stroke": None},
        "title": {"fontSize": FONT + 2, "anchor": "start", "fontWeight": 600},
        "axis": {**text, "labelLimit": 160, "titleFontWeight": 500},
        "legend": {**text, "orient": "bottom", "direction": "vertical", "titleFontWeight": 500,
                   "labelLimit": WIDTH},
        "header": {"labelFontSize": FONT, "titleFontSize": FONT},
        "range": {"category": ["#1f5fa8", "#e07b00", "#2a9d4a", "#9b59b6", "#c0392b",
                               "#7f8c8d", "#17becf", "#bcbd22"]}}}


def use_static_charts() -> None:
    """Notebook charts as inline SVG elements: they survive nbconvert as markup (not
    images), render with no network, and a browser can count their marks; with the
    report theme (large type, legends below) so they read on a phone."""
    alt.renderers.enable("spmsim_svg")
    alt.theme.enable("spmsim_report")


def payout_curves_chart(curves: pd.DataFrame, title: str = "Payout curves") -> alt.Chart:
    """Payout as % of TI against attainment, one line per variant (designs with the same
    plan share a line, named together)."""
    return alt.Chart(curves, title=title).mark_line(strokeWidth=2.5).encode(
        x=alt.X("attainment:Q", axis=alt.Axis(format="%"), title="attainment, % of quota"),
        y=alt.Y("pct_of_ti:Q", axis=alt.Axis(format="%"),
                title="payout, % of target incentive"),
        color=alt.Color("variant:N", title="design"),
        strokeDash=alt.StrokeDash("variant:N", legend=None)).properties(
        width=WIDTH, height=240)


def cost_range_chart(ranges: pd.DataFrame,
                     title: str = "Variable pay a year: P10-P90, P50, budget"
                     ) -> alt.LayerChart:
    """One row per design (`variant`): a bar from P10 to P90 of the year's variable pay, a
    tick at P50, and the budget as a dashed rule."""
    y = alt.Y("variant:N", title=None, sort=None, axis=alt.Axis(labelLimit=170))
    axis = alt.Axis(format="$,.3~s", title="variable pay a year")
    base = alt.Chart(ranges, title=title)
    bars = base.mark_bar(height=16, opacity=0.45, color="#1f5fa8").encode(
        x=alt.X("p10:Q", axis=axis, scale=alt.Scale(zero=False)), x2="p90:Q", y=y)
    median = base.mark_tick(thickness=3, size=22, color="#123a66").encode(x="p50:Q", y=y)
    budget = base.mark_rule(strokeDash=[6, 3], color="#c0392b", size=2).encode(
        x=alt.X("mean(budget):Q"))
    label = base.mark_text(align="left", dx=4, dy=-14, color="#c0392b", fontSize=FONT - 1
                           ).encode(x=alt.X("mean(budget):Q"), text=alt.value("budget"))
    return (bars + median + budget + label).properties(width=WIDTH - 120,
                                                       height=alt.Step(40))


def attainment_chart(dist: pd.DataFrame, title: str = "Share of reps by attainment"
                     ) -> alt.Chart:
    return alt.Chart(dist, title=title).mark_line(interpolate="step-after").encode(
        x=alt.X("bin_lo:Q", axis=alt.Axis(format="%"), title="attainment, % of quota"),
        y=alt.Y("share:Q", axis=alt.Axis(format=".1%"), title="share of reps"),
        color=alt.Color("variant:N", title="design")).properties(width=WIDTH, height=220)


def earnings_chart(earn: pd.DataFrame,
                   title: str = "Earnings / OTE of the P10, P50, P90 rep") -> alt.Chart:
    return alt.Chart(earn, title=title).mark_bar().encode(
        x=alt.X("rep_percentile:N", title=None, axis=alt.Axis(labelAngle=0)),
        xOffset="variant:N",
        y=alt.Y("earnings_vs_ote:Q", axis=alt.Axis(format="%"), title="earnings / OTE"),
        color=alt.Color("variant:N", title="design")).properties(width=WIDTH, height=220)


def pay_change_chart(changes: pd.DataFrame,
                     title: str = "Each rep's pay change, last year's deals"
                     ) -> alt.Chart:
    """Every rep's pay change under each design (`variant`) as a dot on one row per design,
    coloured by outcome (wins / loses)."""
    return alt.Chart(changes, title=title).mark_tick(thickness=2, size=18).encode(
        x=alt.X("change:Q", title="pay change a year", axis=alt.Axis(format="$,.2~s")),
        y=alt.Y("variant:N", title=None, axis=alt.Axis(labelLimit=170)),
        color=alt.Color("outcome:N", title=None, scale=alt.Scale(
            domain=["wins", "loses"], range=["#2a9d4a", "#c0392b"]),
            legend=alt.Legend(labelExpr="datum.label == 'wins' ? 'earns more' : 'earns less'")),
        tooltip=["variant:N", "rep_id:N", "role:N", alt.Tooltip("change:Q", format="+,.0f")],
    ).properties(width=WIDTH - 120, height=alt.Step(36))


def quota_chart(table: pd.DataFrame,
                title: str = "Reps at quota and fairness, by quota method"
                ) -> alt.Chart:
    """Share of reps at quota and fairness (1 - |correlation of attainment with territory
    potential|: higher is fairer) by quota method (`quota_method`, `share_at_quota`,
    `fairness`)."""
    names = {"share_at_quota": "reps at quota", "fairness": "fairness"}
    data = table.melt(id_vars=["quota_method"], value_vars=list(names),
                      var_name="measure", value_name="value")
    data["measure"] = data["measure"].map(names)
    return alt.Chart(data, title=title).mark_bar().encode(
        x=alt.X("quota_method:N", title=None, axis=alt.Axis(labelAngle=0, labelLimit=140)),
        xOffset="measure:N",
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(
            domain=[0, 1])),
        color=alt.Color("measure:N", title=None),
        tooltip=["quota_method:N", "measure:N", alt.Tooltip("value:Q", format=".1%")],
    ).properties(width=WIDTH, height=220)


def capacity_headcount_chart(schedule: pd.DataFrame,
                             title: str = "Headcount by month: in seat and effective"
                             ) -> alt.LayerChart:
    """Expected reps in seat and effective (ramp-weighted) headcount by month, with the new
    hires starting as bars (a capacity plan's `schedule`)."""
    year = schedule[schedule["month"] >= 1]
    lines = year.rename(columns={"headcount": "in seat", "effective_headcount": "effective"}
                        ).melt(id_vars=["period"], value_vars=["in seat", "effective"],
                               var_name="series", value_name="reps")
    hires = alt.Chart(year).mark_bar(opacity=0.35, color="#777777").encode(
        x=alt.X("period:O", title=None), y=alt.Y("new_hires:Q", title="reps"),
        tooltip=["period:O", "new_hires:Q"])
    curves = alt.Chart(lines).mark_line(point=True).encode(
        x="period:O", y="reps:Q", color=alt.Color("series:N", title=None),
        tooltip=["period:O", "series:N", alt.Tooltip("reps:Q", format=".1f")])
    return (hires + curves).properties(width=WIDTH, height=240, title=title)


def capacity_bookings_chart(distribution: pd.DataFrame, marks: pd.DataFrame,
                            title: str = "The year's bookings under the hiring plan"
                            ) -> alt.LayerChart:
    """Histogram of the year's bookings (bin_lo, bin_hi, share) with P10/P50/P90, the
    target and the deterministic figure as rules (mark, value)."""
    bars = alt.Chart(distribution).mark_bar(opacity=0.5, color="#4c78a8").encode(
        x=alt.X("bin_lo:Q", title="bookings", axis=alt.Axis(format="~s"),
                scale=alt.Scale(zero=False)), x2="bin_hi:Q",
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of trials"),
        y2=alt.datum(0))
    colours = {"P10": "#888888", "P50": "#222222", "P90": "#888888", "target": "#c0392b",
               "deterministic": "#e67e22"}
    rules = alt.Chart(marks).mark_rule(size=2).encode(
        x="value:Q", color=alt.Color("mark:N", title=None, scale=alt.Scale(
            domain=list(colours), range=list(colours.values()))),
        strokeDash=alt.condition(alt.FieldOneOfPredicate("mark", ["P10", "P50", "P90"]),
                                 alt.value([1, 0]), alt.value([6, 3])),
        tooltip=["mark:N", alt.Tooltip("value:Q", format=",.0f")])
    return (bars + rules).properties(width=WIDTH, height=240, title=title)


def capacity_curve_chart(curve: pd.DataFrame, probability: float,
                         title: str = "P(target met) by new hires") -> alt.LayerChart:
    """Estimated probability of meeting the target against the number of new hires (with
    its +-2 SE band), and the probability wanted as a rule."""
    band = curve.assign(lo=(curve["probability"] - 2 * curve["se"]).clip(lower=0),
                        hi=(curve["probability"] + 2 * curve["se"]).clip(upper=1))
    base = alt.Chart(band)
    area = base.mark_area(opacity=0.25).encode(x=alt.X("hires:Q", title="new hires"),
                                               y="lo:Q", y2="hi:Q")
    line = base.mark_line(point=True).encode(
        x="hires:Q", y=alt.Y("probability:Q", axis=alt.Axis(format="%"),
                             title="P(target met)", scale=alt.Scale(domain=[0, 1])),
        tooltip=["hires:Q", alt.Tooltip("probability:Q", format=".1%"),
                 alt.Tooltip("deterministic:Q", format=",.0f")])
    wanted = alt.Chart(pd.DataFrame({"probability": [probability]})).mark_rule(
        strokeDash=[6, 3]).encode(y="probability:Q")
    return (area + line + wanted).properties(width=WIDTH, height=220, title=title)


def capacity_mix_chart(mixes: pd.DataFrame, probability: float,
                       title: str = "P(target met) by the cost of each mix weighed"
                       ) -> alt.LayerChart:
    """Every hiring mix weighed (a `MixPlan`'s `mixes`: cost, probability, se and
    `hires_<role>` columns), cheapest first, the last one chosen; the probability wanted as
    a rule."""
    roles = [c for c in mixes.columns if c.startswith("hires_")]
    mix = mixes[roles].astype(int).astype(str).agg(" + ".join, axis=1)
    frame = mixes.assign(mix=mix, chosen=np.arange(len(mixes)) == len(mixes) - 1)
    points = alt.Chart(frame).mark_circle(size=60).encode(
        x=alt.X("cost:Q", title="new hires' pay in the year", axis=alt.Axis(format="~s")),
        y=alt.Y("probability:Q", axis=alt.Axis(format="%"), title="P(target met)",
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("chosen:N", title=None, legend=None, scale=alt.Scale(
            domain=[False, True], range=["#4c78a8", "#c0392b"])),
        tooltip=[alt.Tooltip("mix:N", title="new hires (" + ", ".join(
            r.removeprefix("hires_") for r in roles) + ")"),
                 alt.Tooltip("cost:Q", format=",.0f"),
                 alt.Tooltip("probability:Q", format=".1%")])
    wanted = alt.Chart(pd.DataFrame({"probability": [probability]})).mark_rule(
        strokeDash=[6, 3]).encode(y="probability:Q")
    return (points + wanted).properties(width=WIDTH, height=220, title=title)


FRONT_CATEGORIES = {"infeasible": "#bbbbbb", "feasible": "#4c78a8", "Pareto front": "#f58518",
                    "chosen": "#c0392b"}


def pareto_chart(points: pd.DataFrame, title: str = "Candidates and the Pareto front"
                 ) -> alt.LayerChart:
    """Sweep candidates on two objectives (`x`, `y`, with `x_title`/`y_title` and
    `x_format`/`y_format` columns): infeasible grey, feasible blue, the Pareto front
    orange and joined, the chosen plan red and larger."""
    first = points.iloc[0] if len(points) else {}
    x_title, y_title = first.get("x_title", "x"), first.get("y_title", "y")
    x = alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False),
              axis=alt.Axis(format=first.get("x_format", ",.3~s")))
    y = alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False),
              axis=alt.Axis(format=first.get("y_format", ",.3~s")))
    base = alt.Chart(points, title=title)
    line = base.transform_filter(
        alt.FieldOneOfPredicate(field="category", oneOf=["Pareto front", "chosen"])
    ).mark_line(color=FRONT_CATEGORIES["Pareto front"], strokeDash=[4, 3]).encode(
        x=x, y=y, order="x:Q")
    dots = base.mark_point(filled=True, opacity=0.85).encode(
        x=x, y=y,
        color=alt.Color("category:N", title=None, scale=alt.Scale(
            domain=list(FRONT_CATEGORIES), range=list(FRONT_CATEGORIES.values()))),
        size=alt.condition(alt.datum.category == "chosen", alt.value(220), alt.value(45)),
        tooltip=["candidate:N", "category:N", alt.Tooltip("x:Q", title=x_title, format=",.4~g"),
                 alt.Tooltip("y:Q", title=y_title, format=",.4~g")])
    return (line + dots).properties(width=WIDTH, height=320)


def forecast_chart(distribution: pd.DataFrame, marks: pd.DataFrame,
                   title: str = "Bookings forecast for the period") -> alt.LayerChart:
    """Simulated bookings as a histogram (`bin_lo`, `bin_hi`, `share`) with P10/P50/P90 and
    the weighted point forecast as rules (`mark`, `value`; the weighted one dashed)."""
    bars = alt.Chart(distribution, title=title).mark_bar(opacity=0.6, color="#4c78a8").encode(
        x=alt.X("bin_lo:Q", title="bookings in the period", axis=alt.Axis(format=",.3~s")),
        x2="bin_hi:Q", y=alt.Y("share:Q", title="share of trials", axis=alt.Axis(format="%")),
        y2=alt.datum(0),
        tooltip=[alt.Tooltip("bin_lo:Q", format=",.0f"), alt.Tooltip("bin_hi:Q", format=",.0f"),
                 alt.Tooltip("share:Q", format=".1%")])
    rules = alt.Chart(marks).mark_rule(size=2).encode(
        x="value:Q", color=alt.Color("mark:N", title=None, sort=list(marks["mark"])),
        strokeDash=alt.condition(alt.datum.mark == "weighted", alt.value([6, 3]),
                                 alt.value([1, 0])),
        tooltip=["mark:N", alt.Tooltip("value:Q", format=",.0f")])
    return (bars + rules).properties(width=WIDTH, height=260)


def backtest_chart(periods: pd.DataFrame, title: str = "Backtest: P10-P90 band and actual"
                   ) -> alt.LayerChart:
    """Per period (`period_end`): the P10-P90 band as a bar, P50 as a tick and the actual
    bookings as a point, filled when inside the band (`covered`)."""
    base = alt.Chart(periods, title=title)
    x = alt.X("period_end:T", title="period ending")
    band = base.mark_rule(size=6, opacity=0.35, color="#4c78a8").encode(
        x=x, y=alt.Y("p10:Q", title="bookings", axis=alt.Axis(format=",.3~s")), y2="p90:Q")
    median = base.mark_tick(color="#4c78a8", thickness=2, size=12).encode(x=x, y="p50:Q")
    actual = base.mark_point(size=50, filled=True).encode(
        x=x, y="actual:Q",
        color=alt.Color("covered:N", title="inside P10-P90",
                        scale=alt.Scale(domain=[True, False], range=["#2ca02c", "#d62728"])),
        tooltip=[alt.Tooltip("period_end:T"), alt.Tooltip("actual:Q", format=",.0f"),
                 alt.Tooltip("p10:Q", format=",.0f"), alt.Tooltip("p50:Q", format=",.0f"),
                 alt.Tooltip("p90:Q", format=",.0f")])
    return (band + median + actual).properties(width=WIDTH, height=260)


def posterior_check_chart(monthly: pd.DataFrame,
                          title: str = "Bookings per rep by month: history and simulated "
                                       "P10-P90") -> alt.LayerChart:
    """Per calendar month: the simulated P10-P90 band of bookings per rep-month as a bar,
    P50 as a tick, and the history's figure as a point, filled green when inside the band
    (months the history does not cover have no point)."""
    data = monthly.assign(order=range(len(monthly)))
    base = alt.Chart(data, title=title)
    x = alt.X("month:N", sort=list(data["month"]), title="month")
    y = alt.Y("p10:Q", title="bookings per rep-month", axis=alt.Axis(format=",.3~s"))
    band = base.mark_rule(size=10, opacity=0.35, color="#4c78a8").encode(x=x, y=y, y2="p90:Q")
    median = base.mark_tick(color="#4c78a8", thickness=2, size=14).encode(x=x, y="p50:Q")
    raw = base.transform_filter("isValid(datum.raw)").mark_point(size=60, filled=True).encode(
        x=x, y="raw:Q",
        color=alt.Color("inside:N", title="history inside P10-P90",
                        scale=alt.Scale(domain=[True, False], range=["#2ca02c", "#d62728"])),
        tooltip=[alt.Tooltip("month:N"), alt.Tooltip("raw:Q", format=",.0f", title="history"),
                 alt.Tooltip("p10:Q", format=",.0f"), alt.Tooltip("p90:Q", format=",.0f")])
    return (band + median + raw).properties(width=WIDTH, height=260)


def cost_limits_chart(cost: pd.DataFrame, marks: pd.DataFrame,
                      title: str = "Variable pay per plan year") -> alt.LayerChart:
    """Variable pay per plan year as a histogram per variant (`bin_lo`, `bin_hi`, `share`
    of trials), with limits as dashed rules (`mark`, `value`: a budget, a cost-of-sales
    limit in money) labelled on the chart."""
    bars = alt.Chart(cost, title=title).mark_bar(opacity=0.45).encode(
        x=alt.X("bin_lo:Q", title="variable pay, a year", axis=alt.Axis(format="$,.3~s"),
                scale=alt.Scale(zero=False)),
        x2="bin_hi:Q", y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of years",
                               stack=None), y2=alt.datum(0), color="variant:N")
    layers = [bars]
    if len(marks):
        rules = alt.Chart(marks).mark_rule(color="#b00020", strokeDash=[6, 3], size=2).encode(
            x="value:Q")
        labels = alt.Chart(marks).mark_text(align="left", dx=4, dy=-4, color="#b00020",
                                            baseline="bottom", fontSize=10).encode(
            x="value:Q", y=alt.value(12 * 1), text="mark:N")
        layers += [rules, labels]
    return alt.layer(*layers).properties(width=560, height=200)


def attainment_band_chart(dist: pd.DataFrame, note: str,
                          title: str = "Attainment across reps") -> alt.LayerChart:
    """The attainment distribution with quota (100 %) as a rule and `note` beside it (the
    share at quota and the band a study asks for)."""
    line = attainment_chart(dist, title=title)
    quota = pd.DataFrame({"x": [1.0], "note": [note]})
    rule = alt.Chart(quota).mark_rule(strokeDash=[4, 3], color="#555555").encode(x="x:Q")
    text = alt.Chart(quota).mark_text(align="left", dx=4, dy=8, baseline="top",
                                      fontSize=10, color="#333333").encode(
        x="x:Q", y=alt.value(0), text="note:N")
    return alt.layer(line, rule, text).properties(width=560, height=200)


def earnings_ote_chart(dist: pd.DataFrame, title: str = "Earnings / OTE across reps"
                       ) -> alt.Chart:
    """Share of reps per bin of earnings / OTE (`bin_lo`, `share`), one line per variant."""
    return alt.Chart(dist, title=title).mark_line(interpolate="step-after").encode(
        x=alt.X("bin_lo:Q", axis=alt.Axis(format="%"), title="earnings / OTE"),
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of reps"),
        color="variant:N").properties(width=560, height=200)
