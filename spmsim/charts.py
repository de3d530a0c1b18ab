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
