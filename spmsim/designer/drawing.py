"""How the designer draws: its charts as inline SVG (Vega-Lite specs built by Altair once
and refilled with data, converted by vl-convert in a small thread pool, unchanged charts
not converted again), the cost table and the status messages as HTML.

The charts look the same in JupyterLab, Voila and a converted notebook, and need no
network. Each chart and the table stamp `data-version`, so a browser (or a test) can tell
when a change has been drawn.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from spmsim.designer.model import CURRENT, EDITED, Design, Figures
from spmsim.designer.simulation import TABLE_ROWS
from spmsim.format import money, percent

RED, GREEN, GREY = "#b00020", "#1b5e20", "#555555"
CSS = """<style>
.spmsim-designer .spmsim-stale .spmsim-chart, .spmsim-designer .spmsim-stale table
  {opacity: 0.35; filter: grayscale(1);}
.spmsim-designer .spmsim-designer-banner {background: #fff4e5; border-left: 4px solid #b26a00;
  padding: 4px 8px; color: #5d3800;}
.spmsim-designer .spmsim-section {border-top: 1px solid #ddd; padding-top: 4px;}
.spmsim-designer .spmsim-bad input {border-color: #b00020 !important;}
.spmsim-designer .spmsim-table td, .spmsim-designer .spmsim-table th {padding: 1px 8px;}
</style>"""
POOL = ThreadPoolExecutor(max_workers=3, thread_name_prefix="spmsim-svg")


def slug(path: str) -> str:
    """A CSS-class-safe form of a field path: `components[0].cap` -> `components-0-cap`."""
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "x"


class SvgCache:
    """Vega-Lite specs drawn to SVG by vl-convert, the last `size` kept: a chart whose data
    did not change (undo, redo, a tier added and removed) is not converted again."""

    def __init__(self, size: int = 64):
        self.size, self._svgs = size, OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, spec: dict) -> str:
        import vl_convert

        key = json.dumps(spec, sort_keys=True, default=str)
        with self._lock:
            if key in self._svgs:
                self._svgs.move_to_end(key)
                return self._svgs[key]
        markup = vl_convert.vegalite_to_svg(spec)
        with self._lock:
            self._svgs[key] = markup
            while len(self._svgs) > self.size:
                self._svgs.popitem(last=False)
        return markup


SVGS = SvgCache()


def records(table: dict[str, list]) -> list[dict]:
    """A table of columns as Vega-Lite data values (NaN as null)."""
    names = list(table)
    return [{k: (None if isinstance(x, float) and x != x else x) for k, x in zip(names, row,
                                                                               strict=True)}
            for row in zip(*table.values(), strict=True)]


class Specs:
    """The designer's Altair charts as Vega-Lite specs, each built by Altair once: a redraw
    puts the new data into the spec instead of building the chart again (Altair's schema
    checks cost more than drawing the chart)."""

    def __init__(self):
        self._templates: dict[tuple, tuple[dict, dict[str, int]] | None] = {}

    def __call__(self, name: str, build: Callable[..., Any], *tables: dict[str, list]) -> dict:
        import pandas as pd

        lengths = [len(next(iter(t.values()), [])) for t in tables]
        shape = (name, *(n == 0 for n in lengths))
        template = self._templates.get(shape)
        if template is None:
            spec = build(*(pd.DataFrame(t) for t in tables)).to_dict()
            shapes = [(n, sorted(t)) for n, t in zip(lengths, tables, strict=True)]
            datasets = spec.get("datasets", {})
            names = {key: next((i for i, v in enumerate(shapes) if v == (
                len(rows), sorted(rows[0]) if rows else [])), -1)
                for key, rows in datasets.items()}
            if all(i >= 0 for i in names.values()):
                self._templates[shape] = (spec, names)
            return spec
        spec, names = template
        return {**spec, "datasets": {key: records(tables[i]) for key, i in names.items()}}


def warm_up() -> Future:
    """Import Altair and start vl-convert's engine (its first conversion takes seconds) in
    the background, while the role's credit is drawn and the controls are built."""
    def run() -> None:
        import vl_convert

        from spmsim.report import charts  # noqa: F401  (imports Altair)

        vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"x": 1}]},
                                    "encoding": {"x": {"field": "x", "type": "quantitative"}}})
    return POOL.submit(run)


