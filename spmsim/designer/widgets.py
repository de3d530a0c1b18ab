"""The plan designer in JupyterLab and Voila: ipywidgets controls for a plan beside charts
and a cost table that follow every change.

The form is built from the plan's models (`spmsim.designer.form`), problems are said in
words at their box (`messages`), the logic is `model`'s and the drawing `drawing`'s; this
module builds and wires the widgets. Speed: the payout curve is shown as soon as it is
drawn, while the simulation runs; the other charts are drawn in parallel; the form is
rebuilt only when its shape changes; Altair and vl-convert are started in the background
while the role's credit is drawn once.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import ipywidgets as w
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from spmsim.designer.choices import plan_files, roles, scenario_files
from spmsim.designer.drawing import (
    CSS,
    GREEN,
    GREY,
    POOL,
    RED,
    SVGS,
    Specs,
    chart_div,
    limit_text,
    message,
    slug,
    svg,
    table_html,
    warm_up,
)
from spmsim.designer.form import CAP, Control, Section, show, suffix
from spmsim.designer.model import CURRENT, Check, Design, Figures
from spmsim.designer.simulation import RoleSimulation
from spmsim.engines.results import Results
from spmsim.errors import InputError, InputErrors, SpmsimError
from spmsim.format import percent
from spmsim.io import resolve_path


def _shape(form: tuple[list[Section], Control, list[str]]) -> tuple:
    """What decides the form's widgets (not the values in them)."""
    sections, cap, notes = form

    def controls(cs) -> tuple:
        return tuple((c.path, c.kind, c.unit, c.label, c.choices) for c in cs)
    return (tuple((s.key, s.title, s.removable, s.add_row, s.notes, controls(s.controls),
                   tuple((r.label, r.removable, controls(r.controls)) for r in s.rows))
                  for s in sections), cap.choices, cap.unit, cap.value[0], tuple(notes))


# ---- the designer ---------------------------------------------------------------------------

