"""The plan designer in JupyterLab and Voila: ipywidgets controls for a plan file beside
charts and a cost table that follow every change.

Charts are the Altair builders of `spmsim.report.charts`, drawn to SVG by vl-convert in the kernel
and shown in `ipywidgets.HTML`: they look the same in JupyterLab, Voila and a converted
notebook, and need no network. Every redraw stamps its container with `data-version`, so a
browser (or a test) can tell when a change has been drawn. The logic lives in
`spmsim.designer.model`; this module only builds and wires widgets.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as w
import pandas as pd
import vl_convert

from spmsim.designer.model import CURRENT, EDITED, Design, Field, View, resolve_path
from spmsim.engines.results import Results
from spmsim.errors import InputError, InputErrors, SpmsimError
from spmsim.format import amount, percent
from spmsim.report import charts

STEPS = {"money": 1000.0, "share": 0.05, "edge": 0.05, "rate": 0.1, "multiple": 0.25}
RED, GREEN = "#b00020", "#1b5e20"
MONEY_ROWS = ("cost P10", "cost P50", "cost P90")


def slug(path: str) -> str:
    """A CSS-class-safe form of a field path: `components[0].cap` -> `components-0-cap`."""
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def svg(chart: alt.TopLevelMixin, version: int) -> str:
    """The chart as inline SVG in a `spmsim-chart` div stamped with `version`."""
    markup = vl_convert.vegalite_to_svg(chart.to_dict())
    return f'<div class="spmsim-chart" data-version="{version}">{markup}</div>'


def _cell(metric: str, value: float) -> str:
    if metric in MONEY_ROWS:
        return f"{amount(value)}"
    return f"{percent(value)}"


def _change(metric: str, new: float, old: float) -> str:
    if metric in MONEY_ROWS:
        return f"{new - old:+,.0f} ({(new - old) / old:+.1%})" if old else f"{new - old:+,.0f}"
    return f"{(new - old) * 100:+.1f} pp"


def table_html(table: pd.DataFrame, version: int, trials: int) -> str:
    """The cost table as HTML: current, edited and the change, money in whole units."""
    head = "".join(f"<th>{h}</th>" for h in ("", CURRENT, EDITED, "change"))
    rows = []
    for metric, row in table.iterrows():
        cells = [_cell(metric, row[CURRENT]), _cell(metric, row[EDITED]),
                 _change(metric, row[EDITED], row[CURRENT])]
        rows.append(f"<tr><th style='text-align:left'>{html.escape(str(metric))}</th>"
                    + "".join(f"<td style='text-align:right;padding:0 8px'>{c}</td>"
                              for c in cells) + "</tr>")
    return (f'<table class="spmsim-table" data-version="{version}">'
            f"<caption style='text-align:left'>Cost per plan year and attainment, "
            f"{trials:,} simulated years</caption><tr>{head}</tr>{''.join(rows)}</table>")


def _message(text: str, color: str, version: int | None = None) -> str:
    body = "<br>".join(html.escape(line) for line in text.splitlines())
    stamp = "" if version is None else f' data-version="{version}"'
    return f'<span style="color:{color};overflow-wrap:anywhere"{stamp}>{body}</span>'


class PlanDesigner:
    """Edit a plan file for one role of a scenario and watch the role's cost and attainment.

    Paths are looked up, when relative, from the working directory upwards (see
    `spmsim.designer.model.resolve_path`).

    Args:
        plan: the plan file to edit.
        scenario: the scenario it is simulated in.
        role: the scenario's role on the plan.
        trials_fast: simulated years behind each update.
        trials_full: the count the "Run" button simulates (default: the scenario's).
        seed: random seed (default: the scenario's).
        save_dir: where plans are saved (default: the plan file's folder).
        study: the study a saved plan can be added to as a variant.
    """

    def __init__(self, plan: str | Path, scenario: str | Path, role: str, *,
                 trials_fast: int = 256, trials_full: int | None = None,
                 seed: int | None = None, save_dir: str | Path | None = None,
                 study: str | Path | None = None):
        self.design = Design(plan, scenario, role, trials=trials_fast, seed=seed,
                             save_dir=save_dir, study=study)
        self.trials_full = trials_full or self.design.scenario.trials
        self.version = 0
        self.last_update_s: float | None = None
        self.inputs: dict[str, w.FloatText] = {}
        self.errors: dict[str, w.HTML] = {}
        self._build()
        self.refresh()

    # ---- layout -------------------------------------------------------------------------

    def _output(self, css: str) -> w.HTML:
        out = w.HTML()
        out.add_class(css)
        return out

    def _field_row(self, f: Field) -> w.VBox:
        box = w.FloatText(value=f.value, step=STEPS[f.kind], description=f.label,
                          style={"description_width": "170px"}, layout=w.Layout(width="320px"))
        box.add_class(f"spmsim-field-{slug(f.path)}")
        box.observe(lambda change, path=f.path: self._edited(path, change["new"]), "value")
        error = self._output(f"spmsim-error-{slug(f.path)}")
        error.layout = w.Layout(max_width="320px")
        self.inputs[f.path], self.errors[f.path] = box, error
        return w.VBox([box, error])

    def _controls(self) -> w.VBox:
        rows: list[w.Widget] = []
        group = None
        for f in self.design.fields:
            if f.group != group:
                group = f.group
                rows.append(w.HTML(f"<b>{html.escape(group)}</b>"))
            rows.append(self._field_row(f))
        return w.VBox(rows, layout=w.Layout(width="340px"))

    def _save_box(self) -> w.VBox:
        d = self.design
        stem = d.plan_path.stem
        self.plan_name = w.Text(value=f"{d.original.plan} (designed)", description="plan name")
        self.file_name = w.Text(value=f"{stem}_designed.yaml", description="file name")
        self.overwrite = w.Checkbox(value=False, description="overwrite", indent=False)
        self.to_study = w.Checkbox(value=False, description="add as a variant to the study",
                                   indent=False)
        self.study = w.Text(value=str(d.study_path or ""), description="study file")
        self.variant = w.Text(value=f"{stem}_designed", description="variant")
        self.variant_text = w.Text(value="", description="description",
                                   placeholder="what the variant changes")
        for name in ("plan_name", "file_name", "overwrite", "to_study", "study", "variant",
                     "variant_text"):
            getattr(self, name).add_class(f"spmsim-designer-{name.replace('_', '-')}")
        self.save_button = w.Button(description="Save", button_style="primary")
        self.save_button.add_class("spmsim-designer-save")
        self.save_button.on_click(lambda _: self.save())
        self.saved = self._output("spmsim-designer-saved")
        self.saved.layout = w.Layout(max_width="340px")
        folder = html.escape(str(d.save_dir))
        return w.VBox([w.HTML(f"<b>Save</b> to {folder}"), self.plan_name, self.file_name,
                       self.overwrite, self.to_study, self.study, self.variant,
                       self.variant_text, self.save_button, self.saved])

    def _build(self) -> None:
        d = self.design
        self.status = self._output("spmsim-designer-status")
        self.curve = self._output("spmsim-designer-curve")
        self.table = self._output("spmsim-designer-table")
        self.payout = self._output("spmsim-designer-payout")
        self.attainment = self._output("spmsim-designer-attainment")
        self.full_button = w.Button(description=f"Run {self.trials_full:,} trials")
        self.full_button.add_class("spmsim-designer-full")
        self.full_button.on_click(lambda _: self._run_full_shown())
        self.progress = w.IntProgress(min=0, max=2 * self.trials_full, value=0,
                                      layout=w.Layout(visibility="hidden"))
        title = w.HTML(
            f"<h3>Plan designer: {html.escape(d.original.plan)}</h3>"
            f"<p>{html.escape(d.plan_path.name)} for role <b>{html.escape(d.role)}</b> of "
            f"{html.escape(d.scenario.scenario)} ({html.escape(d.scenario_path.name)}), "
            f"seed {d.sim.seed}; Monte Carlo engine"
            + ("; the scenario's rep behaviour is the agent engine's and is not simulated "
               "here" if d.scenario.behavior.any else "") + "</p>")
        left = w.VBox([self._controls(), self._save_box()], layout=w.Layout(width="360px"))
        right = w.VBox([self.status, self.curve, self.table,
                        w.HBox([self.full_button, self.progress]), self.payout,
                        self.attainment])
        self.ui = w.VBox([title, w.HBox([left, right])])
        self.ui.add_class("spmsim-designer")

    # ---- behaviour --------------------------------------------------------------------

    def _edited(self, path: str, value: Any) -> None:
        try:
            self.design.set(path, float(value))
        except (TypeError, ValueError):
            self._show_problems({path: ["enter a number"]})
            return
        try:
            self.refresh()
        except (SpmsimError, ValueError) as e:  # shown, not lost in the kernel's log
            self.status.value = _message(f"Not updated: {e}", RED)

    def _show_problems(self, problems: dict[str | None, list[str]]) -> None:
        for path, label in self.errors.items():
            label.value = _message("\n".join(problems.get(path, [])), RED)
        listed = [m for ms in problems.values() for m in ms]
        self.status.value = _message("Invalid plan, not simulated:\n" + "\n".join(listed), RED)

    def _problems(self, e: SpmsimError) -> dict[str | None, list[str]]:
        if isinstance(e, InputError) and Path(e.file).suffix in (".yaml", ".yml"):
            return self.design.problems(e)
        if isinstance(e, InputErrors):
            out: dict[str | None, list[str]] = {}
            for err in e.errors:
                for k, v in self._problems(err).items():
                    out.setdefault(k, []).extend(v)
            return out
        return {None: [str(e)]}

    def refresh(self, full: tuple[Results, Results] | None = None) -> View | None:
        """Validate the edited plan; if valid, simulate it and redraw. Returns the view."""
        start = time.perf_counter()
        try:
            plan = self.design.plan()
        except InputError as e:
            self._show_problems(self.design.problems(e))
            return None
        for label in self.errors.values():
            label.value = ""
        view = self.design.view(plan, *(full or ()))  # (edited, current) when full
        self.version += 1
        v = self.version
        self.curve.value = svg(charts.payout_curves_chart(
            view.curves, title="Payout curve: current vs edited"), v)
        self.table.value = table_html(view.table, v, view.trials)
        payout = charts.attainment_chart(view.payout, title="Earnings / OTE across reps")
        self.payout.value = svg(payout.encode(x=alt.X(
            "bin_lo:Q", axis=alt.Axis(format="%"), title="earnings / OTE")), v)
        if full is not None or not self.attainment.value:  # the plan does not move it
            self.attainment.value = svg(charts.attainment_chart(
                view.attainment, title="Attainment across reps (the same for every plan)"), v)
        self.last_update_s = time.perf_counter() - start
        weights = plan.weight_total()
        note = "" if abs(weights - 1) < 1e-9 else f"; weights sum to {weights:g} of TI"
        kind = "full run" if full else "fast"
        self.status.value = _message(
            f"Updated in {self.last_update_s * 1000:.0f} ms: {view.trials:,} simulated years "
            f"({kind}){note}", GREEN, v)
        return view

    def run_full(self) -> None:
        """Simulate the file's plan and the edited one over `trials_full` plan years."""
        try:
            plan = self.design.plan()
        except InputError as e:
            self._show_problems(self.design.problems(e))
            return
        self.progress.value, self.progress.layout.visibility = 0, "visible"

        def advance(n: int) -> None:
            self.progress.value += n
        try:
            current, edited = self.design.run_full(plan, self.trials_full, on_chunk=advance)
            self.refresh(full=(edited, current))
        finally:
            self.progress.layout.visibility = "hidden"

    def _run_full_shown(self) -> None:
        try:
            self.run_full()
        except (SpmsimError, ValueError) as e:
            self.status.value = _message(f"Full run failed: {e}", RED)

    def save(self) -> list[Path]:
        """Save the edited plan (and add the study variant when ticked); on an error, show
        it and write nothing."""
        d = self.design
        d.study_path = resolve_path(self.study.value.strip()) if self.study.value.strip() else None
        try:
            written = d.save(self.file_name.value.strip(), self.plan_name.value.strip(),
                             variant=self.variant.value.strip() if self.to_study.value else None,
                             description=self.variant_text.value.strip(),
                             overwrite=self.overwrite.value)
        except SpmsimError as e:
            problems = self._problems(e)
            for path, label in self.errors.items():
                label.value = _message("\n".join(problems.get(path, [])), RED)
            self.saved.value = _message(f"Not saved:\n{e}", RED)
            return []
        self.saved.value = _message("Saved: " + ", ".join(str(p) for p in written), GREEN)
        return written

    # ---- display -------------------------------------------------------------------------

    def snapshot(self) -> str:
        """The designer's current charts and table as static HTML (for viewers without
        widgets, such as a converted notebook)."""
        parts = (self.ui.children[0].value, self.status.value, self.curve.value,
                 self.table.value, self.payout.value, self.attainment.value)
        return f'<div class="spmsim-designer-snapshot">{"".join(parts)}</div>'

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = self.ui._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.snapshot()
        return bundle