def chart_div(markup: str, version: int) -> str:
    return f'<div class="spmsim-chart" data-version="{version}">{markup}</div>'


def svg(chart, version: int) -> str:
    """An Altair chart as inline SVG in a `spmsim-chart` div stamped with `version`."""
    return chart_div(SVGS(chart.to_dict()), version)


def message(text: str, color: str, version: int | None = None) -> str:
    body = "<br>".join(html.escape(line) for line in text.splitlines())
    stamp = "" if version is None else f' data-version="{version}"'
    return f'<span style="color:{color};overflow-wrap:anywhere"{stamp}>{body}</span>'


# ---- the cost table --------------------------------------------------------------------------

def cell(kind: str, value: float, currency: str) -> str:
    if value != value:  # NaN
        return "-"
    return money(value, currency, 0) if kind == "money" else percent(value)


def change(kind: str, new: float, old: float, currency: str) -> str:
    if new != new or old != old:
        return "-"
    if kind == "money":
        diff = money(new - old, currency, 0)
        diff = diff if diff.startswith("-") else "+" + diff
        return f"{diff} ({(new - old) / old:+.1%})" if old else diff
    return f"{(new - old) * 100:+.1f} pp"


def limit_text(limit, kind: str, currency: str) -> str:
    def fmt(x: float) -> str:
        return cell(kind, x, currency)
    if limit.min is not None and limit.max is not None:
        return f"{fmt(limit.min)} to {fmt(limit.max)}"
    return f"at most {fmt(limit.max)}" if limit.max is not None else f"at least {fmt(limit.min)}"


def table_html(figures: Figures, design: Design, version: int, currency: str) -> str:
    """The cost table: the file's plan, the edited one, the change, and the study's limit
    with a tick or a cross for each plan."""
    limits = {lim.row: lim for lim in design.limits}
    head = "".join(f"<th>{h}</th>" for h in ("", "file's plan", "edited", "change",
                                             "study limit"))
    rows = []
    for key, label, kind in TABLE_ROWS:
        if key == "over_budget" and design.budget is None:
            label = "chance over the target incentive"
        now, new = figures.table[CURRENT][key], figures.table[EDITED][key]
        cells = []
        for plan, value in ((CURRENT, now), (EDITED, new)):
            ok = figures.checks.get(key, {}).get(plan)
            mark = "" if ok is None else (" ✓" if ok else " ✗")
            color = "" if ok is None else f" style='color:{GREEN if ok else RED}'"
            cells.append(f"<td{color} class='spmsim-{plan}-{key}'>"
                         f"{cell(kind, value, currency)}{mark}</td>")
        cells.append(f"<td>{change(kind, new, now, currency)}</td>")
        lim = limits.get(key)
        cells.append(f"<td title='{html.escape(lim.note) if lim else ''}'>"
                     f"{limit_text(lim, kind, currency) if lim else ''}</td>")
        rows.append(f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
                    + "".join(cells) + "</tr>")
    notes = [design.budget_note] + sorted({lim.note for lim in design.limits})
    if design.limits:
        notes[-1] = f"study limits: {design.study_path.name} ({notes[-1]})"
    return (f'<table class="spmsim-table" data-version="{version}">'
            f"<caption style='text-align:left'>The {html.escape(design.role)} team's cost and "
            f"attainment, {figures.trials:,} simulated plan years</caption><tr>{head}</tr>"
            f"{''.join(rows)}</table><p style='font-size:smaller;color:{GREY}'>"
            + "<br>".join(html.escape(n) for n in notes) + "</p>")