class PlanDesigner:
    """Edit a plan for one role of a scenario and watch the role's cost and attainment.

    Paths are looked up, when relative, from the working directory upwards (see
    `spmsim.designer.model.resolve_path`).

    Args:
        plan: the plan file to edit (None: the plan the scenario gives the role).
        scenario: the scenario it is simulated in.
        role: the scenario's role on the plan.
        trials_fast: simulated plan years behind each change.
        trials_full: what the "Run" button simulates (default: the scenario's).
        seed: random seed (default: the scenario's).
        save_dir: where plans are saved (default: the plan file's folder).
        study: the study whose limits are checked and which a saved plan can join.
    """

    def __init__(self, plan: str | Path | None, scenario: str | Path, role: str, *,
                 trials_fast: int = 256, trials_full: int | None = None,
                 seed: int | None = None, save_dir: str | Path | None = None,
                 study: str | Path | None = None):
        started = time.perf_counter()
        warming = warm_up()
        self.trials_fast, self.seed = trials_fast, seed
        self.save_dir_arg, self.study_arg = save_dir, study
        self._sims: dict[tuple[str, str], RoleSimulation] = {}
        self._widgets: dict[tuple, Any] = {}
        self.specs = Specs()
        self.design = self._design(plan, scenario, role)
        self.trials_full = trials_full or self.design.scenario.trials
        self.version = 0
        self.last_update_s: float | None = None
        self.timings: dict[str, float] = {}
        self.inputs: dict[str, w.Widget] = {}
        self.errors: dict[str, w.HTML] = {}
        self.typed: dict[str, str] = {}  # controls whose text could not be read
        self._syncing = False
        self._build()
        warming.result()
        self.refresh()
        self.opened_s = time.perf_counter() - started
        self.status.value = self.status.value.replace(  # for tests and benchmarks
            "<span ", f'<span data-open-s="{self.opened_s:.2f}" data-cpu-s='
            f'"{time.process_time():.2f}" ', 1)

    def _design(self, plan, scenario, role) -> Design:
        key = (str(resolve_path(scenario)), role)
        design = Design(plan, scenario, role, trials=self.trials_fast, seed=self.seed,
                        save_dir=self.save_dir_arg, study=self.study_arg,
                        sim=self._sims.get(key))
        self._sims[key] = design.sim
        return design

    # ---- layout -------------------------------------------------------------------------

    def _html(self, css: str, value: str = "") -> w.HTML:
        out = w.HTML(value)
        out.add_class(css)
        return out

    def _shared(self, kind: type, **kw) -> Any:
        """One Layout or style widget per kind and settings, shared by the form's controls
        (a form has a hundred controls: a Layout and a style each would double the widgets
        the page must create). Never for a widget whose layout changes later."""
        key = (kind, tuple(sorted(kw.items())))
        if key not in self._widgets:
            self._widgets[key] = kind(**kw)
        return self._widgets[key]

    def _label(self, markup: str, css: str = "") -> w.HTML:
        out = w.HTML(markup, layout=self._shared(w.Layout), style=self._shared(HTMLStyle))
        if css:
            out.add_class(css)
        return out

    def _box(self, kind: type, children: list, **layout) -> w.Box:
        return kind(children, layout=self._shared(w.Layout, **layout))

    def _button(self, label: str, css: str, action: Callable[[], None], **kw) -> w.Button:
        b = w.Button(description=label, layout=self._shared(w.Layout, width="auto"),
                     style=self._shared(w.ButtonStyle), **kw)
        b.add_class(css)
        b.on_click(lambda _: self._guarded(action))
        return b

    def _control(self, c: Control, currency: str) -> w.Widget:
        """One control: its box, its unit and the place its message shows."""
        if c.kind == "choice":
            box = w.Dropdown(options=list(c.choices), value=c.value if c.value in
                             [v for _, v in c.choices] else None, description=c.label,
                             style=self._shared(DescriptionStyle, description_width="150px"),
                             layout=self._shared(w.Layout, width="330px"))
        elif c.kind == "flag":
            box = w.Checkbox(value=bool(c.value), description=c.label, indent=False,
                             style=self._shared(CheckboxStyle),
                             layout=self._shared(w.Layout))
        elif c.kind == "yaml":
            box = self._label(f"{html.escape(c.label)}: edit in the YAML file")
        else:
            text = show(c.value, c.unit) if c.kind in ("number", "list") else (c.value or "")
            box = w.Text(value=text, description=c.label, continuous_update=False,
                         style=self._shared(TextStyle, description_width="150px"),
                         placeholder="none" if c.optional else "",
                         layout=self._shared(w.Layout, width="300px"))
        box.add_class(f"spmsim-field-{slug(c.path)}")
        if c.help:
            box.tooltip = c.help
        if not isinstance(box, w.HTML):
            box.observe(lambda ch, c=c: self._entered(c, ch["new"]), "value")
        error = self._label("", f"spmsim-error-{slug(c.path)}")
        self.inputs[c.path], self.errors[c.path] = box, error
        unit = suffix(c.unit, currency) if c.kind in ("number", "list") else ""
        line = self._box(w.HBox, [box, self._label(
            f"<span style='color:{GREY}'>&nbsp;{unit}</span>")]) if unit else box
        return self._box(w.VBox, [line, error])

    def _cap(self, cap: Control, notes: list[str], currency: str) -> w.Widget:
        where, value = cap.value
        self.cap_where = w.Dropdown(options=[(lab, p) for lab, p in cap.choices],
                                    value=where, description="cap pay on",
                                    style={"description_width": "150px"},
                                    layout=w.Layout(width="330px"))
        self.cap_where.add_class("spmsim-cap-where")
        self.cap_value = w.Text(value=show(value, cap.unit), description="at most",
                                continuous_update=False, placeholder="3",
                                style={"description_width": "150px"},
                                layout=w.Layout(width="280px"))
        self.cap_value.add_class(f"spmsim-field-{slug(CAP)}")
        self.cap_value.layout.display = "" if where else "none"
        self.cap_unit = cap.unit
        word = suffix(cap.unit, currency) if cap.unit == "money" else \
            ("x TI" if where == "cap" else "x its target")
        self.cap_word = w.HTML(f"<span style='color:{GREY}'>&nbsp;{word}</span>")
        self.cap_where.observe(lambda ch: self._cap_entered(), "value")
        self.cap_value.observe(lambda ch: self._cap_entered(), "value")
        error = self._html(f"spmsim-error-{slug(CAP)}")
        self.inputs[CAP], self.errors[CAP] = self.cap_value, error
        extra = [w.HTML(f"<i style='color:{GREY}'>{html.escape(n)}</i>") for n in notes]
        return w.VBox([self.cap_where, w.HBox([self.cap_value, self.cap_word]), error, *extra])

    def _section(self, s: Section, currency: str) -> w.Widget:
        head: list[w.Widget] = [self._label(f"<b>{html.escape(s.title)}</b>")]
        if s.removable:
            head.append(self._button("remove", f"spmsim-remove-{slug(s.key)}",
                                     lambda i=int(s.key[11:-1]): self.design.remove_component(i)
                                     or self._after(rebuild=True)))
        error = self._label("", f"spmsim-error-{slug(s.key)}")
        self.errors[s.key] = error
        parts: list[w.Widget] = [self._box(w.HBox, head), error]
        parts += [self._control(c, currency) for c in s.controls]
        for r in s.rows:
            cells: list[w.Widget] = [self._label(f"<b>{html.escape(r.label)}</b>")]
            for c in r.controls:
                cells.append(self._control(c, currency))
            if r.removable:
                cells.append(self._button("✕", f"spmsim-remove-{slug(r.path)}",
                                          lambda p=r.path: self.design.remove_row(p)
                                          or self._after(rebuild=True),
                                          tooltip=f"remove {r.label.lower()}"))
            parts.append(self._box(w.VBox, cells))
        if s.add_row:
            parts.append(self._button(s.add_row, f"spmsim-add-{slug(s.rows_path)}",
                                      lambda p=s.rows_path: self.design.add_row(p)
                                      or self._after(rebuild=True)))
        parts += [self._label(f"<i style='color:{GREY}'>{html.escape(n)}</i>") for n in s.notes]
        box = self._box(w.VBox, parts)
        box.add_class("spmsim-section")
        box.add_class(f"spmsim-section-{slug(s.key)}")
        return box

    def _form(self) -> list[w.Widget]:
        self.inputs, self.errors, self.typed = {}, {}, {}
        form = self.design.form()
        self._shape = _shape(form)
        sections, cap, notes = form
        currency = str(self.design.tree.get("currency", "USD"))
        out: list[w.Widget] = [self._section(sections[0], currency),
                               self._cap(cap, notes, currency)]
        out += [self._section(s, currency) for s in sections[1:]]
        self.kind = w.Dropdown(options=self.design.component_kinds(), description="add a",
                               layout=w.Layout(width="180px"))
        self.kind.add_class("spmsim-add-kind")
        out.append(w.HBox([self.kind, self._button(
            "component", "spmsim-add-component",
            lambda: self.design.add_component(self.kind.value) or self._after(rebuild=True))]))
        return out

    def _pickers(self) -> w.Widget:
        d = self.design
        scenarios = scenario_files(d.scenario_path.parent, d.scenario_path)
        self.pick_scenario = w.Dropdown(options=[(p.name, str(p)) for p in scenarios],
                                        value=str(d.scenario_path), description="scenario")
        self.pick_role = w.Dropdown(options=roles(d.scenario_path), value=d.role,
                                    description="role")
        folders = [d.plan_path.parent, d.save_dir]
        self.pick_plan = w.Dropdown(options=[(p.name, str(p)) for p in
                                             plan_files(folders, d.plan_path)],
                                    value=str(d.plan_path), description="plan")
        for name, box in (("scenario", self.pick_scenario), ("role", self.pick_role),
                          ("plan", self.pick_plan)):
            box.add_class(f"spmsim-pick-{name}")
            box.observe(lambda ch, name=name: self._picked(name, ch["new"]), "value")
        self.picked = self._html("spmsim-pick-error")
        return w.VBox([w.HBox([self.pick_scenario, self.pick_role, self.pick_plan]),
                       self.picked])

    def _save_box(self) -> w.VBox:
        d = self.design
        stem = d.plan_path.stem
        self.plan_name = w.Text(value=f"{d.original.plan} (designed)", description="plan name")
        self.file_name = w.Text(value=f"{stem}_designed.yaml", description="file name")
        self.overwrite = w.Checkbox(value=False, description="replace a file of that name",
                                    indent=False)
        self.to_study = w.Checkbox(value=False, description="add it to the study as a variant",
                                   indent=False)
        self.study = w.Text(value=str(d.study_path or ""), description="study file")
        self.variant = w.Text(value=f"{stem}_designed", description="variant")
        self.variant_text = w.Text(value="", description="description",
                                   placeholder="(the plan in words)")
        for name in ("plan_name", "file_name", "overwrite", "to_study", "study", "variant",
                     "variant_text"):
            getattr(self, name).add_class(f"spmsim-designer-{name.replace('_', '-')}")
        self.save_button = w.Button(description="Save", button_style="primary")
        self.save_button.add_class("spmsim-designer-save")
        self.save_button.on_click(lambda _: self.save())
        self.saved = self._html("spmsim-designer-saved")
        self.saved.layout = w.Layout(max_width="340px")
        return w.VBox([w.HTML(f"<b>Save</b> the edited plan to {html.escape(str(d.save_dir))}"),
                       self.plan_name, self.file_name, self.overwrite, self.to_study,
                       self.study, self.variant, self.variant_text, self.save_button,
                       self.saved])

    def _title(self) -> str:
        d = self.design
        behaviour = (" Reps here do not change behaviour with the plan (the agent engine "
                     "simulates that)." if d.scenario.behavior.any else "")
        return (f"<h3>Plan designer: {html.escape(d.original.plan)} for the "
                f"{html.escape(d.role)} team</h3><p>Change the plan on the left: the charts "
                f"on the right show what it pays and what it costs, against the plan as it "
                f"stands ({html.escape(d.plan_path.name)}), over "
                f"{d.sim.trials:,} simulated plan years of {html.escape(d.scenario.scenario)}."
                f" Type a number and press Enter. Nothing is written until you press Save."
                f"{behaviour}</p>")

    def _build(self) -> None:
        self.title = self._html("spmsim-designer-title", self._title())
        self.status = self._html("spmsim-designer-status")
        self.summary = self._html("spmsim-designer-summary")
        self.banner = self._html("spmsim-designer-banner")
        self.banner.layout.display = "none"
        self.curve = self._html("spmsim-designer-curve")
        self.table = self._html("spmsim-designer-table")
        self.cost = self._html("spmsim-designer-cost")
        self.payout = self._html("spmsim-designer-payout")
        self.attainment = self._html("spmsim-designer-attainment")
        self.undo_button = self._button("Undo", "spmsim-designer-undo",
                                        lambda: self.design.undo() and self._after(sync=True))
        self.redo_button = self._button("Redo", "spmsim-designer-redo",
                                        lambda: self.design.redo() and self._after(sync=True))
        self.reset_button = self._button("Back to the file's plan", "spmsim-designer-reset",
                                         lambda: self.design.reset() or self._after(sync=True))
        self.full_button = self._button(f"Run {self.trials_full:,} plan years",
                                        "spmsim-designer-full", self.run_full)
        self.progress = w.IntProgress(min=0, max=2 * self.trials_full, value=0,
                                      layout=w.Layout(visibility="hidden"))
        self.form = w.VBox(self._form(), layout=w.Layout(width="400px"))
        left = w.VBox([self.form, self._save_box()],
                      layout=w.Layout(width="410px", min_width="410px", flex="0 0 410px"))
        self.charts = w.VBox([self.banner, self.curve, self.summary, self.table,
                              w.HBox([self.full_button, self.progress]), self.cost,
                              self.payout, self.attainment])
        tools = w.HBox([self.undo_button, self.redo_button, self.reset_button, self.status])
        self.ui = w.VBox([w.HTML(CSS), self.title, self._pickers(), tools,
                          w.HBox([left, self.charts])])
        self.ui.add_class("spmsim-designer")
        self._buttons()

    def _buttons(self) -> None:
        self.undo_button.disabled = not self.design.undo_stack
        self.redo_button.disabled = not self.design.redo_stack
        self.reset_button.disabled = self.design.tree == self.design.file_tree

    # ---- behaviour --------------------------------------------------------------------

    def _guarded(self, action: Callable[[], Any]) -> None:
        """Run a button's action; a failure is shown, not lost in the kernel's log."""
        try:
            action()
        except (SpmsimError, ValueError, KeyError) as e:
            self.status.value = message(f"Not done: {e}", RED)

    def _entered(self, c: Control, value: Any) -> None:
        if self._syncing:
            return
        try:
            if c.kind in ("number", "list", "text"):
                self.design.enter(c, str(value))
            else:
                self.design.set(c.path, value)
        except ValueError as e:  # could not be read: said, and the plan is unchanged
            self.typed[c.path] = str(e)
            self.inputs[c.path].add_class("spmsim-bad")
            self._after()
            return
        self.typed.pop(c.path, None)
        self.inputs[c.path].remove_class("spmsim-bad")
        self._after()

    def _cap_entered(self) -> None:
        if self._syncing:
            return
        where = self.cap_where.value
        self.cap_value.layout.display = "" if where else "none"
        if where and not self.cap_value.value.strip():
            self._syncing = True
            self.cap_value.value = "3"
            self._syncing = False
        try:
            self.design.set_cap(where, self.cap_value.value if where else "", self.cap_unit)
        except ValueError as e:
            self.typed[CAP] = str(e)
            self._after()
            return
        self.typed.pop(CAP, None)
        self._after()

    def _picked(self, what: str, value: str) -> None:
        if self._syncing:
            return
        d = self.design
        scenario, role, plan = d.scenario_path, d.role, d.plan_path
        if what == "scenario":
            scenario = Path(value)
            names = roles(scenario)
            role = role if role in names else (names[0] if names else role)
            plan = None
        elif what == "role":
            role, plan = value, None
        else:
            plan = Path(value)
        try:
            self.design = self._design(plan, scenario, role)
        except SpmsimError as e:
            self.picked.value = message(f"Cannot open that: {e}", RED)
            self._sync_pickers()
            return
        self.picked.value = ""
        self.title.value = self._title()
        self.attainment.value = ""
        self._sync_pickers()
        self._after(rebuild=True)

    def _sync_pickers(self) -> None:
        d = self.design
        self._syncing = True
        try:
            self.pick_scenario.options = [(p.name, str(p)) for p in
                                          scenario_files(d.scenario_path.parent, d.scenario_path)]
            self.pick_scenario.value = str(d.scenario_path)
            self.pick_role.options = roles(d.scenario_path)
            self.pick_role.value = d.role
            self.pick_plan.options = [(p.name, str(p)) for p in plan_files(
                [d.plan_path.parent, d.save_dir], d.plan_path)]
            self.pick_plan.value = str(d.plan_path)
        finally:
            self._syncing = False

    def _after(self, rebuild: bool = False, sync: bool = False) -> None:
        """After an edit: rebuild the form when its shape changed (a tier, a component, a
        unit), or put the plan's values in its boxes (undo, redo, reset); then check and
        redraw."""
        if rebuild or _shape(self.design.form()) != self._shape:
            self.form.children = self._form()
        elif sync:
            self._sync_values()
        self._buttons()
        self.refresh()

    def _sync_values(self) -> None:
        """Every box shows the plan's value again (what could not be read is dropped)."""
        sections, cap, _ = self.design.form()
        controls = [c for s in sections for c in s.controls] + \
            [c for s in sections for r in s.rows for c in r.controls]
        self._syncing = True
        try:
            self.typed = {}
            for c in controls:
                box = self.inputs.get(c.path)
                if box is None or c.kind == "yaml":
                    continue
                value = show(c.value, c.unit) if c.kind in ("number", "list") else (
                    bool(c.value) if c.kind == "flag" else c.value if c.kind == "choice"
                    else c.value or "")
                if box.value != value:
                    box.value = value
                box.remove_class("spmsim-bad")
            where, value = cap.value
            self.cap_where.value = where
            self.cap_value.value = show(value, cap.unit)
            self.cap_value.layout.display = "" if where else "none"
        finally:
            self._syncing = False

    def check(self) -> Check:
        check = self.design.check()
        problems = {k: list(v) for k, v in check.problems.items()}
        for path, text in self.typed.items():
            problems.setdefault(path, []).insert(0, text)
        return Check(check.plan, problems)

    def _show_problems(self, problems: dict[str, list[str]]) -> None:
        for path, label in self.errors.items():
            label.value = message("\n".join(problems.get(path, [])), RED)
        for path, box in self.inputs.items():
            (box.add_class if path in problems else box.remove_class)("spmsim-bad")
        unplaced = [m for k, ms in problems.items() if k not in self.errors for m in ms]
        count = sum(len(v) for v in problems.values())
        self.status.value = message(
            f"{count} problem{'s' if count > 1 else ''} to fix" + (
                ":\n" + "\n".join(unplaced) if unplaced else " (marked in red)"), RED)

    def _stale(self, stale: bool) -> None:
        if stale:
            self.charts.add_class("spmsim-stale")
            self.banner.value = ("<b>Showing the last valid plan.</b> Fix the boxes marked in "
                                 "red and the charts follow.")
            self.banner.layout.display = ""
        else:
            self.charts.remove_class("spmsim-stale")
            self.banner.layout.display = "none"

    def refresh(self, full: tuple[Results, Results] | None = None) -> bool:
        """Check the edited plan; if valid, simulate it and redraw (the curve first).
        Returns whether it redrew."""
        from spmsim.report import charts

        start = time.perf_counter()
        check = self.check()
        if not check.ok:
            self._show_problems(check.problems)
            self._stale(True)
            return False
        for label in self.errors.values():
            label.value = ""
        plan = check.plan
        self.version += 1
        v = self.version
        currency = plan.currency
        specs = self.specs
        curve = POOL.submit(SVGS, specs("curve", lambda c: charts.payout_curves_chart(
            c, title="Payout curve: the file's plan and the edited one"),
            self.design.curves(plan)))
        def show_curve(done: Future) -> None:  # as soon as it is drawn, while the rest runs
            if v == self.version and not done.exception():
                self.curve.value = chart_div(done.result(), v)
                self.timings["curve"] = time.perf_counter() - start
        curve.add_done_callback(show_curve)
        try:
            figures = self.design.figures(plan, full)
        except (SpmsimError, ValueError, KeyError) as e:  # e.g. a SPIF per deal, no deals
            curve.result()
            self._show_problems({"": [f"Cannot simulate this plan: {e}"]})
            self._stale(True)
            return False
        cost = POOL.submit(SVGS, specs("cost", lambda c, m: charts.cost_limits_chart(
            c, m, title="Variable pay of the team, a year"), figures.cost, figures.marks))
        payout = POOL.submit(SVGS, specs("payout", charts.earnings_ote_chart, figures.payout))
        markup = curve.result()  # shown by the callback, unless it has not run yet
        if f'data-version="{v}"' not in self.curve.value:
            self.curve.value = chart_div(markup, v)
            self.timings["curve"] = time.perf_counter() - start
        self.summary.value = (f'<p class="spmsim-summary" data-version="{v}"><b>In words:</b> '
                              f"{html.escape(self.design.describe(plan))}</p>")
        self.table.value = table_html(figures, self.design, v, currency)
        self.cost.value = chart_div(cost.result(), v)
        self.payout.value = chart_div(payout.result(), v)
        if full is not None or not self.attainment.value:  # the plan does not move it
            self.attainment.value = svg(self._attainment_chart(charts, figures), v)
        self._stale(False)
        self.last_update_s = time.perf_counter() - start
        self.timings["all"] = self.last_update_s
        weights = plan.weight_total()
        note = "" if abs(weights - 1) < 1e-9 else \
            f"; the shares of TI add up to {percent(weights, 0)}, not 100 %"
        kind = "full run" if full else "fast"
        self.status.value = message(
            f"Updated in {self.last_update_s * 1000:.0f} ms: {figures.trials:,} simulated "
            f"plan years ({kind}){note}", GREEN if not note else "#b26a00", v)
        return True

    def _attainment_chart(self, charts, figures: Figures):
        share = figures.table[CURRENT]["share_at_quota"]
        lim = next((x for x in self.design.limits if x.row == "share_at_quota"), None)
        band = "" if lim is None else f" (study: {limit_text(lim, 'share', 'USD')})"
        import pandas as pd

        return charts.attainment_band_chart(
            pd.DataFrame(self.design.attainment()), f"at quota: {percent(share, 0)} of reps{band}",
            title="Attainment across reps (the same under every plan)")

    def run_full(self) -> None:
        """Simulate the file's plan and the edited one over `trials_full` plan years."""
        check = self.check()
        if not check.ok:
            self._show_problems(check.problems)
            return
        self.progress.value, self.progress.layout.visibility = 0, "visible"

        def advance(n: int) -> None:
            self.progress.value += n
        try:
            self.refresh(full=self.design.run_full(check.plan, self.trials_full,
                                                   on_chunk=advance))
        finally:
            self.progress.layout.visibility = "hidden"

    def _problems(self, e: SpmsimError) -> list[str]:
        if isinstance(e, InputErrors):
            return [line for err in e.errors for line in self._problems(err)]
        if isinstance(e, InputError):
            return [str(p) for p in e.problems]
        return [str(e)]

    def save(self) -> list[Path]:
        """Save the edited plan (and add the study variant when ticked); on an error, show
        it and write nothing."""
        d = self.design
        check = self.check()
        if not check.ok:
            self._show_problems(check.problems)
            self.saved.value = message("Not saved: the plan has problems (marked in red); "
                                        "fix them first.", RED)
            return []
        study = self.study.value.strip()
        d.study_path = resolve_path(study) if study else None
        try:
            written = d.save(self.file_name.value.strip(), self.plan_name.value.strip(),
                             variant=self.variant.value.strip() if self.to_study.value else None,
                             description=self.variant_text.value.strip(),
                             overwrite=self.overwrite.value)
        except SpmsimError as e:
            self.saved.value = message("Not saved:\n" + "\n".join(self._problems(e)), RED)
            return []
        self.saved.value = message("Saved: " + ", ".join(str(p) for p in written), GREEN)
        self._sync_pickers()
        return written

    # ---- display -------------------------------------------------------------------------

    def snapshot(self) -> str:
        """The designer's current charts and table as static HTML (for viewers without
        widgets, such as a converted notebook)."""
        parts = (self.title.value, self.status.value, self.curve.value, self.summary.value,
                 self.table.value, self.cost.value, self.payout.value, self.attainment.value)
        return f'<div class="spmsim-designer-snapshot">{"".join(parts)}</div>'

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = self.ui._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.snapshot()
        return bundle
